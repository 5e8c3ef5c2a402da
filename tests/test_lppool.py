"""Tests of convbp.lp_pool: loop oracle, finite differences, SymPy, PyTorch, zeros, errors."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

import convbp
from convbp import lp_pool, lp_pool_backward

# size, kernel, stride: overlap, leftover rows, stride > kernel, size-1 dims, 1-D/2-D/3-D
CASES = [
    ((7,), 3, 2),             # overlap, no leftover
    ((8,), 3, 2),             # overlap, a leftover row
    ((9,), 2, 4),             # stride > kernel: cells between windows
    ((5, 6), (2, 3), None),   # default stride = kernel, leftovers in both dims
    ((6, 5), 3, (1, 2)),      # overlap in one dim
    ((1, 7), (1, 3), 2),      # a size-1 dim
    ((4, 3, 5), (2, 2, 3), (2, 1, 2)),  # 3-D
]
POWERS = [1, 1.5, 2, 3, math.inf]


def _data(size, kernel, stride, *, seed, positive=True):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, (2, 3, *size))  # away from zero: smooth everywhere
    if not positive:
        x *= rng.choice([-1.0, 1.0], x.shape)
    y = lp_pool(x, 2, kernel, stride)
    dy = rng.standard_normal(y.shape)
    return x, dy


def _loop(x, p, kernel, stride, dy):
    """y and dx from the definition and the closed form (x_a / y_o)^(p-1), with loops."""
    nd = x.ndim - 2
    k = (kernel,) * nd if isinstance(kernel, int) else tuple(kernel)
    s = k if stride is None else ((stride,) * nd if isinstance(stride, int) else tuple(stride))
    out = tuple((n - kk) // ss + 1 for n, kk, ss in zip(x.shape[2:], k, s))
    y = np.zeros(x.shape[:2] + out)
    dx = np.zeros(x.shape)
    for n, c in np.ndindex(*x.shape[:2]):
        for o in np.ndindex(*out):
            cells = [tuple(ss * oo + mm for ss, oo, mm in zip(s, o, m)) for m in np.ndindex(*k)]
            vals = np.array([x[(n, c) + a] for a in cells])
            if math.isinf(p):
                win = int(np.argmax(np.abs(vals)))
                y[(n, c) + o] = abs(vals[win])
                dx[(n, c) + cells[win]] += dy[(n, c) + o] * np.sign(vals[win])
                continue
            yo = np.sum(vals ** p) ** (1 / p)
            y[(n, c) + o] = yo
            for a, v in zip(cells, vals):
                dx[(n, c) + a] += dy[(n, c) + o] * np.sign(v) * (abs(v) / yo) ** (p - 1)
    return y, dx


@pytest.mark.parametrize("p", POWERS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_against_loop_oracle(case, p):
    positive = p not in (2, math.inf)  # even powers and inf accept signed input
    x, dy = _data(*case, seed=zlib.crc32(repr((case, p)).encode()), positive=positive)
    y, dx = _loop(x, p, case[1], case[2], dy)
    np.testing.assert_allclose(lp_pool(x, p, *case[1:]), y, rtol=1e-12)
    np.testing.assert_allclose(lp_pool_backward(dy, x, p, *case[1:]), dx, rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("p", [1, 2, 3.5, math.inf])
@pytest.mark.parametrize("case", CASES[:6], ids=str)
def test_finite_differences(case, p):
    """Central differences on a random direction, in float64."""
    x, dy = _data(*case, seed=7, positive=p != 2)
    rng = np.random.default_rng(1)
    v = rng.standard_normal(x.shape)
    h = 1e-6
    lhs = np.sum(dy * (lp_pool(x + h * v, p, *case[1:]) - lp_pool(x - h * v, p, *case[1:])))
    lhs /= 2 * h
    rhs = np.sum(lp_pool_backward(dy, x, p, *case[1:]) * v)
    assert abs(lhs - rhs) <= 1e-6 * (1 + abs(rhs))


@pytest.mark.parametrize("p", POWERS)
def test_euler_identity(p):
    """y is homogeneous of degree 1 in x, so <dx, x> = <dy, y>, zero windows included."""
    x, dy = _data((9, 7), 3, 2, seed=3, positive=p not in (2, math.inf))
    x[0, 0, :3, :3] = 0.0  # a zero window: y = 0 and no gradient, identity still holds
    lhs = np.sum(lp_pool_backward(dy, x, p, 3, 2) * x)
    assert np.isclose(lhs, np.sum(dy * lp_pool(x, p, 3, 2)), rtol=1e-12)


def test_special_powers_are_sum_and_max_pooling():
    x, dy = _data((7, 8), 3, 2, seed=4, positive=False)
    np.testing.assert_allclose(lp_pool(np.abs(x), 1, 3, 2),
                               convbp.avg_pool(np.abs(x), 3, 2) * 9, rtol=1e-13)
    np.testing.assert_array_equal(lp_pool(x, math.inf, 3, 2), convbp.max_pool(np.abs(x), 3, 2))
    # p = 2 is the Euclidean norm of each window
    np.testing.assert_allclose(lp_pool(x, 2, 3, 2)[1, 2, 1, 0],
                               np.linalg.norm(x[1, 2, 2:5, 0:3]), rtol=1e-13)


def test_gradient_at_zero_is_zero():
    """An all-zero window: y = 0, no gradient (PyTorch's rule); other windows unaffected."""
    x = np.array([[[0.0, 0.0, 3.0, 4.0, 0.0, 2.0]]])
    dy = np.array([[[5.0, 10.0, 7.0]]])
    for p in (2, 3, 1.5):
        assert lp_pool(x, p, 2)[0, 0, 0] == 0
        dx = lp_pool_backward(dy, x, p, 2)
        assert np.all(np.isfinite(dx))
        np.testing.assert_array_equal(dx[0, 0, :2], 0.0)
        # a window with one zero entry is smooth for p > 1: gradient (x_a / y)^(p-1)
        np.testing.assert_allclose(dx[0, 0, 4:], [0.0, 7.0])
    np.testing.assert_allclose(lp_pool_backward(dy, x, 2, 2)[0, 0, 2:4], [6.0, 8.0])
    # p = 1 with a cancelling window: S = 0, so the same rule gives 0 (true derivative 1)
    np.testing.assert_array_equal(lp_pool_backward(dy[..., :1], [[[1.0, -1.0]]], 1, 2), 0.0)


def test_fractional_power_below_one_at_zero_is_not_finite():
    dx = lp_pool_backward([[[1.0]]], [[[0.0, 2.0]]], 0.5, 2)
    assert not np.isfinite(dx[0, 0, 0]) and np.isfinite(dx[0, 0, 1])


def test_overlapping_windows_accumulate():
    x = np.array([[[3.0, 4.0, 12.0]]])   # windows (3, 4) -> 5 and (4, 12) -> sqrt(160)
    dx = lp_pool_backward([[[1.0, 2.0]]], x, 2, 2, stride=1)
    np.testing.assert_allclose(dx[0, 0], [3 / 5, 4 / 5 + 2 * 4 / 160 ** 0.5,
                                          2 * 12 / 160 ** 0.5])


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_dtypes(dtype):
    x = np.array([[[1, 2, 3, 4]]], dtype=dtype)
    y = lp_pool(x, 2, 2)
    dx = lp_pool_backward(np.ones_like(y), x, 2, 2)
    want = np.float32 if dtype == np.float32 else np.float64
    assert y.dtype == want and dx.dtype == want
    np.testing.assert_allclose(y[0, 0], [5 ** 0.5, 5.0], rtol=1e-6)


def test_sympy_agrees():
    from convbp.symbolic.pooling import derive_pool, lp_window_gradient

    assert lp_window_gradient(2).proved
    assert lp_window_gradient(2, 2).proved
    rng = np.random.default_rng(5)
    for size, k, s, p in [((5,), 2, 1, 3), ((5, 4), (3, 2), (2, 1), 2), ((4,), 2, 2, 1.5)]:
        d = derive_pool("lp", size, k, s, norm_type=p)
        x = rng.uniform(0.5, 2.0, size)
        dy = rng.standard_normal(d.geometry.out_size)
        assert d.dy is d.delta and d.dy.shape == dy.shape   # code name and book name
        y, dx = d.evaluate(x, dy)
        np.testing.assert_allclose(lp_pool(x[None, None], p, k, s)[0, 0], y, rtol=1e-12)
        np.testing.assert_allclose(lp_pool_backward(dy[None, None], x[None, None], p, k, s)
                                   [0, 0], dx, rtol=1e-10)


@pytest.mark.parametrize("call", [
    (lambda **kw: lp_pool(np.ones((1, 1, 4)), **{"norm_type": 2, "kernel_size": 2, **kw})),
    (lambda **kw: lp_pool_backward(np.ones((1, 1, 2)), np.ones((1, 1, 4)),
                                   **{"norm_type": 2, "kernel_size": 2, **kw})),
], ids=["lp_pool", "lp_pool_backward"])
@pytest.mark.parametrize("kw, exc, pattern", [
    (dict(norm_type=0), ValueError, r"norm_type must be a positive real number or inf, got 0"),
    (dict(norm_type=-2.0), ValueError, r"norm_type .* got -2\.0"),
    (dict(norm_type=float("nan")), ValueError, r"norm_type .* got nan"),
    (dict(norm_type=-math.inf), ValueError, r"norm_type .* got -inf"),
    (dict(norm_type="2"), TypeError, r"norm_type .* got '2'"),
    (dict(norm_type=True), TypeError, r"norm_type .* got True"),
    (dict(kernel_size=0), ValueError, r"kernel_size"),
    (dict(kernel_size=5), ValueError, r"window of size 5"),
    (dict(stride=(1, 1)), ValueError, r"stride"),
])
def test_bad_arguments(call, kw, exc, pattern):
    with pytest.raises(exc, match=pattern) as info:
        call(**kw)
    assert str(info.value).startswith("lp_pool")


def test_bad_arrays():
    with pytest.raises(ValueError, match=r"lp_pool: x must have shape .* got shape \(4,\)"):
        lp_pool(np.ones(4), 2, 2)
    with pytest.raises(TypeError, match=r"lp_pool: x must be a real numeric array"):
        lp_pool(np.ones((1, 1, 4), dtype=complex), 2, 2)
    with pytest.raises(ValueError, match=r"lp_pool_backward: dy must have shape \(1, 1, 2\)"):
        lp_pool_backward(np.ones((1, 1, 3)), np.ones((1, 1, 4)), 2, 2)


# --------------------------------------------------------------------------- PyTorch

@pytest.mark.parametrize("p", [1, 1.5, 2, 3, math.inf])
@pytest.mark.parametrize("case", [c for c in CASES], ids=str)
def test_against_pytorch(case, p):
    torch = pytest.importorskip("torch")
    fn = {1: torch.nn.functional.lp_pool1d, 2: torch.nn.functional.lp_pool2d,
          3: getattr(torch.nn.functional, "lp_pool3d", None)}[len(case[0])]
    if fn is None:
        pytest.skip("this torch has no lp_pool3d")
    x, dy = _data(*case, seed=11, positive=p not in (2, math.inf))
    x[0, 0].flat[: 2 * x.shape[-1]] = 0.0  # zero windows: the rule at zero is torch's too
    xt = torch.tensor(x, requires_grad=True)
    yt = fn(xt, p, case[1], case[2])
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(lp_pool(x, p, *case[1:]), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(lp_pool_backward(dy, x, p, *case[1:]), xt.grad.numpy(),
                               rtol=1e-10, atol=1e-14)


# --------------------------------------------------------------------------- nn.LPPool

def test_nn_lppool_layer():
    from convbp import nn

    x, dy = _data((7, 6), 3, (2, 1), seed=13, positive=True)
    layer = nn.LPPool(3, 3, stride=(2, 1))
    with pytest.raises(ValueError, match=r"LPPool\(3, 3, stride=\(2, 1\)\): backward called "
                                         r"before forward"):
        layer.backward(dy)
    y = layer.forward(x)
    np.testing.assert_array_equal(y, lp_pool(x, 3, 3, (2, 1)))
    dx = layer.backward(dy)
    np.testing.assert_array_equal(dx, lp_pool_backward(dy, x, 3, 3, (2, 1)))
    # the layer inside a network: finite differences on a random direction
    model = nn.Sequential(nn.Conv(3, 2, 3, padding=1, rng=np.random.default_rng(0)),
                          nn.ReLU(), nn.LPPool(2, 2), nn.Flatten())
    v = np.random.default_rng(2).standard_normal(x.shape)
    dy = np.random.default_rng(3).standard_normal(model.forward(x).shape)
    h = 1e-6
    fd = np.sum(dy * (model.forward(x + h * v) - model.forward(x - h * v))) / (2 * h)
    model.forward(x)
    assert np.isclose(np.sum(model.backward(dy) * v), fd, rtol=1e-6)
    with pytest.raises(ValueError, match=r"LPPool: norm_type must be a positive real number "
                                         r"or inf, got 0"):
        nn.LPPool(0, 2)
    with pytest.raises(ValueError, match=r"LPPool\(3, 3, stride=\(2, 1\)\): dy must have "):
        layer.backward(dy[..., :1])
    with pytest.raises(ValueError, match=r"LPPool\(2, 9\): lp_pool: window of size 9"):
        nn.LPPool(2, 9).forward(x)
