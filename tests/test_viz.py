"""convbp.viz: the figures show what the code computes."""

import io
import itertools

import numpy as np
import pytest
from PIL import Image

import convbp
from convbp import viz
from convbp.geometry import conv_geometry

GEOMS = [
    # input, kernel, stride, padding, dilation
    ((5, 5), (3, 3), 2, 0, 1),
    ((6, 6), (3, 3), 2, 1, 1),
    ((7, 6), (2, 3), (3, 2), ((1, 0), (0, 2)), 1),
    ((8, 8), (3, 3), 2, 0, 2),
    ((9,), (3,), 2, ((1, 0),), 2),
    ((8,), (3,), 3, 0, 1),
    ((4,), (1,), 4, ((3, 0),), 1),
]


@pytest.mark.parametrize("geo", GEOMS, ids=str)
def test_window_cells_are_the_index_formula(geo):
    size, kernel, stride, padding, dilation = geo
    geom = conv_geometry("t", size, kernel, stride, padding, dilation)
    for o in np.ndindex(*geom.out_size):
        cells = viz.window_cells(geom, o)
        want = [tuple(s * oi + d * m for s, oi, d, m in zip(geom.stride, o, geom.dilation, tap))
                for tap in np.ndindex(*geom.kernel_size)]
        assert cells == want


@pytest.mark.parametrize("geo", GEOMS, ids=str)
def test_recipe_terms_reproduce_conv_backward(geo):
    """Summing the animation's products with numbers gives conv_backward's dx."""
    size, kernel, stride, padding, dilation = geo
    lay = viz.recipe_layout(size, kernel, stride, padding, dilation)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 1, *size))
    w = rng.normal(size=(1, 1, *kernel))
    dy = rng.normal(size=(1, 1, *lay.geom.out_size))
    dx = np.zeros(size)
    for a in np.ndindex(*size):
        dx[a] = sum(dy[(0, 0) + t] * w[(0, 0) + m] for t, m in lay.terms(a))
    want = convbp.conv_backward(dy, x, w, stride=stride, padding=padding, dilation=dilation).dx
    np.testing.assert_allclose(dx, want[0, 0], rtol=1e-12, atol=1e-12)


def test_recipe_terms_seed_example():
    """5x5 input, 3x3 kernel, stride 2: the centre pixel meets four deltas, x_11 one."""
    lay = viz.recipe_layout((5, 5), (3, 3), stride=2)
    assert sorted(lay.terms((2, 2))) == [((0, 0), (2, 2)), ((0, 1), (2, 0)),
                                         ((1, 0), (0, 2)), ((1, 1), (0, 0))]
    assert lay.terms((1, 1)) == [((0, 0), (1, 1))]
    # even input rows meet even kernel rows only
    for a in itertools.product((0, 2, 4), repeat=2):
        assert all(m[0] % 2 == 0 and m[1] % 2 == 0 for _, m in lay.terms(a))


def test_recipe_layout_marks_zeros_and_padding():
    lay = viz.recipe_layout(6, 3, stride=2, padding=1)
    # delta has 3 entries; dilated length 5; dx_padding (1, 2) -> length 8 = 6 + 2
    assert lay.geom.dx_padding == ((1, 2),)
    assert list(lay.padded) == ["pad", (0,), "zero", (1,), "zero", (2,), "pad", "pad"]
    assert list(lay.flipped) == [(2,), (1,), (0,)]


def _hatched(fig):
    return sum(1 for ax in fig.axes for p in ax.patches if p.get_hatch())


def test_windows_figure_counts():
    fig = viz.windows_figure(9, 3, stride=2, padding=((1, 0),), dilation=2)
    assert len(fig.axes) == 1
    window = viz.COLORS["window"]
    from matplotlib.colors import to_hex

    marked = [p for p in fig.axes[0].patches if to_hex(p.get_facecolor()) == window]
    geom = conv_geometry("t", (9,), (3,), 2, ((1, 0),), 2)
    assert len(marked) == geom.out_size[0] * 3
    # r = 1 leftover padded row (a real input row), hatched in the header and each strip
    assert geom.remainder == (1,) and _hatched(fig) == 1 + geom.out_size[0]
    fig2 = viz.windows_figure((6, 6), (3, 3), stride=2)
    assert len(fig2.axes) == 4
    with pytest.raises(ValueError, match="windows_figure: 36 output positions"):
        viz.windows_figure((8, 8), (3, 3))
    with pytest.raises(ValueError, match="windows_figure: stride must be"):
        viz.windows_figure(8, 3, stride=0)


def test_recipe_figure_panels_and_leftover():
    fig = viz.recipe_figure((6, 5), (3, 3), stride=2)
    assert len(fig.axes) == 5                      # four panels and the legend
    # rows: (6-3) mod 2 = 1 leftover row of 5 cells; cols: (5-3) mod 2 = 0
    dx_panel, legend_ax = fig.axes[3], fig.axes[4]
    assert sum(1 for p in dx_panel.patches if p.get_hatch()) == 5
    assert any("never read" in t.get_text() for t in legend_ax.texts)
    with pytest.raises(ValueError, match="recipe_figure: input_size must have 1 or 2 dims"):
        viz.recipe_figure((3, 3, 3), 2)


def test_recipe_animation_frames_and_determinism():
    gif = viz.recipe_animation((4, 3), (2, 2), stride=2, duration_ms=300)
    im = Image.open(io.BytesIO(gif))
    assert gif[:6] == b"GIF89a" and im.n_frames == 12
    assert viz.recipe_animation((4, 3), (2, 2), stride=2, duration_ms=300) == gif


def test_frames_to_gif_errors():
    from matplotlib.figure import Figure

    with pytest.raises(ValueError, match="frames_to_gif: frames must hold at least one"):
        viz.frames_to_gif([])
    with pytest.raises(ValueError, match="frames_to_gif: frames must all have one size"):
        viz.frames_to_gif([Figure(figsize=(1, 1), dpi=20), Figure(figsize=(2, 1), dpi=20)])


def test_subscript():
    assert viz.subscript("w", (0, 2)) == "$w_{02}$"
    assert viz.subscript(r"\delta", (3,)) == r"$\delta_{3}$"
    assert viz.subscript("x", (1, 12)) == "$x_{1,12}$"


def test_show_figure_and_gif_give_fixed_mimetypes():
    img = viz.show_figure(viz.windows_figure(5, 2))
    assert img.format == "png" and img.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in img.data[:200]  # no version stamp in the PNG header
    gif = viz.show_gif(viz.recipe_animation(3, 2))
    assert gif.format == "gif" and gif.data[:6] == b"GIF89a"
