"""convbp.symbolic.derive: SymPy's gradients against the NumPy code and the index algebra.

Oracles: the fast path (convbp.conv, convbp.conv_backward) on seeded random data with a
random upstream gradient; SymPy's plain diff of the whole loss (for the sparse
differentiation); and expected expressions written by hand in each test from the index
rule ``input row = s*o + d*m - p_lo``, never from the code under test.
"""

import numpy as np
import pytest
import sympy

import convbp
from convbp.symbolic import derive


def _case(size, kernel, stride=1, padding=0, dilation=1, c_in=1, c_out=1, groups=1):
    return dict(size=size, kernel=kernel, kw=dict(stride=stride, padding=padding,
                                                  dilation=dilation),
                c_in=c_in, c_out=c_out, groups=groups)


GRID = [
    # 1-D: every stride 1-3 x padding (none, asymmetric both ways) x dilation 1-2
    *[_case((7,), (3,), s, p, d) for s in (1, 2, 3) for p in (0, ((0, 2),), ((2, 1),))
      for d in (1, 2)],
    _case((6,), (1,), 3),                                   # stride > kernel: gaps
    _case((1,), (1,)),                                      # size-1 dims
    # 2-D
    _case((5, 5), (3, 3), 1),
    _case((5, 5), (3, 3), 2),
    _case((5, 5), (3, 3), 3, 1),
    _case((6, 6), (3, 3), 2),                               # leftover row and column
    _case((6, 7), (3, 2), (2, 3), ((0, 1), (2, 0)), (1, 2)),
    _case((7, 6), (2, 3), 2, 1, 2),
    _case((5, 5), (3, 3), 2, 1, 1, c_in=4, c_out=2, groups=2),
    _case((5, 4), (3, 2), (1, 2), ((1, 0), (0, 1)), 1, c_in=2, c_out=3),
    _case((4, 4), (2, 2), 2, 0, 1, c_in=1, c_out=2),
    # 3-D, through the same code path
    _case((4, 3, 4), (2, 2, 2), (2, 1, 2), 0, 1, c_in=2, c_out=2, groups=2),
]


def _ids(c):
    return f"{c['size']}-{c['kernel']}-{c['kw']}-{c['c_in']}:{c['c_out']}/G{c['groups']}"


