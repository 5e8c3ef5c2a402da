r"""Pictures of the dilate-pad-flip recipe for the input gradient.

Used in :ref:`backward-stride1` and :ref:`backward-strided`. The pictures are built
from the package's own recipe: integer labels are
pushed through :func:`convbp.dilate`, the padding of
:attr:`ConvGeometry.dx_padding` and :func:`convbp.flip`, so each cell shows exactly
which :math:`\delta` entry or kernel tap the code puts there.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..geometry import conv_geometry
from ..padding import pad_or_crop
from ..recipe import dilate, flip
from .gif import frames_to_gif
from .grid import COLORS, draw_grid, finish_axes, subscript

__all__ = ["RecipeLayout", "recipe_layout", "recipe_figure", "recipe_animation"]

CELL_INCHES = 0.4


class RecipeLayout:
    r"""The arrays of the recipe for one channel, as labels.

    Attributes
    ----------
    geom : ConvGeometry
    delta_index : ndarray of object, shape (*out)
        Index tuple of each :math:`\delta` entry.
    padded : ndarray of object, shape (*spatial + d(k-1))
        For every cell of the dilated and padded :math:`\delta`: the index tuple of the
        :math:`\delta` entry it holds, ``"zero"`` (inserted by the dilation) or
        ``"pad"`` (padding).
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
        r"""Nonzero products that make up :math:`\partial L/\partial x_a`.

        Slides the flipped kernel (dilated by ``d``) to position ``a`` of the padded,
        dilated :math:`\delta` and keeps the cells holding a real :math:`\delta` entry.

        Returns
        -------
        list of (delta index, kernel tap index)
        """
        g = self.geom
        out = []
        for mp in np.ndindex(*g.kernel_size):
            cell = tuple(ai + d * m for ai, d, m in zip(a, g.dilation, mp))
            v = self.padded[cell]
            if isinstance(v, tuple):
                out.append((v, self.flipped[mp]))
        return out

    def window(self, a) -> list[tuple[int, ...]]:
        """Cells of the padded, dilated gradient under the flipped kernel at position ``a``."""
        g = self.geom
        return [tuple(ai + d * m for ai, d, m in zip(a, g.dilation, mp))
                for mp in np.ndindex(*g.kernel_size)]


def recipe_layout(input_size, kernel_size, stride=1, padding=0, dilation=1) -> RecipeLayout:
    """Geometry and labels of the input-gradient recipe for a 1-D or 2-D single channel.

    Examples
    --------
    >>> lay = recipe_layout((5, 5), (3, 3), stride=2)
    >>> lay.terms((2, 2))      # which delta entries meet which kernel taps at x_22
    [((0, 0), (2, 2)), ((0, 1), (2, 0)), ((1, 0), (0, 2)), ((1, 1), (0, 0))]
    """
    input_size = (input_size,) if np.isscalar(input_size) else tuple(input_size)
    kernel_size = (kernel_size,) * len(input_size) if np.isscalar(kernel_size) else tuple(kernel_size)
    if len(input_size) not in (1, 2):
        raise ValueError(f"recipe_figure: input_size must have 1 or 2 dims, got {input_size}")
    return RecipeLayout(conv_geometry("recipe_figure", input_size, kernel_size, stride, padding,
                                      dilation))


def _padded_title(geom) -> str:
    return (r"padded $\delta$" if all(s == 1 for s in geom.stride)
            else r"dilated, padded $\delta$")


def _grid_spec(fig, widths, ndim, n_panels, height_ratios=None):
    """Panels side by side in 2-D; stacked strips in 1-D (long strips side by side get tiny)."""
    if ndim == 1:
        return fig.add_gridspec(n_panels, 1, height_ratios=height_ratios)
    return fig.add_gridspec(1, n_panels, width_ratios=widths)


def _panel(gs, k, ndim):
    return gs[k, 0] if ndim == 1 else gs[0, k]


def _as2d(a):
    return a.reshape(1, -1) if a.ndim == 1 else a


def _delta_grid(lay, highlight=()):
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
    for cell in highlight:
        cell = cell if lay.padded.ndim == 2 else (0, cell[0])
        colors[cell] = COLORS["window"]
    return labels, colors


def _kernel_grid(lay):
    f = _as2d(lay.flipped)
    labels = np.empty(f.shape, dtype=object)
    for cell in np.ndindex(*f.shape):
        labels[cell] = subscript("w", f[cell])
    return labels, np.full(f.shape, COLORS["kernel"], dtype=object)


def _dx_colors(lay):
    g = lay.geom
    colors = np.full(g.in_size, COLORS["output"], dtype=object)
    hatches = np.full(g.in_size, "", dtype=object)
    for axis, (n, unread) in enumerate(zip(g.in_size, g.unread_tail)):
        if unread:
            idx = [slice(None)] * g.ndim
            idx[axis] = slice(n - unread, n)
            colors[tuple(idx)] = COLORS["leftover"]
            hatches[tuple(idx)] = "///"
    return _as2d(colors), _as2d(hatches)


