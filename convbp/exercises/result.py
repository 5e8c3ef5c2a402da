"""The result of a check: passed or not, the named mistake, the smallest failing case."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CheckResult"]


@dataclass(frozen=True)
class CheckResult:
    """What a checker found.

    Attributes
    ----------
    checker : str
        Name of the checker, e.g. ``"check_conv_backward"``.
    passed : bool
        True when every case gave the right answer (within a tolerance scaled to the
        dtype of the returned arrays).
    mistake : str or None
        Id of the recognised mistake (see :mod:`convbp.exercises.mistakes`), or
        ``None`` when the answer is right or wrong in no recognised way.
    case : str or None
        The smallest failing case, in words; ``None`` when passed.
    message : str
        Readable report: expected, got, the mistake with a one-line explanation and the
        label of the chapter that derives the right rule.
    mistakes : tuple of str
        Every recognised mistake, when different outputs show different ones (e.g.
        ``dx`` with ``stride_ignored`` and ``db`` with ``bias_mean``); ``mistake`` is
        the first of them.
    label : str or None
        Label of the chapter deriving the right rule for ``mistake``.

    Examples
    --------
    >>> from convbp.exercises import check_flip
    >>> import numpy as np
    >>> r = check_flip(lambda w: np.flip(w, axis=-1))      # only one axis reversed
    >>> r.passed, r.mistake
    (False, 'one_axis_only')
    """

    checker: str
    passed: bool
    mistake: str | None
    case: str | None
    message: str
    mistakes: tuple = ()
    label: str | None = None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:          # a notebook cell shows the message itself
        return self.message

    def raise_if_failed(self) -> "CheckResult":
        """Raise ``AssertionError(message)`` unless passed; return ``self`` otherwise."""
        if not self.passed:
            raise AssertionError(self.message)
        return self
