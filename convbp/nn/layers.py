r"""Layers with a forward and a backward pass, the backward right under the forward.

Every layer maps an input ``x`` to an output ``y = forward(x)`` and, given the
gradient ``dy`` of a scalar loss with respect to ``y``, returns the gradient ``dx``
with respect to ``x``: ``dx = backward(dy)``. A layer with parameters also stores
their gradients (``dw``, ``db``) on the way. That is the whole chain rule of a
network: :class:`Sequential` calls the forwards in order and the backwards in
reverse (the book's chapter :ref:`whole-chain`).

Nothing here re-derives a convolution or a pooling: :class:`Conv` calls
:func:`convbp.conv` and :func:`convbp.conv_backward`, the pools call
:func:`convbp.max_pool_backward` and :func:`convbp.avg_pool_backward`. A layer keeps
only what its backward needs, from its last forward:

==========  =================================================================
Conv        the input ``x`` (``dw`` correlates it with ``dy``)
Linear      the input ``x`` (``dw = dy.T @ x``)
ReLU        the mask ``x > 0`` (``f'(x)``: 1 where the input was positive)
MaxPool     the input ``x`` (the core recomputes which cell won each window)
AvgPool     the input's shape and dtype only (average pooling is linear)
Flatten     the input's shape
==========  =================================================================

``backward`` may be called several times after one forward (with different ``dy``);
each call *overwrites* ``dw`` and ``db`` (nothing accumulates, so there is no
``zero_grad``). A backward before any forward raises ``ValueError``.

Parameters are plain NumPy arrays, ``layer.w`` and ``layer.b``, their gradients
``layer.dw`` and ``layer.db`` (``None`` until the first backward).
``layer.parameters()`` yields ``(layer, name)`` pairs, ``name`` in ``("w", "b")``;
the gradient of ``getattr(layer, name)`` is ``getattr(layer, "d" + name)``.
:class:`convbp.nn.SGD` updates the arrays in place through these pairs.

Shapes follow the core (and PyTorch): ``x`` is ``(N, C, *spatial)`` for the
convolution and pooling layers, ``(N, features)`` for :class:`Linear`.
"""

from __future__ import annotations

import inspect

import math
import numbers
from contextlib import contextmanager

import numpy as np

from .. import avg_pool, avg_pool_backward, conv, conv_backward, max_pool, max_pool_backward
from .._checks import check_norm_type
from ..lppool import lp_pool, lp_pool_backward
from ..geometry import as_padding, as_tuple
from .init import as_generator, he_normal

__all__ = ["Layer", "Conv", "Linear", "ReLU", "MaxPool", "AvgPool", "LPPool", "Flatten",
           "Sequential"]


# --------------------------------------------------------------------------- helpers

def _positive_int(where: str, name: str, value) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be a positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"{where}: {name} must be a positive int, got {value!r}")
    return int(value)


