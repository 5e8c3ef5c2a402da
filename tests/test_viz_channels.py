"""convbp.viz.channels: the lines drawn are exactly the channel pairs the kernel uses."""

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.text import Annotation

import convbp
from convbp.viz import COLORS
from convbp.viz.channels import BOX_H, GAP, channel_connections, channels_figure

CASES = [
    # C_in, C_out, groups
    (1, 1, 1),
    (3, 6, 1),
    (4, 6, 2),
    (4, 4, 4),      # depthwise
    (4, 8, 4),      # depthwise with a channel multiplier of 2
    (6, 4, 2),
    (6, 3, 3),
    (12, 12, 3),
]


def _used_by_conv(c_in, c_out, groups):
    """Oracle: (c_out, c_in) pairs through which convbp.conv lets a signal pass."""
    rng = np.random.default_rng(0)
    w = rng.normal(size=(c_out, c_in // groups, 2))
    pairs = set()
    for ci in range(c_in):
        x = np.zeros((1, c_in, 4))
        x[0, ci] = rng.normal(size=4)
        y = convbp.conv(x, w, groups=groups)
        pairs |= {(co, ci) for co in range(c_out) if np.any(y[0, co] != 0)}
    return pairs


def _row(y, count, total):
    """Index of the box whose centre is at height ``y`` in a column of ``count`` boxes."""
    i = (y - (total - count) * GAP / 2 - BOX_H / 2) / GAP
    assert abs(i - round(i)) < 1e-9 and 0 <= round(i) < count
    return int(round(i))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_connections_are_the_pairs_conv_uses(case):
    c_in, c_out, groups = case
    pairs = channel_connections(c_in, c_out, groups)
    assert len(pairs) == c_in * c_out // groups
    assert set(pairs) == _used_by_conv(c_in, c_out, groups)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_figure_draws_exactly_those_pairs(case):
    c_in, c_out, groups = case
    fig = channels_figure(c_in, c_out, groups)
    assert len(fig.axes) == 3
    fwd, bwd, mat = fig.axes
    total = max(c_in, c_out)
    want = _used_by_conv(c_in, c_out, groups)
    # forward: one line per pair, from an input box (left) to an output box (right)
    assert len(fwd.lines) == c_in * c_out // groups
    drawn = set()
    for line in fwd.lines:
        (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
        assert x0 < x1
        drawn.add((_row(y1, c_out, total), _row(y0, c_in, total)))
    assert drawn == want
    # backward: one arrow per pair, from delta_c (right) to dx_c' (left)
    arrows = [t for t in bwd.texts if isinstance(t, Annotation)]
    assert len(arrows) == c_in * c_out // groups
    back = set()
    for a in arrows:
        (xh, yh), (xt, yt) = a.xy, a.xyann
        assert xh < xt
        back.add((_row(yt, c_out, total), _row(yh, c_in, total)))
    assert back == want
    # matrix: kernel-coloured cells at the pairs, labelled with the slice of w
    cells = [p for p in mat.patches if to_hex(p.get_facecolor()) == COLORS["kernel"]]
    assert {(round(p.get_y() - 0.4), round(p.get_x())) for p in cells} == want
    labels = {t.get_text() for t in mat.texts if t.get_text().startswith("w[")}
    assert labels == {f"w[{co},{ci % (c_in // groups)}]" for co, ci in want}


def test_block_diagonal_for_groups():
    pairs = channel_connections(6, 4, groups=2)
    # group 0: outputs 0-1 read inputs 0-2; group 1: outputs 2-3 read inputs 3-5
    assert pairs == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2),
                     (2, 3), (2, 4), (2, 5), (3, 3), (3, 4), (3, 5)]
    assert channel_connections(4, 4, groups=4) == [(c, c) for c in range(4)]


def test_errors_name_the_function_and_parameter():
    with pytest.raises(ValueError, match="channels_figure: groups=2 must divide in_channels=3"):
        channels_figure(3, 4, groups=2)
    with pytest.raises(ValueError, match="channels_figure: groups=4 must divide out_channels=6"):
        channels_figure(4, 6, groups=4)
    with pytest.raises(ValueError, match="channels_figure: in_channels must be a positive int"):
        channels_figure(0, 4)
    with pytest.raises(ValueError, match="channels_figure: out_channels must be at most 12"):
        channels_figure(4, 16)
    with pytest.raises(TypeError, match="channels_figure: groups must be a positive int"):
        channels_figure(4, 4, groups=1.5)
    with pytest.raises(ValueError, match="channel_connections: groups must be a positive int"):
        channel_connections(4, 4, groups=0)
