"""conv, conv_backward, conv_transpose: the fast path against independent oracles.

Oracles: the plain-loop reference (convbp.reference), finite differences
(convbp.gradcheck), the dilate-pad-flip recipe (conv_backward_as_convolutions), and
the adjoint identity for conv_transpose. Each case uses seeded random data and a
random (never all-ones) upstream gradient.
"""

import numpy as np
import pytest

import convbp
from convbp import gradcheck, reference

from cases import GRID, SMALL


def _ids(c):
    return str(c)


@pytest.mark.parametrize("c", GRID, ids=_ids)
def test_forward_matches_reference(c):
    _, x, w, b, _ = c.data()
    np.testing.assert_allclose(convbp.conv(x, w, b, **c.kw), reference.conv(x, w, b, **c.kw),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c", GRID, ids=_ids)
def test_backward_matches_reference_and_recipe(c):
    _, x, w, _, dy = c.data()
    fast = convbp.conv_backward(dy, x, w, **c.kw)
    loops = reference.conv_backward(dy, x, w, **c.kw)
    recipe = convbp.conv_backward_as_convolutions(dy, x, w, **c.kw)
    for name, got, want, alt in zip("dx dw db".split(), fast, loops, recipe):
        assert got.shape == want.shape == alt.shape, name
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=f"fast {name}")
        np.testing.assert_allclose(alt, want, rtol=1e-10, atol=1e-10, err_msg=f"recipe {name}")


@pytest.mark.parametrize("c", GRID, ids=_ids)
def test_leftover_rows_get_zero_gradient(c):
    """dx is exactly 0 on the input rows no window reads, and nonzero on every row read.

    The rows read are enumerated from ``a = s*o + d*m - p_lo`` (independently of the
    geometry's formulas); the real rows past the last window must be ``unread_tail``.
    """
    _, x, w, _, dy = c.data()
    geom = c.geom
    dx = convbp.conv_backward(dy, x, w, **c.kw).dx
    for axis, n in enumerate(geom.in_size):
        s, d, (lo, _hi) = geom.stride[axis], geom.dilation[axis], geom.padding[axis]
        spanned = {s * o + d * m - lo for o in range(geom.out_size[axis])
                   for m in range(geom.kernel_size[axis])}
        read = spanned & set(range(n))
        assert geom.unread_tail[axis] == min(n, max(0, n - 1 - max(spanned)))
        for a in range(n):
            row = np.take(dx, a, axis=2 + axis)
            assert np.any(row != 0) if a in read else np.all(row == 0), (axis, a)


@pytest.mark.parametrize("c", SMALL, ids=_ids)
def test_backward_matches_finite_differences(c):
    _, x, w, b, _ = c.data(seed=1)
    result = gradcheck.check_conv_gradients(x, w, b, backward=convbp.conv_backward, seed=2,
                                            **c.kw)
    result.assert_ok()


@pytest.mark.parametrize("c", GRID, ids=_ids)
def test_conv_transpose_is_the_adjoint(c):
    rng, x, w, _, dy = c.data()
    lhs, rhs = gradcheck.adjoint_identity(x, dy, w, conv=convbp.conv,
                                          conv_transpose=convbp.conv_transpose, **c.kw)
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-10)
    # and conv_transpose is the input gradient, with output_padding picking the size
    xt = convbp.conv_transpose(dy, w, **c.transpose_kw)
    np.testing.assert_allclose(xt, convbp.conv_backward(dy, x, w, **c.kw).dx, rtol=1e-10,
                               atol=1e-10)
    b = rng.normal(size=(x.shape[1],))  # the transposed op outputs C_in channels
    np.testing.assert_allclose(convbp.conv_transpose(dy, w, b, **c.transpose_kw),
                               reference.conv_transpose(dy, w, b, **c.transpose_kw),
                               rtol=1e-10, atol=1e-10)