def _float_dtype(where: str, dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{where}: dtype must be float32 or float64, got {dtype}")
    return dtype


def _array(layer, name: str, a) -> np.ndarray:
    """``a`` as a real numeric ndarray (no copy when it already is one)."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{layer!r}: {name} must be a real numeric array, got dtype {arr.dtype}")
    return arr


@contextmanager
def _named(layer):
    """Prefix an error raised by a core function with the layer that called it."""
    try:
        yield
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{layer!r}: {exc}") from None


class Layer:
    """Base class: ``forward``, ``backward``, ``parameters`` and the shared checks.

    Subclasses set ``_param_names`` (the attributes holding parameters) and
    implement ``forward(x)`` and ``backward(dy)``. Calling a layer calls ``forward``.
    """

    _param_names: tuple[str, ...] = ()

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):  # pragma: no cover - every layer overrides it
        raise NotImplementedError

    def backward(self, dy):  # pragma: no cover - every layer overrides it
        raise NotImplementedError

    def parameters(self):
        """Yield ``(layer, name)`` for each parameter array (``"w"``, then ``"b"``).

        A missing bias (``b is None``) is skipped. The gradient of
        ``getattr(layer, name)`` is ``getattr(layer, "d" + name)``.
        """
        for name in self._param_names:
            if getattr(self, name) is not None:
                yield self, name

    def _saved(self, value):
        """What the last forward stored, or a ValueError if there was no forward."""
        if value is None:
            raise ValueError(f"{self!r}: backward called before forward (nothing saved "
                             f"to differentiate)")
        return value

    def _dy(self, dy, shape) -> np.ndarray:
        """``dy`` checked against the shape of the last forward's output."""
        dy = _array(self, "dy", dy)
        if dy.shape != tuple(shape):
            raise ValueError(f"{self!r}: dy must have the shape of the last forward's "
                             f"output {tuple(shape)}, got {dy.shape}")
        return dy


# --------------------------------------------------------------------------- convolution

class Conv(Layer):
    r"""N-d convolution layer: :func:`convbp.conv` forward, :func:`convbp.conv_backward` back.

    ``y = conv(x, w, b, stride, padding, dilation, groups)``; backward sets
    ``dw``, ``db`` and returns ``dx`` (the book's chapters :ref:`backward-strided` and
    :ref:`channels-groups` derive them).

    Parameters
    ----------
    in_channels, out_channels : int
        ``C_in`` and ``C_out``; ``groups`` must divide both.
    kernel_size : int or tuple of int
        A tuple gives the kernel's spatial shape and so the number of spatial dims
        (``(5,)`` is 1-D, ``(3, 3, 3)`` 3-D); an int ``k`` means a 2-D ``(k, k)`` kernel.
    stride, dilation : int or tuple of int
        As in :func:`convbp.conv` (``dilation=1`` means no dilation).
    padding : int, tuple of int, or tuple of (int, int)
        As in :func:`convbp.conv`: zero padding, asymmetric ``(lo, hi)`` pairs allowed.
    groups : int
    bias : bool
        Without bias ``b`` and ``db`` are ``None``.
    rng : None, int or numpy.random.Generator
        Source of the He-normal initial weights (:func:`convbp.nn.init.he_normal`,
        ``fan_in = C_in / groups * prod(kernel_size)``); the bias starts at 0.
    dtype : float32 or float64
        dtype of ``w`` and ``b`` (an addition to the API of the issue; PyTorch's
        layers take ``dtype`` too). Gradients and SGD updates keep it.

    Attributes
    ----------
    w : ndarray, shape (C_out, C_in // groups, *kernel_size)
    b : ndarray, shape (C_out,), or None
    dw, db : ndarray or None
        Gradients from the last ``backward``; shapes of ``w`` and ``b``.

    See Also
    --------
    convbp.conv, convbp.conv_backward : what forward and backward call.
    Linear : the layer with a full weight matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.nn import Conv
    >>> layer = Conv(1, 2, 3, stride=2, padding=1, rng=0)
    >>> layer.w.shape, layer.b.shape
    ((2, 1, 3, 3), (2,))
    >>> y = layer.forward(np.ones((4, 1, 8, 8)))
    >>> y.shape
    (4, 2, 4, 4)
    >>> dx = layer.backward(np.ones_like(y))
    >>> dx.shape, layer.dw.shape, layer.db.tolist()
    ((4, 1, 8, 8), (2, 1, 3, 3), [64.0, 64.0])
    """

    _param_names = ("w", "b")

    def __init__(self, in_channels, out_channels, kernel_size, *, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, rng=None, dtype=np.float64):
        c_in = _positive_int("Conv", "in_channels", in_channels)
        c_out = _positive_int("Conv", "out_channels", out_channels)
        groups = _positive_int("Conv", "groups", groups)
        if c_in % groups or c_out % groups:
            raise ValueError(f"Conv: groups={groups} must divide in_channels={c_in} and "
                             f"out_channels={c_out}")
        if isinstance(kernel_size, numbers.Integral) and not isinstance(kernel_size, bool):
            kernel_size = (kernel_size, kernel_size)
        elif not isinstance(kernel_size, (tuple, list)) or not kernel_size:
            raise TypeError(f"Conv: kernel_size must be an int or a non-empty tuple of "
                            f"ints, got {kernel_size!r}")
        nd = len(kernel_size)
        self.kernel_size = as_tuple(kernel_size, nd, "Conv", "kernel_size")
        self.stride = as_tuple(stride, nd, "Conv", "stride")
        self.padding = as_padding(padding, nd, "Conv")
        self.dilation = as_tuple(dilation, nd, "Conv", "dilation")
        self.in_channels, self.out_channels, self.groups = c_in, c_out, groups
        dtype = _float_dtype("Conv", dtype)
        fan_in = c_in // groups * math.prod(self.kernel_size)
        self.w = he_normal((c_out, c_in // groups, *self.kernel_size), fan_in,
                           as_generator(rng, "Conv"), dtype)
        self.b = np.zeros(c_out, dtype=dtype) if bias else None
        self.dw = self.db = None
        self._x = None

    def _args(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups)

    def forward(self, x):
        x = _array(self, "x", x)
        nd = len(self.kernel_size)
        if x.ndim != nd + 2 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r}: x must have shape (N, {self.in_channels}, "
                             f"*spatial) with {nd} spatial dim(s), got shape {x.shape}")
        with _named(self):
            y = conv(x, self.w, self.b, **self._args())
        self._x, self._y_shape = x, y.shape
        return y

    def backward(self, dy, input_grad=True):
        """``dL/dx`` from ``dy``; stores ``dw`` and ``db``. ``input_grad=False`` skips
        ``dL/dx`` (returns ``None``), as :meth:`Sequential.backward` asks of a first layer."""
        x = self._saved(self._x)
        dy = self._dy(dy, self._y_shape)
        grads = conv_backward(dy, x, self.w, **self._args(), input_grad=input_grad)
        self.dw = grads.dw.astype(self.w.dtype, copy=False)
        self.db = None if self.b is None else grads.db.astype(self.b.dtype, copy=False)
        return grads.dx

    def __repr__(self):
        nd = len(self.kernel_size)

        def short(v):  # (3, 3) -> 3 and ((1, 1), (1, 1)) -> 1 when all entries agree
            flat = [u for t in v for u in (t if isinstance(t, tuple) else (t,))]
            return flat[0] if nd > 1 and len(set(flat)) == 1 else v

        args = [str(self.in_channels), str(self.out_channels), str(short(self.kernel_size))]
        for name, val, default in (
                ("stride", self.stride, (1,) * nd), ("padding", self.padding, ((0, 0),) * nd),
                ("dilation", self.dilation, (1,) * nd), ("groups", self.groups, 1),
                ("bias", self.b is not None, True)):
            if val != default:
                args.append(f"{name}={short(val) if isinstance(val, tuple) else val}")
        return f"Conv({', '.join(args)})"


# --------------------------------------------------------------------------- linear

class Linear(Layer):
    r"""Fully connected layer: ``y = x @ w.T + b``.

    Backward: ``dx = dy @ w``, ``dw = dy.T @ x``, ``db = dy.sum(axis=0)``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
    rng : None, int or numpy.random.Generator
        He-normal initial weights (``fan_in = in_features``); the bias starts at 0.
    dtype : float32 or float64
        dtype of ``w`` and ``b`` (see :class:`Conv`).

    Attributes
    ----------
    w : ndarray, shape (out_features, in_features)
    b : ndarray, shape (out_features,), or None
    dw, db : ndarray or None

    See Also
    --------
    Conv : a linear layer whose weights are shared across positions.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.nn import Linear
    >>> layer = Linear(3, 2, rng=0)
    >>> layer.w = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    >>> layer.forward(np.array([[1.0, 2.0, 3.0]]))
    array([[-2.,  4.]])
    >>> layer.backward(np.array([[1.0, 10.0]]))       # dy @ w
    array([[21., 10., -1.]])
    >>> layer.dw                                       # dy.T @ x
    array([[ 1.,  2.,  3.],
           [10., 20., 30.]])
    """

    _param_names = ("w", "b")

    def __init__(self, in_features, out_features, *, bias=True, rng=None, dtype=np.float64):
        self.in_features = _positive_int("Linear", "in_features", in_features)
        self.out_features = _positive_int("Linear", "out_features", out_features)
        dtype = _float_dtype("Linear", dtype)
        self.w = he_normal((self.out_features, self.in_features), self.in_features,
                           as_generator(rng, "Linear"), dtype)
        self.b = np.zeros(self.out_features, dtype=dtype) if bias else None
        self.dw = self.db = None
        self._x = None

    def forward(self, x):
        x = _array(self, "x", x)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"{self!r}: x must have shape (N, {self.in_features}), got "
                             f"shape {x.shape}")
        self._x = x
        y = x @ self.w.T
        return y if self.b is None else y + self.b

    def backward(self, dy):
        x = self._saved(self._x)
        dy = self._dy(dy, (x.shape[0], self.out_features))
        self.dw = (dy.T @ x).astype(self.w.dtype, copy=False)
        self.db = None if self.b is None else dy.sum(axis=0).astype(self.b.dtype, copy=False)
        return dy @ self.w

    def __repr__(self):
        bias = "" if self.b is not None else ", bias=False"
        return f"Linear({self.in_features}, {self.out_features}{bias})"


