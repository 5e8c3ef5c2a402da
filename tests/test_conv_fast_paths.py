"""Every code path of the fast convolution (convbp.convolution + convbp._fastconv).

The fast path picks, per call, one of several layouts: im2col products in blocks (whose
size depends on CHUNK_BYTES), with the columns copied channels-last or channels-first
(fc.channels_first, a shape rule), the input gradient by stride phases (gather) or by
col2im (scatter, by the shape rule convolution._scatters), the pointwise shortcut (1x1,
stride 1, no padding) and the depthwise multiply-adds (one input channel per group). Each test
forces a path (monkeypatching the thresholds) and compares with the loop reference on
the cases of ``tests/cases.py`` (FAST, DEPTHWISE_POINTWISE, GRID): leftover rows,
dilation, asymmetric padding, groups, 1-, 2- and 3-D, batch 1, float32 and float64.
(The dilate-pad-flip recipe is checked against the reference in test_conv.py.) Also
unit tests of the kernels: block plans, strided windows, stride phases.
"""

import itertools
import math

import numpy as np
import pytest

import convbp
from convbp import _banded as banded
from convbp import _fastconv as fc
from convbp import convolution, reference
from convbp.geometry import conv_geometry, conv_transpose_geometry, input_phases
from cases import DEPTHWISE_POINTWISE, FAST, GRID, NAMED


def _tol(dtype):
    return dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-4)


def _check_all(c, dtype=np.float64):
    """conv, conv_backward and conv_transpose against the loop reference."""
    _rng, x, w, b, dy = c.data(dtype=dtype)
    tol = _tol(dtype)
    y = convbp.conv(x, w, b, **c.kw)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, reference.conv(x, w, b, **c.kw), **tol)
    fast = convbp.conv_backward(dy, x, w, **c.kw)
    for name, got, want in zip("dx dw db".split(), fast,
                               reference.conv_backward(dy, x, w, **c.kw)):
        assert got.dtype == dtype and got.shape == want.shape, name
        np.testing.assert_allclose(got, want, err_msg=name, **tol)
    # leftover rows that are real input: exactly zero
    for axis, (unread, size) in enumerate(zip(c.geom.unread_tail, x.shape[2:])):
        if unread:
            assert np.all(np.take(fast.dx, range(size - unread, size), axis=2 + axis) == 0)
    bt = np.linspace(-1, 1, x.shape[1]).astype(dtype)
    np.testing.assert_allclose(convbp.conv_transpose(dy, w, bt, **c.transpose_kw),
                               reference.conv_transpose(dy, w, bt, **c.transpose_kw), **tol)


@pytest.fixture(params=["gather", "scatter"])
def dx_path(request, monkeypatch):
    """Force the input gradient through the stride phases or through col2im."""
    monkeypatch.setattr(convolution, "_SCATTER_RATIO", 10**9 if request.param == "gather" else 0)
    return request.param


@pytest.fixture(params=["channels-last", "channels-first"])
def layout(request, monkeypatch):
    """Force the im2col columns channels-last or channels-first (whatever the shape)."""
    first = request.param == "channels-first"
    monkeypatch.setattr(fc, "channels_first", lambda *a, **k: first)
    return request.param


@pytest.mark.parametrize("c", FAST, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_both_input_gradient_paths(c, dtype, dx_path, layout):
    _check_all(c, dtype)


@pytest.mark.parametrize("c", GRID, ids=str)
def test_grid_in_both_column_layouts(c, monkeypatch):
    """The shared grid of hard cases, with the columns forced into each layout."""
    _rng, x, w, b, dy = c.data()
    want_y = reference.conv(x, w, b, **c.kw)
    want = reference.conv_backward(dy, x, w, **c.kw)
    for first in (False, True):
        monkeypatch.setattr(fc, "channels_first", lambda *a, _f=first, **k: _f)
        np.testing.assert_allclose(convbp.conv(x, w, b, **c.kw), want_y, rtol=1e-10,
                                   atol=1e-10)
        for name, got, ref in zip("dx dw db".split(), convbp.conv_backward(dy, x, w, **c.kw),
                                  want):
            np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10,
                                       err_msg=f"{name} channels_first={first}")


