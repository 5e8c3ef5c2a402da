r"""Losses that return the loss and its gradient with respect to the network's output.

Each function returns ``(loss, dlogits)``: ``loss`` is a Python float and
``dlogits`` has the shape of the first argument; it is the ``dy`` that starts the
backward pass (``model.backward(dlogits)``). Derived in the book's chapter
:ref:`whole-chain`.

* :func:`softmax_cross_entropy` -- the mean over the batch of
  ``-log softmax(logits)[label]``; its gradient is ``(softmax(logits) - onehot) / N``.
* :func:`mse` -- ``1/2 * sum((target - y)**2)`` (a sum, not a mean: the squared
  error of the seed blog's eq. 9); its gradient is ``y - target``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["softmax_cross_entropy", "mse"]


def _float(where: str, name: str, a) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {name} must be a real numeric array, got dtype {arr.dtype}")
    return arr if arr.dtype.kind == "f" else arr.astype(np.float64)


def softmax_cross_entropy(logits, labels):
    r"""Mean cross-entropy of the softmax of ``logits`` against integer ``labels``.

    .. math::

        L &= \frac1N \sum_i \Bigl(\log \sum_j e^{z_{ij}} - z_{i,y_i}\Bigr)

        \frac{\partial L}{\partial z_{ij}} &= \frac1N\Bigl(\operatorname{softmax}(z_i)_j
            - [j = y_i]\Bigr)

    Computed stably: the row maximum is subtracted before exponentiating, so large
    logits neither overflow nor lose the small probabilities.

    Parameters
    ----------
    logits : array_like, shape (N, C)
        Scores of ``C`` classes for ``N`` samples (float32 stays float32).
    labels : array_like of int, shape (N,)
        The class of each sample, in ``[0, C)``.

    Returns
    -------
    loss : float
    dlogits : ndarray, shape (N, C)
        Gradient of ``loss`` with respect to ``logits``, ``logits``' float dtype.

    Raises
    ------
    TypeError
        If ``labels`` is not an integer array.
    ValueError
        For wrong shapes, an empty batch, or a label outside ``[0, C)``.

    See Also
    --------
    mse : squared error.

    Examples
    --------
    >>> import numpy as np
    >>> loss, d = softmax_cross_entropy(np.array([[0.0, 0.0], [1000.0, 0.0]]),
    ...                                 np.array([0, 0]))
    >>> round(loss, 6)                      # (log 2 + 0) / 2
    0.346574
    >>> d
    array([[-0.25,  0.25],
           [ 0.  ,  0.  ]])
    """
    where = "softmax_cross_entropy"
    z = _float(where, "logits", logits)
    if z.ndim != 2 or z.shape[0] == 0 or z.shape[1] == 0:
        raise ValueError(f"{where}: logits must have shape (N, C) with N, C >= 1, got "
                         f"shape {z.shape}")
    y = np.asarray(labels)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{where}: labels must be integer class indices, got dtype {y.dtype}")
    n, c = z.shape
    if y.shape != (n,):
        raise ValueError(f"{where}: labels must have shape (N,) = ({n},), one per row of "
                         f"logits, got shape {y.shape}")
    bad = np.flatnonzero((y < 0) | (y >= c))
    if bad.size:
        raise ValueError(f"{where}: labels must be in [0, {c}) for logits with {c} "
                         f"classes, got {int(y[bad[0]])} at position {int(bad[0])}")
    shifted = z - z.max(axis=1, keepdims=True)          # <= 0: exp cannot overflow
    log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_sum                           # log softmax
    rows = np.arange(n)
    loss = -log_p[rows, y].mean()
    dlogits = np.exp(log_p)
    dlogits[rows, y] -= 1
    dlogits /= n
    return float(loss), dlogits


def mse(y, target):
    r"""Squared error :math:`L = \tfrac12 \sum (t - y)^2` and its gradient :math:`y - t`.

    The sum runs over every entry (no division by the batch size): the loss of the
    seed blog's eq. 9. PyTorch's ``MSELoss(reduction="sum")`` is twice this.

    Parameters
    ----------
    y : array_like
        The network's output.
    target : array_like, same shape as ``y``

    Returns
    -------
    loss : float
    dy : ndarray, shape of ``y``
        ``y - target``, in ``y``'s float dtype.

    See Also
    --------
    softmax_cross_entropy

    Examples
    --------
    >>> import numpy as np
    >>> mse(np.array([[1.0, 2.0]]), np.array([[0.0, 4.0]]))
    (2.5, array([[ 1., -2.]]))
    """
    y = _float("mse", "y", y)
    t = _float("mse", "target", target)
    if t.shape != y.shape:
        raise ValueError(f"mse: target must have the shape of y {y.shape}, got {t.shape}")
    diff = (y - t).astype(y.dtype, copy=False)
    return float(0.5 * np.sum(diff * diff)), diff
