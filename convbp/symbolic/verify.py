r"""Check the symbolic closed form against :func:`derive`, at concrete sizes.

Every step of :func:`~convbp.symbolic.closed_form.dx_steps` and
:func:`~convbp.symbolic.closed_form.dw_steps` is an expression in symbolic sizes
(``s``, ``d``, ``p_lo``, ...), positions (``a``, ``m``), finite ``Sum``\ s, Kronecker
deltas, ``Piecewise`` conditions and the auxiliary arrays of
:func:`~convbp.symbolic.closed_form.definitions`. :func:`expand_at` substitutes the
sizes of one concrete geometry and one position, unrolls every sum into an explicit
finite sum of products of :func:`derive`'s symbols, and :func:`check_closed_form`
compares the result term by term with ``derive(...).dx`` / ``.dw``.

The unrolling is a small exact evaluator over SymPy's expression tree (integers and
fractions for indices and conditions, polynomials for everything else). It is exact,
fast enough for a grid of a thousand geometries, and gives the same result as SymPy's
``subs`` with the sums unrolled term by term (the tests compare the two). SymPy's
``doit()`` is not used: it sums Kronecker deltas by solving for the summation variable
without checking that the solution is an integer (see
:func:`~convbp.symbolic.closed_form.naive_collapse`). A fractional or out-of-range index
into ``delta`` or ``w`` is reported as a failure, not silently read as zero; only ``x``
is zero outside ``0 <= i < n`` (that is the zero padding of the forward pass).

Used in :ref:`general-rule`.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import sympy
from sympy import Indexed

from . import closed_form as cf
from ..geometry import conv_output_size
from ..padding import pad_or_crop
from .derive import Derivation, derive

__all__ = ["expand_at", "check_steps", "check_closed_form"]


class ClosedFormMismatch(ValueError):
    """A closed-form expression cannot be read at a concrete geometry (bad index)."""


def _name(symbol) -> str:
    return symbol.name


def _add(u, v):
    if isinstance(u, dict) or isinstance(v, dict):
        u, v = _poly(u), _poly(v)
        out = dict(u)
        for mono, c in v.items():
            out[mono] = out.get(mono, 0) + c
        return {mono: c for mono, c in out.items() if c != 0}
    return u + v


def _mul(u, v):
    if isinstance(u, dict) or isinstance(v, dict):
        u, v = _poly(u), _poly(v)
        out = {}
        for m1, c1 in u.items():
            for m2, c2 in v.items():
                mono = tuple(sorted(m1 + m2, key=_name))
                out[mono] = out.get(mono, 0) + c1 * c2
        return {mono: c for mono, c in out.items() if c != 0}
    return u * v


def _poly(v) -> dict:
    """A value as a polynomial: ``{(symbol, symbol, ...): coefficient}``."""
    if isinstance(v, dict):
        return v
    if isinstance(v, bool):
        raise ClosedFormMismatch(f"a condition ({v}) used as a number")
    return {(): v} if v != 0 else {}


def _int(v, what) -> int:
    """``v`` as an int; ``what`` (a str, or an Indexed whose index ``v`` is) names it."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, dict) or Fraction(v).denominator != 1:
        name = what if isinstance(what, str) else f"the index of {what}"
        raise ClosedFormMismatch(f"{name} is not an integer: {_to_sympy(v)}")
    return int(v)


def _to_sympy(v):
    if isinstance(v, dict):
        return sympy.Add(*[sympy.Rational(c) * sympy.Mul(*mono) for mono, c in v.items()])
    return sympy.nsimplify(v) if isinstance(v, Fraction) else sympy.sympify(v)


_RELATIONS = {"==": lambda u, v: u == v, "!=": lambda u, v: u != v, "<": lambda u, v: u < v,
              "<=": lambda u, v: u <= v, ">": lambda u, v: u > v, ">=": lambda u, v: u >= v}


