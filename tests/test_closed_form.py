"""convbp.symbolic.closed_form: the general dilate-pad-flip statement, checked step by step.

Every step of the symbolic derivation is expanded at concrete sizes and compared term by
term with derive() on a grid of 1-D geometries (and a few 2-D ones). Deliberately wrong
steps and definitions (SymPy's own Kronecker summation, no flip, an off-by-one padding,
a right padding without the remainder, ...) must be caught, so the checks can fail.
"""

import itertools

import pytest
import sympy
from sympy import Indexed, Sum

from convbp.geometry import conv_geometry
from convbp.symbolic import check_closed_form, check_steps, closed_form as cf, derive, expand_at

N = cf.notation()
(s, d, p_lo, p_hi, n, k, O, r), a, m, mp = (
    (v[0] for v in (N.s, N.d, N.p_lo, N.p_hi, N.n, N.k, N.O, N.r)), N.a[0], N.m[0], N.mp[0])


def _fits(size, kernel, stride, padding, dilation):
    try:
        conv_geometry("test", size, kernel, stride, padding, dilation)
    except ValueError:
        return False
    return True


def _failures(report):
    return {name: found[:3] for name, found in report.items() if found}


@pytest.mark.parametrize("kernel, stride, dilation",
                         list(itertools.product((1, 2, 3), (1, 2, 3), (1, 2))))
def test_closed_form_agrees_with_derive_on_the_1d_grid(kernel, stride, dilation):
    failed, checked = {}, 0
    for size, lo, hi in itertools.product(range(1, 10), range(3), range(3)):
        padding = ((lo, hi),)
        if not _fits((size,), (kernel,), stride, padding, dilation):
            continue
        report = check_closed_form(size, kernel, stride=stride, padding=padding,
                                   dilation=dilation)
        assert len(report) == 5 + 4 + 1 + 5        # dx steps, dw steps, recipe, leftover
        checked += 1
        if _failures(report):
            failed[(size, lo, hi)] = _failures(report)
    assert checked >= 40 and failed == {}


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", [
    ((5, 5), (3, 3), 2, 0, 1),
    ((6, 7), (3, 2), (2, 3), ((0, 1), (2, 0)), (1, 2)),
    ((5, 4), (2, 3), (3, 1), ((2, 0), (1, 1)), (2, 1)),
])
def test_closed_form_agrees_with_derive_in_2d(size, kernel, stride, padding, dilation):
    report = check_closed_form(size, kernel, stride=stride, padding=padding, dilation=dilation)
    assert {"dx: flip", "dw: pad", "recipe"} <= set(report)
    assert _failures(report) == {}


# -- the symbolic statements themselves ------------------------------------------------

def test_final_steps_are_the_dilate_pad_flip_correlations():
    flip = cf.dx_steps()[-1].eq
    assert flip.lhs.name == r"\frac{\partial L}{\partial {x}_{a}}"
    assert flip.rhs == Sum(N.w_flip[mp] * N.delta_pad[a + d * mp], (mp, 0, k - 1))
    pad = cf.dw_steps()[-1].eq
    t = N.t[0]
    assert pad.rhs == Sum(N.delta_dil[t] * N.x_pad[d * m + t], (t, 0, s * (O - 1)))
    padded = cf.dx_steps()[3].eq.rhs          # before the flip: a + d*(k - 1 - m)
    (index,) = next(iter(padded.atoms(Indexed) - {N.w[m]})).indices
    assert sympy.expand(index - (a + d * (k - 1 - m))) == 0


def test_chain_rule_is_sympys_derivative_with_kronecker_deltas():
    chain = cf.dx_steps()[0].eq.rhs
    assert chain.atoms(sympy.KroneckerDelta) == {sympy.KroneckerDelta(a, s * N.o[0] + d * m
                                                                      - p_lo)}
    assert cf.dw_steps()[0].eq.rhs.atoms(sympy.KroneckerDelta) == {sympy.KroneckerDelta(m, mp)}


