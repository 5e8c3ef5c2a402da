r"""Pictures of channel connections: which input channel feeds which output channel.

Used in the chapter :ref:`channels-groups`. In the book's notation ``c`` is an input
channel, ``j`` an output channel and ``g`` a group. With ``groups`` = G, output channel
``j`` belongs to group ``g = j // (C_out/G)`` and reads the input channels
``c = g*C_in/G + c_g`` for ``c_g = 0, ..., C_in/G - 1`` through the kernel slice
``w[j, c_g]`` (shape ``(*kernel)``). Drawn as a graph, every such pair is one line; as a
``C_out x C_in`` matrix it is block-diagonal. The backward pass runs along the same
lines in the other direction: ``dx`` of an input channel collects from every output
channel it feeds, ``dw[j, c_g]`` needs that one pair, and ``db[j]`` only ``delta`` of
channel ``j``.
"""

from __future__ import annotations

import numbers

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle

from .grid import COLORS, draw_grid, finish_axes
from .layout import fontsize_for

__all__ = ["channel_connections", "channels_figure"]

MAX_CHANNELS = 12
BOX_W, BOX_H, GAP = 1.5, 0.8, 1.15     # box size and vertical pitch, in data units
SPAN = 4.2                              # horizontal distance between the two columns
UNIT, MATRIX_UNIT = 0.4, 0.55           # inches per data unit: graphs, matrix
GROUP_COLORS = ("#eef3e2", "#f3e6f0", "#e4eef6", "#f6efdc")


def _check(op, in_channels, out_channels, groups):
    for name, v in (("in_channels", in_channels), ("out_channels", out_channels),
                    ("groups", groups)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"{op}: {name} must be a positive int, got {v!r}")
        if v < 1:
            raise ValueError(f"{op}: {name} must be a positive int, got {v!r}")
    for name, c in (("in_channels", in_channels), ("out_channels", out_channels)):
        if c % groups:
            raise ValueError(f"{op}: groups={groups} must divide {name}={c}")
    return int(in_channels), int(out_channels), int(groups)