class _Expander:
    """Exact evaluation of a closed-form expression at concrete sizes and positions."""

    def __init__(self, values: dict, arrays: dict, definitions: list):
        self.values = values                  # Symbol -> int
        self.arrays = arrays                  # IndexedBase -> function(index) -> Symbol or 0
        self.functions, self.constants = {}, {}
        for eq in definitions:                # name = meaning, as in cf.definitions()
            if isinstance(eq.lhs, Indexed):
                self.functions[eq.lhs.base] = (eq.lhs.indices, eq.rhs)
            else:
                self.constants[eq.lhs] = eq.rhs

    def ev(self, e, env):
        if isinstance(e, (bool, sympy.logic.boolalg.BooleanAtom)):
            return bool(e)
        if e.is_Integer:
            return int(e)
        if e.is_Rational:
            return Fraction(int(e.p), int(e.q))
        if isinstance(e, sympy.Symbol):
            if e in env:
                return env[e]
            if e in self.values:
                return self.values[e]
            if e in self.constants:
                return self.ev(self.constants[e], env)
            raise ClosedFormMismatch(f"no value for the symbol {e}")
        if isinstance(e, sympy.Add):
            out = 0
            for arg in e.args:
                out = _add(out, self.ev(arg, env))
            return out
        if isinstance(e, sympy.Mul):
            out = 1
            for arg in e.args:
                out = _mul(out, self.ev(arg, env))
            return out
        if isinstance(e, sympy.Pow):
            base, exp = self.ev(e.base, env), _int(self.ev(e.exp, env), "an exponent")
            if isinstance(base, dict):
                out = 1
                for _ in range(exp):
                    out = _mul(out, base)
                return out
            return Fraction(base) ** exp
        if isinstance(e, sympy.Sum):
            return self._sum(e, len(e.limits) - 1, env)
        if isinstance(e, Indexed):
            return self._indexed(e, env)
        if isinstance(e, sympy.KroneckerDelta):
            return int(self.ev(e.args[0], env) == self.ev(e.args[1], env))
        if isinstance(e, sympy.Piecewise):
            for value, cond in e.args:
                if self.ev(cond, env):
                    return self.ev(value, env)
            raise ClosedFormMismatch(f"no branch of {e} applies")
        if isinstance(e, sympy.Mod):
            return self.ev(e.args[0], env) % self.ev(e.args[1], env)
        if isinstance(e, sympy.floor):
            return math.floor(self.ev(e.args[0], env))
        if isinstance(e, sympy.core.relational.Relational):
            return _RELATIONS[e.rel_op](self.ev(e.lhs, env), self.ev(e.rhs, env))
        if isinstance(e, sympy.And):
            return all(self.ev(arg, env) for arg in e.args)
        if isinstance(e, sympy.Or):
            return any(self.ev(arg, env) for arg in e.args)
        if isinstance(e, sympy.Not):
            return not self.ev(e.args[0], env)
        raise ClosedFormMismatch(f"cannot evaluate {type(e).__name__}: {e}")

    def _sum(self, e, i, env):
        """Unroll the limits of ``e`` from the outermost (last) to the innermost (first)."""
        if i < 0:
            return self.ev(e.function, env)
        var, lo, hi = e.limits[i]
        lo, hi = _int(self.ev(lo, env), "a lower limit"), _int(self.ev(hi, env), "an upper limit")
        if hi < lo - 1:
            raise ClosedFormMismatch(f"sum over {var} from {lo} to {hi}")
        out = 0
        for v in range(lo, hi + 1):
            out = _add(out, self._sum(e, i - 1, {**env, var: v}))
        return out

    def _indexed(self, e, env):
        index = tuple(_int(self.ev(i, env), e) for i in e.indices)
        if e.base in self.functions:
            names, body = self.functions[e.base]
            return self.ev(body, {**env, **dict(zip(names, index))})
        read = self.arrays[e.base](index)
        return {(read,): 1} if read != 0 else 0


def _arrays(N: cf.Notation, d: Derivation) -> dict:
    def strict(name, arr):
        def read(index):
            if all(0 <= i < n for i, n in zip(index, arr.shape)):
                return arr[index]
            raise ClosedFormMismatch(f"{name} read at {index}, outside shape {arr.shape}")
        return read

    def zero_padded(index):
        return d.x[index] if all(0 <= i < n for i, n in zip(index, d.x.shape)) else 0

    return {N.x: zero_padded, N.w: strict("w", d.w), N.delta: strict("delta", d.dy)}


def _values(N: cf.Notation, d: Derivation) -> dict:
    geom = d.geometry
    values = {}
    for i in range(N.ndim):
        values.update({N.s[i]: geom.stride[i], N.d[i]: geom.dilation[i],
                       N.p_lo[i]: geom.padding[i][0], N.p_hi[i]: geom.padding[i][1],
                       N.n[i]: geom.in_size[i], N.k[i]: geom.kernel_size[i],
                       N.O[i]: geom.out_size[i]})
    return values