def recipe_figure(input_size, kernel_size, stride=1, padding=0, dilation=1) -> Figure:
    r"""The input-gradient recipe in four panels.

    :math:`\delta` (the upstream gradient), :math:`\delta` dilated with ``s - 1`` zeros
    and padded, the 180-degree-rotated kernel, and the resulting
    :math:`\partial L/\partial x` grid whose leftover rows (never read by the forward
    pass) are hatched.

    Parameters
    ----------
    input_size, kernel_size : int or (int, int)
    stride, padding, dilation
        As accepted by :func:`convbp.conv`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = recipe_figure((5, 5), (3, 3), stride=2)
    >>> len(fig.axes)
    4
    """
    lay = recipe_layout(input_size, kernel_size, stride, padding, dilation)
    g = lay.geom
    d = _as2d(lay.delta_index)
    d_labels = np.vectorize(lambda t: subscript(r"\delta", t), otypes=[object])(d)
    p_labels, p_colors = _delta_grid(lay)
    k_labels, k_colors = _kernel_grid(lay)
    x_colors, x_hatches = _dx_colors(lay)
    x_labels = np.vectorize(lambda c: "", otypes=[object])(np.empty(x_colors.shape))
    panels = [
        (d.shape, d_labels, np.full(d.shape, COLORS["delta"], dtype=object), None,
         r"$\delta$"),
        (p_labels.shape, p_labels, p_colors, None, _padded_title(g)),
        (k_labels.shape, k_labels, k_colors, None, "flipped kernel"),
        (x_colors.shape, x_labels, x_colors, x_hatches, r"$\partial L/\partial x$"),
    ]
    widths = [s[1] + 1.2 for s, *_ in panels]
    if g.ndim == 1:
        fig = Figure(figsize=(max(widths) * CELL_INCHES * 1.4, len(panels) * 2.3 * CELL_INCHES * 1.4))
    else:
        height = max(s[0] for s, *_ in panels) + 1.4
        fig = Figure(figsize=(sum(widths) * CELL_INCHES, height * CELL_INCHES))
    gs = _grid_spec(fig, widths, g.ndim, len(panels))
    for k, (shape, labels, colors, hatches, title) in enumerate(panels):
        ax = fig.add_subplot(_panel(gs, k, g.ndim))
        draw_grid(ax, shape, labels=labels, colors=colors, hatches=hatches, title=title,
                  fontsize=10)
        finish_axes(ax)
        if g.ndim == 1:
            ax.set_xlim(-0.2, max(widths))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.92, wspace=0.1, hspace=0.25)
    return fig


def _expression(lay, a) -> str:
    name = subscript("x", a).strip("$")
    terms = lay.terms(a)
    if not terms:
        return rf"$\partial L/\partial {name} = 0$   (no window reads this cell)"
    parts = [subscript(r"\delta", t).strip("$") + subscript("w", m).strip("$") for t, m in terms]
    lines = [" + ".join(parts[i:i + 4]) for i in range(0, len(parts), 4)]
    return "\n".join([rf"$\partial L/\partial {name} = " + lines[0] + "$"]
                     + [r"$\qquad + " + ln + "$" for ln in lines[1:]])


def recipe_animation(input_size, kernel_size, stride=1, padding=0, dilation=1, *,
                     duration_ms: int = 900) -> bytes:
    r"""GIF: the flipped kernel slides over the dilated, padded :math:`\delta`.

    One frame per input position ``a``: the window under the flipped kernel is
    highlighted, the cell :math:`\partial L/\partial x_a` being computed is marked, and
    the caption lists its nonzero products (the inserted zeros contribute nothing).

    Parameters
    ----------
    input_size, kernel_size : int or (int, int)
    stride, padding, dilation
        As accepted by :func:`convbp.conv`.
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
    """
    lay = recipe_layout(input_size, kernel_size, stride, padding, dilation)
    g = lay.geom
    k_labels, k_colors = _kernel_grid(lay)
    x_colors, x_hatches = _dx_colors(lay)
    p_shape = _as2d(lay.padded).shape
    widths = [p_shape[1] + 1.2, k_labels.shape[1] + 1.2, x_colors.shape[1] + 1.2]
    height = max(p_shape[0], x_colors.shape[0]) + 1.4
    fs = 10
    frames = []
    done = np.zeros(x_colors.shape, dtype=bool)
    for a in np.ndindex(*g.in_size):
        if g.ndim == 1:
            size = (max(max(widths), 12) * CELL_INCHES * 1.4, (3 * 2.3 + 2.0) * CELL_INCHES * 1.4)
        else:
            size = (sum(widths) * CELL_INCHES, (height + 2.0) * CELL_INCHES)
        fig = Figure(figsize=size, dpi=90)
        gs = _grid_spec(fig, widths, g.ndim, 3)
        p_labels, p_colors = _delta_grid(lay, highlight=lay.window(a))
        ax = fig.add_subplot(_panel(gs, 0, g.ndim))
        draw_grid(ax, p_shape, labels=p_labels, colors=p_colors, fontsize=fs, title=_padded_title(g))
        finish_axes(ax)
        ax = fig.add_subplot(_panel(gs, 1, g.ndim))
        draw_grid(ax, k_labels.shape, labels=k_labels, colors=k_colors, fontsize=fs,
                  title="flipped kernel")
        finish_axes(ax)
        a2 = a if g.ndim == 2 else (0, a[0])
        colors = x_colors.copy()
        colors[done] = np.where(colors[done] == COLORS["output"], "#9fc5e8", colors[done])
        colors[a2] = COLORS["focus"]
        done[a2] = True
        ax = fig.add_subplot(_panel(gs, 2, g.ndim))
        draw_grid(ax, x_colors.shape, colors=colors, hatches=x_hatches, fontsize=fs,
                  title=r"$\partial L/\partial x$")
        finish_axes(ax)
        if g.ndim == 1:  # left-align the strips on one scale
            for axis in fig.axes:
                axis.set_xlim(-0.2, max(max(widths), 12))
        fig.text(0.5, 0.04, _expression(lay, a), ha="center", va="bottom", fontsize=11)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.3 if g.ndim == 2 else 0.18,
                            top=0.9, wspace=0.1, hspace=0.3)
        frames.append(fig)
    return frames_to_gif(frames, duration_ms=duration_ms)
