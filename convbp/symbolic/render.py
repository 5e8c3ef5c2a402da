r"""Render derived equations as LaTeX (for the book) and as plain text (for the CLI).

Symbols are named for LaTeX (``x_{1,2}``, ``\delta_{0,0}``,
``\frac{\partial L}{\partial x_{1,2}}``); the text form reads them back as
``x[1,2]``, ``delta[0,0]`` and ``dL/dx[1,2]``. A sum is printed with its terms in a
fixed, meaningful order (by the index of the gradient entry they carry, see
:class:`convbp.symbolic.Derivation`) rather than SymPy's internal order, so that the
book can show :math:`\delta_{0,0} w_{2,2} + \delta_{0,1} w_{2,0} + \dots` row by row.

Used in :ref:`backward-strided`.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

__all__ = ["text_name", "text", "latex", "ordered_terms", "ordered_sum", "aligned"]

_PARTIAL = re.compile(r"^\\frac\{\\partial (\w+)\}\{\\partial (.+)\}$")
_SUBSCRIPT = re.compile(r"^\\?([A-Za-z]+)_\{(.*)\}$")


def text_name(name: str) -> str:
    r"""Plain-text form of a LaTeX symbol name.

    Examples
    --------
    >>> text_name(r"\delta_{0,1}"), text_name("x_{3}"), text_name("b")
    ('delta[0,1]', 'x[3]', 'b')
    >>> text_name(r"\frac{\partial L}{\partial w_{2,0}}")
    'dL/dw[2,0]'
    """
    match = _PARTIAL.match(name)
    if match:
        return f"d{match[1]}/d{text_name(match[2])}"
    match = _SUBSCRIPT.match(name)
    if match:
        return f"{match[1]}[{match[2]}]"
    return name.lstrip("\\")


class _TextPrinter(StrPrinter):
    """SymPy's ``str`` printer with LaTeX symbol names turned into ``name[i,j]`` and
    ``KroneckerDelta(a, b)`` as the Iverson bracket ``[a = b]``."""

    def _print_Symbol(self, expr):
        return text_name(expr.name)

    def _print_KroneckerDelta(self, expr):
        a, b = expr.args
        return f"[{self._print(a)} = {self._print(b)}]"


class _LatexPrinter(LatexPrinter):
    r"""SymPy's LaTeX printer with ``KroneckerDelta(a, b)`` as the Iverson bracket
    :math:`[a = b]` (1 if ``a = b``, else 0), the book's notation, never a delta (the
    book's :math:`\delta` is not used for it)."""

    def _print_KroneckerDelta(self, expr, exp=None):
        a, b = expr.args
        tex = rf"\left[{self._print(a)} = {self._print(b)}\right]"
        return tex if exp is None else rf"{tex}^{{{exp}}}"


_TEXT = _TextPrinter()
_LATEX = _LatexPrinter()


def latex(expr) -> str:
    r"""LaTeX form of one SymPy expression, Kronecker deltas as Iverson brackets.

    Examples
    --------
    >>> import sympy
    >>> a, o = sympy.symbols("a o")
    >>> latex(sympy.KroneckerDelta(a, 2 * o))
    '\\left[a = 2 o\\right]'
    >>> text(sympy.KroneckerDelta(a, 2 * o))
    '[a = 2*o]'
    """
    return _LATEX.doprint(expr)


def text(expr) -> str:
    r"""Plain-text form of one SymPy expression.

    Examples
    --------
    >>> import sympy
    >>> d, w = sympy.Symbol(r"\delta_{0,0}"), sympy.Symbol("w_{2,2}")
    >>> text(d * w)
    'delta[0,0]*w[2,2]'
    """
    return _TEXT.doprint(expr)


def ordered_terms(expr, key: Callable, printer: Callable[[sympy.Expr], str]) -> list[str]:
    """The printed terms of a sum in the order given by ``key``, each with its sign.

    Joined, they are :func:`ordered_sum`; split, a long sum can go on several lines.

    Examples
    --------
    >>> import sympy
    >>> a, b, c = sympy.symbols("a b c")
    >>> ordered_terms(a + b - c, key=lambda t: -ord(str(t.free_symbols.pop())), printer=str)
    ['-c', ' + b', ' + a']
    """
    terms = sorted(sympy.Add.make_args(expr), key=key)
    if not terms or expr == 0:
        return [printer(sympy.S.Zero)]
    out = []
    for i, term in enumerate(terms):
        negative = term.could_extract_minus_sign()
        body = printer(-term if negative else term)
        if i == 0:
            out.append(f"-{body}" if negative else body)
        else:
            out.append(f" - {body}" if negative else f" + {body}")
    return out


def ordered_sum(expr, key: Callable, printer: Callable[[sympy.Expr], str]) -> str:
    """Print a sum term by term, in the order given by ``key`` (a function of one term).

    Examples
    --------
    >>> import sympy
    >>> a, b, c = sympy.symbols("a b c")
    >>> ordered_sum(a + b - c, key=lambda t: -ord(str(t.free_symbols.pop())), printer=str)
    '-c + b + a'
    """
    return "".join(ordered_terms(expr, key, printer))


def aligned(rows: Iterable[tuple[str | None, str]]) -> str:
    r"""An ``aligned`` LaTeX block with one ``lhs &= rhs`` row per pair.

    A row whose ``lhs`` is ``None`` continues the equation above it, indented
    (``&\quad {}rhs``: the empty group keeps a leading ``+`` binary, spaced as in
    ``a + b``), e.g. the rest of a long sum.

    Examples
    --------
    >>> print(aligned([("a", "b"), ("c", "d + e"), (None, "+ f")]))
    \begin{aligned}
    a &= b \\
    c &= d + e \\
    &\quad {}+ f
    \end{aligned}
    """
    body = " \\\\\n".join(f"&\\quad {{}}{rhs}" if lhs is None else f"{lhs} &= {rhs}"
                           for lhs, rhs in rows)
    return "\\begin{aligned}\n" + body + "\n\\end{aligned}"
