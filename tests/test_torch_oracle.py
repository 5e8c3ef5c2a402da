"""PyTorch as an independent oracle. Optional: skipped cleanly when torch is absent."""

import itertools

import numpy as np
import pytest

import convbp

torch = pytest.importorskip("torch")
F = torch.nn.functional

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}

CASES = [
    # nd, size, kernel, stride, padding (symmetric: torch's form), dilation, groups
    (nd, size, k, s, p, d, g)
    for nd, (size, k), s, p, d, g in itertools.product(
        (1, 2, 3), ((7, 3), (8, 2)), (1, 2, 3), (0, 1), (1, 2), (1, 2))
    if size + 2 * p >= d * (k - 1) + 1
]


@pytest.mark.parametrize("nd,size,k,s,p,d,g", CASES)
def test_conv_and_backward_match_torch(nd, size, k, s, p, d, g):
    rng = np.random.default_rng(nd * 1000 + size * 100 + k * 10 + s)
    x = rng.normal(size=(2, 4, *(size - i for i in range(nd))))
    w = rng.normal(size=(6, 4 // g, *(k,) * nd))
    b = rng.normal(size=(6,))
    kw = dict(stride=s, padding=p, dilation=d, groups=g)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    yt = CONV[nd](xt, wt, bt, **kw)
    y = convbp.conv(x, w, b, **kw)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    dy = rng.normal(size=y.shape)
    yt.backward(torch.tensor(dy))
    got = convbp.conv_backward(dy, x, w, **kw)
    np.testing.assert_allclose(got.dx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got.dw, wt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got.db, bt.grad.numpy(), rtol=1e-10, atol=1e-10)


# output_padding must be smaller than the stride or the dilation
CASES_T = [c + (op,) for c in CASES[::2] for op in (0, 1) if op < max(c[3], c[5])]


@pytest.mark.parametrize("nd,size,k,s,p,d,g,output_padding", CASES_T)
def test_conv_transpose_matches_torch(nd, size, k, s, p, d, g, output_padding):
    rng = np.random.default_rng(size * 10 + s)
    x = rng.normal(size=(2, 4, *(size - i for i in range(nd))))
    w = rng.normal(size=(4, 6 // g, *(k,) * nd))
    b = rng.normal(size=(6,))
    kw = dict(stride=s, padding=p, dilation=d, groups=g, output_padding=output_padding)
    try:
        want = CONV_T[nd](torch.tensor(x), torch.tensor(w), torch.tensor(b), **kw).numpy()
    except RuntimeError:  # torch rejects an empty output: so must we
        with pytest.raises(ValueError, match="conv_transpose: padding"):
            convbp.conv_transpose(x, w, b, **kw)
        return
    np.testing.assert_allclose(convbp.conv_transpose(x, w, b, **kw), want, rtol=1e-10, atol=1e-10)