# --------------------------------------------------------------------------- activation

class ReLU(Layer):
    r"""``y = max(x, 0)``; backward multiplies ``dy`` by :math:`f'(x) = [x > 0]`.

    The derivative at exactly 0 is taken to be 0 (as in PyTorch). The layer keeps
    only the boolean mask ``x > 0``, not ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.nn import ReLU
    >>> relu = ReLU()
    >>> relu.forward(np.array([[-1.0, 0.0, 2.0]]))
    array([[0., 0., 2.]])
    >>> relu.backward(np.array([[5.0, 5.0, 5.0]]))
    array([[0., 0., 5.]])
    """

    def __init__(self):
        self._mask = None

    def forward(self, x):
        x = _array(self, "x", x)
        self._mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dy):
        mask = self._saved(self._mask)
        return self._dy(dy, mask.shape) * mask

    def __repr__(self):
        return "ReLU()"


# --------------------------------------------------------------------------- pooling

class _Pool(Layer):
    """Shared constructor and checks of :class:`MaxPool` and :class:`AvgPool`."""

    def __init__(self, kernel_size, stride=None, padding=0):
        name = type(self).__name__
        # the number of spatial dims is that of the first tuple argument (1 if none)
        tuples = [a for a in (kernel_size, stride, padding) if isinstance(a, (tuple, list))]
        nd = len(tuples[0]) if tuples else 1
        as_tuple(kernel_size, nd, name, "kernel_size")
        if stride is not None:
            as_tuple(stride, nd, name, "stride")
        as_padding(padding, nd, name)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self._x = None

    def _window(self):
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding)

    def _input(self, x):
        x = _array(self, "x", x)
        if x.ndim < 3:
            raise ValueError(f"{self!r}: x must have shape (N, C, *spatial) with at least "
                             f"one spatial dim, got shape {x.shape}")
        return x

    def __repr__(self):
        args = [repr(self.kernel_size)]
        if self.stride is not None:
            args.append(f"stride={self.stride!r}")
        if self.padding != 0:
            args.append(f"padding={self.padding!r}")
        return f"{type(self).__name__}({', '.join(args)})"


