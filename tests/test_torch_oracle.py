"""PyTorch as an independent oracle. Optional: skipped cleanly when torch is absent."""

import numpy as np
import pytest

import convbp

from cases import GRID

torch = pytest.importorskip("torch")
F = torch.nn.functional

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}

def _torch_padding(c):
    """The per-dim symmetric padding PyTorch accepts, or None for asymmetric padding."""
    pads = c.geom.padding
    return tuple(lo for lo, _ in pads) if all(lo == hi for lo, hi in pads) else None


CASES = [c for c in GRID if _torch_padding(c) is not None]


@pytest.mark.parametrize("c", CASES, ids=str)
def test_conv_and_backward_match_torch(c):
    _, x, w, b, dy = c.data(seed=7)
    kw = dict(c.kw, padding=_torch_padding(c))
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    yt = CONV[c.nd](xt, wt, bt, **kw)
    y = convbp.conv(x, w, b, **kw)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    yt.backward(torch.tensor(dy))
    got = convbp.conv_backward(dy, x, w, **kw)
    np.testing.assert_allclose(got.dx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got.dw, wt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got.db, bt.grad.numpy(), rtol=1e-10, atol=1e-10)


# output_padding must be smaller than the stride or the dilation
# The transposed convolution of each case maps dy (the case's output) to x's size; the
# case's remainder is the output_padding that selects it (when PyTorch allows it).
CASES_T = [c for c in CASES[::2]
           if all(r < max(s, d) for r, s, d in zip(c.geom.remainder, c.geom.stride,
                                                   c.geom.dilation))]


@pytest.mark.parametrize("c", CASES_T, ids=str)
def test_conv_transpose_matches_torch(c):
    _, _, w, _, dy = c.data(seed=8)
    b = np.random.default_rng(9).normal(size=(c.x_shape[1],))
    x = dy
    kw = dict(c.kw, padding=_torch_padding(c), output_padding=c.geom.remainder)
    want = CONV_T[c.nd](torch.tensor(x), torch.tensor(w), torch.tensor(b), **kw).numpy()
    assert want.shape == c.x_shape
    np.testing.assert_allclose(convbp.conv_transpose(x, w, b, **kw), want, rtol=1e-10, atol=1e-10)


def test_conv_transpose_rejects_an_empty_output_like_torch():
    x, w = np.ones((1, 2, 2)), np.ones((2, 1, 1))
    with pytest.raises(RuntimeError):
        F.conv_transpose1d(torch.tensor(x), torch.tensor(w), padding=1)
    with pytest.raises(ValueError, match="conv_transpose: padding"):
        convbp.conv_transpose(x, w, padding=1)
