r"""Pictures of correlation versus convolution: which kernel tap multiplies which input.

Used in :ref:`correlation-convolution`. One spatial dimension, input
length ``n``, kernel length ``k``::

    correlation   (x corr w)[o] = sum_m  w[m] * x[o + m]
    convolution   (x conv w)[o] = sum_m  w[m] * x[o - m]
                                = (x corr flip(w))[o - (k-1)]

with ``x`` zero outside ``0 <= a < n``. ``mode="valid"`` keeps the outputs whose window
lies inside the input (like ``np.correlate`` / ``np.convolve`` with ``mode="valid"``),
``mode="full"`` every output that touches it (the input padded by ``k - 1`` zeros on
both sides). The windows come from :func:`convbp.geometry.conv_geometry` and
:func:`convbp.viz.window_cells`; the convolution's taps are the correlation's pushed
through :func:`convbp.flip`, the function the backward pass uses.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .._checks import as_tuple
from ..geometry import conv_geometry
from ..recipe import flip
from .grid import COLORS, draw_grid, finish_axes, subscript
from .windows import window_cells

__all__ = ["correlation_taps", "correlation_figure", "rotation_figure"]

CELL_INCHES = 0.42
_MODES = ("valid", "full")
_ROW_GAP = 1.25     # vertical distance between the strips of two outputs


def _check(op, input_size, kernel_size, mode):
    (n,) = as_tuple(input_size, 1, op, "input_size")
    (k,) = as_tuple(kernel_size, 1, op, "kernel_size")
    if mode not in _MODES:
        raise ValueError(f"{op}: mode must be 'valid' or 'full', got {mode!r}")
    if mode == "valid" and k > n:
        raise ValueError(f"{op}: kernel_size must be at most input_size in mode 'valid', "
                         f"got kernel_size {k} and input_size {n}")
    pad = k - 1 if mode == "full" else 0
    return conv_geometry(op, (n,), (k,), padding=pad)


def correlation_taps(input_size, kernel_size, *, mode="valid", flipped=False,
                     _op="correlation_taps"):
    r"""Which input each kernel tap multiplies, for every output of a 1-D correlation or convolution.

    Parameters
    ----------
    input_size, kernel_size : int
        Lengths ``n`` of the input and ``k`` of the kernel.
    mode : {"valid", "full"}
        As for ``np.correlate`` and ``np.convolve``.
    flipped : bool
        ``False``: the correlation :math:`x \star w`; ``True``: the convolution
        :math:`x \ast w` (the correlation with the flipped kernel).

    Returns
    -------
    list of (int, list of (int, int))
        One entry per output, in the order NumPy returns them: the output's index
        ``o`` in the defining formula, and the pairs ``(a, m)`` "input ``a`` times tap
        ``m``" of its sum, one per tap, in the order of the window's cells. In mode
        ``"full"`` some ``a`` fall outside ``0 <= a < n``: those inputs are zero padding.

    Examples
    --------
    >>> correlation_taps(4, 2)[0]                 # (x corr w)[0] = w0 x0 + w1 x1
    (0, [(0, 0), (1, 1)])
    >>> correlation_taps(4, 2, flipped=True)[0]   # (x conv w)[1] = w1 x0 + w0 x1
    (1, [(0, 1), (1, 0)])
    """
    if not isinstance(flipped, (bool, np.bool_)):
        raise TypeError(f"{_op}: flipped must be True or False, got {flipped!r}")
    geom = _check(_op, input_size, kernel_size, mode)
    (k,), ((lo, _),) = geom.kernel_size, geom.padding
    # the tap that sits on the m-th cell of a window: m itself, or flip(w)'s m-th tap
    ids = np.arange(k).reshape(1, 1, k)
    tap_at = (flip(ids) if flipped else ids)[0, 0]
    rows = []
    for o in range(geom.out_size[0]):
        cells = [c - lo for (c,) in window_cells(geom, (o,))]
        pairs = [(a, int(m)) for a, m in zip(cells, tap_at)]
        # correlation: a = i + m; convolution: a = i - m (the same i for every pair)
        i = pairs[0][0] + pairs[0][1] if flipped else pairs[0][0] - pairs[0][1]
        rows.append((i, pairs))
    return rows


def _strip_labels(names, n, lo, P):
    return [subscript(names[0], a - lo) if 0 <= a - lo < n else "0" for a in range(P)]


def correlation_figure(input_size, kernel_size, *, mode="valid", output=None,
                       names=("x", "w")) -> Figure:
    r"""Correlation (kernel as is) and convolution (kernel flipped) of a 1-D input, side by side.

    Two panels, stacked. Each shows the input as a strip of cells labelled :math:`x_a` (zero
    padding, in mode ``"full"``, labelled 0 and grey) and, under it, one strip per
    output with the kernel tap :math:`w_m` written in the cell of the input it
    multiplies: left the correlation :math:`(x \star w)_i = \sum_m w_m x_{i+m}`, right
    the convolution :math:`(x \ast w)_i = \sum_m w_m x_{i-m}`. Each strip is labelled
    with its index ``o`` in that formula.

    Parameters
    ----------
    input_size, kernel_size : int
        Lengths ``n`` of the input and ``k`` of the kernel.
    mode : {"valid", "full"}
        Which outputs to draw, as for ``np.correlate`` and ``np.convolve``.
    output : int, optional
        Draw only this output (its position ``0 <= output < O`` in NumPy's result);
        default: every output.
    names : (str, str)
        Mathtext names of the input and the kernel, e.g. ``(r"\delta", "w")``.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes, one above the other: the correlation, then the convolution.

    Examples
    --------
    >>> fig = correlation_figure(5, 3)
    >>> len(fig.axes)
    2
    """
    op = "correlation_figure"
    if (not isinstance(names, (tuple, list)) or len(names) != 2
            or not all(isinstance(s, str) and s for s in names)):
        raise ValueError(f"{op}: names must be two non-empty strings (input, kernel), "
                         f"got {names!r}")
    geom = _check(op, input_size, kernel_size, mode)
    (P,), (n,), ((lo, _),), (O,) = geom.padded_size, geom.in_size, geom.padding, geom.out_size
    if output is None:
        shown = list(range(O))
    elif isinstance(output, (int, np.integer)) and not isinstance(output, bool) and 0 <= output < O:
        shown = [int(output)]
    else:
        raise ValueError(f"{op}: output must be None or an int with 0 <= output < {O} "
                         f"(the number of outputs in mode {mode!r}), got {output!r}")
    base = [COLORS["input"] if 0 <= a - lo < n else COLORS["pad"] for a in range(P)]
    header = _strip_labels(names, n, lo, P)
    x_name, w_name = names
    panels = [
        (False, r"\star", f"correlation: ${w_name}_m$ on ${x_name}_{{o+m}}$"),
        (True, r"\ast", f"convolution: ${w_name}_m$ on ${x_name}_{{o-m}}$"),
    ]
    height = 1.0 + 1.6 + _ROW_GAP * len(shown)    # title, input strip, output strips
    # the two panels are stacked, so that the figure fits the book's text column
    fig = Figure(figsize=((P + 3.4) * CELL_INCHES * 1.25,
                          (2 * height + 1.2) * CELL_INCHES * 1.1))
    for p, (flipped, sym, title) in enumerate(panels):
        ax = fig.add_subplot(2, 1, p + 1)
        rows = correlation_taps(n, geom.kernel_size[0], mode=mode, flipped=flipped, _op=op)
        draw_grid(ax, (1, P), labels=[header], colors=[base], fontsize=10, title=title)
        for r, o in enumerate(shown):
            i, pairs = rows[o]
            y = 1.6 + _ROW_GAP * r
            colors, labels = list(base), [""] * P
            for a, m in pairs:
                colors[a + lo] = COLORS["window"]
                labels[a + lo] = subscript(w_name, m)
            draw_grid(ax, (1, P), origin=(0, y), labels=[labels], colors=[colors], fontsize=10)
            name = f"$({x_name} {sym} {w_name})_{{{i}}}$"
            ax.text(-0.3, y + 0.5, name, ha="right", va="center", fontsize=11)
        finish_axes(ax)
        ax.set_xlim(-3.2, P + 0.2)
    handles = [Patch(facecolor=COLORS["window"], edgecolor="0.35",
                     label=f"${w_name}_m$ multiplies this entry")]
    if mode == "full":
        handles.append(Patch(facecolor=COLORS["pad"], edgecolor="0.35",
                             label="zero padding"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=9,
               frameon=False, handlelength=1.4)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.07, top=0.99, hspace=0.05)
    return fig


def rotation_figure(kernel_size, *, name="w") -> Figure:
    r"""A kernel and the flipped kernel, each cell labelled with its original tap.

    The rotated labels are computed by :func:`convbp.flip` (the function the backward
    pass uses), applied to the tap indices: cell ``(i, j)`` of the right panel holds
    :math:`w_{k_1-1-i,\,k_2-1-j}`.

    Parameters
    ----------
    kernel_size : int or (int,) or (int, int)
        A 1-D kernel of length ``k`` or a 2-D kernel of shape ``(k1, k2)``.
    name : str
        Mathtext name of the kernel.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: the kernel, then the flipped kernel (every axis reversed).

    Examples
    --------
    >>> fig = rotation_figure((2, 3))
    >>> len(fig.axes)
    2
    """
    op = "rotation_figure"
    shape = (kernel_size,) if isinstance(kernel_size, (int, np.integer)) else kernel_size
    if not isinstance(shape, (tuple, list)) or len(shape) not in (1, 2):
        raise ValueError(f"{op}: kernel_size must be an int or a tuple of 1 or 2 ints, "
                         f"got {kernel_size!r}")
    shape = as_tuple(tuple(shape), len(shape), op, "kernel_size")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{op}: name must be a non-empty string, got {name!r}")
    taps = list(np.ndindex(*shape))
    ids = np.arange(len(taps)).reshape(1, 1, *shape)
    grid2 = (1, shape[0]) if len(shape) == 1 else shape
    orig = np.array([subscript(name, t) for t in taps], dtype=object).reshape(grid2)
    rot = np.array([subscript(name, taps[v]) for v in flip(ids)[0, 0].ravel()],
                   dtype=object).reshape(grid2)
    colors = np.full(grid2, COLORS["kernel"], dtype=object)
    fig = Figure(figsize=(2 * (grid2[1] + 1.2) * CELL_INCHES * 1.3,
                          (grid2[0] + 1.2) * CELL_INCHES * 1.3))
    for p, (labels, title) in enumerate([(orig, f"${name}$"),
                                         (rot, rf"$\mathrm{{flip}}({name})$")]):
        ax = fig.add_subplot(1, 2, p + 1)
        draw_grid(ax, grid2, labels=labels, colors=colors, fontsize=11, title=title)
        finish_axes(ax)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.98, wspace=0.15)
    return fig
