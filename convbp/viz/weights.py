r"""Pictures of the weight gradient: which input cells each kernel tap meets.

Used in the chapters :ref:`backward-stride1` and :ref:`backward-strided`. One spatial
dimension, kernel tap ``m``::

    dL/dW[m] = sum_o  delta[o] * Xbar[s*o + d*m]

so :math:`\tilde\delta = \operatorname{dil}_s(\delta)` (``s - 1`` zeros between the
entries of :math:`\delta`) is laid over the zero-padded input :math:`\bar X` like a
kernel, shifted by ``d*m``; every real
:math:`\delta` entry multiplies the input cell under it. The cells are read off
:meth:`~convbp.geometry.ConvGeometry.window`, the same slices the fast code uses, and every size comes
from :func:`convbp.geometry.conv_geometry`. Rows that no tap reaches (the leftover
remainder) are hatched.
"""

from __future__ import annotations

import numbers

import numpy as np
from matplotlib.figure import Figure

from ..geometry import ConvGeometry, conv_geometry
from .grid import COLORS, draw_grid, finish_axes, subscript
from .layout import fontsize_for, legend, legend_height
from .windows import _base_colors

__all__ = ["weight_terms", "weight_gradient_figure"]

OP = "weight_gradient_figure"
CELL_INCHES = 0.56
MIN_EQUATION_COLS = 5
LINE = 0.62  # height of one line of the equation, in cells


def _geometry(op, input_size, kernel_size, stride, padding, dilation) -> ConvGeometry:
    input_size = (input_size,) if np.isscalar(input_size) else tuple(input_size)
    kernel_size = (kernel_size,) * len(input_size) if np.isscalar(kernel_size) else tuple(kernel_size)
    if len(input_size) not in (1, 2):
        raise ValueError(f"{op}: input_size must have 1 or 2 dims, got {input_size}")
    return conv_geometry(op, input_size, kernel_size, stride, padding, dilation)


def _check_tap(op: str, geom: ConvGeometry, tap) -> tuple[int, ...]:
    """One kernel tap as a tuple of ints inside ``geom.kernel_size``."""
    t = (tap,) if isinstance(tap, numbers.Integral) else tap
    want = f"a kernel index (a tuple of {geom.ndim} ints) inside the kernel of shape " \
           f"{geom.kernel_size}"
    if not isinstance(t, (tuple, list)) or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in t):
        raise TypeError(f"{op}: tap must be {want}, got {tap!r}")
    if len(t) != geom.ndim or not all(0 <= v < k for v, k in zip(t, geom.kernel_size)):
        raise ValueError(f"{op}: tap must be {want}, got {tuple(int(v) for v in t)}")
    return tuple(int(v) for v in t)


def weight_terms(geom: ConvGeometry, tap) -> list[tuple[tuple, tuple, tuple | None]]:
    r"""The products that make up :math:`\partial L/\partial w_m` for one kernel tap.

    Parameters
    ----------
    geom : ConvGeometry
    tap : int or tuple of int
        The kernel tap ``m``.

    Returns
    -------
    list of (delta index, padded cell, input index or None)
        One entry per output position ``o`` (row-major): the padded-input cell
        ``s*o + d*m`` that :math:`\delta_o` meets, and the index of the real input
        pixel there (``cell - p_lo``), or ``None`` when the cell is padding (the
        product is zero).

    Examples
    --------
    >>> from convbp.geometry import conv_geometry
    >>> geom = conv_geometry("conv", (5, 5), (3, 3), stride=2)
    >>> [(o, a) for o, _cell, a in weight_terms(geom, (0, 0))]
    [((0, 0), (0, 0)), ((0, 1), (0, 2)), ((1, 0), (2, 0)), ((1, 1), (2, 2))]
    """
    tap = _check_tap("weight_terms", geom, tap)
    grids = [np.arange(p)[sl] for p, sl in zip(geom.padded_size, geom.window(tap))]
    terms = []
    for o in np.ndindex(*geom.out_size):
        cell = tuple(int(grid[oi]) for grid, oi in zip(grids, o))
        a = tuple(c - lo for c, (lo, _hi) in zip(cell, geom.padding))
        real = all(0 <= ai < n for ai, n in zip(a, geom.in_size))
        terms.append((o, cell, a if real else None))
    return terms


