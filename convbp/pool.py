r"""Max and average pooling over 1, 2 or 3 spatial dimensions, with their backward passes.

The chapter :ref:`pooling-activations` derives the gradients; the conventions below
are PyTorch's. Window geometry (output size, stride, padding, leftover rows) comes from
:func:`convbp.geometry.pool_geometry`:
pooling windows are convolution windows with dilation 1 and ``stride`` defaulting to
``kernel_size``. Every function loops over the window offsets ("taps") only, never over
batch, channels or output positions: tap ``m`` reads the strided slice
``xp[..., geom.window(m)]`` of the padded input ``xp``.

Conventions (those of PyTorch, ``ceil_mode=False``):

* **Max pooling** never selects a padded cell. Each entry of ``dy`` goes to exactly one
  input cell: the *first* maximal real cell of its window, scanning the window offsets
  in row-major order (``np.ndindex(*kernel_size)``) and replacing the current choice
  only on a strict ``>``. So in an all-equal window the first real cell gets the whole
  gradient, as in PyTorch's CPU kernel.
* **NaN** propagates: a window holding a NaN outputs NaN, and the rule
  ``(v > best) | isnan(v)`` makes the *last* NaN of the window (in the same scan
  order) receive its gradient, again as in PyTorch's CPU kernel.
* **Average pooling** divides by ``prod(kernel_size)`` always: padded cells count as
  zeros (PyTorch's default ``count_include_pad=True``). Gradient that lands on padding
  is discarded.
* Overlapping windows (``stride < kernel_size``) accumulate their gradients.
* float32 (and float16) compute in float32; integers and bools in float64.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_pool, check_pool_dy, float_dtype
from .geometry import ConvGeometry
from .padding import pad_or_crop

__all__ = ["max_pool", "max_pool_backward", "avg_pool", "avg_pool_backward"]


# --------------------------------------------------------------------------- helpers

def _scatter(share: np.ndarray, geom: ConvGeometry, shape, dtype, select=None) -> np.ndarray:
    """Sum ``share`` (or, for max pooling, ``where(arg == t, share, 0)``) into every window.

    ``share`` has the output shape ``(N, C, *out)``; the result has the input shape
    ``shape``. Gradients that land on padding are cut away.
    """
    dxp = np.zeros(tuple(shape[:2]) + geom.padded_size, dtype=dtype)
    # windows that do not overlap (stride >= kernel) write each cell at most once
    disjoint = all(s >= k for s, k in zip(geom.stride, geom.kernel_size))
    hit = None if select is None else np.empty(select.shape, dtype=bool)
    for t, tap in enumerate(np.ndindex(*geom.kernel_size)):
        dst = dxp[(..., *geom.window(tap))]
        if select is None:
            # one tap's slice never repeats an index, so `+=` is safe; taps overlap
            dst += share
            continue
        np.equal(select, t, out=hit)
        if disjoint:
            np.copyto(dst, share, where=hit)
        else:
            dst += np.where(hit, share, 0)
    if all(p == (0, 0) for p in geom.padding):
        return dxp
    return np.ascontiguousarray(dxp[(..., *geom.unpadded())])


def _max_and_argmax(x: np.ndarray, geom: ConvGeometry):
    """Running max and running argmax tap over the windows, both of shape ``(N, C, *out)``.

    ``arg`` holds the flat index ``t`` of the winning tap in ``np.ndindex(*kernel_size)``
    order. Padded cells are masked out, so the first *real* cell of a window is always
    taken (even if it is -inf), and later cells replace it on ``>`` or NaN.
    """
    dtype = float_dtype(x)
    xp = pad_or_crop(x, geom.padding, value=-np.inf, dtype=dtype)
    padded = any(p != (0, 0) for p in geom.padding)
    real = None
    if padded:  # spatial-only mask of the real cells, broadcast over N and C
        real = np.zeros(geom.padded_size, dtype=bool)
        real[geom.unpadded()] = True
    out_shape = x.shape[:2] + geom.out_size
    taps = list(np.ndindex(*geom.kernel_size))
    if real is None:        # every cell is real: the first tap starts the running max
        best = np.array(xp[(..., *geom.window(taps[0]))], dtype=dtype, copy=True)
        arg = np.zeros(out_shape, dtype=np.intp)
        first = 1
    else:
        best = np.full(out_shape, -np.inf, dtype=dtype)
        arg = np.full(out_shape, -1, dtype=np.intp)
        first = 0
    take, nan = np.empty(out_shape, dtype=bool), np.empty(out_shape, dtype=bool)
    for t in range(first, len(taps)):
        sl = geom.window(taps[t])
        v = xp[(..., *sl)]
        np.greater(v, best, out=take)
        take |= np.isnan(v, out=nan)
        if real is not None:
            take |= arg < 0
            take &= real[sl]
        np.copyto(best, v, where=take)
        np.copyto(arg, t, where=take)
    return best, arg


def _tiles(geom: ConvGeometry) -> bool:
    """Do the windows tile the input (stride = kernel, no padding)? Then each cell belongs
    to at most one window (leftover cells to none), and tap ``m`` of every window is the
    strided slice ``geom.window(m)`` of the unpadded input itself."""
    return geom.stride == geom.kernel_size and all(p == (0, 0) for p in geom.padding)


def _tile_max(x: np.ndarray, geom: ConvGeometry, dtype) -> np.ndarray:
    """Max over tiling windows: a running ``np.maximum`` over the taps' strided slices
    (NumPy is slow on the short rows of the windows themselves, and a tap-major copy
    costs a pass over ``x``; measured 0.3 -> 0.1 ms on 64 x 6 x 28 x 28)."""
    taps = np.ndindex(*geom.kernel_size)
    best = np.array(x[(..., *geom.window(next(taps)))], dtype=dtype)
    for tap in taps:
        np.maximum(best, x[(..., *geom.window(tap))], out=best)
    return best


# --------------------------------------------------------------------------- max pooling

def max_pool(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Max pooling over the spatial dimensions of ``x`` (1, 2 or 3 of them).

    ``y[n, c, o] = max over the window of o`` of the real (unpadded) cells of ``x``.

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
        Real numeric input.
    kernel_size : int or tuple of int
        Window size ``k``, one int for every spatial dim or one per dim.
    stride : int or tuple of int, optional
        Step between windows; defaults to ``kernel_size``.
    padding : int, tuple of int, or tuple of (int, int)
        Padding on both sides, per dim, or ``(lo, hi)`` per dim; at most ``k // 2``.
        Padded cells behave as -inf: they are never selected.

    Returns
    -------
    y : ndarray, shape ``(N, C, *out)``
        ``out`` is ``pool_geometry(...).out_size``. float32 input gives float32;
        integer and bool input give float64. A window holding a NaN gives NaN.

    Raises
    ------
    TypeError, ValueError
        For non-numeric ``x``, ``x.ndim < 3``, or bad window arguments.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> max_pool(x, 2)[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    x, geom = check_pool("max_pool", x, kernel_size, stride, padding)
    if _tiles(geom):
        return _tile_max(x, geom, float_dtype(x))
    return _max_and_argmax(x, geom)[0]


def max_pool_backward(dy, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of :func:`max_pool` with respect to ``x``.

    The argmax is recomputed from ``x`` (the API is stateless). Each ``dy`` entry goes
    to one cell: the first maximal cell of its window in row-major order of the window
    offsets (strict ``>``), or the last NaN if the window holds NaNs, exactly as in
    PyTorch's CPU kernel. Overlapping windows (``stride < kernel_size``) accumulate.

    Parameters
    ----------
    dy : array_like, shape ``(N, C, *out)``
        Gradient of the loss with respect to ``max_pool(x, ...)``.
    x : array_like, shape ``(N, C, *spatial)``
        The forward input.
    kernel_size, stride, padding
        As for :func:`max_pool`.

    Returns
    -------
    dx : ndarray, shape ``(N, C, *spatial)``
        In the common float dtype of ``x`` and ``dy`` (float32 if both are float32).

    Raises
    ------
    TypeError, ValueError
        As :func:`max_pool`, and when ``dy`` has the wrong shape.

    Examples
    --------
    >>> x = np.array([[[1.0, 5.0, 2.0, 0.0, 3.0]]])
    >>> max_pool_backward(np.array([[[1.0, 10.0, 100.0]]]), x, 3, stride=1)  # overlap
    array([[[  0.,  11.,   0.,   0., 100.]]])
    >>> max_pool_backward(np.ones((1, 1, 1)), np.zeros((1, 1, 3)), 3)  # tie: first cell
    array([[[1., 0., 0.]]])
    """
    x, geom = check_pool("max_pool_backward", x, kernel_size, stride, padding)
    dy = check_pool_dy("max_pool_backward", "max_pool", dy, x, geom)
    dtype = float_dtype(x, dy)
    best = _tile_max(x, geom, float_dtype(x)) if _tiles(geom) else None
    if best is None or np.isnan(best).any() or not np.isfinite(dy).all():
        arg = _max_and_argmax(x, geom)[1]
        return _scatter(dy.astype(dtype, copy=False), geom, x.shape, dtype, select=arg)
    # tiles: each dy entry to the first maximal cell of its tile (no NaN anywhere here,
    # so multiplying by the 0/1 mask is exact; adding +0 turns -0 into 0), written tap
    # by tap into its strided slice of dx
    dx = (np.zeros if any(geom.remainder) else np.empty)(x.shape, dtype=dtype)  # leftover
    routed = np.empty(dy.shape, dtype=dtype)
    hit, taken = np.empty(dy.shape, dtype=bool), np.zeros(dy.shape, dtype=bool)
    for tap in np.ndindex(*geom.kernel_size):
        cells = (..., *geom.window(tap))
        np.equal(x[cells], best, out=hit)
        np.greater(hit, taken, out=hit)          # maximal, and no earlier cell was
        taken |= hit
        np.multiply(dy, hit, out=routed, casting="unsafe")
        routed += 0
        np.copyto(dx[cells], routed)
    return dx


