r"""The matrix view of the input gradient, and its stride phases.

Used in the chapter :ref:`backward-strided`. For one channel and one spatial dimension
the convolution is linear in its input, :math:`Y = C X`, and the input gradient is
:math:`\partial L/\partial X = C^\top \delta`. Entry :math:`(a, o)` of
:math:`C^\top` is the kernel tap :math:`W_m` with

.. math:: s\,o + d\,m - p_{lo} = a,

so column :math:`o` holds a copy of the kernel starting at input row
:math:`s\,o - p_{lo}` (the scatter picture: :math:`\delta_o` stamps a scaled copy of
:math:`W` there). Rows of one *stride phase* :math:`\rho = (a + p_{lo}) \bmod s` meet
only the taps with :math:`d\,m \equiv \rho \pmod s`; sorted by phase, :math:`C^\top`
falls into blocks, and each block is the matrix of a stride-1 correlation of
:math:`\delta` with those taps. That is how :func:`convbp.conv_backward` avoids the
zeros of the dilated :math:`\delta` (see :func:`convbp.geometry.input_phases`).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..geometry import ConvGeometry, conv_geometry
from .grid import COLORS, draw_grid, finish_axes, subscript
from .layout import fontsize_for, legend, legend_height

__all__ = ["transpose_entries", "phase_rows", "matrix_figure"]

OP = "matrix_figure"
CELL_INCHES = 0.42
PHASE_COLORS = ("#cfe2f3", "#f9e0c7", "#d9ead3", "#e6d5ee", "#fff2b3")


def _geometry(op, n, k, stride, padding, dilation) -> ConvGeometry:
    if not (np.isscalar(n) and np.isscalar(k)):
        raise ValueError(f"{op}: the matrix view is drawn for one spatial dim; n and k "
                         f"must be ints, got n={n!r}, k={k!r}")
    return conv_geometry(op, (n,), (k,), stride, padding, dilation)


def transpose_entries(geom: ConvGeometry) -> np.ndarray:
    r"""Which kernel tap sits at each entry of :math:`C^\top` (1-D, one channel).

    Parameters
    ----------
    geom : ConvGeometry
        One spatial dimension.

    Returns
    -------
    ndarray of object, shape (n, O)
        Entry ``[a, o]`` is the tap ``m`` with ``s*o + d*m - p_lo == a``, or ``None``
        (a zero of the matrix).

    Examples
    --------
    >>> from convbp.geometry import conv_geometry
    >>> t = transpose_entries(conv_geometry("conv", (5,), (3,), stride=2))
    >>> t.tolist()
    [[0, None], [1, None], [2, 0], [None, 1], [None, 2]]
    """
    if geom.ndim != 1:
        raise ValueError(f"transpose_entries: geom must be 1-D, got {geom.ndim} spatial dims")
    (n,), (k,), (s,), ((lo, _hi),), (d,), (O,) = (geom.in_size, geom.kernel_size,
                                                  geom.stride, geom.padding, geom.dilation,
                                                  geom.out_size)
    out = np.full((n, O), None, dtype=object)
    for o in range(O):
        for m in range(k):
            a = s * o + d * m - lo
            if 0 <= a < n:
                out[a, o] = m
    return out


def phase_rows(geom: ConvGeometry) -> list[tuple[int, list[int], list[int]]]:
    r"""The stride phases of the input rows and the kernel taps each one meets.

    Returns
    -------
    list of (rho, rows, taps)
        For every phase :math:`\rho = 0, \dots, s-1` that has input rows: the rows
        ``a`` with ``(a + p_lo) % s == rho`` and the taps ``m`` with
        ``(d*m) % s == rho``.

    Examples
    --------
    >>> from convbp.geometry import conv_geometry
    >>> phase_rows(conv_geometry("conv", (5,), (3,), stride=2))
    [(0, [0, 2, 4], [0, 2]), (1, [1, 3], [1])]
    """
    if geom.ndim != 1:
        raise ValueError(f"phase_rows: geom must be 1-D, got {geom.ndim} spatial dims")
    (n,), (k,), (s,), ((lo, _hi),), (d,) = (geom.in_size, geom.kernel_size, geom.stride,
                                            geom.padding, geom.dilation)
    out = []
    for rho in range(s):
        rows = [a for a in range(n) if (a + lo) % s == rho]
        if rows:
            out.append((rho, rows, [m for m in range(k) if (d * m) % s == rho]))
    return out


def _matrix_panel(ax, entries, rows, phase_of, fs, title, separators=()):
    n_rows, O = len(rows), entries.shape[1]
    labels = np.full((n_rows, O), "", dtype=object)
    colors = np.full((n_rows, O), COLORS["zero"], dtype=object)
    for i, a in enumerate(rows):
        for o in range(O):
            m = entries[a, o]
            if m is not None:
                labels[i, o] = subscript("w", m)
                colors[i, o] = PHASE_COLORS[phase_of[a] % len(PHASE_COLORS)]
    draw_grid(ax, (n_rows, O), origin=(0, 0), labels=labels, colors=colors, fontsize=fs)
    for o in range(O):
        ax.text(o + 0.5, -0.15, subscript(r"\delta", o), ha="center", va="bottom",
                fontsize=fs)
    for i, a in enumerate(rows):
        ax.text(-0.15, i + 0.5, subscript("X", a), ha="right", va="center", fontsize=fs)
    for i in separators:
        ax.plot([-1.6, O + 0.1], [i, i], color="black", linewidth=2.0)
    ax.text(O / 2, -1.05, title, ha="center", va="bottom", fontsize=fs + 1)
    finish_axes(ax)


def matrix_figure(n: int, k: int, stride: int = 1, padding=0, dilation: int = 1, *,
                  phases: bool = True) -> Figure:
    r"""The matrix :math:`C^\top` of the input gradient, and the same rows sorted by phase.

    Left: :math:`C^\top` with one row per input position :math:`X_a` and one column
    per :math:`\delta_o`; entry :math:`(a, o)` shows the kernel tap that links them,
    so column :math:`o` is the copy of :math:`W` that :math:`\delta_o` stamps at
    :math:`s\,o - p_{lo}`. Cells are coloured by the stride phase of their row. Right
    (``phases=True``): the rows regrouped by phase; each block uses only some of the
    taps and is a banded (stride-1) matrix.

    Parameters
    ----------
    n, k : int
        Input and kernel length (one spatial dimension).
    stride, padding, dilation
        As accepted by :func:`convbp.conv`.
    phases : bool
        Draw the regrouped matrix too.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per matrix, and one more for the legend of the phases.

    Examples
    --------
    >>> fig = matrix_figure(9, 3, stride=2)
    >>> len(fig.axes)      # two matrices and the legend
    3

    See Also
    --------
    transpose_entries, phase_rows
    convbp.viz.transpose.transpose_figure : the same sum drawn as scattered copies.
    """
    geom = _geometry(OP, n, k, stride, padding, dilation)
    entries = transpose_entries(geom)
    (n,), (O,), ((lo, _hi),), (s,) = geom.in_size, geom.out_size, geom.padding, geom.stride
    phase_of = [(a + lo) % s for a in range(n)]
    groups = phase_rows(geom)
    panel_w = O + 2.2
    width = (2 * panel_w + 0.6 if phases else panel_w + 0.4) * CELL_INCHES * 1.1
    width = max(width, 4.5)
    fs = fontsize_for(width)
    entries_legend = []
    for rho, _rows, taps in groups:
        tap_text = ", ".join(subscript("w", m) for m in taps) if taps else "no tap"
        entries_legend.append((PHASE_COLORS[rho % len(PHASE_COLORS)], "",
                               rf"$a + p_{{lo}} \equiv {rho}$ (mod {s}): " + tap_text))
    if s == 1:
        entries_legend = [(PHASE_COLORS[0], "", "kernel tap")]
    legend_in = legend_height(entries_legend, fs, width)
    height = (n + 2.4) * CELL_INCHES * 1.1 + legend_in
    fig = Figure(figsize=(width, height))
    bottom = (legend_in + 0.1) / height
    gs = fig.add_gridspec(1, 2 if phases else 1, bottom=bottom, top=0.98, left=0.02,
                          right=0.98, wspace=0.15)
    _matrix_panel(fig.add_subplot(gs[0, 0]), entries, list(range(n)), phase_of, fs,
                  r"$C^\top$")
    if phases:
        rows = [a for _rho, rs, _taps in groups for a in rs]
        seps, acc = [], 0
        for _rho, rs, _taps in groups[:-1]:
            acc += len(rs)
            seps.append(acc)
        _matrix_panel(fig.add_subplot(gs[0, 1]), entries, rows, phase_of, fs,
                      "rows sorted by phase", seps)
    legend(fig, entries_legend, fontsize=fs, y=0.01)
    return fig
