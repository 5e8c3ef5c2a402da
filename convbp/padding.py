r"""Pad or crop the spatial axes of an array: the one padding helper of ``convbp``.

Every padding in the package goes through :func:`pad_or_crop`: the zero padding of
``x`` in the forward pass, the ``-inf`` padding of max pooling, the padding (or
cropping) of the dilated ``dy`` in the as-convolutions recipe, the crop of the
leftover rows for the weight gradient, and the channels-last copy of the fast path
(``convbp._fastconv.pad_channels_last``, which writes each thread's share of the
batch through ``out=``).

A pair ``(lo, hi)`` per axis adds ``lo`` entries before and ``hi`` after; a negative
entry removes that many instead. The widths come from :mod:`convbp.geometry`
(``ConvGeometry.padding``,
:attr:`~convbp.geometry.ConvGeometry.dx_padding`,
:attr:`~convbp.geometry.ConvGeometry.dw_padding`); this module only moves entries.
"""

from __future__ import annotations

import numpy as np

from ._checks import is_int

__all__ = ["pad_or_crop"]


def _normalise(op: str, a: np.ndarray, pads, axes):
    """``pads`` as a tuple of int pairs and ``axes`` as non-negative ints, checked."""
    try:
        pads = tuple((lo, hi) for lo, hi in pads)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: pads must be a sequence of (lo, hi) int pairs, "
                        f"got {pads!r}") from None
    if not all(is_int(lo) and is_int(hi) for lo, hi in pads):
        raise TypeError(f"{op}: pads must be a sequence of (lo, hi) int pairs, got {pads!r}")
    if axes is None:
        axes = tuple(range(a.ndim - len(pads), a.ndim))
    else:
        axes = tuple(axes)
    if len(axes) != len(pads) or not all(is_int(ax) and -a.ndim <= ax < a.ndim for ax in axes):
        raise ValueError(f"{op}: axes must be {len(pads)} axes of a {a.ndim}-d array "
                         f"(one per (lo, hi) pair of pads), got {axes}")
    axes = tuple(int(ax) % a.ndim for ax in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: axes must be distinct, got {axes}")
    for ax, (lo, hi) in zip(axes, pads):
        if a.shape[ax] + lo + hi < 0:
            raise ValueError(f"{op}: pads {(int(lo), int(hi))} crop more than the "
                             f"{a.shape[ax]} entries of axis {ax}")
    return tuple((int(lo), int(hi)) for lo, hi in pads), axes


def pad_or_crop(a, pads, *, value=0.0, axes=None, dtype=None, out=None):
    """Pad the given axes of ``a`` with ``value`` or crop them, in one copy at most.

    Parameters
    ----------
    a : array_like, shape (..., *spatial)
    pads : sequence of (int, int)
        One ``(lo, hi)`` pair per padded axis: ``lo`` entries before, ``hi`` after; a
        negative entry crops that many entries instead.
    value : scalar, optional
        Fill value of the added entries (0 by default; max pooling pads with ``-inf``).
    axes : sequence of int, optional
        The axes the pairs apply to. Default: the trailing ``len(pads)`` axes (the
        spatial axes of a channels-first ``(N, C, *spatial)`` array); pass e.g.
        ``axes=(1, 2)`` for a channels-last ``(N, H, W, C)`` array.
    dtype : dtype, optional
        dtype of the result (default: that of ``a``).
    out : ndarray, optional
        Array of the result's shape to write into (then it is returned).

    Returns
    -------
    ndarray
        Along axis ``ax`` with pair ``(lo, hi)`` the result has ``n + lo + hi``
        entries, and entry ``i`` of ``a`` sits at ``i + lo``. Without padding, and
        without ``out``, the result is ``a`` itself or a view of it (cropping is
        slicing); otherwise a new array filled once.

    Examples
    --------
    >>> import numpy as np, convbp
    >>> convbp.pad_or_crop(np.array([[[1, 2, 3]]]), [(1, -1)])
    array([[[0, 1, 2]]])
    >>> convbp.pad_or_crop(np.ones((1, 2, 2)), [(0, 1)], value=-np.inf, axes=[1])
    array([[[  1.,   1.],
            [  1.,   1.],
            [-inf, -inf]]])

    See Also
    --------
    convbp.geometry.ConvGeometry.dx_padding, convbp.geometry.ConvGeometry.dw_padding
    """
    op = "pad_or_crop"
    a = np.asarray(a)
    pads, axes = _normalise(op, a, pads, axes)
    dtype = a.dtype if dtype is None else np.dtype(dtype)
    if out is None:
        if not any(lo or hi for lo, hi in pads):
            return a.astype(dtype, copy=False)
        if not any(lo > 0 or hi > 0 for lo, hi in pads):
            return a[_source(a.shape, pads, axes)].astype(dtype, copy=False)
        out = np.empty(padded_shape(a.shape, pads, axes), dtype=dtype)
    elif out.shape != padded_shape(a.shape, pads, axes):
        raise ValueError(f"{op}: out must have shape {padded_shape(a.shape, pads, axes)}, "
                         f"got {out.shape}")
    return fill(a, pads, axes, out, value)


def padded_shape(shape, pads, axes) -> tuple:
    """``shape`` with ``lo + hi`` added along each of ``axes``."""
    shape = list(shape)
    for ax, (lo, hi) in zip(axes, pads):
        shape[ax] += lo + hi
    return tuple(shape)


def _kept(n, lo, hi) -> int:
    """How many of ``n`` entries survive the crops: none when one side crops past the
    other end (``n = 1``, ``(lo, hi) = (-2, 3)``: the result is two fill values)."""
    return max(0, n - max(-lo, 0) - max(-hi, 0))


def _source(shape, pads, axes) -> tuple:
    """The slices of the source that survive the crops."""
    src = [slice(None)] * len(shape)
    for ax, (lo, hi) in zip(axes, pads):
        src[ax] = slice(max(-lo, 0), max(-lo, 0) + _kept(shape[ax], lo, hi))
    return tuple(src)


def fill(a: np.ndarray, pads, axes, out: np.ndarray, value=0.0) -> np.ndarray:
    """The copy of :func:`pad_or_crop`, without its checks: ``a`` padded or cropped by
    ``pads`` (int pairs) along ``axes`` (non-negative ints) into ``out`` (of the padded
    shape), the added entries set to ``value``. For callers that derived ``pads`` and
    ``out`` themselves (the fast convolution, per block of samples)."""
    dst = [slice(None)] * a.ndim
    for ax, (lo, hi) in zip(axes, pads):
        dst[ax] = slice(max(lo, 0), max(lo, 0) + _kept(a.shape[ax], lo, hi))
    np.copyto(out[tuple(dst)], a[_source(a.shape, pads, axes)], casting="unsafe")
    for ax, (lo, hi) in zip(axes, pads):
        edge = [slice(None)] * a.ndim
        if lo > 0:
            edge[ax] = slice(0, lo)
            out[tuple(edge)] = value
        if hi > 0:
            edge[ax] = slice(max(out.shape[ax] - hi, 0), None)
            out[tuple(edge)] = value
    return out
