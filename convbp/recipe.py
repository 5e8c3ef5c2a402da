r"""The textbook recipe, executable: both gradients of a convolution *as convolutions*.

This is the readable path. It computes nothing but forward convolutions
(:func:`convbp.conv`) of transformed operands, exactly as :ref:`backward-strided`
states the rule (one spatial dimension; see
:mod:`convbp.geometry` for every size)::

    dx = conv(pad(dilate(dy, s), (d(k-1) - p_lo, d(k-1) - p_hi + r)),
              flip(w) with in/out channels swapped,  stride 1, dilation d)
    dw = conv(crop_hi(pad(x, p), r),  dilate(dy, s),   stride d)     [batch <-> channels]

``dilate`` inserts ``s - 1`` zeros between the entries of ``dy`` (the forward stride
becomes a dilation of the gradient), ``flip`` rotates the kernel by 180 degrees, and
``r`` is the number of leftover rows that the forward pass never reads. It multiplies
by all the inserted zeros: it is here to be read and checked, while
:func:`convbp.conv_backward` is the fast path.
"""

from __future__ import annotations

import numpy as np

from ._types import Gradients
from ._checks import as_array, as_tuple, check_backward, float_dtype
from .convolution import conv
from .padding import pad_or_crop

__all__ = ["dilate", "flip", "conv_backward_as_convolutions"]


def dilate(a, factor, axes=None):
    """Insert ``factor - 1`` zeros between consecutive entries along the given axes.

    Parameters
    ----------
    a : array_like, shape (N, C, *spatial) or any shape
    factor : int or tuple of int
        Dilation factor (the forward stride), one for all axes or one per axis; 1 leaves
        that axis as it is.
    axes : sequence of int, optional
        Axes to dilate; default: every axis after the first two (the spatial axes of a
        ``(N, C, *spatial)`` array).

    Returns
    -------
    ndarray
        Along each dilated axis of length ``n`` the result has length
        ``factor * (n - 1) + 1``; entry ``i`` of ``a`` sits at ``factor * i``.

    Examples
    --------
    >>> import numpy as np, convbp
    >>> convbp.dilate(np.array([[[1, 2, 3]]]), 2)
    array([[[1, 0, 2, 0, 3]]])
    """
    a = as_array(a, "dilate", "a")
    axes = tuple(range(2, a.ndim)) if axes is None else tuple(axes)
    for ax in axes:
        if not isinstance(ax, (int, np.integer)) or not -a.ndim <= ax < a.ndim:
            raise ValueError(f"dilate: axes must be axes of a {a.ndim}-d array, got {axes}")
    axes = tuple(ax % a.ndim for ax in axes)
    factors = as_tuple(factor, len(axes), "dilate", "factor")
    shape = list(a.shape)
    index = [slice(None)] * a.ndim
    for ax, f in zip(axes, factors):
        shape[ax] = f * (a.shape[ax] - 1) + 1 if a.shape[ax] else 0
        index[ax] = slice(None, None, f)
    out = np.zeros(shape, dtype=a.dtype)
    out[tuple(index)] = a
    return out


def flip(w):
    """Rotate a kernel by 180 degrees: reverse every spatial axis (all axes after the first two).

    Parameters
    ----------
    w : array_like, shape (C_out, C_in // groups, *kernel)

    Returns
    -------
    ndarray, shape (C_out, C_in // groups, *kernel)
        A new array with ``out[..., i, j] == w[..., k1 - 1 - i, k2 - 1 - j]``.

    Examples
    --------
    >>> import numpy as np, convbp
    >>> convbp.flip(np.arange(4).reshape(1, 1, 2, 2))[0, 0]
    array([[3, 2],
           [1, 0]])
    """
    w = as_array(w, "flip", "w")
    if w.ndim < 3:
        raise ValueError(f"flip: w must have shape (C_out, C_in // groups, *kernel), got {w.shape}")
    return np.flip(w, axis=tuple(range(2, w.ndim))).copy()


