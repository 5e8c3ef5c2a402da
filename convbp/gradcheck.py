r"""Numerical checks of convolution gradients: finite differences and the adjoint identity.

Two independent ways to catch a wrong backward pass (derived in :ref:`backward-strided`):

* :func:`check_conv_gradients` compares a backward function with central finite
  differences of the scalar loss ``L = sum(dy * conv(x, w, b))`` for a random
  cotangent ``dy`` (never all ones: an all-ones ``dy`` hides transposition and
  flipping mistakes).
* :func:`adjoint_identity` evaluates both sides of
  ``<dy, conv(x, w)> = <conv_transpose(dy, w), x>``, which holds exactly (up to
  rounding) when ``conv_transpose`` is the adjoint of ``conv``.

The default operations are the plain-loop ones from :mod:`convbp.reference`; pass the
fast ones to check them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import reference
from ._checks import as_array, check_shape
from .geometry import conv_geometry

__all__ = ["numerical_gradient", "GradcheckResult", "check_conv_gradients", "adjoint_identity"]


def numerical_gradient(f, a, *, eps=1e-6):
    r"""Central finite-difference gradient of a scalar function.

    ``grad[i] = (f(a + eps e_i) - f(a - eps e_i)) / (2 eps)`` for every entry ``i`` of
    ``a``, one entry at a time (meant for small arrays).

    Parameters
    ----------
    f : callable
        ``f(a) -> float``; called with a float64 array of ``a``'s shape (a private
        copy, perturbed in one entry).
    a : array_like, any shape
        The point at which to differentiate; converted to float64 and not modified.
    eps : float
        Step size.

    Returns
    -------
    grad : ndarray, float64, same shape as ``a``

    Raises
    ------
    ValueError
        If ``f`` does not return a scalar.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.gradcheck import numerical_gradient
    >>> grad = numerical_gradient(lambda v: float(np.sum(v ** 2)), np.array([1.0, -2.0]))
    >>> np.round(grad, 6)                                # d/dv sum(v^2) = 2 v
    array([ 2., -4.])
    """
    point = np.array(as_array(a, "numerical_gradient", "a"), dtype=np.float64)  # a copy
    grad = np.zeros(point.shape)

    def value(arr):
        out = np.asarray(f(arr))
        if out.size != 1:
            raise ValueError(f"numerical_gradient: f must return a scalar, got shape {out.shape}")
        return float(out.reshape(()))

    for i in np.ndindex(*point.shape):
        original = point[i]
        point[i] = original + eps
        plus = value(point)
        point[i] = original - eps
        minus = value(point)
        point[i] = original
        grad[i] = (plus - minus) / (2 * eps)
    return grad


@dataclass(frozen=True)
class GradcheckResult:
    """Outcome of :func:`check_conv_gradients`.

    Attributes
    ----------
    dx_abs, dw_abs, db_abs : float
        Largest absolute difference between the backward function's gradient and the
        finite-difference one (``inf`` if the shapes differ).
    dx_rel, dw_rel, db_rel : float
        The same divided by the largest finite-difference entry (relative to the
        gradient's scale, so entries that are zero do not blow it up).
    atol, rtol : float
        Tolerances: an entry passes when ``|analytic - numeric| <= atol + rtol*|numeric|``.
    failed : tuple of str
        Names of the gradients (``"dx"``, ``"dw"``, ``"db"``) with an entry that does not
        pass, or with the wrong shape.
    """

    dx_abs: float
    dx_rel: float
    dw_abs: float
    dw_rel: float
    db_abs: float
    db_rel: float
    atol: float
    rtol: float
    failed: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every gradient matches within the tolerances."""
        return not self.failed

    def __str__(self) -> str:
        lines = [f"gradient check (atol={self.atol:g}, rtol={self.rtol:g}):"]
        for name in ("dx", "dw", "db"):
            verdict = "FAILED" if name in self.failed else "ok"
            lines.append(
                f"  {name}: max abs error {getattr(self, name + '_abs'):.3g}, "
                f"max rel error {getattr(self, name + '_rel'):.3g}  {verdict}"
            )
        return "\n".join(lines)

    def assert_ok(self) -> None:
        """Raise ``AssertionError`` with the error table unless :attr:`ok`."""
        if not self.ok:
            raise AssertionError(
                f"backward disagrees with finite differences in {', '.join(self.failed)}\n{self}"
            )


def _compare(analytic, numeric, atol, rtol):
    """Return ``(max abs error, max rel error, passed)``."""
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != numeric.shape:
        return np.inf, np.inf, False
    err = np.abs(analytic - numeric)
    if err.size == 0:
        return 0.0, 0.0, True
    scale = float(np.max(np.abs(numeric)))
    abs_err = float(np.max(err))
    rel_err = abs_err / scale if scale > 0 else (0.0 if abs_err == 0 else np.inf)
    passed = bool(np.all(err <= atol + rtol * np.abs(numeric)))  # NaN fails
    return abs_err, rel_err, passed


def check_conv_gradients(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1,
                         backward=None, seed=0, eps=1e-6, atol=1e-6, rtol=1e-5):
    r"""Compare a convolution backward function with finite differences.

    Draws a standard-normal cotangent ``dy`` of the output's shape from
    ``np.random.default_rng(seed)``, defines
    ``L(x, w, b) = sum(dy * reference.conv(x, w, b, ...))`` in float64 and compares the
    finite-difference gradients of ``L`` with
    ``backward(dy, x, w, stride=..., padding=..., dilation=..., groups=...)``.
    ``L`` is linear in each operand, so central differences are exact up to rounding.
    Derived in :ref:`backward-strided`.

    Parameters
    ----------
    x : array_like, shape (N, C_in, *spatial)
    w : array_like, shape (C_out, C_in // groups, *kernel)
    b : array_like, shape (C_out,), optional
        Bias; when omitted, ``db`` is still checked (at ``b = 0``: ``L`` is linear in b).
    stride, padding, dilation, groups
        As in :func:`convbp.conv`.
    backward : callable, optional
        ``backward(dy, x, w, *, stride, padding, dilation, groups) -> (dx, dw, db)``;
        defaults to :func:`convbp.reference.conv_backward`. Receives float64 arrays.
    seed : int
        Seed of the random cotangent.
    eps : float
        Finite-difference step.
    atol, rtol : float
        Tolerances of the comparison (see :class:`GradcheckResult`).

    Returns
    -------
    GradcheckResult
        Use ``.ok`` or ``.assert_ok()``.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.gradcheck import check_conv_gradients
    >>> rng = np.random.default_rng(0)
    >>> x, w = rng.standard_normal((1, 2, 6)), rng.standard_normal((3, 2, 2))
    >>> result = check_conv_gradients(x, w, stride=2, padding=1)
    >>> result.ok
    True
    """
    op = "check_conv_gradients"
    x = np.array(as_array(x, op, "x"), dtype=np.float64)
    w = np.array(as_array(w, op, "w"), dtype=np.float64)
    params = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    y = reference.conv(x, w, **params)  # also validates x, w and the parameters
    if b is None:
        b = np.zeros(y.shape[1])
    else:
        b = np.array(check_shape(op, "b", b, (y.shape[1],), "one bias per output channel"),
                     dtype=np.float64)
    if backward is None:
        backward = reference.conv_backward
    dy = np.random.default_rng(seed).standard_normal(y.shape)

    def loss(x_, w_, b_):
        return float(np.sum(dy * reference.conv(x_, w_, b_, **params)))

    numeric = {
        "dx": numerical_gradient(lambda v: loss(v, w, b), x, eps=eps),
        "dw": numerical_gradient(lambda v: loss(x, v, b), w, eps=eps),
        "db": numerical_gradient(lambda v: loss(x, w, v), b, eps=eps),
    }
    analytic = dict(zip(("dx", "dw", "db"), backward(dy.copy(), x.copy(), w.copy(), **params)))

    fields, failed = {}, []
    for name in ("dx", "dw", "db"):
        abs_err, rel_err, passed = _compare(analytic[name], numeric[name], atol, rtol)
        fields[name + "_abs"], fields[name + "_rel"] = abs_err, rel_err
        if not passed:
            failed.append(name)
    return GradcheckResult(**fields, atol=atol, rtol=rtol, failed=tuple(failed))


def adjoint_identity(x, dy, w, *, stride=1, padding=0, dilation=1, groups=1, conv=None,
                     conv_transpose=None, output_padding=None):
    r"""Both sides of the adjoint identity ``<dy, conv(x, w)> = <conv_transpose(dy, w), x>``.

    The same ``w`` serves both operations: as a convolution kernel it has shape
    ``(C_out, C_in // groups, *kernel)``; as a transposed-convolution kernel (PyTorch's
    layout ``(C_in_t, C_out_t // groups, *kernel)``) it maps ``C_out`` channels back to
    ``C_in``. Derived in :ref:`backward-strided`.

    Parameters
    ----------
    x : array_like, shape (N, C_in, *spatial)
    dy : array_like, shape (N, C_out, *out)
        The shape of ``conv(x, w, ...)``.
    w : array_like, shape (C_out, C_in // groups, *kernel)
    stride, padding, dilation, groups
        As in :func:`convbp.conv`; passed to both operations.
    conv, conv_transpose : callable, optional
        The operations to check; default :func:`convbp.reference.conv` and
        :func:`convbp.reference.conv_transpose`. Called with float64 arrays.
    output_padding : int or tuple of int, optional
        Passed to ``conv_transpose``; defaults to the forward geometry's
        :attr:`~convbp.geometry.ConvGeometry.remainder`, so the result has x's shape.

    Returns
    -------
    lhs, rhs : float
        ``sum(dy * conv(x, w))`` and ``sum(conv_transpose(dy, w) * x)``.

    Raises
    ------
    ValueError
        If ``dy`` does not have the shape of ``conv(x, w)`` or the transposed
        convolution does not return x's shape.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.gradcheck import adjoint_identity
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((1, 2, 7))
    >>> w = rng.standard_normal((4, 1, 3))          # groups=2: one input channel each
    >>> dy = rng.standard_normal((1, 4, 3))
    >>> lhs, rhs = adjoint_identity(x, dy, w, stride=2, groups=2)
    >>> bool(np.isclose(lhs, rhs))
    True
    """
    op = "adjoint_identity"
    conv = reference.conv if conv is None else conv
    conv_transpose = reference.conv_transpose if conv_transpose is None else conv_transpose
    x = np.array(as_array(x, op, "x"), dtype=np.float64)
    w = np.array(as_array(w, op, "w"), dtype=np.float64)
    if output_padding is None:
        if x.ndim < 3 or w.ndim != x.ndim:
            raise ValueError(f"{op}: x and w must be (N, C, *spatial) and (C_out, C_in // groups, "
                             f"*kernel) arrays, got shapes {x.shape} and {w.shape}")
        output_padding = conv_geometry(op, x.shape[2:], w.shape[2:], stride, padding,
                                       dilation).remainder
    params = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)

    y = np.asarray(conv(x, w, **params), dtype=np.float64)
    dy = np.array(check_shape(op, "dy", dy, y.shape, "the output of conv(x, w)"),
                  dtype=np.float64)
    back = np.asarray(conv_transpose(dy, w, output_padding=output_padding, **params),
                      dtype=np.float64)
    if back.shape != x.shape:
        raise ValueError(f"{op}: conv_transpose(dy, w, output_padding={output_padding!r}) has "
                         f"shape {back.shape}, not the shape of x {x.shape}")
    return float(np.sum(dy * y)), float(np.sum(back * x))
