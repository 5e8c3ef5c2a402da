"""Run a learner's function on prepared cases and diagnose what came back.

A :class:`Case` holds the arguments for the learner, the right outputs (one array per
named component, e.g. ``dx``, ``dw``, ``db``) and the outputs of every *generated wrong
implementation* (``wrong[(mistake_id, variant)] = {component: array}``), computed from
convbp's own correct functions. The diagnosis is per component: a component is
explained by a variant when it matches that variant on EVERY case; the learner's answer
is named only when every wrong component is explained.
"""

from __future__ import annotations

import inspect
import textwrap
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

from .mistakes import CHAPTERS, CATALOGUE
from .result import CheckResult


class OutputError(Exception):
    """The learner's function returned something that is not the expected arrays."""


@dataclass
class Case:
    words: str                         # the geometry, in words
    size: int                          # for "smallest failing case"
    args: tuple                        # positional arguments for the learner (copied per call)
    kwargs: dict
    right: dict                        # component -> expected array
    wrong: dict = field(default_factory=dict)    # (id, variant) -> {component: array}
    alt_right: list = field(default_factory=list)   # other accepted {component: array}
    tags: frozenset = frozenset()


def tolerance(dtype) -> float:
    """Relative tolerance for comparing arrays of ``dtype`` (scaled by the magnitudes)."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        return 1e-6
    return {2: 1e-2, 4: 1e-4}.get(dt.itemsize, 1e-6)


def close(got: np.ndarray, want: np.ndarray) -> bool:
    """Same shape and equal within a tolerance scaled to ``got``'s dtype and ``want``'s size."""
    want = np.asarray(want)
    if got.shape != want.shape:
        return False
    if got.size == 0:
        return True
    if np.all(np.isnan(want)):       # stands for "overflowed": any NaN or inf matches
        return not bool(np.all(np.isfinite(got)))
    tol = tolerance(got.dtype)
    scale = max(1.0, float(np.max(np.abs(want))))
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.allclose(got.astype(np.float64), want, rtol=tol, atol=tol * scale))


def as_float_array(value, what: str) -> np.ndarray:
    """The learner's output as a real float array, or :class:`OutputError` saying why not."""
    if value is None:
        raise OutputError(f"{what} is None (a missing `return`?)")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # noqa: BLE001  (anything the learner returned)
        raise OutputError(f"{what} is a {type(value).__name__} that NumPy cannot convert "
                          f"({exc})") from None
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise OutputError(f"{what} must be a real numeric array, got "
                          f"{type(value).__name__} of dtype {arr.dtype}")
    return arr if arr.dtype.kind == "f" else arr.astype(np.float64)


def unpack_tuple(out, names: tuple, fn_name: str) -> dict:
    """``out`` must be a sequence of ``len(names)`` arrays; return ``{name: array}``."""
    if len(names) == 1:
        return {names[0]: as_float_array(out, f"the value returned by {fn_name}")}
    want = f"a tuple ({', '.join(names)})"
    if out is None:
        raise OutputError(f"{fn_name} returned None; it must return {want} (a missing "
                          f"`return`?)")
    if isinstance(out, np.ndarray) or not isinstance(out, (tuple, list)):
        raise OutputError(f"{fn_name} returned a {type(out).__name__}; it must return {want}")
    if len(out) != len(names):
        raise OutputError(f"{fn_name} returned {len(out)} values; it must return {want}")
    return {n: as_float_array(v, n) for n, v in zip(names, out)}


def copy_args(values):
    return tuple(v.copy() if isinstance(v, np.ndarray) else v for v in values)


def fn_name(fn) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def accepts(fn, name: str) -> bool:
    """Whether ``fn`` has a parameter called ``name`` (``**kwargs`` does not count)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    p = params.get(name)
    return p is not None and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)


def require_callable(checker: str, fn) -> None:
    if not callable(fn):
        raise TypeError(f"{checker}: fn must be a function, got {type(fn).__name__} {fn!r}")


def _crash_text(exc: BaseException) -> str:
    """``TypeError: ...`` plus the learner's line that raised, without a traceback."""
    text = f"{type(exc).__name__}: {exc}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "numpy" not in f.filename.replace("\\", "/").split("/")
              and not f.filename.replace("\\", "/").endswith(
                  tuple(f"exercises/{m}.py" for m in ("_engine", "conv", "pool", "pieces",
                                                      "network")))]
    if frames and frames[-1].line:
        text += f"\n    in {frames[-1].name}(): {frames[-1].line.strip()}"
    return text


