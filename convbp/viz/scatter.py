r"""The scatter picture of the input gradient: each :math:`\delta_o` stamps a copy of W.

Derived in the book chapter :ref:`first-look`. One spatial dimension, one channel::

    Y[o] = sum_m W[m] * X[s*o + d*m - p_lo]
    dL/dX[a] = sum_o delta[o] * dY[o]/dX[a]
             = sum_o sum_m delta[o] * W[m] * [a = s*o + d*m - p_lo]

Read by outputs, the double sum says: output ``o`` adds ``delta[o] * W[m]`` to the
input position ``s*o + d*m - p_lo`` that tap ``m`` read in the forward pass. Every
``delta[o]`` stamps a copy of the kernel, scaled by ``delta[o]``, at the position where
its window started, and ``dL/dX`` is the sum of the stamps. In matrix form,
``Y = C X`` and ``dL/dX = C^T delta``: the stamps are the rows of ``C``. Taps that land
on padding are dropped (the padding is not an input).

The positions come straight from the index formula above, not from the window code of
:mod:`convbp.geometry`; the tests check the stamps' sums against
:func:`convbp.conv_backward` and a dense Jacobian.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..geometry import conv_geometry
from .grid import COLORS, draw_grid, finish_axes, subscript

__all__ = ["scatter_terms", "scatter_figure"]

CELL_INCHES = 0.56
_GAP = 1.3   # vertical distance between two strips


def _geometry(op, input_size, kernel_size, stride, padding, dilation):
    n = input_size if np.isscalar(input_size) else tuple(input_size)
    k = kernel_size if np.isscalar(kernel_size) else tuple(kernel_size)
    if not np.isscalar(n):
        if len(n) != 1:
            raise ValueError(f"{op}: input_size must be one int (1-D), got {input_size!r}")
        (n,) = n
    if not np.isscalar(k):
        if len(k) != 1:
            raise ValueError(f"{op}: kernel_size must be one int (1-D), got {kernel_size!r}")
        (k,) = k
    return conv_geometry(op, (n,), (k,), stride, padding, dilation)


def scatter_terms(input_size, kernel_size, stride=1, padding=0, dilation=1,
                  *, _op="scatter_terms"):
    r"""Where each :math:`\delta_o` stamps each kernel tap, for a 1-D convolution.

    Parameters
    ----------
    input_size, kernel_size : int
        Lengths ``n`` of the input and ``k`` of the kernel.
    stride, padding, dilation
        As accepted by :func:`convbp.conv` for one spatial dimension.

    Returns
    -------
    list of list of (int, int)
        Entry ``o`` lists the pairs ``(a, m)``: :math:`\delta_o W_m` is added to
        :math:`\partial L/\partial X_a`, with ``a = s*o + d*m - p_lo``. Pairs whose
        ``a`` falls on padding (outside ``0 <= a < n``) are included; callers that sum
        the gradient drop them.

    Examples
    --------
    >>> scatter_terms(5, 3, stride=2)        # dL/dX_2 = delta_0 W_2 + delta_1 W_0
    [[(0, 0), (1, 1), (2, 2)], [(2, 0), (3, 1), (4, 2)]]

    See Also
    --------
    scatter_figure : draws these stamps.
    convbp.conv_backward : computes their sum.
    """
    geom = _geometry(_op, input_size, kernel_size, stride, padding, dilation)
    (s,), (d,), ((lo, _),) = geom.stride, geom.dilation, geom.padding
    (O,), (k,) = geom.out_size, geom.kernel_size
    return [[(s * o + d * m - lo, m) for m in range(k)] for o in range(O)]


def _number(v) -> str:
    v = float(v)
    text = str(int(v)) if v == int(v) else f"{v:.2f}"
    return text.replace("-", "\u2212")   # a typographic minus


def scatter_figure(input_size, kernel_size, stride=1, padding=0, dilation=1, *,
                   dy=None, w=None) -> Figure:
    r"""Draw :math:`\partial L/\partial X` as a sum of scaled kernel copies (1-D).

    One strip per output ``o``: the cells of the (padded) input that its window read,
    each labelled :math:`\delta_o w_m` (figures, like SymPy, write entries in
    lower case), the product it contributes there. The bottom
    strip is :math:`\partial L/\partial X`, the sum of each column. Input cells that no
    window reads get nothing and are hatched; taps on padding (grey) are dropped.

    Parameters
    ----------
    input_size, kernel_size : int
        Lengths ``n`` and ``k``.
    stride, padding, dilation
        As accepted by :func:`convbp.conv` for one spatial dimension.
    dy : array_like, shape (O,), optional
        Values of :math:`\delta`. Together with ``w``, each stamp also shows its value
        and the bottom strip the sums. Without them the bottom strip shows how many
        terms each :math:`\partial L/\partial X_a` has.
    w : array_like, shape (k,), optional
        Values of the kernel.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = scatter_figure(8, 3, stride=2, dy=[1, -1, 2], w=[1, 2, 3])
    >>> len(fig.axes)
    1

    See Also
    --------
    scatter_terms : the stamp positions drawn here.
    convbp.viz.windows_figure : the same windows, read forwards.
    """
    op = "scatter_figure"
    geom = _geometry(op, input_size, kernel_size, stride, padding, dilation)
    terms = scatter_terms(input_size, kernel_size, stride, padding, dilation, _op=op)
    (n,), (k,), (O,), ((lo, hi),) = (geom.in_size, geom.kernel_size, geom.out_size,
                                     geom.padding)
    if (dy is None) != (w is None):
        raise ValueError(f"{op}: pass both dy and w or neither, got "
                         f"dy={'None' if dy is None else 'values'} and "
                         f"w={'None' if w is None else 'values'}")
    numeric = dy is not None
    if numeric:
        dy = np.asarray(dy, dtype=float)
        w = np.asarray(w, dtype=float)
        if dy.shape != (O,):
            raise ValueError(f"{op}: dy must have shape ({O},) (one entry per output), "
                             f"got {dy.shape}")
        if w.shape != (k,):
            raise ValueError(f"{op}: w must have shape ({k},), got {w.shape}")
    P = lo + n + hi
    inside = [lo <= c < lo + n for c in range(P)]
    base = [COLORS["input"] if i else COLORS["pad"] for i in inside]
    count = np.zeros(n, dtype=int)
    total = np.zeros(n)
    fig = Figure(figsize=((P + 2.4) * CELL_INCHES,
                          (1.1 + _GAP * (O + 1.4)) * CELL_INCHES))
    ax = fig.add_subplot()
    fs = 10
    for o, pairs in enumerate(terms):
        y0 = _GAP * o
        colors, labels = ["white"] * P, [""] * P
        for a, m in pairs:
            c = a + lo
            colors[c] = COLORS["kernel"] if inside[c] else COLORS["pad"]
            label = f"$\\delta_{{{o}}} w_{{{m}}}$"
            if numeric:
                label += "\n" + _number(dy[o] * w[m])
            labels[c] = label
            if inside[c]:
                count[a] += 1
                if numeric:
                    total[a] += dy[o] * w[m]
        draw_grid(ax, (1, P), origin=(0, y0), labels=[labels], colors=[colors],
                  fontsize=fs)
        name = subscript(r"\delta", o) + r"$\,W$"
        ax.text(-0.3, y0 + 0.5, name, ha="right", va="center", fontsize=fs + 1)
    y0 = _GAP * O + 0.4
    ax.plot([0, P], [y0 - 0.2, y0 - 0.2], color="0.2", linewidth=1.2)
    colors, hatches, labels = list(base), [""] * P, [""] * P
    for c in range(P):
        if not inside[c]:
            continue
        a = c - lo
        if count[a] == 0:
            colors[c], hatches[c] = COLORS["leftover"], "///"
        labels[c] = _number(total[a]) if numeric else str(count[a])
    draw_grid(ax, (1, P), origin=(0, y0), labels=[labels], colors=[colors],
              hatches=[hatches], fontsize=fs + 1)
    what = r"$\partial L/\partial X$" if numeric else "terms"
    ax.text(-0.3, y0 + 0.5, what, ha="right", va="center", fontsize=fs + 1)
    for c in range(P):   # input index under the bottom strip
        text = str(c - lo) if inside[c] else "pad"
        ax.text(c + 0.5, y0 + 1.35, text, ha="center", va="center", fontsize=fs - 1,
                color="0.3")
    ax.text(-0.3, y0 + 1.35, "$a$", ha="right", va="center", fontsize=fs, color="0.3")
    finish_axes(ax)
    ax.set_xlim(-2.3, P + 0.1)
    handles = [Patch(facecolor=COLORS["kernel"], edgecolor="0.35",
                     label=r"$\delta_o w_m$ added to $\partial L/\partial X_a$")]
    if lo or hi:
        handles.append(Patch(facecolor=COLORS["pad"], edgecolor="0.35",
                             label="padding: dropped"))
    if np.any(count == 0):
        handles.append(Patch(facecolor=COLORS["leftover"], edgecolor="0.35",
                             hatch="///", label="never read: gradient 0"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles),
               fontsize=fs - 1, frameon=False, handlelength=1.4)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.09)
    return fig