def _as2d(a):
    return a.reshape(1, -1) if a.ndim == 1 else a


def _cell2d(cell):
    return cell if len(cell) == 2 else (0, cell[0])


def _dilated_delta_panel(ax, geom, fs):
    """The dilated delta as a grid: real entries green, inserted zeros white."""
    shape = geom.dilated_out_size
    labels = np.full(shape, "0", dtype=object)
    colors = np.full(shape, COLORS["zero"], dtype=object)
    for o in np.ndindex(*geom.out_size):
        t = tuple(s * oi for s, oi in zip(geom.stride, o))
        labels[t], colors[t] = subscript(r"\delta", o), COLORS["delta"]
    s = geom.stride
    if all(v == 1 for v in s):
        title = r"$\delta$"
    else:
        shown = str(s[0]) if len(set(s)) == 1 else "(" + ", ".join(map(str, s)) + ")"
        title = r"$\tilde\delta$, $s = " + shown + "$"
    draw_grid(ax, _as2d(labels).shape, labels=_as2d(labels), colors=_as2d(colors),
              title=title, fontsize=fs)
    finish_axes(ax)


def _equation_lines(tap, terms, width) -> list[str]:
    """The sum of products, wrapped to a panel ``width`` cells wide (about one per term)."""
    lhs = r"\partial L/\partial " + subscript("w", tap).strip("$")
    parts = [subscript(r"\delta", o).strip("$") + subscript("x", a).strip("$")
             for o, _cell, a in terms if a is not None]
    if not parts:
        return ["$" + lhs + " = 0$"]
    first, rest = max(1, int((width - 2.0) / 1.15)), max(1, int((width - 0.7) / 1.15))
    chunks = [parts[:first]] + [parts[i:i + rest] for i in range(first, len(parts), rest)]
    return (["$" + lhs + " = " + " + ".join(chunks[0]) + "$"]
            + [r"$\quad + " + " + ".join(c) + "$" for c in chunks[1:]])


def _span(cols: int, equation: bool) -> int:
    """Width of a tap panel in cells: room for the equation under a narrow grid."""
    return max(cols, MIN_EQUATION_COLS) if equation else cols


def _tap_panel(ax, geom, tap, base_colors, base_hatches, equation, fs):
    terms = weight_terms(geom, tap)
    shape = geom.padded_size
    labels = np.empty(shape, dtype=object)
    for cell in np.ndindex(*shape):
        a = tuple(c - lo for c, (lo, _hi) in zip(cell, geom.padding))
        real = all(0 <= ai < n for ai, n in zip(a, geom.in_size))
        labels[cell] = subscript("x", a) if real else "0"
    colors = base_colors.copy()
    for o, cell, a in terms:
        if a is not None:          # a delta entry over padding multiplies a zero
            colors[cell] = COLORS["window"]
        labels[cell] = ""
    # The footprint of the dilated delta, shifted by d*m.
    start = tuple(d * m for d, m in zip(geom.dilation, tap))
    foot = (*_cell2d(start), *_as2d(np.empty(geom.dilated_out_size)).shape)
    draw_grid(ax, _as2d(labels).shape, labels=_as2d(labels), colors=_as2d(colors),
              hatches=_as2d(base_hatches), fontsize=fs, outline=[foot],
              title="tap " + subscript("w", tap) + ": "
              + (r"$\tilde\delta$" if any(v > 1 for v in geom.stride) else r"$\delta$")
              + " on " + (r"$\bar X$" if any(p != (0, 0) for p in geom.padding)
                          else "$X$"))
    for o, cell, a in terms:
        i, j = _cell2d(cell)
        ax.text(j + 0.5, i + 0.3, subscript("x", a) if a is not None else "0", ha="center",
                va="center", fontsize=fs)
        ax.text(j + 0.5, i + 0.74, subscript(r"\delta", o), ha="center", va="center",
                fontsize=fs, color="#1d6b1d")
    rows, cols = _as2d(labels).shape
    span = _span(cols, equation)
    left = -(span - cols) / 2          # a narrow grid is centred over its equation
    lines = _equation_lines(tap, terms, span) if equation else []
    for k, line in enumerate(lines):
        ax.text(left, rows + 0.55 + LINE * k, line, ha="left", va="center", fontsize=fs)
    finish_axes(ax)
    if span > cols:
        ax.set_xlim(left - 0.2, cols - left + 0.2)