@pytest.mark.parametrize("c_in_g,groups,step,count,taps,tap_step,first", [
    (1, 1, (1, 1), (28, 28), (5, 5), (1, 1), True),       # LeNet's first layer
    (3, 1, (1, 1), (32, 32), (3, 3), (1, 1), True),       # 3 channels, 32x32
    (3, 1, (2, 2), (16, 16), (5, 5), (1, 1), False),      # strided: half-length runs
    (4, 32, (1, 1), (28, 28), (3, 3), (1, 1), True),      # 32 groups of 4 channels
    (16, 4, (2, 2), (7, 7), (3, 3), (1, 1), False),
    (16, 1, (2, 2), (6, 6), (3, 3), (1, 1), False),
    (64, 1, (1, 1), (32, 32), (3, 3), (1, 1), False),     # the large layers keep theirs
    (8, 1, (1,), (128,), (3,), (4,), True),               # dilated 1-D
    (1, 1, (2, 2), (14, 14), (3, 3), (1, 1), True),       # 1 channel, stride 2
    (32, 1, (2, 2), (16, 16), (2, 2), (1, 1), True),      # windows tile the rows
    (64, 1, (3, 3), (10, 10), (3, 3), (1, 1), True),
    (16, 1, (3, 3), (5, 5), (4, 4), (1, 1), False),       # overlapping: not tiles
    (32, 1, (2, 2), (16, 16), (2, 2), (2, 2), False),     # dilated: not tiles
])
def test_column_layout_shape_rule(c_in_g, groups, step, count, taps, tap_step, first):
    assert fc.channels_first(c_in_g, groups, step, count, taps, tap_step) is first


@pytest.mark.parametrize("budget", [1, 200, 700, 2500])
@pytest.mark.parametrize("c", [NAMED[name] for name in
                               ("s1", "s2-leftover", "s2-d3-asym", "groups", "1d", "3d")],
                         ids=str)
def test_blocks_of_any_size(c, budget, dx_path, layout, monkeypatch):
    """Tiny column buffers: one row per block, rows split unevenly, batches split unevenly."""
    monkeypatch.setattr(fc, "CHUNK_BYTES", budget)
    _check_all(c, np.float64)


