"""convbp.viz recipe frames, matrix / stride-phase figure, and readability at column width."""

import numpy as np
import pytest
from matplotlib.colors import to_hex

import convbp
from convbp import viz
from convbp.geometry import conv_geometry, input_phases
from convbp.viz.channels import channels_figure
from convbp.viz.layout import fontsize_for, legend_rows, smallest_text_px
from convbp.viz.phases import matrix_figure, phase_rows, transpose_entries
from convbp.viz.recipe import example_values, recipe_frames
from convbp.viz.transpose import transpose_figure
from convbp.viz.weights import weight_gradient_figure

GEOMS_1D = [
    # n, k, stride, padding, dilation
    (5, 3, 2, 0, 1),
    (9, 3, 2, 0, 1),
    (8, 3, 2, 0, 1),               # a leftover row
    (9, 3, 2, ((1, 0),), 2),       # dilation: every even row unread
    (8, 2, 3, 0, 1),               # stride > kernel: gaps between windows
    (7, 3, 3, ((2, 1),), 1),
    (4, 1, 4, ((3, 0),), 1),
    (6, 3, 1, 1, 1),
]


def _dense_transpose(n, k, stride, padding, dilation, w):
    """C^T from convbp.conv on basis vectors (an independent witness)."""
    cols = [convbp.conv(e.reshape(1, 1, n), w.reshape(1, 1, k), stride=stride,
                        padding=padding, dilation=dilation)[0, 0] for e in np.eye(n)]
    return np.stack(cols, axis=1).T          # (n, O)


@pytest.mark.parametrize("geo", GEOMS_1D, ids=str)
def test_transpose_entries_is_the_dense_jacobian(geo):
    n, k, s, p, d = geo
    geom = conv_geometry("t", (n,), (k,), s, p, d)
    w = 10.0 ** np.arange(k)                 # tap m shows up as 10**m
    ct = _dense_transpose(n, k, s, p, d, w)
    entries = transpose_entries(geom)
    want = np.array([[0.0 if m is None else w[m] for m in row] for row in entries])
    np.testing.assert_array_equal(ct, want)
    # and C^T delta is the input gradient (matrix view)
    rng = np.random.default_rng(3)
    dy = rng.normal(size=geom.out_size[0])
    x = rng.normal(size=(1, 1, n))
    dx = convbp.conv_backward(dy.reshape(1, 1, -1), x, w.reshape(1, 1, k), stride=s,
                              padding=p, dilation=d).dx[0, 0]
    np.testing.assert_allclose(ct @ dy, dx, rtol=1e-12)


@pytest.mark.parametrize("geo", GEOMS_1D, ids=str)
def test_phase_rows_split_the_matrix_into_stride1_blocks(geo):
    n, k, s, p, d = geo
    geom = conv_geometry("t", (n,), (k,), s, p, d)
    entries = transpose_entries(geom)
    groups = phase_rows(geom)
    assert sorted(a for _rho, rows, _t in groups for a in rows) == list(range(n))
    for rho, rows, taps in groups:
        used = {m for a in rows for m in entries[a] if m is not None}
        assert used <= set(taps)
        # within a phase, consecutive rows shift every tap by one column (stride 1)
        for a, b in zip(rows, rows[1:]):
            for o in range(geom.out_size[0] - 1):
                if entries[a, o] is not None and entries[b, o + 1] is not None:
                    assert entries[a, o] == entries[b, o + 1]
    # the same taps per phase as the fast path's phase split (geometry.input_phases)
    _pads, phases = input_phases(geom)
    fast = sorted(tuple(sorted(ph[0][0])) for ph in phases)
    assert fast == sorted(tuple(t) for _rho, _rows, t in groups)


def test_matrix_figure_draws_the_entries():
    fig = matrix_figure(9, 3, stride=2)
    assert len(fig.axes) == 3
    left, right = fig.axes[0], fig.axes[1]
    geom = conv_geometry("t", (9,), (3,), 2)
    entries = transpose_entries(geom)
    drawn = {(int(t.get_position()[1]), int(t.get_position()[0])): t.get_text()
             for t in left.texts if t.get_text().startswith("$w_")}
    want = {(a, o): f"$w_{{{m}}}$" for a in range(9) for o in range(4)
            if (m := entries[a, o]) is not None}
    assert drawn == want
    # right panel: even rows first, one separator line between the two phases
    rows = [t.get_text() for t in right.texts if t.get_text().startswith("$X_")]
    assert rows == [f"$X_{{{a}}}$" for a in (0, 2, 4, 6, 8, 1, 3, 5, 7)]
    assert len(right.lines) == 1
    with pytest.raises(ValueError, match="matrix_figure: the matrix view is drawn for one"):
        matrix_figure((5, 5), 3)
    with pytest.raises(ValueError, match="matrix_figure: stride must be"):
        matrix_figure(5, 3, stride=0)


