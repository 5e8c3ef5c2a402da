"""Checkers for the rest of a small network: linear layer, softmax cross-entropy, SGD."""

from __future__ import annotations

import numpy as np

from . import _engine as E

__all__ = ["check_linear_backward", "check_softmax_cross_entropy", "check_sgd_step"]


# ------------------------------------------------------------------------- linear

@E.documented
def check_linear_backward(fn, *, raise_on_fail=False):
    """Check a learner's fully connected layer backward pass ``fn(dy, x, w)``.

    Parameters
    ----------
    fn : callable
        ``fn(dy, x, w)`` returning ``(dx, dw, db)`` for ``y = x @ w.T + b`` (PyTorch's
        ``nn.Linear`` layout): ``x`` (N, D_in), ``w`` (D_out, D_in), ``dy`` (N, D_out);
        ``dx = dy @ w`` (N, D_in), ``dw = dy.T @ x`` (D_out, D_in),
        ``db = dy.sum(axis=0)`` (D_out,).

    See Also
    --------
    convbp.nn.Linear : the layer, whose ``backward`` is the right answer.
    check_conv_backward : the same three gradients for a convolution.

    Examples
    --------
    >>> from convbp.exercises import check_linear_backward
    >>> check_linear_backward(lambda dy, x, w: (dy @ w, dy.T @ x, dy.sum(0))).passed
    True
    >>> check_linear_backward(lambda dy, x, w: (dy @ w, x.T @ dy, dy.sum(0))).mistake
    'weight_gradient_transposed'
    """
    rng = np.random.default_rng(20261206)
    cases = []
    for n, d_in, d_out in ((3, 4, 2), (2, 3, 3), (4, 2, 5)):
        x = rng.standard_normal((n, d_in))
        w = rng.standard_normal((d_out, d_in))
        dy = rng.standard_normal((n, d_out))
        R = dict(dx=dy @ w, dw=dy.T @ x, db=dy.sum(0))
        wrong = {("weight_gradient_transposed", "x.T @ dy"): dict(dw=x.T @ dy),
                 ("bias_mean", "mean"): dict(db=dy.mean(0)),
                 ("batch_not_summed", "mean"): dict(dw=dy.T @ x / n),
                 ("batch_not_summed", "first sample"): dict(dw=np.outer(dy[0], x[0]),
                                                            db=dy[0])}
        cases.append(E.Case(f"x {x.shape} (N, D_in), w {w.shape} (D_out, D_in), dy {dy.shape}",
                            x.size, (dy, x, w), {}, R,
                            {key: {**R, **v} for key, v in wrong.items()}))

    def call(f, case):
        return E.unpack_tuple(f(*E.copy_args(case.args)), ("dx", "dw", "db"), E.fn_name(f))

    return E.run("check_linear_backward", fn, cases, call, ("dx", "dw", "db"),
                 covered="batches of 2-4, square and non-square w", raise_on_fail=raise_on_fail)


# ------------------------------------------------------------------------- loss

