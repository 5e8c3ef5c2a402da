r"""Every gradient of one small convolution, derived by SymPy from the forward pass.

:func:`derive` writes the forward pass of a convolution entry by entry, with one SymPy
symbol for every input pixel, kernel tap, bias and upstream-gradient entry, and lets
SymPy differentiate the scalar

.. math:: L = \sum_{j,o} \delta_{j,o}\, y_{j,o},
          \qquad y_{j,o} = b_j + \sum_{c} \sum_m w_{j,c,m}\,
          x_{g C_{in}/G + c,\; s o + d m - p_{lo}}

(:math:`g` the group of output channel :math:`j`; :math:`\delta = \partial L/\partial y`
is the upstream gradient, code ``dy``, arbitrary), so that :math:`\partial L/\partial x`,
:math:`\partial L/\partial w` and :math:`\partial L/\partial b` are exactly the backward
pass of the convolution. Nothing of the backward rule is typed in: SymPy is the source
of truth, and the tests compare its result with the fast NumPy code
(:func:`convbp.conv_backward`).

Differentiating sparsely. ``diff`` is linear, so

.. math:: \frac{\partial L}{\partial v} = \sum_{j,o} \delta_{j,o}
          \sum_{\text{terms } t \text{ of } y_{j,o} \text{ containing } v}
          \frac{\partial t}{\partial v}

for any symbol ``v``; every other term has derivative zero. An index
"symbol -> the terms of ``y`` that contain it" is built once from the free symbols of
every term, and SymPy differentiates only those terms. That is about ten times faster
than differentiating the whole of ``L`` once per symbol, and gives the same expressions.

Used in :ref:`backward-strided`.
"""

from __future__ import annotations

import numbers
from collections import defaultdict
from functools import cached_property
from typing import NamedTuple

import warnings

import numpy as np
import sympy

from .._checks import as_array, as_tuple, check_groups
from ..geometry import ConvGeometry, conv_geometry
from . import render

__all__ = ["derive", "Derivation", "Evaluation"]

OP = "derive"

# Order of the symbols inside a printed term and of the terms inside a printed sum:
# b first (in y), then dy (so that gradient sums run over the output positions), w, x.
_RANK = {"b": -1, "dy": 0, "w": 1, "x": 2}
# How each array's symbols print: dy is the book's delta.
_LATEX = {"x": "x", "w": "w", "b": "b", "dy": r"\delta", "y": "y"}
_GROUPS = ("y", "dx", "dw", "db")


class Evaluation(NamedTuple):
    """Numerical values of a :class:`Derivation`: the three gradients, then ``y``.

    The first three fields line up with :class:`convbp.Gradients`, so
    ``zip(evaluation, convbp.conv_backward(...))`` pairs ``dx``, ``dw`` and ``db``.

    Attributes
    ----------
    dx : ndarray
        Same shape as the ``x`` passed to :meth:`Derivation.evaluate`.
    dw : ndarray
        Same shape as the ``w`` passed.
    db : ndarray, shape (C_out,)
        Summed over the batch when the arrays carry one.
    y : ndarray
        Same shape as the ``dy`` passed: the forward output.
    """

    dx: np.ndarray
    dw: np.ndarray
    db: np.ndarray
    y: np.ndarray


def _symbols(kind: str, shape: tuple[int, ...], drop: int) -> np.ndarray:
    """Object array of real symbols ``kind_{i,j}``; the first ``drop`` indices are not named."""
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        shown = idx[drop:]
        name = _LATEX[kind] + ("_{" + ",".join(map(str, shown)) + "}" if shown else "")
        out[idx] = sympy.Symbol(name, real=True)
    return out