@pytest.mark.parametrize("c", GRID, ids=[_ids(c) for c in GRID])
def test_symbolic_equals_numeric(c):
    rng = np.random.default_rng(len(_ids(c)))
    d = derive(c["size"], c["kernel"], **c["kw"], in_channels=c["c_in"],
               out_channels=c["c_out"], groups=c["groups"])
    kw = dict(c["kw"], groups=c["groups"])
    x = rng.normal(size=(3, c["c_in"], *c["size"]))
    w = rng.normal(size=(c["c_out"], c["c_in"] // c["groups"], *c["kernel"]))
    b = rng.normal(size=c["c_out"])
    y = convbp.conv(x, w, b, **kw)
    dy = rng.normal(size=y.shape)
    ref = convbp.conv_backward(dy, x, w, **kw)

    batched = d.evaluate(x, w, dy, b)                   # (N, C, ...): dw, db summed over N
    for got, want in zip((*batched,), (*ref, y)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)

    # one sample, no batch axis: every array shaped like its symbol array
    one = convbp.conv_backward(dy[:1], x[:1], w, **kw)
    single = d.evaluate(x[0].reshape(d.x.shape), w.reshape(d.w.shape),
                        dy[0].reshape(d.dy.shape), b)
    assert single.dx.shape == d.x.shape and single.dw.shape == d.w.shape
    np.testing.assert_allclose(single.dx, one.dx[0].reshape(d.x.shape), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(single.dw, one.dw.reshape(d.w.shape), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(single.db, one.db, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(single.y, y[0].reshape(d.dy.shape), rtol=1e-12, atol=1e-12)


def test_sparse_differentiation_equals_plain_diff_of_the_loss():
    d = derive((5, 4), (3, 2), stride=(2, 1), padding=((1, 0), (0, 1)), dilation=(1, 2),
               in_channels=2, out_channels=2, groups=2)
    L = sympy.Add(*[dl * y for dl, y in zip(d.dy.flat, d.y.flat)])
    for symbols, grads in ((d.x, d.dx), (d.w, d.dw), (d.b, d.db)):
        for v, grad in zip(symbols.flat, grads.flat):
            assert sympy.expand(sympy.diff(L, v) - grad) == 0


# -- symbol arrays ---------------------------------------------------------------------

def test_single_channel_arrays_drop_the_channel_axes():
    d = derive((5, 5), (3, 3), stride=2)
    assert (d.x.shape, d.w.shape, d.dy.shape, d.y.shape) == ((5, 5), (3, 3), (2, 2), (2, 2))
    assert (d.b.shape, d.db.shape) == ((1,), (1,))
    assert d.x[1, 2].name == "x_{1,2}" and d.w[0, 1].name == "w_{0,1}"
    assert d.dy[0, 0].name == r"\delta_{0,0}" and d.b[0].name == "b"
    assert all(s.is_real for s in (d.x[1, 2], d.w[0, 1], d.dy[0, 0], d.b[0]))
    assert derive(5, 3).x[3].name == "x_{3}"
    assert d.delta.shape == d.dy.shape and all(d.delta.flat == d.dy.flat)   # the alias


def test_channel_arrays_keep_the_channel_axes():
    d = derive((4, 4), (3, 3), in_channels=4, out_channels=2, groups=2)
    assert (d.x.shape, d.w.shape, d.dy.shape, d.b.shape) == ((4, 4, 4), (2, 2, 3, 3),
                                                                (2, 2, 2), (2,))
    assert d.x[1, 2, 3].name == "x_{1,2,3}" and d.w[1, 0, 2, 2].name == "w_{1,0,2,2}"
    assert d.b[1].name == "b_{1}" and d.dy[1, 0, 1].name == r"\delta_{1,0,1}"
    # output channel 1 belongs to group 1: input channels 2 and 3 only
    assert {s.name.split(",")[0] for s in d.y[1, 0, 0].free_symbols
            if s.name.startswith("x")} == {"x_{2", "x_{3"}


def test_y_is_the_forward_sum():
    d = derive((4, 4), (2, 2), stride=2, padding=((1, 0), (0, 0)))
    # y[o] reads x[2o + m - (1, 0)]: y[0, 1] reads rows -1 (padding) and 0, columns 2 and 3
    x, w, b = d.x, d.w, d.b[0]
    expected = b + w[1, 0] * x[0, 2] + w[1, 1] * x[0, 3]
    assert sympy.expand(d.y[0, 1] - expected) == 0


# -- the seed questions: a 3x3 filter at stride 2 over a 5x5 input -------------------------

def test_center_pixel_at_stride_2():
    d = derive((5, 5), (3, 3), stride=2)
    D, W = d.dy, d.w
    # x[2,2] = x[2o + m]: o=(0,0),m=(2,2); o=(0,1),m=(2,0); o=(1,0),m=(0,2); o=(1,1),m=(0,0)
    expected = D[0, 0] * W[2, 2] + D[0, 1] * W[2, 0] + D[1, 0] * W[0, 2] + D[1, 1] * W[0, 0]
    assert sympy.expand(d.dx[2, 2] - expected) == 0
    assert d.contributions(2, 2) == [((0, 0), (2, 2)), ((0, 1), (2, 0)), ((1, 0), (0, 2)),
                                     ((1, 1), (0, 0))]


def test_pixel_1_1_meets_one_tap():
    d = derive((5, 5), (3, 3), stride=2)
    assert d.dx[1, 1] == d.dy[0, 0] * d.w[1, 1]
    assert d.contributions(1, 1) == [((0, 0), (1, 1))]


def test_stride_2_taps_have_the_parity_of_the_pixel():
    d = derive((5, 5), (3, 3), stride=2)
    for i in range(5):
        for j in range(5):
            # i = 2*o + m, so m = i - 2*o: every tap has i's parity, and the deltas are
            # exactly the o with 0 <= i - 2o <= 2 (non-adjacent taps 0 and 2 for even i).
            want = sorted(((oi, oj), (i - 2 * oi, j - 2 * oj))
                          for oi in range(2) for oj in range(2)
                          if 0 <= i - 2 * oi <= 2 and 0 <= j - 2 * oj <= 2)
            got = d.contributions(i, j)
            assert got == want
            assert all(m[0] % 2 == i % 2 and m[1] % 2 == j % 2 for _, m in got)


@pytest.mark.parametrize("size, kernel", [((4, 4), (3, 3)), ((5,), (2,)), ((4, 5), (2, 3))])
def test_stride_1_is_the_full_convolution_with_the_rotated_kernel(size, kernel):
    d = derive(size, kernel)
    nd = len(size)
    # delta padded by k - 1 zeros on both sides; the kernel rotated by 180 degrees
    padded = np.full(tuple(o + 2 * (k - 1) for o, k in zip(d.dy.shape, kernel)),
                     sympy.S.Zero, dtype=object)
    padded[tuple(slice(k - 1, k - 1 + o) for o, k in zip(d.dy.shape, kernel))] = d.dy
    rotated = d.w[(slice(None, None, -1),) * nd]
    for a in np.ndindex(*size):
        full = sum(rotated[m] * padded[tuple(ai + mi for ai, mi in zip(a, m))]
                   for m in np.ndindex(*kernel))
        assert sympy.expand(d.dx[a] - full) == 0


def test_dw_at_stride_2_is_the_correlation_with_the_dilated_delta():
    d = derive((5, 5), (3, 3), stride=2)
    D, X = d.dy, d.x
    assert sympy.expand(d.dw[0, 0] - (D[0, 0] * X[0, 0] + D[0, 1] * X[0, 2]
                                      + D[1, 0] * X[2, 0] + D[1, 1] * X[2, 2])) == 0
    assert d.contributions(0, 0, wrt="w") == [((0, 0), (0, 0)), ((0, 1), (0, 2)),
                                              ((1, 0), (2, 0)), ((1, 1), (2, 2))]
    dilated = np.full((3, 3), sympy.S.Zero, dtype=object)   # delta with one zero between
    dilated[::2, ::2] = D
    for p in range(3):
        for q in range(3):
            corr = sum(dilated[t, u] * X[p + t, q + u] for t in range(3) for u in range(3))
            assert sympy.expand(d.dw[p, q] - corr) == 0


def test_leftover_row_and_column_get_no_gradient():
    d = derive((6, 6), (3, 3), stride=2)                    # rows read: 2o + m <= 4
    assert d.dy.shape == (2, 2)
    assert all(d.dx[5, j] == 0 and d.dx[j, 5] == 0 for j in range(6))
    assert all(d.dx[i, j] != 0 for i in range(5) for j in range(5))


def test_1d_example_and_bias():
    d = derive(5, 3, stride=2)
    D, W = d.dy, d.w
    assert sympy.expand(d.dx[2] - (D[0] * W[2] + D[1] * W[0])) == 0
    assert d.db[0] == D[0] + D[1]


# -- rendering -----------------------------------------------------------------------

def test_equations_and_filters():
    d = derive((5, 5), (3, 3), stride=2)
    eqs = d.equations()
    assert len(eqs) == 25 + 9 + 1 and all(isinstance(e, sympy.Eq) for e in eqs)
    assert eqs[12].lhs.name == r"\frac{\partial L}{\partial x_{2,2}}"
    assert eqs[12].rhs == d.dx[2, 2]
    dw = d.equations("dw")
    assert len(dw) == 9 and all("w_" in e.lhs.name for e in dw)
    assert [e.rhs for e in d.equations("db")] == [d.db[0]]
    assert len(d.equations(("dx", "db"))) == 26
    assert [e.lhs.name for e in d.equations("y")] == ["y_{0,0}", "y_{0,1}", "y_{1,0}", "y_{1,1}"]
    with pytest.raises(ValueError, match="which.*'dz'"):
        d.equations("dz")


def test_latex_and_text_order_terms_by_delta():
    d = derive((5, 5), (3, 3), stride=2)
    latex = d.latex()
    assert latex.startswith("\\begin{aligned}\n") and latex.endswith("\n\\end{aligned}")
    assert (r"\frac{\partial L}{\partial x_{2,2}} &= \delta_{0,0} w_{2,2} + \delta_{0,1} w_{2,0}"
            r" + \delta_{1,0} w_{0,2} + \delta_{1,1} w_{0,0} \\") in latex.splitlines()
    lines = d.text().splitlines()
    assert len(lines) == 35
    assert ("dL/dx[2,2] = delta[0,0]*w[2,2] + delta[0,1]*w[2,0] + delta[1,0]*w[0,2]"
            " + delta[1,1]*w[0,0]") in lines
    assert lines[-1] == "dL/db = delta[0,0] + delta[0,1] + delta[1,0] + delta[1,1]"
    assert derive(3, 2, stride=2).text("dx").splitlines()[-1] == "dL/dx[2] = 0"


def test_latex_continues_long_sums_on_further_lines():
    d = derive((5, 5), (3, 3), stride=2)
    whole = d.latex()
    for per in (1, 2, 3, 4):
        tex = d.latex(terms_per_line=per)
        # the same equations, terms and order: only the line breaks differ
        assert tex.replace(" \\\\\n&\\quad {}", " ") == whole
        rows = tex.splitlines()[1:-1]
        assert all(r.count(r"\delta") <= per for r in rows)
        assert sum(r.startswith(r"&\quad {}+ ") for r in rows) == sum(
            max(0, -(-len(sympy.Add.make_args(e.rhs)) // per) - 1) for e in d.equations())
    assert d.latex(terms_per_line=4) == whole          # no sum here has more than 4
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match=r"Derivation\.latex: terms_per_line .* got"):
            d.latex("dx", terms_per_line=bad)


# -- errors ----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(stride=0), ValueError, ["derive", "stride", "0"]),
    (dict(dilation=(1, 0)), ValueError, ["derive", "dilation", "(1, 0)"]),
    (dict(padding=-1), ValueError, ["derive", "padding", "-1"]),
    (dict(kernel_size=7), ValueError, ["derive", "kernel", "7"]),
    (dict(kernel_size=(3, 3, 3)), ValueError, ["derive", "kernel_size", "(3, 3, 3)"]),
    (dict(input_size="5"), TypeError, ["derive", "input_size", "'5'"]),
    (dict(input_size=(5, 0)), ValueError, ["derive", "input_size", "(5, 0)"]),
    (dict(in_channels=0), ValueError, ["derive", "in_channels", "0"]),
    (dict(out_channels=2.0), TypeError, ["derive", "out_channels", "2.0"]),
    (dict(in_channels=3, out_channels=2, groups=2), ValueError, ["derive", "groups=2", "3"]),
])
def test_derive_rejects_bad_arguments(kwargs, exc, words):
    args = dict(input_size=(5, 5), kernel_size=3) | kwargs
    with pytest.raises(exc) as info:
        derive(args.pop("input_size"), args.pop("kernel_size"), **args)
    assert all(word in str(info.value) for word in words), str(info.value)


def test_evaluate_and_contributions_reject_bad_arguments():
    d = derive((5, 5), (3, 3), stride=2)
    x, w, dy = np.zeros((5, 5)), np.zeros((3, 3)), np.zeros((2, 2))
    with pytest.raises(ValueError, match="evaluate: x must have shape"):
        d.evaluate(np.zeros((4, 5)), w, dy)
    with pytest.raises(ValueError, match="evaluate: dy must have shape"):
        d.evaluate(x, w, np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match="evaluate: w must have shape"):
        d.evaluate(x, np.zeros((2, 3)), dy)
    with pytest.raises(ValueError, match=r"evaluate: b must have shape \(1,\)"):
        d.evaluate(x, w, dy, b=np.zeros(2))
    with pytest.raises(TypeError, match="evaluate: x must be a real numeric array"):
        d.evaluate(np.zeros((5, 5), dtype=complex), w, dy)
    with pytest.raises(IndexError, match=r"contributions: index.*\(5, 0\)"):
        d.contributions(5, 0)
    with pytest.raises(IndexError, match="one entry"):
        d.contributions(1)
    with pytest.raises(ValueError, match="wrt must be 'x' or 'w', got 'b'"):
        d.contributions(0, 0, wrt="b")


def test_kronecker_delta_prints_as_an_iverson_bracket():
    """The book writes delta only for dL/dy; SymPy's KroneckerDelta prints as [a = b]."""
    from convbp.symbolic import render

    a, b = sympy.symbols("a b", integer=True)
    expr = sympy.KroneckerDelta(a, b) * sympy.Symbol("w")
    assert "[a = b]" in render.text(expr)
    assert "KroneckerDelta" not in render.text(expr)
    tex = render.latex(expr)
    assert r"\delta" not in tex and "a = b" in tex


def test_evaluate_takes_dy_and_the_older_delta_keyword():
    d = derive((4,), (2,), stride=2)
    rng = np.random.default_rng(3)
    x, w, dy = rng.normal(size=4), rng.normal(size=2), rng.normal(size=2)
    new = d.evaluate(x, w, dy)
    with pytest.warns(DeprecationWarning, match="now called dy"):
        old = d.evaluate(x, w, delta=dy)
    assert all(np.array_equal(u, v) for u, v in zip(new, old))
    assert d.dy.shape == d.dy.shape == (2,)
    with pytest.raises(TypeError, match="not both"):
        d.evaluate(x, w, dy, delta=dy)
