"""convbp.nn: a small neural-network library built on the core convolution functions.

Layers with ``forward(x)`` and ``backward(dy)`` (:mod:`convbp.nn.layers`), losses that
return ``(loss, dlogits)`` (:mod:`convbp.nn.losses`), ``SGD`` as PyTorch computes it
(:mod:`convbp.nn.optim`) and He initialisation (:mod:`convbp.nn.init`). Each module is
short enough to read in one sitting; the book's chapters :ref:`whole-chain` and
:ref:`training-cnn` use them.

Examples
--------
One training step of a small convolutional network:

>>> import numpy as np
>>> from convbp import nn
>>> rng = np.random.default_rng(0)
>>> model = nn.Sequential(
...     nn.Conv(1, 8, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool(2),
...     nn.Flatten(), nn.Linear(8 * 4 * 4, 10, rng=rng))
>>> opt = nn.SGD(model, lr=0.1, momentum=0.9)
>>> x, labels = rng.normal(size=(16, 1, 8, 8)), rng.integers(10, size=16)
>>> loss, dlogits = nn.softmax_cross_entropy(model.forward(x), labels)
>>> _ = model.backward(dlogits)      # sets every dw and db
>>> opt.step()                       # moves every w and b
"""

from . import init
from .layers import (AvgPool, Conv, Flatten, Layer, Linear, LPPool, MaxPool, ReLU,
                     Sequential)
from .losses import mse, softmax_cross_entropy
from .optim import SGD

__all__ = [
    "AvgPool",
    "Conv",
    "Flatten",
    "Layer",
    "Linear",
    "LPPool",
    "MaxPool",
    "ReLU",
    "SGD",
    "Sequential",
    "init",
    "mse",
    "softmax_cross_entropy",
]