def channel_connections(in_channels: int, out_channels: int, groups: int = 1
                        ) -> list[tuple[int, int]]:
    """The ``(j, c)`` pairs (output channel, input channel) that a kernel connects.

    Output channel ``j`` of group ``g = j // (C_out/G)`` reads input channel
    ``c = g*C_in/G + c_g`` through the kernel slice ``w[j, c_g]``.

    Parameters
    ----------
    in_channels, out_channels, groups : int
        ``groups`` must divide both channel counts.

    Returns
    -------
    list of (int, int)
        ``C_in * C_out / groups`` pairs, sorted.

    Examples
    --------
    >>> channel_connections(4, 2, groups=2)
    [(0, 0), (0, 1), (1, 2), (1, 3)]
    >>> len(channel_connections(3, 6))
    18
    """
    c_in, c_out, groups = _check("channel_connections", in_channels, out_channels, groups)
    c_in_g, c_out_g = c_in // groups, c_out // groups
    return [(j, (j // c_out_g) * c_in_g + c_g) for j in range(c_out) for c_g in range(c_in_g)]


def _centres(count, total):
    """Vertical centres of ``count`` boxes, centred against a column of ``total``."""
    offset = (total - count) * GAP / 2
    return [offset + i * GAP + BOX_H / 2 for i in range(count)]


def _column(ax, x, centres, label, color, fs):
    for c, yc in enumerate(centres):
        ax.add_patch(Rectangle((x, yc - BOX_H / 2), BOX_W, BOX_H, facecolor=color,
                               edgecolor="0.35", linewidth=0.8))
        ax.text(x + BOX_W / 2, yc, label(c), ha="center", va="center", fontsize=fs)


def _group_bands(ax, c_in, c_out, groups, left, right):
    if groups == 1:
        return
    c_in_g, c_out_g = c_in // groups, c_out // groups
    for g in range(groups):
        ys_in = left[g * c_in_g], left[(g + 1) * c_in_g - 1]
        ys_out = right[g * c_out_g], right[(g + 1) * c_out_g - 1]
        pad = BOX_H / 2 + 0.12
        corners = [(-0.15, ys_in[0] - pad), (SPAN + BOX_W + 0.15, ys_out[0] - pad),
                   (SPAN + BOX_W + 0.15, ys_out[1] + pad), (-0.15, ys_in[1] + pad)]
        ax.add_patch(Polygon(corners, closed=True, facecolor=GROUP_COLORS[g % len(GROUP_COLORS)],
                             edgecolor="none", zorder=0))


def _graph(ax, c_in, c_out, groups, pairs, backward, fs):
    total = max(c_in, c_out)
    left, right = _centres(c_in, total), _centres(c_out, total)
    _group_bands(ax, c_in, c_out, groups, left, right)
    x0, x1 = BOX_W, SPAN                 # right edge of the left column, left edge of the right
    for co, ci in pairs:
        if backward:
            ax.annotate("", xy=(x0, left[ci]), xytext=(x1, right[co]),
                        arrowprops=dict(arrowstyle="-|>", color="#6a8caf", linewidth=1.0,
                                        mutation_scale=9, shrinkA=0, shrinkB=0))
        else:
            ax.plot([x0, x1], [left[ci], right[co]], color="0.3", linewidth=1.0)
    if backward:
        _column(ax, 0, left, lambda c: f"$dx_{{{c}}}$", COLORS["output"], fs)
        _column(ax, SPAN, right, lambda c: rf"$\delta_{{{c}}}$", COLORS["delta"], fs)
    else:
        _column(ax, 0, left, lambda c: f"$x_{{{c}}}$", COLORS["input"], fs)
        _column(ax, SPAN, right, lambda c: f"$y_{{{c}}}$", COLORS["output"], fs)
    return total * GAP


def _finish_graph(ax, bottom):
    """Equal aspect, y pointing down, no ticks (the bands are polygons: set limits by hand)."""
    ax.set_aspect("equal")
    ax.set_xlim(-0.4, SPAN + BOX_W + 0.4)
    ax.set_ylim(bottom, -0.9)
    ax.axis("off")


def channels_figure(in_channels: int, out_channels: int, groups: int = 1) -> Figure:
    r"""Channel connections of a convolution, forward and backward, and as a matrix.

    Three panels:

    1. forward: input channels :math:`x_c` on the left, output channels :math:`y_j`
       on the right, one line per kernel slice (per pair that the kernel connects);
       with ``groups > 1`` each group has its own shaded band;
    2. backward: the same lines, traversed from :math:`\delta_c` back to
       :math:`dx_{c'}`; the caption says what flows along them;
    3. the ``C_out x C_in`` connection matrix: cell ``(j, c)`` holds the kernel slice
       ``w[j, c_g]`` that connects them (block-diagonal for ``groups > 1``).

    Parameters
    ----------
    in_channels, out_channels : int
        At most 12 each, so that the picture stays readable.
    groups : int
        Must divide both channel counts; ``groups == in_channels`` is a depthwise
        convolution.

    Returns
    -------
    matplotlib.figure.Figure
        Three axes: forward graph, backward graph, matrix.

    Examples
    --------
    >>> fig = channels_figure(4, 6, groups=2)
    >>> len(fig.axes), len(fig.axes[0].lines)
    (3, 12)
    """
    op = "channels_figure"
    c_in, c_out, groups = _check(op, in_channels, out_channels, groups)
    for name, c in (("in_channels", c_in), ("out_channels", c_out)):
        if c > MAX_CHANNELS:
            raise ValueError(f"{op}: {name} must be at most {MAX_CHANNELS} for a readable "
                             f"picture, got {c}")
    pairs = channel_connections(c_in, c_out, groups)
    per_in = c_in // groups
    total = max(c_in, c_out)
    graph_w, graph_h = SPAN + BOX_W + 0.8, total * GAP + 4.0
    mat_w, mat_h = max(c_in, 4) + 1.8, c_out + 2.6
    widths = [graph_w * UNIT, graph_w * UNIT, mat_w * MATRIX_UNIT]
    fs = fontsize_for(sum(widths) + 0.3)
    fig = Figure(figsize=(sum(widths) + 0.3, max(graph_h * UNIT, mat_h * MATRIX_UNIT)))
    gs = fig.add_gridspec(1, 3, width_ratios=widths)
    middle = (SPAN + BOX_W) / 2

    ax = fig.add_subplot(gs[0, 0])
    bottom = _graph(ax, c_in, c_out, groups, pairs, backward=False, fs=fs)
    ax.text(middle, -0.3, "forward", ha="center", va="bottom", fontsize=fs + 1)
    ax.text(middle, bottom + 0.2,
            r"$y_j = b_j\ +$ Σ$_{c}$ $W_{j,c} \star x_{c}$" "\n"
            "(sum over the lines into $y_j$)", ha="center", va="top", fontsize=fs,
            linespacing=1.6)
    _finish_graph(ax, bottom + 3.2)

    ax = fig.add_subplot(gs[0, 1])
    bottom = _graph(ax, c_in, c_out, groups, pairs, backward=True, fs=fs)
    ax.text(middle, -0.3, "backward", ha="center", va="bottom", fontsize=fs + 1)
    ax.text(middle, bottom + 0.2,
            r"$dx_c$ = Σ$_j$ $\hat\delta_j \star$ flip($W_{j,c}$)" "\n"
            r"$dW_{j,c}$ = Σ$_i$ $\bar x_c \star \tilde\delta_j$" "\n"
            r"$db_j$ = Σ$_{i,o}$ $\delta_j$",
            ha="center", va="top", fontsize=fs, linespacing=1.6)
    _finish_graph(ax, bottom + 3.2)

    ax = fig.add_subplot(gs[0, 2])
    labels = np.full((c_out, c_in), "", dtype=object)
    colors = np.full((c_out, c_in), COLORS["zero"], dtype=object)
    for j, c in pairs:
        labels[j, c] = f"w[{j},{c % per_in}]"
        colors[j, c] = COLORS["kernel"]
    draw_grid(ax, (c_out, c_in), origin=(0, 0.4), labels=labels, colors=colors,
              fontsize=fontsize_for(sum(widths) + 0.3, subscripts=False))
    for c in range(c_in):
        ax.text(c + 0.5, 0.25, f"$x_{{{c}}}$", ha="center", va="bottom", fontsize=fs)
    for j in range(c_out):
        ax.text(-0.15, j + 0.9, f"$y_{{{j}}}$", ha="right", va="center", fontsize=fs)
    ax.text(c_in / 2, -0.6, "kernel slice per pair", ha="center", va="bottom",
            fontsize=fs + 1)
    ax.text(c_in / 2, c_out + 0.7, f"w: shape ({c_out}, {per_in}, *k)", ha="center", va="top",
            fontsize=fs)
    finish_axes(ax)
    ax.set_xlim(min(-1.1, c_in / 2 - 2.9), max(c_in + 0.2, c_in / 2 + 2.9))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.97, wspace=0.06)
    return fig
