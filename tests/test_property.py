"""Property-based test: over random geometries, the fast backward equals the recipe and
the loop reference, and conv_transpose is the adjoint of conv."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import convbp
from convbp import reference
from convbp.geometry import conv_geometry


@st.composite
def geometries(draw):
    nd = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    padding = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(nd))
    limit = 9 if nd < 3 else 5
    size = tuple(draw(st.integers(1, limit)) for _ in range(nd))
    n = draw(st.integers(1, 2))
    try:
        geom = conv_geometry("conv", size, kernel, stride, padding, dilation)
    except ValueError:
        # the kernel does not fit: grow the input until it does
        size = tuple(max(s, d * (k - 1) + 1) for s, k, d in zip(size, kernel, dilation))
        geom = conv_geometry("conv", size, kernel, stride, padding, dilation)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return n, c_in, c_out, size, kernel, kw, geom, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=60, deadline=None)
@given(geometries())
def test_random_geometry_all_paths_agree(case):
    n, c_in, c_out, size, kernel, kw, geom, seed = case
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c_in, *size))
    w = rng.normal(size=(c_out, c_in // kw["groups"], *kernel))
    y = convbp.conv(x, w, **kw)
    assert y.shape == (n, c_out, *geom.out_size)
    np.testing.assert_allclose(y, reference.conv(x, w, **kw), rtol=1e-10, atol=1e-10)
    dy = rng.normal(size=y.shape)
    fast = convbp.conv_backward(dy, x, w, **kw)
    for got, alt, want in zip(fast, convbp.conv_backward_as_convolutions(dy, x, w, **kw),
                              reference.conv_backward(dy, x, w, **kw)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(alt, want, rtol=1e-10, atol=1e-10)
    xt = convbp.conv_transpose(dy, w, stride=kw["stride"], padding=kw["padding"],
                               dilation=kw["dilation"], groups=kw["groups"],
                               output_padding=geom.remainder)
    assert np.isclose(np.vdot(dy, y), np.vdot(xt, x), rtol=1e-10, atol=1e-10)
