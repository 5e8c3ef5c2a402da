r"""Power-average (LP) pooling over 1, 2 or 3 spatial dimensions, and its backward pass.

Each window of ``x`` is reduced to

.. math:: y_o = S_o^{1/p}, \qquad S_o = \sum_{a \in \text{window}(o)} x_a^p ,

PyTorch's ``LPPool1d/2d/3d`` (``ceil_mode=False``, no padding). ``p = 2`` is the
L2-norm pooling of the seed blog, ``p = 1`` is sum pooling, and ``p = inf`` is max
pooling of ``|x|``. The chapter :ref:`pooling-activations` derives the gradient with
SymPy (:func:`convbp.symbolic.pooling.lp_window_gradient`)::

    dy_o/dx_a = x_a^(p-1) * S_o^(1/p - 1) = (x_a / y_o)^(p-1)      (x_a, y_o > 0)

so ``dx = sum over the windows o that contain a of dy_o * (x_a / y_o)^(p-1)``.
The forward and backward reuse the window arithmetic of average pooling: ``S`` is
``avg_pool(x**p) * prod(kernel_size)``, and the window sums of the backward are
``avg_pool_backward``. Conventions (PyTorch's):

* **At zero.** Where a window's power sum ``S_o`` is exactly zero (for even ``p``:
  every entry of the window is zero) ``y_o = 0`` and the function has no gradient
  there (for ``p > 1`` the window norm is a cone with its tip at 0). The gradient of
  such a window is defined as **zero** (for ``p >= 1`` zero is a valid subgradient of
  the norm at its tip). With ``p = 1`` the same rule also zeroes windows whose entries
  cancel, where sum pooling's true derivative is 1: PyTorch does the same.
* **Domain.** ``x**p`` and ``S**(1/p)`` are real powers: for a ``p`` that is not an
  even integer, negative entries can give NaN (as in PyTorch). Use non-negative inputs
  (after a ReLU) or an even ``p``.
* For ``0 < p < 1`` the factor ``x_a**(p-1)`` is infinite at ``x_a = 0``: an exact zero
  in a window with ``S_o > 0`` gets an infinite (or NaN) gradient, as in PyTorch.
* ``p = inf``: ``y = max_pool(|x|)``; the gradient goes to the first largest ``|x_a|``
  of each window (the rule of :func:`convbp.max_pool_backward`) times ``sign(x_a)``.
* float32 input computes in float32; integers and bools in float64.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import check_norm_type, check_pool, check_pool_dy, float_dtype
from .pool import avg_pool, avg_pool_backward, max_pool, max_pool_backward

__all__ = ["lp_pool", "lp_pool_backward"]


def _prepare(op: str, x, norm_type, kernel_size, stride):
    p = check_norm_type(op, norm_type)
    x, geom = check_pool(op, x, kernel_size, stride, 0)
    return x.astype(float_dtype(x), copy=False), p, geom


def _power_sum(x: np.ndarray, p: float, geom) -> np.ndarray:
    """``S_o``: the sum of ``x**p`` over each window, as PyTorch forms it (mean times K)."""
    with np.errstate(invalid="ignore"):
        xp = x ** x.dtype.type(p)
    k = math.prod(geom.kernel_size)
    return avg_pool(xp, geom.kernel_size, geom.stride) * x.dtype.type(k)


def lp_pool(x, norm_type, kernel_size, stride=None) -> np.ndarray:
    r"""Power-average pooling: ``y_o = (sum over the window of o of x**p) ** (1/p)``.

    PyTorch's ``torch.nn.functional.lp_pool1d/2d/3d`` with ``ceil_mode=False``. See the
    module docstring for the conventions (zero windows, negative inputs, ``p = inf``)
    and the chapter :ref:`pooling-activations` for the derivation.

    Parameters
    ----------
    x : array_like, shape ``(N, C, *spatial)``
        Real numeric input with 1, 2 or 3 spatial dims.
    norm_type : float
        The power ``p > 0``, or ``inf`` (max pooling of ``|x|``). ``p = 2``: L2 pooling.
    kernel_size : int or tuple of int
        Window size ``k``, one int for every spatial dim or one per dim.
    stride : int or tuple of int, optional
        Step between windows; defaults to ``kernel_size``. There is no padding.

    Returns
    -------
    y : ndarray, shape ``(N, C, *out)``
        ``out = pool_geometry(...).out_size``; float32 input gives float32, integer and
        bool input float64.

    Raises
    ------
    TypeError, ValueError
        For a ``norm_type`` that is not a positive number or inf, non-numeric ``x``,
        ``x.ndim < 3``, or bad window arguments.

    See Also
    --------
    lp_pool_backward : its gradient.
    convbp.avg_pool : ``lp_pool(x, 1, k) == avg_pool(x, k) * prod(k)``.
    convbp.max_pool : ``lp_pool(x, inf, k) == max_pool(abs(x), k)``.
    convbp.symbolic.pooling.lp_window_gradient : the SymPy derivation.

    Examples
    --------
    >>> x = np.array([[[3.0, 4.0, 0.0, 0.0, 1.0]]])
    >>> lp_pool(x, 2, 2)          # L2 norm of each window; the last entry is left over
    array([[[5., 0.]]])
    >>> lp_pool(x, 1, 2, stride=1)    # sum pooling
    array([[[7., 4., 0., 1.]]])
    """
    op = "lp_pool"
    x, p, geom = _prepare(op, x, norm_type, kernel_size, stride)
    if math.isinf(p):
        return max_pool(np.abs(x), geom.kernel_size, geom.stride)
    s = _power_sum(x, p, geom)
    with np.errstate(invalid="ignore"):
        return s ** s.dtype.type(1.0 / p)


def lp_pool_backward(dy, x, norm_type, kernel_size, stride=None) -> np.ndarray:
    r"""Gradient of :func:`lp_pool` with respect to ``x``.

    ``dx_a = sum over the windows o containing a of dy_o * x_a**(p-1) * S_o**(1/p-1)``,
    that is ``dy_o * (x_a / y_o)**(p-1)`` for positive values; for ``p = 2`` each
    window's gradient is ``dy_o`` times the unit vector ``x / ||x||`` of the window.
    Windows whose power sum ``S_o`` is exactly zero pass no gradient (PyTorch's rule);
    overlapping windows accumulate. The chapter :ref:`pooling-activations` derives it.

    Parameters
    ----------
    dy, x
        As for :func:`convbp.max_pool_backward`, with ``dy`` the gradient of the loss
        with respect to ``lp_pool(x, ...)``.
    norm_type, kernel_size, stride
        As for :func:`lp_pool`.

    Returns
    -------
    dx : ndarray
        Of the shape of ``x``, in the common float dtype of ``x`` and ``dy``.

    Raises
    ------
    TypeError, ValueError
        As :func:`lp_pool`, and when ``dy`` has the wrong shape.

    See Also
    --------
    lp_pool : the forward pass.
    convbp.avg_pool_backward : the window sums this gradient is made of.

    Examples
    --------
    >>> x = np.array([[[3.0, 4.0, 0.0, 0.0]]])
    >>> lp_pool_backward(np.array([[[10.0, 10.0]]]), x, 2, 2)  # x/||x||; zero window: 0
    array([[[6., 8., 0., 0.]]])
    """
    op = "lp_pool_backward"
    x, p, geom = _prepare(op, x, norm_type, kernel_size, stride)
    dy = check_pool_dy(op, "lp_pool", dy, x, geom)
    dtype = float_dtype(x, dy)
    x = x.astype(dtype, copy=False)
    dy = dy.astype(dtype, copy=False)
    if math.isinf(p):
        return max_pool_backward(dy, np.abs(x), geom.kernel_size, geom.stride) * np.sign(x)
    s = _power_sum(x, p, geom)
    one = dtype.type(1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        # dy_o * d(S^(1/p))/dS = dy_o * S^(1/p - 1) / p, and 0 where S_o == 0
        ds = np.where(s == 0, dtype.type(0.0),
                      dy * np.where(s == 0, one, s) ** dtype.type(1.0 / p - 1.0)
                      / dtype.type(p))
        # sum of ds over the windows that contain each cell: avg_pool_backward spreads
        # ds / K over every window, so pass ds * K
        k = math.prod(geom.kernel_size)
        spread = avg_pool_backward(ds * dtype.type(k), x, geom.kernel_size, geom.stride)
        # dS_o/dx_a = p * x_a^(p-1)
        return spread * (dtype.type(p) * x ** dtype.type(p - 1.0))
