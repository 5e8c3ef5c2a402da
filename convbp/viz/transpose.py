r"""Pictures of the transposed convolution: every input entry scatters a kernel copy.

Used in the chapter :ref:`transposed-conv`. The pictures use the roles the transposed
convolution plays in the backward pass: its input is :math:`\delta` (length ``O``), its
output is :math:`\partial L/\partial X` (``dx``, length ``n``). A transposed
convolution (:func:`convbp.conv_transpose`) with stride ``s``, padding ``(p_lo, p_hi)``
and dilation ``d`` sends entry :math:`\delta_o` to the output positions

.. math:: a = s\,o + d\,m - p_{lo}, \quad m = 0, \dots, k-1,

each scaled by the kernel tap ``w_m``; the output is the sum of these copies, cut to
``0 <= a < n`` (the padding removes rows). Its length
``n = (O-1)s - p_lo - p_hi + d(k-1) + output_padding + 1`` comes from
:func:`convbp.geometry.conv_transpose_geometry`: the ``output_padding`` rows at the high
end receive no copy. Every position drawn here is read off that geometry.
"""

from __future__ import annotations

import numbers

from matplotlib.figure import Figure

from ..geometry import ConvGeometry, conv_transpose_geometry
from .grid import COLORS, draw_grid, finish_axes, subscript
from .layout import fontsize_for, legend, legend_height

__all__ = ["scatter_cells", "transpose_figure"]

CELL_INCHES = 0.46
OP = "transpose_figure"


def scatter_cells(geom: ConvGeometry, i: int) -> list[int]:
    r"""Output positions that input entry ``i`` (:math:`\delta_i`) of a 1-D transposed convolution writes to.

    Parameters
    ----------
    geom : ConvGeometry
        From :func:`convbp.geometry.conv_transpose_geometry`: ``geom.out_size`` is the
        transposed convolution's input length ``O``, ``geom.in_size`` its output length.
    i : int
        Input position, ``0 <= i < O``.

    Returns
    -------
    list of int
        ``s*i + d*m - p_lo`` for ``m = 0, ..., k-1``, in tap order. Positions outside
        ``0 <= a < n`` are cut off by the padding.

    Examples
    --------
    >>> from convbp.geometry import conv_transpose_geometry
    >>> geom = conv_transpose_geometry("conv_transpose", (3,), (3,), stride=2, padding=1)
    >>> scatter_cells(geom, 0), scatter_cells(geom, 2)
    ([-1, 0, 1], [3, 4, 5])
    """
    if geom.ndim != 1:
        raise ValueError(f"scatter_cells: geom must be 1-D, got {geom.ndim} spatial dims")
    (O,), (k,), (s,), ((lo, _hi),), (d,) = (geom.out_size, geom.kernel_size, geom.stride,
                                            geom.padding, geom.dilation)
    if not isinstance(i, numbers.Integral) or not 0 <= i < O:
        raise ValueError(f"scatter_cells: i must be an int in [0, {O}), got {i!r}")
    return [s * int(i) + d * m - lo for m in range(k)]


def _one_dim(value, name):
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{OP}: {name} must be an int or a 1-tuple (the figure is 1-D), "
                             f"got {tuple(value)!r}")
        value = value[0]
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{OP}: {name} must be an int, got {value!r}")
    return int(value)


