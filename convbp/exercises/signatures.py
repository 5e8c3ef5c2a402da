"""Why the cases tell the mistakes apart: where each generated mistake differs."""

from __future__ import annotations

import numpy as np

from . import _engine as E

__all__ = ["signatures"]


def _takes_everything(*args, dilation=1, groups=1, **kwargs):  # pragma: no cover
    """A stand-in learner whose signature asks for the dilation and groups cases."""


def signatures(checker, **kwargs):
    """Where every mistake a checker recognises differs from the right answer.

    For each case the checker runs (smallest first) and each generated wrong
    implementation, list the outputs (e.g. ``"dx"``, ``"dw"``) whose values or shape
    differ from the right answer. Two mistakes are told apart when their rows differ,
    or, where the rows are the same, by the values themselves (the checker compares
    values; this table only shows where each mistake shows up).

    Parameters
    ----------
    checker : callable
        One of the ``check_*`` functions of :mod:`convbp.exercises`.
    **kwargs
        Passed to the checker (e.g. ``kind="max"`` for :func:`check_pool_backward`).
        For checkers that add cases when the learner's function takes ``dilation`` or
        ``groups``, those cases are included.

    Returns
    -------
    cases : list of str
        The cases, in words, smallest first.
    rows : list of (str, str, list of str)
        ``(mistake_id, variant, [differing outputs per case])``; an empty string
        where the mistake gives the right answer on that case.

    Examples
    --------
    >>> from convbp.exercises import check_conv_backward, signatures
    >>> cases, rows = signatures(check_conv_backward)
    >>> len(cases)
    5
    >>> [r for r in rows if r[0] == "bias_mean"][0]
    ('bias_mean', 'mean', ['db', 'db', 'db', 'db', 'db'])
    """
    cases, names = E.capture_cases(checker, _takes_everything, **kwargs)
    rows = []
    for key in cases[0].wrong:
        per_case = []
        for c in cases:
            diff = [k for k in names
                    if not E.close(np.asarray(c.wrong[key][k], dtype=float), c.right[k])]
            per_case.append(" ".join(diff))
        rows.append((key[0], key[1], per_case))
    return [c.words for c in cases], rows