@pytest.mark.parametrize("c", DEPTHWISE_POINTWISE, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("path", ["banded", "per-tap"])
def test_depthwise_and_pointwise(c, dtype, path, monkeypatch):
    """Both depthwise paths on every case, in several blocks (of samples, of channels):
    for short 2-D rows banded forward products and a channel-major weight gradient, else
    per-tap multiply-adds and per-sample contractions."""
    monkeypatch.setattr(fc, "CHUNK_BYTES", 300)
    if path == "per-tap":
        monkeypatch.setattr(banded, "BANDED_SPAN", 0)
    _check_all(c, dtype)


@pytest.mark.parametrize("size,kernel,stride,expected", [
    ((14, 14), (5, 5), 1, True),          # short rows: products with a banded matrix
    ((28, 28), (3, 3), 2, True),
    ((40, 40), (3, 3), 1, True),          # 42 columns, 14 per tap
    ((56, 56), (3, 3), 1, False),         # 58 columns: long rows, per-tap multiply-adds
    ((56, 56), (3, 3), 2, True),          # per tap and unit of stride: 19 / 2
    ((64, 9), (3, 3), 1, True),           # only the row length counts
    ((33,), (3,), 1, False),              # 1-D and 3-D: per-tap
    ((6, 6, 6), (3, 3, 3), 1, False),
])
def test_depthwise_banded_shape_rule(size, kernel, stride, expected):
    geom = conv_geometry("conv", size, kernel, stride=stride, padding=1)
    assert banded.banded(geom) is expected


def test_paths_are_taken():
    """The dispatch predicates see the cases above the way the tests assume."""
    assert convolution._is_depthwise((4, 1, 3, 3), 4)
    assert not convolution._is_depthwise((4, 1, 3, 3), 1)             # one group: a GEMM
    assert not convolution._is_depthwise((4, 2, 3, 3), 2)
    assert convolution._is_pointwise(conv_geometry("conv", (5, 7), (1, 1)))
    assert not convolution._is_pointwise(conv_geometry("conv", (5, 7), (1, 1), stride=2))
    assert not convolution._is_pointwise(conv_geometry("conv", (5, 7), (1, 1), padding=1))


@pytest.mark.parametrize("c_out,path", [(4, "scatter"), (2, "correlate")])
def test_input_gradient_path_follows_the_shape_rule(c_out, path, monkeypatch):
    """dy (1, c_out, 3, 3) at stride 2 onto a 7x7 input: the phases copy c_out * 11**2
    values, col2im adds 3*3 * 3*3 values, :data:`_SCATTER_RATIO` times dearer."""
    geom = conv_geometry("conv", (7, 7), (3, 3), stride=2)
    assert convolution._scatters(geom, 1, c_out) == (path == "scatter")
    assert convolution._scatters(geom, 1, c_out) == (
        c_out * 11 ** 2 >= convolution._SCATTER_RATIO * 81)
    calls = []
    for name in ("scatter", "correlate"):
        real = getattr(fc, name)
        monkeypatch.setattr(fc, name, lambda *a, _n=name, _f=real, **k: calls.append(_n) or
                            _f(*a, **k))
    dy, w = np.ones((1, c_out, 3, 3)), np.ones((c_out, 1, 3, 3))
    convbp.conv_transpose(dy, w, stride=2)
    assert set(calls) == {path}


def test_float32_stays_float32_inside(monkeypatch):
    """No float64 temporaries: every product sees float32 operands."""
    seen = []
    real = np.matmul

    def spy(a, b, *args, **kw):
        seen.append((a.dtype, b.dtype))
        return real(a, b, *args, **kw)
    monkeypatch.setattr(convolution.np, "matmul", spy)
    for c in (NAMED["s2-leftover"], NAMED["pointwise"]):
        _rng, x, w, b, dy = c.data(dtype=np.float32)
        convbp.conv(x, w, b, **c.kw)
        convbp.conv_backward(dy, x, w, **c.kw)
    assert seen and all(a == b == np.float32 for a, b in seen)


# --------------------------------------------------------------------------- kernels

@pytest.mark.parametrize("n,count,per,budget", [
    (7, (5, 4), 3, 200), (7, (5, 4), 3, 60), (7, (5, 4), 3, 59), (7, (5, 4), 3, 1),
    (1, (9,), 8, 20), (32, (4, 4, 4), 2, 10**9), (3, (1, 6), 5, 29), (5, (6, 1), 5, 12),
])
def test_blocks_cover_everything_once_and_respect_the_budget(n, count, per, budget):
    plan = fc.blocks(n, count, per, budget)
    seen = np.zeros((n, count[0]), dtype=int)
    row_bytes = math.prod(count[1:]) * per
    for nb, rb in plan:
        seen[nb, rb] += 1
        rows = len(range(*rb.indices(count[0])))
        size = len(range(*nb.indices(n))) * rows * row_bytes
        assert size <= max(budget, row_bytes)          # at least one row per block
    assert np.all(seen == 1)
    sizes = {len(range(*nb.indices(n))) * len(range(*rb.indices(count[0]))) for nb, rb in plan}
    assert len(sizes) <= 2                             # equal blocks, but the last


@pytest.mark.parametrize("first", [False, True], ids=["channels-last", "channels-first"])
@pytest.mark.parametrize("groups", [1, 3])
def test_windows_view_matches_index_form(groups, first):
    """fc.windows (channels-last source) and fc.windows_cf (channels-first) read
    a[n, g*C_b + c, start + step*o + tap_step*j], each in its own axis order."""
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 11, 9, 6))                  # (N, H, W, C)
    start, step, count, taps, tap_step = (1, 0), (2, 3), (3, 2), (2, 3), (3, 1)
    c_in_g = 6 // groups
    if first:
        v = fc.windows_cf(np.moveaxis(a, -1, 1), start, step, count, taps, tap_step, groups)
        assert v.shape == (groups, c_in_g, 2, 3, 2, 3, 2) and not v.flags.writeable
        order = lambda g, c, j1, j2, n, o1, o2: (g, n, o1, o2, j1, j2, c)  # noqa: E731
    else:
        v = fc.windows(a, start, step, count, taps, tap_step, groups)
        assert v.shape == (groups, 2, 3, 2, 2, 3, c_in_g) and not v.flags.writeable
        order = lambda *index: index  # noqa: E731
    for index in itertools.product(*map(range, v.shape)):
        g, n, o1, o2, j1, j2, c = order(*index)
        want = a[n, start[0] + step[0] * o1 + tap_step[0] * j1,
                 start[1] + step[1] * o2 + tap_step[1] * j2, g * c_in_g + c]
        assert v[index] == want
    with pytest.raises(RuntimeError, match="internal error"):
        if first:
            fc.windows_cf(np.moveaxis(a, -1, 1), start, step, (5, 2), taps, tap_step, groups)
        else:
            fc.windows(a, start, step, (5, 2), taps, tap_step, groups)


