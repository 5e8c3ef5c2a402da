r"""The closed-form steps as the book shows them, and evaluated on numbers by SymPy alone.

Used in the chapter :ref:`general-rule`, which shows the results of
:mod:`convbp.symbolic.closed_form` and keeps this plumbing out of the page:

* :func:`step_latex` prints one step in the book's notation: the Iverson bracket
  :math:`[a = b]` for SymPy's Kronecker delta (so it is never confused with the
  gradient :math:`\delta`), :math:`\tilde\delta` for the dilated and
  :math:`\hat\delta` for the dilated-and-padded gradient, :math:`\bar x` for the padded
  input and :math:`\operatorname{flip}(w)` for the flipped kernel; the right-hand side
  goes under the left one, and a ``Piecewise`` puts each clause of its condition on a
  line of its own, so that a step fits a phone's width.
* :func:`evaluate_step` evaluates the last (or any) step on NumPy arrays with nothing
  but SymPy's ``subs`` and ``doit`` and the definitions of
  :func:`~convbp.symbolic.closed_form.definitions`. It shares no code with
  ``convbp.symbolic.verify`` (an exact evaluator of its own) nor with the array
  code, so it is an independent witness for the closed form.
"""

from __future__ import annotations

import numpy as np
import sympy
from sympy import Indexed
from sympy.printing.latex import LatexPrinter

from . import closed_form as cf

__all__ = ["step_latex", "evaluate_step"]

class _BookPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the book's marks and the Iverson bracket."""

    def _print_KroneckerDelta(self, expr, exp=None):
        a, b = (self._print(v) for v in expr.args)
        tex = rf"\left[{a} = {b}\right]"
        return tex if exp is None else rf"{tex}^{{{exp}}}"

    def _print_Piecewise(self, expr):
        # One clause per line, under its value: narrow enough for a phone.
        rows = []
        for value, cond in expr.args:
            if cond == sympy.true:
                rows.append(self._print(value) + r" \ \text{otherwise}")
                continue
            rows.append(self._print(value) + r" \ \text{if}")
            clauses = cond.args if isinstance(cond, sympy.And) else (cond,)
            rows += [r"\quad " + self._print(c) for c in clauses]
        return r"\left\{\begin{array}{l}" + r" \\ ".join(rows) + r"\end{array}\right."

    def _print_Indexed(self, expr):
        # the labels print as the book's marks themselves (closed_form.notation);
        # here only the braces around them go: \hat{\delta}_{u}, not {\hat{\delta}}_{u}
        base = self._print(expr.base.label)
        index = ",".join(self._print(i) for i in expr.indices)
        return f"{base}_{{{index}}}"


def step_latex(step: cf.Step, *, label: bool = True) -> str:
    r"""LaTeX of one step of the closed form, in the book's notation.

    Parameters
    ----------
    step : Step
        From :func:`~convbp.symbolic.closed_form.dx_steps`,
        :func:`~convbp.symbolic.closed_form.dw_steps` or a definition wrapped as one.
    label : bool
        Append the step's name, e.g. ``(flip)``.

    Returns
    -------
    str

    Examples
    --------
    >>> from convbp.symbolic import closed_form as cf
    >>> print(step_latex(cf.dx_steps()[0], label=False))
    \frac{\partial L}{\partial {x}_{a}} = \sum_{o=0}^{O - 1} \delta_{o} \sum_{m=0}^{k - 1} \left[a = d m + o s - p_{lo}\right] w_{m}
    >>> r"\qquad \text{(flip)}" in step_latex(cf.dx_steps()[-1])
    True
    """
    printer = _BookPrinter()
    lhs, rhs = printer.doprint(step.eq.lhs), printer.doprint(step.eq.rhs)
    if not label:
        return f"{lhs} = {rhs}"
    return (r"\begin{aligned}&%s \qquad \text{(%s)} \\ &\quad = %s\end{aligned}"
            % (lhs, step.name, rhs))


