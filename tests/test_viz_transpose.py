"""convbp.viz.transpose: the scatter picture is the transposed convolution the code computes."""

import numpy as np
import pytest
from matplotlib.colors import to_hex

import convbp
from convbp.geometry import conv_transpose_geometry
from convbp.viz import COLORS
from convbp.viz.transpose import scatter_cells, transpose_figure

GEOMS = [
    # O (transposed input length), k, stride, padding, output_padding, dilation
    (3, 3, 2, 0, 0, 1),
    (3, 3, 2, 0, 1, 1),
    (4, 2, 3, ((1, 0),), 2, 1),
    (3, 3, 1, ((0, 2),), 1, 2),      # output_padding >= stride, allowed by the dilation
    (2, 3, 2, ((3, 1),), 1, 2),      # padding crops more than one kernel copy
    (1, 1, 4, 0, 3, 1),              # a single input entry and a 1-tap kernel
    (5, 4, 1, 2, 0, 1),
]


def _label_tap(text):
    """'$w_{2}$' -> 2."""
    return int(text.strip("$").split("{")[1].rstrip("}"))


@pytest.mark.parametrize("geo", GEOMS, ids=str)
def test_scatter_cells_are_the_index_formula(geo):
    O, k, s, p, op, d = geo
    geom = conv_transpose_geometry("t", (O,), (k,), s, p, op, d)
    lo = geom.padding[0][0]
    for i in range(O):
        assert scatter_cells(geom, i) == [s * i + d * m - lo for m in range(k)]


@pytest.mark.parametrize("geo", GEOMS, ids=str)
def test_scatter_sum_is_conv_transpose(geo):
    """Adding up the scaled kernel copies, as drawn, gives convbp.conv_transpose."""
    O, k, s, p, op, d = geo
    geom = conv_transpose_geometry("t", (O,), (k,), s, p, op, d)
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=O), rng.normal(size=k)
    n = geom.in_size[0]
    y = np.zeros(n)
    for i in range(O):
        for m, a in enumerate(scatter_cells(geom, i)):
            if 0 <= a < n:
                y[a] += x[i] * w[m]
    want = convbp.conv_transpose(x.reshape(1, 1, O), w.reshape(1, 1, k), stride=s, padding=p,
                                 output_padding=op, dilation=d)
    assert want.shape == (1, 1, n)
    np.testing.assert_allclose(y, want[0, 0], rtol=1e-12, atol=1e-12)
    # the last output_padding rows receive no copy
    if op:
        assert all(a < n + geom.padding[0][1] - op
                   for i in range(O) for a in scatter_cells(geom, i))


@pytest.mark.parametrize("geo", GEOMS, ids=str)
def test_figure_draws_each_copy_where_the_formula_puts_it(geo):
    O, k, s, p, op, d = geo
    geom = conv_transpose_geometry("t", (O,), (k,), s, p, op, d)
    fig = transpose_figure(O, k, stride=s, padding=p, output_padding=op, dilation=d)
    assert len(fig.axes) == 2                        # the panel and the legend
    ax = fig.axes[0]
    taps = [t for t in ax.texts if t.get_text().startswith("$w_")]
    assert len(taps) == O * k
    lo = geom.padding[0][0]
    drawn = sorted((round((t.get_position()[1] - 0.5) / 1.2), int(t.get_position()[0] - 0.5),
                    _label_tap(t.get_text())) for t in taps)
    want = sorted((i, a + lo, m)
                  for i in range(O) for m, a in enumerate(scatter_cells(geom, i)))
    assert drawn == want
    # output cells: one dx label per output entry, dx_0 ... dx_{n-1} (backward roles)
    outputs = [t.get_text() for t in ax.texts if t.get_text().startswith("$dx_")]
    assert outputs == [f"$dx_{{{a}}}$" for a in range(geom.in_size[0])]
    rows = [t.get_text() for t in ax.texts if t.get_text().startswith(r"$\delta_")]
    assert len(rows) == O
    # the output_padding cells are hatched in every row (O copies + the sum row)
    hatched = [q for q in ax.patches if q.get_hatch()]
    assert len(hatched) == op * (O + 1)
    # output entries that no kernel copy reaches are the leftover colour
    n = geom.in_size[0]
    written = {s * i + d * m - lo for i in range(O) for m in range(k)}
    sum_row = [q for q in ax.patches if q.get_y() > 1.2 * O]
    leftover = sorted(round(q.get_x()) - lo for q in sum_row
                      if to_hex(q.get_facecolor()) == COLORS["leftover"])
    assert leftover == [a for a in range(n) if a not in written]
    assert len(leftover) >= max(0, op - geom.padding[0][1])  # at least the output_padding rows


def test_one_panel_per_output_padding():
    fig = transpose_figure(3, 3, stride=2, output_padding=[0, 1])
    assert len(fig.axes) == 3                        # two panels and the legend
    sizes = [sum(t.get_text().startswith("$dx_") for t in ax.texts) for ax in fig.axes[:2]]
    assert sizes == [7, 8]      # the two input sizes that a stride-2 conv maps to 3 outputs


def test_names_label_rows_and_outputs():
    fig = transpose_figure(3, 3, stride=2, padding=((1, 0),), output_padding=1, dilation=2,
                           names=("x", "y"))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert [t for t in texts if t.startswith("$x_")] == [
        r"$x_{%d}$$\,\times$" % i for i in range(3)]
    assert [t for t in texts if t.startswith("$y_")] == [f"$y_{{{a}}}$" for a in range(9)]


def test_errors_name_the_function_and_parameter():
    with pytest.raises(ValueError, match="transpose_figure: output_padding must be smaller"):
        transpose_figure(3, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="transpose_figure: output_padding must be an int or"):
        transpose_figure(3, 3, stride=2, output_padding=[])
    with pytest.raises(ValueError, match="transpose_figure: input_size must be an int or a 1-tuple"):
        transpose_figure((3, 3), 3)
    with pytest.raises(ValueError, match="transpose_figure: stride must be"):
        transpose_figure(3, 3, stride=0)
    with pytest.raises(ValueError, match="transpose_figure: input_size and kernel_size must be"):
        transpose_figure(0, 3)
    with pytest.raises(TypeError, match="transpose_figure: kernel_size must be an int"):
        transpose_figure(3, 2.5)
    with pytest.raises(ValueError, match="transpose_figure: names must be two non-empty"):
        transpose_figure(3, 3, names=("x",))
    geom = conv_transpose_geometry("t", (3,), (3,), 2)
    with pytest.raises(ValueError, match=r"scatter_cells: i must be an int in \[0, 3\)"):
        scatter_cells(geom, 3)
