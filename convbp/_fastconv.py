r"""Kernels of the fast convolution: im2col windows, blocked matrix products, col2im.

The fast-path design (which path runs when, and why) is described once, in
:mod:`convbp.convolution`; this module holds the array machinery it uses. Every
convolution-like sum reads, for each output position ``o`` and kernel tap ``j``, one
channel vector of a channels-last source array ``a`` at ::

    a[n, start + step*o + tap_step*j, g*C_b + c]          (per spatial dimension)

and contracts the taps ``j`` and the channels ``c`` of group ``g`` against a small
matrix. :func:`windows` is that read as one strided view, :func:`correlate` and
:func:`weight_grad` copy it block by block into a column buffer of at most
:data:`CHUNK_BYTES` per thread, and :func:`scatter` is col2im.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._threads import COPY_COST, run_blocks, workers
from .padding import fill

# Bytes of one block of the column buffer. Big enough for matrix products that run near
# BLAS peak, small enough to stay in cache and to bound the extra memory.
CHUNK_BYTES = 2 << 20

# Smallest block budget, whatever the operands' size: below it the per-block Python
# work (a dozen NumPy calls) costs more than the copies and products of the block.
MIN_CHUNK_BYTES = 64 << 10

# Smallest strided add of col2im (elements per tap and block) worth a second thread.
SCATTER_ADD_ELEMENTS = 8192


# --------------------------------------------------------------------------- layout

def pad_channels_last(a: np.ndarray, pads, dtype) -> np.ndarray:
    """``(N, C, *S)`` -> ``(N, *(lo + S + hi), C)`` of ``dtype``, zero borders, one copy.

    :func:`convbp.padding.fill` (the copy of :func:`convbp.padding.pad_or_crop`) of the
    channels-last view, each thread writing its share of the batch.
    """
    n, c, *size = a.shape
    out = np.empty((n, *(lo + s + hi for s, (lo, hi) in zip(size, pads)), c), dtype=dtype)
    src = a.transpose(0, *range(2, a.ndim), 1)
    axes = tuple(range(1, a.ndim - 1))
    _fill_shares(src, pads, axes, out)
    return out


def pad_channels_first(a: np.ndarray, pads, dtype) -> np.ndarray:
    """``(N, C, *S)`` -> ``(N, C, *(lo + S + hi))`` of ``dtype``, zero borders: ``a`` itself
    when there is nothing to pad or convert, else one copy (each thread its samples)."""
    if all(p == (0, 0) for p in pads) and a.dtype == dtype:
        return a
    n, c, *size = a.shape
    out = np.empty((n, c, *(lo + s + hi for s, (lo, hi) in zip(size, pads))), dtype=dtype)
    _fill_shares(a, pads, tuple(range(2, a.ndim)), out)
    return out


def _fill_shares(src: np.ndarray, pads, axes, out: np.ndarray) -> None:
    """:func:`convbp.padding.fill` of ``src`` into ``out``, a share of the batch per
    thread (small copies in the calling thread)."""
    cost = COPY_COST * src.nbytes
    if workers(cost) == 1:
        fill(src, pads, axes, out)
        return
    run_blocks(_shares(src.shape[0], cost), lambda nb, _: fill(src[nb], pads, axes, out[nb]),
               lambda: None, cost=cost)


def _shares(n: int, cost=None) -> list:
    """``range(n)`` in one contiguous slice per thread (:func:`convbp._threads.workers`)."""
    parts = max(1, min(n, workers(cost)))
    return [slice(n * i // parts, n * (i + 1) // parts) for i in range(parts)]


def windows(a: np.ndarray, start, step, count, taps, tap_step, groups: int) -> np.ndarray:
    """Read-only strided view ``V`` of the channels-last array ``a`` (no copy).

    ``V[g, n, *o, *j, c] = a[n, *(start + step*o + tap_step*j), g*C_b + c]`` with
    ``0 <= o < count`` and ``0 <= j < taps`` per spatial dimension and ``C_b = C / groups``;
    shape ``(groups, N, *count, *taps, C_b)``. Copied, a block of it is the column matrix
    of each group, ``(positions, taps * C_b)``, one group after the other.
    """
    n, *size, c = a.shape
    _check_reach(start, step, count, taps, tap_step, size)
    s_n, *s_sp, s_c = a.strides
    c_b = c // groups
    shape = (groups, n, *count, *taps, c_b)
    strides = (c_b * s_c, s_n, *(sp * s for sp, s in zip(step, s_sp)),
               *(ts * s for ts, s in zip(tap_step, s_sp)), s_c)
    return _view(a, start, 1, shape, strides)


def _check_reach(start, step, count, taps, tap_step, size) -> None:
    """Refuse windows ``start + step*o + tap_step*j`` that would read outside ``[0, size)``
    (an internal error: the callers derive them from a checked geometry)."""
    for st, sp, o, t, ts, sz in zip(start, step, count, taps, tap_step, size):
        if not (o > 0 and t > 0 and st >= 0 and st + sp * (o - 1) + ts * (t - 1) < sz):
            raise RuntimeError(f"convbp internal error: window {st}+{sp}*o+{ts}*j reads outside "
                               f"[0, {sz}) for o < {o}, j < {t}")


def _view(a: np.ndarray, start, first: int, shape, strides) -> np.ndarray:
    """Read-only view of ``a`` from index ``start`` of its axes ``first, first+1, ...``
    (the other axes from 0), of ``shape`` and byte ``strides`` (the caller checked the
    bounds). A contiguous ``a`` lends its buffer to ``np.ndarray`` directly: ten times
    cheaper than ``as_strided`` (0.6 against 5.5 us a call; small layers make dozens)."""
    if a.flags.c_contiguous:
        offset = sum(st * s for st, s in zip(start, a.strides[first:]))
        view = np.ndarray(shape, a.dtype, a, offset, strides)
        view.flags.writeable = False
        return view
    base = a[(slice(None),) * first + tuple(slice(st, None) for st in start)]
    return as_strided(base, shape, strides, writeable=False)


def windows_cf(a: np.ndarray, start, step, count, taps, tap_step, groups: int) -> np.ndarray:
    """The channels-first counterpart of :func:`windows` (no copy).

    ``W[g, c, *j, n, *o] = a[n, g*C_b + c, *(start + step*o + tap_step*j)]`` for the
    channels-first ``a`` ``(N, C, *S)``; shape ``(groups, C_b, *taps, N, *count)``.
    Copied, a block of it is the transposed column matrix of each group,
    ``(C_b * taps, positions)``, whose rows are runs along the last output dimension
    (Caffe's im2col): long runs where the channels-last columns would copy runs of a
    few channels.
    """
    n, c, *size = a.shape
    _check_reach(start, step, count, taps, tap_step, size)
    s_n, s_c, *s_sp = a.strides
    c_b = c // groups
    shape = (groups, c_b, *taps, n, *count)
    strides = (c_b * s_c, s_c, *(ts * s for ts, s in zip(tap_step, s_sp)), s_n,
               *(sp * s for sp, s in zip(step, s_sp)))
    return _view(a, start, 2, shape, strides)


def channels_first(c_b: int, groups: int, step, count, taps, tap_step) -> bool:
    """Shape rule: copy the columns channels-first (:func:`windows_cf`) rather than
    channels-last (:func:`windows`)?

    The cost of an im2col copy is set by the length of its contiguous runs. Channels-last
    columns copy runs of ``C_b`` values (``C_b * k`` along the last dimension when there
    is one group and no dilation); channels-first columns copy runs along the last output
    dimension (``count[-1]`` values; strided when ``step > 1``, then counted a half).
    Channels-first is chosen when its runs are at least twice as long: first layers
    (1-3 channels), grouped layers with a few channels per group, small dilated 1-D
    layers; and always when the windows tile the rows (stride = kernel along the last
    dimension), whose channels-first product needs no copy back to channels-first.
    Measured per block on the layers of ``benchmarks/bench.py``: 2x faster (copy and
    product) with 3 channels on 32x32, 6x with 32 groups of 4 channels; whole forward
    passes: 1 -> 16 channels 3x3 stride 2 on 28x28 1.2 -> 0.6 ms, 2x2 stride 2 (32 -> 64
    channels on 32x32) 5.3 -> 3.8 ms, 3x3 stride 3 (64 -> 128 on 32x32) 6.6 -> 4.5 ms.
    """
    if step[-1] > 1 and step[-1] == taps[-1] and tap_step[-1] == 1:
        return True            # windows that tile the rows ("patchify"): always faster
    run_last = c_b * (taps[-1] if groups == 1 and tap_step[-1] == 1 else 1)
    run_first = count[-1] if step[-1] == 1 else count[-1] // 2
    return run_first >= 2 * run_last


def blocks(n: int, count, bytes_per_position: int, budget: int | None = None,
           parts: int = 1):
    """Split ``(batch, first output dim)`` into blocks of at most ``budget`` column bytes.

    Whole samples when one sample fits: as few blocks as the budget allows, their number
    rounded up to a multiple of ``parts`` (when there are enough samples) so that
    ``parts`` threads get equal shares, and their sizes differing by at most one sample.
    Otherwise one sample at a time, its first output dimension cut into equal runs of
    rows (at least one row per block, whatever the budget). Returns
    ``(batch slice, row slice)`` pairs, in order.
    """
    budget = CHUNK_BYTES if budget is None else budget
    rows = count[0]
    per_row = math.prod(count[1:]) * bytes_per_position
    per_sample = rows * per_row
    if per_sample <= budget:
        n_blocks = -(-n // max(1, budget // per_sample))
        n_blocks = min(n, -(-n_blocks // parts) * parts)
        cuts = [n * i // n_blocks for i in range(n_blocks + 1)]
        return [(slice(a, b), slice(None)) for a, b in zip(cuts, cuts[1:])]
    r_blocks = -(-rows // max(1, budget // per_row))
    cuts = [rows * i // r_blocks for i in range(r_blocks + 1)]
    return [(slice(i, i + 1), slice(a, b)) for i in range(n) for a, b in zip(cuts, cuts[1:])]


def _positions(plan, n: int, count) -> int:
    """Output positions in the largest block of ``plan`` (:func:`blocks`) of ``n`` samples
    of ``count`` outputs: times ``G * K``, the size of its column buffer."""
    rest = math.prod(count[1:])
    return rest * max(len(range(n)[nb]) * len(range(count[0])[rb]) for nb, rb in plan)


def _plan(n: int, count, bytes_per_position: int, operand_bytes: int, budget=None,
          cost=None, share: int = 2):
    """:func:`blocks` for :func:`convbp._threads.run_blocks`: balanced over its threads
    (those :func:`convbp._threads.workers` gives work of ``cost``), and the column buffers
    of all threads together within ``1/share`` of ``operand_bytes`` (the arrays the sum
    reads and writes; ``share=4`` in the gradients), so that ``conv_backward`` needs at
    most about twice the memory of its inputs and outputs (but never blocks under
    :data:`MIN_CHUNK_BYTES`).
    """
    threads = workers(cost)
    if budget is None:
        budget = min(CHUNK_BYTES, max(MIN_CHUNK_BYTES, operand_bytes // (share * threads)))
    else:
        budget = min(budget, operand_bytes // (share * threads))
    return blocks(n, count, bytes_per_position, budget, parts=threads)


def _columns(view: np.ndarray, buf: np.ndarray) -> np.ndarray:
    """Copy a block of windows into the front of the flat buffer ``buf`` (im2col)."""
    cols = buf[: view.size].reshape(view.shape)
    np.copyto(cols, view)
    return cols


# --------------------------------------------------------------------------- products

class Correlation(NamedTuple):
    """One sum ``out[n, g*C_a + i, *o] = sum_{j, c} wmat[g, j*C_b + c, i] * V[g, n, *o, *j, c]``.

    ``V = windows(a, start, step, count, taps, tap_step, G)`` of the channels-last ``a``;
    ``wmat`` has shape ``(G, prod(taps) * C_b, C_a)``; ``out`` is channels-first
    ``(N, G*C_a, *count)`` and may be a strided view (a stride phase of ``dx``).
    ``bias``, if given, shape ``(G*C_a,)``, is added to every output position.

    With ``channels_first=True``, ``a`` is channels-first ``(N, G*C_b, *S)``, the
    columns are :func:`windows_cf` and ``wmat`` is ``(G, C_a, C_b * prod(taps))`` with
    the columns ordered ``(c, j)`` (the layout of a PyTorch kernel):
    ``out[n, g*C_a + i, *o] = sum_{c, j} wmat[g, i, c*T + j] * W[g, c, *j, n, *o]``.

    With ``pads`` (one ``(lo, hi)`` pair per spatial dimension), ``a`` is the unpadded
    channels-first source ``(N, G*C_b, *S)``, zero-padded block by block into a buffer
    of each thread (in the layout of ``channels_first``) instead of once for all: the
    padded copy of a small ``dy`` can be several times its size.
    """

    a: np.ndarray
    wmat: np.ndarray
    out: np.ndarray
    start: tuple
    step: tuple
    count: tuple
    taps: tuple
    tap_step: tuple
    bias: np.ndarray | None = None
    channels_first: bool = False
    pads: tuple | None = None


def _padded_source(t: "Correlation") -> np.ndarray:
    """``t.a`` zero-padded as :func:`correlate` reads it; with ``t.pads`` a stand-in of
    the right shape and no memory (its windows are used for block sizes only)."""
    if t.pads is None:
        return t.a
    n, c, *size = t.a.shape
    padded = tuple(lo + s + hi for s, (lo, hi) in zip(size, t.pads))
    shape = (n, c, *padded) if t.channels_first else (n, *padded, c)
    return np.broadcast_to(np.zeros((), dtype=t.a.dtype), shape)


def _pad_block(t: "Correlation", nb: slice, buf: np.ndarray) -> np.ndarray:
    """Samples ``nb`` of ``t.a`` zero-padded by ``t.pads`` into the front of ``buf``."""
    src = t.a[nb]
    m, c, *size = src.shape
    padded = tuple(lo + s + hi for s, (lo, hi) in zip(size, t.pads))
    if t.channels_first:
        out = buf[: src.size // math.prod(size) * math.prod(padded)].reshape(m, c, *padded)
        return fill(src, t.pads, tuple(range(2, src.ndim)), out)
    out = buf[: src.size // math.prod(size) * math.prod(padded)].reshape(m, *padded, c)
    return fill(src.transpose(0, *range(2, src.ndim), 1), t.pads,
                tuple(range(1, src.ndim - 1)), out)


def _cf_block(view: np.ndarray, ntaps: int, nb: slice, rb: slice) -> np.ndarray:
    """Block ``(samples nb, first output rows rb)`` of a :func:`windows_cf` view."""
    return view[(slice(None),) * (2 + ntaps) + (nb, rb)]


def correlate(terms, budget=None, share: int = 2) -> None:
    """Compute every :class:`Correlation` of ``terms`` (their outputs must not overlap).

    Per block and group one product ``cols[g] (m*P, K) @ wmat[g] (K, C_a)`` (the
    operand layout in which BLAS runs fastest here) into a channels-last block, which one
    copy moves to ``out``; channels-first, ``wmat[g] (C_a, K) @ cols[g] (K, m*P)``, whose
    result is already channels-first. The blocks of all terms (the stride phases of
    ``dx``) are shared out among the threads together.
    """
    jobs, cols_size, rows_size, pad_size = [], 0, 0, 0
    # the phases share one dy; a dy padded block by block counts at its padded size
    sources = {id(t.a): _padded_source(t).nbytes for t in terms}
    operands = sum(sources.values()) + sum(t.out.nbytes for t in terms)
    # two operations per multiply-add: C_a outputs of each group times K columns
    total = sum(2 * t.out.size * t.wmat.shape[2 if t.channels_first else 1] for t in terms)
    for t in terms:
        a = _padded_source(t)
        if t.channels_first:
            groups, c_a, k = t.wmat.shape
            view = windows_cf(a, t.start, t.step, t.count, t.taps, t.tap_step, groups)
        else:
            groups, k, c_a = t.wmat.shape
            view = windows(a, t.start, t.step, t.count, t.taps, t.tap_step, groups)
        plan = _plan(t.a.shape[0], t.count, groups * k * t.a.itemsize, operands, budget,
                     cost=total, share=share)
        jobs += [(t, view, block) for block in plan]
        if t.pads is not None:
            samples = max(len(range(a.shape[0])[nb]) for nb, _ in plan)
            pad_size = max(pad_size, samples * (a.size // a.shape[0]))
        largest = groups * k * _positions(plan, a.shape[0], t.count)
        cols_size, rows_size = max(cols_size, largest), max(rows_size, largest // k * c_a)
    dtype = terms[0].a.dtype

    def scratch():
        return (np.empty(cols_size, dtype=dtype), np.empty(rows_size, dtype=dtype),
                np.empty(pad_size, dtype=dtype), [None, None])

    def work(job, buffers):
        t, view, (nb, rb) = job
        if t.pads is not None:          # pad this block's samples, read all of them
            key = (id(t.a), nb.start, nb.stop)
            if buffers[3][0] != key:    # the row blocks of one sample share its padding
                buffers[3][:] = key, _pad_block(t, nb, buffers[2])
            local = buffers[3][1]
            groups = t.wmat.shape[0]
            view = (windows_cf if t.channels_first else windows)(
                local, t.start, t.step, t.count, t.taps, t.tap_step, groups)
            job = (t, view, (slice(None), rb))
            t, view, (_all, rb) = job
            out_nb = nb
            nb = slice(None)
        else:
            out_nb = nb
        if t.channels_first:
            groups, c_a, k = t.wmat.shape
            cols = _columns(_cf_block(view, len(t.taps), nb, rb), buffers[0])
            m, o_shape = cols.shape[2 + len(t.taps)], cols.shape[3 + len(t.taps):]
            mp = m * math.prod(o_shape)
            rows = buffers[1][: groups * mp * c_a].reshape(groups, c_a, mp)
            np.matmul(t.wmat, cols.reshape(groups, k, mp), out=rows)
            if t.bias is not None:
                rows += t.bias.reshape(groups, c_a, 1)
            # rows[g, i, (n, o)] -> out[n, g*C_a + i, o]
            np.copyto(t.out[out_nb, :, rb].reshape(m, groups, c_a, *o_shape),
                      rows.reshape(groups, c_a, m, *o_shape)
                      .transpose(2, 0, 1, *range(3, 3 + len(o_shape))))
            return
        groups, k, c_a = t.wmat.shape
        cols = _columns(view[:, nb, rb], buffers[0])          # (G, m, *o, *j, c)
        m, o_shape = cols.shape[1], cols.shape[2:2 + len(t.count)]
        mp = m * math.prod(o_shape)
        rows = buffers[1][: groups * mp * c_a].reshape(groups, mp, c_a)
        np.matmul(cols.reshape(groups, mp, k), t.wmat, out=rows)
        if t.bias is not None:
            rows += t.bias.reshape(groups, 1, c_a)
        # rows[g, (n, o), i] -> out[n, g*C_a + i, o]
        out = t.out[out_nb, :, rb]
        np.copyto(out.reshape(m, groups, c_a, *o_shape),
                  rows.reshape(groups, m, *o_shape, c_a).transpose(1, 0, 2 + len(o_shape),
                                                            *range(2, 2 + len(o_shape))))

    if any(t.pads is not None for t in terms):      # a sample's blocks on one thread
        run_blocks(jobs, work, scratch, cost=total, owner=lambda i: jobs[i][2][0].start)
    else:
        run_blocks(jobs, work, scratch, cost=total)


def weight_grad(a, dy, start, step, count, taps, tap_step, groups: int,
                budget=None, channels_first: bool = False) -> np.ndarray:
    """``dw[g, i, j*C_b + c] = sum_{n, o} dy[n, g*C_a + i, *o] * V[g, n, *o, *j, c]``.

    ``dy`` is channels-first ``(N, G*C_a, *count)``; returns ``(G, C_a, prod(taps) * C_b)``.
    Per block and group one product ``dy_block (C_a, m*P) @ cols[g] (m*P, K)``, whose
    contraction runs over every sample and position of the block; ``dy_block`` is a
    small channels-first copy (``1/prod(taps)`` of the columns when ``C_a = C_b``).
    Each thread sums its blocks into its own ``dw``; these are added in thread order.

    With ``channels_first=True``, ``a`` is channels-first ``(N, G*C_b, *S)``, the columns
    are :func:`windows_cf` and the result is ``(G, C_a, C_b * prod(taps))``, columns
    ordered ``(c, j)``: ``dy_block (C_a, m*P) @ cols[g].T``.
    """
    c_b = (a.shape[1] if channels_first else a.shape[-1]) // groups
    k = math.prod(taps) * c_b
    c_a = dy.shape[1] // groups
    if channels_first:
        view = windows_cf(a, start, step, count, taps, tap_step, groups)
    else:
        view = windows(a, start, step, count, taps, tap_step, groups)
    plan = _plan(a.shape[0], count, groups * k * a.itemsize, a.nbytes + dy.nbytes, budget,
                 cost=2 * dy.size * k)
    size = groups * k * _positions(plan, a.shape[0], count)

    def scratch():
        return (np.empty(size, dtype=a.dtype), np.empty(size // k * c_a, dtype=a.dtype),
                np.zeros((groups, c_a, k), dtype=a.dtype), np.empty((groups, c_a, k), a.dtype))

    def work(block, buffers):
        nb, rb = block
        cols_buf, dy_buf, dw, part = buffers
        if channels_first:
            cols = _columns(_cf_block(view, len(taps), nb, rb), cols_buf)   # (G, c, *j, m, *o)
            m = cols.shape[2 + len(taps)]
            p = math.prod(cols.shape[3 + len(taps):])
            cols_t = cols.reshape(groups, k, m * p).transpose(0, 2, 1)
        else:
            cols = _columns(view[:, nb, rb], cols_buf)            # (G, m, *o, *j, c)
            m, p = cols.shape[1], math.prod(cols.shape[2:2 + len(count)])
            cols_t = cols.reshape(groups, m * p, k)
        d_t = dy_buf[: m * p * groups * c_a].reshape(groups, c_a, m, p)
        np.copyto(d_t, dy[nb, :, rb].reshape(m, groups, c_a, p).transpose(1, 2, 0, 3))
        np.matmul(d_t.reshape(groups, c_a, m * p), cols_t, out=part)
        dw += part

    shares = run_blocks(plan, work, scratch, cost=2 * dy.size * k)
    dw = shares[0][2]
    for share in shares[1:]:
        dw += share[2]
    return dw


def scatter(dy, wmat_t, acc, start, step, count, taps, tap_step, budget=None) -> None:
    """Col2im: ``acc[n, g*C_b + c, *(start + step*o + tap_step*j)] +=
    sum_i wmat_t[g, j*C_b + c, i] * dy[n, g*C_a + i, *o]``.

    ``dy`` is channels-first ``(N, G*C_a, *count)``, ``wmat_t`` is
    ``(G, prod(taps) * C_b, C_a)`` and ``acc`` the channels-first, zero-padded, contiguous
    ``(N, G*C_b, *S)`` accumulator. Per block, one batched product
    ``wmat_t[g] @ dy[n, g]`` gives every tap's contribution at every output position
    (no zero of a dilated ``dy`` is multiplied); then one strided add per tap puts them
    in place. Cheaper than :func:`correlate` on the stride phases when ``C_b < C_a``:
    its buffer holds ``C_b`` values per tap and position instead of ``C_a``. The windows
    of one sample overlap, so all blocks of a sample go to the same thread.

    At stride 1 (:func:`flat_scatter`, :func:`_scatter_flat`) the samples of a block
    are laid end to end on the grid of ``acc``, channel-major, so that each tap's
    contribution to the whole block is one long flat run.
    """
    if flat_scatter(acc.shape[2:], start, step, count, taps):
        _scatter_flat(dy, wmat_t, acc, taps, tap_step, budget)
        return
    groups, k, c_a = wmat_t.shape
    c_b = k // math.prod(taps)
    n = dy.shape[0]
    plan = _plan(n, count, groups * k * dy.itemsize, dy.nbytes + acc.nbytes, budget,
                 cost=2 * dy.size * k)
    size = groups * k * _positions(plan, n, count)
    acc_g = acc.reshape(n, groups, c_b, *acc.shape[2:])

    def work(block, bufs):
        nb, rb = block
        d = dy[nb, :, rb]
        m, o_shape = d.shape[0], d.shape[2:]
        p = math.prod(o_shape)
        dcols = bufs[: m * groups * k * p].reshape(m, groups, k, p)
        np.matmul(wmat_t, d.reshape(m, groups, c_a, p), out=dcols)
        dcols = dcols.reshape(m, groups, *taps, c_b, *o_shape)
        first_o = (rb.start or 0,) + (0,) * (len(count) - 1)
        for j in np.ndindex(*taps):
            # output o of this block reads row start + step*(first_o + o) + tap_step*j
            win = tuple(slice(st + sp * o0 + ts * jj, st + sp * (o0 + c - 1) + ts * jj + 1, sp)
                        for st, sp, o0, c, ts, jj in zip(start, step, first_o, o_shape,
                                                         tap_step, j))
            acc_g[(nb, slice(None), slice(None), *win)] += dcols[(slice(None), slice(None), *j)]

    # Many small strided adds per block make two Python threads queue for the GIL
    # (measured: 3 -> 32 channels, 5x5 s2 on 32x32, 13.9 ms on one thread, 361 ms on
    # two); below SCATTER_ADD_ELEMENTS per add the blocks run on one thread.
    per_add = size // k * c_b
    run_blocks(plan, work, lambda: np.empty(size, dtype=dy.dtype),
               owner=lambda i: plan[i][0].start,
               cost=2 * dy.size * k if per_add >= SCATTER_ADD_ELEMENTS else 0)


def _scatter_flat(dy, wmat_t, acc, taps, tap_step, budget=None) -> None:
    """:func:`scatter` at stride 1 from the first position (``start = 0``), on flat runs.

    The ``m`` samples of a block are laid end to end on the spatial grid of ``acc``
    (``S = prod(acc.shape[2:])`` positions each), channel-major: ``dy`` becomes
    ``(G, C_a, m*S)``, zero where the grid has no output. Tap ``j`` then moves every
    contribution of the block by the same flat offset ``f_j = sum(tap_step*j*place)``, so
    its add is one run of ``m*S - f_j`` values per channel. A contribution never leaves
    its own sample (its window lies inside that sample's grid); what a run carries past
    the end of a channel's row comes from grid positions without an output, which are
    zero. The taps go one kernel row at a time (one product ``wmat_t[g, row] @ dy``),
    so that a block holds ``C_a + (taps of a row + 1) * C_b`` values per position.
    Measured (interleaved runs), whole ``conv_backward``: LeNet's 6 -> 16 (64 samples,
    5x5 on 14x14) 9.2 -> 5.5 ms, 1 -> 6 (5x5 on 28x28) 7.9 -> 4.8 ms, against per-sample
    runs along the output rows; the products do ``S / prod(count)`` (here up to 2x) the
    work of the sum, but the adds are few, long and contiguous. Blocks run on one thread
    unless each add covers at least ``4 * SCATTER_ADD_ELEMENTS`` values (LeNet's 6 -> 16:
    two threads 7.1 ms, one 5.5 ms; 4 -> 32 channels 3x3 on 16x16, 128 samples: two
    threads 7.6 ms, one 10.3 ms).
    """
    groups, k, c_a = wmat_t.shape
    ntaps = math.prod(taps)
    c_b = k // ntaps
    n, size, count = dy.shape[0], acc.shape[2:], dy.shape[2:]
    per_sample = math.prod(size)
    place = [math.prod(size[i + 1:]) for i in range(len(size))]
    offsets = [sum(ts * jj * pl for ts, jj, pl in zip(tap_step, j, place))
               for j in np.ndindex(*taps)]
    row = math.prod(taps[1:])                  # taps per product: one kernel row
    cost = 2 * n * per_sample * k * c_a
    sample_bytes = groups * (c_a + (row + 1) * c_b) * per_sample * dy.itemsize

    def plan_for(cost):
        # buffers within the operands (not half of them): the products and adds are
        # few per block, so they need long runs more than the memory bound needs slack
        return _plan(n, (1,), sample_bytes, dy.nbytes + acc.nbytes, budget, cost=cost, share=1)

    plan = plan_for(cost)
    if c_b * per_sample * max(nb.stop - nb.start for nb, _ in plan) < 4 * SCATTER_ADD_ELEMENTS:
        cost = 0                # short adds: two threads would queue for the GIL
        plan = plan_for(cost)
    largest = max(nb.stop - nb.start for nb, _ in plan) * per_sample
    tails = tuple((0, s - c) for s, c in zip(size, count))
    axes = tuple(range(2, 2 + len(size)))

    def scratch():
        return (np.empty(groups * c_a * largest, dtype=dy.dtype),
                np.empty(groups * row * c_b * largest, dtype=dy.dtype),
                np.empty(groups * c_b * largest, dtype=dy.dtype))

    def work(block, bufs):
        nb, _ = block
        m = nb.stop - nb.start
        length = m * per_sample
        d = fill(dy[nb].swapaxes(0, 1), tails, axes,
                 bufs[0][: groups * c_a * length].reshape(groups * c_a, m, *size))
        d = d.reshape(groups, c_a, length)
        runs = bufs[2][: groups * c_b * length].reshape(groups, c_b * length)
        runs[...] = 0
        for t0 in range(0, ntaps, row):
            part = bufs[1][: groups * row * c_b * length].reshape(groups, row * c_b, length)
            np.matmul(wmat_t[:, t0 * c_b:(t0 + row) * c_b], d, out=part)
            part = part.reshape(groups, row, c_b * length)
            for t in range(row):
                off = offsets[t0 + t]
                for g in range(groups):     # 1-D adds: NumPy's fastest loop
                    runs[g, off:] += part[g, t, :c_b * length - off]
        acc[nb] += runs.reshape(groups * c_b, m, *size).swapaxes(0, 1)

    run_blocks(plan, work, scratch, cost=cost)


def flat_scatter(size, start, step, count, taps) -> bool:
    """Shape rule of :func:`scatter`: lay ``dy`` on the grid of the accumulator (of spatial
    ``size``; :func:`_scatter_flat`) at stride 1 from the first position, in 2 or more
    dimensions, when that grid is at most twice the positions of ``dy`` (the extra,
    zero, positions are multiplied too). Measured on one core against the strided adds
    of the output rows (interleaved runs): LeNet's 6 -> 16 (5x5 on 14x14) 7.3 -> 3.6 ms,
    1 -> 6 (5x5 on 28x28, padding 2) 5.5 -> 3.3 ms, 3 -> 32 (3x3 on 32x32, padding 1)
    5.4 -> 4.1 ms."""
    return (len(count) > 1 and all(s == 1 for s in step) and not any(start)
            and math.prod(size) <= 2 * math.prod(count))


# --------------------------------------------------------------------------- pointwise

def pointwise(wmat, a, out) -> None:
    """``out[n, g] = wmat[g] @ a[n, g]``: a 1x1 convolution at stride 1, whose input is its
    own column matrix. ``a`` is ``(N, G, C_b, P)``, ``out`` ``(N, G, C_a, P)``, ``wmat``
    ``(G, C_a, C_b)``; a share of the samples per thread."""
    cost = 2 * out.size * a.shape[2]
    run_blocks(_shares(a.shape[0], cost), lambda nb, _: np.matmul(wmat, a[nb], out=out[nb]),
               lambda: None, cost=cost)


def pointwise_weight_grad(dy, a) -> np.ndarray:
    """``dw[g] = sum_n dy[n, g] @ a[n, g].T`` for ``dy`` ``(N, G, C_a, P)`` and ``a``
    ``(N, G, C_b, P)``; returns ``(G, C_a, C_b)``. Per-thread sums, added in order."""
    groups, c_a, c_b = dy.shape[1], dy.shape[2], a.shape[2]

    def work(nb, buffers):
        dw, part = buffers
        for i in range(nb.start, nb.stop):
            np.matmul(dy[i], a[i].transpose(0, 2, 1), out=part)
            dw += part

    shares = run_blocks(_shares(a.shape[0], 2 * dy.size * c_b), work,
                        lambda: (np.zeros((groups, c_a, c_b), dy.dtype),
                                 np.empty((groups, c_a, c_b), dy.dtype)),
                        cost=2 * dy.size * c_b)
    dw = shares[0][0]
    for share in shares[1:]:
        dw += share[0]
    return dw