def _describe_mismatch(name: str, got: np.ndarray, want: np.ndarray) -> str:
    if got.shape != want.shape:
        return f"{name}: shape {got.shape}, expected {want.shape}"
    if not np.all(np.isfinite(got)):
        bad = int(np.sum(~np.isfinite(got)))
        return f"{name}: {bad} entries are NaN or infinite"
    err = np.abs(got.astype(np.float64) - want)
    idx = np.unravel_index(int(np.argmax(err)), err.shape)
    return (f"{name}: wrong values, largest error {err[idx]:.3g} at index {tuple(map(int, idx))}"
            f" (expected {float(want[idx]):.4g}, got {float(got[idx]):.4g})")


def _wrap(lines, width: int = 74) -> str:
    """Join report lines, each wrapped to ``width`` with its continuation indented."""
    out = []
    for line in lines:
        for part in line.split("\n"):
            lead = part[:len(part) - len(part.lstrip())]
            out.append(textwrap.fill(part, width, subsequent_indent=lead + "  ",
                                     break_long_words=False, break_on_hyphens=False))
    return "\n".join(out)


def _where(label: str) -> str:
    return f"chapter `{label}` ({CHAPTERS[label]})"


def documented(checker):
    """Complete the docstring of a ``check_*`` function: ``raise_on_fail`` and Returns.

    Every checker takes ``raise_on_fail`` and returns a :class:`CheckResult` whose
    ``.mistake`` is one of the ids :data:`CATALOGUE` lists for it. Both are written
    here once and appended to the ``Parameters`` section of the checker's docstring,
    with the ids and the chapters that derive the right rules taken from the
    catalogue, so that the documentation names exactly the mistakes the checker
    recognises.
    """
    lines = inspect.cleandoc(checker.__doc__).split("\n")
    start = lines.index("Parameters")
    end = next((i for i in range(start + 2, len(lines) - 1)
                if lines[i + 1] and set(lines[i + 1]) == {"-"}), len(lines))
    catalogue = CATALOGUE[checker.__name__]
    ids = [f"``{m}``" for m in catalogue]
    labels = [f":ref:`{m.label}`" for m in catalogue.values()]
    labels = sorted(set(labels), key=labels.index)
    chapters = " and ".join(filter(None, [", ".join(labels[:-1]), labels[-1]]))
    mistakes = textwrap.fill(f"``.mistake`` is one of {', '.join(ids)}, or ``None``; the "
                             f"right rules are derived in {chapters}. ``.passed``, "
                             f"``.case`` and ``.message`` as in "
                             f":class:`~convbp.exercises.CheckResult`.", 84,
                             initial_indent="    ", subsequent_indent="    ",
                             break_on_hyphens=False, break_long_words=False)
    added = ["raise_on_fail : bool",
             "    Raise ``AssertionError`` with the report instead of returning a failed "
             "result.", "", "Returns", "-------", "CheckResult", mistakes]
    while lines[end - 1] == "":
        end -= 1
    checker.__doc__ = "\n".join(lines[:end] + added + lines[end:])
    return checker


class _Captured(Exception):
    """Raised by :func:`run` inside :func:`capture_cases`: carries the prepared cases."""

    def __init__(self, cases, names):
        super().__init__("cases captured")
        self.cases, self.names = cases, names


_CAPTURING = []


def capture_cases(check, fn, **kwargs):
    """The cases (sorted, smallest first) and output names that ``check(fn, **kwargs)`` uses."""
    _CAPTURING.append(True)
    try:
        check(fn, **kwargs)
    except _Captured as got:
        return got.cases, got.names
    finally:
        _CAPTURING.pop()
    raise RuntimeError(f"capture_cases: {check!r} did not reach the comparison")