def test_windows_refuses_to_read_outside():
    a = np.zeros((1, 5, 2))
    with pytest.raises(RuntimeError, match="internal error"):
        fc.windows(a, (1,), (2,), (2,), (2,), (2,), 1)   # 1 + 2 + 2 = 5 is outside


@pytest.mark.parametrize("s,d,k,pad,n", [
    (1, 1, 3, (1, 1), 7), (2, 1, 3, (0, 0), 8), (2, 2, 3, (1, 2), 9), (3, 1, 1, (0, 0), 10),
    (3, 2, 4, (2, 1), 13), (4, 6, 3, (0, 3), 17), (2, 1, 2, (3, 0), 5), (5, 1, 2, (0, 0), 3),
])
def test_stride_phases_are_the_index_form(s, d, k, pad, n):
    """Each phase lists exactly the (q, m) pairs with s*o + d*m = a, o in range."""
    geom = conv_geometry("conv", (n,), (k,), s, (pad,), d)
    (lead, tail), = input_phases(geom).dy_padding
    out = geom.out_size[0]
    got = {}
    covered = []
    for p in input_phases(geom).phases:
        (t,), (st,), (c,), (ts,), (r,) = p.taps, p.start, p.count, p.tap_step, p.rows
        idx = list(range(*r.indices(n)))
        assert len(idx) == c
        covered += idx
        for q, a in enumerate(idx):
            for j, m in enumerate(t):
                o = st + q + ts * j - lead                 # the read row of padded dy
                assert 0 <= st + q + ts * j < lead + out + tail
                if 0 <= o < out:
                    got.setdefault(a, set()).add((o, m))
    assert sorted(covered) == list(range(n))                # phases partition the input
    want = {}
    for o in range(out):
        for m in range(k):
            a = s * o + d * m - pad[0]
            if 0 <= a < n:
                want.setdefault(a, set()).add((o, m))
    assert got == want


def test_conv_transpose_with_output_padding_beyond_stride(dx_path):
    """output_padding >= stride (allowed when < dilation): the last rows receive nothing."""
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(3, 8, 3, 2))
    kw = dict(stride=(1, 2), dilation=(3, 3), output_padding=(2, 2), padding=((1, 0), 0))
    assert conv_transpose_geometry("t", (4, 5), (3, 2), **kw).remainder == (2, 2)
    got = convbp.conv_transpose(x, w, **kw)
    np.testing.assert_allclose(got, reference.conv_transpose(x, w, **kw), rtol=1e-12, atol=1e-12)
    assert np.all(got[:, :, -2:] == 0)


