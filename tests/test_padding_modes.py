"""padding="same" and padding="valid" in conv, conv_backward, the recipe and the reference.

PyTorch's rules: "valid" is no padding; "same" keeps the input's size at stride 1, with a
total padding of d*(k-1) per dimension whose odd row goes at the high end; at stride > 1
it is refused, with a message that gives the pairs of geometry.same_padding (TensorFlow's
"SAME"). Checked on the shared grid of hard cases against explicit pairs, between the
three implementations, and against PyTorch when it is installed.
"""

import dataclasses
import importlib.util

import numpy as np
import pytest

import convbp
from convbp import reference
from convbp.geometry import padding_mode, same_padding

from cases import GRID, HARD, case

# Stride-1 cases of the grid, with "same" in place of their padding (even kernels,
# dilation, groups, size-1 dims and 1-, 2- and 3-D among them).
SAME = [dataclasses.replace(c, padding="same", name=f"same-{c}") for c in GRID + HARD
        if all(s == 1 for s in c.geom.stride)][::2]
SAME += [case(1, 2, 2, 3, 9, 4, padding="same", name="same-even-k4"),
         case(2, 1, 2, 2, (5, 6), (2, 4), padding="same", dilation=(3, 1),
              name="same-even-dilated"),
         case(1, 1, 1, 1, 1, 3, padding="same", dilation=2, name="same-kernel-wider-than-x")]
VALID = [dataclasses.replace(c, padding="valid", name=f"valid-{c}") for c in GRID
         if all(p == (0, 0) for p in c.geom.padding)][::4]

BACKWARD = [convbp.conv_backward, convbp.conv_backward_as_convolutions,
            reference.conv_backward]


def _explicit(c):
    """The pairs PyTorch's rule gives, written out independently of padding_mode."""
    k, d = c.w_shape[2:], c.geom.dilation
    return tuple(((di * (ki - 1)) // 2, di * (ki - 1) - (di * (ki - 1)) // 2)
                 for ki, di in zip(k, d))


@pytest.mark.parametrize("c", SAME, ids=str)
def test_same_keeps_the_size_and_equals_explicit_pairs(c):
    _, x, w, b, dy = c.data(seed=len(str(c)))
    pairs = dataclasses.replace(c, padding=_explicit(c))
    assert c.geom.padding == pairs.geom.padding
    y = convbp.conv(x, w, b, **c.kw)
    assert y.shape[2:] == x.shape[2:]
    np.testing.assert_allclose(y, convbp.conv(x, w, b, **pairs.kw), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(reference.conv(x, w, b, **c.kw), y, rtol=1e-10, atol=1e-10)
    want = reference.conv_backward(dy, x, w, **pairs.kw)
    for backward in BACKWARD:
        for got, ref in zip(backward(dy, x, w, **c.kw), want):
            np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("c", VALID, ids=str)
def test_valid_is_no_padding(c):
    _, x, w, b, dy = c.data(seed=3)
    zero = dataclasses.replace(c, padding=0)
    np.testing.assert_array_equal(convbp.conv(x, w, b, **c.kw), convbp.conv(x, w, b, **zero.kw))
    for got, ref in zip(convbp.conv_backward(dy, x, w, **c.kw),
                        reference.conv_backward(dy, x, w, **zero.kw)):
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


def test_same_at_stride_one_is_tensorflows_same_too():
    for n, k, d in [(9, 4, 1), (8, 2, 3), (5, 5, 2), (1, 3, 1)]:
        assert padding_mode("t", "SAME", (n,), (k,), (1,), (d,)) == (same_padding(n, k, 1, d),)


@pytest.mark.parametrize("fn", [convbp.conv, reference.conv])
def test_same_at_stride_two_names_same_padding(fn):
    x, w = np.zeros((1, 1, 9, 8)), np.zeros((1, 1, 4, 3))
    op = "reference.conv" if fn is reference.conv else "conv"
    with pytest.raises(ValueError) as info:
        fn(x, w, stride=(1, 2), padding="same")
    msg = str(info.value)
    assert msg.startswith(f"{op}: padding='same' needs stride 1")
    assert "got stride (1, 2)" in msg and "convbp.geometry.same_padding" in msg
    pairs = (same_padding(9, 4, 1), same_padding(8, 3, 2))
    assert msg.endswith(f"padding={pairs}")
    convbp.conv(x, w, stride=(1, 2), padding=pairs)      # the suggestion works


@pytest.mark.parametrize("fn", BACKWARD)
def test_backward_refuses_same_at_stride_two_and_unknown_modes(fn):
    x, w, dy = np.zeros((1, 1, 8)), np.zeros((1, 1, 3)), np.zeros((1, 1, 4))
    with pytest.raises(ValueError, match=r"padding='same' needs stride 1.*same_padding"):
        fn(dy, x, w, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"padding must be 'same', 'valid'.*got 'full'"):
        fn(dy, x, w, stride=2, padding="full")


def test_transposed_and_pooling_take_no_strings():
    x = np.zeros((1, 2, 4))
    with pytest.raises(TypeError, match="conv_transpose: padding must be"):
        convbp.conv_transpose(x, np.zeros((2, 3, 3)), padding="same")
    with pytest.raises(TypeError, match="max_pool: padding must be"):
        convbp.max_pool(x, 2, padding="same")


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("c", [c for c in SAME if c.nd <= 3], ids=str)
def test_same_matches_pytorch(c):
    import torch
    import torch.nn.functional as F

    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[c.nd]
    _, x, w, b, dy = c.data(seed=5)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    yt = conv(xt, wt, torch.tensor(b), padding="same", dilation=c.geom.dilation,
              groups=c.groups)
    np.testing.assert_allclose(convbp.conv(x, w, b, **c.kw), yt.detach().numpy(),
                               rtol=1e-10, atol=1e-10)
    yt.backward(torch.tensor(dy))
    grads = convbp.conv_backward(dy, x, w, **c.kw)
    np.testing.assert_allclose(grads.dx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grads.dw, wt.grad.numpy(), rtol=1e-10, atol=1e-10)
