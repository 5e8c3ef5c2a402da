"""The plain-loop reference against hand computations and independent formulations.

The geometries come from ``tests/cases.py``. The reference's argument errors are
checked with every other entry point's (test_errors.py, test_pool.py), and its pooling
against independent loops (test_pool.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from convbp import reference
from convbp.geometry import conv_geometry

from cases import HARD, TINY


def _sliding_conv(x, w, geom, groups):
    """Independent vectorized convolution: pad, take windows, contract group by group.

    A dilated window of extent ``d*(k-1)+1`` is taken and every ``d``-th entry kept; the
    stride keeps every ``s``-th window.
    """
    nd = x.ndim - 2
    xp = np.pad(x, ((0, 0), (0, 0), *geom.padding))
    win = sliding_window_view(xp, geom.extent, axis=tuple(range(2, 2 + nd)))
    # win: (N, C_in, *positions, *extent)
    win = win[(Ellipsis, *(slice(None, None, d) for d in geom.dilation))]
    win = win[(slice(None), slice(None), *(slice(None, None, s) for s in geom.stride))]
    letters = "ijk"[:nd]
    c_in_g, c_out_g = x.shape[1] // groups, w.shape[0] // groups
    return np.concatenate([
        np.einsum(f"nc...{letters},oc{letters}->no...", win[:, g * c_in_g:(g + 1) * c_in_g],
                  w[g * c_out_g:(g + 1) * c_out_g])
        for g in range(groups)], axis=1)


def _channels(b, nd):
    """A per-channel vector shaped to broadcast over ``(N, C, *spatial)``."""
    return b.reshape(1, -1, *(1,) * nd)


# ----------------------------------------------------------------- hand-computed cases


def test_conv_1d_stride2_by_hand():
    # y[o] = 1*x[2o] - 1*x[2o+1]: o=0 -> 1-2 = -1, o=1 -> 4-8 = -4. Output size
    # floor((5-2)/2)+1 = 2, so x[4] = 16 is the leftover row that no window reads.
    x = np.array([[[1.0, 2.0, 4.0, 8.0, 16.0]]])
    w = np.array([[[1.0, -1.0]]])
    np.testing.assert_array_equal(reference.conv(x, w, stride=2), [[[-1.0, -4.0]]])
    # With padding 1 the padded input is [0,1,2,4,8,16,0], 3 outputs:
    # 0-1 = -1, 2-4 = -2, 8-16 = -8; a bias of 10 is added to each.
    np.testing.assert_array_equal(
        reference.conv(x, w, np.array([10.0]), stride=2, padding=1), [[[9.0, 8.0, 2.0]]]
    )
    # Dilation 2, stride 1: y[o] = x[o] - x[o+2] = 1-4, 2-8, 4-16.
    np.testing.assert_array_equal(reference.conv(x, w, dilation=2), [[[-3.0, -6.0, -12.0]]])


def test_conv_2d_stride2_padding1_by_hand():
    # x_pad[i, j] = x[i-1, j-1] (5x5 with a zero border), w = [[1, 0], [0, 2]]:
    # y[o1, o2] = x_pad[2o1, 2o2] + 2 * x_pad[2o1+1, 2o2+1]
    #   (0,0): 0 + 2*x[0,0] = 2     (0,1): 0 + 2*x[0,2] = 6
    #   (1,0): 0 + 2*x[2,0] = 14    (1,1): x[1,1] + 2*x[2,2] = 5 + 18 = 23
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 0.0], [0.0, 2.0]]]])
    np.testing.assert_array_equal(reference.conv(x, w, stride=2, padding=1),
                                  [[[[2.0, 6.0], [14.0, 23.0]]]])


def test_conv_backward_1d_stride2_by_hand():
    # Same conv as above with dy = [3, 5]:
    #   dx[a] = sum_{2o+m=a} dy[o] w[m] -> [3, -3, 5, -5, 0] (x[4] is never read)
    #   dw[m] = sum_o dy[o] x[2o+m]     -> [3*1 + 5*4, 3*2 + 5*8] = [23, 46]
    #   db    = 3 + 5 = 8
    x = np.array([[[1.0, 2.0, 4.0, 8.0, 16.0]]])
    w = np.array([[[1.0, -1.0]]])
    grads = reference.conv_backward(np.array([[[3.0, 5.0]]]), x, w, stride=2)
    np.testing.assert_array_equal(grads.dx, [[[3.0, -3.0, 5.0, -5.0, 0.0]]])
    np.testing.assert_array_equal(grads.dw, [[[23.0, 46.0]]])
    np.testing.assert_array_equal(grads.db, [8.0])
    assert grads._fields == ("dx", "dw", "db")


def test_conv_transpose_1d_by_hand():
    # out[2i + m] += x[i] w[m]: 1*[1, 10, 100] at 0 and 2*[1, 10, 100] at 2 overlap at 2.
    x = np.array([[[1.0, 2.0]]])
    w = np.array([[[1.0, 10.0, 100.0]]])
    np.testing.assert_array_equal(reference.conv_transpose(x, w, stride=2),
                                  [[[1.0, 10.0, 102.0, 20.0, 200.0]]])
    # output_padding 1 appends a row: [1, 10, 102, 20, 200, 0]; padding 1 crops one entry
    # at each end; the bias is added everywhere.
    np.testing.assert_array_equal(
        reference.conv_transpose(x, w, np.array([0.5]), stride=2, padding=1, output_padding=1),
        [[[10.5, 102.5, 20.5, 200.5]]],
    )


# ----------------------------------------------------------------- independent formulations


@pytest.mark.parametrize("padding", [0, 2])
def test_conv_1d_stride1_matches_np_correlate(padding):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 3, 9)), rng.standard_normal((4, 3, 3)), rng.standard_normal(4)
    y = reference.conv(x, w, b, padding=padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    expected = np.array([
        [b[co] + sum(np.correlate(xp[n, ci], w[co, ci], mode="valid") for ci in range(3))
         for co in range(4)]
        for n in range(2)
    ])
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("stride", [2, 3, 4])
@pytest.mark.parametrize("n", [9, 10, 11])
def test_conv_1d_stride_is_subsampled_stride1(stride, n):
    # The stride-s output is every s-th stride-1 output; the leftover rows at the end of
    # the stride-1 output (n - k + 1 - s*(O-1) - 1 of them) are dropped.
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((1, 2, n)), rng.standard_normal((3, 2, 3))
    full = reference.conv(x, w)
    strided = reference.conv(x, w, stride=stride)
    out = conv_geometry("test", (n,), (3,), stride).out_size[0]
    assert strided.shape == (1, 3, out)
    np.testing.assert_allclose(strided, full[..., ::stride], rtol=1e-12, atol=1e-12)


def test_conv_2d_stride_is_subsampled_stride1():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((1, 2, 8, 7)), rng.standard_normal((2, 2, 3, 2))
    full = reference.conv(x, w, padding=((1, 0), (0, 2)))
    strided = reference.conv(x, w, stride=(3, 2), padding=((1, 0), (0, 2)))
    np.testing.assert_allclose(strided, full[..., ::3, ::2], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("c", HARD, ids=str)
def test_conv_matches_sliding_window_einsum(c):
    _, x, w, b, _ = c.data(seed=4)
    y = reference.conv(x, w, b, **c.kw)
    expected = _sliding_conv(x, w, c.geom, c.groups) + _channels(b, c.nd)
    assert y.shape == expected.shape == c.y_shape
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------- transpose = matrix transpose


def _dense_matrix(x_shape, w, **params):
    """Matrix M of the linear map vec(x) -> vec(conv(x, w)), built column by column."""
    size = int(np.prod(x_shape))
    columns = []
    for j in range(size):
        e = np.zeros(size)
        e[j] = 1.0
        columns.append(reference.conv(e.reshape(x_shape), w, **params).ravel())
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("c", TINY, ids=str)
def test_conv_transpose_is_matrix_transpose(c):
    """With ``output_padding`` the leftover rows, conv_transpose (bias and groups
    included) maps ``dy`` back to ``x``'s shape by the transposed matrix."""
    rng, _, w, _, dy = c.data(seed=6)
    b = rng.standard_normal(c.x_shape[1])
    out = reference.conv_transpose(dy, w, b, **c.transpose_kw)
    assert out.shape == c.x_shape
    M = _dense_matrix(c.x_shape, w, **c.kw)
    np.testing.assert_allclose(out, (M.T @ dy.ravel()).reshape(c.x_shape) + _channels(b, c.nd),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("output_padding", [0, 1, 2])
def test_conv_transpose_output_padding_selects_input_size(output_padding):
    # Inputs of size 9, 10, 11 all give 3 outputs at stride 3 with k=3; output_padding
    # picks which one the transposed conv maps back to, and it is that conv's transpose.
    rng = np.random.default_rng(7)
    n = 9 + output_padding
    w = rng.standard_normal((2, 1, 3))
    M = _dense_matrix((1, 1, n), w, stride=3)
    dy = rng.standard_normal((1, 2, 3))
    out = reference.conv_transpose(dy, w, stride=3, output_padding=output_padding)
    assert out.shape == (1, 1, n)
    np.testing.assert_allclose(out.ravel(), M.T @ dy.ravel(), rtol=1e-12, atol=1e-12)
    if output_padding:
        np.testing.assert_array_equal(out[..., 9:], 0.0)  # leftover rows: nothing lands there


def test_conv_transpose_output_padding_at_least_stride_with_dilation():
    # PyTorch allows output_padding < max(stride, dilation). With stride 1, dilation 2,
    # output_padding 1 a 4-entry input maps to n = 3*1 + 2*1 + 1 + 1 = 7 entries, but a
    # conv of a size-7 input has 5 outputs, not 4: the transposed conv is the transpose
    # of that conv's first 4 output rows.
    rng = np.random.default_rng(8)
    w = rng.standard_normal((1, 1, 2))
    dy = rng.standard_normal((1, 1, 4))
    out = reference.conv_transpose(dy, w, dilation=2, output_padding=1)
    assert out.shape == (1, 1, 7)
    M = _dense_matrix((1, 1, 7), w, dilation=2)
    assert M.shape[0] == 5
    np.testing.assert_allclose(out.ravel(), M[:4].T @ dy.ravel(), rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------- pooling


def test_max_pool_ties_go_to_first_element():
    # Windows (k=2, s=1) of [3, 3, 1, 3]: [3, 3] -> index 0 (tie, first wins),
    # [3, 1] -> index 1, [1, 3] -> index 3. Overlapping windows accumulate.
    x = np.array([[[3.0, 3.0, 1.0, 3.0]]])
    dy = np.array([[[1.0, 2.0, 4.0]]])
    np.testing.assert_array_equal(reference.max_pool(x, 2, stride=1), [[[3.0, 3.0, 3.0]]])
    np.testing.assert_array_equal(reference.max_pool_backward(dy, x, 2, stride=1),
                                  [[[1.0, 2.0, 0.0, 4.0]]])


def test_max_pool_2d_tie_is_first_in_row_major_order():
    # The window [[0, 5], [5, 5]] has three maxima; row-major order picks (0, 1).
    x = np.array([[[[0.0, 5.0], [5.0, 5.0]]]])
    dx = reference.max_pool_backward(np.array([[[[7.0]]]]), x, 2)
    np.testing.assert_array_equal(dx, [[[[0.0, 7.0], [0.0, 0.0]]]])


def test_max_pool_padding_is_minus_infinity():
    # All-negative input: a zero-padded max would return 0 at the borders.
    x = np.array([[[-3.0, -1.0, -2.0]]])
    np.testing.assert_array_equal(reference.max_pool(x, 3, stride=1, padding=1),
                                  [[[-1.0, -1.0, -1.0]]])
    dx = reference.max_pool_backward(np.array([[[1.0, 2.0, 4.0]]]), x, 3, stride=1, padding=1)
    np.testing.assert_array_equal(dx, [[[0.0, 7.0, 0.0]]])


def test_avg_pool_padding_counts_in_divisor():
    # Padded input [0, 3, 6, 9, 0], windows of 3: (0+3+6)/3, (3+6+9)/3, (6+9+0)/3.
    x = np.array([[[3.0, 6.0, 9.0]]])
    np.testing.assert_allclose(reference.avg_pool(x, 3, stride=1, padding=1),
                               [[[3.0, 6.0, 5.0]]], rtol=1e-15)
    # Backward: dx[a] = sum of dy over the windows containing a, / 3.
    dy = np.array([[[1.0, 2.0, 4.0]]])
    np.testing.assert_allclose(reference.avg_pool_backward(dy, x, 3, stride=1, padding=1),
                               [[[3.0 / 3, 7.0 / 3, 6.0 / 3]]], rtol=1e-15)


def test_pool_2d_by_hand_with_leftover():
    # 5x5 input, 2x2 windows at stride 2: the last row and column are never read.
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    np.testing.assert_array_equal(reference.max_pool(x, 2), [[[[6.0, 8.0], [16.0, 18.0]]]])
    np.testing.assert_array_equal(reference.avg_pool(x, 2), [[[[3.0, 5.0], [13.0, 15.0]]]])
    dx = reference.max_pool_backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), x, 2)
    assert dx[0, 0, 4].sum() == 0 and dx[0, 0, :, 4].sum() == 0
    assert dx[0, 0, 1, 1] == 1.0 and dx[0, 0, 3, 3] == 4.0