def test_non_contiguous_and_integer_inputs():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 9, 8))[:, ::2, :, ::-1]       # strided, reversed
    w = rng.integers(-3, 4, size=(4, 3, 3, 3))               # integers: float64 result
    dy = rng.normal(size=(2, 4, 4, 4)).transpose(0, 1, 3, 2)       # non-contiguous
    kw = dict(stride=2, padding=((1, 0), (0, 1)))
    np.testing.assert_allclose(convbp.conv(x, w, **kw), reference.conv(x, w, **kw), rtol=1e-12)
    for got, want in zip(convbp.conv_backward(dy, x, w, **kw),
                         reference.conv_backward(dy, x, w, **kw)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("w_shape,groups", [((4, 3, 3, 3), 1), ((6, 1, 3, 3), 3),
                                            ((4, 3, 1, 1), 1)])
def test_empty_batch(w_shape, groups):
    """N = 0 passes validation; every output is empty (and dw, db zero)."""
    c_in = w_shape[1] * groups
    x, w = np.zeros((0, c_in, 8, 8)), np.ones(w_shape)
    kw = dict(stride=2 if w_shape[2] == 3 else 1, groups=groups)
    y = convbp.conv(x, w, np.ones(w_shape[0]), **kw)
    assert y.shape[:2] == (0, w_shape[0])
    grads = convbp.conv_backward(np.zeros(y.shape), x, w, **kw)
    assert grads.dx.shape == x.shape and np.all(grads.dw == 0) and np.all(grads.db == 0)
    assert grads.dw.shape == w.shape
    assert convbp.conv_transpose(np.zeros(y.shape), w, **kw).shape[:2] == (0, c_in)


def test_input_gradient_pads_dy_per_block_when_the_padded_dy_would_outgrow_the_operands(
        monkeypatch):
    """A 5x5 kernel on 14x14 images (LeNet's second layer): the stride phases would pad
    dy from 10x10 to 18x18, more than x and dy together; each block pads its own. (The
    shape rule sends this layer to col2im; the phases are forced here.)"""
    monkeypatch.setattr(convolution, "_SCATTER_RATIO", 10**9)
    seen = []
    real = fc.correlate
    monkeypatch.setattr(fc, "correlate", lambda terms, *a, **k: seen.extend(terms) or
                        real(terms, *a, **k))
    rng = np.random.default_rng(0)
    cases = []
    for n in (1, 3):                  # the loops, once per batch size (seconds each)
        x, w = rng.normal(size=(n, 6, 14, 14)), rng.normal(size=(16, 6, 5, 5))
        dy = rng.normal(size=(n, 16, 10, 10))
        cases.append((x, w, dy, reference.conv_backward(dy, x, w).dx))
    for first in (False, True):
        monkeypatch.setattr(fc, "channels_first", lambda *a, _f=first, **k: _f)
        for x, w, dy, want in cases:
            seen.clear()
            for budget in (None, 1):             # whole samples; one row per block
                monkeypatch.setattr(fc, "CHUNK_BYTES", budget or 2 << 20)
                got = convbp.conv_backward(dy, x, w)
                np.testing.assert_allclose(got.dx, want, rtol=1e-10, atol=1e-10)
            assert seen and all(t.pads == ((4, 4), (4, 4)) for t in seen)
            assert all(t.a.shape == dy.shape for t in seen)


@pytest.mark.parametrize("shape", [
    ((64, 6, 14, 14), (16, 6, 5, 5), {}),
    ((32, 16, 32, 32), (16, 16, 3, 3), dict(padding=1)),
    ((32, 16, 16, 16), (16, 16, 3, 3), dict(padding=2, dilation=2)),   # 2.10 before the
], ids=["5x5-on-14x14", "3x3-on-32x32", "dilated-3x3"])                 # column budget
def test_backward_peak_memory_of_small_layers(shape, monkeypatch):
    """conv_backward allocates at most 2 (x + dy) bytes, gradients included (tracemalloc,
    which sees NumPy's buffers), also on small images with a large kernel (whose padded
    dy alone would be 3.2 (x + dy) without the per-block padding)."""
    import tracemalloc
    from convbp import _threads
    monkeypatch.setattr(_threads, "SERIAL_COST", 0)      # both threads' buffers
    xs, ws, kw = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs, dtype=np.float32)
    w = rng.standard_normal(ws, dtype=np.float32)
    dy = rng.standard_normal(convbp.conv(x, w, **kw).shape, dtype=np.float32)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        grads = convbp.conv_backward(dy, x, w, **kw)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert grads.dx.shape == x.shape
    assert peak <= 2 * (x.nbytes + dy.nbytes)


