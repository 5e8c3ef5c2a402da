"""Checkers for the pieces of the recipe a reader writes by hand: dilate, flip, the
backward padding, the output size, and 1-D correlation and convolution."""

from __future__ import annotations

import math

import numpy as np

from ..convolution import conv
from ..geometry import conv_geometry
from ..recipe import dilate, flip
from . import _engine as E

__all__ = ["check_dilate", "check_flip", "check_backward_padding", "check_output_size",
           "check_correlate1d", "check_convolve1d"]


def _cases_from(items, words, args, right, wrong, size=None):
    return [E.Case(words(it), size(it) if size else i, args(it), {}, right(it),
                   wrong(it)) for i, it in enumerate(items)]


def _call_positional(names):
    def call(fn, case):
        return E.unpack_tuple(fn(*E.copy_args(case.args)), names, E.fn_name(fn))
    return call


# ------------------------------------------------------------------------- dilate

def _dilate_all(a, s):
    return dilate(a, s, axes=range(a.ndim))


@E.documented
def check_dilate(fn, *, raise_on_fail=False):
    """Check a learner's ``dilate(a, s)``: ``s - 1`` zeros between neighbouring entries.

    Parameters
    ----------
    fn : callable
        ``fn(a, s)`` for a 1-D or 2-D array ``a`` and an int ``s >= 1``, returning the
        array dilated along EVERY axis: an axis of length ``n`` becomes
        ``s*(n - 1) + 1`` long and ``a[i]`` sits at ``s*i``. (This is
        :func:`convbp.dilate` with ``axes`` = all axes; the book applies it to the
        spatial axes of ``dy``.)

    See Also
    --------
    convbp.dilate : the right answer (on chosen axes).

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.exercises import check_dilate
    >>> def mine(a, s):
    ...     out = np.zeros([s * (n - 1) + 1 for n in a.shape])
    ...     out[tuple(slice(None, None, s) for _ in a.shape)] = a
    ...     return out
    >>> check_dilate(mine).passed
    True
    """
    rng = np.random.default_rng(20261203)
    items = [(rng.standard_normal(4), 2), (rng.standard_normal(3), 3),
             (rng.standard_normal((3, 2)), 2), (rng.standard_normal((2, 4)), 3),
             (rng.standard_normal(1), 3), (rng.standard_normal(5), 1)]

    def trailing(a, s):
        return np.pad(_dilate_all(a, s), [(0, s - 1)] * a.ndim)

    def wrong(it):
        a, s = it
        w = {("trailing_zeros", "after the last"): dict(d=trailing(a, s)),
             ("too_many_zeros", "s zeros"): dict(d=_dilate_all(a, s + 1))}
        for ax in range(a.ndim):
            w["one_axis_only", f"axis {ax}"] = dict(d=dilate(a, s, axes=(ax,))
                                                    if a.ndim > 1 else _dilate_all(a, s))
        return w

    cases = _cases_from(items, lambda it: f"a of shape {it[0].shape}, s = {it[1]}",
                        lambda it: it, lambda it: dict(d=_dilate_all(*it)), wrong,
                        size=lambda it: it[0].size * 10 + it[1])
    for c in cases:      # same variant names in every case (1-D arrays have one axis)
        c.wrong.setdefault(("one_axis_only", "axis 1"), c.wrong[("one_axis_only", "axis 0")])
    return E.run("check_dilate", fn, cases, _call_positional(("d",)), ("d",),
                 covered="1-D and 2-D arrays, s = 1, 2, 3, length-1 axes",
                 raise_on_fail=raise_on_fail)


# ------------------------------------------------------------------------- flip

@E.documented
def check_flip(fn, *, raise_on_fail=False):
    """Check a learner's ``flip(w)``: the kernel reversed along every spatial axis.

    Parameters
    ----------
    fn : callable
        ``fn(w)`` for ``w`` of shape ``(C_out, C_in, *k)`` with one or two spatial axes,
        returning ``w`` reversed along the spatial axes only (a 180-degree rotation of
        each 2-D kernel), as :func:`convbp.flip`.

    See Also
    --------
    convbp.flip : the right answer.

    Notes
    -----
    Derived in :ref:`correlation-convolution`; used in :ref:`backward-stride1`.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.exercises import check_flip
    >>> check_flip(lambda w: w[:, :, ::-1, ::-1] if w.ndim == 4 else w[..., ::-1]).passed
    True
    >>> check_flip(lambda w: np.flip(w)).mistake
    'channels_flipped'
    """
    rng = np.random.default_rng(20261204)
    items = [rng.standard_normal((2, 3, 3, 4)), rng.standard_normal((2, 2, 5)),
             rng.standard_normal((3, 2, 2, 2))]

    def wrong(w):
        sp = tuple(range(2, w.ndim))
        return {("one_axis_only", "last"): dict(w=np.flip(w, -1)),
                ("one_axis_only", "first"): dict(w=np.flip(w, 2)),
                ("channels_flipped", "all axes"): dict(w=np.flip(w)),
                ("transposed_not_flipped", "transposed"): dict(
                    w=w.swapaxes(-1, -2) if len(sp) == 2 else w),
                ("transposed_not_flipped", "rotated 90"): dict(
                    w=np.rot90(w, axes=(-2, -1)) if len(sp) == 2 else flip(w))}

    cases = _cases_from(items, lambda w: f"w of shape {w.shape}", lambda w: (w,),
                        lambda w: dict(w=flip(w)), wrong, size=lambda w: w.size)
    return E.run("check_flip", fn, cases, _call_positional(("w",)), ("w",),
                 covered="2-D kernels (square and not) and a 1-D kernel",
                 raise_on_fail=raise_on_fail)


