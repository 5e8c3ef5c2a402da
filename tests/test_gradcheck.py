"""The numerical checks themselves: they pass on correct gradients and fail on wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from convbp import reference
from convbp.geometry import conv_geometry
from convbp.gradcheck import (
    GradcheckResult,
    adjoint_identity,
    check_conv_gradients,
    numerical_gradient,
)

from cases import HARD, SMALL, case


# The reference loops are slow: a third of the tiny 1-D shared cases, and the small
# named hard cases (2-D and 3-D ones among them).
_TINY = [c for c in SMALL if np.prod(c.x_shape) * np.prod(c.w_shape[2:]) <= 300]
GRID = _TINY[::3] + [c for c in HARD if c in SMALL and c not in _TINY[::3]]


@pytest.mark.parametrize("c", GRID, ids=str)
def test_reference_backward_passes(c):
    _, x, w, b, _ = c.data(seed=1)
    result = check_conv_gradients(x, w, b, **c.kw)
    result.assert_ok()
    assert result.ok and result.failed == ()
    assert max(result.dx_abs, result.dw_abs, result.db_abs) < 1e-7


def test_without_bias_db_is_still_checked():
    _, x, w, _, _ = case(1, 1, 2, 2, 6, 2).data(seed=2)

    def wrong_db(dy, x, w, **params):
        grads = reference.conv_backward(dy, x, w, **params)
        return grads.dx, grads.dw, grads.db * 2

    assert check_conv_gradients(x, w, stride=2).ok
    assert check_conv_gradients(x, w, stride=2, backward=wrong_db).failed == ("db",)


def _backward_forgetting_stride(dy, x, w, *, stride=1, padding=0, dilation=1, groups=1):
    """The classic bug: input index o + d*m - p_lo instead of s*o + d*m - p_lo.

    Shapes are right (it uses the true output geometry), values are wrong unless s = 1.
    """
    geom = conv_geometry("wrong", x.shape[2:], w.shape[2:], stride, padding, dilation)
    c_out, c_in_g = w.shape[:2]
    dx, dw = np.zeros(x.shape), np.zeros(w.shape)
    for i in range(x.shape[0]):
        for j in range(c_out):
            g = j // (c_out // groups)
            for o in np.ndindex(*geom.out_size):
                for c_g in range(c_in_g):
                    c = g * c_in_g + c_g
                    for m in np.ndindex(*geom.kernel_size):
                        a = tuple(oi + d * mi - lo for oi, mi, d, (lo, _) in
                                  zip(o, m, geom.dilation, geom.padding))
                        if all(0 <= ai < size for ai, size in zip(a, geom.in_size)):
                            dx[(i, c) + a] += dy[(i, j) + o] * w[(j, c_g) + m]
                            dw[(j, c_g) + m] += dy[(i, j) + o] * x[(i, c) + a]
    return dx, dw, dy.sum(axis=tuple(ax for ax in range(dy.ndim) if ax != 1))


@pytest.mark.parametrize("spatial, kernel, stride, padding", [
    ((8,), (3,), 2, 1),
    ((7, 6), (2, 2), (1, 3), 0),
])
def test_backward_that_forgets_the_stride_fails(spatial, kernel, stride, padding):
    _, x, w, b, _ = case(len(spatial), 1, 2, 2, spatial, kernel).data(seed=3)
    result = check_conv_gradients(x, w, b, stride=stride, padding=padding,
                                  backward=_backward_forgetting_stride)
    assert not result.ok
    assert "dx" in result.failed and "dw" in result.failed and "db" not in result.failed
    assert result.dx_abs > 1e-2 and result.dw_rel > 1e-2
    with pytest.raises(AssertionError, match=r"disagrees with finite differences in dx, dw"):
        result.assert_ok()


def test_forgetting_the_stride_is_harmless_at_stride_1():
    # Control for the test above: the check fails because of the stride, not by accident.
    _, x, w, b, _ = case(2, 1, 2, 2, (7, 6), (2, 2)).data(seed=3)
    assert check_conv_gradients(x, w, b, padding=1, backward=_backward_forgetting_stride).ok


def test_flipped_kernel_in_dx_fails():
    # Another classic: using w instead of the flipped w (i.e. a convolution where a
    # correlation is needed) in the input gradient.
    def flipped(dy, x, w, **params):
        grads = reference.conv_backward(dy, x, w[..., ::-1], **params)
        return grads.dx, reference.conv_backward(dy, x, w, **params).dw, grads.db

    _, x, w, b, _ = case(1, 1, 2, 2, (6,), (3,)).data(seed=4)
    assert check_conv_gradients(x, w, b, stride=2, backward=flipped).failed == ("dx",)


def test_wrong_shape_fails_instead_of_raising():
    def cropped(dy, x, w, **params):
        grads = reference.conv_backward(dy, x, w, **params)
        return grads.dx[..., :-1], grads.dw, grads.db

    _, x, w, b, _ = case(1, 1, 2, 2, (6,), (2,)).data(seed=5)
    result = check_conv_gradients(x, w, b, stride=2, backward=cropped)
    assert result.failed == ("dx",) and result.dx_abs == np.inf
    assert "dx: max abs error inf" in str(result)


def test_result_reports_tolerances_and_uses_seeded_cotangent():
    _, x, w, b, _ = case(1, 1, 2, 2, (6,), (2,)).data(seed=6)
    seen = []

    def spy(dy, x, w, **params):
        seen.append(dy.copy())
        return reference.conv_backward(dy, x, w, **params)

    result = check_conv_gradients(x, w, b, stride=2, backward=spy, seed=11, atol=1e-5, rtol=1e-4)
    check_conv_gradients(x, w, b, stride=2, backward=spy, seed=11)
    check_conv_gradients(x, w, b, stride=2, backward=spy, seed=12)
    assert isinstance(result, GradcheckResult) and (result.atol, result.rtol) == (1e-5, 1e-4)
    np.testing.assert_array_equal(seen[0], seen[1])
    assert not np.array_equal(seen[0], seen[2])
    assert np.unique(seen[0]).size == seen[0].size  # a random cotangent, not all ones


def test_integer_operands_are_promoted():
    x = np.arange(12).reshape(1, 2, 6)
    w = np.array([[[1, -2], [3, 0]]])
    check_conv_gradients(x, w, stride=2).assert_ok()


def test_invalid_arguments_raise():
    _, x, w, b, _ = case(1, 1, 2, 2, (6,), (2,)).data(seed=7)
    with pytest.raises(ValueError, match="stride"):
        check_conv_gradients(x, w, b, stride=0)
    with pytest.raises(ValueError, match="check_conv_gradients: b must have shape"):
        check_conv_gradients(x, w, np.ones(3))


# ----------------------------------------------------------------- adjoint identity


@pytest.mark.parametrize("c", GRID, ids=str)
def test_adjoint_identity_holds_for_the_reference(c):
    _, x, w, _, dy = c.data(seed=8)
    lhs, rhs = adjoint_identity(x, dy, w, **c.kw)
    assert isinstance(lhs, float) and isinstance(rhs, float)
    assert abs(lhs) > 1e-3  # a non-trivial pairing
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


def test_adjoint_identity_detects_a_wrong_transpose():
    def flipped(dy, w, **params):
        # A classic mistake: flipping the kernel, although the transposed convolution
        # scatters with w itself (the flip appears only in its gather form).
        return reference.conv_transpose(dy, w[..., ::-1], **params)

    rng = np.random.default_rng(10)
    x, w = rng.standard_normal((1, 1, 7)), rng.standard_normal((1, 1, 3))
    dy = rng.standard_normal((1, 1, 3))
    lhs, rhs = adjoint_identity(x, dy, w, stride=2)
    assert lhs == pytest.approx(rhs, rel=1e-12)
    lhs, rhs = adjoint_identity(x, dy, w, stride=2, conv_transpose=flipped)
    assert lhs != pytest.approx(rhs, rel=1e-6)


def test_adjoint_identity_with_explicit_output_padding():
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal((1, 2, 8)), rng.standard_normal((3, 2, 3))
    dy = rng.standard_normal((1, 3, 3))                 # 8 -> 3 at stride 2, remainder 1
    lhs, rhs = adjoint_identity(x, dy, w, stride=2, output_padding=1)
    assert lhs == pytest.approx(rhs, rel=1e-12)
    with pytest.raises(ValueError, match="adjoint_identity: conv_transpose.*not the shape of x"):
        adjoint_identity(x, dy, w, stride=2, output_padding=0)
    with pytest.raises(ValueError, match="adjoint_identity: dy must have shape"):
        adjoint_identity(x, dy[..., :2], w, stride=2)


# ----------------------------------------------------------------- numerical_gradient


def test_numerical_gradient_of_a_quadratic():
    rng = np.random.default_rng(12)
    A = rng.standard_normal((6, 6))
    c = rng.standard_normal(6)
    a = rng.standard_normal((2, 3))
    before = a.copy()

    def f(v):
        u = v.ravel()
        return u @ A @ u + c @ u

    grad = numerical_gradient(f, a)
    assert grad.shape == a.shape and grad.dtype == np.float64
    np.testing.assert_allclose(grad.ravel(), (A + A.T) @ a.ravel() + c, rtol=1e-7, atol=1e-8)
    np.testing.assert_array_equal(a, before)  # the caller's array is untouched


def test_numerical_gradient_step_matters_for_a_cubic():
    # Central differences have error eps^2 * f''' / 6: exactly eps^2 for f = sum(v^3).
    a = np.array([1.0, -2.0, 0.5])
    grad = numerical_gradient(lambda v: np.sum(v ** 3), a, eps=1e-2)
    np.testing.assert_allclose(grad, 3 * a ** 2 + 1e-4, rtol=1e-9)


def test_numerical_gradient_requires_a_scalar():
    with pytest.raises(ValueError, match="numerical_gradient: f must return a scalar"):
        numerical_gradient(lambda v: v * 2, np.ones(3))
