r"""Readable figures at the book's column width: font sizes, legends, a text-size audit.

The book shows a PNG at most :data:`COLUMN_PX` pixels wide (the content column of the
HTML theme at desktop width); a wider image is scaled down, and its text with it. A
mathtext subscript is drawn at 70 % of the font size. :func:`fontsize_for` picks a
font size that keeps such a subscript at least :data:`MIN_PX` pixels tall after that
scaling, and :func:`smallest_text_px` measures the smallest text of a finished figure,
so that the tests can hold every figure of the book to the same standard.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

__all__ = ["COLUMN_PX", "MIN_PX", "DPI", "fontsize_for", "legend", "legend_height",
           "legend_rows", "smallest_text_px"]

#: Width of the book's content column at desktop width, in CSS pixels (measured).
COLUMN_PX = 688
#: Smallest acceptable text (subscripts included), in pixels, at column width.
MIN_PX = 10.0
#: Resolution of :func:`convbp.viz.show_figure`.
DPI = 110
SUBSCRIPT = 0.7  # mathtext's shrink factor for sub- and superscripts


def _scale(width_in: float, dpi: float) -> float:
    """Pixels per point once the image is shown at most ``COLUMN_PX`` wide."""
    return min(dpi, COLUMN_PX / width_in) / 72.0


def fontsize_for(width_in: float, dpi: float = DPI, *, subscripts: bool = True,
                 minimum: float = 10.0) -> float:
    """Smallest font size (points) whose text stays readable at column width.

    Parameters
    ----------
    width_in : float
        Width of the figure in inches.
    dpi : float
        Resolution the figure is rendered at.
    subscripts : bool
        Whether the text has subscripts (drawn at 70 % size).
    minimum : float
        Never return less than this.

    Returns
    -------
    float

    Examples
    --------
    >>> round(fontsize_for(6.0), 1), round(fontsize_for(12.0), 1)
    (10.0, 17.9)
    """
    need = MIN_PX / ((SUBSCRIPT if subscripts else 1.0) * _scale(width_in, dpi))
    return max(minimum, need)


def _text_px(t: Text, scale: float) -> float:
    s = t.get_text()
    sub = "$" in s and ("_" in s or "^" in s)
    return t.get_fontsize() * (SUBSCRIPT if sub else 1.0) * scale


def smallest_text_px(fig: Figure, dpi: float = DPI) -> float:
    """Height in pixels of the smallest text of ``fig`` shown at column width.

    Subscripted mathtext counts at 70 % of its font size.

    Examples
    --------
    >>> fig = Figure(figsize=(6, 2))
    >>> _ = fig.text(0.5, 0.5, "$w_{2}$", fontsize=12)
    >>> round(smallest_text_px(fig), 1)
    12.8
    """
    scale = _scale(fig.get_figwidth(), dpi)
    sizes = [_text_px(t, scale) for t in fig.findobj(Text) if t.get_text().strip()
             and t.get_visible()]
    return min(sizes) if sizes else float("inf")


def _entry_width(label: str, fontsize: float) -> float:
    """Width of one legend entry (swatch, label, gap), in inches."""
    plain = label.replace("$", "").replace("\\", "")
    return (1.4 + 0.55 * (len(plain) + 3)) * fontsize / 72


def legend_rows(entries, fontsize: float, width_in: float) -> list[list]:
    """Split legend entries into rows that fit ``width_in`` inches.

    Examples
    --------
    >>> entries = [("w", "", "inserted zero")] * 4
    >>> [len(r) for r in legend_rows(entries, 12, 4.0)]
    [2, 2]
    """
    rows, row, used = [], [], 0.0
    for e in entries:
        w = _entry_width(e[2], fontsize)
        if row and used + w > width_in * 0.98:
            rows.append(row)
            row, used = [], 0.0
        row.append(e)
        used += w
    if row:
        rows.append(row)
    return rows


def legend_height(entries, fontsize: float, width_in: float) -> float:
    """Height in inches that :func:`legend` needs for ``entries``."""
    return len(legend_rows(entries, fontsize, width_in)) * 1.7 * fontsize / 72


def legend(fig: Figure, entries, *, fontsize: float, y: float = 0.01,
           hatch_color: str = "0.35"):
    """Rows of colour swatches with labels along the bottom of ``fig``.

    Entries that do not fit the figure's width wrap to further rows; reserve
    :func:`legend_height` inches for them.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    entries : sequence of (colour, hatch, label) or (colour, hatch, label, edge)
        ``hatch`` is a Matplotlib hatch pattern or ``""``; ``edge`` the swatch's
        border colour (drawn thick when given).
    fontsize : float
    y : float
        Bottom of the lowest row, in figure coordinates.

    Returns
    -------
    matplotlib.axes.Axes
        An invisible axes spanning the figure's width that holds the legend.
    """
    width_in, height_in = fig.get_figwidth(), fig.get_figheight()
    rows = legend_rows(entries, fontsize, width_in)
    line = 1.7 * fontsize / 72
    ax = fig.add_axes((0.0, y, 1.0, len(rows) * line / height_in))
    ax.set_axis_off()
    ax.set_xlim(0, width_in)
    ax.set_ylim(0, len(rows) * line)
    box, h = 1.4 * fontsize / 72, fontsize / 72
    for k, row in enumerate(rows):
        yc = (len(rows) - k - 0.5) * line
        total = sum(_entry_width(e[2], fontsize) for e in row)
        x = max(0.05, (width_in - total) / 2)
        for color, hatch, label, *edge in row:
            ax.add_patch(Rectangle((x, yc - h / 2), box, h, facecolor=color,
                                   edgecolor=edge[0] if edge else hatch_color,
                                   hatch=hatch or None, linewidth=2.0 if edge else 0.8))
            ax.text(x + box + 0.3 * fontsize / 72, yc, label, ha="left", va="center",
                    fontsize=fontsize)
            x += _entry_width(label, fontsize)
    return ax