# ------------------------------------------------------------------------- integers

# n, k, stride, (p_lo, p_hi), dilation
_AXES = (
    (8, 3, 2, (0, 0), 1),       # r = 1
    (7, 3, 2, (1, 1), 1),       # r = 0
    (11, 3, 3, (2, 0), 1),      # asymmetric padding, r = 1
    (9, 2, 2, (1, 1), 3),       # dilation 3, r = 1
    (12, 3, 4, (1, 2), 2),      # stride 4 > extent?  r = 2
    (4, 2, 1, (2, 2), 1),       # padding wider than the kernel: P < 0
    (6, 2, 3, (0, 1), 2),       # r = 1
)


def _axis_words(it):
    n, k, s, p, d = it
    return f"n = {n}, k = {k}, stride {s}, padding (p_lo, p_hi) = {p}, dilation {d}"


def _geom(it):
    n, k, s, p, d = it
    return conv_geometry("check", (n,), (k,), s, (p,), d)


@E.documented
def check_backward_padding(fn, *, raise_on_fail=False):
    """Check a learner's padding of the dilated delta for the input gradient.

    Parameters
    ----------
    fn : callable
        ``fn(n, k, stride, padding, dilation)`` for one axis, with ``padding`` a pair
        ``(p_lo, p_hi)`` of ints, returning ``(P_lo, P_hi)`` =
        ``(d(k-1) - p_lo, d(k-1) - p_hi + r)`` with
        ``r = (n + p_lo + p_hi - d(k-1) - 1) mod s`` (a negative value means cropping).

    See Also
    --------
    convbp.geometry.ConvGeometry.dx_padding : the right answer.

    Examples
    --------
    >>> from convbp.exercises import check_backward_padding
    >>> def mine(n, k, stride, padding, dilation):
    ...     lo, hi = padding
    ...     e = dilation * (k - 1)
    ...     return e - lo, e - hi           # forgets the leftover rows
    >>> check_backward_padding(mine).mistake
    'leftover_rows'
    """
    def right(it):
        (lo, hi), = _geom(it).dx_padding
        return dict(P_lo=np.array(lo), P_hi=np.array(hi))

    def wrong(it):
        n, k, s, (pl, ph), d = it
        e1 = d * (k - 1)
        r = _geom(it).remainder[0]
        r1 = (n + pl + ph - k) % s
        pairs = {("leftover_rows", "no r"): (e1 - pl, e1 - ph),
                 ("leftover_on_low_side", "r on P_lo"): (e1 - pl + r, e1 - ph),
                 ("dilation_ignored", "k - 1"): (k - 1 - pl, k - 1 - ph + r1),
                 ("dilation_ignored", "k - 1, right r"): (k - 1 - pl, k - 1 - ph + r),
                 ("padding_not_subtracted", "d(k-1)"): (e1, e1 + r),
                 ("padding_sides_swapped", "swapped"): (e1 - ph, e1 - pl + r)}
        return {key: dict(P_lo=np.array(a), P_hi=np.array(b)) for key, (a, b) in pairs.items()}

    cases = _cases_from(_AXES, _axis_words, lambda it: it, right, wrong)
    return E.run("check_backward_padding", fn, cases, _call_positional(("P_lo", "P_hi")),
                 ("P_lo", "P_hi"), covered="strides 1-4, dilation 1-3, asymmetric padding, "
                 "leftover rows 0-2, padding wider than the kernel",
                 raise_on_fail=raise_on_fail)


