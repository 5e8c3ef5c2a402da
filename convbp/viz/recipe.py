r"""Pictures of the dilate-pad-flip recipe for the input gradient.

Used in the chapters :ref:`backward-stride1`, :ref:`backward-strided` and
:ref:`general-rule`. The pictures are built from the package's own recipe: integer
labels are pushed through :func:`convbp.dilate`, the padding
:attr:`convbp.geometry.ConvGeometry.dx_padding` and :func:`convbp.flip`, so each cell shows exactly
which :math:`\delta` entry or kernel tap the code puts there. In the book's notation
:math:`\tilde\delta = \operatorname{dil}_s(\delta)` and :math:`\hat\delta` is
:math:`\tilde\delta` padded by :math:`(P_{lo}, P_{hi})`; then
:math:`\partial L/\partial X = \hat\delta \star_{1,d} \operatorname{flip}(W)`.

The numbers in the :math:`\partial L/\partial X` panels come from a worked example with
small integers, :math:`\delta = 1, 2, 3, \dots` and :math:`W = 1, 2, 3, \dots` in
reading order (:func:`~convbp.viz.recipe.example_values`), so a reader can redo any cell by hand.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..geometry import conv_geometry
from ..padding import pad_or_crop
from ..recipe import dilate, flip
from .gif import frames_to_gif
from .grid import COLORS, draw_grid, finish_axes, subscript
from .layout import fontsize_for, legend, legend_height

__all__ = ["RecipeLayout", "recipe_layout", "recipe_figure", "recipe_animation",
           "recipe_frames", "example_values"]

CELL_INCHES = 0.42       # static figure
FRAME_CELL_INCHES = 0.56  # animation: two labels per window cell
FRAME_DPI = 90
TAP_COLOR = "#a64d00"    # text colour of the kernel taps drawn on top of delta-hat


class RecipeLayout:
    r"""The arrays of the recipe for one channel, as labels.

    Attributes
    ----------
    geom : ConvGeometry
    delta_index : ndarray of object, shape (*out)
        Index tuple of each :math:`\delta` entry.
    padded : ndarray of object, shape (*spatial + d(k-1))
        For every cell of :math:`\hat\delta` (the dilated and padded :math:`\delta`):
        the index tuple of the :math:`\delta` entry it holds, ``"zero"`` (inserted by
        the dilation) or ``"pad"`` (padding).
    flipped : ndarray of object, shape (*kernel)
        Index tuple of the original kernel tap at each position of the flipped kernel.
    """

    def __init__(self, geom):
        self.geom = geom
        out, kernel = geom.out_size, geom.kernel_size
        ids = np.arange(1, int(np.prod(out)) + 1, dtype=float).reshape(1, 1, *out)
        dil = dilate(ids, geom.stride)
        in_range = pad_or_crop(np.ones_like(dil), geom.dx_padding)[0, 0]
        padded_ids = pad_or_crop(dil, geom.dx_padding)[0, 0]
        delta_index = list(np.ndindex(*out))
        self.delta_index = np.empty(out, dtype=object)
        for t in delta_index:
            self.delta_index[t] = t
        self.padded = np.empty(padded_ids.shape, dtype=object)
        for cell in np.ndindex(*padded_ids.shape):
            v = int(padded_ids[cell])
            self.padded[cell] = delta_index[v - 1] if v else ("zero" if in_range[cell] else "pad")
        kid = np.arange(int(np.prod(kernel)), dtype=float).reshape(1, 1, *kernel)
        taps = list(np.ndindex(*kernel))
        self.flipped = np.empty(kernel, dtype=object)
        for cell, v in zip(np.ndindex(*kernel), flip(kid)[0, 0].ravel()):
            self.flipped[cell] = taps[int(v)]

    def terms(self, a) -> list[tuple[tuple, tuple]]:
        r"""Nonzero products that make up :math:`\partial L/\partial X_a`.

        Slides the flipped kernel (its taps ``d`` apart) to position ``a`` of
        :math:`\hat\delta` and keeps the cells holding a real :math:`\delta` entry.

        Returns
        -------
        list of (delta index, kernel tap index)
        """
        out = []
        for mp, cell in zip(np.ndindex(*self.geom.kernel_size), self.window(a)):
            v = self.padded[cell]
            if isinstance(v, tuple):
                out.append((v, self.flipped[mp]))
        return out

    def window(self, a) -> list[tuple[int, ...]]:
        r"""Cells of :math:`\hat\delta` under the flipped kernel at position ``a``.

        One cell per tap of the flipped kernel, in its row-major order: ``a + d*m'``.
        """
        geom = self.geom
        return [tuple(ai + d * m for ai, d, m in zip(a, geom.dilation, mp))
                for mp in np.ndindex(*geom.kernel_size)]


def recipe_layout(input_size, kernel_size, stride=1, padding=0, dilation=1) -> RecipeLayout:
    """Geometry and labels of the input-gradient recipe for a 1-D or 2-D single channel.

    Examples
    --------
    >>> lay = recipe_layout((5, 5), (3, 3), stride=2)
    >>> lay.terms((2, 2))      # which delta entries meet which kernel taps at X_22
    [((0, 0), (2, 2)), ((0, 1), (2, 0)), ((1, 0), (0, 2)), ((1, 1), (0, 0))]

    See Also
    --------
    convbp.conv_backward_as_convolutions : the same recipe on arrays.
    """
    input_size = (input_size,) if np.isscalar(input_size) else tuple(input_size)
    kernel_size = (kernel_size,) * len(input_size) if np.isscalar(kernel_size) else tuple(kernel_size)
    if len(input_size) not in (1, 2):
        raise ValueError(f"recipe_figure: input_size must have 1 or 2 dims, got {input_size}")
    return RecipeLayout(conv_geometry("recipe_figure", input_size, kernel_size, stride, padding,
                                      dilation))


def example_values(lay: RecipeLayout):
    r"""The worked example of the pictures: small integers and the gradient they give.

    Returns
    -------
    dy : ndarray of int, shape (*out)
        :math:`\delta = 1, 2, 3, \dots` in reading order.
    w : ndarray of int, shape (*kernel)
        :math:`W = 1, 2, 3, \dots` in reading order.
    dx : ndarray of int, shape (*spatial)
        :math:`\partial L/\partial X`, summed from :meth:`convbp.viz.RecipeLayout.terms`.

    Examples
    --------
    >>> dy, w, dx = example_values(recipe_layout(5, 3, stride=2))
    >>> dy.tolist(), w.tolist(), dx.tolist()
    ([1, 2], [1, 2, 3], [1, 2, 5, 4, 6])
    """
    geom = lay.geom
    dy = np.arange(1, int(np.prod(geom.out_size)) + 1).reshape(geom.out_size)
    w = np.arange(1, int(np.prod(geom.kernel_size)) + 1).reshape(geom.kernel_size)
    dx = np.zeros(geom.in_size, dtype=int)
    for a in np.ndindex(*geom.in_size):
        dx[a] = sum(int(dy[t] * w[m]) for t, m in lay.terms(a))
    return dy, w, dx


def _padded_title(geom) -> str:
    if all(s == 1 for s in geom.stride):
        return r"$\hat\delta$: $\delta$ padded"
    return r"$\hat\delta$: $\delta$ dilated, padded"


def _as2d(a):
    return a.reshape(1, -1) if a.ndim == 1 else a


def _cell2d(cell):
    return tuple(cell) if len(cell) == 2 else (0, cell[0])


def _delta_grid(lay):
    p = _as2d(lay.padded)
    labels = np.empty(p.shape, dtype=object)
    colors = np.empty(p.shape, dtype=object)
    for cell in np.ndindex(*p.shape):
        v = p[cell]
        if isinstance(v, tuple):
            labels[cell], colors[cell] = subscript(r"\delta", v), COLORS["delta"]
        else:
            labels[cell] = "0"
            colors[cell] = COLORS["zero"] if v == "zero" else COLORS["pad"]
    return labels, colors


def _kernel_grid(lay):
    """The flipped kernel with its taps ``d`` apart (gaps blank), as drawn on the grid."""
    geom = lay.geom
    shape = tuple(d * (k - 1) + 1 for k, d in zip(geom.kernel_size, geom.dilation))
    labels = np.full(shape, "", dtype=object)
    colors = np.full(shape, COLORS["zero"], dtype=object)
    for mp in np.ndindex(*geom.kernel_size):
        cell = tuple(d * m for d, m in zip(geom.dilation, mp))
        labels[cell] = subscript("w", lay.flipped[mp])
        colors[cell] = COLORS["kernel"]
    return _as2d(labels), _as2d(colors)


def _unread(geom):
    """Boolean mask of the real input rows that no window reads (the unread tail)."""
    mask = np.zeros(geom.in_size, dtype=bool)
    for axis, (n, tail) in enumerate(zip(geom.in_size, geom.unread_tail)):
        if tail:
            idx = [slice(None)] * geom.ndim
            idx[axis] = slice(n - tail, n)
            mask[tuple(idx)] = True
    return mask


def _dx_colors(lay):
    unread = _as2d(_unread(lay.geom))
    colors = np.where(unread, COLORS["leftover"], COLORS["output"]).astype(object)
    hatches = np.where(unread, "///", "").astype(object)
    return colors, hatches


def _legend_entries(lay, kernel=True):
    geom = lay.geom
    kinds = {v if isinstance(v, str) else "delta" for v in lay.padded.flat}
    entries = [(COLORS["delta"], "", r"entry of $\delta$")]
    if "zero" in kinds:
        entries.append((COLORS["zero"], "", "inserted zero"))
    if "pad" in kinds:
        entries.append((COLORS["pad"], "", "padding"))
    if kernel == "overlay":
        entries.append(("white", "", "flipped kernel tap", TAP_COLOR))
    elif kernel:
        entries.append((COLORS["kernel"], "", "flipped kernel tap"))
    if _unread(geom).any():
        entries.append((COLORS["leftover"], "///", "never read: gradient 0"))
    return entries


def _values_note(lay) -> str:
    return (r"numbers: $\delta$ = 1, 2, 3, ... and $W$ = 1, 2, 3, ... in reading order"
            if lay.geom.ndim == 2 else
            r"numbers: $\delta$ = 1, 2, ... and $W$ = 1, 2, ..., left to right")


def recipe_figure(input_size, kernel_size, stride=1, padding=0, dilation=1, *,
                  values: bool = True) -> Figure:
    r"""The input-gradient recipe in four panels, with a legend.

    :math:`\delta`; :math:`\hat\delta`, that is :math:`\delta` dilated with ``s - 1``
    zeros and padded by :math:`(P_{lo}, P_{hi})`; the flipped kernel, its taps ``d``
    apart; and :math:`\partial L/\partial X`, whose unread rows (never read by the
    forward pass) are hatched.

    Parameters
    ----------
    input_size, kernel_size : int or (int, int)
    stride, padding, dilation
        As accepted by :func:`convbp.conv`.
    values : bool
        Fill :math:`\partial L/\partial X` with the worked example of
        :func:`~convbp.viz.recipe.example_values`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = recipe_figure((5, 5), (3, 3), stride=2)
    >>> len(fig.axes)      # four panels and the legend
    5

    See Also
    --------
    recipe_animation : the same recipe, one output cell per frame.
    """
    lay = recipe_layout(input_size, kernel_size, stride, padding, dilation)
    geom = lay.geom
    d = _as2d(lay.delta_index)
    d_labels = np.vectorize(lambda t: subscript(r"\delta", t), otypes=[object])(d)
    p_labels, p_colors = _delta_grid(lay)
    k_labels, k_colors = _kernel_grid(lay)
    x_colors, x_hatches = _dx_colors(lay)
    x_labels = np.full(x_colors.shape, "", dtype=object)
    if values:
        x_labels = _as2d(example_values(lay)[2]).astype(str).astype(object)
    kernel_title = ("flipped kernel" if all(v == 1 for v in geom.dilation)
                    else "flipped kernel, taps $d$ apart")
    panels = [
        (d_labels, np.full(d.shape, COLORS["delta"], dtype=object), None, r"$\delta$"),
        (p_labels, p_colors, None, _padded_title(geom)),
        (k_labels, k_colors, None, kernel_title),
        (x_labels, x_colors, x_hatches, r"$\partial L/\partial X$"),
    ]
    if geom.ndim == 1:
        width = max(max(lab.shape[1] for lab, *_ in panels) + 1.0, 11) * CELL_INCHES * 1.3
    else:
        width = sum(lab.shape[1] + 1.3 for lab, *_ in panels) * CELL_INCHES
    fs = fontsize_for(width)
    entries = _legend_entries(lay)
    note_in = 1.7 * fs / 72 if values else 0.0
    legend_in = legend_height(entries, fs, width) + note_in
    if geom.ndim == 1:
        panel_h = 1.9 * CELL_INCHES * 1.3
        height = len(panels) * panel_h + legend_in + 0.1
        gs = None
    else:
        height = (max(lab.shape[0] for lab, *_ in panels) + 1.6) * CELL_INCHES + legend_in
    fig = Figure(figsize=(width, height))
    bottom = (legend_in + 0.05) / height
    if geom.ndim == 1:
        gs = fig.add_gridspec(len(panels), 1, bottom=bottom, top=0.97, left=0.01, right=0.99,
                              hspace=0.35)
    else:
        gs = fig.add_gridspec(1, len(panels), width_ratios=[lab.shape[1] + 1.3
                                                           for lab, *_ in panels],
                              bottom=bottom, top=0.93, left=0.01, right=0.99, wspace=0.08)
    for k, (labels, colors, hatches, title) in enumerate(panels):
        ax = fig.add_subplot(gs[k, 0] if geom.ndim == 1 else gs[0, k])
        ax.set_anchor("W" if geom.ndim == 1 else "C")
        draw_grid(ax, labels.shape, labels=labels, colors=colors, hatches=hatches,
                  title=title, fontsize=fs)
        finish_axes(ax)
        if geom.ndim == 1:
            ax.set_xlim(-0.2, max(lab.shape[1] for lab, *_ in panels) + 0.2)
    legend(fig, entries, fontsize=fs, y=0.01 + note_in / height)
    if values:
        fig.text(0.5, 0.01 + 0.4 * note_in / height, _values_note(lay), ha="center",
                 va="center", fontsize=fs)
    return fig


def _expression(lay, a, dy, w) -> list[str]:
    """The frame caption: the sum of products at ``a``, symbols then numbers."""
    name = subscript("X", a).strip("$")
    terms = lay.terms(a)
    if not terms:
        return [rf"$\partial L/\partial {name} = 0$: no window reads ${name}$"]
    syms = [subscript(r"\delta", t).strip("$") + subscript("w", m).strip("$")
            for t, m in terms]
    nums = [rf"{dy[t]}\cdot{w[m]}" for t, m in terms]
    total = sum(int(dy[t] * w[m]) for t, m in terms)
    lines = [rf"$\partial L/\partial {name} = " + " + ".join(syms[:4]) + "$"]
    for i in range(4, len(syms), 4):
        lines.append(r"$\quad + " + " + ".join(syms[i:i + 4]) + "$")
    lines.append("$= " + " + ".join(nums) + f" = {total}$")
    return lines


def recipe_animation(input_size, kernel_size, stride=1, padding=0, dilation=1, *,
                     duration_ms: int = 900) -> bytes:
    r"""GIF of :func:`~convbp.viz.recipe.recipe_frames`: the flipped kernel slides over :math:`\hat\delta`.

    Parameters
    ----------
    input_size, kernel_size, stride, padding, dilation
        As for :func:`recipe_figure`.
    duration_ms : int
        Display time of each frame.

    Returns
    -------
    bytes
        A looping GIF; show it in a notebook with :func:`convbp.viz.show_gif`.

    Examples
    --------
    >>> gif = recipe_animation(4, 2, stride=2)
    >>> gif[:6]
    b'GIF89a'

    See Also
    --------
    recipe_figure : the four arrays of the recipe in one picture.
    """
    return frames_to_gif(recipe_frames(input_size, kernel_size, stride, padding, dilation),
                         duration_ms=duration_ms)


def recipe_frames(input_size, kernel_size, stride=1, padding=0, dilation=1, *,
                  only=None) -> list[Figure]:
    r"""The frames of :func:`~convbp.viz.recipe_animation`, one figure per input position.

    One frame per input position ``a``. The flipped kernel is drawn *on*
    :math:`\hat\delta`: each cell under one of its taps shows the :math:`\delta`
    entry (or 0) and, below it, the tap it meets; the taps of a dilated kernel sit
    ``d`` cells apart. The cell :math:`\partial L/\partial X_a` being computed is
    marked, the cells computed so far show their values for the worked example of
    :func:`~convbp.viz.recipe.example_values`, and the caption gives the sum of products, in symbols and
    in numbers (the inserted zeros contribute nothing).

    Parameters
    ----------
    input_size, kernel_size : int or (int, int)
    stride, padding, dilation
        As accepted by :func:`convbp.conv`.
    only : iterable of index tuples, optional
        Draw only the frames of these input positions (default: all, in reading order).

    Returns
    -------
    list of matplotlib.figure.Figure
        Axes of each frame: :math:`\hat\delta` with the kernel on top,
        :math:`\partial L/\partial X` so far, the legend.

    Examples
    --------
    >>> frames = recipe_frames(4, 2, stride=2)
    >>> len(frames), len(frames[0].axes)
    (4, 3)
    """
    lay = recipe_layout(input_size, kernel_size, stride, padding, dilation)
    geom = lay.geom
    dy, w, dx = example_values(lay)
    p_labels, p_colors = _delta_grid(lay)
    x_colors, x_hatches = _dx_colors(lay)
    p_shape, x_shape = p_labels.shape, x_colors.shape
    c = FRAME_CELL_INCHES
    n_lines = max(len(_expression(lay, a, dy, w)) for a in np.ndindex(*geom.in_size))
    if geom.ndim == 2:
        width = (p_shape[1] + x_shape[1] + 1.6) * c
    else:
        width = max(p_shape[1] + 0.6, 11) * c
    fs = fontsize_for(width, FRAME_DPI)
    text_in = (n_lines + 0.4) * 1.45 * fs / 72
    entries = _legend_entries(lay, "overlay")
    legend_in = legend_height(entries, fs, width)
    if geom.ndim == 2:
        grid_in = (max(p_shape[0], x_shape[0]) + 1.3) * c
    else:
        grid_in = 2 * 2.5 * c
    height = grid_in + text_in + legend_in
    frames = []
    wanted = None if only is None else {tuple(a) for a in only}
    for a in np.ndindex(*geom.in_size):
        if wanted is not None and a not in wanted:
            continue
        fig = Figure(figsize=(width, height), dpi=FRAME_DPI)
        bottom = (text_in + legend_in) / height
        if geom.ndim == 2:
            gs = fig.add_gridspec(1, 2, width_ratios=[p_shape[1] + 0.8, x_shape[1] + 0.8],
                                  bottom=bottom, top=0.97, left=0.01, right=0.99, wspace=0.05)
            spec = [gs[0, 0], gs[0, 1]]
        else:
            gs = fig.add_gridspec(2, 1, bottom=bottom, top=0.97, left=0.01, right=0.99,
                                  hspace=0.3)
            spec = [gs[0, 0], gs[1, 0]]
        window = lay.window(a)
        labels, colors = p_labels.copy(), p_colors.copy()
        for cell in window:
            labels[_cell2d(cell)] = ""
        ax = fig.add_subplot(spec[0])
        draw_grid(ax, p_shape, labels=labels, colors=colors, fontsize=fs,
                  title=_padded_title(geom) + ", flipped kernel on top")
        for mp, cell in zip(np.ndindex(*geom.kernel_size), window):
            i, j = _cell2d(cell)
            ax.add_patch(Rectangle((j + 0.06, i + 0.06), 0.88, 0.88, facecolor="none",
                                   edgecolor=TAP_COLOR, linewidth=2.0))
            ax.text(j + 0.5, i + 0.3, p_labels[i, j], ha="center", va="center", fontsize=fs)
            ax.text(j + 0.5, i + 0.73, subscript("w", lay.flipped[mp]), ha="center",
                    va="center", fontsize=fs, color=TAP_COLOR)
        finish_axes(ax)
        a2 = _cell2d(a)
        done = np.zeros(x_shape, dtype=bool)
        for b in np.ndindex(*geom.in_size):
            done[_cell2d(b)] = True
            if b == a:
                break
        colors = np.where(done | (x_colors != COLORS["output"]), x_colors,
                          COLORS["zero"]).astype(object)
        colors[a2] = COLORS["focus"]
        xl = np.where(done, _as2d(dx).astype(str), "").astype(object)
        ax = fig.add_subplot(spec[1])
        draw_grid(ax, x_shape, labels=xl, colors=colors, hatches=x_hatches, fontsize=fs,
                  title=r"$\partial L/\partial X$ so far")
        finish_axes(ax)
        if geom.ndim == 1:
            for axis in fig.axes:
                axis.set_xlim(-0.2, max(p_shape[1] + 0.4, 11 - 0.4))
        line = 1.45 * fs / 72 / height
        for k, text in enumerate(_expression(lay, a, dy, w)):
            fig.text(0.03, (text_in + legend_in) / height - (k + 0.8) * line, text,
                     ha="left", va="center", fontsize=fs)
        legend(fig, entries, fontsize=fs, y=0.01)
        frames.append(fig)
    return frames