def test_stride2_textbook_example_by_hand():
    """1-D, x of length 5, k=3, stride 2: y0 = w.x[0:3], y1 = w.x[2:5]; dx[2] gets both."""
    x = np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    w = np.array([[[1.0, 10.0, 100.0]]])
    dy = np.array([[[2.0, -1.0]]])
    np.testing.assert_array_equal(convbp.conv(x, w, stride=2), [[[321.0, 543.0]]])
    grads = convbp.conv_backward(dy, x, w, stride=2)
    np.testing.assert_array_equal(grads.dx, [[[2.0, 20.0, 200.0 - 1.0, -10.0, -100.0]]])
    np.testing.assert_array_equal(grads.dw, [[[2 * 1 - 3, 2 * 2 - 4, 2 * 3 - 5]]])
    np.testing.assert_array_equal(grads.db, [1.0])


@pytest.mark.parametrize("fn", ["conv", "conv_backward", "conv_backward_as_convolutions",
                                "conv_transpose"])
def test_dtypes(fn):
    rng = np.random.default_rng(4)
    x32 = rng.normal(size=(2, 2, 6, 6)).astype(np.float32)
    w32 = rng.normal(size=(2, 2, 3, 3)).astype(np.float32)
    dy32 = rng.normal(size=(2, 2, 2, 2)).astype(np.float32)
    xi, wi, dyi = (a.round().astype(np.int64) for a in (x32, w32, dy32))
    kw = dict(stride=2)
    if fn == "conv":
        assert convbp.conv(x32, w32, **kw).dtype == np.float32
        out = convbp.conv(xi, wi, **kw)
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, convbp.conv(xi.astype(float), wi.astype(float), **kw))
    elif fn == "conv_transpose":
        assert convbp.conv_transpose(dy32, w32, **kw).dtype == np.float32
        assert convbp.conv_transpose(dyi, wi, **kw).dtype == np.float64
    else:
        f = getattr(convbp, fn)
        grads = f(dy32, x32, w32, **kw)
        assert [a.dtype for a in grads] == [np.float32] * 3
        grads64 = f(dy32.astype(np.float64), x32.astype(np.float64), w32.astype(np.float64),
                    **kw)
        for a, b in zip(grads, grads64):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
        grads_int = f(dyi, xi, wi, **kw)
        assert [a.dtype for a in grads_int] == [np.float64] * 3


def test_gradients_named_tuple_and_shapes():
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=(3, 4, 9, 8)), rng.normal(size=(6, 2, 3, 2))
    y = convbp.conv(x, w, stride=(2, 3), padding=((1, 0), 1), dilation=(1, 2), groups=2)
    grads = convbp.conv_backward(rng.normal(size=y.shape), x, w, stride=(2, 3),
                             padding=((1, 0), 1), dilation=(1, 2), groups=2)
    assert isinstance(grads, convbp.Gradients) and grads._fields == ("dx", "dw", "db")
    assert grads.dx.shape == x.shape and grads.dw.shape == w.shape and grads.db.shape == (6,)


def test_list_inputs_are_accepted():
    out = convbp.conv([[[1, 2, 3]]], [[[1, -1]]])
    np.testing.assert_array_equal(out, [[[-1.0, -1.0]]])


def test_dilate_and_flip():
    a = np.arange(6).reshape(1, 1, 2, 3)
    d = convbp.dilate(a, (2, 3))
    assert d.shape == (1, 1, 3, 7)
    np.testing.assert_array_equal(d[0, 0], [[0, 0, 0, 1, 0, 0, 2],
                                            [0, 0, 0, 0, 0, 0, 0],
                                            [3, 0, 0, 4, 0, 0, 5]])
    np.testing.assert_array_equal(convbp.dilate(a, 2, axes=[-1])[0, 0], [[0, 0, 1, 0, 2],
                                                                        [3, 0, 4, 0, 5]])
    np.testing.assert_array_equal(convbp.dilate(a, 1), a)
    f = convbp.flip(a)
    np.testing.assert_array_equal(f[0, 0], [[5, 4, 3], [2, 1, 0]])
    np.testing.assert_array_equal(convbp.flip(f), a)
    # convolution (flipped kernel) vs correlation: conv of x with w == np.convolve
    x, w = np.array([1.0, 2.0, 0.5, -1.0]), np.array([3.0, -2.0, 1.0])
    np.testing.assert_allclose(convbp.conv(x[None, None], convbp.flip(w[None, None]))[0, 0],
                               np.convolve(x, w, mode="valid"))
