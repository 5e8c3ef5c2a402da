"""Drawing primitives shared by every figure of the book: labelled grids of cells.

A grid is drawn in "matrix" coordinates: cell ``(i, j)`` covers ``x in [j, j+1]`` and
``y in [i, i+1]`` with the y axis pointing down, shifted by ``origin``. Figures built
from these primitives are plain Matplotlib figures (PNG in the book, so nbval does not
compare pixels) or GIF animations (:mod:`convbp.viz.gif`, byte-for-byte deterministic).
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

__all__ = ["COLORS", "draw_grid", "finish_axes", "subscript"]

#: One colour per role, used consistently across chapters.
COLORS = {
    "input": "#dbe9f6",     # real input cells
    "pad": "#e6e6e6",       # zero padding
    "leftover": "#f4c7c3",  # rows the forward pass never reads
    "window": "#f9d77e",    # cells read by the current window
    "kernel": "#fde9c4",    # kernel taps
    "delta": "#d5ecd4",     # upstream gradient entries
    "zero": "#ffffff",      # inserted zeros
    "output": "#cfe2f3",    # output / result cells
    "focus": "#f6b26b",     # the one cell being computed
}


def subscript(name: str, index) -> str:
    """Mathtext label ``name_{i,j}`` for a cell, e.g. ``subscript("w", (0, 2))`` -> ``$w_{02}$``.

    Single-digit indices are run together (``w_{02}``) as the book writes them; any
    index of two or more digits switches to comma separation (``x_{1,12}``).
    """
    index = tuple(np.atleast_1d(index).tolist())
    sep = "," if any(abs(i) > 9 for i in index) else ""
    return "$" + name + "_{" + sep.join(str(i) for i in index) + "}$"


def draw_grid(ax: Axes, shape, *, origin=(0.0, 0.0), labels=None, colors=None,
              hatches=None, title=None, fontsize=9, edgecolor="0.35", linewidth=0.8,
              outline=None):
    """Draw a ``rows x cols`` grid of cells on ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    shape : (int, int)
        Number of rows and columns; a 1-D strip is ``(1, n)``.
    origin : (float, float)
        ``(x, y)`` of the top-left corner.
    labels : array_like of str, shape (rows, cols), optional
        Text drawn in each cell; empty strings or ``None`` leave a cell blank.
    colors : array_like of colour, shape (rows, cols), optional
        Face colour of each cell (default white).
    hatches : array_like of str, shape (rows, cols), optional
        Matplotlib hatch pattern of each cell ("" for none).
    title : str, optional
        Text centred above the grid.
    outline : sequence of (int, int, int, int), optional
        Rectangles ``(row, col, height, width)`` drawn with a thick border on top.

    Returns
    -------
    list of matplotlib.patches.Rectangle
        The cell patches in row-major order.
    """
    rows, cols = shape
    x0, y0 = origin
    patches = []
    for i in range(rows):
        for j in range(cols):
            face = "white" if colors is None else colors[i][j]
            hatch = None if hatches is None or not hatches[i][j] else hatches[i][j]
            rect = Rectangle((x0 + j, y0 + i), 1, 1, facecolor=face, edgecolor=edgecolor,
                             linewidth=linewidth, hatch=hatch)
            ax.add_patch(rect)
            patches.append(rect)
            if labels is not None and labels[i][j]:
                ax.text(x0 + j + 0.5, y0 + i + 0.5, labels[i][j], ha="center", va="center",
                        fontsize=fontsize)
    for (i, j, h, w) in outline or ():
        ax.add_patch(Rectangle((x0 + j, y0 + i), w, h, fill=False, edgecolor="black",
                               linewidth=2.2))
    if title:
        ax.text(x0 + cols / 2, y0 - 0.35, title, ha="center", va="bottom", fontsize=fontsize + 1)
    return patches


def finish_axes(ax: Axes, *, margin: float = 0.2) -> Axes:
    """Equal aspect, y pointing down, no ticks, limits fitted to everything drawn."""
    ax.set_aspect("equal")
    ax.autoscale_view()
    xs, ys = [], []
    for p in ax.patches:
        x, y = p.get_xy()
        xs += [x, x + p.get_width()]
        ys += [y, y + p.get_height()]
    for t in ax.texts:
        x, y = t.get_position()
        xs.append(x)
        ys.append(y - 0.6 if t.get_va() == "bottom" else y)
    if xs:
        ax.set_xlim(min(xs) - margin, max(xs) + margin)
        ax.set_ylim(max(ys) + margin, min(ys) - margin)
    ax.axis("off")
    return ax
