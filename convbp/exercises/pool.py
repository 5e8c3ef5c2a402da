"""Checkers for a learner's pooling and ReLU backward passes."""

from __future__ import annotations

import functools

import numpy as np

from ..geometry import pool_geometry
from ..pool import avg_pool_backward, max_pool_backward
from . import _engine as E

__all__ = ["check_pool_backward", "check_relu_backward"]

# (N, C, (H, W), kernel_size, stride or None, integer values (ties)?)
_POOL_CASES = (
    (2, 2, (6, 7), 2, None, True),      # non-overlapping, ties, a leftover column
    (2, 2, (7, 9), 3, 2, False),        # overlapping windows, H < W
    (2, 3, (5, 4), 2, 1, True),         # overlapping windows with ties, H > W
)


def _loop_pool_backward(dy, x, k, step, kind, rule="first", accumulate=True,
                        whole_window=True, divisor=None):
    """Pooling backward written as loops, with one choice changed.

    ``step``: where window ``o`` starts (``step * o``; windows are cut at the edge);
    ``rule``: which maxima get the gradient (``first``, ``last``, ``all``);
    ``accumulate=False``: ``=`` instead of ``+=`` (``whole_window``: the whole window
    is assigned, zeros included, else only the chosen cells); ``divisor``: for average
    pooling, what ``dy`` is divided by (default ``k*k``).
    """
    dx = np.zeros(x.shape)
    n, c, oh, ow = dy.shape
    div = k * k if divisor is None else divisor
    for i in range(n):
        for j in range(c):
            for a in range(oh):
                for b in range(ow):
                    win = (i, j, slice(step * a, step * a + k), slice(step * b, step * b + k))
                    xs = x[win]
                    if xs.size == 0:            # a window past the end: nothing to add
                        continue
                    if kind == "avg":
                        share = np.full(xs.shape, dy[i, j, a, b] / div)
                    else:
                        mask = xs == xs.max()
                        if rule != "all":
                            flat = np.flatnonzero(mask)
                            mask = np.zeros_like(mask)
                            mask.flat[flat[0] if rule == "first" else flat[-1]] = True
                        share = mask * dy[i, j, a, b]
                    if accumulate:
                        dx[win] += share
                    elif whole_window:
                        dx[win] = share
                    else:
                        sel = share != 0 if kind == "max" else np.ones(share.shape, bool)
                        dx[win][sel] = share[sel]
    return dx


@functools.lru_cache(maxsize=2)
def _pool_cases(kind):
    rng = np.random.default_rng(20261201)
    cases = []
    for n, c, hw, k, s, ties in _POOL_CASES:
        x = (rng.integers(0, 3, (n, c, *hw)).astype(np.float64) if ties
             else rng.standard_normal((n, c, *hw)))
        geom = pool_geometry("check", hw, k, s)
        dy = rng.standard_normal((n, c, *geom.out_size))
        step = k if s is None else s
        right = (max_pool_backward if kind == "max" else avg_pool_backward)(dy, x, k, s)
        L = lambda **kw: _loop_pool_backward(dy, x, k, kw.pop("step", step), kind, **kw)  # noqa
        wrong = {("overwrite_not_accumulate", "window"): L(accumulate=False),
                 ("overwrite_not_accumulate", "cells"): L(accumulate=False,
                                                                 whole_window=False),
                 ("stride_ignored", "s = k"): L(step=k),
                 ("stride_ignored", "s = 1"): L(step=1 if s is None else s)}
        alt = []
        if kind == "max":
            wrong["max_all_ties", "all"] = L(rule="all")
            alt.append(dict(dx=L(rule="last")))     # the last maximum is as good a choice
        else:
            wrong["avg_wrong_count", "divided by k"] = L(divisor=k)
            wrong["avg_wrong_count", "not divided"] = L(divisor=1)
        words = (f"x {x.shape} (N, C, H, W)" + (" with ties" if ties else "")
                 + f", kernel_size {k}, stride {s}"
                 + (" (overlapping windows)" if s and s < k else "")
                 + f" -> dy {dy.shape}")
        cases.append(E.Case(words, x.size, (dy, x), dict(kernel_size=k, stride=s),
                            dict(dx=right), {key: dict(dx=v) for key, v in wrong.items()},
                            alt_right=alt))
    return cases


def _call_pool(fn, case):
    dy, x = E.copy_args(case.args)
    k, s = case.kwargs["kernel_size"], case.kwargs["stride"]
    out = fn(dy, x, k) if s is None else fn(dy, x, k, stride=s)
    return E.unpack_tuple(out, ("dx",), E.fn_name(fn))


