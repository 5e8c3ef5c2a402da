"""Pictures of the pooling backward pass: where each upstream gradient entry goes.

Used in the chapter :ref:`pooling-activations`. The routes are not computed here: they
are read off the package's own backward functions (:func:`convbp.max_pool_backward`,
:func:`convbp.avg_pool_backward`, :func:`convbp.lp_pool_backward`) by feeding them one
unit upstream gradient at a time, so the picture shows exactly what the code does.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..geometry import pool_geometry
from ..lppool import lp_pool, lp_pool_backward
from ..pool import avg_pool, avg_pool_backward, max_pool, max_pool_backward
from .grid import COLORS, draw_grid, finish_axes, subscript

__all__ = ["pool_routes", "pool_routing_figure"]

_KINDS = ("max", "avg", "lp")
CELL_INCHES = 0.5


def _pool(kind, norm_type):
    if kind == "max":
        return max_pool, max_pool_backward
    if kind == "avg":
        return avg_pool, avg_pool_backward
    return (lambda x, k, s: lp_pool(x, norm_type, k, s),
            lambda dy, x, k, s: lp_pool_backward(dy, x, norm_type, k, s))


def _check(op, x, kind):
    if kind not in _KINDS:
        raise ValueError(f"{op}: kind must be one of {_KINDS}, got {kind!r}")
    x = np.asarray(x, dtype=float)
    if x.ndim not in (1, 2):
        raise ValueError(f"{op}: x must be one channel with 1 or 2 spatial dims (no batch or "
                         f"channel axis), got shape {x.shape}")
    return x


def pool_routes(x, kind, kernel_size, stride=None, *, norm_type=2):
    """Every nonzero route ``(o, a, weight)``: output ``o`` sends ``weight * dy[o]`` to ``x[a]``.

    ``weight`` is ``dy_o/dx_a`` as the package's backward computes it (a unit ``dy`` at
    ``o`` and zero elsewhere): 1 for the winner of a max window, ``1/K`` for every cell
    of an average window, ``(x_a / y_o)**(p-1)`` for LP pooling.

    Parameters
    ----------
    x : array_like, shape ``(n,)`` or ``(n0, n1)``
        One channel, spatial dims only.
    kind : {"max", "avg", "lp"}
    kernel_size, stride
        As for :func:`convbp.max_pool` (no padding).
    norm_type : float
        The power of ``"lp"`` pooling.

    Returns
    -------
    list of (tuple, tuple, float)
        Output index, input index, weight; in output order, then input order.

    Examples
    --------
    >>> pool_routes([1.0, 5.0, 2.0, 0.0, 3.0], "max", 3, stride=1)
    [((0,), (1,), 1.0), ((1,), (1,), 1.0), ((2,), (4,), 1.0)]
    """
    x = _check("pool_routes", x, kind)
    geom = pool_geometry("pool_routes", x.shape, kernel_size, stride, 0)
    _, backward = _pool(kind, norm_type)
    routes = []
    for o in np.ndindex(*geom.out_size):
        dy = np.zeros((1, 1, *geom.out_size))
        dy[(0, 0) + o] = 1.0
        dx = backward(dy, x[None, None], geom.kernel_size, geom.stride)[0, 0]
        routes += [(o, a, float(dx[a])) for a in zip(*np.nonzero(dx))]
    return [(tuple(int(i) for i in o), tuple(int(i) for i in a), w) for o, a, w in routes]


def _num(v: float) -> str:
    return f"{v:.3g}".replace("-", "\N{MINUS SIGN}")


def pool_routing_figure(x, dy, kind, kernel_size, stride=None, *, norm_type=2) -> Figure:
    """Draw the backward pass of one pooling layer: ``x``, the routes of ``dy``, ``dx``.

    1-D: the input strip, then one strip per output ``o`` showing its window and what
    ``dy[o]`` sends to each cell, then the gradient ``dx`` (the column sums). Cells that
    receive from two or more windows are outlined: their contributions add up. 2-D:
    three panels, ``x`` (each window outlined, max winners coloured), ``dy`` and ``dx``.

    Parameters
    ----------
    x : array_like, shape ``(n,)`` or ``(n0, n1)``
    dy : array_like
        Upstream gradient, the output shape.
    kind : {"max", "avg", "lp"}
    kernel_size, stride, norm_type
        As for :func:`pool_routes`.

    Returns
    -------
    matplotlib.figure.Figure
        One axes holding the strips (1-D) or the three panels side by side (2-D).

    See Also
    --------
    pool_routes : the routes drawn.

    Examples
    --------
    >>> fig = pool_routing_figure([1, 5, 2, 0, 3], [1, 10, 100], "max", 3, stride=1)
    >>> len(fig.axes)
    1
    """
    x = _check("pool_routing_figure", x, kind)
    geom = pool_geometry("pool_routing_figure", x.shape, kernel_size, stride, 0)
    dy = np.asarray(dy, dtype=float)
    if dy.shape != geom.out_size:
        raise ValueError(f"pool_routing_figure: dy must have the output shape "
                         f"{geom.out_size}, got {dy.shape}")
    routes = pool_routes(x, kind, kernel_size, stride, norm_type=norm_type)
    _, backward = _pool(kind, norm_type)
    dx = backward(dy[None, None], x[None, None], geom.kernel_size, geom.stride)[0, 0]
    senders = {}
    for o, a, _w in routes:
        senders.setdefault(a, set()).add(o)
    shared = {a for a, os in senders.items() if len(os) > 1}
    if x.ndim == 1:
        return _figure_1d(x, dy, dx, geom, routes, shared, kind)
    return _figure_2d(x, dy, dx, geom, routes, shared, kind)


def _cell_colors(geom, routes, kind) -> np.ndarray:
    """Input cells: blue if some window reads them, red if none does; max winners orange."""
    colors = np.full(geom.in_size, COLORS["leftover"], dtype=object)
    for o in np.ndindex(*geom.out_size):
        colors[tuple(slice(s * i, s * i + k) for s, i, k in
                     zip(geom.stride, o, geom.kernel_size))] = COLORS["input"]
    if kind == "max":
        for _o, a, _w in routes:
            colors[a] = COLORS["focus"]
    return colors


def _figure_1d(x, dy, dx, geom, routes, shared, kind) -> Figure:
    (n,), (O,) = x.shape, geom.out_size
    fig = Figure(figsize=((n + 3.2) * CELL_INCHES, (O + 3.4) * CELL_INCHES * 1.15))
    ax = fig.add_subplot()
    colors = list(_cell_colors(geom, routes, kind))
    draw_grid(ax, (1, n), labels=[[_num(v) for v in x]], colors=[colors], fontsize=10)
    ax.text(-0.3, 0.5, "x", ha="right", va="center", fontsize=12)
    for o in range(O):
        yy = 1.5 + 1.2 * o
        c = ["white"] * n
        labels = [""] * n
        for a in range(geom.stride[0] * o, geom.stride[0] * o + geom.kernel_size[0]):
            c[a] = COLORS["window"]
        for oo, (a,), w in routes:
            if oo == (o,):
                c[a] = COLORS["focus"]
                labels[a] = _num(w * dy[o])
        draw_grid(ax, (1, n), origin=(0, yy), labels=[labels], colors=[c], fontsize=10)
        ax.text(-0.3, yy + 0.5, subscript(r"\delta", o) + f" = {_num(dy[o])}", ha="right",
                va="center", fontsize=11)
    yy = 1.5 + 1.2 * O + 0.4
    c = [COLORS["delta"] if v != 0 else "white" for v in dx]
    draw_grid(ax, (1, n), origin=(0, yy), labels=[[_num(v) for v in dx]], colors=[c],
              fontsize=10, outline=[(0, a, 1, 1) for (a,) in sorted(shared)])
    ax.text(-0.3, yy + 0.5, r"$\partial L/\partial x$", ha="right", va="center", fontsize=12)
    finish_axes(ax)
    ax.set_xlim(-3.0, n + 0.2)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    return fig


def _figure_2d(x, dy, dx, geom, routes, shared, kind) -> Figure:
    (h, w), (oh, ow) = x.shape, geom.out_size
    fig = Figure(figsize=((2 * w + ow + 3) * CELL_INCHES, (h + 1.6) * CELL_INCHES))
    ax = fig.add_subplot()
    colors = _cell_colors(geom, routes, kind)
    windows = [(geom.stride[0] * i, geom.stride[1] * j, *geom.kernel_size)
               for i, j in np.ndindex(oh, ow)]
    draw_grid(ax, (h, w), labels=[[_num(v) for v in row] for row in x], colors=colors,
              title="x", outline=windows, fontsize=10)
    x0 = w + 1
    draw_grid(ax, (oh, ow), origin=(x0, 0), labels=[[_num(v) for v in row] for row in dy],
              colors=np.full(dy.shape, COLORS["delta"], dtype=object),
              title=r"$\delta$", fontsize=10)
    x1 = x0 + ow + 1
    c = np.where(dx != 0, COLORS["delta"], "white").astype(object)
    draw_grid(ax, (h, w), origin=(x1, 0), labels=[[_num(v) for v in row] for row in dx],
              colors=c, title=r"$\partial L/\partial x$", fontsize=10,
              outline=[(a[0], a[1], 1, 1) for a in sorted(shared)])
    finish_axes(ax)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    return fig
