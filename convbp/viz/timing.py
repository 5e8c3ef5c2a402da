"""Figures of a stored benchmark: loops, recipe and fast path (chapter :ref:`loops-to-fast`).

The numbers come from ``benchmarks/loops_to_fast.py``, which writes a JSON file with the
machine, the date and the versions; the chapter reads that file and never times
anything itself. :func:`~convbp.viz.check_benchmark` validates such a result, and each figure
function draws one of its three experiments on a new Matplotlib figure.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator

__all__ = ["METHOD_STYLE", "check_benchmark", "sizes_figure", "strides_figure",
           "memory_figure"]

#: Label, colour and marker of each implementation, the same in every figure.
METHOD_STYLE = {
    "reference": ("loops (convbp.reference)", "#c0504d", "s"),
    "recipe": ("dilate-pad-flip recipe", "#e69f00", "^"),
    "fast": ("fast path (conv_backward)", "#1f77b4", "o"),
}

_REQUIRED = {
    "sizes": ("size", "macs", "reference", "recipe", "fast"),
    "strides": ("stride", "macs_fast", "macs_recipe", "recipe", "fast"),
    "memory": ("n_batch", "x_bytes", "extra_bytes", "im2col_bytes"),
}


def check_benchmark(result) -> dict:
    """Check that ``result`` has what the figures read; return it unchanged.

    Parameters
    ----------
    result : dict
        As written by ``benchmarks/loops_to_fast.py``: keys ``machine``,
        ``date_utc``, and ``sizes``, ``strides``, ``memory``, each with ``layer``
        (dict) and ``rows`` (a non-empty list of dicts).

    Raises
    ------
    TypeError, ValueError
        Naming the missing or malformed entry.

    Examples
    --------
    >>> try:
    ...     check_benchmark({"machine": {}})
    ... except ValueError as err:
    ...     print(err)
    check_benchmark: result lacks 'date_utc'
    """
    if not isinstance(result, dict):
        raise TypeError(f"check_benchmark: result must be a dict, got {type(result).__name__}")
    for key in ("machine", "date_utc", *_REQUIRED):
        if key not in result:
            raise ValueError(f"check_benchmark: result lacks {key!r}")
    for part, fields in _REQUIRED.items():
        rows = result[part].get("rows") if isinstance(result[part], dict) else None
        if not rows or not isinstance(rows, list):
            raise ValueError(f"check_benchmark: result[{part!r}]['rows'] must be a "
                             f"non-empty list, got {rows!r}")
        for i, row in enumerate(rows):
            missing = [f for f in fields if f not in row]
            if missing:
                raise ValueError(f"check_benchmark: result[{part!r}]['rows'][{i}] lacks "
                                 f"{missing}")
    return result


def _figure(result, part: str):
    """Check ``result``; its ``part``'s rows, and a new figure with one axes."""
    check_benchmark(result)
    fig = Figure(figsize=(6.4, 3.8), layout="constrained")
    return result[part]["rows"], fig, fig.add_subplot()


def _finish(ax, result, part: str, xlabel: str, ylabel: str, *, loc="best", ticks=None,
            log_base=None):
    """Label the axes (the x label names the benchmarked layer) and add the legend; with
    ``log_base``, both axes logarithmic and the x ticks at ``ticks``, labelled as ints."""
    if log_base:
        ax.set_xscale("log", base=log_base)
        ax.set_yscale("log", base=log_base)
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([str(n) for n in ticks])
        ax.grid(True, which="major", alpha=0.3)
    ax.set_xlabel(xlabel + _layer_text(result[part].get("layer", {})))
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, loc=loc)


