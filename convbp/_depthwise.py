r"""Depthwise convolution (one input channel per group): per-tap multiply-adds on flat rows.

With ``C_in / groups = 1`` a column matrix would contract over the ``prod(kernel)`` taps
only, far too short for a matrix product to pay off. Instead each tap ``m`` is one
broadcast multiply-add (:ref:`channels-groups` introduces groups; the index form is that
of :mod:`convbp.geometry`; the choice of this path is described in
:mod:`convbp.convolution`)::

    y [n, g*M + i, o]       = sum_m  w[g*M + i, 0, m] * x_pad[n, g, s*o + d*m]
    dx_pad[n, g, s*o + d*m] += sum_i dy[n, g*M + i, o] * w[g*M + i, 0, m]
    dw[g*M + i, 0, m]       = sum_{n,o} dy[n, g*M + i, o] * x_pad[n, g, s*o + d*m]

where ``M = C_out / groups`` is the channel multiplier. (For 2-D layers with short
output rows, :func:`convbp._banded.banded`, the forward pass is computed differently, as
matrix products with a banded kernel matrix, :mod:`convbp._banded`, and the weight
gradient as dot products over whole blocks of samples, :func:`weight_grad`.) NumPy runs
such loops fast only along long contiguous rows, and the rows of an image are short (14
values on 14x14). So every spatial axis is first split into its ``s`` stride phases (row
``s*u + rho`` of the padded input goes to phase ``rho``, row ``u``; each phase is ``P =
ceil(padded / s)`` rows long), which turns each tap into a shift ``q = (d*m) // s``
within phase ``rho = (d*m) % s``; and the outputs are laid on the grid of the phases
(output ``o`` at flat position ``o_1 P_2 ... + o_2 ...``). A tap is then one run of the
flattened phase, read (forward, ``dw``) or added to (``dx``) in one long row per sample
and channel. The grid's extra positions of ``y`` are dropped at the end; those of ``dy``
are zero, so they add nothing. (At stride > 1 the input gradient adds to strided windows
instead: splitting ``dx`` into phases and merging them back costs more.) Blocks of
samples are shared out among the cores (:func:`convbp._threads.run_blocks`); NumPy
releases the GIL in these loops.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._banded import banded
from ._fastconv import _plan
from ._threads import run_blocks
from .padding import fill

__all__ = ["forward", "input_grad", "weight_grad"]

# One multiply-add of these broadcast loops costs about as much as this many operations
# of a matrix product: the weight of their work against convbp._threads.SERIAL_COST, so
# that depthwise layers of a few MFLOP already run on every core (measured: a 3x3
# stride-2 layer of 3.6 MFLOP 4.7 ms on one thread, 3.3 ms on two).
ELEMENTWISE_COST = 16


class _Grid(NamedTuple):
    """The stride-phase grid of a geometry (see the module docstring)."""

    size: tuple          # P per dimension: rows of each phase
    phases: int          # prod(stride)
    flat: int            # prod(P): length of one flattened phase
    rows: int            # the grid of the outputs: out[0] * prod(P[1:]) positions
    length: int          # positions up to the last output, the length of every run
    taps: tuple          # per tap (row-major): (phase index, offset of its run)


def _grid(geom) -> _Grid:
    size = tuple(-(-p // s) for p, s in zip(geom.padded_size, geom.stride))
    place = [math.prod(size[i + 1:]) for i in range(len(size))]
    taps = []
    for tap in np.ndindex(*geom.kernel_size):
        shift = [d * m for d, m in zip(geom.dilation, tap)]
        phase = int(np.ravel_multi_index([v % s for v, s in zip(shift, geom.stride)],
                                         geom.stride))
        taps.append((phase, sum(v // s * p for v, s, p in zip(shift, geom.stride, place))))
    length = sum((o - 1) * p for o, p in zip(geom.out_size, place)) + 1
    return _Grid(size, math.prod(geom.stride), math.prod(size),
                 geom.out_size[0] * place[0], length, tuple(taps))


def _phase_split(x, geom, grid: _Grid, buf, channel_major: bool = False) -> np.ndarray:
    """``x`` ``(m, G, *in)`` zero-padded and split into its stride phases, in the front of
    ``buf``: ``(m, G, prod(stride), prod(P))``, or with ``channel_major``
    ``(G, prod(stride), m * prod(P))`` (the samples of the block end to end). At stride
    > 1 the padded ``x`` goes into ``buf`` after the phases (:func:`_x_length`)."""
    m, groups = x.shape[:2]
    ext = tuple(p * s for p, s in zip(grid.size, geom.stride))       # padded, rounded up
    pads = tuple((lo, e - n - lo) for (lo, _hi), e, n in zip(geom.padding, ext, x.shape[2:]))
    nd = len(ext)
    axes = tuple(range(2, 2 + nd))
    lead = (groups, m) if channel_major else (m, groups)
    src = x.swapaxes(0, 1) if channel_major else x
    size = m * groups * grid.phases * grid.flat
    if grid.phases == 1:
        out = fill(src, pads, axes, buf[:size].reshape(*lead, *ext))
    else:
        padded = fill(src, pads, axes, buf[size:2 * size].reshape(*lead, *ext))
        split = padded.reshape(*lead, *(v for p, s in zip(grid.size, geom.stride)
                                         for v in (p, s)))
        odd, even = range(3, 3 + 2 * nd, 2), range(2, 2 + 2 * nd, 2)
        if channel_major:      # (G, *stride, m, *P)
            out = buf[:size].reshape(groups, *geom.stride, m, *grid.size)
            np.copyto(out, split.transpose(0, *odd, 1, *even))
        else:                  # (m, G, *stride, *P)
            out = buf[:size].reshape(m, groups, *geom.stride, *grid.size)
            np.copyto(out, split.transpose(0, 1, *odd, *even))
    if channel_major:
        return out.reshape(groups, grid.phases, m * grid.flat)
    return out.reshape(m, groups, grid.phases, grid.flat)


def _x_length(grid: _Grid) -> int:
    """Values of ``buf`` per sample and channel that :func:`_phase_split` uses: the
    phases, and at stride > 1 the padded ``x`` besides."""
    return (1 + (grid.phases > 1)) * grid.phases * grid.flat


def _phase_merge(dxph, geom, grid: _Grid, dx) -> None:
    """Inverse of :func:`_phase_split`: the phases ``(m, G, prod(stride), prod(P))``
    merged, cropped to the input and written into ``dx`` ``(m, G, *in)``."""
    m, groups = dxph.shape[:2]
    nd = len(grid.size)
    split = dxph.reshape(m, groups, *geom.stride, *grid.size)
    order = (0, 1, *(a for i in range(nd) for a in (2 + nd + i, 2 + i)))
    merged = split.transpose(order).reshape(m, groups, *(p * s for p, s in
                                                         zip(grid.size, geom.stride)))
    crop = tuple(slice(lo, lo + n) for (lo, _hi), n in zip(geom.padding, geom.in_size))
    np.copyto(dx, merged[(slice(None), slice(None), *crop)])


def _on_grid(a, geom, grid: _Grid):
    """View ``a`` ``(..., grid.rows)`` as ``(..., *out[:1], *P[1:])`` cropped to ``out``."""
    shaped = a.reshape(*a.shape[:-1], geom.out_size[0], *grid.size[1:])
    return shaped[(Ellipsis, slice(None), *(slice(0, o) for o in geom.out_size[1:]))]


def forward(x, w, geom, dtype, budget=None) -> np.ndarray:
    """Convolution with one input channel per group (``w`` is ``(G*M, 1, *k)``).

    ``y[n, g*M + i, o] = sum_m w[g*M + i, 0, m] * x_pad[n, g, s*o + d*m]``: one broadcast
    multiply-add per tap ``m``, each a run of the flattened stride phase of ``x`` (module
    docstring), over blocks of samples shared out among the threads.
    """
    n, groups = x.shape[:2]
    mult = w.shape[0] // groups
    grid = _grid(geom)
    wk = w.reshape(groups, mult, -1).astype(dtype, copy=False)
    y = np.empty((n, groups, mult, *geom.out_size), dtype=dtype)
    cost = ELEMENTWISE_COST * 2 * y.size * math.prod(geom.kernel_size)
    per_sample = 2 * groups * mult * grid.rows * dtype.itemsize
    plan = _plan(n, (1,), per_sample, x.nbytes + y.nbytes, budget, cost=cost)
    largest = max(nb.stop - nb.start for nb, _ in plan)
    size = grid.length

    def scratch():
        return (np.empty(largest * groups * _x_length(grid), dtype=dtype),
                np.empty((largest, groups, mult, grid.rows), dtype=dtype),
                np.empty((largest, groups, mult, size), dtype=dtype))

    def work(block, bufs):
        nb, _ = block
        xph = _phase_split(x[nb], geom, grid, bufs[0])
        m = xph.shape[0]
        acc, tmp = bufs[1][:m], bufs[2][:m]
        for t, (phase, off) in enumerate(grid.taps):
            run = xph[:, :, None, phase, off:off + size]                  # (m, G, 1, L)
            coef = wk[:, :, t, None]                                      # (G, M, 1)
            if t == 0:
                np.multiply(run, coef, out=acc[..., :size])
            else:
                np.multiply(run, coef, out=tmp)
                acc[..., :size] += tmp
        np.copyto(y[nb], _on_grid(acc, geom, grid))

    run_blocks(plan, work, scratch, cost=cost)
    return y.reshape(n, groups * mult, *geom.out_size)


def _dy_on_grid(dy_block, geom, grid: _Grid, buf) -> np.ndarray:
    """``dy`` ``(m, G, M, *out)`` laid on the output grid, zeros between:
    ``(m, G, M, rows)``."""
    m, groups, mult = dy_block.shape[:3]
    nd = len(grid.size)
    out = buf[: m * groups * mult * grid.rows].reshape(m, groups, mult, geom.out_size[0],
                                                      *grid.size[1:])
    pads = ((0, 0),) + tuple((0, p - o) for p, o in zip(grid.size[1:], geom.out_size[1:]))
    fill(dy_block, pads, tuple(range(3, 3 + nd)), out)
    return out.reshape(m, groups, mult, grid.rows)


def input_grad(dy, w, geom, groups: int, dtype, budget=None) -> np.ndarray:
    """Input gradient of :func:`forward`, shape ``(N, G, *geom.in_size)``.

    ``dx_pad[n, g, s*o + d*m] += sum_i dy[n, g*M + i, o] * w[g*M + i, 0, m]``: per tap,
    one broadcast product (summed over the ``M`` outputs of the group) added to a run of
    the flattened ``dx`` (module docstring; at stride > 1, to its strided window:
    :func:`_input_grad_strided`); blocks of samples shared out among the threads.
    """
    n, c_out = dy.shape[:2]
    mult = c_out // groups
    dyg = dy.reshape(n, groups, mult, *geom.out_size).astype(dtype, copy=False)
    wk = w.reshape(groups, mult, -1).astype(dtype, copy=False)
    cost = ELEMENTWISE_COST * 2 * dyg.size * math.prod(geom.kernel_size)
    if any(s > 1 for s in geom.stride):
        return _input_grad_strided(dyg, wk, geom, dtype, cost, budget)
    grid = _grid(geom)
    w_rows = np.ascontiguousarray(wk.transpose(2, 0, 1)[:, :, None, :])   # (T, G, 1, M)
    dx = np.empty((n, groups, *geom.in_size), dtype=dtype)
    per_sample = 2 * groups * mult * grid.rows * dtype.itemsize
    plan = _plan(n, (1,), per_sample, dyg.nbytes + dx.nbytes, budget, cost=cost)
    largest = max(nb.stop - nb.start for nb, _ in plan)
    size = grid.length

    def scratch():
        return (np.empty(largest * groups * mult * grid.rows, dtype=dtype),
                np.empty((largest, groups, grid.phases, grid.flat), dtype=dtype),
                np.empty((largest, groups, 1, size), dtype=dtype))

    def work(block, bufs):
        nb, _ = block
        d = _dy_on_grid(dyg[nb], geom, grid, bufs[0])[..., :size]          # (m, G, M, L)
        m = d.shape[0]
        dxph, t_buf = bufs[1][:m], bufs[2][:m]
        dxph[...] = 0
        for t, (phase, off) in enumerate(grid.taps):
            if mult == 1:
                np.multiply(d, wk[:, :, t, None], out=t_buf)
            else:
                np.matmul(w_rows[t], d, out=t_buf)                        # (m, G, 1, L)
            dxph[:, :, phase, off:off + size] += t_buf[:, :, 0]
        _phase_merge(dxph, geom, grid, dx[nb])

    run_blocks(plan, work, scratch, cost=cost)
    return dx


def _input_grad_strided(dyg, wk, geom, dtype, cost, budget) -> np.ndarray:
    """:func:`input_grad` at stride > 1: each tap's product added straight into its
    strided window of the padded ``dx`` (splitting ``dx`` into its stride phases and
    merging them back costs more than the short rows save: measured 9.0 -> 5.1 ms on
    a 3x3 stride-2 layer, 32 channels on 28x28)."""
    n, groups, mult = dyg.shape[:3]
    dxp = np.zeros((n, groups, *geom.padded_size), dtype=dtype)
    plan = _plan(n, (1,), 2 * dyg[0].nbytes, dyg.nbytes + dxp.nbytes, budget, cost=cost,
                 share=4)                  # dxp and its cropped copy are alive together
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

    Short rows (the shape rule :func:`convbp._banded.banded`): per block of samples,
    ``x`` split into its stride phases and ``dy`` laid on the phases' grid (zeros
    between the outputs), both channel-major with the samples end to end
    (``(G, ., m * prod(P))``); tap ``m`` is then one dot product per channel and output,
    ``dy[g, i] . x[g, phase, f_m:]`` over the whole block (a batched matrix-vector
    product, at BLAS speed), whose shifted run stays inside each sample wherever ``dy``
    is not zero. Long rows: per tap and block, one ``einsum`` of ``dy`` on each sample's
    output grid with a run of the flattened stride phase of ``x`` (module docstring),
    faster there. Measured (interleaved runs, whole ``conv_backward``, block form
    against ``einsum``): 3x3 stride 2 on 28x28, 32 channels 10.4 -> 9.0 ms; 5x5 on
    14x14, 64 channels 22.4 -> 20.2 ms; 3x3 on 56x56, 128 channels 45.1 -> 51.0 ms
    (hence the rule). Each thread sums its blocks; the threads' sums are added in order.
    """
    whole_blocks = banded(geom)
    n, groups = x.shape[:2]
    mult = w_shape[0] // groups
    grid = _grid(geom)
    nd = geom.ndim
    dyg = dy.reshape(n, groups, mult, *geom.out_size).astype(dtype, copy=False)
    taps = math.prod(geom.kernel_size)
    cost = ELEMENTWISE_COST * 2 * dyg.size * taps
    # the buffers of a sample: x in phases (twice at stride > 1: padded, then split) and
    # dy on the phases' grid (whole blocks) or on the outputs' grid (per sample)
    x_len = _x_length(grid)
    dy_len = mult * (grid.flat if whole_blocks else grid.rows)
    plan = _plan(n, (1,), groups * (x_len + dy_len) * dtype.itemsize,
                 x.nbytes + dyg.nbytes, budget, cost=cost)
    largest = max(nb.stop - nb.start for nb, _ in plan)
    tails = tuple((0, p - o) for p, o in zip(grid.size, geom.out_size))

    def scratch():
        return (np.zeros((groups, mult, taps), dtype=dtype),
                np.empty(largest * groups * x_len, dtype=dtype),
                np.empty(largest * groups * dy_len, dtype=dtype),
                np.empty((groups, mult, 1), dtype=dtype))

    def work(block, bufs):
        nb, _ = block
        dw, x_buf, dy_buf, part = bufs
        if not whole_blocks:
            xph = _phase_split(x[nb], geom, grid, x_buf)
            d = _dy_on_grid(dyg[nb], geom, grid, dy_buf)[..., :grid.length]    # (m, G, M, L)
            for t, (phase, off) in enumerate(grid.taps):
                dw[:, :, t] += np.einsum("ngil,ngl->gi", d,
                                         xph[:, :, phase, off:off + grid.length])
            return
        m = nb.stop - nb.start
        length = m * grid.flat
        xph = _phase_split(x[nb], geom, grid, x_buf, channel_major=True)   # (G, phases, L)
        d = fill(dyg[nb].transpose(1, 2, 0, *range(3, 3 + nd)), tails, tuple(range(3, 3 + nd)),
                 dy_buf[: groups * mult * length].reshape(groups, mult, m, *grid.size))
        d = d.reshape(groups, mult, length)
        for t, (phase, off) in enumerate(grid.taps):
            np.matmul(d[:, :, :length - off], xph[:, phase, off:, None], out=part)
            dw[:, :, t] += part[:, :, 0]

    shares = run_blocks(plan, work, scratch, cost=cost)
    dw = shares[0][0]
    for share in shares[1:]:
        dw += share[0]
    return dw.reshape(w_shape)