class MaxPool(_Pool):
    r"""Max pooling: :func:`convbp.max_pool` forward, :func:`convbp.max_pool_backward` back.

    Each ``dy`` entry goes to the cell that won its window (ties: the first in
    row-major order); overlapping windows add up. ``stride`` defaults to
    ``kernel_size``; an int works for any number of spatial dims. The book's chapter
    :ref:`pooling-activations` derives the rule.

    Parameters
    ----------
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
    padding : int, tuple of int, or tuple of (int, int)

    See Also
    --------
    AvgPool : average pooling over the same windows.
    convbp.max_pool, convbp.max_pool_backward : the functions it calls.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.nn import MaxPool
    >>> pool = MaxPool(2)
    >>> pool.forward(np.array([[[[1.0, 4.0], [3.0, 2.0]]]]))
    array([[[[4.]]]])
    >>> pool.backward(np.array([[[[7.0]]]]))
    array([[[[0., 7.],
             [0., 0.]]]])
    """

    def forward(self, x):
        x = self._input(x)
        with _named(self):
            y = max_pool(x, **self._window())
        self._x, self._y_shape = x, y.shape
        return y

    def backward(self, dy):
        x = self._saved(self._x)
        return max_pool_backward(self._dy(dy, self._y_shape), x, **self._window())


