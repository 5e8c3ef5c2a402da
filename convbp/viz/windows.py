"""Pictures of the forward pass: which padded input cells each output reads.

Used in :ref:`forward-arithmetic`. Every size comes from
:func:`convbp.geometry.conv_geometry`; the cells of each window are read off
:meth:`ConvGeometry.window`, the same slices the fast code uses.
"""

from __future__ import annotations

import itertools

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..geometry import conv_geometry
from .grid import COLORS, draw_grid, finish_axes, subscript

__all__ = ["window_cells", "windows_figure"]

CELL_INCHES = 0.42


def _geometry(input_size, kernel_size, stride, padding, dilation):
    input_size = (input_size,) if np.isscalar(input_size) else tuple(input_size)
    kernel_size = (kernel_size,) * len(input_size) if np.isscalar(kernel_size) else tuple(kernel_size)
    if len(input_size) not in (1, 2):
        raise ValueError(f"windows_figure: input_size must have 1 or 2 dims, got {input_size}")
    return conv_geometry("windows_figure", input_size, kernel_size, stride, padding, dilation)


def window_cells(geom, o) -> list[tuple[int, ...]]:
    """Padded-input positions read by output ``o``, in kernel-tap order.

    Parameters
    ----------
    geom : ConvGeometry
    o : tuple of int
        Output position.

    Returns
    -------
    list of tuple of int
        One position per kernel tap ``m`` (row-major over the kernel).

    Examples
    --------
    >>> from convbp.geometry import conv_geometry
    >>> window_cells(conv_geometry("conv", (7,), (3,), stride=2), (1,))
    [(2,), (3,), (4,)]
    """
    grids = [np.arange(p) for p in geom.padded_size]
    cells = []
    for tap in np.ndindex(*geom.kernel_size):
        cells.append(tuple(int(grid[sl][oi])
                           for grid, sl, oi in zip(grids, geom.window(tap), o)))
    return cells


def _base_colors(geom):
    """Colour of every padded cell: input, padding, or leftover (never read)."""
    shape = geom.padded_size
    colors = np.full(shape, COLORS["input"], dtype=object)
    hatches = np.full(shape, "", dtype=object)
    for axis, ((lo, hi), n, r) in enumerate(zip(geom.padding, geom.in_size, geom.remainder)):
        idx = [slice(None)] * len(shape)
        idx[axis] = np.r_[0:lo, lo + n:lo + n + hi].astype(int)
        colors[tuple(idx)] = COLORS["pad"]
        if r:
            idx[axis] = slice(shape[axis] - r, None)
            hatches[tuple(idx)] = "///"
            sub = colors[tuple(idx)]
            colors[tuple(idx)] = np.where(sub == COLORS["input"], COLORS["leftover"], sub)
    return colors, hatches


def _legend(fig, geom, hatches):
    """One legend entry per kind of cell that the figure shows."""
    entries = [("input", "", "input"), ("window", "", "read by this window")]
    if any(lo or hi for lo, hi in geom.padding):
        entries.insert(1, ("pad", "", "zero padding"))
    if np.any(hatches != ""):
        entries.append(("leftover", "///", "never read"))
    handles = [Patch(facecolor=COLORS[c], edgecolor="0.35", hatch=h or None, label=t)
               for c, h, t in entries]
    narrow = fig.get_figwidth() < 5.5
    fig.legend(handles=handles, loc="lower center", fontsize=9,
               ncol=min(len(handles), 2) if narrow else len(handles),
               frameon=False, handlelength=1.4, columnspacing=1.2)