def conv_backward_as_convolutions(dy, x, w, *, stride=1, padding=0, dilation=1, groups=1):
    r"""Gradients of :func:`convbp.conv` computed only by forward convolutions (the recipe).

    * ``dx``: dilate ``dy`` with ``s - 1`` zeros, pad it by
      ``(d(k-1) - p_lo, d(k-1) - p_hi + r)`` (negative = crop), and convolve it at stride 1
      and dilation ``d`` with the 180-degree-rotated kernel whose input and output
      channels are swapped (within each group).
    * ``dw``: convolve the padded input, minus its ``r`` leftover rows, with the dilated
      ``dy`` as the kernel at stride ``d``, with batch and channel axes swapped so that
      the sum over the batch becomes the sum over "input channels".
    * ``db``: the sum of ``dy`` over batch and positions.

    Derived in :ref:`backward-strided`.

    Parameters
    ----------
    dy, x, w, stride, padding, dilation, groups
        As in :func:`convbp.conv_backward`.

    Returns
    -------
    Gradients
        ``(dx, dw, db)``, the result of :func:`convbp.conv_backward`: shapes
        ``(N, C_in, *spatial)``, ``(C_out, C_in // groups, *kernel)`` and ``(C_out,)``.

    See Also
    --------
    convbp.conv_backward : the fast path, with the same signature and result.
    convbp.reference.conv_backward : the same gradients by plain loops.
    convbp.symbolic.derive : every gradient entry as a SymPy expression.

    Examples
    --------
    >>> import numpy as np, convbp
    >>> rng = np.random.default_rng(0)
    >>> x, w = rng.normal(size=(2, 3, 7, 7)), rng.normal(size=(4, 3, 3, 3))
    >>> dy = rng.normal(size=(2, 4, 3, 3))
    >>> a = convbp.conv_backward_as_convolutions(dy, x, w, stride=2)
    >>> b = convbp.conv_backward(dy, x, w, stride=2)
    >>> all(np.allclose(u, v) for u, v in zip(a, b))
    True
    """
    op = "conv_backward_as_convolutions"
    x, w, dy, geom, groups = check_backward(op, dy, x, w, stride, padding, dilation, groups)
    dtype = float_dtype(x, w, dy)
    out_dtypes = float_dtype(x), float_dtype(w), float_dtype(dy)
    x, w, dy = (a.astype(dtype, copy=False) for a in (x, w, dy))
    n, c_in = x.shape[:2]
    c_out, c_in_g = w.shape[:2]
    c_out_g = c_out // groups
    kernel, spatial = w.shape[2:], x.shape[2:]

    dy_dilated = dilate(dy, geom.stride)                       # (N, C_out, s(O-1)+1)

    # dx: channel-transposed, flipped kernel (C_in, C_out // G, *k), stride 1, dilation d.
    w_t = (w.reshape(groups, c_out_g, c_in_g, *kernel)
            .swapaxes(1, 2).reshape(c_in, c_out_g, *kernel))
    dx = conv(pad_or_crop(dy_dilated, geom.dx_padding), flip(w_t),
              stride=1, dilation=geom.dilation, groups=groups)

    # dw: batch becomes the summed "channel" axis. Input (C_in/G, G*N, ...) whose channel
    # g*N + i holds x[i, g*C_in/G + c_g]; kernel (C_out, N, ...) = dilated dy, axes swapped.
    x_p = pad_or_crop(x, geom.dw_padding)
    padded = x_p.shape[2:]
    x_t = (x_p.reshape(n, groups, c_in_g, *padded)
              .transpose(2, 1, 0, *range(3, 3 + len(padded)))
              .reshape(c_in_g, groups * n, *padded))
    dw = conv(x_t, dy_dilated.swapaxes(0, 1), stride=geom.dilation, groups=groups).swapaxes(0, 1)

    db = dy.sum(axis=(0, *range(2, dy.ndim)))
    assert dx.shape[2:] == spatial and dw.shape[2:] == kernel  # the recipe's sizes are exact
    return Gradients(dx.astype(out_dtypes[0], copy=False),
                     np.ascontiguousarray(dw).astype(out_dtypes[1], copy=False),
                     db.astype(out_dtypes[2], copy=False))
