"""Tests of convbp.pool: loop oracles, finite differences, ties, NaN, dtypes, errors."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from convbp import reference
from convbp.pool import avg_pool, avg_pool_backward, max_pool, max_pool_backward

# --------------------------------------------------------------------------- loop oracle
# Written from the definition, independently of convbp.geometry: explicit loops over
# batch, channel, output position and window cell.


def _norm(param, nd):
    return (param,) * nd if isinstance(param, int) else tuple(param)


def _norm_pad(padding, nd):
    if isinstance(padding, int):
        return ((padding, padding),) * nd
    return tuple((p, p) if isinstance(p, int) else tuple(p) for p in padding)


def _loop(x, kernel_size, stride, padding):
    nd = x.ndim - 2
    k = _norm(kernel_size, nd)
    s = k if stride is None else _norm(stride, nd)
    p = _norm_pad(padding, nd)
    out = tuple((n + lo + hi - kk) // ss + 1 for n, kk, ss, (lo, hi) in zip(x.shape[2:], k, s, p))

    def cells(o):  # (window offset, input index or None for padding) in row-major order
        for m in np.ndindex(*k):
            idx = tuple(ss * oo + mm - lo for oo, mm, ss, (lo, _) in zip(o, m, s, p))
            inside = all(0 <= i < n for i, n in zip(idx, x.shape[2:]))
            yield idx if inside else None

    return k, out, cells


def loop_max_pool(x, kernel_size, stride=None, padding=0, *, backward_dy=None):
    x = np.asarray(x, dtype=np.float64)
    k, out, cells = _loop(x, kernel_size, stride, padding)
    y = np.empty(x.shape[:2] + out)
    dx = np.zeros(x.shape)
    for n, c in np.ndindex(*x.shape[:2]):
        for o in np.ndindex(*out):
            best, arg = -np.inf, None
            for idx in cells(o):
                if idx is None:
                    continue
                v = x[(n, c) + idx]
                if arg is None or v > best or np.isnan(v):
                    best, arg = v, idx
            y[(n, c) + o] = best
            if backward_dy is not None:
                dx[(n, c) + arg] += backward_dy[(n, c) + o]
    return y if backward_dy is None else dx


def loop_avg_pool(x, kernel_size, stride=None, padding=0, *, backward_dy=None):
    x = np.asarray(x, dtype=np.float64)
    k, out, cells = _loop(x, kernel_size, stride, padding)
    count = int(np.prod(k))
    y = np.empty(x.shape[:2] + out)
    dx = np.zeros(x.shape)
    for n, c in np.ndindex(*x.shape[:2]):
        for o in np.ndindex(*out):
            total = 0.0
            for idx in cells(o):
                if idx is not None:
                    total += x[(n, c) + idx]
                    if backward_dy is not None:
                        dx[(n, c) + idx] += backward_dy[(n, c) + o] / count
            y[(n, c) + o] = total / count
    return y if backward_dy is None else dx


def _local_oracles():
    return {
        "max_pool": loop_max_pool,
        "max_pool_backward": lambda dy, x, *a, **kw: loop_max_pool(x, *a, **kw, backward_dy=dy),
        "avg_pool": loop_avg_pool,
        "avg_pool_backward": lambda dy, x, *a, **kw: loop_avg_pool(x, *a, **kw, backward_dy=dy),
    }


IMPL = {
    "max_pool": max_pool,
    "max_pool_backward": max_pool_backward,
    "avg_pool": avg_pool,
    "avg_pool_backward": avg_pool_backward,
}
# the local loops and convbp.reference's loops
ORACLES = {"local": _local_oracles(), "reference": {n: getattr(reference, n) for n in IMPL}}

# --------------------------------------------------------------------------- case grid


def _pad_choices(k):
    """Valid paddings for window k: 0, symmetric 1, asymmetric (0, 1) and (1, 0)."""
    return [0] if k == 1 else [0, 1, (0, 1), (1, 0)]


def _make_cases():
    """1/2/3-D; first dim sweeps kernel 1-3, stride 1..k+1, every padding kind; the other
    dims get random valid parameters; sizes random, odd ones and size 1 included."""
    rng = np.random.default_rng(1234)
    cases = []
    for nd in (1, 2, 3):
        for k0 in (1, 2, 3):
            for s0 in range(1, k0 + 2):
                for p0 in _pad_choices(k0):
                    ks, ss, ps = [k0], [s0], [p0]
                    for _ in range(nd - 1):
                        k = int(rng.integers(1, 4))
                        ks.append(k)
                        ss.append(int(rng.integers(1, k + 2)))
                        ps.append(_pad_choices(k)[rng.integers(len(_pad_choices(k)))])
                    sizes = []
                    for k, p in zip(ks, ps):
                        lo, hi = (p, p) if isinstance(p, int) else p
                        smallest = max(1, k - lo - hi)
                        biggest = {1: 9, 2: 7, 3: 5}[nd]
                        sizes.append(int(rng.integers(smallest, max(smallest, biggest) + 1)))
                    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), *sizes)
                    # pass parameters as ints when uniform, sometimes, to cover both forms
                    kernel = ks[0] if len(set(ks)) == 1 and rng.random() < 0.5 else tuple(ks)
                    stride = tuple(ss)
                    if ss == ks and rng.random() < 0.5:
                        stride = None
                    padding = tuple(ps)
                    if all(p == 0 for p in ps) and rng.random() < 0.5:
                        padding = 0
                    cases.append((shape, kernel, stride, padding))
    return cases


CASES = _make_cases()


def _id(case):
    shape, k, s, p = case
    return f"x{shape}-k{k}-s{s}-p{p}".replace(" ", "")


def _distinct(rng, shape):
    """Tie-free values, at least 0.01 apart (max-pool gradients are then well defined)."""
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) * 0.01 - 0.3 * size * 0.01).astype(np.float64)


def test_grid_covers_what_it_claims():
    kinds = {(len(c[0]) - 2) for c in CASES}
    assert kinds == {1, 2, 3}
    assert any(1 in c[0][2:] for c in CASES)  # a size-1 spatial dim
    assert any(isinstance(c[3], tuple) and any(isinstance(p, tuple) for p in c[3]) for c in CASES)
    assert any(c[2] is not None and any(s > k for s, k in zip(c[2], _norm(c[1], len(c[2]))))
               for c in CASES)
    assert len(CASES) == 90


@pytest.mark.parametrize("oracle", sorted(ORACLES))
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_against_loop_oracle(case, oracle):
    shape, k, s, p = case
    rng = np.random.default_rng(zlib.crc32(_id(case).encode()))
    ref = ORACLES[oracle]
    # integer-valued input: plenty of ties, which must be broken as the oracle does
    inputs = [rng.standard_normal(shape), rng.integers(-2, 3, size=shape).astype(float)]
    if oracle == "local":  # NaNs (several per window too): the local oracle is PyTorch's rule
        inputs.append(np.where(rng.random(shape) < 0.3, np.nan, inputs[1]))
    for x in inputs:
        for fwd in ("max_pool", "avg_pool"):
            y = IMPL[fwd](x, k, s, p)
            np.testing.assert_allclose(y, ref[fwd](x, k, s, p), rtol=1e-12, atol=1e-12)
            dy = rng.standard_normal(y.shape)
            bwd = fwd + "_backward"
            dx = IMPL[bwd](dy, x, k, s, p)
            assert dx.shape == x.shape
            np.testing.assert_allclose(dx, ref[bwd](dy, x, k, s, p), rtol=1e-12, atol=1e-12)


def _numerical_grad(f, x, eps):
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        grad[i] = (f(xp) - f(xm)) / (2 * eps)
    return grad


FD_CASES = CASES[::3]


@pytest.mark.parametrize("case", FD_CASES, ids=_id)
def test_finite_differences(case):
    shape, k, s, p = case
    rng = np.random.default_rng(7)
    x = _distinct(rng, shape)
    for fwd, bwd in ((avg_pool, avg_pool_backward), (max_pool, max_pool_backward)):
        dy = rng.standard_normal(fwd(x, k, s, p).shape)
        num = _numerical_grad(lambda z: np.sum(dy * fwd(z, k, s, p)), x, 1e-6)
        np.testing.assert_allclose(bwd(dy, x, k, s, p), num, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES[::2], ids=_id)
def test_adjoint_identities(case):
    """avg_pool is linear, so its backward is its adjoint; max_pool is positively
    homogeneous, so <dy, max_pool(x)> == <max_pool_backward(dy, x), x> (Euler)."""
    shape, k, s, p = case
    rng = np.random.default_rng(11)
    x = rng.standard_normal(shape)
    for fwd, bwd in ((avg_pool, avg_pool_backward), (max_pool, max_pool_backward)):
        y = fwd(x, k, s, p)
        dy = rng.standard_normal(y.shape)
        np.testing.assert_allclose(np.vdot(dy, y), np.vdot(bwd(dy, x, k, s, p), x),
                                   rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- hand cases


def test_ties_whole_gradient_goes_to_first_cell():
    x = np.full((1, 1, 4, 4), 2.0)
    dy = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    dx = max_pool_backward(dy, x, 2)
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, ::2, ::2] = dy[0, 0]
    np.testing.assert_array_equal(dx, expected)
    # first maximal cell in row-major window order, not the last or a share of it
    x = np.array([[[[0.0, 5.0], [5.0, 5.0]]]])
    np.testing.assert_array_equal(max_pool_backward(np.full((1, 1, 1, 1), 3.0), x, 2),
                                  [[[[0.0, 3.0], [0.0, 0.0]]]])


def test_ties_with_padding_pick_first_real_cell():
    # constant input, k=3, s=1, p=1: window (0, 0) covers rows/cols -1..1; its first real
    # cell is x[0, 0]; window (i, j) for i, j >= 1 starts at x[i-1, j-1].
    x = np.full((1, 1, 3, 3), -1.0)
    dy = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    dx = max_pool_backward(dy, x, 3, stride=1, padding=1)
    expected = np.zeros((3, 3))
    for i, j in np.ndindex(3, 3):
        expected[max(i - 1, 0), max(j - 1, 0)] += dy[0, 0, i, j]
    np.testing.assert_array_equal(dx[0, 0], expected)
    assert max_pool(x, 3, stride=1, padding=1).max() == -1.0  # padding is never selected


def test_minus_inf_window_routes_gradient_to_a_real_cell():
    x = np.array([[[-np.inf, -np.inf, 1.0]]])
    y = max_pool(x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(y, [[[-np.inf, -np.inf, 1.0, 1.0]]])
    dx = max_pool_backward(np.array([[[1.0, 10.0, 100.0, 1000.0]]]), x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(dx, [[[11.0, 0.0, 1100.0]]])


def test_overlapping_windows_accumulate():
    x = np.array([[[1.0, 5.0, 2.0, 0.0, 3.0]]])
    dy = np.array([[[1.0, 10.0, 100.0]]])
    np.testing.assert_array_equal(max_pool_backward(dy, x, 3, stride=1),
                                  [[[0.0, 11.0, 0.0, 0.0, 100.0]]])
    np.testing.assert_allclose(avg_pool_backward(dy, x, 3, stride=1),
                               [[[1 / 3, 11 / 3, 111 / 3, 110 / 3, 100 / 3]]])
    # 2-D: the centre cell is the maximum of all four 3x3 windows of a 4x4 input
    x2 = np.zeros((1, 1, 4, 4))
    x2[0, 0, 1, 1] = 9.0
    dy2 = np.array([[[[1.0, 2.0], [4.0, 8.0]]]])
    dx2 = max_pool_backward(dy2, x2, 3, stride=1)
    assert dx2[0, 0, 1, 1] == 15.0 and np.count_nonzero(dx2) == 1


def test_stride_larger_than_kernel_skips_cells():
    x = np.arange(7.0).reshape(1, 1, 7)
    dy = np.array([[[1.0, 2.0]]])
    # k=2, s=3: windows [0,1], [3,4]; cells 2, 5 and 6 get nothing
    np.testing.assert_array_equal(max_pool(x, 2, stride=3), [[[1.0, 4.0]]])
    np.testing.assert_array_equal(max_pool_backward(dy, x, 2, stride=3),
                                  [[[0, 1.0, 0, 0, 2.0, 0, 0]]])
    np.testing.assert_array_equal(avg_pool_backward(dy, x, 2, stride=3),
                                  [[[0.5, 0.5, 0, 1.0, 1.0, 0, 0]]])


def test_avg_pool_counts_padding_in_divisor():
    x = np.array([[[4.0, 8.0]]])
    np.testing.assert_array_equal(avg_pool(x, 2, stride=1, padding=1), [[[2.0, 6.0, 4.0]]])
    np.testing.assert_array_equal(avg_pool(x, 2, stride=1, padding=[(1, 0)]), [[[2.0, 6.0]]])
    dx = avg_pool_backward(np.array([[[2.0, 6.0, 10.0]]]), x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(dx, [[[4.0, 8.0]]])  # halves landing on padding dropped


def test_nan_propagates_and_takes_the_gradient():
    x = np.array([[[1.0, np.nan, 3.0, 2.0, 0.0, 1.0]]])
    y = max_pool(x, 3)
    assert np.isnan(y[0, 0, 0]) and y[0, 0, 1] == 2.0
    dx = max_pool_backward(np.array([[[5.0, 7.0]]]), x, 3)
    np.testing.assert_array_equal(dx, [[[0.0, 5.0, 0.0, 7.0, 0.0, 0.0]]])
    # several NaNs: the last one in scan order wins (rule (v > best) | isnan(v))
    x = np.array([[[np.nan, 1.0, np.nan]]])
    np.testing.assert_array_equal(max_pool_backward(np.ones((1, 1, 1)), x, 3), [[[0, 0, 1.0]]])
    # NaN after a larger value still wins; a value after a NaN does not replace it
    x = np.array([[[9.0, np.nan, 8.0]]])
    np.testing.assert_array_equal(max_pool_backward(np.ones((1, 1, 1)), x, 3), [[[0, 1.0, 0]]])
    assert np.isnan(avg_pool(x, 3)).all()


def test_padding_forms_agree():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 2, 5, 6))
    dy = rng.standard_normal((2, 2, 5, 6))
    for fwd, bwd in ((max_pool, max_pool_backward), (avg_pool, avg_pool_backward)):
        ys = [fwd(x, 3, 1, p) for p in (1, (1, 1), ((1, 1), (1, 1)), [[1, 1], [1, 1]])]
        dxs = [bwd(dy, x, 3, 1, p) for p in (1, (1, 1), ((1, 1), (1, 1)))]
        for y in ys[1:]:
            np.testing.assert_array_equal(y, ys[0])
        for dx in dxs[1:]:
            np.testing.assert_array_equal(dx, dxs[0])
        np.testing.assert_array_equal(fwd(x, (2, 3)), fwd(x, (2, 3), stride=(2, 3)))


def test_inputs_are_not_modified_and_outputs_are_fresh():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 2, 4, 4))
    dy = rng.standard_normal((1, 2, 4, 4))
    x0, dy0 = x.copy(), dy.copy()
    for fwd, bwd in ((max_pool, max_pool_backward), (avg_pool, avg_pool_backward)):
        y = fwd(x, 1)  # k=1, no padding: must still not alias x
        assert not np.shares_memory(y, x)
        dx = bwd(dy, x, 3, stride=1, padding=1)
        assert dx.flags.c_contiguous and not np.shares_memory(dx, dy)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dy, dy0)


def test_empty_batch():
    x = np.zeros((0, 3, 5, 5))
    for fwd, bwd in ((max_pool, max_pool_backward), (avg_pool, avg_pool_backward)):
        y = fwd(x, 2)
        assert y.shape == (0, 3, 2, 2)
        assert bwd(y, x, 2).shape == x.shape


# --------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("fwd,bwd", [(max_pool, max_pool_backward),
                                     (avg_pool, avg_pool_backward)])
def test_dtypes(fwd, bwd):
    rng = np.random.default_rng(9)
    x32 = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    y32 = fwd(x32, 2, 1, 1)
    assert y32.dtype == np.float32
    assert bwd(np.ones_like(y32), x32, 2, 1, 1).dtype == np.float32
    np.testing.assert_allclose(y32, fwd(x32.astype(np.float64), 2, 1, 1), rtol=1e-6)
    assert fwd(x32.astype(np.float16), 2).dtype == np.float32
    xi = rng.integers(-5, 5, size=(1, 2, 5, 5))
    yi = fwd(xi, 2)
    assert yi.dtype == np.float64
    np.testing.assert_array_equal(yi, fwd(xi.astype(np.float64), 2))
    assert bwd(np.ones(yi.shape, dtype=np.int64), xi, 2).dtype == np.float64
    assert fwd(xi > 0, 2).dtype == np.float64
    assert fwd(xi.tolist(), 2).dtype == np.float64  # nested lists are accepted
    # float32 x with float64 dy: the common dtype
    assert bwd(np.ones(y32.shape), x32, 2, 1, 1).dtype == np.float64


# --------------------------------------------------------------------------- errors

# the fast functions and the loop reference check their arguments alike
ENTRY = {**IMPL, **{f"reference.{name}": fn for name, fn in ORACLES["reference"].items()}}
OPS = list(ENTRY)


def _call(op, x, *args, dy=None, **kw):
    if op.endswith("_backward"):
        if dy is None:
            dy = np.zeros(x.shape[:2] + (2, 2)) if np.ndim(x) == 4 else np.zeros((1, 1, 1))
        return ENTRY[op](dy, x, *args, **kw)
    return ENTRY[op](x, *args, **kw)


@pytest.mark.parametrize("op", OPS)
def test_bad_inputs(op):
    x = np.zeros((2, 3, 4, 4))
    with pytest.raises(ValueError, match=rf"^{op}: x must have shape \(N, C, \*spatial\).*\(3, 4\)"):
        _call(op, np.zeros((3, 4)), 2)
    with pytest.raises(TypeError, match=rf"^{op}: x must be a real numeric array"):
        _call(op, np.full((1, 1, 4), "a"), 2)
    with pytest.raises(TypeError, match=rf"^{op}: x must be a real numeric array.*complex"):
        _call(op, np.zeros((1, 1, 4, 4), dtype=complex), 2)
    with pytest.raises(ValueError, match=rf"^{op}: kernel_size must be .*\(2, 2, 2\) of length 3"):
        _call(op, x, (2, 2, 2))
    with pytest.raises(ValueError, match=rf"^{op}: kernel_size must be a positive int.*got 0"):
        _call(op, x, 0)
    with pytest.raises(TypeError, match=rf"^{op}: kernel_size must be .*2\.0"):
        _call(op, x, 2.0)
    with pytest.raises(ValueError, match=rf"^{op}: stride must be a positive int.*got 0"):
        _call(op, x, 2, 0)
    with pytest.raises(ValueError, match=rf"^{op}: window of size 5 spans 5 rows, larger than "
                                         r"the padded input \(4 \+ 0 \+ 0 = 4\)"):
        _call(op, x, 5)
    with pytest.raises(ValueError, match=rf"^{op}: padding must be at most half the window "
                                         r"\(kernel_size // 2 = 1\), got padding \(0, 2\)"):
        _call(op, x, 2, 2, ((0, 1), (0, 2)))
    with pytest.raises(ValueError, match=rf"^{op}: padding must be"):
        _call(op, x, 2, 2, -1)


@pytest.mark.parametrize("op", [op for op in OPS if op.endswith("_backward")])
def test_bad_dy(op):
    x = np.zeros((2, 3, 8, 8))
    fwd = op.removesuffix("_backward")
    msg = (rf"^{op}: dy must have shape \(2, 3, 4, 4\) \(the output of {fwd} for these "
           r"arguments\), got \(2, 3, 5, 5\)$")
    with pytest.raises(ValueError, match=msg):
        ENTRY[op](np.zeros((2, 3, 5, 5)), x, 2)
    with pytest.raises(ValueError, match=rf"^{op}: dy must have shape \(2, 3, 4, 4\)"):
        ENTRY[op](np.zeros((3, 2, 4, 4)), x, 2)
    with pytest.raises(TypeError, match=rf"^{op}: dy must be a real numeric array"):
        ENTRY[op](np.zeros((2, 3, 4, 4), dtype=object), x, 2)


# --------------------------------------------------------------------------- PyTorch


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(21)
    checked = 0
    for shape, k, s, p in CASES:
        nd = len(shape) - 2
        pads = _norm_pad(p, nd)
        if any(lo != hi for lo, hi in pads):
            continue  # PyTorch pooling only takes symmetric padding
        kt, st = _norm(k, nd), (_norm(k, nd) if s is None else _norm(s, nd))
        if nd == 3 and any(n < kk for n, kk in zip(shape[2:], kt)):
            continue  # PyTorch's 3-D pooling refuses inputs smaller than the kernel
        tp = tuple(lo for lo, _ in pads)
        x = rng.standard_normal(shape)
        for name, fwd, bwd in (("max_pool", max_pool, max_pool_backward),
                               ("avg_pool", avg_pool, avg_pool_backward)):
            xt = torch.tensor(x, requires_grad=True)
            yt = getattr(F, f"{name}{nd}d")(xt, kt, st, tp)
            dy = rng.standard_normal(tuple(yt.shape))
            yt.backward(torch.tensor(dy))
            np.testing.assert_allclose(fwd(x, k, s, p), yt.detach().numpy(), rtol=1e-12,
                                       atol=1e-12)
            np.testing.assert_allclose(bwd(dy, x, k, s, p), xt.grad.numpy(), rtol=1e-12,
                                       atol=1e-12)
            checked += 1
    # ties as in PyTorch's CPU kernel: all-equal windows, overlapping, padded
    x = np.ones((1, 1, 5, 5))
    xt = torch.tensor(x, requires_grad=True)
    F.max_pool2d(xt, 3, 1, 1).backward(torch.ones(1, 1, 5, 5, dtype=torch.float64))
    np.testing.assert_array_equal(max_pool_backward(np.ones((1, 1, 5, 5)), x, 3, 1, 1),
                                  xt.grad.numpy())
    assert checked > 50


@pytest.mark.parametrize("shape,k", [((2, 3, 6, 4), 2), ((2, 2, 7, 5), 2), ((1, 2, 6, 6, 3), 3),
                                      ((3, 2, 9), 3)],
                         ids=["tiles", "leftover", "3-d", "1-d"])
def test_max_pool_tiles_match_the_loops(shape, k):
    """Windows that tile x (stride = kernel, no padding) take the strided-tap path: the
    same values, the same first-maximal winners on ties, +0 (not -0) elsewhere, and
    the loops' answer when x holds NaN or dy holds inf (then the general path runs)."""
    rng = np.random.default_rng(5)
    x = rng.integers(-2, 3, size=shape).astype(np.float32)      # many ties
    dy = -rng.random(max_pool(x, k).shape).astype(np.float32)    # negative: -0 would show
    for xs, dys in ((x, dy), (np.where(x == 2, np.nan, x), dy),
                    (x, np.where(dy < -0.5, -np.inf, dy))):
        np.testing.assert_array_equal(max_pool(xs, k), reference.max_pool(xs, k))
        got = max_pool_backward(dys, xs, k)
        want = reference.max_pool_backward(dys, xs, k)
        np.testing.assert_array_equal(got, want)
        assert not np.signbit(got[got == 0]).any()
