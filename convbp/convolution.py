r"""Fast N-d convolution, its gradients, and transposed convolution.

The forward pass and both gradients are sums over the few kernel taps ``m`` of one
matrix product each, written straight from the index form (see
:mod:`convbp.geometry` and the book chapter "The backward pass at stride > 1")::

    y [n, o, :]            = sum_m  x_pad[n, s*o + d*m, :] @ w[:, :, m].T
    dx_pad[n, s*o + d*m, :] += dy[n, o, :] @ w[:, :, m]            (scatter-add)
    dw[:, :, m]            = sum_{n,o} dy[n, o, :].T @ x_pad[n, s*o + d*m, :]

Arrays are moved to channels-last once so that every product is one large,
contiguous matrix product over all batch entries and output positions. The strided
input gradient is a scatter-add into every ``s``-th row: it never multiplies the
``s - 1`` zeros that the textbook recipe (:func:`convbp.conv_backward_as_convolutions`)
inserts, and rows that no window reads (the leftover remainder) are never touched,
so their gradient is exactly zero.

Python loops run over the kernel taps only, never over batch, channels or positions.
"""

from __future__ import annotations

import math

import numpy as np

from ._types import Gradients
from ._validate import check_bias, check_conv_operands, check_shape, float_dtype
from .geometry import ConvGeometry, conv_geometry, conv_transpose_geometry

__all__ = ["conv", "conv_backward", "conv_transpose", "Gradients"]

# Below this many multiply-adds per group and row, einsum's C loop beats batched BLAS.
_SMALL_GROUP = 64


def _channels_last_padded(a: np.ndarray, geom: ConvGeometry, dtype) -> np.ndarray:
    """``(N, C, *spatial)`` -> zero-padded ``(N, *padded, C)`` in one copy."""
    out = np.zeros((a.shape[0], *geom.padded_size, a.shape[1]), dtype=dtype)
    out[(slice(None), *geom.unpadded())] = np.moveaxis(a, 1, -1)
    return out


def _rows(a: np.ndarray, dtype) -> np.ndarray:
    """``(N, C, *spatial)`` -> contiguous ``(N * prod(spatial), C)``."""
    return np.ascontiguousarray(np.moveaxis(a, 1, -1), dtype=dtype).reshape(-1, a.shape[1])


def _from_rows(rows: np.ndarray, n: int, spatial: tuple[int, ...]) -> np.ndarray:
    """``(N * prod(spatial), C)`` -> contiguous ``(N, C, *spatial)``."""
    return np.ascontiguousarray(np.moveaxis(rows.reshape(n, *spatial, -1), -1, 1))


def _tap(w: np.ndarray, tap: tuple[int, ...]) -> np.ndarray:
    return w[(slice(None), slice(None), *tap)]


# Per-tap products. ``a`` rows are (batch x position); w_m is w[:, :, m] of shape
# (C_out, C_in // G). With groups, channel c belongs to group c // (channels per group).

