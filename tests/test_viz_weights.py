"""convbp.viz.weights: the weight-gradient figure shows the products the code sums."""

import re

import numpy as np
import pytest
from matplotlib.colors import to_hex

import convbp
from convbp import viz
from convbp.geometry import conv_geometry
from convbp.viz.weights import weight_gradient_figure, weight_terms

GEOMS = [
    # input, kernel, stride, padding, dilation
    ((3, 3), (2, 2), 1, 0, 1),
    ((5, 5), (3, 3), 2, 0, 1),
    ((6, 6), (3, 3), 2, 0, 1),                 # one leftover row and column
    ((6, 6), (3, 3), 2, 1, 1),                 # leftover row is padding
    ((7, 6), (2, 3), (3, 2), ((1, 0), (0, 2)), 1),
    ((8, 8), (3, 3), 2, 0, 2),
    ((9,), (3,), 2, ((1, 0),), 2),
    ((8,), (2,), 3, 0, 1),                     # stride > kernel: gaps between windows
    ((4,), (1,), 4, ((3, 0),), 1),
    ((1, 5), (1, 3), (1, 2), 0, 1),            # size-1 dimension
]


def _sizes(geo):
    size, kernel, stride, padding, dilation = geo
    return conv_geometry("t", size, kernel, stride, padding, dilation)


@pytest.mark.parametrize("geo", GEOMS, ids=str)
def test_weight_terms_are_the_index_formula(geo):
    geom = _sizes(geo)
    for m in np.ndindex(*geom.kernel_size):
        terms = weight_terms(geom, m)
        assert [o for o, _, _ in terms] == list(np.ndindex(*geom.out_size))
        for o, cell, a in terms:
            want = tuple(s * oi + d * mi
                         for s, oi, d, mi in zip(geom.stride, o, geom.dilation, m))
            assert cell == want
            real = tuple(c - lo for c, (lo, _) in zip(want, geom.padding))
            inside = all(0 <= ai < n for ai, n in zip(real, geom.in_size))
            assert a == (real if inside else None)


@pytest.mark.parametrize("geo", GEOMS, ids=str)
def test_weight_terms_reproduce_conv_backward_dw(geo):
    """Multiplying the listed pairs by numbers and summing gives conv_backward's dw."""
    size, kernel, stride, padding, dilation = geo
    geom = _sizes(geo)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 1, *size))
    w = rng.normal(size=(1, 1, *kernel))
    dy = rng.normal(size=(1, 1, *geom.out_size))
    dw = np.zeros(kernel)
    for m in np.ndindex(*kernel):
        dw[m] = sum(dy[(0, 0) + o] * x[(0, 0) + a] for o, _, a in weight_terms(geom, m)
                    if a is not None)
    want = convbp.conv_backward(dy, x, w, stride=stride, padding=padding, dilation=dilation).dw
    np.testing.assert_allclose(dw, want[0, 0], rtol=1e-12, atol=1e-12)


def _cell_of(text):
    """Grid cell (row, col) of a text drawn inside a cell (cells are unit squares)."""
    x, y = text.get_position()
    return int(np.floor(y)), int(np.floor(x))


_DELTA = re.compile(r"^\$\\delta_\{([0-9,]+)\}\$$")


def _index(label):
    digits = _DELTA.match(label)[1]
    return tuple(int(v) for v in (digits.split(",") if "," in digits else digits))


@pytest.mark.parametrize("geo", GEOMS, ids=str)
def test_figure_places_each_delta_where_the_formula_says(geo):
    """In each tap panel, delta_o is drawn in padded cell s*o + d*m, and only there."""
    size, kernel, stride, padding, dilation = geo
    geom = _sizes(geo)
    taps = list(np.ndindex(*kernel))
    fig = weight_gradient_figure(size, kernel, stride, padding, dilation, tap=taps)
    assert len(fig.axes) == 2 + len(taps)            # delta-tilde, taps, legend
    for ax, m in zip(fig.axes[1:-1], taps):
        placed = {}
        for t in ax.texts:
            if _DELTA.match(t.get_text()):
                placed[_index(t.get_text())] = _cell_of(t)
        want = {}
        for o in np.ndindex(*geom.out_size):
            cell = tuple(s * oi + d * mi
                         for s, oi, d, mi in zip(geom.stride, o, geom.dilation, m))
            want[o] = cell if len(cell) == 2 else (0, cell[0])
        assert placed == want