def _softmax_xent(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(labels)
    p = np.exp(logp)
    onehot = np.zeros_like(p)
    onehot[np.arange(n), labels] = 1
    return -logp[np.arange(n), labels].mean(), p, onehot


@E.documented
def check_softmax_cross_entropy(fn, *, raise_on_fail=False):
    """Check a learner's softmax cross-entropy loss and its gradient.

    Parameters
    ----------
    fn : callable
        ``fn(logits, labels)`` with ``logits`` (N, K) floats and ``labels`` (N,) ints in
        ``[0, K)``, returning ``(loss, dlogits)``: ``loss`` the MEAN over the batch of
        ``-log softmax(logits)[i, labels[i]]`` (a scalar), ``dlogits``
        ``= (softmax(logits) - onehot(labels)) / N`` (N, K). One case has logits near
        1000: subtract each row's maximum before ``exp``.

    See Also
    --------
    convbp.nn.softmax_cross_entropy : the right answer.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.exercises import check_softmax_cross_entropy
    >>> def mine(logits, labels):
    ...     z = logits - logits.max(axis=1, keepdims=True)
    ...     p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    ...     n = len(labels)
    ...     loss = -np.log(p[np.arange(n), labels]).mean()
    ...     d = p.copy()
    ...     d[np.arange(n), labels] -= 1
    ...     return loss, d / n
    >>> check_softmax_cross_entropy(mine).passed
    True
    """
    rng = np.random.default_rng(20261207)
    cases = []
    for n, k, shift in ((4, 3, 0.0), (3, 5, 0.0), (2, 4, 1000.0)):
        logits = 2 * rng.standard_normal((n, k)) + shift
        labels = rng.integers(0, k, n)
        loss, p, onehot = _softmax_xent(logits, labels)
        R = dict(loss=np.array(loss), dlogits=(p - onehot) / n)
        overflow = np.full((), np.nan) if shift else R["loss"]
        wrong = {("batch_not_averaged", "sum"): dict(loss=np.array(loss * n),
                                                     dlogits=p - onehot),
                 ("onehot_not_subtracted", "softmax"): dict(dlogits=p / n),
                 ("gradient_sign", "onehot - p"): dict(dlogits=(onehot - p) / n),
                 ("no_max_subtraction", "overflow"): dict(
                     loss=overflow, dlogits=np.full((n, k), np.nan) if shift
                     else R["dlogits"])}
        words = (f"logits {logits.shape}" + (f" around {shift:g}" if shift else "")
                 + f", labels {labels.tolist()}")
        cases.append(E.Case(words, logits.size + (100 if shift else 0), (logits, labels), {},
                            R, {key: {**R, **v} for key, v in wrong.items()}))

    def call(f, case):
        with np.errstate(all="ignore"):
            out = f(*E.copy_args(case.args))
        return E.unpack_tuple(out, ("loss", "dlogits"), E.fn_name(f))

    return E.run("check_softmax_cross_entropy", fn, cases, call, ("loss", "dlogits"),
                 covered="batches of 2-4, 3-5 classes, logits near 1000",
                 raise_on_fail=raise_on_fail)


# ------------------------------------------------------------------------- SGD

@E.documented
def check_sgd_step(fn, *, raise_on_fail=False):
    """Check a learner's SGD step with momentum and weight decay, as ``torch.optim.SGD``.

    Parameters
    ----------
    fn : callable
        ``fn(w, dw, v, *, lr, momentum, weight_decay)`` returning ``(w_new, v_new)``:
        ``grad = dw + weight_decay * w``, ``v_new = momentum * v + grad``,
        ``w_new = w - lr * v_new``. ``v`` is the momentum buffer (zeros before the
        first step, which makes the first step PyTorch's too); ``fn`` must not rely on
        changing ``w`` or ``v`` in place (the returned arrays are checked).
        This is ``torch.optim.SGD(params, lr, momentum, weight_decay=weight_decay)``
        with ``dampening=0`` and ``nesterov=False``.

    See Also
    --------
    convbp.nn.SGD : the same update on a model's parameters.

    Examples
    --------
    >>> from convbp.exercises import check_sgd_step
    >>> def mine(w, dw, v, *, lr, momentum, weight_decay):
    ...     v = momentum * v + dw + weight_decay * w
    ...     return w - lr * v, v
    >>> check_sgd_step(mine).passed
    True
    """
    rng = np.random.default_rng(20261208)
    cases = []
    for shape, lr, m, wd, zero_v in (((3, 4), 0.1, 0.9, 0.01, False),
                                     ((5,), 0.05, 0.5, 0.1, False),
                                     ((2, 3), 0.2, 0.8, 0.05, True)):
        w, dw = rng.standard_normal(shape), rng.standard_normal(shape)
        v = np.zeros(shape) if zero_v else rng.standard_normal(shape)

        def step(grad, v_new=None, lr_in=False, after=False):
            if v_new is None:
                v_new = m * v + grad
            if lr_in:
                return dict(w=w - v_new, v=v_new)
            return dict(w=w - lr * (v_new + (wd * w if after else 0)), v=v_new)

        R = step(dw + wd * w)
        wrong = {("weight_decay_ignored", "no decay"): step(dw),
                 ("weight_decay_after_momentum", "after"): step(dw, after=True),
                 ("lr_inside_velocity", "v has lr"): step(None, m * v + lr * (dw + wd * w),
                                                          lr_in=True),
                 ("momentum_dampened", "(1 - m) grad"): step(
                     None, m * v + (1 - m) * (dw + wd * w)),
                 ("weight_decay_sign", "minus"): step(dw - wd * w)}
        words = (f"w {shape}, lr {lr}, momentum {m}, weight_decay {wd}, "
                 + ("v = 0 (first step)" if zero_v else "v from earlier steps"))
        cases.append(E.Case(words, w.size, (w, dw, v), dict(lr=lr, momentum=m,
                                                             weight_decay=wd), R, wrong))

    def call(f, case):
        w, dw, v = E.copy_args(case.args)
        out = f(w, dw, v, **case.kwargs)
        return E.unpack_tuple(out, ("w", "v"), E.fn_name(f))

    return E.run("check_sgd_step", fn, cases, call, ("w", "v"),
                 covered="momentum 0.5-0.9, weight decay, first and later steps",
                 raise_on_fail=raise_on_fail)