def _check(d: Derivation):
    if not (d.in_channels == d.out_channels == 1 and d.groups == 1):
        raise ValueError(f"check_closed_form: the closed form has one channel, got a derivation "
                         f"with in_channels={d.in_channels}, out_channels={d.out_channels}")


def expand_at(expr, derivation: Derivation, at: dict | None = None) -> sympy.Expr:
    r"""A closed-form expression at the sizes of ``derivation``, as an explicit finite sum.

    Parameters
    ----------
    expr : sympy.Expr
        Built from :func:`~convbp.symbolic.closed_form.notation` symbols, e.g. a step's
        ``eq.rhs``; auxiliary arrays are read through ``definitions()``.
    derivation : Derivation
        Single-channel; supplies the sizes and the symbols ``x``, ``w``, ``dy``.
    at : dict, optional
        Values of free position symbols, e.g. ``{a: 2}``.

    Returns
    -------
    sympy.Expr
        A sum of products of ``derivation``'s symbols.

    Examples
    --------
    >>> from convbp.symbolic import derive, closed_form as cf
    >>> N, d = cf.notation(), derive(5, 3, stride=2)
    >>> expand_at(cf.dx_steps()[-1].eq.rhs, d, {N.a[0]: 2})
    \delta_{0}*w_{2} + \delta_{1}*w_{0}

    Used in :ref:`general-rule`.
    """
    _check(derivation)
    N = cf.notation(derivation.geometry.ndim)
    ex = _Expander(_values(N, derivation), _arrays(N, derivation), cf.definitions(N.ndim))
    return _to_sympy(ex.ev(expr, dict(at or {})))


def _terms(expr) -> dict:
    """``{sorted factors: coefficient}`` of a polynomial in derive()'s symbols."""
    out = {}
    for term in sympy.Add.make_args(sympy.expand(expr)):
        if term == 0:
            continue
        coeff, rest = term.as_coeff_Mul()
        mono = []
        for base, exp in rest.as_powers_dict().items():
            if base != 1:
                mono += [base] * int(exp)
        key = tuple(sorted(mono, key=_name))
        out[key] = out.get(key, 0) + Fraction(int(coeff.p), int(coeff.q))
    return {k: c for k, c in out.items() if c != 0}


def check_steps(steps, derivation: Derivation, wrt: str = "x") -> dict[str, list]:
    """Compare every step with ``derivation.dx`` (``wrt="x"``) or ``.dw``, entry by entry.

    Returns
    -------
    dict
        Step name -> list of ``(index, reason)`` for every entry where the step's
        explicit sum differs from the derived expression (empty: the step holds).

    Examples
    --------
    >>> from convbp.symbolic import derive, closed_form as cf
    >>> check_steps(cf.dx_steps(), derive(6, 3, stride=2))["flip"]
    []
    >>> bad = check_steps([cf.naive_collapse()], derive(6, 3, stride=2))
    >>> len(bad["sum over o (SymPy alone)"]) > 0
    True
    """
    _check(derivation)
    N = cf.notation(derivation.geometry.ndim)
    ex = _Expander(_values(N, derivation), _arrays(N, derivation), cf.definitions(N.ndim))
    target = derivation.dx if wrt == "x" else derivation.dw
    position = N.a if wrt == "x" else N.m
    report = {}
    for step in steps:
        failures = []
        for index, expected in np.ndenumerate(target):
            try:
                got = _poly(ex.ev(step.eq.rhs, dict(zip(position, index))))
            except ClosedFormMismatch as exc:
                failures.append((index, str(exc)))
                continue
            if got != _terms(expected):
                failures.append((index, f"{_to_sympy(got)} != {expected}"))
        report[step.name] = failures
    return report