@pytest.mark.parametrize("geo", [((5, 5), (3, 3), 2, 0, 1), ((6,), (3,), 2, 0, 1),
                                 ((5, 5), (2, 2), 1, 0, 2), ((7,), (3,), 2, 1, 2)], ids=str)
def test_example_values_are_the_gradient(geo):
    size, kernel, s, p, d = geo
    lay = viz.recipe_layout(size, kernel, s, p, d)
    dy, w, dx = example_values(lay)
    x = np.zeros((1, 1, *size))
    want = convbp.reference.conv_backward(dy[None, None].astype(float), x,
                                          w[None, None].astype(float), stride=s,
                                          padding=p, dilation=d).dx[0, 0]
    np.testing.assert_array_equal(dx, want)


def test_recipe_frames_draw_the_kernel_on_delta_hat_and_fill_in():
    size, kernel = (3, 4), (2, 2)
    lay = viz.recipe_layout(size, kernel, dilation=(1, 2))
    frames = recipe_frames(size, kernel, dilation=(1, 2))
    _dy, _w, dx = example_values(lay)
    assert len(frames) == 12
    for k, (a, fig) in enumerate(zip(np.ndindex(*size), frames)):
        grid, out, _legend = fig.axes
        taps = {(int(t.get_position()[1]), int(t.get_position()[0])): t.get_text()
                for t in grid.texts if t.get_text().startswith("$w_")}
        want = {cell: f"$w_{{{''.join(map(str, m))}}}$"
                for cell, m in zip(lay.window(a), lay.flipped.ravel())}
        assert taps == want                       # taps d = 2 cells apart, on delta-hat
        values = [t.get_text() for t in out.texts if t.get_text().lstrip("-").isdigit()]
        assert values == [str(v) for v in dx.ravel()[:k + 1]]   # fills in as it goes
        focus = [q for q in out.patches if to_hex(q.get_facecolor()) == viz.COLORS["focus"]]
        assert len(focus) == 1


def test_layout_helpers():
    assert fontsize_for(6.0) == 10.0
    assert fontsize_for(12.0) > fontsize_for(9.0) > 10.0
    rows = legend_rows([("w", "", "a long legend label")] * 5, 12, 5.0)
    assert sum(len(r) for r in rows) == 5 and len(rows) > 1


BOOK_FIGURES = [
    lambda: viz.recipe_figure((5, 5), (3, 3), stride=2),
    lambda: viz.recipe_figure((6, 6), (3, 3), stride=2),
    lambda: viz.recipe_figure(8, 3, stride=2),
    lambda: weight_gradient_figure((5, 5), (3, 3), stride=2, tap=[(0, 0), (1, 2)]),
    lambda: weight_gradient_figure((6, 6), (3, 3), stride=2, tap=[(0, 0), (2, 2)]),
    lambda: transpose_figure(4, 3, stride=2, padding=1),
    lambda: transpose_figure(3, 3, stride=2, output_padding=[0, 1]),
    lambda: transpose_figure(4, 3, stride=2, padding=((1, 0),), output_padding=1,
                             dilation=2),
    lambda: channels_figure(3, 6),
    lambda: channels_figure(4, 8, groups=4),
    lambda: matrix_figure(9, 3, stride=2),
    lambda: recipe_frames((5, 5), (3, 3), stride=2, only=[(2, 2)])[0],
    lambda: recipe_frames((5, 5), (2, 2), dilation=2, only=[(1, 2)])[0],
]


@pytest.mark.parametrize("make", BOOK_FIGURES)
def test_book_figures_are_readable_at_column_width(make):
    fig = make()
    dpi = fig.dpi if fig.dpi != 100 else 110        # frames carry their own dpi
    assert smallest_text_px(fig, dpi) >= 9.99