def test_figure_dilated_delta_panel_and_colours():
    fig = weight_gradient_figure((5, 5), (3, 3), stride=2, tap=(1, 2))
    assert len(fig.axes) == 3
    # first panel: dilated delta, 3x3 with 4 real entries and 5 inserted zeros
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_text() not in ("",)]
    assert sum(bool(_DELTA.match(s)) for s in labels) == 4 and labels.count("0") == 5
    # tap panel: exactly the 4 multiplied input cells are highlighted
    window = to_hex(viz.COLORS["window"])
    marked = [p for p in fig.axes[1].patches if p.get_facecolor()[3] and
              to_hex(p.get_facecolor()) == window]
    assert len(marked) == 4
    eq = [t.get_text() for t in fig.axes[1].texts if "partial" in t.get_text()
          or t.get_text().startswith(r"$\quad")]
    # wrapped over several lines; joined, it is the full sum in output order
    joined = " ".join(line.strip("$").replace(r"\quad ", "") for line in eq)
    assert len(eq) >= 2 and joined == (r"\partial L/\partial w_{12} = \delta_{00}x_{12} + "
                                       r"\delta_{01}x_{14} + \delta_{10}x_{32} + \delta_{11}x_{34}")


def test_figure_hatches_leftover_and_skips_padding_products():
    # 6x6, k 3, s 2: one leftover row and column, 11 hatched cells per tap panel
    fig = weight_gradient_figure((6, 6), (3, 3), stride=2, tap=[(0, 0), (2, 2)])
    for ax in fig.axes[1:-1]:
        assert sum(1 for p in ax.patches if p.get_hatch()) == 11
    assert any("never read" in t.get_text() for t in fig.axes[-1].texts)   # legend
    # padding 1: delta_00 at tap w_00 sits on padding; the sum leaves it out
    fig = weight_gradient_figure((6, 6), (3, 3), stride=2, padding=1, tap=(0, 0))
    eq = "".join(t.get_text() for t in fig.axes[1].texts if "partial" in t.get_text()
                 or t.get_text().startswith(r"$\quad"))
    assert r"\delta_{00}" not in eq and r"\delta_{11}x_{11}" in eq
    window = to_hex(viz.COLORS["window"])
    marked = [p for p in fig.axes[1].patches if to_hex(p.get_facecolor()) == window]
    assert len(marked) == 4          # delta_11, 12, 21, 22 over real pixels; 5 over padding


def test_figure_products_over_padding_are_dropped():
    # n 4, k 3, stride 4, padding (0, 3): padded length 7, O = 2; tap 2 reads cells 2, 6
    geom = conv_geometry("t", (4,), (3,), 4, ((0, 3),), 1)
    assert [a for _, _, a in weight_terms(geom, (2,))] == [(2,), None]
    # n 1, k 3, padding (2, 0): one output; tap 0 reads padding only, tap 2 reads x_0
    fig = weight_gradient_figure(1, 3, padding=((2, 0),), tap=[0, 2])
    eqs = [[t.get_text() for t in ax.texts if "partial" in t.get_text()]
           for ax in fig.axes[1:-1]]
    assert eqs == [[r"$\partial L/\partial w_{0} = 0$"],
                   [r"$\partial L/\partial w_{2} = \delta_{0}x_{0}$"]]


@pytest.mark.parametrize("tap, err, match", [
    ((3, 0), ValueError, r"weight_gradient_figure: tap must be .* kernel of shape \(3, 3\), "
                         r"got \(3, 0\)"),
    ((0, -1), ValueError, r"weight_gradient_figure: tap must be .*got \(0, -1\)"),
    ((0,), ValueError, r"weight_gradient_figure: tap must be a kernel index \(a tuple of 2"),
    ([], ValueError, r"weight_gradient_figure: tap must be a kernel index or a non-empty list"),
    ([(0, 0), (1, 3)], ValueError, r"weight_gradient_figure: tap .*got \(1, 3\)"),
    ((0.5, 1), TypeError, r"weight_gradient_figure: tap must be"),
    ("00", TypeError, r"weight_gradient_figure: tap must be"),
])
def test_bad_tap(tap, err, match):
    with pytest.raises(err, match=match):
        weight_gradient_figure((5, 5), (3, 3), stride=2, tap=tap)


def test_bad_geometry_names_the_function():
    with pytest.raises(ValueError, match="weight_gradient_figure: stride must be"):
        weight_gradient_figure(5, 3, stride=0)
    with pytest.raises(ValueError, match="weight_gradient_figure: input_size must have 1 or 2"):
        weight_gradient_figure((3, 3, 3), 2)
    with pytest.raises(ValueError, match="weight_terms: tap must be"):
        weight_terms(conv_geometry("t", (5,), (3,)), (3,))
