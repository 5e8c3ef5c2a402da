r"""Pictures of training: the images a network learns from, and its learning curves.

Used in the book chapter :ref:`training-cnn`.

* :func:`image_grid_figure` shows small grey images with their labels.
* :func:`learning_curves_figure` draws one panel per metric (e.g. training loss, test
  accuracy) against the epoch, one colour per model. The line is the mean over the
  seeds, the shaded band runs from the smallest to the largest seed at each epoch, so
  the reader sees both the trend and how much the seed alone moves it.
"""

from __future__ import annotations

import numbers

import numpy as np
from matplotlib.figure import Figure

__all__ = ["curve_stats", "image_grid_figure", "learning_curves_figure"]

OP = "learning_curves_figure"
#: Line colours of the models, in order (colour-blind safe, from Okabe and Ito).
MODEL_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def _table(where: str, runs, metric: str) -> np.ndarray:
    """``(seeds, epochs)`` float array of one metric of one model's runs."""
    if not isinstance(runs, (list, tuple)) or not runs:
        raise ValueError(f"{where}: each model needs a non-empty list of runs (one "
                         f"mapping of metric -> per-epoch values per seed), got {runs!r}")
    rows = []
    for i, run in enumerate(runs):
        if not hasattr(run, "keys") or metric not in run:
            have = sorted(run.keys()) if hasattr(run, "keys") else type(run).__name__
            raise ValueError(f"{where}: run {i} has no metric {metric!r} (it has {have})")
        rows.append(np.asarray(run[metric], dtype=np.float64))
    lengths = {r.shape for r in rows}
    if len(lengths) != 1 or rows[0].ndim != 1 or rows[0].size == 0:
        raise ValueError(f"{where}: metric {metric!r} must be a non-empty 1-D sequence of "
                         f"the same length in every run, got shapes "
                         f"{[r.shape for r in rows]}")
    return np.stack(rows)


def curve_stats(runs, metric: str):
    """Mean, minimum and maximum over the seeds of one metric, epoch by epoch.

    Parameters
    ----------
    runs : list of mappings
        One per seed; ``run[metric]`` is a sequence with one value per epoch.
    metric : str

    Returns
    -------
    mean, low, high : ndarray, shape (epochs,)

    Examples
    --------
    >>> runs = [{"acc": [0.5, 0.75]}, {"acc": [0.25, 1.0]}]
    >>> [s.tolist() for s in curve_stats(runs, "acc")]
    [[0.375, 0.875], [0.25, 0.75], [0.5, 1.0]]
    """
    table = _table("curve_stats", runs, metric)
    return table.mean(axis=0), table.min(axis=0), table.max(axis=0)


def learning_curves_figure(results, metrics, *, log_metrics=(), width=8.0) -> Figure:
    """Learning curves: mean over seeds (line) and min-to-max band, one panel per metric.

    Parameters
    ----------
    results : mapping of str -> list of mappings
        ``results[model]`` holds one run per seed; ``run[metric]`` gives one value
        per epoch (the same number of epochs in every run of a model).
    metrics : sequence of (str, str)
        ``(key, axis label)`` of each panel, left to right.
    log_metrics : collection of str
        Keys drawn on a logarithmic y axis (losses).
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Axis ``i`` shows ``metrics[i]``; per model, in the order of ``results``,
        one line (label: the model's name) and one band (a ``PolyCollection``).

    Raises
    ------
    ValueError, TypeError
        For empty or ragged results, a missing metric or a bad ``width``.

    See Also
    --------
    curve_stats : the numbers each line and band show.

    Examples
    --------
    >>> runs = [{"acc": [0.5, 0.75, 1.0]}, {"acc": [0.25, 1.0, 1.0]}]
    >>> fig = learning_curves_figure({"net": runs}, [("acc", "test accuracy")])
    >>> fig.axes[0].lines[0].get_ydata().tolist()
    [0.375, 0.875, 1.0]
    """
    if not hasattr(results, "items") or not results:
        raise ValueError(f"{OP}: results must be a non-empty mapping of model name -> "
                         f"runs, got {results!r}")
    if not isinstance(metrics, (list, tuple)) or not metrics or not all(
            isinstance(m, (list, tuple)) and len(m) == 2 and all(isinstance(s, str) for s in m)
            for m in metrics):
        raise ValueError(f"{OP}: metrics must be a non-empty sequence of (key, label) "
                         f"string pairs, got {metrics!r}")
    if not isinstance(width, numbers.Real) or not width > 0:
        raise ValueError(f"{OP}: width must be a positive number of inches, got {width!r}")
    fig = Figure(figsize=(width, width * 0.4 if len(metrics) > 1 else width * 0.6))
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, (key, label) in zip(axes, metrics):
        for k, (name, runs) in enumerate(results.items()):
            table = _table(f"{OP}: model {name!r}", runs, key)
            epochs = np.arange(1, table.shape[1] + 1)
            color = MODEL_COLORS[k % len(MODEL_COLORS)]
            ax.fill_between(epochs, table.min(axis=0), table.max(axis=0), color=color,
                            alpha=0.2, linewidth=0)
            ax.plot(epochs, table.mean(axis=0), color=color, marker="o", markersize=3,
                    linewidth=1.6, label=f"{name} ({table.shape[0]} seeds)")
        if key in log_metrics:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(True, color="0.9")
        ax.set_xlim(0.8, None)
    axes[-1].legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def image_grid_figure(images, labels, *, cols=10, inch=0.7) -> Figure:
    """Small grey images in a grid, each titled with its label.

    Parameters
    ----------
    images : array_like, shape (N, H, W)
        Drawn with dark = large values (``gray_r``), each image on the colour scale
        of the whole set (``vmin`` and ``vmax`` over all images).
    labels : sequence, length N
        Shown above each image.
    cols : int
        Images per row.
    inch : float
        Size of one image in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One axis per image, row by row; image ``i`` is ``fig.axes[i].images[0]``.

    Examples
    --------
    >>> fig = image_grid_figure(np.eye(3)[None].repeat(4, 0), [0, 1, 2, 3], cols=2)
    >>> len(fig.axes), fig.axes[3].get_title()
    (4, '3')
    """
    where = "image_grid_figure"
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[0] == 0 or images.dtype.kind not in "biuf":
        raise ValueError(f"{where}: images must be a real array of shape (N, H, W) "
                         f"with N >= 1, got shape {images.shape}")
    if len(labels) != images.shape[0]:
        raise ValueError(f"{where}: labels must have one entry per image "
                         f"({images.shape[0]}), got {len(labels)}")
    if not isinstance(cols, numbers.Integral) or isinstance(cols, bool) or cols < 1:
        raise ValueError(f"{where}: cols must be a positive int, got {cols!r}")
    if not isinstance(inch, numbers.Real) or not inch > 0:
        raise ValueError(f"{where}: inch must be a positive number, got {inch!r}")
    n = images.shape[0]
    cols = min(cols, n)
    rows = -(-n // cols)
    fig = Figure(figsize=(cols * inch, rows * inch * 1.25))
    lo, hi = float(images.min()), float(images.max())
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(images[i], cmap="gray_r", vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_title(str(labels[i]), fontsize=9, pad=2)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.92, wspace=0.1,
                        hspace=0.35)
    return fig
