"""Small result types shared by the fast and the reference implementations."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Gradients(NamedTuple):
    """Gradients of a scalar loss with respect to the operands of a convolution.

    Attributes
    ----------
    dx : ndarray, shape (N, C_in, *spatial)
        Gradient with respect to the input ``x`` (same shape as ``x``).
    dw : ndarray, shape (C_out, C_in // groups, *kernel)
        Gradient with respect to the weight ``w`` (same shape as ``w``).
    db : ndarray, shape (C_out,)
        Gradient with respect to the bias ``b``: ``dy`` summed over the batch and
        every output position.
    """

    dx: np.ndarray
    dw: np.ndarray
    db: np.ndarray