def weight_gradient_figure(input_size, kernel_size, stride=1, padding=0, dilation=1, *,
                           tap=None, equation: bool = True) -> Figure:
    r"""Which input cells each :math:`\delta` entry meets in :math:`\partial L/\partial w_m`.

    The first panel is :math:`\tilde\delta`, :math:`\delta` dilated by the stride (the
    "kernel" of the weight-gradient correlation). Then one panel per requested tap ``m``: the
    zero-padded input with that dilated :math:`\delta` laid over it at offset ``d*m``
    (thick outline). Each cell under a real :math:`\delta` entry shows the input pixel
    (top) and the :math:`\delta` entry (bottom) that are multiplied; padding is grey,
    and leftover rows that no tap ever reaches are red and hatched. Below each panel,
    the sum of those products.

    Parameters
    ----------
    input_size, kernel_size : int or (int, int)
    stride, padding, dilation
        As accepted by :func:`convbp.conv`.
    tap : int, tuple of int, or list of them, optional
        The kernel tap(s) ``m`` to draw; default the first tap ``(0, ..., 0)``.
    equation : bool
        Write :math:`\partial L/\partial w_m` as a sum of products under each panel.

    Returns
    -------
    matplotlib.figure.Figure
        ``1 + number of taps`` axes.

    Raises
    ------
    ValueError, TypeError
        For a tap outside the kernel, or bad geometry (message names the function).

    Examples
    --------
    >>> fig = weight_gradient_figure((5, 5), (3, 3), stride=2, tap=[(0, 0), (2, 1)])
    >>> len(fig.axes)      # delta-tilde, two taps, the legend
    4
    """
    geom = _geometry(OP, input_size, kernel_size, stride, padding, dilation)
    if tap is None:
        taps = [(0,) * geom.ndim]
    elif isinstance(tap, list):
        if not tap:
            raise ValueError(f"{OP}: tap must be a kernel index or a non-empty list of them, "
                             f"got []")
        taps = [_check_tap(OP, geom, t) for t in tap]
    else:
        taps = [_check_tap(OP, geom, tap)]
    base_colors, base_hatches = _base_colors(geom)
    dil_w = _as2d(np.empty(geom.dilated_out_size)).shape[1]
    pad_h, pad_w = _as2d(np.empty(geom.padded_size)).shape
    span = _span(pad_w, equation)
    widths = [dil_w + 1.0] + [span + 1.0] * len(taps)
    lines = max(len(_equation_lines(m, weight_terms(geom, m), span)) for m in taps) \
        if equation else 0
    width_in = sum(widths) * CELL_INCHES
    fs = fontsize_for(width_in)
    entries = [(COLORS["input"], "", "input pixel"),
               (COLORS["window"], "", r"under an entry of $\delta$ (top: $x$, bottom: $\delta$)")]
    if any(p != (0, 0) for p in geom.padding):
        entries.append((COLORS["pad"], "", "padding"))
    if any(geom.unread_tail):
        entries.append((COLORS["leftover"], "///", "never read"))
    legend_in = legend_height(entries, fs, width_in)
    height_in = (pad_h + 1.6 + LINE * lines) * CELL_INCHES + legend_in
    fig = Figure(figsize=(width_in, height_in))
    gs = fig.add_gridspec(1, len(widths), width_ratios=widths, left=0.01, right=0.99,
                          bottom=(legend_in + 0.05) / height_in, top=0.95, wspace=0.05)
    _dilated_delta_panel(fig.add_subplot(gs[0, 0]), geom, fs)
    for k, m in enumerate(taps):
        _tap_panel(fig.add_subplot(gs[0, k + 1]), geom, m, base_colors, base_hatches, equation,
                   fs)
    legend(fig, entries, fontsize=fs, y=0.01)
    return fig
