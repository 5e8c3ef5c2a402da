r"""SymPy derivations of the pooling gradients: max, average and power-average (LP).

As :func:`convbp.symbolic.derive` does for the convolution, :func:`derive_pool` writes
the forward pass of one small pooling layer entry by entry, with one SymPy symbol per
input cell ``x`` and per upstream-gradient entry ``dy`` (printed :math:`\delta`), and
lets SymPy differentiate :math:`L = \sum_o \delta_o\, y_o`. Nothing of the backward
rule is typed in. :func:`lp_window_gradient` derives the gradient of one LP window with
a symbolic power ``p`` and proves the closed form :math:`(x_a / y)^{p-1}`.

The chapter :ref:`pooling-activations` uses both. Three kinds of pooling:

* ``"avg"``: :math:`y_o = \frac{1}{K}\sum_{a \in o} x_a` is linear, so every
  gradient is a constant (:math:`\delta_o / K`, summed over overlapping windows).
* ``"max"`` with ``at=`` numbers: the winning cell of every window is fixed by those
  numbers (convbp's rule: the first maximal cell in row-major order), and
  :math:`y_o = x_{\text{winner}(o)}` is again linear. Without ``at`` the forward is
  SymPy's ``Max``, whose derivative is a ``Heaviside`` of differences: defined away
  from ties, ``1/2`` per tied cell at a tie (not a rule any framework uses).
* ``"lp"``: :math:`y_o = (\sum_{a \in o} x_a^p)^{1/p}` with the given ``norm_type``.

Windows, strides and leftover rows come from :func:`convbp.geometry.pool_geometry`.
One channel, no batch: ``x`` has the spatial shape only.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np
import sympy

from ..geometry import pool_geometry

__all__ = ["PoolDerivation", "LPWindowGradient", "derive_pool", "lp_window_gradient"]

OP = "derive_pool"
_KINDS = ("max", "avg", "lp")


def _symbols(name: str, shape, **assumptions) -> np.ndarray:
    arr = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        sub = ",".join(str(i) for i in idx) if any(i > 9 for i in idx) else "".join(
            str(i) for i in idx)
        arr[idx] = sympy.Symbol(f"{name}_{{{sub}}}", **assumptions)
    return arr


def _first_max(values: list) -> int:
    """Index of the first maximal value (strict ``>``): convbp's tie rule."""
    best = 0
    for t, v in enumerate(values):
        if v > values[best]:
            best = t
    return best