class AvgPool(_Pool):
    r"""Average pooling: :func:`convbp.avg_pool` forward, :func:`convbp.avg_pool_backward` back.

    Each window cell receives ``dy / prod(kernel_size)``; padded cells count in the
    divisor. Average pooling is linear, so its backward needs only the input's shape
    and dtype, and that is all the layer keeps.

    Parameters
    ----------
    kernel_size, stride, padding
        As for :class:`MaxPool`.

    See Also
    --------
    MaxPool, convbp.avg_pool

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.nn import AvgPool
    >>> pool = AvgPool(2, stride=1)                   # overlapping windows
    >>> pool.forward(np.array([[[1.0, 3.0, 5.0, 7.0]]]))
    array([[[2., 4., 6.]]])
    >>> pool.backward(np.array([[[1.0, 10.0, 100.0]]]))
    array([[[ 0.5,  5.5, 55. , 50. ]]])
    """

    def forward(self, x):
        x = self._input(x)
        with _named(self):
            y = avg_pool(x, **self._window())
        self._x, self._y_shape = (x.shape, x.dtype), y.shape
        return y

    def backward(self, dy):
        shape, dtype = self._saved(self._x)
        # avg_pool_backward reads only the shape and dtype of x: a zero-stride view
        x_stand_in = np.broadcast_to(np.zeros((), dtype=dtype), shape)
        return avg_pool_backward(self._dy(dy, self._y_shape), x_stand_in, **self._window())


class LPPool(_Pool):
    r"""Power-average pooling: :func:`convbp.lp_pool` and :func:`convbp.lp_pool_backward`.

    ``y_o = (sum over the window of x**p) ** (1/p)``, PyTorch's ``LPPool1d/2d/3d``
    (no padding; ``p = 2`` is L2 pooling, ``p = inf`` max pooling of ``|x|``). Each
    window cell receives ``dy_o * (x_a / y_o)**(p-1)``; a window whose power sum is
    zero passes no gradient. The layer keeps its input. Derived in the book's chapter
    :ref:`pooling-activations`.

    Parameters
    ----------
    norm_type : float
        The power ``p > 0``, or ``inf``.
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Defaults to ``kernel_size``.

    See Also
    --------
    MaxPool, AvgPool, convbp.lp_pool

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.nn import LPPool
    >>> pool = LPPool(2, 2)
    >>> pool.forward(np.array([[[3.0, 4.0, 0.0, 0.0]]]))
    array([[[5., 0.]]])
    >>> pool.backward(np.array([[[10.0, 10.0]]]))
    array([[[6., 8., 0., 0.]]])
    """

    def __init__(self, norm_type, kernel_size, stride=None):
        self.norm_type = check_norm_type("LPPool", norm_type)
        super().__init__(kernel_size, stride)

    def _window(self):
        return dict(kernel_size=self.kernel_size, stride=self.stride)

    def forward(self, x):
        x = self._input(x)
        with _named(self):
            y = lp_pool(x, self.norm_type, **self._window())
        self._x, self._y_shape = x, y.shape
        return y

    def backward(self, dy):
        x = self._saved(self._x)
        return lp_pool_backward(self._dy(dy, self._y_shape), x, self.norm_type,
                                **self._window())

    def __repr__(self):
        p = self.norm_type
        args = [repr(int(p) if p.is_integer() else p), repr(self.kernel_size)]
        if self.stride is not None:
            args.append(f"stride={self.stride!r}")
        return f"LPPool({', '.join(args)})"