def transpose_figure(input_size, kernel_size, stride=1, padding=0, output_padding=0,
                     dilation=1, *, names=(r"\delta", "dx")) -> Figure:
    r"""Draw a 1-D transposed convolution as a sum of scattered, scaled kernel copies.

    One panel per ``output_padding`` value, stacked vertically. In a panel, row ``o``
    shows the copy of the kernel that input entry :math:`\delta_o` writes (tap
    :math:`w_m` at position ``s*o + d*m`` of the uncropped output), and the bottom row
    is their sum, the output ``dx``. Cells removed by the padding are grey (a tap
    landing there is labelled but lost); the ``output_padding`` rows at the high end,
    which no copy reaches, are hatched; output entries that no copy reaches (those, or
    gaps between dilated taps) are red. A legend names each colour that occurs.

    Parameters
    ----------
    input_size : int
        Length ``O`` of the transposed convolution's input.
    kernel_size : int
    stride, padding, dilation
        As accepted by :func:`convbp.conv_transpose` (one spatial dimension).
    output_padding : int or sequence of int
        One panel for each value; each must be smaller than the stride or the dilation.
    names : (str, str)
        Mathtext names of the input and the output entries; the default
        ``(r"\delta", "dx")`` are the roles in the backward pass of a convolution.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per ``output_padding`` value, then the legend's.

    Examples
    --------
    >>> fig = transpose_figure(3, 3, stride=2, output_padding=[0, 1])
    >>> len(fig.axes)      # two panels and the legend
    3
    """
    O = _one_dim(input_size, "input_size")
    k = _one_dim(kernel_size, "kernel_size")
    if isinstance(output_padding, numbers.Integral) and not isinstance(output_padding, bool):
        paddings = [int(output_padding)]
    elif isinstance(output_padding, (tuple, list)) and output_padding:
        paddings = list(output_padding)
    else:
        raise ValueError(f"{OP}: output_padding must be an int or a non-empty sequence of "
                         f"ints (one panel each), got {output_padding!r}")
    if O < 1 or k < 1:
        raise ValueError(f"{OP}: input_size and kernel_size must be positive, got "
                         f"input_size={O}, kernel_size={k}")
    if (not isinstance(names, (tuple, list)) or len(names) != 2
            or not all(isinstance(v, str) and v for v in names)):
        raise ValueError(f"{OP}: names must be two non-empty strings (input, output), "
                         f"got {names!r}")
    geoms = [conv_transpose_geometry(OP, (O,), (k,), stride, padding, op, dilation)
             for op in paddings]
    width = max(geom.padded_size[0] for geom in geoms) + 3.4
    width_in = max(width * CELL_INCHES, 5.0)
    fs = fontsize_for(width_in)
    entries = [(COLORS["kernel"], "", "kernel tap"), (COLORS["output"], "", "sum")]
    if any(geom.padding[0] != (0, 0) for geom in geoms):
        entries.append((COLORS["pad"], "", "cut off by the padding"))
    unreached = any(_unreached(geom) for geom in geoms)
    if unreached:
        entries.append((COLORS["leftover"], "", "no copy arrives: 0"))
    if any(geom.remainder[0] for geom in geoms):
        entries.append(("white", "///", "output_padding rows"))
    legend_in = legend_height(entries, fs, width_in)
    height = (O + 4.2) * CELL_INCHES * 1.05
    fig = Figure(figsize=(width_in, len(geoms) * height + legend_in + 0.1))
    bottom = (legend_in + 0.1) / fig.get_figheight()
    gs = fig.add_gridspec(len(geoms), 1, bottom=bottom, top=0.98, left=0.01, right=0.99,
                          hspace=0.08)
    for j, geom in enumerate(geoms):                # panels stacked, one per row
        ax = fig.add_subplot(gs[j, 0])
        _panel(ax, geom, *names, fs)
        ax.set_xlim(-2.9, width - 2.9)              # same scale in every panel
    legend(fig, entries, fontsize=fs, y=0.01)
    return fig


def _unreached(geom: ConvGeometry) -> bool:
    """Whether some output entry receives no kernel copy."""
    (O,), (n,), ((lo, _hi),) = geom.out_size, geom.in_size, geom.padding
    reached = {a for i in range(O) for a in scatter_cells(geom, i)}
    return any(a not in reached for a in range(n))


def _panel(ax, geom: ConvGeometry, x_name: str, y_name: str, fs: float):
    (O,), (n,), ((lo, hi),), (s,), (d,) = (geom.out_size, geom.in_size, geom.padding,
                                           geom.stride, geom.dilation)
    (L,), (r,) = geom.padded_size, geom.remainder    # uncropped length; output_padding rows
    cropped = [u < lo or u >= lo + n for u in range(L)]
    unreached = [u >= L - r for u in range(L)]
    base = [COLORS["pad"] if c else COLORS["zero"] for c in cropped]
    hatches = ["///" if z else "" for z in unreached]
    for i in range(O):
        colors, labels = list(base), [""] * L
        for m, a in enumerate(scatter_cells(geom, i)):
            # a copy landing in a cropped cell keeps its label but not its colour
            colors[a + lo] = COLORS["pad"] if cropped[a + lo] else COLORS["kernel"]
            labels[a + lo] = subscript("w", m)
        draw_grid(ax, (1, L), origin=(0, 1.2 * i), labels=[labels], colors=[colors],
                  hatches=[hatches], fontsize=fs)
        ax.text(-0.3, 1.2 * i + 0.5, subscript(x_name, i) + r"$\,\times$", ha="right",
                va="center", fontsize=fs)
    y0 = 1.2 * O + 0.5
    reached = {a + lo for i in range(O) for a in scatter_cells(geom, i)}
    colors, labels = [], []
    for u in range(L):
        if cropped[u]:
            colors.append(COLORS["pad"])
            labels.append("")
        else:
            colors.append(COLORS["output"] if u in reached else COLORS["leftover"])
            labels.append(subscript(y_name, u - lo))
    draw_grid(ax, (1, L), origin=(0, y0), labels=[labels], colors=[colors], hatches=[hatches],
              fontsize=fs)
    ax.plot([-0.2, L + 0.2], [y0 - 0.25, y0 - 0.25], color="black", linewidth=1.2)
    ax.text(-0.3, y0 + 0.5, "sum", ha="right", va="center", fontsize=fs)
    title = f"output_padding = {r}: {O} inputs, {n} outputs"
    ax.text(L / 2, -0.35, title, ha="center", va="bottom", fontsize=fs)
    finish_axes(ax)
    ax.set_xlim(-2.9, L + 0.2)