def test_col2im_with_small_adds_runs_on_one_thread(monkeypatch):
    """col2im whose strided adds are small runs its blocks on one thread (two would
    queue for the GIL); large adds keep the threads. Same numbers either way."""
    from convbp import _threads
    costs = []
    real = fc.run_blocks
    monkeypatch.setattr(fc, "run_blocks", lambda *a, cost=None, **k: costs.append(cost) or
                        real(*a, cost=cost, **k))
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(4, 3, 16, 16)), rng.normal(size=(32, 3, 5, 5))
    dy = rng.normal(size=(4, 32, 8, 8))
    small = convbp.conv_backward(dy, x, w, stride=2, padding=2)
    assert _threads.workers(costs[-1]) == 1                # the scatter: serial
    monkeypatch.setattr(fc, "SCATTER_ADD_ELEMENTS", 0)
    costs.clear()
    threaded = convbp.conv_backward(dy, x, w, stride=2, padding=2)
    assert costs[-1] > 0
    np.testing.assert_allclose(small.dx, threaded.dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        small.dx, reference.conv_backward(dy, x, w, stride=2, padding=2).dx, rtol=1e-10,
        atol=1e-10)


@pytest.mark.parametrize("budget,threads", [(None, False), (1, False), (1, True)],
                         ids=["one-block", "one-sample-blocks", "two-threads"])
@pytest.mark.parametrize("dilation,groups", [(1, 1), (2, 2)])
def test_scatter_on_the_grid_of_dx(budget, threads, dilation, groups, monkeypatch):
    """Col2im at stride 1 lays the samples of a block end to end on dx's padded grid
    (fc.flat_scatter) and adds each tap's contribution as one flat run: same dx as the
    loops, leftover rows included, with whole-sample blocks of any size."""
    taken = []
    real = fc.flat_scatter
    monkeypatch.setattr(fc, "flat_scatter", lambda *a: taken.append(real(*a)) or taken[-1])
    if budget:
        monkeypatch.setattr(fc, "CHUNK_BYTES", budget)
    if threads:                      # every block to a thread, however short its adds
        from convbp import _threads
        monkeypatch.setattr(fc, "SCATTER_ADD_ELEMENTS", 0)
        monkeypatch.setattr(_threads, "SERIAL_COST", 0)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 2 * groups, 9, 8))
    w = rng.normal(size=(12 * groups, 2, 3, 2))
    pad = ((1, 2), (0, 1))
    dy = rng.normal(size=convbp.conv(x, w, padding=pad, dilation=dilation,
                                     groups=groups).shape)
    got = convbp.conv_backward(dy, x, w, padding=pad, dilation=dilation, groups=groups)
    want = reference.conv_backward(dy, x, w, padding=pad, dilation=dilation, groups=groups)
    np.testing.assert_allclose(got.dx, want.dx, rtol=1e-10, atol=1e-10)
    assert taken == [True]


def test_flat_scatter_rule():
    assert fc.flat_scatter((14, 14), (0, 0), (1, 1), (10, 10), (5, 5))      # LeNet's 2nd
    assert fc.flat_scatter((34, 34), (0, 0), (1, 1), (32, 32), (3, 3))      # long rows too
    assert not fc.flat_scatter((9, 9), (1, 0), (1, 1), (4, 4), (3, 3))      # not from 0
    assert not fc.flat_scatter((9, 9), (0, 0), (2, 2), (4, 4), (3, 3))      # stride 2
    assert not fc.flat_scatter((9,), (0,), (1,), (7,), (3,))                # 1-D: flat already
    assert not fc.flat_scatter((6, 30), (0, 0), (1, 1), (4, 4), (3, 3))     # grid > 2x dy
