r"""Fast N-d convolution, its gradients, and transposed convolution.

Index form (:mod:`convbp.geometry`; derived in :ref:`backward-strided`), one spatial
dimension, tap ``m``, output ``o``, groups left out::

    y [n, :, o]             = sum_m  w[:, :, m] @ x_pad[n, :, s*o + d*m]
    dw[:, :, m]             = sum_{n,o} dy[n, :, o] (outer) x_pad[n, :, s*o + d*m]
    dx_pad[n, :, s*q + rho] = sum_{m: d*m = rho (mod s)} w[:, :, m].T @ dy[n, :, q - (d*m - rho)/s]

How it is computed (kernels in :mod:`convbp._fastconv`, :mod:`convbp._depthwise`,
threads in :mod:`convbp._threads`):

* ``x`` is copied once to channels-last, zero-padded ``(N, *padded, C_in)``. The
  windows of all taps are one strided view of it; a block of them (a few samples, or a
  few output rows of one sample) is copied into a column buffer of bounded size
  (im2col, ``K = prod(kernel) * C_in/G`` columns), so that ``y`` of the block is one
  matrix product ``cols @ w_mat.T``, moved to the channels-first output by one copy.
  ``dw`` is ``dy_block @ cols`` summed over the blocks. Each core runs whole blocks.
* ``dx`` is split into stride phases (:func:`convbp.geometry.input_phases`): input rows
  ``s*q + rho`` only receive the taps with ``d*m = rho (mod s)``, and for them the sum
  is a stride-1 correlation of ``dy``, computed the same way. No product with the
  ``s - 1`` zeros that the textbook recipe (:func:`convbp.conv_backward_as_convolutions`)
  inserts into ``dy`` is formed, and input rows that no window reads (the leftover
  remainder) see only zero padding of ``dy``: their gradient is exactly zero. When
  that moves fewer values (:func:`_scatters`: ``C_in`` several times smaller than
  ``C_out``, or large kernels on small inputs), ``dx`` is scattered instead (col2im):
  one product ``w_mat.T @ dy`` per block, then one add per tap, at stride 1 on long
  flat runs over the samples of a block laid end to end
  (:func:`convbp._fastconv.flat_scatter`).
* A 1x1 kernel at stride 1 without padding needs no columns (``x`` is its own column
  matrix), and a depthwise kernel (one input channel per group) no columns over
  channels: each of its taps is one broadcast multiply-add, on the flattened stride
  phases of ``x``; in 2-D with short output rows, the forward pass is instead one
  product per channel with a banded matrix that places the taps along a row
  (:mod:`convbp._depthwise`, :mod:`convbp._banded`).
* Few channels per group (first layers with 1-3 channels, grouped layers with a few
  channels per group): the channels-last columns would be copied in runs of a few
  values. A shape rule (:func:`convbp._fastconv.channels_first`) then copies them
  channels-first instead (Caffe's im2col, runs along the output rows), and the product
  of each block is one batched ``wmat[g] (C_out/G, K) @ cols[g] (K, positions)`` over
  all groups, already channels-first; ``dw`` comes out in the kernel's own layout.
* Small work (:data:`convbp._threads.SERIAL_COST`, about 30 MFLOP; copies and
  depthwise loops weighed more) runs in the calling thread with BLAS single-threaded:
  waking a thread and sharing the GIL with it would cost more than it saves.
  So does col2im whose strided adds are small
  (:data:`convbp._fastconv.SCATTER_ADD_ELEMENTS`): two threads would queue for the GIL.
* Memory: the column buffers of all threads stay within half of the operands, and in
  the gradients within what :data:`MEMORY_BOUND` ``(x + dy)`` leaves besides the padded
  copies and gradients held (:func:`_column_budget`); when the zero-padded ``dy`` of the
  stride phases would outgrow ``x`` and ``dy`` together (large kernels on small
  images), each block pads its own samples of ``dy``. So ``conv_backward`` allocates
  about ``2 (x + dy)`` bytes at most.

Every choice is a rule on shapes, never a timing: the same call always takes the same
path and gives the same bits.

Python loops run over blocks, stride phases and (depthwise, col2im) kernel taps only,
never over channels or output positions. float32 stays float32 throughout.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import _banded as banded
from . import _depthwise as depthwise
from . import _fastconv as fc
from ._types import Gradients
from ._checks import check_backward, check_bias, check_conv_operands, float_dtype
from ._threads import blas_threads
from .geometry import ConvGeometry, conv_geometry, conv_transpose_geometry, input_phases

__all__ = ["conv", "conv_backward", "conv_transpose", "Gradients"]


# How many times dearer one element of col2im's strided adds is than one element of the
# column copy of the stride phases (see _scatters).
_SCATTER_RATIO = 4

# The column buffers of conv_backward are sized so that, with the arrays it holds, its
# peak extra memory stays within about this many times x + dy (see _column_budget).
MEMORY_BOUND = 1.9


def _column_budget(operands: int, held: int, per_column: float) -> int:
    """Column bytes per thread for a gradient's blocks (:func:`convbp._fastconv._plan`'s
    ``budget``, which only ever lowers its own): what is left of
    ``MEMORY_BOUND * operands`` (``x + dy`` bytes) besides the ``held`` bytes (padded
    copies, the gradients), shared among the threads, each of which holds
    ``per_column`` buffer bytes per column byte. Binding only where the padded copies
    are large against ``x + dy``: dilated 3x3 layers (16 channels on 16x16, 32 on
    28x28) peaked at 2.10 and 2.01 (x + dy), now 1.79 and 1.70, at the same speed."""
    room = MEMORY_BOUND * operands - held
    return min(fc.CHUNK_BYTES,
               max(fc.MIN_CHUNK_BYTES, int(room / (blas_threads() * per_column))))


def _is_depthwise(w_shape, groups: int) -> bool:
    """One input channel per group: per-tap multiply-adds beat a product over ``prod(k)``."""
    return groups > 1 and w_shape[1] == 1


def _channels_first(c_in_g: int, groups: int, geom: ConvGeometry) -> bool:
    """Columns of ``x`` copied channels-first (:func:`convbp._fastconv.channels_first`)."""
    return fc.channels_first(c_in_g, groups, geom.stride, geom.out_size, geom.kernel_size,
                             geom.dilation)


def _is_pointwise(geom: ConvGeometry) -> bool:
    """1x1 kernel, stride 1, no padding: ``x`` itself is the column matrix."""
    return (all(k == 1 for k in geom.kernel_size) and all(s == 1 for s in geom.stride)
            and all(p == (0, 0) for p in geom.padding))


def _kernel_matrix(w: np.ndarray, groups: int, dtype) -> np.ndarray:
    """``(C_out, C_in/G, *k)`` -> ``(G, C_out/G, prod(k) * C_in/G)``, columns ordered (tap, c)."""
    c_out, c_in_g, *k = w.shape
    wg = w.reshape(groups, c_out // groups, c_in_g, *k).astype(dtype, copy=False)
    return wg.transpose(0, 1, *range(3, wg.ndim), 2).reshape(groups, c_out // groups, -1)


def _from_kernel_matrix(wmat: np.ndarray, shape) -> np.ndarray:
    """Inverse of :func:`_kernel_matrix`: ``(G, C_out/G, prod(k) * C_in/G)`` -> ``shape``."""
    c_out, c_in_g, *k = shape
    wg = wmat.reshape(*wmat.shape[:2], *k, c_in_g)
    return np.ascontiguousarray(wg.transpose(0, 1, wg.ndim - 1, *range(2, wg.ndim - 1))
                                .reshape(shape))


@functools.lru_cache(maxsize=256)
def _phase_taps(geom: ConvGeometry):
    """:func:`convbp.geometry.input_phases` of ``geom`` (cached: geometries are immutable)
    with, per phase, the flat indices of its taps into ``prod(kernel)`` (row-major, the
    order of ``np.ix_(*taps)``), or ``None`` for a phase that no tap reaches."""
    pads, phases = input_phases(geom)
    flat = []
    for phase in phases:
        if all(phase.taps):
            idx = np.ravel_multi_index(np.ix_(*phase.taps), geom.kernel_size).ravel()
            idx.flags.writeable = False
            flat.append(idx)
        else:
            flat.append(None)
    return pads, phases, tuple(flat)


def _scatters(geom: ConvGeometry, c_in_g: int, c_out_g: int) -> bool:
    """Shape rule: compute ``dx`` by col2im (:func:`convbp._fastconv.scatter`) rather than
    by the stride phases (:func:`convbp._fastconv.correlate`)?

    Both do the same multiply-adds; they differ in what they move. The phases copy, per
    input position, ``C_out/G`` values of ``dy`` for each tap that reaches it; col2im adds,
    per output position, ``C_in/G`` values for every tap, in strided adds about
    :data:`_SCATTER_RATIO` times dearer per element. Col2im wins when ``C_out`` is several
    times ``C_in`` (first layers), and for large kernels on small inputs, where the phases
    also copy the zero border of the padded ``dy`` (LeNet's 6 -> 16, 5x5 on 14x14).
    """
    _pads, phases, tap_index = _phase_taps(geom)
    gather = c_out_g * sum(math.prod(p.count) * len(idx)
                           for p, idx in zip(phases, tap_index) if idx is not None)
    scatter = c_in_g * math.prod(geom.out_size) * math.prod(geom.kernel_size)
    return _SCATTER_RATIO * scatter <= gather


def _grouped(a: np.ndarray, groups: int, dtype) -> np.ndarray:
    """``(N, C, *S)`` -> ``(N, G, C/G, prod(S))`` of ``dtype`` (a view when possible)."""
    return a.astype(dtype, copy=False).reshape(a.shape[0], groups, a.shape[1] // groups, -1)


# Forward and gradients. Each picks one of three layouts: depthwise (per-tap multiply-adds),
# pointwise (x is its own column matrix: batched products on the channels-first arrays), or
# the general im2col products of convbp._fastconv.

def _forward(x: np.ndarray, w: np.ndarray, b, geom: ConvGeometry, groups: int,
             dtype) -> np.ndarray:
    """``y`` of shape ``(N, C_out, *geom.out_size)``; ``b`` is ``None`` or ``(C_out,)``."""
    if b is not None:
        b = b.astype(dtype, copy=False)
    if x.shape[0] == 0:            # an empty batch: nothing to compute
        return np.zeros((0, w.shape[0], *geom.out_size), dtype=dtype)
    if _is_depthwise(w.shape, groups):
        y = (banded if banded.banded(geom) else depthwise).forward(x, w, geom, dtype)
    elif _is_pointwise(geom):      # y[n, g] = wmat[g] @ x[n, g]
        y = np.empty((x.shape[0], w.shape[0], *geom.out_size), dtype=dtype)
        fc.pointwise(_kernel_matrix(w, groups, dtype), _grouped(x, groups, dtype),
                     _grouped(y, groups, dtype))
    else:                          # im2col products, the bias added block by block
        y = np.empty((x.shape[0], w.shape[0], *geom.out_size), dtype=dtype)
        zero = (0,) * geom.ndim
        if _channels_first(w.shape[1], groups, geom):
            wmat = w.reshape(groups, w.shape[0] // groups, -1).astype(dtype, copy=False)
            xp = fc.pad_channels_first(x, geom.padding, dtype)
            fc.correlate([fc.Correlation(xp, wmat, y, zero, geom.stride, geom.out_size,
                                         geom.kernel_size, geom.dilation, b, True)])
        else:
            wmat = np.ascontiguousarray(_kernel_matrix(w, groups, dtype).transpose(0, 2, 1))
            xp = fc.pad_channels_last(x, geom.padding, dtype)
            fc.correlate([fc.Correlation(xp, wmat, y, zero, geom.stride, geom.out_size,
                                         geom.kernel_size, geom.dilation, b)])
        return y
    if b is not None:
        y += b.reshape(-1, *(1,) * geom.ndim)
    return y


def _weight_grad(dy: np.ndarray, x: np.ndarray, w_shape, geom: ConvGeometry, groups: int,
                 dtype) -> np.ndarray:
    """``dw[j, c, m] = sum_{i,o} dy[i, j, o] * x_pad[i, g*C_in/G + c, s*o + d*m]``, ``g`` the
    group of output channel ``j``."""
    if x.shape[0] == 0:
        return np.zeros(w_shape, dtype=dtype)
    if _is_depthwise(w_shape, groups):
        return depthwise.weight_grad(dy, x, w_shape, geom, dtype)
    if _is_pointwise(geom):        # dw[g] = sum_n dy[n, g] @ x[n, g].T
        dw = fc.pointwise_weight_grad(_grouped(dy, groups, dtype), _grouped(x, groups, dtype))
        return dw.reshape(w_shape)
    if _channels_first(w_shape[1], groups, geom):
        xp = fc.pad_channels_first(x, geom.padding, dtype)
        wmat = fc.weight_grad(xp, dy, start=(0,) * geom.ndim, step=geom.stride,
                              count=geom.out_size, taps=geom.kernel_size,
                              tap_step=geom.dilation, groups=groups, channels_first=True)
        return wmat.reshape(w_shape)
    xp = fc.pad_channels_last(x, geom.padding, dtype)
    k, c_out_g = math.prod(geom.kernel_size) * w_shape[1], w_shape[0] // groups
    # held: the padded x and the gradient in the kernel's layout. (Not counted: the
    # kernel-sized sum and product of each thread in fc.weight_grad. Where they are
    # large against x + dy, 64 -> 64 channels 5x5 on 16x16, counting them shrank the
    # blocks so much that the backward pass took 1.65x as long.)
    held = xp.nbytes + math.prod(w_shape) * xp.itemsize
    budget = _column_budget(x.nbytes + dy.nbytes, held, 1 + c_out_g / k)
    wmat = fc.weight_grad(xp, dy, start=(0,) * geom.ndim, step=geom.stride,
                          count=geom.out_size, taps=geom.kernel_size, tap_step=geom.dilation,
                          groups=groups, budget=budget)
    return _from_kernel_matrix(wmat, w_shape)


def _input_grad(dy: np.ndarray, w: np.ndarray, geom: ConvGeometry, groups: int,
                dtype) -> np.ndarray:
    """``dx`` of shape ``(N, C_in, *geom.in_size)``.

    Shared by :func:`conv_backward` (``dx``) and :func:`conv_transpose` (its forward pass).
    """
    c_out, c_in_g, *k = w.shape
    n, c_out_g = dy.shape[0], c_out // groups
    if n == 0:
        return np.zeros((0, groups * c_in_g, *geom.in_size), dtype=dtype)
    if _is_depthwise(w.shape, groups):
        return depthwise.input_grad(dy, w, geom, groups, dtype)
    wg = w.reshape(groups, c_out_g, c_in_g, -1).astype(dtype, copy=False)   # (G, ., ., taps)
    if _is_pointwise(geom):        # dx[n, g] = wmat[g].T @ dy[n, g]
        dx = np.empty((n, groups * c_in_g, *geom.in_size), dtype=dtype)
        fc.pointwise(wg[..., 0].transpose(0, 2, 1), _grouped(dy, groups, dtype),
                     _grouped(dx, groups, dtype))
        return dx
    pads, phases, tap_index = _phase_taps(geom)        # InputPhases + flat tap indices
    if _scatters(geom, c_in_g, c_out_g):
        # col2im: wmat_t[g, (m, c), j] = w[g*C_out/G + j, c, m]
        wmat_t = wg.transpose(0, 3, 2, 1).reshape(groups, -1, c_out_g)
        dxp = np.zeros((n, groups * c_in_g, *geom.padded_size), dtype=dtype)
        fc.scatter(np.ascontiguousarray(dy, dtype=dtype), wmat_t, dxp, start=(0,) * geom.ndim,
                   step=geom.stride, count=geom.out_size, taps=geom.kernel_size,
                   tap_step=geom.dilation)
        if all(p == (0, 0) for p in geom.padding):
            return dxp
        return np.ascontiguousarray(dxp[(slice(None), slice(None), *geom.unpadded())])
    # stride phases: phase rho correlates the padded dy with its taps m
    # the shape rule of the forward pass, for the largest phase's correlation of dy
    main = max((p for p in phases if all(p.taps)), key=lambda p: math.prod(p.count),
               default=None)
    cf = main is not None and fc.channels_first(
        c_out_g, groups, (1,) * geom.ndim, main.count, tuple(map(len, main.taps)),
        main.tap_step)
    # a padded copy of dy larger than x and dy together (small images, large kernels)
    # would break the memory bound: then each block pads its own samples
    padded_dy = n * c_out * math.prod(o + lo + hi for o, (lo, hi) in zip(geom.out_size, pads))
    local = padded_dy > dy.size + n * groups * c_in_g * math.prod(geom.in_size)
    if local:
        dyp = dy.astype(dtype, copy=False)
    else:
        dyp = (fc.pad_channels_first if cf else fc.pad_channels_last)(dy, pads, dtype)
    dx = np.empty((n, groups * c_in_g, *geom.in_size), dtype=dtype)
    terms = []
    for (taps, start, count, tap_step, rows), idx in zip(phases, tap_index):
        out = dx[(slice(None), slice(None), *rows)]
        if idx is None:                        # a phase no tap reaches: zero gradient
            out[...] = 0
            continue
        w_phase = wg[..., idx]                 # (G, C_out/G, C_in/G, taps of the phase)
        if cf:      # wmat[g, c, (j, m)] = w[g*C_out/G + j, c, m]
            wmat = w_phase.swapaxes(1, 2).reshape(groups, c_in_g, -1)
        else:       # wmat[g, (m, j), c] = w[g*C_out/G + j, c, m]
            wmat = w_phase.transpose(0, 3, 1, 2).reshape(groups, -1, c_in_g)
        terms.append(fc.Correlation(dyp, wmat, out, start, (1,) * geom.ndim, count,
                                    tuple(map(len, taps)), tap_step, None, cf,
                                    pads if local else None))
    if terms:
        k = max(t.wmat.shape[2 if cf else 1] for t in terms)
        held = dx.nbytes + w.nbytes + (0 if dyp is dy else dyp.nbytes)
        fc.correlate(terms, _column_budget(dy.nbytes + dx.nbytes, held, 1 + c_in_g / k))
    return dx


def conv(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1):
    r"""N-d convolution (cross-correlation) as deep-learning frameworks define it.

    .. math::

        y_{i,j,o} &= b_j + \sum_{c,m} w_{j,c,m}\, x_{i,c',a}

        c' &= g\,C_{in}/G + c

        a &= s o + d m - p_{lo}

    where ``g`` is the group of output channel ``j`` and ``c`` runs over its input channels,
    and reads outside the input return zero (padding). Derived in :ref:`forward-arithmetic`.

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
    padding : int, tuple of int, tuple of (int, int), or {"same", "valid"}
        Zero padding: the same on every side, one symmetric value per dimension, or one
        ``(lo, hi)`` pair per dimension. ``"valid"`` is no padding; ``"same"`` (stride 1
        only, as in PyTorch) pads ``d*(k-1)`` rows per dimension, the odd one at the
        end, so that the output has the input's size
        (:func:`convbp.geometry.padding_mode`; for TensorFlow's ``"SAME"`` at any
        stride, pass the pairs of :func:`convbp.geometry.same_padding`).
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
    return _forward(x, w, b, geom, groups, dtype)


def conv_backward(dy, x, w, *, stride=1, padding=0, dilation=1, groups=1, input_grad=True):
    r"""Gradients of a convolution with respect to its input, kernel and bias.

    Given the upstream gradient ``dy`` = :math:`\partial L / \partial y` of
    ``y = conv(x, w, b, ...)``, returns

    .. math::

        \frac{\partial L}{\partial x_{i,c,a}} &= \sum_{j,o,m:\ s o + d m - p_{lo} = a}
            \delta_{i,j,o}\, w_{j,c,m}

        \frac{\partial L}{\partial w_{j,c,m}} &= \sum_{i,o} \delta_{i,j,o}\,
            x_{i,c,\,s o + d m - p_{lo}}

        \frac{\partial L}{\partial b_j} &= \sum_{i,o} \delta_{i,j,o}

    (one group; with groups, ``j`` runs over the output channels of ``c``'s group).

    Input rows that no window reads (the leftover remainder when the stride does not
    divide ``n + p_lo + p_hi - d*(k-1) - 1``) get exactly zero gradient. Derived in
    :ref:`backward-strided`; equal to the dilate-pad-flip recipe
    :func:`convbp.conv_backward_as_convolutions`.

    Parameters
    ----------
    dy : array_like, shape (N, C_out, *out)
        Upstream gradient, the shape of ``conv(x, w, ...)``.
    x : array_like, shape (N, C_in, *spatial)
    w : array_like, shape (C_out, C_in // groups, *kernel)
    stride, padding, dilation, groups
        As in :func:`conv`.
    input_grad : bool
        ``False`` skips ``dx`` (returned as ``None``): a network's first layer needs no
        gradient for its input, and frameworks skip it too.

    Returns
    -------
    Gradients
        Named tuple ``(dx, dw, db)``: ``dx`` of shape ``(N, C_in, *spatial)`` with x's
        float dtype (``None`` when ``input_grad`` is false), ``dw`` of shape
        ``(C_out, C_in // groups, *kernel)`` with w's float dtype, ``db`` of shape
        ``(C_out,)``.

    See Also
    --------
    convbp.conv_backward_as_convolutions : the same gradients, each as one forward
        convolution (dilate, pad, flip).
    convbp.reference.conv_backward : the same gradients by plain loops.
    convbp.symbolic.derive : every gradient entry as a SymPy expression.

    Examples
    --------
    >>> import numpy as np, convbp
    >>> x = np.arange(25.0).reshape(1, 1, 5, 5)
    >>> w = np.ones((1, 1, 3, 3))
    >>> dy = np.ones((1, 1, 2, 2))
    >>> grads = convbp.conv_backward(dy, x, w, stride=2)
    >>> grads.dx[0, 0]
    array([[1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.],
           [2., 2., 4., 2., 2.],
           [1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.]])
    >>> grads.db
    array([4.])
    """
    op = "conv_backward"
    x, w, dy, geom, groups = check_backward(op, dy, x, w, stride, padding, dilation, groups)
    dtype = float_dtype(x, w, dy)
    dys = np.ascontiguousarray(dy, dtype=dtype)
    db = dys.sum(axis=(0, *range(2, dys.ndim)))
    dw = _weight_grad(dys, x, w.shape, geom, groups, dtype)
    if not input_grad:
        return Gradients(None, dw.astype(float_dtype(w), copy=False),
                         db.astype(float_dtype(dy), copy=False))
    dx = _input_grad(dys, w, geom, groups, dtype)
    return Gradients(dx.astype(float_dtype(x), copy=False), dw.astype(float_dtype(w), copy=False),
                     db.astype(float_dtype(dy), copy=False))


def conv_transpose(x, w, b=None, *, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    r"""N-d transposed convolution with PyTorch's semantics: the adjoint of :func:`conv`.

    ``conv_transpose(dy, w, stride=s, padding=p, output_padding=r, dilation=d)`` equals
    ``conv_backward(dy, x, w, stride=s, padding=p, dilation=d).dx`` for an ``x`` whose
    size leaves ``r`` leftover rows, so that
    ``<dy, conv(x, w)> == <conv_transpose(dy, w), x>``. Derived in :ref:`general-rule`.

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
    y = _input_grad(x, w, geom, groups, dtype)
    if b is not None:
        y += b.astype(dtype, copy=False).reshape(-1, *(1,) * geom.ndim)
    return y
