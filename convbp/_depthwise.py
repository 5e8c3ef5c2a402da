r"""Depthwise convolution (one input channel per group): per-tap multiply-adds.

With ``C_in / groups = 1`` a column matrix would contract over the ``prod(kernel)`` taps
only, far too short for a matrix product to pay off. Instead each tap ``m`` is one
broadcast multiply-add over a block of samples, in the channels-first layout
(:ref:`channels-groups` introduces groups; the index form is that of
:mod:`convbp.geometry`; the choice of this path is described in
:mod:`convbp.convolution`)::

    y [n, g*M + i, o]       = sum_m  w[g*M + i, 0, m] * x_pad[n, g, s*o + d*m]
    dx_pad[n, g, s*o + d*m] += sum_i dy[n, g*M + i, o] * w[g*M + i, 0, m]
    dw[g*M + i, 0, m]       = sum_{n,o} dy[n, g*M + i, o] * x_pad[n, g, s*o + d*m]

where ``M = C_out / groups`` is the channel multiplier. Blocks of samples are shared
out among the cores (:func:`convbp._threads.run_blocks`); NumPy releases the GIL in
these loops.
"""

from __future__ import annotations

import math

import numpy as np

from ._fastconv import _plan
from ._threads import run_blocks
from .padding import pad_or_crop

__all__ = ["forward", "input_grad", "weight_grad"]


def forward(x, w, geom, dtype, budget=None) -> np.ndarray:
    """Convolution with one input channel per group (``w`` is ``(G*M, 1, *k)``).

    ``y[n, g*M + i, o] = sum_m w[g*M + i, 0, m] * x_pad[n, g, s*o + d*m]``: one broadcast
    multiply-add per tap ``m`` (a GEMM would contract over ``prod(k)`` values only),
    over blocks of samples small enough to stay in cache, shared out among the threads.
    """
    n, groups = x.shape[:2]
    mult = w.shape[0] // groups
    xp = pad_or_crop(x, geom.padding, dtype=dtype)
    wk = w.reshape(groups, mult, -1).astype(dtype, copy=False)
    y = np.empty((n, groups, mult, *geom.out_size), dtype=dtype)
    cost = 2 * y.size * math.prod(geom.kernel_size)
    plan = _plan(n, (1,), 2 * y[0].nbytes, xp.nbytes + y.nbytes, budget, cost=cost)
    spatial = (None,) * geom.ndim

    def work(block, tmp):
        nb, _ = block
        out, t = y[nb], tmp[: y[nb].shape[0]]
        for tap_index, tap in enumerate(np.ndindex(*geom.kernel_size)):
            coef = wk[(slice(None), slice(None), tap_index, *spatial)]       # (G, M, 1...)
            win = xp[(nb, slice(None), *geom.window(tap))][:, :, None]      # (m, G, 1, *o)
            if tap_index == 0:
                np.multiply(win, coef, out=out)
            else:
                np.multiply(win, coef, out=t)
                out += t

    largest = max(nb.stop - nb.start for nb, _ in plan)
    run_blocks(plan, work, lambda: np.empty_like(y[:largest]), cost=cost)
    return y.reshape(n, groups * mult, *geom.out_size)


def input_grad(dy, w, geom, groups: int, dtype, budget=None) -> np.ndarray:
    """Input gradient of :func:`forward`, shape ``(N, G, *geom.in_size)``.

    ``dx_pad[n, g, s*o + d*m] += sum_i dy[n, g*M + i, o] * w[g*M + i, 0, m]``: per tap,
    one broadcast product (summed over the ``M`` outputs of the group) added into the
    strided window of the padded ``dx``; blocks of samples shared out among the threads.
    """
    n, c_out = dy.shape[:2]
    mult = c_out // groups
    dyg = dy.reshape(n, groups, mult, *geom.out_size).astype(dtype, copy=False)
    wk = w.reshape(groups, mult, -1).astype(dtype, copy=False)
    dxp = np.zeros((n, groups, *geom.padded_size), dtype=dtype)
    cost = 2 * dyg.size * math.prod(geom.kernel_size)
    plan = _plan(n, (1,), 2 * dyg[0].nbytes, dyg.nbytes + dxp.nbytes, budget, cost=cost)
    sp = "abcdefhjkl"[: geom.ndim]                               # the spatial axes

    def work(block, tmp):
        nb, _ = block
        d, t = dyg[nb], tmp[: dyg[nb].shape[0]]
        for tap_index, tap in enumerate(np.ndindex(*geom.kernel_size)):
            if mult == 1:
                np.multiply(d[:, :, 0], wk[(slice(None), 0, tap_index, *(None,) * geom.ndim)],
                            out=t)
            else:
                np.einsum(f"ngi{sp},gi->ng{sp}", d, wk[:, :, tap_index], out=t)
            dxp[(nb, slice(None), *geom.window(tap))] += t

    largest = max(nb.stop - nb.start for nb, _ in plan)
    run_blocks(plan, work, lambda: np.empty((largest, groups, *geom.out_size), dtype=dtype),
               cost=cost)
    if all(p == (0, 0) for p in geom.padding):
        return dxp
    return np.ascontiguousarray(dxp[(slice(None), slice(None), *geom.unpadded())])


def weight_grad(dy, x, w_shape, geom, dtype, budget=None) -> np.ndarray:
    """``dw[g*M + i, 0, m] = sum_{n,o} dy[n, g*M + i, o] * x_pad[n, g, s*o + d*m]``.

    One contraction per tap and block of samples; each thread sums its blocks, and the
    threads' sums are added in order.
    """
    n, groups = x.shape[:2]
    mult = w_shape[0] // groups
    xp = pad_or_crop(x, geom.padding, dtype=dtype)
    dyg = dy.reshape(n, groups, mult, *geom.out_size).astype(dtype, copy=False)
    taps = math.prod(geom.kernel_size)
    cost = 2 * dyg.size * taps
    plan = _plan(n, (1,), 2 * dyg[0].nbytes, xp.nbytes + dyg.nbytes, budget, cost=cost)
    sp = "abcdefhjkl"[: geom.ndim]                               # the spatial axes

    def work(block, dw):
        nb, _ = block
        for tap_index, tap in enumerate(np.ndindex(*geom.kernel_size)):
            win = xp[(nb, slice(None), *geom.window(tap))]
            dw[:, :, tap_index] += np.einsum(f"ngi{sp},ng{sp}->gi", dyg[nb], win)

    shares = run_blocks(plan, work, lambda: np.zeros((groups, mult, taps), dtype=dtype),
                        cost=cost)
    dw = shares[0]
    for share in shares[1:]:
        dw += share
    return dw.reshape(w_shape)