class Derivation:
    r"""The forward pass and all gradients of one convolution, as SymPy expressions.

    Built by :func:`derive`. With ``C_in == C_out == 1`` the channel axes are dropped
    (``d.x[i, j]``); otherwise they come first (``d.x[c, i, j]``, ``d.w[c, c', i, j]``).
    The bias is always an array with one entry per output channel, like the ``db`` of
    :func:`convbp.conv_backward`, so ``d.b[0]`` is the bias of a single-channel layer.

    Attributes
    ----------
    x : ndarray of Symbol, shape (*spatial) or (C_in, *spatial)
    w : ndarray of Symbol, shape (*kernel) or (C_out, C_in // groups, *kernel)
    b : ndarray of Symbol, shape (C_out,)
    dy : ndarray of Symbol, shape (*out) or (C_out, *out)
        The upstream gradient :math:`\delta = \partial L / \partial y` (also available
        as ``delta``, the name of the book's formulas).
    y : ndarray of Expr, shape of ``dy``
        The forward pass.
    dx, dw, db : ndarray of Expr, shapes of ``x``, ``w``, ``b``
        :math:`\partial L / \partial x`, :math:`\partial L / \partial w`,
        :math:`\partial L / \partial b` with :math:`L = \sum \delta \cdot y`.
    geometry : ConvGeometry
        Sizes, stride, padding ``(lo, hi)`` pairs, dilation, remainder (see
        :mod:`convbp.geometry`).
    in_channels, out_channels, groups : int
    L : Symbol
        The loss symbol used on the left of :meth:`equations`.

    Examples
    --------
    >>> from convbp.symbolic import derive
    >>> d = derive((5, 5), (3, 3), stride=2)
    >>> d.dx[2, 2]
    \delta_{0,0}*w_{2,2} + \delta_{0,1}*w_{2,0} + \delta_{1,0}*w_{0,2} + \delta_{1,1}*w_{0,0}
    >>> d.contributions(1, 1)
    [((0, 0), (1, 1))]

    Used in :ref:`backward-strided`.
    """

    def __init__(self, geometry: ConvGeometry, in_channels: int, out_channels: int,
                 groups: int):
        self.geometry = geometry
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.L = sympy.Symbol("L", real=True)
        self._squeeze = in_channels == out_channels == 1
        geom, c_in, c_out = geometry, in_channels, out_channels
        drop = 2 if self._squeeze else 0
        # X, W, D, B, Y are the book's x, w, delta (code dy), b, y. These full arrays always
        # carry the channel axes; the public attributes (self.x, ...) drop them for one
        # channel.
        X = _symbols("x", (c_in, *geom.in_size), drop // 2)
        W = _symbols("w", (c_out, c_in // groups, *geom.kernel_size), drop)
        D = _symbols("dy", (c_out, *geom.out_size), drop // 2)
        B = _symbols("b", (c_out,), drop // 2)
        Y, terms = self._forward(X, W, B)
        self._full = {"x": X, "w": W, "dy": D, "b": B, "y": Y}
        self._full.update(self._backward(terms, D, {"dx": X, "dw": W, "db": B}))
        self._where = {}   # symbol -> (kind, public index)
        self._key = {}     # symbol -> (rank, full index): printing order
        for kind in ("x", "w", "dy", "b"):
            for idx, sym in np.ndenumerate(self._full[kind]):
                self._key[sym] = (_RANK[kind], idx)
                self._where[sym] = (kind, self._public_index(kind, idx))
        for a in self._full.values():
            a.flags.writeable = False       # the public views share these arrays

    # -- construction ------------------------------------------------------------------

    def _forward(self, X, W, B):
        """``y`` entry by entry from the forward formula; also every term of every ``y``."""
        geom = self.geometry
        c_out, c_in_g = W.shape[:2]
        c_out_g = c_out // self.groups
        Y = np.empty((c_out, *geom.out_size), dtype=object)
        terms = []  # (index of y, one term of y)
        for j in range(c_out):
            g = j // c_out_g                 # the group of output channel j
            for o in np.ndindex(*geom.out_size):
                y_terms = [B[j]]
                for c_g in range(c_in_g):      # input channel g*c_in_g + c_g
                    for m in np.ndindex(*geom.kernel_size):
                        # the input position read by tap m at output o: s*o + d*m - p_lo
                        a = tuple(s * oo + d * mm - lo for s, oo, d, mm, (lo, _)
                                  in zip(geom.stride, o, geom.dilation, m, geom.padding))
                        if all(0 <= ai < n for ai, n in zip(a, geom.in_size)):
                            y_terms.append(W[(j, c_g, *m)] * X[(g * c_in_g + c_g, *a)])
                Y[(j, *o)] = sympy.Add(*y_terms)
                terms.extend(((j, *o), t) for t in y_terms)
        return Y, terms

    @staticmethod
    def _backward(terms, D, wrt: dict) -> dict:
        """dL/dv = sum over the terms t of y_o that contain v of dy_o * diff(t, v)."""
        uses = defaultdict(list)          # symbol -> [(index of y, term containing it)]
        for o, term in terms:
            for sym in term.free_symbols:
                uses[sym].append((o, term))
        grads = {}
        for name, V in wrt.items():
            G = np.empty(V.shape, dtype=object)
            for idx, v in np.ndenumerate(V):
                G[idx] = sympy.Add(*[D[o] * sympy.diff(t, v) for o, t in uses[v]])
            grads[name] = G
        return grads

    def _public_index(self, kind: str, idx: tuple) -> tuple:
        if not self._squeeze or kind in ("b", "db"):
            return idx
        return idx[2:] if kind in ("w", "dw") else idx[1:]

    def _public(self, kind: str) -> np.ndarray:
        a = self._full[kind]
        if not self._squeeze or kind in ("b", "db"):
            return a
        return a[0, 0] if kind in ("w", "dw") else a[0]

    x = property(lambda self: self._public("x"), doc="Input symbols.")
    w = property(lambda self: self._public("w"), doc="Kernel symbols.")
    b = property(lambda self: self._public("b"), doc="Bias symbols, shape (C_out,).")
    dy = property(lambda self: self._public("dy"),
                  doc="Upstream-gradient symbols (the book's delta, code ``dy``).")
    delta = property(lambda self: self._public("dy"),
                     doc="Same as :attr:`dy` (the name used in the book's formulas).")
    y = property(lambda self: self._public("y"), doc="Forward expressions.")
    dx = property(lambda self: self._public("dx"), doc="dL/dx expressions.")
    dw = property(lambda self: self._public("dw"), doc="dL/dw expressions.")
    db = property(lambda self: self._public("db"), doc="dL/db expressions, shape (C_out,).")

    def __repr__(self):
        geom = self.geometry
        return (f"Derivation(input_size={geom.in_size}, kernel_size={geom.kernel_size}, "
                f"stride={geom.stride}, padding={geom.padding}, dilation={geom.dilation}, "
                f"in_channels={self.in_channels}, out_channels={self.out_channels}, "
                f"groups={self.groups})")

    # -- reading the result ------------------------------------------------------------

    def _lhs(self, group: str, idx: tuple) -> sympy.Symbol:
        if group == "y":
            shown = self._public_index("y", idx)
            return sympy.Symbol("y" + ("_{" + ",".join(map(str, shown)) + "}" if shown else ""))
        var = self._full[group[1:]][idx]
        return sympy.Symbol(r"\frac{\partial L}{\partial " + var.name + "}")

    def _groups(self, which) -> tuple[str, ...]:
        if which is None:
            return ("dx", "dw", "db")
        chosen = (which,) if isinstance(which, str) else tuple(which)
        bad = [c for c in chosen if c not in _GROUPS]
        if bad or not chosen:
            raise ValueError(f"equations: which must be one of {_GROUPS} or a sequence of them, "
                             f"got {which!r}")
        return chosen

    def _rows(self, which):
        for group in self._groups(which):
            for idx, expr in np.ndenumerate(self._full[group]):
                yield self._lhs(group, idx), expr

    def _term_key(self, term):
        return tuple(sorted(self._key[s] for s in term.free_symbols))

    def equations(self, which=None) -> list[sympy.Eq]:
        r"""The derived equations, one per entry, in index (C) order.

        Parameters
        ----------
        which : {"dx", "dw", "db", "y"} or sequence of them, optional
            Which arrays; default ``("dx", "dw", "db")``. ``"y"`` gives the forward pass.

        Returns
        -------
        list of sympy.Eq
            Left side a symbol named ``\frac{\partial L}{\partial x_{1,2}}`` (or ``y_{0,0}``).

        Examples
        --------
        >>> from convbp.symbolic import derive
        >>> derive(3, 2).equations("dx")[1]
        Eq(\frac{\partial L}{\partial x_{1}}, \delta_{0}*w_{1} + \delta_{1}*w_{0})
        """
        return [sympy.Eq(lhs, rhs, evaluate=False) for lhs, rhs in self._rows(which)]

    def latex(self, which=None, *, terms_per_line=None) -> str:
        r"""The equations as one LaTeX ``aligned`` block, sums ordered by output position.

        Parameters
        ----------
        which : {"dx", "dw", "db", "y"} or sequence of them, optional
            Which arrays; default ``("dx", "dw", "db")``.
        terms_per_line : int, optional
            At most this many terms of a sum on one line; the rest continue on the
            lines below, indented. A 2-D equation has up to ``prod(kernel)`` terms, and
            four of them already overflow a phone's width. Default: one line each.

        Examples
        --------
        >>> from convbp.symbolic import derive
        >>> print(derive(3, 2, stride=2).latex("dx"))
        \begin{aligned}
        \frac{\partial L}{\partial x_{0}} &= \delta_{0} w_{0} \\
        \frac{\partial L}{\partial x_{1}} &= \delta_{0} w_{1} \\
        \frac{\partial L}{\partial x_{2}} &= 0
        \end{aligned}
        >>> print(derive(3, 2).latex("dw", terms_per_line=1))
        \begin{aligned}
        \frac{\partial L}{\partial w_{0}} &= \delta_{0} x_{0} \\
        &\quad {}+ \delta_{1} x_{1} \\
        \frac{\partial L}{\partial w_{1}} &= \delta_{0} x_{1} \\
        &\quad {}+ \delta_{1} x_{2}
        \end{aligned}
        """
        per = terms_per_line
        if per is not None and (not isinstance(per, numbers.Integral)
                                or isinstance(per, bool) or per < 1):
            raise ValueError(f"Derivation.latex: terms_per_line must be a positive int "
                             f"or None, got {per!r}")
        rows = []
        for lhs, rhs in self._rows(which):
            terms = render.ordered_terms(rhs, self._term_key, render.latex)
            size = len(terms) if per is None else int(per)
            rows.append((render.latex(lhs), "".join(terms[:size])))
            rows += [(None, "".join(terms[i:i + size]).lstrip())
                     for i in range(size, len(terms), size)]
        return render.aligned(rows)

    def text(self, which=None) -> str:
        """The equations as plain text, one per line (the CLI's ``--format text``).

        Examples
        --------
        >>> from convbp.symbolic import derive
        >>> print(derive(3, 2, stride=2).text("dx"))
        dL/dx[0] = delta[0]*w[0]
        dL/dx[1] = delta[0]*w[1]
        dL/dx[2] = 0
        """
        return "\n".join(
            f"{render.text(lhs)} = {render.ordered_sum(rhs, self._term_key, render.text)}"
            for lhs, rhs in self._rows(which))

    def _repr_latex_(self):
        return "$$" + self.latex() + "$$"

    def contributions(self, *index, wrt: str = "x") -> list[tuple[tuple, tuple]]:
        """Which upstream-gradient entries and which kernel taps (or inputs) reach one entry.

        Read off the derived expression ``dx[index]`` (or ``dw[index]``): one pair per
        term, sorted by the ``dy`` index.

        Parameters
        ----------
        *index : int
            An index into ``x`` (``wrt="x"``) or ``w`` (``wrt="w"``), as for the arrays.
        wrt : {"x", "w"}

        Returns
        -------
        list of (dy index, w index) for ``wrt="x"``, of (dy index, x index) for
        ``wrt="w"``; each index a tuple as used to index ``dy``, ``w`` and ``x``.

        Examples
        --------
        >>> from convbp.symbolic import derive
        >>> derive((5, 5), (3, 3), stride=2).contributions(2, 2)
        [((0, 0), (2, 2)), ((0, 1), (2, 0)), ((1, 0), (0, 2)), ((1, 1), (0, 0))]
        >>> derive((5, 5), (3, 3), stride=2).contributions(0, 0, wrt="w")
        [((0, 0), (0, 0)), ((0, 1), (0, 2)), ((1, 0), (2, 0)), ((1, 1), (2, 2))]
        """
        if wrt not in ("x", "w"):
            raise ValueError(f"contributions: wrt must be 'x' or 'w', got {wrt!r}")
        grad = self.dx if wrt == "x" else self.dw
        try:
            expr = grad[tuple(index)]
        except (IndexError, TypeError, ValueError):
            raise IndexError(f"contributions: index must index {wrt} of shape {grad.shape}, "
                             f"got {tuple(index)}") from None
        if isinstance(expr, np.ndarray):
            raise IndexError(f"contributions: index must give one entry of {wrt} of shape "
                             f"{grad.shape}, got {tuple(index)}")
        other = "w" if wrt == "x" else "x"
        pairs = []
        for term in sympy.Add.make_args(expr):
            if term != 0:
                found = dict(self._where[s] for s in term.free_symbols)
                pairs.append((found["dy"], found[other]))
        return sorted(pairs)

    # -- numbers ---------------------------------------------------------------------

    @cached_property
    def _numeric(self):
        """One NumPy function computing every y, dx, dw, db entry (compiled on first use)."""
        F = self._full
        # LaTeX names are not Python identifiers; rename once (lambdify would otherwise
        # substitute a dummy for every symbol separately, in every expression).
        plain = {}
        for kind in ("x", "w", "dy", "b"):
            for i, sym in enumerate(F[kind].flat):
                plain[sym] = sympy.Symbol(f"{kind}{i}", real=True)
        args = [[plain[s] for s in F[kind].flat] for kind in ("x", "w", "dy", "b")]
        outs = [e.xreplace(plain) for k in ("y", "dx", "dw", "db") for e in F[k].flat]
        return sympy.lambdify(args, outs, modules="numpy", cse=False)

    def evaluate(self, x, w, dy=None, b=None, *, delta=None) -> Evaluation:
        """Evaluate ``dx``, ``dw``, ``db`` and ``y`` on NumPy arrays (float64).

        Either without a batch axis, each array shaped like its symbol array, or with one,
        in the layout of :func:`convbp.conv_backward`: then ``dw`` and ``db`` are summed
        over the batch (as the gradients of a loss summed over the batch).

        Parameters
        ----------
        x : array_like
            Shaped like ``self.x``, or ``(N, C_in, *spatial)``.
        w : array_like
            Shaped like ``self.w``, or ``(C_out, C_in // groups, *kernel)``.
        dy : array_like
            Shaped like ``self.dy``, or ``(N, C_out, *out)`` if ``x`` is batched: the
            upstream gradient (:math:`\\delta` in the book). ``delta=`` is accepted as
            an older keyword for the same argument (deprecated).
        b : array_like, shape (C_out,), optional
            Only ``y`` depends on it; default zero.

        Returns
        -------
        Evaluation
            ``(dx, dw, db, y)``: ``dx`` shaped like ``x``, ``dw`` like ``w``, ``db``
            (C_out,), ``y`` like ``dy``.

        Examples
        --------
        >>> import numpy as np, convbp
        >>> from convbp.symbolic import derive
        >>> rng = np.random.default_rng(0)
        >>> x, w = rng.normal(size=(2, 1, 5, 5)), rng.normal(size=(1, 1, 3, 3))
        >>> dy = rng.normal(size=(2, 1, 2, 2))
        >>> d = derive((5, 5), (3, 3), stride=2)
        >>> all(np.allclose(u, v) for u, v in zip(d.evaluate(x, w, dy),
        ...                                      convbp.conv_backward(dy, x, w, stride=2)))
        True
        """
        op = "evaluate"
        F, nd = self._full, self.geometry.ndim
        x = as_array(x, op, "x").astype(float)
        w = as_array(w, op, "w").astype(float)
        if delta is not None:
            if dy is not None:
                raise TypeError(f"{op}: give dy or delta (its older name), not both")
            warnings.warn("evaluate(delta=...) is deprecated: the argument is now called dy",
                          DeprecationWarning, stacklevel=2)
            dy = delta
        if dy is None:
            raise TypeError(f"{op}: missing the upstream gradient dy")
        dy = as_array(dy, op, "dy").astype(float)
        batched = x.ndim == nd + 2 and x.shape[1:] == F["x"].shape
        if not batched and x.shape != self.x.shape:
            raise ValueError(f"{op}: x must have shape {self.x.shape} or (N, *{F['x'].shape}), "
                             f"got {x.shape}")
        n = x.shape[0] if batched else 1
        want_dy = (n, *F["dy"].shape) if batched else self.dy.shape
        if dy.shape != want_dy:
            raise ValueError(f"{op}: dy must have shape {want_dy} (the output for x of "
                             f"shape {x.shape}), got {dy.shape}")
        if w.shape not in (self.w.shape, F["w"].shape):
            raise ValueError(f"{op}: w must have shape {self.w.shape} or {F['w'].shape}, "
                             f"got {w.shape}")
        if b is None:
            b = np.zeros(self.out_channels)
        b = as_array(b, op, "b").astype(float)
        if b.shape != (self.out_channels,):
            raise ValueError(f"{op}: b must have shape ({self.out_channels},), got {b.shape}")
        values = self._numeric(x.reshape(n, -1).T, w.ravel(), dy.reshape(n, -1).T, b)
        out = np.empty((len(values), n))
        for i, v in enumerate(values):
            out[i] = v                      # constants (e.g. a zero gradient) broadcast
        sizes = [F[k].size for k in ("y", "dx", "dw", "db")]
        y, dx, dw, db = np.split(out, np.cumsum(sizes)[:-1])
        if batched:
            return Evaluation(dx.T.reshape(x.shape), dw.sum(1).reshape(w.shape),
                              db.sum(1), y.T.reshape(dy.shape))
        return Evaluation(dx.reshape(x.shape), dw.reshape(w.shape), db[:, 0],
                          y.reshape(dy.shape))


def _positive_int(value, name: str) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{OP}: {name} must be a positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"{OP}: {name} must be a positive int, got {value!r}")
    return int(value)


def derive(input_size, kernel_size, *, stride=1, padding=0, dilation=1, in_channels=1,
           out_channels=1, groups=1) -> Derivation:
    r"""Derive the forward pass and every gradient of a convolution with SymPy.

    Parameters
    ----------
    input_size : int or tuple of int
        Spatial size of ``x``: an int for 1-D, ``(H, W)`` for 2-D, ``(D, H, W)`` for 3-D.
    kernel_size : int or tuple of int
        Spatial size of ``w``; an int means the same size in every dimension.
    stride, padding, dilation
        As accepted by :func:`convbp.conv`: an int, one int per dimension, and for
        ``padding`` also one ``(lo, hi)`` pair per dimension.
    in_channels, out_channels, groups : int
        ``groups`` must divide both channel counts.

    Returns
    -------
    Derivation
        Symbol arrays ``x``, ``w``, ``b``, ``dy``; expressions ``y``, ``dx``, ``dw``,
        ``db``; :meth:`~Derivation.equations`, :meth:`~Derivation.latex`,
        :meth:`~Derivation.evaluate`, :meth:`~Derivation.contributions`.

    Raises
    ------
    TypeError, ValueError
        With a message naming ``derive``, the parameter and its value.

    See Also
    --------
    convbp.conv_backward : the numbers, fast.
    convbp.conv_backward_as_convolutions : the numbers, by dilate-pad-flip.
    convbp.reference.conv_backward : the numbers, by plain loops.

    Examples
    --------
    >>> from convbp.symbolic import derive
    >>> d = derive(5, 3, stride=2)            # 1-D
    >>> d.dx[2]
    \delta_{0}*w_{2} + \delta_{1}*w_{0}
    >>> d.db[0]
    \delta_{0} + \delta_{1}
    >>> derive((4, 4), (3, 3), in_channels=4, out_channels=2, groups=2).w.shape
    (2, 2, 3, 3)

    Used in :ref:`backward-strided`.
    """
    if isinstance(input_size, numbers.Integral) and not isinstance(input_size, bool):
        input_size = (input_size,)
    if not isinstance(input_size, (tuple, list)) or not input_size:
        raise TypeError(f"{OP}: input_size must be a positive int or a non-empty tuple of "
                        f"positive ints, got {input_size!r}")
    nd = len(input_size)
    in_size = as_tuple(tuple(input_size), nd, OP, "input_size")
    kernel = as_tuple(kernel_size, nd, OP, "kernel_size")
    c_in = _positive_int(in_channels, "in_channels")
    c_out = _positive_int(out_channels, "out_channels")
    groups = check_groups(OP, groups)
    for name, c in (("in_channels", c_in), ("out_channels", c_out)):
        if c % groups:
            raise ValueError(f"{OP}: groups={groups} must divide {name}={c}")
    geometry = conv_geometry(OP, in_size, kernel, stride, padding, dilation)
    return Derivation(geometry, c_in, c_out, groups)

