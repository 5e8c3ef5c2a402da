r"""Plain-loop reference implementations: the index equations, executed literally.

Every function here is a direct transcription of the index form in
:mod:`convbp.geometry` (derived in :ref:`backward-strided`):
explicit Python loops over batch, channels, output positions and kernel taps, with
scalar float64 arithmetic. They are slow on purpose and share no code with the fast
implementations, so they can serve as ground truth in the tests. Arguments are
validated with the same helpers as the fast functions, so the errors match (with
``reference.`` in front of the operation name).

One spatial dimension, input index ``a`` read by output ``o`` through kernel tap ``m``::

    a = s*o + d*m - p_lo            (a outside [0, n) is padding: it reads 0)

Every spatial dimension does the same, independently; positions are tuples and the
loops run over ``np.ndindex`` so that 1, 2 and 3 spatial dimensions share one code path.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ._types import Gradients
from ._checks import (check_backward, check_bias, check_conv_operands, check_pool, check_pool_dy,
                      float_dtype)
from .geometry import ConvGeometry, conv_geometry, conv_transpose_geometry

__all__ = [
    "conv",
    "conv_backward",
    "conv_transpose",
    "max_pool",
    "max_pool_backward",
    "avg_pool",
    "avg_pool_backward",
]


def _input_index(geom: ConvGeometry, o: tuple, m: tuple):
    """``a = s*o + d*m - p_lo`` in every dimension, or ``None`` if it lies in the padding."""
    a = tuple(
        s * oi + d * mi - lo
        for oi, mi, s, d, (lo, _hi) in zip(o, m, geom.stride, geom.dilation, geom.padding)
    )
    if all(0 <= ai < n for ai, n in zip(a, geom.in_size)):
        return a
    return None


def _reads(geom: ConvGeometry, o: tuple):
    """Every tap ``m`` of window ``o`` that reads the input, with the position ``a`` it reads.

    Taps that land in the padding read zero and are skipped.
    """
    for m in np.ndindex(*geom.kernel_size):
        a = _input_index(geom, o, m)
        if a is not None:
            yield m, a


def _windows(shape: tuple, geom: ConvGeometry):
    """``(i, c, o)``: every sample ``i``, channel ``c`` and window ``o`` of a pooling layer."""
    return itertools.product(range(shape[0]), range(shape[1]), np.ndindex(*geom.out_size))


# --------------------------------------------------------------------------- convolution


def conv(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1):
    r"""Convolution (cross-correlation, as in PyTorch) by explicit loops.

    .. math::

        y_{i,j,o} &= b_j + \sum_{c,m} w_{j,\,c - g C_{in}/G,\,m}\; x_{i,c,a}

        a &= s o + d m - p_{lo}, \quad c \in \text{group}(g)

    (sample ``i``, output channel ``j``, input channel ``c``), with reads in the padding
    equal to zero. Output channel ``j`` belongs to group ``g = j // c_out_g`` and reads
    input channels ``g*c_in_g`` to ``(g+1)*c_in_g - 1``, with ``c_in_g = C_in // groups``
    and ``c_out_g = C_out // groups``. Derived in :ref:`forward-arithmetic` and
    :ref:`channels-groups`.

    Parameters
    ----------
    x : array_like, shape (N, C_in, *spatial)
    w : array_like, shape (C_out, C_in // groups, *kernel)
    b : array_like, shape (C_out,), optional
    stride, padding, dilation, groups
        As in :func:`convbp.conv`.

    Returns
    -------
    y : ndarray, shape (N, C_out, *out)
        ``out`` from :func:`convbp.geometry.conv_geometry`; dtype ``float_dtype(x, w, b)``.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp import reference
    >>> x = np.array([[[1.0, 2.0, 4.0, 8.0, 16.0]]])
    >>> w = np.array([[[1.0, -1.0]]])
    >>> reference.conv(x, w, stride=2)          # x[0]-x[1], x[2]-x[3]; 16 is never read
    array([[[-1., -4.]]])
    """
    op = "reference.conv"
    x, w, groups = check_conv_operands(op, x, w, groups)
    geom = conv_geometry(op, x.shape[2:], w.shape[2:], stride, padding, dilation)
    b = check_bias(op, b, w.shape[0])
    dtype = float_dtype(x, w, b)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    n, c_out, c_in_g = x.shape[0], w.shape[0], w.shape[1]
    c_out_g = c_out // groups

    y = np.zeros((n, c_out, *geom.out_size))
    for i in range(n):
        for j in range(c_out):
            g = j // c_out_g
            for o in np.ndindex(*geom.out_size):
                total = 0.0 if b is None else float(b[j])
                for c_g in range(c_in_g):           # c_g: the channel within group g
                    c = g * c_in_g + c_g
                    for m, a in _reads(geom, o):
                        total += w64[(j, c_g) + m] * x64[(i, c) + a]
                y[(i, j) + o] = total
    return y.astype(dtype)


def conv_backward(dy, x, w, *, stride=1, padding=0, dilation=1, groups=1):
    r"""Gradients of :func:`conv` by explicit loops over every (i, j, c, o, m) product.

    Each product ``w[j, c_g, m] * x[i, c, a]`` of :func:`conv` (``c_g`` the channel
    ``c`` within its group, ``a = s*o + d*m - p_lo`` in range) contributes
    ``dy[i, j, o] * w[j, c_g, m]`` to ``dx[i, c, a]`` and ``dy[i, j, o] * x[i, c, a]``
    to ``dw[j, c_g, m]``; ``db[j]`` is ``dy[:, j]`` summed. Input rows that no window
    reads keep a zero gradient. Derived in :ref:`backward-strided`.

    Parameters
    ----------
    dy, x, w, stride, padding, dilation, groups
        As in :func:`convbp.conv_backward`: ``dy`` has the shape of ``conv(x, w, ...)``.

    Returns
    -------
    Gradients
        ``dx`` of shape ``(N, C_in, *spatial)`` with dtype ``float_dtype(x)``, ``dw`` of
        shape ``(C_out, C_in // groups, *kernel)`` with dtype ``float_dtype(w)``, ``db``
        of shape ``(C_out,)`` with dtype ``float_dtype(dy)``.

    See Also
    --------
    convbp.conv_backward : the fast path, with the same signature and result.
    convbp.conv_backward_as_convolutions : the gradients as forward convolutions.
    convbp.symbolic.derive : every gradient entry as a SymPy expression.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp import reference
    >>> x = np.array([[[1.0, 2.0, 4.0, 8.0, 16.0]]])
    >>> grads = reference.conv_backward(np.array([[[3.0, 5.0]]]), x,
    ...                                 np.array([[[1.0, -1.0]]]), stride=2)
    >>> grads.dx                                # x[4] is never read: zero gradient
    array([[[ 3., -3.,  5., -5.,  0.]]])
    """
    op = "reference.conv_backward"
    x, w, dy, geom, groups = check_backward(op, dy, x, w, stride, padding, dilation, groups)
    n, c_out, c_in_g = x.shape[0], w.shape[0], w.shape[1]
    x64, w64, dy64 = x.astype(np.float64), w.astype(np.float64), dy.astype(np.float64)
    c_out_g = c_out // groups

    dx = np.zeros(x.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(c_out)
    for i in range(n):
        for j in range(c_out):
            g = j // c_out_g
            for o in np.ndindex(*geom.out_size):
                dy_o = dy64[(i, j) + o]
                db[j] += dy_o
                for c_g in range(c_in_g):
                    c = g * c_in_g + c_g
                    for m, a in _reads(geom, o):
                        dx[(i, c) + a] += dy_o * w64[(j, c_g) + m]
                        dw[(j, c_g) + m] += dy_o * x64[(i, c) + a]
    return Gradients(dx.astype(float_dtype(x)), dw.astype(float_dtype(w)),
                     db.astype(float_dtype(dy)))


def conv_transpose(x, w, b=None, *, stride=1, padding=0, output_padding=0, dilation=1,
                   groups=1):
    r"""Transposed convolution (PyTorch semantics) by explicit loops.

    Every input entry scatters a scaled copy of the kernel into the output:
    ``out[i, j, s*o + d*m - p_lo] += x[i, c, o] * w[c, j_g, m]`` (input channel ``c``,
    output channel ``j`` and ``j_g`` its index within the group; entries that land in
    the cropped padding are dropped), then the bias is added. Derived in
    :ref:`transposed-conv`.

    Parameters
    ----------
    x, w, b, stride, padding, output_padding, dilation, groups
        As in :func:`convbp.conv_transpose`: ``w`` has the shape of the kernel of the
        convolution being transposed, ``(C_in, C_out // groups, *kernel)``.

    Returns
    -------
    y : ndarray, shape (N, C_out, *out)
        The shape of :func:`convbp.conv_transpose`'s result; dtype
        ``float_dtype(x, w, b)``.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp import reference
    >>> reference.conv_transpose(np.array([[[1.0, 2.0]]]), np.array([[[1.0, 10.0, 100.0]]]),
    ...                          stride=2)
    array([[[  1.,  10., 102.,  20., 200.]]])
    """
    op = "reference.conv_transpose"
    x, w, groups = check_conv_operands(op, x, w, groups, transposed=True)
    geom = conv_transpose_geometry(op, x.shape[2:], w.shape[2:], stride, padding,
                                   output_padding, dilation)
    n, c_in, c_out_g = x.shape[0], x.shape[1], w.shape[1]
    c_out = c_out_g * groups
    c_in_g = c_in // groups
    b = check_bias(op, b, c_out)
    dtype = float_dtype(x, w, b)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)

    # geom describes the convolution being transposed: x sits at its outputs o, and
    # its input size is our output size
    out = np.zeros((n, c_out, *geom.in_size))
    for i in range(n):
        for c in range(c_in):
            g = c // c_in_g
            for o in np.ndindex(*geom.out_size):
                for j_g in range(c_out_g):
                    j = g * c_out_g + j_g
                    for m, a in _reads(geom, o):
                        out[(i, j) + a] += x64[(i, c) + o] * w64[(c, j_g) + m]
    if b is not None:
        for j in range(c_out):
            out[:, j] += float(b[j])
    return out.astype(dtype)


# --------------------------------------------------------------------------- pooling


def _window_argmax(x64: np.ndarray, i: int, c: int, o: tuple, geom: ConvGeometry):
    """Input position of the largest entry of window ``o`` (row-major scan).

    Padded cells are never chosen. Ties go to the first entry; a NaN replaces the
    current choice whenever it is met (so the last NaN wins), as in PyTorch's CPU
    kernels (``if (val > maxval || isnan(val))``).
    """
    best_pos, best = None, -math.inf
    for _m, a in _reads(geom, o):
        v = x64[(i, c) + a]
        if best_pos is None or v > best or math.isnan(v):
            best_pos, best = a, v
    return best_pos  # never None: pool_geometry keeps a real entry in every window


def max_pool(x, kernel_size, stride=None, padding=0):
    r"""Max pooling by explicit loops: ``y[i, c, o] = max_m x[i, c, s*o + m - p_lo]``.

    Padded cells are never selected.

    Parameters
    ----------
    x, kernel_size, stride, padding
        As in :func:`convbp.max_pool` (``stride`` defaults to ``kernel_size``, padding
        is at most ``kernel_size // 2`` on each side).

    Returns
    -------
    y : ndarray, shape (N, C, *out)
        dtype ``float_dtype(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp import reference
    >>> reference.max_pool(np.array([[[1.0, 5.0, 2.0, 0.0, 7.0]]]), 2)
    array([[[5., 2.]]])
    """
    op = "reference.max_pool"
    x, geom = check_pool(op, x, kernel_size, stride, padding)
    x64 = x.astype(np.float64)
    y = np.zeros((*x.shape[:2], *geom.out_size))
    for i, c, o in _windows(x.shape, geom):
        y[(i, c) + o] = x64[(i, c) + _window_argmax(x64, i, c, o, geom)]
    return y.astype(float_dtype(x))


def max_pool_backward(dy, x, kernel_size, stride=None, padding=0):
    r"""Gradient of :func:`max_pool`: each ``dy`` entry goes to its window's maximum.

    The maximum is the *first* largest entry in row-major order over the window (ties
    go to the first, as in PyTorch's CPU kernels); overlapping windows accumulate.

    Parameters
    ----------
    dy, x, kernel_size, stride, padding
        As in :func:`convbp.max_pool_backward` (the maxima are found again from ``x``).

    Returns
    -------
    dx : ndarray, shape (N, C, *spatial)
        dtype ``float_dtype(dy, x)``.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp import reference
    >>> reference.max_pool_backward(np.array([[[1.0, 2.0, 4.0]]]),
    ...                             np.array([[[3.0, 3.0, 1.0, 3.0]]]), 2, stride=1)
    array([[[1., 2., 0., 4.]]])
    """
    op = "reference.max_pool_backward"
    x, geom = check_pool(op, x, kernel_size, stride, padding)
    dy = check_pool_dy(op, op.removesuffix("_backward"), dy, x, geom)
    x64, dy64 = x.astype(np.float64), dy.astype(np.float64)
    dx = np.zeros(x.shape)
    for i, c, o in _windows(x.shape, geom):
        dx[(i, c) + _window_argmax(x64, i, c, o, geom)] += dy64[(i, c) + o]
    return dx.astype(float_dtype(dy, x))


def avg_pool(x, kernel_size, stride=None, padding=0):
    r"""Average pooling by explicit loops, padded cells counting as zeros.

    ``y[i, c, o] = (1 / prod(k)) * sum_m x[i, c, s*o + m - p_lo]``: the divisor is the
    full window size even where the window overlaps the padding (PyTorch's default
    ``count_include_pad=True``).

    Parameters
    ----------
    x, kernel_size, stride, padding
        As in :func:`convbp.avg_pool`.

    Returns
    -------
    y : ndarray, shape (N, C, *out)
        Window sums divided by ``prod(kernel_size)``; dtype ``float_dtype(x)``.

    Examples
    --------
    >>> from convbp import reference
    >>> reference.avg_pool([[[3.0, 6.0, 9.0]]], 3, stride=1, padding=1)
    array([[[3., 6., 5.]]])
    """
    op = "reference.avg_pool"
    x, geom = check_pool(op, x, kernel_size, stride, padding)
    x64 = x.astype(np.float64)
    size = math.prod(geom.kernel_size)
    y = np.zeros((*x.shape[:2], *geom.out_size))
    for i, c, o in _windows(x.shape, geom):
        y[(i, c) + o] = sum(x64[(i, c) + a] for _m, a in _reads(geom, o)) / size
    return y.astype(float_dtype(x))


def avg_pool_backward(dy, x, kernel_size, stride=None, padding=0):
    r"""Gradient of :func:`avg_pool`: ``dy / prod(k)`` spread over every real cell of a window.

    Overlapping windows accumulate; the share that lands on padding is dropped.

    Parameters
    ----------
    dy, x, kernel_size, stride, padding
        As in :func:`convbp.avg_pool_backward`.

    Returns
    -------
    dx : ndarray, shape (N, C, *spatial)
        Every cell's share of the windows that contain it; dtype ``float_dtype(dy, x)``.

    Examples
    --------
    >>> from convbp import reference
    >>> reference.avg_pool_backward([[[3.0, 6.0]]], [[[0.0, 0.0, 0.0, 0.0]]], 2)
    array([[[1.5, 1.5, 3. , 3. ]]])
    """
    op = "reference.avg_pool_backward"
    x, geom = check_pool(op, x, kernel_size, stride, padding)
    dy = check_pool_dy(op, op.removesuffix("_backward"), dy, x, geom)
    dy64 = dy.astype(np.float64)
    size = math.prod(geom.kernel_size)
    dx = np.zeros(x.shape)
    for i, c, o in _windows(x.shape, geom):
        share = dy64[(i, c) + o] / size
        for _m, a in _reads(geom, o):
            dx[(i, c) + a] += share
    return dx.astype(float_dtype(dy, x))
