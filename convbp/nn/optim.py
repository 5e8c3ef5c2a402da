r"""Stochastic gradient descent, step for step the update of ``torch.optim.SGD``.

A gradient is not an update: ``dw`` says how the loss changes with ``w``; the
optimiser decides how far to move. For every parameter ``p`` with gradient ``grad``
(``dampening=0``, ``nesterov=False``, PyTorch's defaults)::

    grad = grad + weight_decay * p          (if weight_decay != 0)
    buf  = grad                             (first step)
    buf  = momentum * buf + grad            (later steps; if momentum != 0)
    grad = buf                              (if momentum != 0)
    p    = p - lr * grad                    (in place)

Weight decay applies to every parameter, biases included (PyTorch's behaviour
when it is given ``model.parameters()``). The book's chapter :ref:`whole-chain`
separates gradient and update; :ref:`training-cnn` trains with this class.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["SGD"]


def _non_negative(name: str, value) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"SGD: {name} must be a non-negative number, got {value!r}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"SGD: {name} must be a non-negative number, got {value!r}")
    return float(value)


class SGD:
    """Gradient descent with optional momentum and weight decay, as ``torch.optim.SGD``.

    Parameters
    ----------
    model : layer or Sequential
        Anything with ``parameters()`` yielding ``(layer, name)`` pairs (every layer
        of :mod:`convbp.nn`); the gradient of ``getattr(layer, name)`` is read from
        ``getattr(layer, "d" + name)``.
    lr : float
        Learning rate (step size), >= 0. May be changed between steps (``opt.lr``).
    momentum : float
        Momentum factor, >= 0; 0 is plain gradient descent.
    weight_decay : float
        L2 penalty factor, >= 0, added to the gradient as ``weight_decay * p``.

    Attributes
    ----------
    params : list of (layer, name)
    buffers : list of ndarray or None
        The momentum buffer of each parameter (``None`` before the first step or
        without momentum).

    See Also
    --------
    convbp.nn.Sequential.parameters

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.nn import Linear, SGD
    >>> layer = Linear(2, 1, rng=0)
    >>> layer.w = np.array([[1.0, -1.0]]); layer.b = np.array([0.5])
    >>> _ = layer.forward(np.array([[2.0, 3.0]]))
    >>> _ = layer.backward(np.array([[1.0]]))           # dw = [[2, 3]], db = [1]
    >>> opt = SGD(layer, lr=0.1, momentum=0.9)
    >>> opt.step(); layer.w, layer.b                  # p - lr * grad
    (array([[ 0.8, -1.3]]), array([0.4]))
    >>> opt.step(); layer.w                           # buf = 0.9 * grad + grad
    array([[ 0.42, -1.87]])
    """

    def __init__(self, model, lr, *, momentum=0.0, weight_decay=0.0):
        if not callable(getattr(model, "parameters", None)):
            raise TypeError(f"SGD: model must have a parameters() method, got {model!r}")
        self.params = list(model.parameters())
        if not self.params:
            raise ValueError(f"SGD: model has no parameters to optimise: {model!r}")
        self.lr = _non_negative("lr", lr)
        self.momentum = _non_negative("momentum", momentum)
        self.weight_decay = _non_negative("weight_decay", weight_decay)
        self.buffers = [None] * len(self.params)

    def step(self):
        """Update every parameter in place from its current gradient."""
        for k, (layer, name) in enumerate(self.params):
            p = getattr(layer, name)
            grad = getattr(layer, "d" + name)
            if grad is None:
                raise ValueError(f"SGD.step: {layer!r}.d{name} is None: call backward "
                                 f"before step")
            if grad.shape != p.shape:
                raise ValueError(f"SGD.step: {layer!r}.d{name} must have the shape of "
                                 f"{name} {p.shape}, got {grad.shape}")
            if self.weight_decay != 0:
                grad = grad + self.weight_decay * p
            if self.momentum != 0:
                if self.buffers[k] is None:
                    self.buffers[k] = np.array(grad, dtype=p.dtype)     # a copy
                else:
                    self.buffers[k] *= self.momentum
                    self.buffers[k] += grad
                grad = self.buffers[k]
            p -= self.lr * grad

    def __repr__(self):
        return (f"SGD(lr={self.lr:g}, momentum={self.momentum:g}, "
                f"weight_decay={self.weight_decay:g}, {len(self.params)} parameter arrays)")
