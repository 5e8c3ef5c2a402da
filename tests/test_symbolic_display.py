"""convbp.symbolic.display: the book's rendering of the closed form, and SymPy on numbers."""

import numpy as np
import pytest

import convbp
from convbp.symbolic import closed_form as cf
from convbp.symbolic.display import evaluate_step, step_latex

CASES = [  # n, k, stride, (p_lo, p_hi), dilation
    (8, 3, 2, (0, 0), 1),
    (5, 3, 1, (3, 3), 1),
    (10, 3, 3, (5, 1), 2),
    (4, 1, 4, (3, 0), 1),
]


def test_step_latex_uses_the_books_marks():
    tex = [step_latex(s) for s in cf.dx_steps() + cf.dw_steps()]
    joined = " ".join(tex)
    assert r"\left[a = d m + o s - p_{lo}\right]" in tex[0]       # Iverson bracket
    assert r"\delta_{a," not in joined and "KroneckerDelta" not in joined
    assert r"\hat{\delta}_{a + d m'}" in tex[4] and r"\operatorname{flip}(w)_{m'}" in tex[4]
    assert r"\bar{x}_{d m + t}" in tex[-1] and r"\tilde{\delta}_{t}" in tex[-1]
    assert r"\begin{array}{l}" in tex[1]            # the long condition is wrapped
    assert r"\qquad \text{(dilate)}" in tex[2]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_evaluate_step_is_the_loop_reference(case):
    n, k, s, p, d = case
    rng = np.random.default_rng(7)
    O = (n + sum(p) - d * (k - 1) - 1) // s + 1
    x, w, dy = rng.normal(size=n), rng.normal(size=k), rng.normal(size=O)
    kw = dict(n=n, k=k, stride=s, padding=p, dilation=d, x=x, w=w, dy=dy)
    loops = convbp.reference.conv_backward(dy.reshape(1, 1, -1), x.reshape(1, 1, -1),
                                           w.reshape(1, 1, -1), stride=s, padding=(p,),
                                           dilation=d)
    for step in cf.dx_steps()[1:]:
        np.testing.assert_allclose(evaluate_step(step, "dx", **kw), loops.dx[0, 0],
                                   rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(evaluate_step(cf.dw_steps()[-1], "dw", **kw), loops.dw[0, 0],
                               rtol=1e-12, atol=1e-12)


def test_evaluate_step_can_fail_and_checks_its_arguments():
    # SymPy's own Kronecker-delta summation reads delta at fractional positions
    rng = np.random.default_rng(8)
    kw = dict(n=8, k=3, stride=2, x=rng.normal(size=8), w=rng.normal(size=3),
              dy=rng.normal(size=3))
    with pytest.raises((TypeError, ValueError, IndexError)):
        evaluate_step(cf.naive_collapse(), "dx", **kw)
    with pytest.raises(ValueError, match="evaluate_step: which must be 'dx' or 'dw'"):
        evaluate_step(cf.dx_steps()[-1], "dy", **kw)
    with pytest.raises(ValueError, match=r"evaluate_step: need x \(8,\), w \(3,\) and dy \(3,\)"):
        evaluate_step(cf.dx_steps()[-1], "dx", **{**kw, "dy": np.ones(4)})