class PoolDerivation(NamedTuple):
    r"""Symbols, forward equations and gradients of one pooling layer (one channel).

    Attributes
    ----------
    kind : str
        ``"max"``, ``"avg"`` or ``"lp"``.
    geometry : convbp.geometry.ConvGeometry
    x : ndarray of sympy.Symbol, shape ``in_size``
    delta : ndarray of sympy.Symbol, shape ``out_size``
        The upstream gradient :math:`\delta = \partial L/\partial y` (code ``dy``;
        also available as ``.dy``).
    y : ndarray of sympy.Expr, shape ``out_size``
    dx : ndarray of sympy.Expr, shape ``in_size``
        :math:`\partial L/\partial x` for :math:`L = \sum_o \delta_o y_o`.
    """

    kind: str
    geometry: object
    x: np.ndarray
    delta: np.ndarray
    y: np.ndarray
    dx: np.ndarray

    @property
    def dy(self) -> np.ndarray:
        """Same as ``delta``: the upstream-gradient symbols, as ``Derivation.dy``."""
        return self.delta

    def evaluate(self, x, dy) -> tuple[np.ndarray, np.ndarray]:
        """Substitute numbers: return ``(y, dx)`` as float arrays.

        Parameters
        ----------
        x : array_like, shape ``in_size``
        dy : array_like, shape ``out_size``
        """
        x = np.asarray(x, dtype=float)
        dy = np.asarray(dy, dtype=float)
        if x.shape != self.x.shape or dy.shape != self.dy.shape:
            raise ValueError(
                f"{OP}.evaluate: x must have shape {self.x.shape} and dy shape "
                f"{self.dy.shape}, got {x.shape} and {dy.shape}")
        subs = {s: sympy.Float(v) for s, v in zip(self.x.flat, x.flat)}
        subs.update({s: sympy.Float(v) for s, v in zip(self.dy.flat, dy.flat)})
        y = np.array([float(e.subs(subs)) for e in self.y.flat]).reshape(self.y.shape)
        dx = np.array([float(e.subs(subs)) for e in self.dx.flat]).reshape(self.x.shape)
        return y, dx

    def latex(self, which: str = "dx") -> str:
        r"""The equations of ``which`` (``"y"`` or ``"dx"``) as one LaTeX ``aligned`` block.

        Examples
        --------
        >>> print(derive_pool("avg", 2, 2).latex("y"))
        \begin{aligned}y_{0} &= \frac{x_{0}}{2} + \frac{x_{1}}{2}\end{aligned}
        """
        if which not in ("y", "dx"):
            raise ValueError(f"{OP}.latex: which must be 'y' or 'dx', got {which!r}")
        names = {s: "\\" + s.name for s in self.dy.flat}
        rows = []
        for sym_, expr in zip(self.x.flat if which == "dx" else self.dy.flat,
                              getattr(self, which).flat):
            sub = sym_.name.split("_", 1)[1]
            lhs = (r"\frac{\partial L}{\partial x_" + sub + "}" if which == "dx"
                   else "y_" + sub)
            rows.append(lhs + " &= " + sympy.latex(expr, symbol_names=names))
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def linear_coefficients(self) -> np.ndarray:
        r"""The matrix :math:`\partial y_o / \partial x_a`, shape ``(out, in)`` (flattened).

        Raises ``ValueError`` unless the layer is linear (every entry a number), which
        is the case for ``"avg"`` and for ``"max"`` with a fixed winner.
        """
        rows = []
        for y in self.y.flat:
            row = [sympy.diff(y, s) for s in self.x.flat]
            if not all(c.is_number for c in row):
                raise ValueError(f"{OP}: the {self.kind} pooling layer is not linear "
                                 f"(its derivatives depend on x); fix the winners with at=")
            rows.append([float(c) for c in row])
        return np.array(rows)


def derive_pool(kind: str, in_size, kernel_size, stride=None, *, norm_type=2,
                at=None) -> PoolDerivation:
    r"""Derive the backward pass of one small pooling layer with SymPy.

    Parameters
    ----------
    kind : {"max", "avg", "lp"}
    in_size : int or tuple of int
        Spatial input size (1-D or 2-D are practical; any rank works).
    kernel_size, stride
        As for :func:`convbp.max_pool` (no padding).
    norm_type : int, float or sympy.Symbol
        The power ``p`` of ``"lp"`` pooling (ignored otherwise).
    at : array_like, shape ``in_size``, optional
        For ``"max"``: numbers that fix the winning cell of every window (convbp's rule,
        first maximal cell), so that :math:`y_o = x_{\text{winner}(o)}`. Without it the
        forward is SymPy's ``Max``.

    Returns
    -------
    PoolDerivation

    See Also
    --------
    convbp.max_pool_backward, convbp.avg_pool_backward, convbp.lp_pool_backward :
        the numeric gradients these equations are checked against.
    lp_window_gradient : the closed form of one LP window.

    Examples
    --------
    >>> d = derive_pool("avg", 4, 2, stride=1)
    >>> d.dx[1]
    delta_{0}/2 + delta_{1}/2
    >>> d = derive_pool("max", 3, 2, stride=1, at=[1.0, 5.0, 2.0])
    >>> list(d.y), d.dx[1]
    ([x_{1}, x_{1}], delta_{0} + delta_{1})
    """
    if kind not in _KINDS:
        raise ValueError(f"{OP}: kind must be one of {_KINDS}, got {kind!r}")
    if isinstance(in_size, numbers.Integral):
        in_size = (int(in_size),)
    in_size = tuple(in_size)
    geom = pool_geometry(OP, in_size, kernel_size, stride, 0)
    # x**p is real for positive x: the LP symbols are positive, the others real
    assume = {"positive": True} if kind == "lp" else {"real": True}
    x = _symbols("x", geom.in_size, **assume)
    dy = _symbols("delta", geom.out_size, real=True)      # the book's delta
    if at is not None:
        if kind != "max":
            raise ValueError(f"{OP}: at= fixes the winners of max pooling only, "
                             f"got kind={kind!r}")
        at = np.asarray(at, dtype=float)
        if at.shape != geom.in_size:
            raise ValueError(f"{OP}: at must have the input shape {geom.in_size}, "
                             f"got {at.shape}")
    taps = list(np.ndindex(*geom.kernel_size))
    k = math.prod(geom.kernel_size)
    y = np.empty(geom.out_size, dtype=object)
    for o in np.ndindex(*geom.out_size):
        cells = [tuple(s * oi + m for s, oi, m in zip(geom.stride, o, tap)) for tap in taps]
        xs = [x[c] for c in cells]
        if kind == "avg":
            y[o] = sympy.Add(*xs) / k
        elif kind == "lp":
            p = sympy.sympify(norm_type)
            y[o] = sympy.Add(*[v ** p for v in xs]) ** (1 / p)
        elif at is None:
            y[o] = sympy.Max(*xs)
        else:
            y[o] = xs[_first_max([at[c] for c in cells])]
    loss = sympy.Add(*[d * e for d, e in zip(dy.flat, y.flat)])
    dx = np.empty(geom.in_size, dtype=object)
    for a in np.ndindex(*geom.in_size):
        dx[a] = sympy.diff(loss, x[a])
    return PoolDerivation(kind, geom, x, dy, y, dx)