@E.documented
def check_pool_backward(fn, *, kind="max", raise_on_fail=False):
    """Check a learner's 2-D max- or average-pooling backward pass; name the mistake.

    Parameters
    ----------
    fn : callable
        ``fn(dy, x, kernel_size, stride=None)`` returning ``dx`` of ``x``'s shape, the
        gradient of ``max_pool(x, kernel_size, stride)`` (or ``avg_pool``), no padding.
        ``x`` (N, C, H, W), ``dy`` (N, C, H_out, W_out); ``kernel_size`` and
        ``stride`` are ints, ``stride=None`` means ``stride = kernel_size``. It is
        called as ``fn(dy, x, k)`` and as ``fn(dy, x, k, stride=s)``.
        Max pooling: each window's gradient goes to ONE maximal cell; the first in
        row-major order (PyTorch's and ``np.argmax``'s choice) and the last are both
        accepted.
    kind : {"max", "avg"}

    See Also
    --------
    convbp.max_pool_backward, convbp.avg_pool_backward : the right answers.

    Notes
    -----
    Derived in :ref:`pooling-activations`. The cases have overlapping windows (where
    ``=`` instead of ``+=`` shows) and integer inputs with tied maxima. The mistake
    ``max_all_ties`` is named with ``kind="max"`` only, ``avg_wrong_count`` with
    ``kind="avg"`` only.

    Examples
    --------
    >>> import numpy as np, convbp
    >>> from convbp.exercises import check_pool_backward
    >>> check_pool_backward(convbp.avg_pool_backward, kind="avg").passed
    True
    >>> def all_ties(dy, x, kernel_size, stride=None):
    ...     s = stride or kernel_size
    ...     dx = np.zeros_like(x)
    ...     for i in range(dy.shape[2]):
    ...         for j in range(dy.shape[3]):
    ...             win = (..., slice(i*s, i*s + kernel_size),
    ...                    slice(j*s, j*s + kernel_size))
    ...             m = x[win].max(axis=(2, 3), keepdims=True)
    ...             dx[win] += (x[win] == m) * dy[:, :, i:i+1, j:j+1]
    ...     return dx
    >>> check_pool_backward(all_ties, kind="max").mistake
    'max_all_ties'
    """
    checker = "check_pool_backward"
    if kind not in ("max", "avg"):
        raise ValueError(f"{checker}: kind must be 'max' or 'avg', got {kind!r}")
    cases = list(_pool_cases(kind))
    return E.run(checker, fn, cases, _call_pool, ("dx",),
                 covered=f"{kind} pooling; stride None, 1 and 2; overlapping windows"
                 + ("; tied maxima" if kind == "max" else "") + "; a leftover column",
                 raise_on_fail=raise_on_fail)


# ------------------------------------------------------------------------- ReLU

def _relu_cases():
    rng = np.random.default_rng(20261202)
    cases = []
    for shape in ((2, 3, 4, 5), (9,)):
        x = rng.standard_normal(shape)
        x.flat[::4] = 0.0                               # exact zeros: the kink
        dy = rng.standard_normal(shape)
        wrong = {("mask_from_gradient", "dy > 0"): dy * (dy > 0),
                 ("gradient_at_zero", "x >= 0"): dy * (x >= 0),
                 ("mask_not_multiplied", "mask"): (x > 0).astype(float)}
        cases.append(E.Case(f"x and dy of shape {shape}, a quarter of x exactly 0", x.size,
                            (dy, x), {}, dict(dx=dy * (x > 0)),
                            {key: dict(dx=v) for key, v in wrong.items()}))
    return cases


def _call_relu(fn, case):
    dy, x = E.copy_args(case.args)
    return E.unpack_tuple(fn(dy, x), ("dx",), E.fn_name(fn))


@E.documented
def check_relu_backward(fn, *, raise_on_fail=False):
    """Check a learner's ReLU backward pass ``fn(dy, x) -> dx``.

    Parameters
    ----------
    fn : callable
        ``fn(dy, x)`` returning ``dx = dy * (x > 0)`` for ``y = max(x, 0)``; arrays of any
        shape (tested with (N, C, H, W) and 1-D). At ``x = 0`` the derivative is taken
        as 0, as in PyTorch.

    See Also
    --------
    convbp.nn.ReLU : the layer, whose ``backward`` is the right answer.

    Examples
    --------
    >>> from convbp.exercises import check_relu_backward
    >>> check_relu_backward(lambda dy, x: dy * (x > 0)).passed
    True
    >>> r = check_relu_backward(lambda dy, x: dy * (dy > 0))     # the mask of dy
    >>> r.passed, r.mistake
    (False, 'mask_from_gradient')
    """
    checker = "check_relu_backward"
    return E.run(checker, fn, _relu_cases(), _call_relu, ("dx",),
                 covered="4-D and 1-D arrays with exact zeros", raise_on_fail=raise_on_fail)
