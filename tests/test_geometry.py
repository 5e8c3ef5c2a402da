"""The integer geometry, checked against brute-force enumeration of the windows."""

import itertools

import numpy as np
import pytest

from convbp.geometry import (
    as_padding,
    as_tuple,
    conv_geometry,
    conv_output_size,
    conv_transpose_geometry,
    pool_geometry,
    same_padding,
)

# One test per (stride, dilation); inside, every size 1-9, kernel 1-3, padding 0-2 per side.
STRIDES_DILATIONS = [(s, d) for s in range(1, 5) for d in range(1, 4)]


def _sizes():
    return itertools.product(range(1, 10), range(1, 4), range(0, 3), range(0, 3))


def _windows(n, k, s, lo, hi, d):
    """Start positions o (in the padded input) of every window that fits, by enumeration."""
    starts = []
    o = 0
    while o * s + d * (k - 1) <= n + lo + hi - 1:
        starts.append(o * s)
        o += 1
    return starts


@pytest.mark.parametrize("s,d", STRIDES_DILATIONS)
def test_output_size_and_remainder_match_enumeration(s, d):
    for n, k, lo, hi in _sizes():
        where = f"n={n} k={k} s={s} p=({lo},{hi}) d={d}"
        starts = _windows(n, k, s, lo, hi, d)
        if not starts:
            with pytest.raises(ValueError, match="conv: kernel of size"):
                conv_geometry("conv", (n,), (k,), s, ((lo, hi),), d)
            continue
        geom = conv_geometry("conv", (n,), (k,), s, ((lo, hi),), d)
        assert geom.out_size == (len(starts),), where
        assert conv_output_size(n, k, s, (lo, hi), d) == len(starts), where
        # rows of the padded input read by some window
        last_read = max(start + d * m for start in starts for m in range(k))
        assert geom.remainder == (n + lo + hi - 1 - last_read,), where
        assert 0 <= geom.remainder[0] < s, where
        # the dilated gradient padded by dx_padding has length n + d(k-1): the stride-1
        # correlation with a dilated k-tap kernel then yields exactly n entries
        (plo, phi), = geom.dx_padding
        assert geom.dilated_out_size[0] + plo + phi == n + d * (k - 1), where


@pytest.mark.parametrize("s,d", STRIDES_DILATIONS)
def test_transpose_geometry_inverts_forward(s, d):
    for n, k, lo, hi in _sizes():
        if not _windows(n, k, s, lo, hi, d):
            continue
        geom = conv_geometry("conv", (n,), (k,), s, ((lo, hi),), d)
        t = conv_transpose_geometry("conv_transpose", geom.out_size, (k,), s, ((lo, hi),),
                                    geom.remainder, d)
        assert t == geom, f"n={n} k={k} s={s} p=({lo},{hi}) d={d}"


def test_window_slices_read_the_enumerated_rows():
    geom = conv_geometry("conv", (9, 8), (3, 2), stride=(2, 3), padding=((1, 0), (0, 2)),
                      dilation=(2, 1))
    for tap in itertools.product(range(3), range(2)):
        rows, cols = geom.window(tap)
        assert list(range(rows.start, rows.stop, rows.step)) == [
            2 * o + 2 * tap[0] for o in range(geom.out_size[0])]
        assert list(range(cols.start, cols.stop, cols.step)) == [
            3 * o + tap[1] for o in range(geom.out_size[1])]


def test_normalisation_forms():
    assert as_tuple(3, 3, "conv", "stride") == (3, 3, 3)
    assert as_tuple([1, 2], 2, "conv", "stride") == (1, 2)
    assert as_tuple(0, 1, "conv_transpose", "output_padding", minimum=0) == (0,)
    assert as_padding(2, 1, "conv") == ((2, 2),)
    assert as_padding((1, 2), 2, "conv") == ((1, 1), (2, 2))
    assert as_padding(((1, 2), 3), 2, "conv") == ((1, 2), (3, 3))