def run(checker: str, fn, cases: list, call, names: tuple, *, covered: str,
        raise_on_fail: bool = False, leftover_id: str | None = None) -> CheckResult:
    """Call ``call(fn, case)`` on every case, compare, diagnose; return a CheckResult.

    Every checker ends here: ``fn`` must be callable (``TypeError`` naming the checker);
    ``call`` returns the learner's outputs as ``{component: array}`` or raises
    :class:`OutputError`; any other exception is the learner's own and is reported.
    """
    require_callable(checker, fn)
    catalogue = CATALOGUE[checker]
    cases = sorted(cases, key=lambda c: c.size)
    if _CAPTURING:
        raise _Captured(cases, names)
    outs = []
    for case in cases:
        try:
            # the learner's overflow or division warnings would only clutter the
            # report (NaN and inf results are reported as such)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outs.append(call(fn, case))
        except OutputError as exc:
            outs.append(exc)
        except Exception as exc:  # noqa: BLE001  (the learner's code failed)
            outs.append(exc)

    def ok(out, case) -> bool:
        if isinstance(out, BaseException):
            return False
        return all(any(close(out[k], ref[k]) for ref in (case.right, *case.alt_right))
                   for k in names)

    good = [ok(o, c) for o, c in zip(outs, cases)]
    if all(good):
        return CheckResult(checker, True, None, None, _wrap(
            [f"{checker}: passed, all {len(cases)} cases right ({covered})."]))

    first = good.index(False)
    case, out = cases[first], outs[first]
    n_fail = good.count(False)
    head = [f"{checker}: FAILED on {n_fail} of {len(cases)} cases.",
            f"Smallest failing case: {case.words}"]
    mistake, found = None, ()
    crashes = [i for i, o in enumerate(outs) if isinstance(o, Exception)
               and not isinstance(o, OutputError)]
    bad_out = [i for i, o in enumerate(outs) if isinstance(o, OutputError)]

    if crashes or bad_out:
        if isinstance(out, OutputError):
            head.append(f"  {out}")
        elif isinstance(out, Exception):
            head.append(f"  {fn_name(fn)} raised {_crash_text(out)}")
        else:
            head += [f"  {_describe_mismatch(k, out[k], case.right[k])}" for k in names
                     if not close(out[k], case.right[k])]
        if (leftover_id and not bad_out and all("leftover" in cases[i].tags for i in crashes)
                and all(is_good or i in crashes for i, is_good in enumerate(good))):
            mistake, found = leftover_id, (leftover_id,)
            head.append("  It fails exactly on the cases with leftover rows and is right "
                        "on all the others.")
    else:
        explained, unexplained = [], []
        whole = [key for key in cases[0].wrong
                 if all(all(k in c.wrong.get(key, {}) and close(o[k], c.wrong[key][k])
                            for k in names) for o, c in zip(outs, cases))]
        for k in ([] if whole else names):
            comp_ok = all(any(close(o[k], ref[k]) for ref in (c.right, *c.alt_right))
                          for o, c in zip(outs, cases))
            if comp_ok:
                continue
            hit = None
            for key in cases[0].wrong:
                if all(k in c.wrong.get(key, {}) and close(o[k], c.wrong[key][k])
                       for o, c in zip(outs, cases)):
                    hit = key[0]
                    break
            (explained if hit else unexplained).append((k, hit))
        for k in names:
            if not close(out[k], case.right[k]):
                head.append(f"  {_describe_mismatch(k, out[k], case.right[k])}")
        right_names = [k for k in names if close(out[k], case.right[k])]
        if right_names and len(names) > 1:
            head.append(f"  right: {', '.join(right_names)}")
        if whole:                          # one generated mistake explains everything
            mistake, found = whole[0][0], (whole[0][0],)
        elif explained and not unexplained:
            order = list(catalogue)
            found = tuple(sorted({h for _, h in explained}, key=order.index))
            mistake = found[0]
        elif explained:
            head.append("  (" + "; ".join(f"{k} matches `{h}` on every case" for k, h in explained)
                        + ", but " + ", ".join(k for k, _ in unexplained)
                        + " is wrong in another way)")
    label = None
    if mistake:
        for mid in found:
            m = catalogue[mid]
            head.append(f"Mistake: {mid} -- {m.explanation}.")
            head.append(f"  The right rule is derived in {_where(m.label)}.")
        label = catalogue[mistake].label
    elif crashes or bad_out:
        head.append("Mistake: not diagnosed (the function must run and return arrays of the "
                    "right shapes before its values can be compared).")
    else:
        head.append("Mistake: none of the recognised ones ("
                    + ", ".join(catalogue) + ").")
    msg = _wrap(head)
    res = CheckResult(checker, False, mistake, case.words, msg, found, label)
    if raise_on_fail:
        raise AssertionError(msg)
    return res