def test_definitions():
    defs = {str(e.lhs): e.rhs for e in cf.definitions()}
    assert sympy.expand(defs["P_lo"] - (d * (k - 1) - p_lo)) == 0
    assert sympy.expand(defs["P_hi"] - (d * (k - 1) - p_hi + r)) == 0
    assert defs["flip(w)[m']"] == N.w[k - 1 - mp]
    assert set(defs) >= {"deltatilde[t]", "deltahat[u]", "xbar[u]"}


def test_leftover_rows_statement():
    lo = cf.leftover_rows()
    q = n + p_lo + p_hi - d * (k - 1) - 1
    assert lo.out_size.rhs == sympy.floor(q / s) + 1
    assert sympy.expand(lo.last_row.rhs - (n - 1 + p_hi - r)) == 0
    assert sympy.expand(lo.padded_length.rhs - (n + d * (k - 1))) == 0
    condition, claim = lo.zero_rows.args
    assert sympy.expand(condition.lhs - condition.rhs - (a - n + r - p_hi)) == 0
    assert claim.rhs == 0
    # 8 rows, kernel 3, stride 2: r = 1, so row 7 gets nothing; with p_hi = 1 every row does
    assert check_closed_form(8, 3, stride=2)["leftover: zero_rows"] == []
    assert derive(8, 3, stride=2).dx[7] == 0
    assert derive(8, 3, stride=2, padding=((0, 1),)).dx[7] != 0


def test_2d_statements_are_separable():
    flip = cf.dx_steps(2)[-1].eq.rhs
    N2 = cf.notation(2)
    want = Sum(N2.w_flip[N2.mp] * N2.delta_pad[tuple(ai + di * mi for ai, di, mi
                                                     in zip(N2.a, N2.d, N2.mp))],
               *[(mi, 0, ki - 1) for mi, ki in zip(N2.mp, N2.k)])
    assert flip == want


def test_rendering_for_the_book():
    latex = cf.chain(cf.dx_steps())
    assert latex.startswith("\\begin{aligned}") and latex.count("&=") == 5
    assert r"\bmod" in latex and r"{\tilde{\delta}}_{a - d m + p_{lo}}" in latex
    # the marks of the book's notation table (book/intro.md), from SymPy's own printer
    # as well as from the book's: flip(W), delta-hat, X-bar
    last = r"{\hat{\delta}}_{a + d m'} {\operatorname{flip}(w)}_{m'}"
    assert latex.splitlines()[-2].endswith(last + r" && \text{flip}")
    assert sympy.latex(cf.dx_steps()[-1].eq.rhs).endswith(last)
    assert r"{\bar{x}}_{d m + t}" in cf.chain(cf.dw_steps())
    every = " ".join(sympy.latex(e) for e in cf.definitions()) + latex
    for old in ("^{pad}", "tilde{w}", "wtilde", "x^pad", "deltatilde"):
        assert old not in every, old
    # str keeps plain names a reader can type
    assert str(cf.dx_steps()[-1].eq.rhs) == "Sum(deltahat[a + d*m']*flip(w)[m'], (m', 0, k - 1))"
    assert all(isinstance(step.eq, sympy.Eq) for step in cf.dx_steps() + cf.dw_steps())
    assert r"\left\lfloor" in sympy.latex(cf.leftover_rows().out_size)


# -- the checks can fail ---------------------------------------------------------------

def test_sympys_own_delta_summation_fails_at_stride_2_only():
    naive = [cf.naive_collapse()]
    assert check_steps(naive, derive(7, 3, stride=1, padding=((1, 0),)))[naive[0].name] == []
    bad = check_steps(naive, derive(7, 3, stride=2))[naive[0].name]
    assert bad and "not an integer" in bad[0][1]


def _replace_rhs(step, rhs):
    return step._replace(eq=sympy.Eq(step.eq.lhs, rhs, evaluate=False))


