r"""The general backward rule with symbolic stride, padding and dilation, step by step.

Where :func:`convbp.symbolic.derive` differentiates one concrete convolution, this
module keeps everything symbolic (one spatial dimension unless ``ndim`` says otherwise;
every dimension behaves the same way, independently) and takes the gradient of

.. math:: L &= \sum_{o=0}^{O-1} \delta_o \sum_{m=0}^{k-1} w_m\, x_{s o + d m - p_{lo}}, \\
          x_i &= 0 \text{ outside } 0 \le i < n

to the dilate-pad-flip statement of :ref:`backward-strided`, one step a line (chain
rule, sum over ``o``, dilate, pad, flip):

.. math::
    \frac{\partial L}{\partial x_a}
      &= \sum_{o}\sum_{m} \delta_o w_m [s o + d m - p_{lo} = a] \\
      &= \sum_{m} w_m\, \delta_{(a + p_{lo} - d m)/s} \\
      &\qquad \cdot [s \mid a + p_{lo} - d m] \\
      &= \sum_{m} w_m\, \tilde\delta_{a + p_{lo} - d m} \\
      &= \sum_{m} w_m\, \hat\delta_{a + d (k - 1 - m)} \\
      &= \sum_{m'} \operatorname{flip}(w)_{m'}\, \hat\delta_{a + d m'}

with the dilated gradient :math:`\tilde\delta_t = \delta_{t/s}` if :math:`s \mid t`
(else 0), padded by :math:`P_{lo} = d(k-1) - p_{lo}` on the left and
:math:`P_{hi} = d(k-1) - p_{hi} + r` on the right into :math:`\hat\delta`, and the
flipped kernel :math:`\operatorname{flip}(w)_{m'} = w_{k-1-m'}`: a stride-1,
dilation-``d`` correlation with the flipped kernel. The weight gradient goes the same
way to a correlation of the padded input :math:`\bar x` with the dilated gradient, at
stride ``d``.

SymPy does the calculus and the index algebra (``diff`` of the ``Sum`` gives the
Kronecker deltas; ``Sum.change_index`` flips the kernel; ``solve`` and ``expand`` give
the leftover-row formulas). The one step SymPy cannot take alone is the sum over ``o``:
its Kronecker-delta summation solves ``s o = a + p_lo - d m`` for ``o`` but does not ask
whether the solution is an integer (:func:`naive_collapse`) -- exactly the stride > 1
subtlety. That step is written out, and :func:`convbp.symbolic.check_closed_form`
checks every step, at concrete sizes, against :func:`convbp.symbolic.derive`.

SymPy variables are named after the maths of the book and of :mod:`convbp.geometry`:
``s`` stride, ``d`` dilation, ``p_lo``/``p_hi`` padding, ``n`` input, ``k`` kernel and
``O`` output length, ``r`` leftover remainder, ``a`` input position, ``o`` output
position, ``m`` kernel tap, ``m'`` flipped tap, ``t`` position in the dilated gradient,
``u`` position in a padded array. With ``ndim > 1`` each carries the axis as a
subscript (``s_1``, ``a_2``, ...). The auxiliary arrays print in the book's marks
(the notation table of :ref:`intro`): ``deltatilde`` as :math:`\tilde\delta`,
``deltahat`` as :math:`\hat\delta`, ``flip(w)`` as :math:`\operatorname{flip}(w)` and
``xbar`` as :math:`\bar x`, in LaTeX by any SymPy printer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import NamedTuple

import sympy
from sympy import And, Eq, Indexed, IndexedBase, Mod, Piecewise, Sum, floor

from .render import latex

__all__ = ["Notation", "Step", "Leftover", "notation", "loss", "definitions", "dx_steps",
           "dw_steps", "naive_collapse", "leftover_rows", "chain"]


class _Applied(sympy.Symbol):
    r"""The label of an array made by an operator, e.g. ``flip(w)``: ``str`` keeps the
    name, LaTeX writes :math:`\operatorname{flip}(w)` (any SymPy printer: ``_latex``)."""

    def _latex(self, printer):
        op, arg = self.name[:-1].split("(", 1)
        return r"\operatorname{%s}(%s)" % (op, printer._print(sympy.Symbol(arg)))


@dataclass(frozen=True)
class Notation:
    """The symbols of the closed form; per-axis ones are tuples of length ``ndim``."""

    ndim: int
    s: tuple      # stride (positive integer)
    d: tuple      # dilation (positive integer)
    p_lo: tuple   # padding before (non-negative integer)
    p_hi: tuple   # padding after
    n: tuple      # input length
    k: tuple      # kernel length
    O: tuple      # output length  # noqa: E741 -- the book's letter
    r: tuple      # leftover remainder
    P_lo: tuple   # left padding of the dilated gradient
    P_hi: tuple   # right padding of the dilated gradient
    a: tuple      # input position
    o: tuple      # output position
    m: tuple      # kernel tap
    mp: tuple     # flipped kernel tap m'
    t: tuple      # position in the dilated gradient
    u: tuple      # position in a padded array
    x: IndexedBase
    w: IndexedBase
    delta: IndexedBase
    delta_dil: IndexedBase    # dilated gradient, printed deltatilde (tilde delta)
    delta_pad: IndexedBase    # dilated and padded gradient, deltahat (hat delta)
    w_flip: IndexedBase       # flipped kernel, flip(w)
    x_pad: IndexedBase        # zero-padded input, xbar (bar x)
    L: sympy.Symbol


@lru_cache(maxsize=None)
def notation(ndim: int = 1) -> Notation:
    """The symbols for ``ndim`` spatial dimensions (axis subscripts only if ``ndim > 1``).

    Examples
    --------
    >>> notation().s, notation(2).s
    ((s,), (s_{1}, s_{2}))
    """
    if not isinstance(ndim, int) or isinstance(ndim, bool) or ndim < 1:
        raise ValueError(f"notation: ndim must be a positive int, got {ndim!r}")

    def axes(name, sub=None, **assumptions):
        if ndim == 1:
            return (sympy.Symbol(name, **assumptions),)
        fmt = sub or (name + "_{%d}")
        return tuple(sympy.Symbol(fmt % (i + 1), **assumptions) for i in range(ndim))

    pos = dict(integer=True, positive=True)
    nonneg = dict(integer=True, nonnegative=True)
    integer = dict(integer=True)
    return Notation(
        ndim=ndim, s=axes("s", **pos), d=axes("d", **pos),
        p_lo=axes("p_lo", "p_{lo,%d}", **nonneg), p_hi=axes("p_hi", "p_{hi,%d}", **nonneg),
        n=axes("n", **pos), k=axes("k", **pos), O=axes("O", **pos), r=axes("r", **nonneg),
        P_lo=axes("P_lo", "P_{lo,%d}", **integer), P_hi=axes("P_hi", "P_{hi,%d}", **integer),
        a=axes("a", **integer), o=axes("o", **integer), m=axes("m", **integer),
        mp=axes("m'", "m'_{%d}", **integer), t=axes("t", **integer), u=axes("u", **integer),
        x=IndexedBase("x"), w=IndexedBase("w"), delta=IndexedBase("delta"),
        # SymPy's printers turn the suffixes tilde, hat and bar into the marks
        delta_dil=IndexedBase("deltatilde"), delta_pad=IndexedBase("deltahat"),
        w_flip=IndexedBase(_Applied("flip(w)")), x_pad=IndexedBase("xbar"),
        L=sympy.Symbol("L"),
    )


class Step(NamedTuple):
    """One equality of a derivation: ``eq`` is ``Eq(dL/dv, rhs)``; ``name`` says what changed."""

    name: str
    eq: sympy.Eq
    note: str


def _cached_list(fn):
    """Build once per ``ndim`` (SymPy objects are immutable); hand out fresh lists."""
    cached = lru_cache(maxsize=None)(lambda ndim: tuple(fn(ndim)))

    @wraps(fn)
    def wrapper(ndim: int = 1):
        return list(cached(ndim))
    return wrapper


def _limits(var, size):
    return [(v, 0, n - 1) for v, n in zip(var, size)]


def _partial(N: Notation, base: IndexedBase, index) -> sympy.Symbol:
    return sympy.Symbol(r"\frac{\partial L}{\partial %s}" % sympy.latex(base[tuple(index)]))


def _steps(lhs, *rows) -> list[Step]:
    """One :class:`Step` ``lhs = rhs`` per ``(name, rhs, note)`` row."""
    return [Step(name, Eq(lhs, rhs, evaluate=False), note) for name, rhs, note in rows]


def _index_simplify(expr, keep):
    """``keep + factor(rest)``: e.g. ``a + d*(k - m - 1)`` rather than ``a - d*m + d*k - d``."""
    return keep + sympy.factor(sympy.expand(expr - keep))


def loss(ndim: int = 1) -> sympy.Eq:
    r"""``L = sum_o delta_o y_o`` with the forward pass written out (bias omitted: it is
    constant in ``x`` and ``w``).

    Examples
    --------
    >>> loss()
    Eq(L, Sum(delta[o]*Sum(w[m]*x[d*m + o*s - p_lo], (m, 0, k - 1)), (o, 0, O - 1)))
    """
    N = notation(ndim)
    read = tuple(s * o + d * m - p for s, o, d, m, p in zip(N.s, N.o, N.d, N.m, N.p_lo))
    y = Sum(N.w[N.m] * N.x[read], *_limits(N.m, N.k))
    return Eq(N.L, Sum(N.delta[N.o] * y, *_limits(N.o, N.O)), evaluate=False)


@_cached_list
def definitions(ndim: int = 1) -> list[sympy.Eq]:
    r"""The auxiliary arrays and sizes the steps use, as equations ``name = meaning``.

    In order: the remainder ``r``, the paddings ``P_lo`` and ``P_hi``, the dilated
    gradient, the padded dilated gradient, the flipped kernel, the zero-padded input.
    :func:`convbp.symbolic.check_closed_form` evaluates the steps through these very
    equations, so an error here makes the check fail.

    Examples
    --------
    >>> definitions()[0]
    Eq(r, Mod(-d*(k - 1) + n + p_hi + p_lo - 1, s))
    """
    N = notation(ndim)
    eqs = []
    for i in range(ndim):
        q = N.n[i] + N.p_lo[i] + N.p_hi[i] - N.d[i] * (N.k[i] - 1) - 1
        eqs.append(Eq(N.r[i], Mod(q, N.s[i], evaluate=False)))
    eqs += [Eq(P, d * (k - 1) - p) for P, d, k, p in zip(N.P_lo, N.d, N.k, N.p_lo)]
    eqs += [Eq(P, d * (k - 1) - p + r) for P, d, k, p, r in zip(N.P_hi, N.d, N.k, N.p_hi, N.r)]
    t, u = N.t, N.u
    on_grid = And(*[And(Eq(Mod(ti, s), 0), ti >= 0, ti <= s * (O - 1))
                    for ti, s, O in zip(t, N.s, N.O)])
    eqs.append(Eq(N.delta_dil[t],
                  Piecewise((N.delta[tuple(ti / s for ti, s in zip(t, N.s))], on_grid),
                            (0, True))))
    eqs.append(Eq(N.delta_pad[u], N.delta_dil[tuple(ui - P for ui, P in zip(u, N.P_lo))]))
    eqs.append(Eq(N.w_flip[N.mp], N.w[tuple(k - 1 - mp for k, mp in zip(N.k, N.mp))]))
    inside = And(*[And(ui >= p, ui <= p + n - 1) for ui, p, n in zip(u, N.p_lo, N.n)])
    eqs.append(Eq(N.x_pad[u],
                  Piecewise((N.x[tuple(ui - p for ui, p in zip(u, N.p_lo))], inside), (0, True))))
    return eqs


@_cached_list
def dx_steps(ndim: int = 1) -> list[Step]:
    r"""``dL/dx_a`` from the chain rule to the dilate-pad-flip correlation.

    Returns
    -------
    list of Step
        ``chain rule``, ``sum over o``, ``dilate``, ``pad``, ``flip``; each ``eq`` has
        the left side :math:`\partial L / \partial x_a`.

    Examples
    --------
    >>> [step.name for step in dx_steps()]
    ['chain rule', 'sum over o', 'dilate', 'pad', 'flip']
    >>> dx_steps()[-1].eq.rhs
    Sum(deltahat[a + d*m']*flip(w)[m'], (m', 0, k - 1))

    Used in :ref:`general-rule`.
    """
    N = notation(ndim)
    lhs = _partial(N, N.x, N.a)
    m_limits = _limits(N.m, N.k)
    # 1. SymPy differentiates the Sum: d x_i / d x_a = KroneckerDelta(a, i).
    chain_rule = sympy.diff(loss(ndim).rhs, N.x[N.a])
    # 2. For a tap m, the output o that reads x_a solves s*o = a + p_lo - d*m: it exists
    #    iff s divides a + p_lo - d*m and the quotient lies in 0..O-1.
    num = [a + p - d * m for a, p, d, m in zip(N.a, N.p_lo, N.d, N.m)]
    hit = And(*[And(Eq(Mod(q, s), 0), q >= 0, q <= s * (O - 1)) for q, s, O in zip(num, N.s, N.O)])
    one_o = Sum(N.w[N.m] * Piecewise((N.delta[tuple(q / s for q, s in zip(num, N.s))], hit),
                                     (0, True)), *m_limits)
    # 3. That Piecewise is the dilated gradient at t = a + p_lo - d*m.
    dilated = Sum(N.w[N.m] * N.delta_dil[tuple(num)], *m_limits)
    # 4. Shift by the left padding P_lo = d*(k-1) - p_lo: deltatilde_t = deltahat_{t+P_lo}.
    pads = [d * (k - 1) - p for d, k, p in zip(N.d, N.k, N.p_lo)]
    padded = dilated.replace(
        lambda e: isinstance(e, Indexed) and e.base == N.delta_dil,
        lambda e: N.delta_pad[tuple(_index_simplify(i + P, a)
                                    for i, P, a in zip(e.indices, pads, N.a))])
    # 5. Flip the kernel: m = k - 1 - m', and w_{k-1-m'} is the flipped kernel at m'.
    flipped = padded
    for m, k, mp in zip(N.m, N.k, N.mp):
        flipped = flipped.change_index(m, k - 1 - m, mp)
    flipped = flipped.replace(
        lambda e: isinstance(e, Indexed) and e.base in (N.w, N.delta_pad),
        lambda e: (N.w_flip[tuple(sympy.expand(k - 1 - i) for k, i in zip(N.k, e.indices))]
                   if e.base == N.w else N.delta_pad[tuple(sympy.expand(i) for i in e.indices)]))
    return _steps(
        lhs,
        ("chain rule", chain_rule,
         "SymPy's diff of L: one Kronecker delta per (o, m) pair that reads x_a."),
        ("sum over o", one_o,
         "For each tap at most one o reads x_a, and only if s divides a + p_lo - d m."),
        ("dilate", dilated,
         "The divisibility test is the dilated gradient: s - 1 zeros between entries."),
        ("pad", padded,
         "Shift by P_lo = d(k-1) - p_lo: the dilated gradient padded on the left."),
        ("flip", flipped,
         "m' = k - 1 - m: a stride-1, dilation-d correlation with the flipped kernel."))


def naive_collapse(ndim: int = 1) -> Step:
    r"""What SymPy's own Kronecker-delta summation makes of the sum over ``o``.

    It solves ``s*o + d*m - p_lo = a`` for ``o`` and keeps the range condition but not
    the integrality one, so it is right at stride 1 and wrong at stride > 1 (it reads
    ``delta`` at fractional positions). Kept to show that the checks can fail.

    Examples
    --------
    >>> naive_collapse().eq.rhs
    Sum(Piecewise((delta[(a - d*m + p_lo)/s]*w[m], ...
    """
    N = notation(ndim)
    # The Kronecker deltas of SymPy's chain rule; sum over o first and let doit() do it.
    kron = sympy.Mul(*sympy.diff(loss(ndim).rhs, N.x[N.a]).atoms(sympy.KroneckerDelta))
    inner = Sum(N.delta[N.o] * kron, *_limits(N.o, N.O)).doit()
    naive = Sum(N.w[N.m] * inner, *_limits(N.m, N.k))
    return Step("sum over o (SymPy alone)", Eq(_partial(N, N.x, N.a), naive, evaluate=False),
                "deltasummation drops the condition that s divides a + p_lo - d m.")


@_cached_list
def dw_steps(ndim: int = 1) -> list[Step]:
    r"""``dL/dw_m`` from the chain rule to a correlation of the padded input with the
    dilated gradient, at stride ``d``.

    Returns
    -------
    list of Step
        ``chain rule``, ``sum over taps``, ``dilate``, ``pad``.

    Examples
    --------
    >>> dw_steps()[-1].eq.rhs
    Sum(deltatilde[t]*xbar[d*m + t], (t, 0, s*(O - 1)))

    Used in :ref:`general-rule`.
    """
    N = notation(ndim)
    lhs = _partial(N, N.w, N.m)
    # The loss with its own tap variable (m' here) so that m is free: w_m is the target.
    renamed = loss(ndim).rhs.replace(
        lambda e: isinstance(e, Sum) and tuple(e.variables) == N.m,
        lambda e: Sum(e.function.xreplace(dict(zip(N.m, N.mp))), *_limits(N.mp, N.k)))
    chain_rule = sympy.diff(renamed, N.w[N.m])
    # The Kronecker delta in m' picks m' = m (m is a tap, so 0 <= m <= k-1 holds).
    read = tuple(s * o + d * m - p for s, o, d, m, p in zip(N.s, N.o, N.d, N.m, N.p_lo))
    one_tap = Sum(N.delta[N.o] * N.x[read], *_limits(N.o, N.O))
    # t = s*o runs over the multiples of s: the dilated gradient is zero elsewhere.
    t_limits = [(t, 0, s * (O - 1)) for t, s, O in zip(N.t, N.s, N.O)]
    dilated = Sum(N.delta_dil[N.t] * N.x[tuple(t + d * m - p for t, d, m, p
                                               in zip(N.t, N.d, N.m, N.p_lo))], *t_limits)
    padded = Sum(N.delta_dil[N.t] * N.x_pad[tuple(d * m + t for d, m, t
                                                  in zip(N.d, N.m, N.t))], *t_limits)
    return _steps(
        lhs,
        ("chain rule", chain_rule, "SymPy's diff of L: a Kronecker delta in the taps."),
        ("sum over taps", one_tap, "Every output o reads x through tap m exactly once."),
        ("dilate", dilated, "t = s o: the dilated gradient, zero off the multiples of s."),
        ("pad", padded, "xbar_u = x_{u - p_lo}: a correlation of the padded input with "
         "the dilated gradient at stride d."))


class Leftover(NamedTuple):
    """The leftover-rows statement, one spatial dimension (see :func:`leftover_rows`)."""

    out_size: sympy.Eq
    remainder: sympy.Eq
    last_row: sympy.Eq
    zero_rows: sympy.Basic
    right_padding: sympy.Eq
    padded_length: sympy.Eq


@lru_cache(maxsize=None)
def leftover_rows() -> Leftover:
    r"""Which input rows get no gradient, and the right padding that accounts for them.

    With :math:`q = n + p_{lo} + p_{hi} - d(k-1) - 1`: :math:`O = \lfloor q/s \rfloor + 1`
    and :math:`r = q \bmod s = q - s(O-1)`. The last input row any window reads is
    :math:`s(O-1) + d(k-1) - p_{lo} = n - 1 + p_{hi} - r` (SymPy eliminates ``O``), so
    the rows :math:`a \ge n - (r - p_{hi})` get no term. The dilated gradient padded by
    ``P_lo`` and ``P_hi`` has length :math:`n + d(k-1)`, so the stride-1 correlation
    with a dilated kernel of extent :math:`d(k-1)+1` returns exactly ``n`` rows.

    Returns
    -------
    Leftover
        ``out_size``, ``remainder``, ``last_row`` (``Eq(a_last, n - 1 + p_hi - r)``),
        ``zero_rows`` (an ``Implies``), ``right_padding``, ``padded_length``.

    Examples
    --------
    >>> leftover_rows().last_row
    Eq(a_last, n + p_hi - r - 1)

    Used in :ref:`general-rule`.
    """
    N = notation(1)
    s, d, p_lo, p_hi, n, k, O, r = (v[0] for v in (N.s, N.d, N.p_lo, N.p_hi, N.n, N.k, N.O, N.r))
    q = n + p_lo + p_hi - d * (k - 1) - 1
    # r is what is left of q after O - 1 whole strides; solve that for O and eliminate it.
    O_of_r = sympy.solve(Eq(r, q - s * (O - 1)), O)[0]
    a_last = sympy.Symbol("a_last", integer=True)
    last = sympy.expand((s * (O - 1) + d * (k - 1) - p_lo).subs(O, O_of_r))
    P_lo, P_hi = d * (k - 1) - p_lo, d * (k - 1) - p_hi + r
    length = sympy.expand((s * (O - 1) + 1 + P_lo + P_hi).subs(O, O_of_r))
    return Leftover(
        out_size=Eq(O, floor(q / s) + 1),
        remainder=Eq(r, Mod(q, s, evaluate=False)),
        last_row=Eq(a_last, last),
        zero_rows=sympy.Implies(N.a[0] >= n - (r - p_hi),
                                Eq(_partial(N, N.x, N.a), 0, evaluate=False)),
        right_padding=Eq(N.P_hi[0], P_hi),
        padded_length=Eq(sympy.Symbol(r"\ell_{pad}"), length),
    )


def chain(steps: list[Step]) -> str:
    r"""The steps as one LaTeX ``aligned`` chain of equalities, each labelled.

    Examples
    --------
    >>> print(chain(dx_steps()).splitlines()[-2])
     &= \sum_{m'=0}^{k - 1} {\hat{\delta}}_{a + d m'} {\operatorname{flip}(w)}_{m'} && \text{flip}

    Used in :ref:`general-rule`.
    """
    rows = []
    for i, step in enumerate(steps):
        lhs = latex(step.eq.lhs) if i == 0 else ""
        rows.append(f"{lhs} &= {latex(step.eq.rhs)} && \\text{{{step.name}}}")
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