# --------------------------------------------------------------------------- average pooling

def avg_pool(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Average pooling over the spatial dimensions of ``x`` (1, 2 or 3 of them).

    ``y[n, c, o] = sum over the window of o of xp / prod(kernel_size)``, where ``xp`` is
    ``x`` zero-padded: padded cells count in the divisor (PyTorch's default
    ``count_include_pad=True``).

    Parameters
    ----------
    x, kernel_size, stride, padding
        As for :func:`max_pool` (with the same checks, and the same errors for bad
        arguments), except that padded cells are zeros.

    Returns
    -------
    y : ndarray, shape ``(N, C, *out)``
        With the dtype rules of :func:`max_pool`.

    Examples
    --------
    >>> avg_pool(np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2)  # last row left over
    array([[[1.5, 3.5]]])
    >>> avg_pool(np.array([[[4.0, 8.0]]]), 2, stride=1, padding=1)  # pads count
    array([[[2., 6., 4.]]])
    """
    x, geom = check_pool("avg_pool", x, kernel_size, stride, padding)
    dtype = float_dtype(x)
    xp = pad_or_crop(x, geom.padding, dtype=dtype)
    y = np.zeros(x.shape[:2] + geom.out_size, dtype=dtype)
    for tap in np.ndindex(*geom.kernel_size):
        y += xp[(..., *geom.window(tap))]
    y /= np.prod(geom.kernel_size)
    return y


def avg_pool_backward(dy, x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Gradient of :func:`avg_pool` with respect to ``x``.

    Every cell of each window receives ``dy / prod(kernel_size)``; overlapping windows
    accumulate, and what lands on padding is discarded. ``avg_pool`` is linear, so this
    is its adjoint: ``<dy, avg_pool(x)> == <avg_pool_backward(dy, x), x>``. Only the
    shape of ``x`` is used.

    Parameters
    ----------
    dy, x, kernel_size, stride, padding
        As for :func:`max_pool_backward`, with ``dy`` the gradient of the loss with
        respect to ``avg_pool(x, ...)``.

    Returns
    -------
    dx : ndarray
        As from :func:`max_pool_backward`: the shape and the common float dtype of ``x``
        and ``dy``.

    Raises
    ------
    TypeError, ValueError
        As :func:`max_pool_backward`.

    Examples
    --------
    >>> avg_pool_backward(np.array([[[1.0, 10.0]]]), np.zeros((1, 1, 3)), 2, stride=1)
    array([[[0.5, 5.5, 5. ]]])
    """
    x, geom = check_pool("avg_pool_backward", x, kernel_size, stride, padding)
    dy = check_pool_dy("avg_pool_backward", "avg_pool", dy, x, geom)
    dtype = float_dtype(x, dy)
    share = dy.astype(dtype) / dtype.type(np.prod(geom.kernel_size))
    return _scatter(share, geom, x.shape, dtype)