def test_wrong_steps_are_caught():
    flip, dw_dilate = cf.dx_steps()[-1], cf.dw_steps()[2]
    mutants = [
        # correlation in the wrong direction
        _replace_rhs(flip, flip.eq.rhs.xreplace({a + d * mp: a - d * mp})),
        # flipped kernel taken as the original kernel
        _replace_rhs(flip, flip.eq.rhs.replace(lambda e: isinstance(e, Indexed)
                                               and e.base == N.w_flip, lambda e: N.w[e.indices])),
        # the gradient not dilated: delta read at t instead of t / s
        _replace_rhs(dw_dilate, dw_dilate.eq.rhs.replace(
            lambda e: isinstance(e, Indexed) and e.base == N.delta_dil,
            lambda e: N.delta[e.indices])),
    ]
    geometry = derive(7, 3, stride=2, padding=((1, 2),))
    for step in mutants[:2]:
        assert check_steps([step], geometry)[step.name] != []
    assert check_steps(mutants[2:], geometry, wrt="w")[mutants[2].name] != []


@pytest.mark.parametrize("name, wrong, caught_by", [
    ("P_lo", d * (k - 1) - p_lo + 1, "dx: pad"),
    ("P_hi", d * (k - 1) - p_hi, "recipe"),                      # forgets the remainder
    ("deltatilde[t]", sympy.Piecewise((N.delta[N.t[0] / s], N.t[0] <= s * (O - 1)), (0, True)),
     "dx: dilate"),                                              # no divisibility test
])
def test_wrong_definitions_are_caught(monkeypatch, name, wrong, caught_by):
    original = cf.definitions

    def mutated(ndim=1):
        return [sympy.Eq(e.lhs, wrong) if str(e.lhs) == name else e for e in original(ndim)]

    assert check_closed_form(8, 3, stride=2)[caught_by] == []
    monkeypatch.setattr(cf, "definitions", mutated)
    assert check_closed_form(8, 3, stride=2)[caught_by] != []


# -- the evaluator against SymPy's own substitution and doit() --------------------------

def _unroll(e):
    """A Sum with numeric limits as an explicit Add (SymPy's doit() would first try its
    Kronecker-delta summation, which ignores integrality: see cf.naive_collapse)."""
    ranges = [range(int(lo), int(hi) + 1) for _, lo, hi in e.limits]
    return sympy.Add(*[e.function.subs(dict(zip(e.variables, values)))
                       for values in itertools.product(*ranges)])


def _sympy_expand(expr, der, at):
    """Inline definitions(), substitute numbers, unroll the sums with subs, read x/w/delta."""
    geom = der.geometry
    values = {s: geom.stride[0], d: geom.dilation[0], p_lo: geom.padding[0][0],
              p_hi: geom.padding[0][1], n: geom.in_size[0], k: geom.kernel_size[0],
              O: geom.out_size[0], **at}
    for _ in range(4):                          # deltahat -> deltatilde -> delta
        for eq in cf.definitions():
            if isinstance(eq.lhs, Indexed):
                names = eq.lhs.indices
                expr = expr.replace(
                    lambda e, base=eq.lhs.base: isinstance(e, Indexed) and e.base == base,
                    lambda e, rhs=eq.rhs, names=names: rhs.xreplace(dict(zip(names, e.indices))))
            else:
                expr = expr.xreplace({eq.lhs: eq.rhs})
    expr = expr.subs(values).replace(lambda e: isinstance(e, Sum), _unroll)

    def read(e):
        (i,) = e.indices
        arr = {N.x: der.x, N.w: der.w, N.delta: der.dy}[e.base]
        assert i.is_Integer and (e.base == N.x or 0 <= i < arr.shape[0]), e
        return arr[int(i)] if 0 <= i < arr.shape[0] else sympy.S.Zero

    return expr.replace(lambda e: isinstance(e, Indexed), read)


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", [
    (7, 3, 2, ((1, 0),), 1), (6, 2, 3, ((0, 2),), 2), (5, 3, 1, 0, 1)])
def test_expand_at_agrees_with_sympy_subs_and_doit(size, kernel, stride, padding, dilation):
    der = derive(size, kernel, stride=stride, padding=padding, dilation=dilation)
    for steps, pos, count in ((cf.dx_steps(), a, size), (cf.dw_steps(), m, kernel)):
        for step in steps:
            for v in range(count):
                ours = expand_at(step.eq.rhs, der, {pos: v})
                theirs = _sympy_expand(step.eq.rhs, der, {pos: v})
                assert sympy.expand(ours - theirs) == 0, (step.name, v)