@E.documented
def check_output_size(fn, *, raise_on_fail=False):
    """Check a learner's output size and leftover count along one axis.

    Parameters
    ----------
    fn : callable
        ``fn(n, k, stride, padding, dilation)`` with ``padding`` a pair
        ``(p_lo, p_hi)``, returning ``(O, r)``:
        ``O = floor((n + p_lo + p_hi - d(k-1) - 1)/s) + 1`` outputs and
        ``r = (n + p_lo + p_hi - d(k-1) - 1) mod s`` leftover (unread) padded rows.

    See Also
    --------
    convbp.geometry.conv_output_size, convbp.geometry.ConvGeometry.remainder

    Examples
    --------
    >>> from convbp.exercises import check_output_size
    >>> def mine(n, k, stride, padding, dilation):
    ...     span = n + sum(padding) - dilation * (k - 1) - 1
    ...     return span // stride + 1, span % stride
    >>> check_output_size(mine).passed
    True
    """
    def right(it):
        geom = _geom(it)
        return dict(O=np.array(geom.out_size[0]), r=np.array(geom.remainder[0]))

    def wrong(it):
        n, k, s, (pl, ph), d = it
        L, e1 = n + pl + ph, d * (k - 1)
        geom = _geom(it)
        O, r = geom.out_size[0], geom.remainder[0]
        pairs = {("ceil_not_floor", "ceil"): (math.ceil((L - e1 - 1) / s) + 1, r),
                 ("missing_plus_one", "no +1"): ((L - e1 - 1) // s, r),
                 ("dilation_ignored", "k"): ((L - k) // s + 1, (L - k) % s),
                 ("padding_one_side", "p_lo only"): ((n + pl - e1 - 1) // s + 1,
                                                     (n + pl - e1 - 1) % s),
                 ("padding_one_side", "2 p_lo"): ((n + 2 * pl - e1 - 1) // s + 1,
                                                  (n + 2 * pl - e1 - 1) % s),
                 ("remainder_wrong", "unpadded"): (O, (n - e1 - 1) % s),
                 ("remainder_wrong", "without -1"): (O, (L - e1) % s)}
        return {key: dict(O=np.array(a), r=np.array(b)) for key, (a, b) in pairs.items()}

    cases = _cases_from(_AXES, _axis_words, lambda it: it, right, wrong)
    return E.run("check_output_size", fn, cases, _call_positional(("O", "r")), ("O", "r"),
                 covered="strides 1-4, dilation 1-3, asymmetric padding, leftover rows 0-2",
                 raise_on_fail=raise_on_fail)


# ------------------------------------------------------------------------- 1-D

def _conv1d(x, w, padding=0):
    return conv(x[None, None], w[None, None], padding=padding)[0, 0]


def _check_1d(checker, fn, flipped, raise_on_fail):
    rng = np.random.default_rng(20261205)
    items = [(rng.standard_normal(7), rng.standard_normal(3)),
             (rng.standard_normal(5), rng.standard_normal(2)),
             (rng.standard_normal(4), rng.standard_normal(4)),
             (rng.standard_normal(6), rng.standard_normal(1))]
    orient = (lambda w: w[::-1]) if flipped else (lambda w: w)
    other = "kernel_not_flipped" if flipped else "kernel_flipped"

    def wrong(it):
        x, w = it
        right = _conv1d(x, orient(w))
        return {(other, "other operation"): dict(y=_conv1d(x, orient(w)[::-1])),
                ("full_not_valid", "full"): dict(y=_conv1d(x, orient(w), len(w) - 1)),
                ("off_by_one_length", "one short"): dict(y=right[:-1])}

    cases = _cases_from(items, lambda it: f"x of length {len(it[0])}, w of length {len(it[1])}",
                        lambda it: it, lambda it: dict(y=_conv1d(it[0], orient(it[1]))),
                        wrong, size=lambda it: it[0].size)
    return E.run(checker, fn, cases, _call_positional(("y",)), ("y",),
                 covered="kernels of length 1-4, one with k = n", raise_on_fail=raise_on_fail)


@E.documented
def check_correlate1d(fn, *, raise_on_fail=False):
    """Check a learner's 1-D valid cross-correlation ``fn(x, w) -> y``.

    Parameters
    ----------
    fn : callable
        ``fn(x, w)`` for 1-D arrays ``x`` (length n) and ``w`` (length k <= n),
        returning ``y[o] = sum_m w[m] * x[o + m]``, length ``n - k + 1``
        (``np.correlate(x, w, "valid")``).

    See Also
    --------
    convbp.conv : the same operation on ``(N, C, *spatial)`` arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.exercises import check_correlate1d
    >>> check_correlate1d(lambda x, w: np.correlate(x, w, "valid")).passed
    True
    >>> check_correlate1d(lambda x, w: np.convolve(x, w, "valid")).mistake
    'kernel_flipped'
    """
    return _check_1d("check_correlate1d", fn, False, raise_on_fail)


@E.documented
def check_convolve1d(fn, *, raise_on_fail=False):
    """Check a learner's 1-D valid convolution ``fn(x, w) -> y``.

    The same cases as :func:`check_correlate1d`, with the kernel flipped.

    Parameters
    ----------
    fn : callable
        Returning ``y[o] = sum_m w[k - 1 - m] * x[o + m]`` (``np.convolve(x, w,
        "valid")``) for 1-D arrays ``x`` and ``w`` as in :func:`check_correlate1d`.

    See Also
    --------
    convbp.flip, convbp.conv : a convolution is a correlation with the flipped kernel.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.exercises import check_convolve1d
    >>> def mine(x, w):                   # the correlation with the flipped kernel
    ...     return np.correlate(x, w[::-1], "valid")
    >>> check_convolve1d(mine).passed
    True
    >>> r = check_convolve1d(lambda x, w: np.correlate(x, w, "valid"))
    >>> r.passed, r.mistake
    (False, 'kernel_not_flipped')
    """
    return _check_1d("check_convolve1d", fn, True, raise_on_fail)