def evaluate_step(step: cf.Step, which: str, *, n: int, k: int, stride: int = 1,
                  padding=(0, 0), dilation: int = 1, x, w, dy) -> np.ndarray:
    r"""Evaluate one 1-D step of the closed form on numbers, with SymPy alone.

    Substitutes the sizes, expands the sums with ``doit``, replaces every auxiliary
    array (:math:`\hat\delta`, :math:`\tilde\delta`, :math:`\operatorname{flip}(w)`,
    :math:`\bar x`) by its definition until only :math:`\delta`, :math:`w` and
    :math:`x` remain, and reads those from the arrays. A read outside an array raises
    ``IndexError`` and a read at a fractional position ``ValueError``: the closed form
    must never need either.

    Parameters
    ----------
    step : Step
        A step of :func:`~convbp.symbolic.closed_form.dx_steps` (``which="dx"``) or of
        :func:`~convbp.symbolic.closed_form.dw_steps` (``which="dw"``).
    which : {"dx", "dw"}
    n, k, stride, dilation : int
    padding : (int, int)
        ``(p_lo, p_hi)``.
    x : array_like, shape (n,)
    w : array_like, shape (k,)
    dy : array_like, shape (O,)

    Returns
    -------
    ndarray, shape (n,) for ``"dx"`` or (k,) for ``"dw"``

    Examples
    --------
    >>> import numpy as np
    >>> from convbp.symbolic import closed_form as cf
    >>> x, w, dy = np.arange(5.0), np.array([1.0, 2.0, 3.0]), np.array([1.0, -1.0])
    >>> evaluate_step(cf.dx_steps()[-1], "dx", n=5, k=3, stride=2, x=x, w=w, dy=dy)
    array([ 1.,  2.,  2., -2., -3.])
    """
    if which not in ("dx", "dw"):
        raise ValueError(f"evaluate_step: which must be 'dx' or 'dw', got {which!r}")
    p_lo, p_hi = padding
    q = n + p_lo + p_hi - dilation * (k - 1) - 1
    if q < 0:
        raise ValueError(f"evaluate_step: the kernel does not fit, got n={n}, k={k}, "
                         f"padding={padding}, dilation={dilation}")
    O = q // stride + 1
    x, w, dy = (np.asarray(v, dtype=float) for v in (x, w, dy))
    if x.shape != (n,) or w.shape != (k,) or dy.shape != (O,):
        raise ValueError(f"evaluate_step: need x ({n},), w ({k},) and dy ({O},), got "
                         f"{x.shape}, {w.shape}, {dy.shape}")
    N = cf.notation(1)
    aux, sizes = {}, {}
    for eq in cf.definitions(1):
        if isinstance(eq.lhs, Indexed):
            aux[eq.lhs.base] = sympy.Lambda(eq.lhs.indices, eq.rhs)
        else:
            sizes[eq.lhs] = eq.rhs
    values = {N.n[0]: n, N.k[0]: k, N.s[0]: stride, N.d[0]: dilation,
              N.p_lo[0]: p_lo, N.p_hi[0]: p_hi, N.O[0]: O}
    for name in (N.r[0], N.P_lo[0], N.P_hi[0]):
        values[name] = sizes[name].subs(values)
    arrays = {N.x: x, N.w: w, N.delta: dy}
    position, length = (N.a[0], n) if which == "dx" else (N.m[0], k)

    def is_aux(z):
        return isinstance(z, Indexed) and z.base in aux

    out = np.empty(length)
    for i in range(length):
        e = step.eq.rhs.subs(values).subs(position, i).doit()
        while any(is_aux(z) for z in e.atoms(Indexed)):
            e = e.replace(is_aux, lambda z: aux[z.base](*z.indices)).subs(values)
        reads = {}
        for z in e.atoms(Indexed):
            if not z.indices[0].is_integer:
                raise ValueError(f"evaluate_step: {z} is read at a position that is "
                                 f"not an integer")
            j = int(z.indices[0])
            if not 0 <= j < arrays[z.base].size:
                raise IndexError(f"evaluate_step: {z} read outside its array")
            reads[z] = arrays[z.base][j]
        out[i] = float(e.xreplace(reads))
    return out