# ----------------------------------------------------------------- dtypes, independence


def test_dtypes_follow_float_dtype():
    x32 = np.ones((1, 1, 4), dtype=np.float32)
    w32 = np.ones((1, 1, 2), dtype=np.float32)
    assert reference.conv(x32, w32).dtype == np.float32
    assert reference.conv(x32, w32.astype(np.float64)).dtype == np.float64
    assert reference.conv(np.ones((1, 1, 4), dtype=int), w32).dtype == np.float64
    assert reference.conv_transpose(x32, w32).dtype == np.float32
    assert reference.max_pool(np.arange(4).reshape(1, 1, 4), 2).dtype == np.float64
    grads = reference.conv_backward(np.ones((1, 1, 3)), x32, w32)
    assert (grads.dx.dtype, grads.dw.dtype, grads.db.dtype) == (np.float32, np.float32,
                                                                np.float64)


def test_reference_is_independent_of_the_fast_implementation():
    # Ground truth may only use the shared validation and geometry, never the fast code.
    import ast

    import convbp.reference as mod

    with open(mod.__file__, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert imported <= {"__future__", "math", "itertools", "numpy",
                        "._types", "._checks", ".geometry"}, imported


def test_max_pool_nan_goes_to_the_last_nan_like_the_fast_path():
    # PyTorch's rule `val > maxval || isnan(val)`: every NaN met replaces the choice.
    import convbp

    x = np.array([[[1.0, np.nan, 5.0, np.nan, 2.0, 0.0]]])
    dy = np.array([[[3.0, 7.0]]])
    # window 0 = [1, nan, 5]: nan at 1 is taken, 5 > nan is False -> index 1
    # window 1 = [nan, 2, 0]: first real cell nan taken, nothing replaces it -> index 3
    want = [[[0.0, 3.0, 0.0, 7.0, 0.0, 0.0]]]
    np.testing.assert_array_equal(reference.max_pool_backward(dy, x, 3), want)
    np.testing.assert_array_equal(convbp.max_pool_backward(dy, x, 3), want)
    assert np.isnan(reference.max_pool(x, 3)).all()
