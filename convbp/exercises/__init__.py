"""Checkers for exercises: run a learner's function, and name the mistake if it is wrong.

Each ``check_*`` function calls the learner's function on a few cases chosen so that
every recognised mistake (``stride_ignored``, ``kernel_not_flipped``,
``leftover_rows``, ...) gives a different signature, compares with convbp's own
answer, and returns a :class:`CheckResult` with ``.passed``, ``.mistake`` (an id from
:mod:`convbp.exercises.mistakes`, or ``None``), ``.case`` (the smallest failing case)
and a readable ``.message``. A mistake is named only when the learner's outputs match
that mistake, generated from convbp's correct functions, on every case.
``raise_on_fail=True`` raises ``AssertionError`` with the message instead.

The book's chapter :ref:`checking-your-code` shows them at work.

Examples
--------
>>> import convbp
>>> from convbp.exercises import check_conv_backward
>>> def mine(dy, x, w, stride=1, padding=0):     # the batch averaged, not summed
...     dx, dw, db = convbp.conv_backward(dy, x, w, stride=stride, padding=padding)
...     return dx, dw / len(x), db / len(x)
>>> r = check_conv_backward(mine)
>>> r.passed, r.mistake
(False, 'batch_not_summed')
"""

from .conv import check_conv_backward, check_conv_forward, check_conv_transpose
from .mistakes import CATALOGUE, CHAPTERS, Mistake, mistakes_for
from .network import check_linear_backward, check_sgd_step, check_softmax_cross_entropy
from .pieces import (check_backward_padding, check_convolve1d, check_correlate1d, check_dilate,
                     check_flip, check_output_size)
from .pool import check_pool_backward, check_relu_backward
from .result import CheckResult
from .signatures import signatures

__all__ = [
    "CATALOGUE",
    "CHAPTERS",
    "CheckResult",
    "Mistake",
    "check_backward_padding",
    "check_conv_backward",
    "check_conv_forward",
    "check_conv_transpose",
    "check_convolve1d",
    "check_correlate1d",
    "check_dilate",
    "check_flip",
    "check_linear_backward",
    "check_output_size",
    "check_pool_backward",
    "check_relu_backward",
    "check_sgd_step",
    "check_softmax_cross_entropy",
    "mistakes_for",
    "signatures",
]