# --------------------------------------------------------------------------- reshaping

class Flatten(Layer):
    """``(N, *rest) -> (N, prod(rest))``; backward reshapes ``dy`` back.

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.nn import Flatten
    >>> f = Flatten()
    >>> f.forward(np.zeros((2, 3, 4, 4))).shape
    (2, 48)
    >>> f.backward(np.zeros((2, 48))).shape
    (2, 3, 4, 4)
    """

    def __init__(self):
        self._shape = None

    def forward(self, x):
        x = _array(self, "x", x)
        if x.ndim < 1:
            raise ValueError(f"{self!r}: x must have a batch axis, got a scalar")
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        shape = self._saved(self._shape)
        return self._dy(dy, (shape[0], math.prod(shape[1:]))).reshape(shape)

    def __repr__(self):
        return "Flatten()"


# --------------------------------------------------------------------------- container

class Sequential(Layer):
    """Layers applied in order; backward runs them in reverse (the chain rule).

    ``forward(x) = layers[-1].forward(... layers[0].forward(x))`` and
    ``backward(dy) = layers[0].backward(... layers[-1].backward(dy))``.
    ``parameters()`` yields the parameters of every layer, first layer first.

    Parameters
    ----------
    *layers : objects with ``forward`` and ``backward`` (and optionally
        ``parameters``), e.g. the layers of this module or another ``Sequential``.

    Attributes
    ----------
    layers : list

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.nn import Sequential, Conv, ReLU, MaxPool, Flatten, Linear
    >>> net = Sequential(Conv(1, 4, 3, padding=1, rng=0), ReLU(), MaxPool(2),
    ...                  Flatten(), Linear(4 * 4 * 4, 10, rng=1))
    >>> logits = net.forward(np.zeros((5, 1, 8, 8)))
    >>> logits.shape
    (5, 10)
    >>> [(type(layer).__name__, name) for layer, name in net.parameters()]
    [('Conv', 'w'), ('Conv', 'b'), ('Linear', 'w'), ('Linear', 'b')]
    >>> net.backward(np.ones((5, 10))).shape
    (5, 1, 8, 8)
    """

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not (callable(getattr(layer, "forward", None))
                    and callable(getattr(layer, "backward", None))):
                raise TypeError(f"Sequential: layer {i} must have forward and backward "
                                f"methods, got {layer!r}")
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dy, input_grad=True):
        """Run every layer's backward in reverse order; return ``dL/dx`` of the input.

        With ``input_grad=False`` the gradient of the network's input is not wanted
        (training): a first layer whose ``backward`` takes ``input_grad`` (:class:`Conv`)
        skips it, saving the most expensive product of small networks, and ``None`` is
        returned.
        """
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            if i == 0 and not input_grad:
                if "input_grad" in inspect.signature(layer.backward).parameters:
                    layer.backward(dy, input_grad=False)
                else:
                    layer.backward(dy)
                return None
            dy = layer.backward(dy)
        return dy

    def parameters(self):
        for layer in self.layers:
            if hasattr(layer, "parameters"):
                yield from layer.parameters()

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        inner = "".join(f"\n  {layer!r}," for layer in self.layers)
        return f"Sequential({inner}\n)" if self.layers else "Sequential()"