class LPWindowGradient(NamedTuple):
    r"""The gradient of one power-average window, derived and simplified by SymPy.

    Attributes
    ----------
    p : sympy.Symbol or number
    x : tuple of sympy.Symbol
        The window's entries (positive symbols).
    y : sympy.Expr
        :math:`(\sum_a x_a^p)^{1/p}`.
    gradient : tuple of sympy.Expr
        :math:`\partial y / \partial x_a` as SymPy differentiates it.
    closed_form : tuple of sympy.Expr
        :math:`(x_a / y)^{p-1}`.
    proved : bool
        ``simplify(gradient - closed_form) == 0`` for every entry.
    """

    p: object
    x: tuple
    y: object
    gradient: tuple
    closed_form: tuple
    proved: bool


def lp_window_gradient(size: int = 3, norm_type=None) -> LPWindowGradient:
    r"""Differentiate :math:`y = (\sum_{a} x_a^p)^{1/p}` over one window and simplify.

    Valid for positive entries (the symbols are declared positive): there the function
    is smooth. At :math:`x = 0` the window is the tip of a cone (for ``p > 1``) and has
    no gradient; :func:`convbp.lp_pool_backward` then returns zero.

    Parameters
    ----------
    size : int
        Number of entries in the window.
    norm_type : number or sympy.Symbol, optional
        The power; by default a positive symbol ``p``.

    Returns
    -------
    LPWindowGradient

    Examples
    --------
    >>> lp = lp_window_gradient(2)
    >>> lp.proved, lp.closed_form[0]
    (True, (x_{0}/(x_{0}**p + x_{1}**p)**(1/p))**(p - 1))
    """
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise ValueError(f"lp_window_gradient: size must be a positive int, got {size!r}")
    p = sympy.Symbol("p", positive=True) if norm_type is None else sympy.sympify(norm_type)
    x = tuple(sympy.Symbol(f"x_{{{a}}}", positive=True) for a in range(size))
    y = sympy.Add(*[v ** p for v in x]) ** (1 / p)
    grad = tuple(sympy.diff(y, v) for v in x)
    closed = tuple((v / y) ** (p - 1) for v in x)
    proved = all(sympy.simplify(da - c) == 0 for da, c in zip(grad, closed))
    return LPWindowGradient(p, x, y, grad, closed, proved)