def _tap_forward(xs, w_m, groups):
    """(M, C_in) x (C_out, C_in/G) -> (M, C_out)."""
    if groups == 1:
        return xs @ w_m.T
    m, (c_out, cg_in) = xs.shape[0], w_m.shape
    xg, wg = xs.reshape(m, groups, cg_in), w_m.reshape(groups, c_out // groups, cg_in)
    if cg_in * c_out // groups < _SMALL_GROUP:
        return np.einsum("mgi,goi->mgo", xg, wg).reshape(m, c_out)
    return np.matmul(xg.transpose(1, 0, 2), wg.transpose(0, 2, 1)).transpose(1, 0, 2).reshape(m, c_out)


def _tap_input_grad(dys, w_m, groups):
    """(M, C_out) x (C_out, C_in/G) -> (M, C_in)."""
    if groups == 1:
        return dys @ w_m
    m, (c_out, cg_in) = dys.shape[0], w_m.shape
    dg, wg = dys.reshape(m, groups, c_out // groups), w_m.reshape(groups, c_out // groups, cg_in)
    if cg_in * c_out // groups < _SMALL_GROUP:
        return np.einsum("mgo,goi->mgi", dg, wg).reshape(m, groups * cg_in)
    return np.matmul(dg.transpose(1, 0, 2), wg).transpose(1, 0, 2).reshape(m, groups * cg_in)


def _tap_weight_grad(dys, xs, groups):
    """(M, C_out) x (M, C_in) -> (C_out, C_in/G)."""
    if groups == 1:
        return dys.T @ xs
    m, c_out, c_in = dys.shape[0], dys.shape[1], xs.shape[1]
    dg, xg = dys.reshape(m, groups, c_out // groups), xs.reshape(m, groups, c_in // groups)
    if c_in * c_out // groups**2 < _SMALL_GROUP:
        return np.einsum("mgo,mgi->goi", dg, xg).reshape(c_out, c_in // groups)
    return np.matmul(dg.transpose(1, 2, 0), xg.transpose(1, 0, 2)).reshape(c_out, c_in // groups)


def _input_grad(dys: np.ndarray, w: np.ndarray, geom: ConvGeometry, groups: int, n: int,
                dtype) -> np.ndarray:
    """Scatter-add ``dy`` rows through every tap; returns ``(N, C_in, *geom.in_size)``.

    Shared by :func:`conv_backward` (``dx``) and :func:`conv_transpose` (its forward pass).
    """
    c_in = w.shape[1] * groups
    dxp = np.zeros((n, *geom.padded_size, c_in), dtype=dtype)
    for tap in np.ndindex(*geom.kernel_size):
        view = dxp[(slice(None), *geom.window(tap))]
        view += _tap_input_grad(dys, _tap(w, tap), groups).reshape(view.shape)
    return np.ascontiguousarray(np.moveaxis(dxp[(slice(None), *geom.unpadded())], -1, 1))


def conv(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1):
    r"""N-d convolution (cross-correlation) as deep-learning frameworks define it.

    .. math:: y_{n,c,o} = b_c + \sum_{c'} \sum_m w_{c,c',m}\, x_{n,\,g(c)+c',\; s o + d m - p_{lo}}

    where the sum over ``c'`` runs over the input channels of output channel ``c``'s group,
    and reads outside the input return zero (padding). Derived in the book chapter
    "The forward pass and its arithmetic".

    Parameters
    ----------
    x : array_like, shape (N, C_in, *spatial)
        Input; 1, 2 or 3 (or more) spatial dimensions.
    w : array_like, shape (C_out, C_in // groups, *kernel)
        Kernel, with as many spatial dimensions as ``x``.
    b : array_like, shape (C_out,), optional
        Bias.
    stride, dilation : int or tuple of int
        One value for every spatial dimension, or one per dimension. ``dilation=1``
        means an ordinary (undilated) kernel.
    padding : int, tuple of int, or tuple of (int, int)
        Zero padding: the same on every side, one symmetric value per dimension, or one
        ``(lo, hi)`` pair per dimension.
    groups : int
        Number of channel groups; must divide ``C_in`` and ``C_out``.

    Returns
    -------
    y : ndarray, shape (N, C_out, *out)
        ``out = floor((n + p_lo + p_hi - d*(k-1) - 1) / s) + 1`` per dimension
        (:func:`convbp.geometry.conv_output_size`). float32 inputs give float32;
        integer inputs are promoted to float64.

    Examples
    --------
    >>> import numpy as np, convbp
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> w = np.ones((1, 1, 2, 2))
    >>> convbp.conv(x, w, stride=2)
    array([[[[10., 18.],
             [42., 50.]]]])
    """
    op = "conv"
    x, w, groups = check_conv_operands(op, x, w, groups)
    geom = conv_geometry(op, x.shape[2:], w.shape[2:], stride, padding, dilation)
    b = check_bias(op, b, w.shape[0])
    dtype = float_dtype(x, w, b)
    n, c_in, c_out = x.shape[0], x.shape[1], w.shape[0]
    xp = _channels_last_padded(x, geom, dtype)
    w = w.astype(dtype, copy=False)
    rows = n * math.prod(geom.out_size)
    y = np.zeros((rows, c_out), dtype=dtype)
    for tap in np.ndindex(*geom.kernel_size):
        xs = xp[(slice(None), *geom.window(tap))].reshape(rows, c_in)
        y += _tap_forward(xs, _tap(w, tap), groups)
    if b is not None:
        y += b.astype(dtype, copy=False)
    return _from_rows(y, n, geom.out_size)


def conv_backward(dy, x, w, *, stride=1, padding=0, dilation=1, groups=1):
    r"""Gradients of a convolution with respect to its input, kernel and bias.

    Given the upstream gradient ``dy`` = :math:`\partial L / \partial y` of
    ``y = conv(x, w, b, ...)``, returns

    .. math::
        \frac{\partial L}{\partial x_{n,c',a}} = \sum_{c,o,m:\ s o + d m - p_{lo} = a}
            \delta_{n,c,o}\, w_{c,c',m}, \qquad
        \frac{\partial L}{\partial w_{c,c',m}} = \sum_{n,o} \delta_{n,c,o}\,
            x_{n,c',\,s o + d m - p_{lo}}, \qquad
        \frac{\partial L}{\partial b_c} = \sum_{n,o} \delta_{n,c,o}.

    Input rows that no window reads (the leftover remainder when the stride does not
    divide ``n + p_lo + p_hi - d*(k-1) - 1``) get exactly zero gradient. Derived in the
    book chapter "The backward pass at stride > 1"; equal to the dilate-pad-flip recipe
    :func:`convbp.conv_backward_as_convolutions`.

    Parameters
    ----------
    dy : array_like, shape (N, C_out, *out)
        Upstream gradient, the shape of ``conv(x, w, ...)``.
    x : array_like, shape (N, C_in, *spatial)
    w : array_like, shape (C_out, C_in // groups, *kernel)
    stride, padding, dilation, groups
        As in :func:`conv`.

    Returns
    -------
    Gradients
        Named tuple ``(dx, dw, db)``: ``dx`` shape (N, C_in, *spatial) with x's float
        dtype, ``dw`` shape (C_out, C_in // groups, *kernel) with w's float dtype,
        ``db`` shape (C_out,).

    Examples
    --------
    >>> import numpy as np, convbp
    >>> x = np.arange(25.0).reshape(1, 1, 5, 5)
    >>> w = np.ones((1, 1, 3, 3))
    >>> dy = np.ones((1, 1, 2, 2))
    >>> g = convbp.conv_backward(dy, x, w, stride=2)
    >>> g.dx[0, 0]
    array([[1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.],
           [2., 2., 4., 2., 2.],
           [1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.]])
    >>> g.db
    array([4.])
    """
    op = "conv_backward"
    x, w, dy, geom, groups = prepare_backward(op, dy, x, w, stride, padding, dilation, groups)
    dtype = float_dtype(x, w, dy)
    n, c_in = x.shape[0], x.shape[1]
    dys = _rows(dy, dtype)
    xp = _channels_last_padded(x, geom, dtype)
    w_ = w.astype(dtype, copy=False)
    dw = np.empty(w.shape, dtype=dtype)
    for tap in np.ndindex(*geom.kernel_size):
        xs = xp[(slice(None), *geom.window(tap))].reshape(dys.shape[0], c_in)
        dw[(slice(None), slice(None), *tap)] = _tap_weight_grad(dys, xs, groups)
    del xp
    dx = _input_grad(dys, w_, geom, groups, n, dtype)
    db = dys.sum(axis=0)
    return Gradients(dx.astype(float_dtype(x), copy=False), dw.astype(float_dtype(w), copy=False),
                     db.astype(float_dtype(dy), copy=False))


def prepare_backward(op, dy, x, w, stride, padding, dilation, groups):
    """Validate the arguments of a convolution backward pass.

    Returns ``x, w, dy, geometry, groups`` with ``dy`` checked against the output shape.
    """
    x, w, groups = check_conv_operands(op, x, w, groups)
    geom = conv_geometry(op, x.shape[2:], w.shape[2:], stride, padding, dilation)
    expected = (x.shape[0], w.shape[0], *geom.out_size)
    dy = check_shape(op, "dy", dy, expected, "the output of conv for these arguments")
    return x, w, dy, geom, groups


def conv_transpose(x, w, b=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    r"""N-d transposed convolution with PyTorch's semantics: the adjoint of :func:`conv`.

    ``conv_transpose(dy, w, stride=s, padding=p, output_padding=r, dilation=d)`` equals
    ``conv_backward(dy, x, w, stride=s, padding=p, dilation=d).dx`` for an ``x`` whose
    size leaves ``r`` leftover rows, so that
    ``<dy, conv(x, w)> == <conv_transpose(dy, w), x>``. Derived in the book chapter
    "Padding, dilation and the general rule".

    Parameters
    ----------
    x : array_like, shape (N, C_in, *spatial)
    w : array_like, shape (C_in, C_out // groups, *kernel)
        The same array as the kernel of the convolution being transposed (whose input
        has ``C_out`` channels and output ``C_in``).
    b : array_like, shape (C_out,), optional
    stride, padding, dilation, groups
        Those of the convolution being transposed (``padding`` removes rows from the output).
    output_padding : int or tuple of int
        Extra rows at the high end of the output, smaller than the stride or the
        dilation: which of the input sizes that the convolution maps to the same output
        size is meant.

    Returns
    -------
    y : ndarray, shape (N, C_out, *out)
        ``out = (n - 1)*s - p_lo - p_hi + d*(k-1) + output_padding + 1``.

    Examples
    --------
    >>> import numpy as np, convbp
    >>> x = np.array([[[1.0, 2.0]]])
    >>> w = np.array([[[1.0, 10.0, 100.0]]])
    >>> convbp.conv_transpose(x, w, stride=2)
    array([[[  1.,  10., 102.,  20., 200.]]])
    """
    op = "conv_transpose"
    x, w, groups = check_conv_operands(op, x, w, groups, transposed=True)
    geom = conv_transpose_geometry(op, x.shape[2:], w.shape[2:], stride, padding, output_padding,
                                   dilation)
    b = check_bias(op, b, w.shape[1] * groups)
    dtype = float_dtype(x, w, b)
    y = _input_grad(_rows(x, dtype), w.astype(dtype, copy=False), geom, groups, x.shape[0], dtype)
    if b is not None:
        y += b.astype(dtype, copy=False).reshape(-1, *(1,) * geom.ndim)
    return y