def _check_leftover(d: Derivation) -> dict[str, list]:
    """The leftover-rows statement and the padding sizes, 1-D, against derive() and geometry."""
    N, geom = cf.notation(1), d.geometry
    ex = _Expander(_values(N, d), _arrays(N, d), cf.definitions(1))
    lo = cf.leftover_rows()
    n, (p_lo, p_hi), r_true = geom.in_size[0], geom.padding[0], geom.remainder[0]
    failures = {name: [] for name in ("out_size", "remainder", "zero_rows", "last_row",
                                      "padding")}
    if ex.ev(lo.out_size.rhs, {}) != geom.out_size[0]:
        failures["out_size"].append((None, f"O = {ex.ev(lo.out_size.rhs, {})}, "
                                           f"geometry says {geom.out_size[0]}"))
    r = ex.ev(lo.remainder.rhs, {})
    if r != r_true:
        failures["remainder"].append((None, f"r = {r}, geometry says {r_true}"))
    a, zero_if, claim = N.a[0], lo.zero_rows.args[0], lo.zero_rows.args[1]
    for row in range(n):
        if ex.ev(zero_if, {a: row, N.r[0]: r}) and d.dx[row] != claim.rhs:
            failures["zero_rows"].append(((row,), f"dx = {d.dx[row]}"))
    last = ex.ev(lo.last_row.rhs, {N.r[0]: r})
    if 0 <= last < n and d.dx[last] == 0:
        failures["last_row"].append(((last,), "the last row read has no term"))
    if any(d.dx[row] != 0 for row in range(max(last + 1, 0), n)):
        failures["last_row"].append(((last,), "a row after the last one read has a term"))
    pads = (ex.ev(N.P_lo[0], {}), ex.ev(lo.right_padding.rhs, {N.r[0]: r}))
    if pads != geom.dx_padding[0]:
        failures["padding"].append((None, f"(P_lo, P_hi) = {pads}, geometry says "
                                          f"{geom.dx_padding[0]}"))
    length = geom.dilated_out_size[0] + sum(pads)
    if ex.ev(lo.padded_length.rhs, {}) != length:
        failures["padding"].append((None, f"padded length {length} != "
                                          f"{ex.ev(lo.padded_length.rhs, {})}"))
    return failures


def _check_recipe(d: Derivation) -> list:
    """Build dilate -> pad (P_lo, P_hi from definitions()) -> flip as arrays; compare with dx."""
    geom, N = d.geometry, cf.notation(d.geometry.ndim)
    ex = _Expander(_values(N, d), _arrays(N, d), cf.definitions(N.ndim))
    dil = np.full(geom.dilated_out_size, sympy.S.Zero, dtype=object)
    dil[tuple(slice(None, None, s) for s in geom.stride)] = d.dy
    pads = [(ex.ev(P_lo, {}), ex.ev(P_hi, {})) for P_lo, P_hi in zip(N.P_lo, N.P_hi)]
    padded = pad_or_crop(dil, pads, value=sympy.S.Zero)
    w_flip = d.w[(slice(None, None, -1),) * geom.ndim]
    out_shape = tuple(conv_output_size(P, k, dilation=dd)          # stride 1, no padding
                      for P, dd, k in zip(padded.shape, geom.dilation, geom.kernel_size))
    if out_shape != geom.in_size:
        return [(None, f"the correlation has shape {out_shape}, x has {geom.in_size}")]
    failures = []
    for a in np.ndindex(*out_shape):
        got = sympy.Add(*[w_flip[m] * padded[tuple(ai + dd * mi for ai, dd, mi
                                                   in zip(a, geom.dilation, m))]
                          for m in np.ndindex(*geom.kernel_size)])
        if _terms(got) != _terms(d.dx[a]):
            failures.append((a, f"{got} != {d.dx[a]}"))
    return failures


def check_closed_form(input_size, kernel_size, *, stride=1, padding=0,
                      dilation=1) -> dict[str, list]:
    """Check every statement of the closed form at one concrete geometry.

    Parameters
    ----------
    input_size, kernel_size, stride, padding, dilation
        As for :func:`derive` (one channel).

    Returns
    -------
    dict
        ``"dx: <step>"``, ``"dw: <step>"``, ``"recipe"`` and, in 1-D,
        ``"leftover: <part>"`` -> list of failures; all empty when the closed form
        agrees with :func:`derive` and :mod:`convbp.geometry`.

    Examples
    --------
    >>> report = check_closed_form(6, 3, stride=2, padding=((0, 1),))
    >>> sorted(report)[:3], any(report.values())
    (['dw: chain rule', 'dw: dilate', 'dw: pad'], False)

    Used in :ref:`general-rule`.
    """
    d = derive(input_size, kernel_size, stride=stride, padding=padding, dilation=dilation)
    nd = d.geometry.ndim
    report = {f"dx: {k}": v for k, v in check_steps(cf.dx_steps(nd), d, "x").items()}
    report.update({f"dw: {k}": v for k, v in check_steps(cf.dw_steps(nd), d, "w").items()})
    report["recipe"] = _check_recipe(d)
    if nd == 1:
        report.update({f"leftover: {k}": v for k, v in _check_leftover(d).items()})
    return report