def sizes_figure(result) -> Figure:
    """Backward-pass time against image size, one line per implementation (log-log).

    Parameters
    ----------
    result : dict
        A benchmark result (:func:`check_benchmark`). Entries that are ``None`` (the
        loops stop once they take seconds) are left out.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rows = [{"size": n, "macs": n * n, "reference": 1e-3 * n * n,
    ...          "recipe": 1e-5 * n * n, "fast": 5e-6 * n * n} for n in (8, 16)]
    >>> memory = [{"n_batch": 1, "x_bytes": 8, "extra_bytes": 8, "im2col_bytes": 72}]
    >>> strides = [{"stride": 1, "macs_fast": 1, "macs_recipe": 1, "recipe": 1.0,
    ...             "fast": 1.0}]
    >>> result = {"machine": {}, "date_utc": "2026-11-29 21:00",
    ...           "sizes": {"layer": {}, "rows": rows},
    ...           "strides": {"layer": {}, "rows": strides},
    ...           "memory": {"layer": {}, "rows": memory}}
    >>> len(sizes_figure(result).axes[0].lines)
    3
    """
    rows, fig, ax = _figure(result, "sizes")
    for name, (label, color, marker) in METHOD_STYLE.items():
        pts = [(r["size"], r[name]) for r in rows if r.get(name) is not None]
        if pts:
            xs, ys = zip(*pts)
            ax.plot(xs, [1e3 * y for y in ys], marker=marker, color=color, label=label)
    _finish(ax, result, "sizes", "image height = width", "backward pass time (ms)",
            ticks=[r["size"] for r in rows], log_base=10)
    return fig


def strides_figure(result) -> Figure:
    """How many times slower the recipe is than the fast path, by stride.

    Two bars per stride: the measured time ratio, and the ratio of multiply-adds
    (the recipe's count includes every product with an inserted zero).

    Parameters
    ----------
    result : dict
        A benchmark result (:func:`check_benchmark`), as for :func:`sizes_figure`.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with two bars per stride and a line at ratio 1.
    """
    rows, fig, ax = _figure(result, "strides")
    time_ratio = [r["recipe"] / r["fast"] for r in rows]
    mac_ratio = [r["macs_recipe"] / r["macs_fast"] for r in rows]
    width = 0.38
    xs = range(len(rows))
    ax.bar([x - width / 2 for x in xs], time_ratio, width, color=METHOD_STYLE["recipe"][1],
           label="measured: recipe time / fast time")
    ax.bar([x + width / 2 for x in xs], mac_ratio, width, color="0.75",
           label="counted: recipe multiply-adds / fast")
    ax.set_xticks(list(xs), [f"s = {r['stride']}" for r in rows])
    ax.axhline(1.0, color="0.3", linewidth=0.8)
    _finish(ax, result, "strides", "stride", "ratio (recipe / fast)", loc="upper left")
    return fig


def memory_figure(result) -> Figure:
    """Memory the fast path allocates beyond its results, against the batch size.

    Lines: the fast path's extra memory, the full im2col matrix a one-product
    implementation would build, and the input ``x`` itself (all in MiB).

    Parameters
    ----------
    result : dict
        A benchmark result (:func:`check_benchmark`); the rows of its ``"memory"``
        part are drawn.

    Returns
    -------
    matplotlib.figure.Figure
        One axes, logarithmic in base 2 on both axes.
    """
    rows, fig, ax = _figure(result, "memory")
    batch = [r["n_batch"] for r in rows]
    mib = 2.0 ** 20
    ax.plot(batch, [r["im2col_bytes"] / mib for r in rows], marker="^", color="0.45",
            label="full im2col matrix (not built)")
    ax.plot(batch, [r["extra_bytes"] / mib for r in rows],
            marker=METHOD_STYLE["fast"][2], color=METHOD_STYLE["fast"][1],
            label="fast path: peak beyond its results")
    ax.plot(batch, [r["x_bytes"] / mib for r in rows], linestyle="--", color="0.2",
            label="the input x")
    _finish(ax, result, "memory", "batch size N", "memory (MiB)", ticks=batch, log_base=2)
    return fig


def _layer_text(layer: dict) -> str:
    """``" (C 8->8, k 3, s 2, p 1)"`` from a layer description, or ``""``."""
    parts = []
    if "c_in" in layer and "c_out" in layer:
        parts.append(f"C {layer['c_in']}\u2192{layer['c_out']}")
    for key, short in (("k", "k"), ("stride", "s"), ("padding", "p"), ("size", "n"),
                       ("n_batch", "N")):
        if key in layer:
            parts.append(f"{short} {layer[key]}")
    return f"   ({', '.join(parts)})" if parts else ""
