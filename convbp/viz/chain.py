"""A picture of a whole network: its layers, the shapes between them, and their backward steps.

Used in the chapter :ref:`whole-chain`. The shapes are measured by running a copy of
the model forward on zeros (the model itself is left untouched); the description of
each backward step is read off the layer's type and arguments.
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from .grid import COLORS

__all__ = ["ChainStep", "chain_steps", "chain_figure"]


class ChainStep(NamedTuple):
    """One layer of a chain.

    Attributes
    ----------
    name : str
        The layer's class name.
    out_shape : tuple of int
        Shape of the array the layer outputs.
    backward : str
        What the layer's backward pass does to the error (Matplotlib mathtext).
    """

    name: str
    out_shape: tuple
    backward: str


def _backward_text(layer) -> str:
    name = type(layer).__name__
    if name == "Conv":
        dil = any(s > 1 for s in layer.stride)
        return ("dilate $\\delta$,\nflipped $W$,\nchannels swapped" if dil
                else "flipped $W$,\nchannels\nswapped")
    return {
        "ReLU": "$\\times f'(Y)$",
        "MaxPool": "route to\nthe winner",
        "AvgPool": "equal\nshares",
        "LPPool": "$\\times (x/y)^{p-1}$",
        "Flatten": "reshape",
        "Linear": "$\\times W^\\top$",
    }.get(name, "backward")


def chain_steps(model, input_shape) -> list[ChainStep]:
    """The layers of ``model`` with their output shapes and backward steps.

    Parameters
    ----------
    model : convbp.nn.Sequential
        Or any object with a ``layers`` list of layers with ``forward``.
    input_shape : tuple of int
        Shape of the input batch.

    Returns
    -------
    list of ChainStep

    Examples
    --------
    >>> from convbp import nn
    >>> net = nn.Sequential(nn.Conv(1, 2, 3, rng=0), nn.ReLU(), nn.MaxPool(2))
    >>> [(s.name, s.out_shape) for s in chain_steps(net, (1, 1, 8, 8))]
    [('Conv', (1, 2, 6, 6)), ('ReLU', (1, 2, 6, 6)), ('MaxPool', (1, 2, 3, 3))]
    """
    layers = getattr(model, "layers", None)
    if not isinstance(layers, list) or not layers:
        raise ValueError(f"chain_steps: model must have a non-empty list of layers, "
                         f"got {type(model).__name__}")
    twin = copy.deepcopy(layers)   # forward stores inputs: never touch the model's
    a = np.zeros(tuple(input_shape))
    steps = []
    for layer, original in zip(twin, layers):
        a = layer.forward(a)
        steps.append(ChainStep(type(original).__name__, tuple(a.shape),
                               _backward_text(original)))
    return steps


def _shape_text(shape) -> str:
    return "\N{MULTIPLICATION SIGN}".join(str(n) for n in shape)


def chain_figure(model, input_shape) -> Figure:
    """Draw the chain: one box per layer, shapes above, backward steps below.

    Parameters
    ----------
    model : convbp.nn.Sequential
    input_shape : tuple of int

    Returns
    -------
    matplotlib.figure.Figure
        One axes: the boxes left to right, each arrow labelled with a shape.

    See Also
    --------
    chain_steps : the data drawn.

    Examples
    --------
    >>> from convbp import nn
    >>> fig = chain_figure(nn.Sequential(nn.Flatten(), nn.Linear(4, 2, rng=0)),
    ...                    (3, 1, 2, 2))
    >>> [t.get_text() for t in fig.axes[0].texts][:3]
    ['input', '3×1×2×2', 'Flatten']
    """
    steps = chain_steps(model, input_shape)
    n = len(steps)
    box_w, gap = 1.4, 0.8
    x_end = 1.6 + n * (box_w + gap)
    fig = Figure(figsize=(0.5 * (x_end + 0.9), 2.1))
    ax = fig.add_subplot()
    ax.text(0.3, 1.0, "input", ha="center", va="center", fontsize=11)
    ax.text(1.6 - gap / 2, 1.75, _shape_text(input_shape), ha="center", va="bottom",
            fontsize=10)
    for i, step in enumerate(steps):
        x0 = 1.6 + i * (box_w + gap)
        color = {"Conv": COLORS["kernel"], "Linear": COLORS["kernel"]}.get(
            step.name, COLORS["input"])
        ax.add_patch(Rectangle((x0, 0.6), box_w, 0.8, facecolor=color, edgecolor="0.3"))
        ax.text(x0 + box_w / 2, 1.0, step.name, ha="center", va="center", fontsize=11)
        xe = x0 + box_w + gap / 2
        ax.text(xe, 1.75, _shape_text(step.out_shape), ha="center", va="bottom",
                fontsize=10)
        ax.text(x0 + box_w / 2, 0.35, step.backward, ha="center", va="top", fontsize=10,
                color="#2b6e2b")
        # forward arrow into the box (top), backward arrow out of it (bottom)
        ax.add_patch(FancyArrowPatch((x0 - gap + 0.05, 1.15), (x0 - 0.05, 1.15),
                                     arrowstyle="-|>", mutation_scale=9, color="0.25"))
        ax.add_patch(FancyArrowPatch((x0 - 0.05, 0.8), (x0 - gap + 0.05, 0.8),
                                     arrowstyle="-|>", mutation_scale=9, color="#2b6e2b"))
    ax.add_patch(FancyArrowPatch((x_end - gap + 0.05, 1.15), (x_end - 0.05, 1.15),
                                 arrowstyle="-|>", mutation_scale=9, color="0.25"))
    ax.add_patch(FancyArrowPatch((x_end - 0.05, 0.8), (x_end - gap + 0.05, 0.8),
                                 arrowstyle="-|>", mutation_scale=9, color="#2b6e2b"))
    ax.text(x_end + 0.25, 1.0, "loss", ha="center", va="center", fontsize=11)
    ax.set_xlim(-0.3, x_end + 0.6)
    ax.set_ylim(-0.8, 2.2)
    ax.axis("off")
    fig.subplots_adjust(left=0.0, right=1.0, bottom=0.0, top=1.0)
    return fig
