"""The catalogue of recognised mistakes: id, one-line explanation, and where the book
derives the right rule.

Every checker in :mod:`convbp.exercises` names a mistake by one of the ids below; the
same id can appear under several checkers (``overwrite_not_accumulate`` is a mistake of
both convolution and pooling backward passes), with an explanation written for that
checker. ``label`` is the MyST label of the chapter that derives the right rule
(:data:`CHAPTERS` maps each label to its notebook).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CATALOGUE", "CHAPTERS", "Mistake", "mistakes_for"]


#: Chapter labels of the book and their files (fixed by the table of contents).
#: Mistakes point to these labels; a test resolves those whose chapter exists.
CHAPTERS = {
    "first-look": "book/first_look.ipynb",
    "correlation-convolution": "book/correlation_convolution.ipynb",
    "forward-arithmetic": "book/forward_arithmetic.ipynb",
    "backward-stride1": "book/backward_stride1.ipynb",
    "backward-strided": "book/backward_strided.ipynb",
    "general-rule": "book/general_rule.ipynb",
    "transposed-conv": "book/transposed_conv.ipynb",
    "channels-groups": "book/channels_groups.ipynb",
    "checking-your-code": "book/checking_your_code.ipynb",
    "pooling-activations": "book/pooling_activations.ipynb",
    "whole-chain": "book/whole_chain.ipynb",
    "training-cnn": "book/training_cnn.ipynb",
    "loops-to-fast": "book/loops_to_fast.ipynb",
}


class Mistake(NamedTuple):
    """One recognised mistake.

    Attributes
    ----------
    id : str
        Short identifier, e.g. ``"stride_ignored"`` (the value of ``CheckResult.mistake``).
    explanation : str
        One line: what the code did and what the right rule is.
    label : str
        MyST label of the chapter deriving the right rule (a key of :data:`~convbp.exercises.mistakes.CHAPTERS`).
    """

    id: str
    explanation: str
    label: str


def _table(*rows):
    return {r[0]: Mistake(*r) for r in rows}


#: ``CATALOGUE[checker_name][mistake_id]`` -> :class:`Mistake`, in diagnosis order.
CATALOGUE: dict[str, dict[str, Mistake]] = {
    "check_conv_backward": _table(
        ("stride_ignored",
         "the backward pass was computed as if the stride were 1: delta must be dilated "
         "(output o touches input rows s*o + d*m, not o + d*m)", "backward-strided"),
        ("kernel_not_flipped",
         "the kernel's orientation is reversed: dx correlates the padded, dilated delta "
         "with flip(w), and dw is a correlation (not a convolution) of x with delta",
         "backward-stride1"),
        ("leftover_rows",
         "the unread tail is handled wrongly: the last r = (n + p_lo + p_hi - d(k-1) - 1) "
         "mod s padded rows get zero gradient, so P_hi = d(k-1) - p_hi + r and dw reads x "
         "without those r rows", "backward-strided"),
        ("overwrite_not_accumulate",
         "'=' where '+=' is needed: overlapping windows (and all output channels and samples) "
         "add their contributions to the same dx and dw entries", "backward-stride1"),
        ("bias_mean",
         "the bias gradient was averaged: db is the SUM of delta over the batch and every "
         "output position", "channels-groups"),
        ("stride_dilation_swapped",
         "stride and dilation swapped: output o and tap m meet input row s*o + d*m "
         "(stride times output index, dilation times tap), not d*o + s*m", "backward-strided"),
        ("height_width_swapped",
         "height and width mixed up: the kernel (or the gradient) was read with its two "
         "spatial axes exchanged, w[..., kw, kh] instead of w[..., kh, kw]", "channels-groups"),
        ("batch_not_summed",
         "the batch was not summed: dw and db add the contributions of EVERY sample "
         "(no mean, no single sample, no per-sample axis)", "channels-groups"),
        ("dilation_ignored",
         "the dilation was left out: tap m sits d*m rows into the window, in dx and in dw",
         "general-rule"),
    ),
    "check_conv_forward": _table(
        ("kernel_flipped",
         "a true convolution (flipped kernel) was computed; deep-learning 'convolution' is a "
         "cross-correlation: y[o] = sum_m w[m] x[s*o + d*m - p_lo]", "correlation-convolution"),
        ("stride_ignored",
         "the stride was left out: output o reads the window starting at s*o, and there are "
         "floor((n + p_lo + p_hi - d(k-1) - 1)/s) + 1 outputs", "forward-arithmetic"),
        ("padding_ignored",
         "the zero padding was left out: pad x by p on both sides before sliding the kernel",
         "forward-arithmetic"),
        ("bias_missing", "the bias was not added: y[i, j, o] = b[j] + sum ...",
         "channels-groups"),
        ("stride_dilation_swapped",
         "stride and dilation swapped: output o, tap m reads x[s*o + d*m - p_lo]",
         "forward-arithmetic"),
        ("height_width_swapped",
         "height and width mixed up: the kernel was read as w[..., kw, kh]", "channels-groups"),
        ("dilation_ignored", "the dilation was left out: tap m reads d*m rows into the window",
         "forward-arithmetic"),
    ),
    "check_conv_transpose": _table(
        ("kernel_flipped",
         "the kernel's orientation is reversed: each input entry x[o] stamps w itself "
         "(not flip(w)) at output position s*o - p_lo", "transposed-conv"),
        ("stride_ignored",
         "the stride was left out: input entry o stamps the kernel at s*o - p_lo, "
         "i.e. x is dilated by s first", "transposed-conv"),
        ("padding_ignored",
         "padding was ignored: in a transposed convolution `padding` REMOVES p_lo rows at the "
         "start and p_hi rows at the end of the output", "transposed-conv"),
        ("output_padding_ignored",
         "output_padding was ignored: it adds that many rows at the END of the output "
         "(the leftover rows of the convolution being transposed)", "transposed-conv"),
        ("output_padding_on_low_side",
         "output_padding was added at the start: the extra rows belong at the high end "
         "(they are the convolution's unread tail)", "transposed-conv"),
    ),
    "check_pool_backward": _table(
        ("max_all_ties",
         "every tied maximum got the gradient: exactly one cell per window (the first "
         "maximum in row-major order, as PyTorch) receives dy", "pooling-activations"),
        ("overwrite_not_accumulate",
         "'=' where '+=' is needed: overlapping windows add their gradients to the cells "
         "they share", "pooling-activations"),
        ("avg_wrong_count",
         "the average's gradient was divided by the wrong count: every cell of a k_h x k_w "
         "window receives dy / (k_h * k_w)", "pooling-activations"),
        ("stride_ignored",
         "the stride was left out: window o starts at s*o (and stride=None means "
         "stride = kernel_size)", "pooling-activations"),
    ),
    "check_dilate": _table(
        ("trailing_zeros",
         "zeros were added after the last entry too: dilation by s gives length s*(n-1) + 1",
         "backward-strided"),
        ("too_many_zeros",
         "s zeros were inserted between entries: dilation by s inserts s - 1", "backward-strided"),
        ("one_axis_only",
         "only one axis was dilated: a 2-D array is dilated along both axes", "backward-strided"),
    ),
    "check_flip": _table(
        ("one_axis_only",
         "only one spatial axis was reversed: the flipped kernel reverses every spatial axis "
         "(a 180-degree rotation in 2-D)", "correlation-convolution"),
        ("channels_flipped",
         "the channel axes were reversed too: only the spatial axes (after the first two) flip",
         "correlation-convolution"),
        ("transposed_not_flipped",
         "the kernel was transposed, not flipped: w[..., i, j] -> w[..., k1-1-i, k2-1-j], "
         "not w[..., j, i]", "correlation-convolution"),
    ),
    "check_backward_padding": _table(
        ("leftover_rows",
         "the leftover rows were left out: P_hi = d(k-1) - p_hi + r with "
         "r = (n + p_lo + p_hi - d(k-1) - 1) mod s", "backward-strided"),
        ("leftover_on_low_side",
         "the leftover r was added to the wrong end: it belongs to P_hi (the unread tail "
         "is at the high end)", "backward-strided"),
        ("dilation_ignored",
         "the dilation was left out: the dilated kernel spans d(k-1) + 1 rows, so "
         "P_lo = d(k-1) - p_lo", "general-rule"),
        ("padding_not_subtracted",
         "the forward padding was not subtracted: P_lo = d(k-1) - p_lo, "
         "P_hi = d(k-1) - p_hi + r", "general-rule"),
        ("padding_sides_swapped",
         "p_lo and p_hi were swapped: P_lo = d(k-1) - p_lo uses the LOW padding",
         "general-rule"),
    ),
    "check_output_size": _table(
        ("ceil_not_floor",
         "rounded up: a window that does not fit is not computed, "
         "O = floor((n + p_lo + p_hi - d(k-1) - 1)/s) + 1", "forward-arithmetic"),
        ("missing_plus_one",
         "the first window was not counted: O = floor(...) + 1", "forward-arithmetic"),
        ("dilation_ignored",
         "the dilation was left out: a dilated window spans d(k-1) + 1 rows",
         "forward-arithmetic"),
        ("padding_one_side",
         "only one side's padding was counted: the padded length is n + p_lo + p_hi",
         "forward-arithmetic"),
        ("remainder_wrong",
         "the leftover count is (n + p_lo + p_hi - d(k-1) - 1) mod s", "forward-arithmetic"),
    ),
    "check_correlate1d": _table(
        ("kernel_flipped",
         "a convolution (flipped kernel) was computed: correlation is "
         "y[o] = sum_m w[m] x[o + m]", "correlation-convolution"),
        ("full_not_valid",
         "the 'full' output (length n + k - 1) was returned: a valid correlation has "
         "n - k + 1 entries", "correlation-convolution"),
        ("off_by_one_length",
         "one output too few: a valid correlation has n - k + 1 entries",
         "correlation-convolution"),
    ),
    "check_convolve1d": _table(
        ("kernel_not_flipped",
         "a correlation was computed: convolution flips the kernel, "
         "y[o] = sum_m w[k-1-m] x[o + m]", "correlation-convolution"),
        ("full_not_valid",
         "the 'full' output (length n + k - 1) was returned: a valid convolution has "
         "n - k + 1 entries", "correlation-convolution"),
        ("off_by_one_length",
         "one output too few: a valid convolution has n - k + 1 entries",
         "correlation-convolution"),
    ),
    "check_relu_backward": _table(
        ("mask_from_gradient",
         "the mask was taken from dy: ReLU passes dy where the INPUT x is positive",
         "pooling-activations"),
        ("gradient_at_zero",
         "x = 0 passed the gradient: the book (like PyTorch) uses derivative 0 at x = 0, "
         "i.e. mask x > 0", "pooling-activations"),
        ("mask_not_multiplied",
         "the mask was returned instead of dy times the mask", "pooling-activations"),
    ),
    "check_linear_backward": _table(
        ("weight_gradient_transposed",
         "dw came out transposed: for y = x @ w.T + b, dw = dy.T @ x has w's shape "
         "(D_out, D_in)", "whole-chain"),
        ("bias_mean", "the bias gradient was averaged: db = dy.sum(axis=0)", "whole-chain"),
        ("batch_not_summed",
         "the batch was averaged, not summed: dw = dy.T @ x and db = dy.sum(0) add every "
         "sample", "whole-chain"),
    ),
    "check_softmax_cross_entropy": _table(
        ("batch_not_averaged",
         "the loss (and its gradient) was summed over the batch: both are divided by N",
         "whole-chain"),
        ("onehot_not_subtracted",
         "the one-hot labels were not subtracted: dlogits = (softmax(logits) - onehot) / N",
         "whole-chain"),
        ("gradient_sign",
         "the gradient has the wrong sign: dlogits = (softmax - onehot) / N", "whole-chain"),
        ("no_max_subtraction",
         "softmax overflowed for large logits: subtract each row's maximum before exp "
         "(the result is unchanged)", "whole-chain"),
    ),
    "check_sgd_step": _table(
        ("weight_decay_ignored",
         "weight decay was ignored: grad = dw + weight_decay * w", "training-cnn"),
        ("weight_decay_after_momentum",
         "weight decay was added after the momentum buffer: PyTorch adds it to the gradient "
         "first, grad = dw + wd * w, v = momentum * v + grad", "training-cnn"),
        ("lr_inside_velocity",
         "the learning rate went into the velocity (v = momentum*v + lr*grad, w -= v): "
         "PyTorch's SGD keeps v = momentum*v + grad and steps w -= lr*v", "training-cnn"),
        ("momentum_dampened",
         "the gradient was dampened by (1 - momentum): PyTorch's default is "
         "v = momentum*v + grad", "training-cnn"),
        ("weight_decay_sign",
         "weight decay with the wrong sign: grad = dw + weight_decay * w", "training-cnn"),
    ),
}


def mistakes_for(checker: str) -> dict[str, Mistake]:
    """The mistakes that ``checker`` (e.g. ``"check_conv_backward"``) can name.

    Examples
    --------
    >>> from convbp.exercises.mistakes import mistakes_for
    >>> list(mistakes_for("check_pool_backward"))[:2]
    ['max_all_ties', 'overwrite_not_accumulate']
    """
    try:
        return CATALOGUE[checker]
    except KeyError:
        raise ValueError(f"mistakes_for: checker must be one of {sorted(CATALOGUE)}, "
                         f"got {checker!r}") from None