@pytest.mark.parametrize("value,exc,match", [
    (0, ValueError, r"conv: stride must be a positive int .* got 0"),
    ((2, 0), ValueError, r"conv: stride must be .* got \(2, 0\)"),
    ((1, 2, 3), ValueError, r"conv: stride must be .* of length 3"),
    (1.5, TypeError, r"conv: stride must be .* got 1.5"),
    (True, TypeError, r"conv: stride must be .* got True"),
    ("2", TypeError, r"conv: stride must be"),
])
def test_bad_stride_messages(value, exc, match):
    with pytest.raises(exc, match=match):
        as_tuple(value, 2, "conv", "stride")


@pytest.mark.parametrize("value,exc", [
    (-1, ValueError), ((1, -1), ValueError), (((0, -2), 1), ValueError),
    (((0, 1, 2), 1), TypeError), ((1,), ValueError), (0.5, TypeError),
])
def test_bad_padding_messages(value, exc):
    with pytest.raises(exc, match="conv: padding must be"):
        as_padding(value, 2, "conv")


def test_output_padding_must_be_smaller_than_stride_or_dilation():
    # stride 2, dilation 1: output_padding 1 is fine, 2 is not
    conv_transpose_geometry("conv_transpose", (3,), (3,), 2, 0, 1, 1)
    with pytest.raises(ValueError, match="conv_transpose: output_padding must be smaller"):
        conv_transpose_geometry("conv_transpose", (3,), (3,), 2, 0, 2, 1)
    # smaller than the dilation is enough
    t = conv_transpose_geometry("conv_transpose", (3,), (3,), 1, 0, 2, 3)
    assert t.in_size == (2 + 6 + 2 + 1,) and t.remainder == (2,)


def test_pool_geometry_defaults_and_limits():
    geom = pool_geometry("max_pool", (7, 6), (3, 2))
    assert geom.stride == (3, 2) and geom.out_size == (2, 3) and geom.remainder == (1, 0)
    with pytest.raises(ValueError, match=r"max_pool: padding must be at most half the window"):
        pool_geometry("max_pool", (7,), 3, padding=2)
    with pytest.raises(ValueError, match=r"avg_pool: window of size 5 .* larger than the padded"):
        pool_geometry("avg_pool", (2,), 5, padding=1)


@pytest.mark.parametrize("s,d", STRIDES_DILATIONS)
def test_same_padding_gives_ceil_n_over_s_outputs(s, d):
    for n, k in itertools.product(range(1, 13), range(1, 6)):
        lo, hi = same_padding(n, k, s, d)
        assert 0 <= hi - lo <= 1
        geom = conv_geometry("conv", (n,), (k,), s, ((lo, hi),), d)
        assert geom.out_size == (-(-n // s),), (n, k, s, d)
        # minimal: one row less padding would lose an output (unless there is none)
        if lo + hi:
            assert geom.remainder == (0,)
            assert conv_output_size(n, k, s, (lo, hi - 1), d) < geom.out_size[0]


def test_same_padding_errors():
    with pytest.raises(ValueError, match="same_padding: stride must be a positive int, got 0"):
        same_padding(5, 3, 0)


def test_conv_geometry_memo_keeps_validating():
    """conv_geometry remembers plain arguments it has seen (the same object comes back),
    but never lets a cached int answer for a bool, a list or a NumPy integer."""
    from convbp import geometry
    first = conv_geometry("conv", (9, 9), (3, 3), 2, 1, 1)
    assert conv_geometry("conv", (9, 9), (3, 3), 2, 1, 1) is first
    for bad in (True, (True, 2)):
        with pytest.raises(TypeError, match="stride"):
            conv_geometry("conv", (9, 9), (3, 3), bad, 1, 1)
    assert conv_geometry("conv", [9, 9], [3, 3], [2, 2], 1, 1) == first      # uncached
    assert conv_geometry("conv", (9, 9), (3, 3), np.int64(2), 1, 1) == first
    geometry._GEOMETRIES.clear()
    assert conv_geometry("conv", (9, 9), (3, 3), 2, 1, 1) == first