def windows_figure(input_size, kernel_size, stride=1, padding=0, dilation=1, *,
                   max_panels: int = 16) -> Figure:
    """Draw every sliding window of a 1-D or 2-D convolution on the padded input.

    1-D: one strip per output ``y_o``, the cells it reads marked with the tap ``w_m``
    that multiplies them. 2-D: one small panel per output position (at most
    ``max_panels``), with the input index of each row and column. Padding is grey,
    real input blue, the window yellow, and the leftover rows that no window reads
    red and hatched; a legend names the kinds of cell shown.

    Parameters
    ----------
    input_size : int or (int, int)
    kernel_size : int or (int, int)
    stride, padding, dilation
        As accepted by :func:`convbp.conv`.
    max_panels : int
        Largest number of 2-D panels to draw.

    Returns
    -------
    matplotlib.figure.Figure
        One axes holding every strip (1-D), or one axes per panel (2-D); the legend
        belongs to the figure.

    Examples
    --------
    >>> fig = windows_figure(8, 3, stride=2)
    >>> len(fig.axes)
    1
    """
    geom = _geometry(input_size, kernel_size, stride, padding, dilation)
    colors, hatches = _base_colors(geom)
    if geom.ndim == 1:
        return _windows_1d(geom, colors, hatches)
    panels = list(itertools.product(*(range(o) for o in geom.out_size)))
    if len(panels) > max_panels:
        raise ValueError(f"windows_figure: {len(panels)} output positions, more than "
                         f"max_panels={max_panels}; pick a smaller example")
    rows, cols = geom.out_size
    ph, pw = geom.padded_size
    (lo1, _), (lo2, _) = geom.padding
    fig = Figure(figsize=(cols * (pw + 1.6) * CELL_INCHES * 0.75,
                          (rows * (ph + 2.2) + 1.2) * CELL_INCHES * 0.75))
    for k, o in enumerate(panels):
        ax = fig.add_subplot(rows, cols, k + 1)
        c = colors.copy()
        for cell in window_cells(geom, o):
            c[cell] = COLORS["window"]
        title = f"$y_{{{o[0]},{o[1]}}}$"
        draw_grid(ax, (ph, pw), colors=c, hatches=hatches, title=title, fontsize=9)
        # input indices a along each axis (padding cells have none)
        for i in range(ph):
            if 0 <= i - lo1 < geom.in_size[0]:
                ax.text(-0.25, i + 0.5, str(i - lo1), ha="right", va="center",
                        fontsize=8, color="0.35")
        for j in range(pw):
            if 0 <= j - lo2 < geom.in_size[1]:
                ax.text(j + 0.5, ph + 0.45, str(j - lo2), ha="center", va="center",
                        fontsize=8, color="0.35")
        finish_axes(ax)
    _legend(fig, geom, hatches)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.1, top=0.97, wspace=0.2, hspace=0.2)
    return fig


def _windows_1d(geom, colors, hatches) -> Figure:
    (P,), (n,), ((lo, _hi),) = geom.padded_size, geom.in_size, geom.padding
    (O,) = geom.out_size
    width = (P + 2.2) * CELL_INCHES * 1.25
    unit = width / (P + 2.8)                   # inches per cell (equal aspect)
    legend = 0.45                              # inches below the strips
    height = (1.6 + 1.25 * O + 0.2) * unit + legend
    fig = Figure(figsize=(width, height))
    ax = fig.add_subplot()
    header = [subscript("x", a - lo) if 0 <= a - lo < n else "0" for a in range(P)]
    draw_grid(ax, (1, P), labels=[header], colors=[list(colors)], hatches=[list(hatches)],
              fontsize=10)
    ax.text(-0.3, 0.5, "padded input", ha="right", va="center", fontsize=10)
    for o in range(O):
        y = 1.6 + 1.25 * o
        c = list(colors)
        labels = [""] * P
        for m, (cell,) in enumerate(window_cells(geom, (o,))):
            c[cell] = COLORS["window"]
            labels[cell] = subscript("w", m)
        draw_grid(ax, (1, P), origin=(0, y), labels=[labels], colors=[c],
                  hatches=[list(hatches)], fontsize=10)
        ax.text(-0.3, y + 0.5, subscript("y", o), ha="right", va="center", fontsize=12)
    finish_axes(ax)
    ax.set_xlim(-2.6, P + 0.2)
    _legend(fig, geom, hatches)
    fig.subplots_adjust(left=0.0, right=1.0, top=1.0, bottom=legend / height)
    return fig
