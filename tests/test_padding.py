"""pad_or_crop against np.pad + slicing, in both layouts, with any fill value."""

import numpy as np
import pytest

import convbp
from convbp.geometry import conv_geometry


def _np_pad_or_crop(a, pads, axes, value):
    grow = [(0, 0)] * a.ndim
    cut = [slice(None)] * a.ndim
    for ax, (lo, hi) in zip(axes, pads):
        grow[ax] = (max(lo, 0), max(hi, 0))
    a = np.pad(a, grow, constant_values=value)
    for ax, (lo, hi) in zip(axes, pads):
        cut[ax] = slice(max(-lo, 0), a.shape[ax] - max(-hi, 0))
    return a[tuple(cut)]


@pytest.mark.parametrize("pads", [[(1, 2), (0, 0)], [(-1, 2), (3, -2)], [(0, -3), (2, 1)],
                                  [(0, 0), (0, 0)], [(-2, -1), (-1, 0)],
                                  # a crop past the far end: nothing of a is left
                                  [(-7, 4), (2, -5)], [(-5, 1), (-4, 1)]])
@pytest.mark.parametrize("value", [0.0, -np.inf, 2.5])
def test_matches_np_pad_channels_first_and_last(pads, value):
    a = np.random.default_rng(0).normal(size=(2, 3, 5, 4))
    want = _np_pad_or_crop(a, pads, (2, 3), value)
    np.testing.assert_array_equal(convbp.pad_or_crop(a, pads, value=value), want)
    last = np.moveaxis(a, 1, -1)
    got = convbp.pad_or_crop(last, pads, value=value, axes=(1, 2))
    np.testing.assert_array_equal(got, np.moveaxis(want, 1, -1))
    out = np.empty(want.shape, dtype=np.float32)
    assert convbp.pad_or_crop(a, pads, value=value, out=out) is out
    np.testing.assert_array_equal(out, want.astype(np.float32))


def test_no_copy_without_padding_and_errors():
    a = np.ones((1, 1, 4))
    assert convbp.pad_or_crop(a, [(0, 0)]) is a
    assert np.shares_memory(convbp.pad_or_crop(a, [(-1, 0)]), a)
    with pytest.raises(ValueError, match=r"pad_or_crop: pads \(-3, -2\) crop more"):
        convbp.pad_or_crop(a, [(-3, -2)])
    with pytest.raises(ValueError, match="pad_or_crop: axes must be 1 axes"):
        convbp.pad_or_crop(a, [(1, 1)], axes=(5,))
    with pytest.raises(TypeError, match="pad_or_crop: pads must be"):
        convbp.pad_or_crop(a, [(1.5, 1)])


@pytest.mark.parametrize("n,k,s,pad,d", [(8, 3, 2, (0, 0), 1), (9, 2, 4, (1, 0), 1),
                                         (7, 3, 3, (0, 2), 2), (5, 2, 3, (2, 2), 1),
                                         (1, 1, 3, (0, 0), 1)])
def test_dw_padding_leaves_exactly_the_rows_the_windows_span(n, k, s, pad, d):
    geom = conv_geometry("conv", (n,), (k,), s, (pad,), d)
    (lo, hi), = geom.dw_padding
    last = s * (geom.out_size[0] - 1) + d * (k - 1)          # last padded row any window reads
    assert lo == pad[0] and n + lo + hi == last + 1
    assert geom.unread_tail == (max(0, min(n, n + pad[0] - 1 - last)),)
