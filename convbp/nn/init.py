r"""Weight initialisation that a reader can check by hand: He (Kaiming) normal.

A layer computes ``y = sum over fan_in inputs of w * x``. If the inputs have mean
square ``E[x^2] = q`` and the weights are independent with mean 0 and variance
``v``, each output has variance ``fan_in * v * q``. After a ReLU only the positive
half survives, so the next layer's inputs have mean square half the variance of
the pre-activations. Keeping that mean square the same from layer to layer needs

    v = 2 / fan_in                     (He et al. 2015, "Delving Deep into
                                        Rectifiers", eq. 10)

``fan_in`` is the number of inputs that one output sums: ``in_features`` for a
linear layer, ``C_in / groups * prod(kernel)`` for a convolution. Biases start at 0.

The draws are float64 from the caller's generator, then cast: a float32 layer gets
exactly the float64 layer's weights, rounded.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["he_normal", "as_generator"]


def as_generator(rng, where: str) -> np.random.Generator:
    """``rng`` as a NumPy ``Generator``: a Generator is used as is, an int seeds one.

    ``None`` gives a fresh, unseeded generator (weights then differ from run to
    run); pass a seed or a Generator for reproducible weights.

    Examples
    --------
    >>> as_generator(0, "Linear").integers(10, size=3)
    array([8, 6, 5])
    """
    seed_like = isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)
    if rng is None or seed_like or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    raise TypeError(f"{where}: rng must be None, an int seed or a numpy.random.Generator, "
                    f"got {type(rng).__name__}")


def he_normal(shape, fan_in: int, rng=None, dtype=np.float64) -> np.ndarray:
    r"""Weights drawn from :math:`\mathcal N(0,\ 2/\text{fan\_in})` (He/Kaiming normal).

    Parameters
    ----------
    shape : tuple of int
        Shape of the weight array, e.g. ``(C_out, C_in // groups, *kernel)``.
    fan_in : int
        Number of inputs each output sums over.
    rng : None, int or numpy.random.Generator
        Source of the draws (see :func:`as_generator`).
    dtype : float dtype
        ``float64`` (default) or ``float32``; drawn in float64, then cast.

    Returns
    -------
    w : ndarray, shape ``shape``, dtype ``dtype``

    See Also
    --------
    convbp.nn.Conv, convbp.nn.Linear : the layers that call it.

    Examples
    --------
    >>> w = he_normal((256, 512), fan_in=512, rng=0)
    >>> round(float(w.std() * np.sqrt(512 / 2)), 2)       # std is sqrt(2 / fan_in)
    1.0
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"he_normal: dtype must be a float dtype, got {dtype}")
    if not isinstance(fan_in, (int, np.integer)) or fan_in < 1:
        raise ValueError(f"he_normal: fan_in must be a positive int, got {fan_in!r}")
    gen = as_generator(rng, "he_normal")
    std = math.sqrt(2.0 / fan_in)
    return (std * gen.standard_normal(tuple(shape))).astype(dtype)
