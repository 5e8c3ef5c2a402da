"""SymPy derivations of the convolution backward pass, for the book and as an oracle.

* :func:`derive` differentiates the forward pass of one concrete convolution entry by
  entry and returns every gradient as a SymPy expression (:class:`Derivation`).
* :mod:`convbp.symbolic.closed_form` states the general rule with symbolic stride,
  padding and dilation, step by step down to "dilate, pad, flip", and
  :func:`check_closed_form` checks every step against :func:`derive`.

Used in :ref:`backward-strided`.
"""

from . import closed_form
from .derive import Derivation, Evaluation, derive
from .verify import check_closed_form, check_steps, expand_at

__all__ = ["Derivation", "Evaluation", "check_closed_form", "check_steps", "closed_form",
           "derive", "expand_at"]
