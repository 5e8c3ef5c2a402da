"""Every class of bad input gets a ValueError/TypeError naming the operation, the
parameter and the value, for every public convolution entry point."""

import numpy as np
import pytest

import convbp
from convbp import reference

RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 4, 6, 6))
W = RNG.normal(size=(6, 4, 3, 3))
DY = RNG.normal(size=(2, 6, 4, 4))


def _fast(**kw):
    return convbp.conv(kw.pop("x", X), kw.pop("w", W), kw.pop("b", None), **kw)


def _backward(**kw):
    return convbp.conv_backward(kw.pop("dy", DY), kw.pop("x", X), kw.pop("w", W), **kw)


def _recipe(**kw):
    return convbp.conv_backward_as_convolutions(kw.pop("dy", DY), kw.pop("x", X), kw.pop("w", W),
                                                **kw)


def _ref_backward(**kw):
    return reference.conv_backward(kw.pop("dy", DY), kw.pop("x", X), kw.pop("w", W), **kw)


def _ref(**kw):
    return reference.conv(kw.pop("x", X), kw.pop("w", W), kw.pop("b", None), **kw)


OPS = {
    "conv": _fast,
    "conv_backward": _backward,
    "conv_backward_as_convolutions": _recipe,
    "reference.conv": _ref,
    "reference.conv_backward": _ref_backward,
}

# (keyword arguments, exception, pattern after "<op>: ")
BAD = [
    (dict(stride=0), ValueError, r"stride must be a positive int .*got 0"),
    (dict(stride=(2, 0)), ValueError, r"stride must be .*got \(2, 0\)"),
    (dict(stride=(1, 1, 1)), ValueError, r"stride must be .*length 3"),
    (dict(stride=1.5), TypeError, r"stride must be .*got 1.5"),
    (dict(dilation=0), ValueError, r"dilation must be .*got 0"),
    (dict(dilation=(1, 2.0)), TypeError, r"dilation must be .*got \(1, 2.0\)"),
    (dict(padding=-1), ValueError, r"padding must be .*got -1"),
    (dict(padding=((0, -1), 0)), ValueError, r"padding must be .*got \(\(0, -1\), 0\)"),
    (dict(padding=(1, 1, 1)), ValueError, r"padding must be .*length 3"),
    (dict(padding="full"), ValueError, r"padding must be 'same', 'valid'.*got 'full'"),
    (dict(groups=0), ValueError, r"groups must be a positive int, got 0"),
    (dict(groups=2.0), TypeError, r"groups must be a positive int, got 2.0"),
    (dict(groups=3), ValueError, r"groups=3 must divide the input channels C_in=4"),
    (dict(w=RNG.normal(size=(6, 3, 3, 3))), ValueError, r"w.shape\[1\] must be C_in // groups"),
    (dict(w=RNG.normal(size=(5, 2, 3, 3)), groups=2), ValueError,
     r"groups=2 must divide the output channels C_out=5"),
    (dict(w=RNG.normal(size=(6, 4, 3))), ValueError, r"w must have shape .* as many spatial dims"),
    (dict(x=RNG.normal(size=(4, 6))), ValueError, r"x must have shape \(N, C_in, \*spatial\)"),
    (dict(w=RNG.normal(size=(6, 4, 7, 3))), ValueError,
     r"kernel of size 7 spans 7 rows, larger than the padded input \(6 \+ 0 \+ 0 = 6\)"),
    (dict(dilation=3), ValueError, r"kernel of size 3 with dilation 3 spans 7 rows"),
    (dict(x=np.array([["a"]], dtype=object)), TypeError, r"x must be a real numeric array"),
    (dict(x=X.astype(complex)), TypeError, r"x must be a real numeric array, got dtype complex128"),
    (dict(w="kernel"), TypeError, r"w must be a real numeric array"),
]


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("kw,exc,pattern", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_arguments(op, kw, exc, pattern):
    with pytest.raises(exc, match=rf"^{op}: {pattern}"):
        OPS[op](**dict(kw))


@pytest.mark.parametrize("op", ["conv", "reference.conv"])
def test_bad_bias(op):
    with pytest.raises(ValueError, match=rf"^{op}: b must have shape \(6,\) .*got \(4,\)"):
        OPS[op](b=np.zeros(4))
    with pytest.raises(TypeError, match=rf"^{op}: b must be a real numeric array"):
        OPS[op](b=np.array(["x"] * 6))


@pytest.mark.parametrize("op", ["conv_backward", "conv_backward_as_convolutions",
                                "reference.conv_backward"])
def test_bad_upstream_gradient(op):
    with pytest.raises(ValueError, match=rf"^{op}: dy must have shape \(2, 6, 4, 4\) .*"
                                         r"got \(2, 6, 5, 5\)"):
        OPS[op](dy=np.zeros((2, 6, 5, 5)))
    # the shape depends on the stride: stride-1 dy is wrong at stride 2
    with pytest.raises(ValueError, match=rf"^{op}: dy must have shape \(2, 6, 2, 2\)"):
        OPS[op](stride=2)


@pytest.mark.parametrize("op,fn", [("conv_transpose", convbp.conv_transpose),
                                   ("reference.conv_transpose", reference.conv_transpose)])
def test_bad_conv_transpose(op, fn):
    x = RNG.normal(size=(2, 6, 4, 4))
    w = RNG.normal(size=(6, 2, 3, 3))
    with pytest.raises(ValueError, match=rf"^{op}: output_padding must be smaller than the stride "
                                         r"or the dilation, got output_padding 2 with stride 2"):
        fn(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match=rf"^{op}: output_padding must be .*got \(1, -1\)"):
        fn(x, w, stride=2, output_padding=(1, -1))
    with pytest.raises(ValueError, match=rf"^{op}: w must have shape \(C_in, C_out // groups, "
                                         r"\*kernel\) with C_in=6"):
        fn(x, RNG.normal(size=(4, 2, 3, 3)))
    with pytest.raises(ValueError, match=rf"^{op}: b must have shape \(4,\)"):
        fn(x, w, np.zeros(2), groups=2)
    with pytest.raises(ValueError, match=rf"^{op}: padding .* removes the whole output"):
        fn(x, w, padding=4)


def test_bad_dilate_and_flip():
    with pytest.raises(ValueError, match=r"^dilate: factor must be a positive int .*got 0"):
        convbp.dilate(X, 0)
    with pytest.raises(ValueError, match=r"^dilate: factor must be .*got \(2, 2\) of length 2"):
        convbp.dilate(X, (2, 2), axes=[2])
    with pytest.raises(ValueError, match=r"^dilate: axes must be axes of a 4-d array, got \(4,\)"):
        convbp.dilate(X, 2, axes=[4])
    with pytest.raises(TypeError, match=r"^dilate: a must be a real numeric array"):
        convbp.dilate(np.array(["a", "b"]), 2, axes=[0])
    with pytest.raises(ValueError, match=r"^flip: w must have shape \(C_out, C_in // groups, "
                                         r"\*kernel\), got \(3, 3\)"):
        convbp.flip(np.zeros((3, 3)))


def test_nan_and_inf_propagate_instead_of_failing():
    """Non-finite values are data, not errors: they flow through like in any float code."""
    x = X.copy()
    x[0, 0, 0, 0] = np.nan
    y = convbp.conv(x, W)
    assert np.isnan(y[0, :, 0, 0]).all() and np.isfinite(y[1]).all()
