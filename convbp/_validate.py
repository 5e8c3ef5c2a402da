"""Checks of array operands shared by every public function.

Each check raises a ``TypeError`` or ``ValueError`` whose message names the operation,
the parameter and the offending value, before any NumPy work starts.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_array(a, op: str, name: str) -> np.ndarray:
    """Return ``a`` as a real numeric ndarray (bool and int stay as they are for now)."""
    if isinstance(a, np.ndarray):
        arr = a
    else:
        try:
            arr = np.asarray(a)
        except (ValueError, TypeError) as exc:  # ragged nested lists, ...
            raise TypeError(f"{op}: {name} must be a numeric array, got {type(a).__name__} "
                            f"that NumPy cannot convert ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{op}: {name} must be a real numeric array, got dtype {arr.dtype}"
            + (f" ({type(a).__name__})" if not isinstance(a, np.ndarray) else "")
        )
    return arr


def float_dtype(*arrays: np.ndarray) -> np.dtype:
    """Common floating dtype of the non-None ``arrays``.

    float32 stays float32; as soon as one operand is an integer or bool array the
    result is float64 (NumPy's rule, unlike PyTorch, which keeps float32 when an
    integer tensor meets a float32 one); float16 computes in float32.
    """
    kinds = [a.dtype for a in arrays if a is not None]
    floats = [dt for dt in kinds if dt.kind == "f"]
    if len(floats) < len(kinds):
        floats.append(np.dtype(np.float64))
    dt = np.result_type(*floats)
    if dt.itemsize < 4:  # float16 arithmetic is not worth supporting: compute in float32
        dt = np.dtype(np.float32)
    return dt


def check_batched(op: str, x, layout: str = "(N, C, *spatial)") -> np.ndarray:
    """Convert ``x`` and require a batch axis, a channel axis and at least one spatial axis."""
    x = as_array(x, op, "x")
    if x.ndim < 3:
        raise ValueError(
            f"{op}: x must have shape {layout} with at least one spatial dim, got shape {x.shape}"
        )
    return x


def check_bias(op: str, b, channels: int):
    """``None``, or ``b`` converted and checked to have shape ``(channels,)``."""
    if b is None:
        return None
    return check_shape(op, "b", b, (channels,), "one bias per output channel")


def check_groups(op: str, groups) -> int:
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool):
        raise TypeError(f"{op}: groups must be a positive int, got {groups!r}")
    if groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    return int(groups)


def check_conv_operands(op: str, x, w, groups, *, transposed: bool = False):
    """Validate ``x`` and ``w`` of a (transposed) convolution.

    For ``conv``: ``x`` is ``(N, C_in, *spatial)``, ``w`` is ``(C_out, C_in // groups, *kernel)``.
    For ``conv_transpose``: ``x`` is ``(N, C_in, *spatial)``, ``w`` is
    ``(C_in, C_out // groups, *kernel)``.

    Returns
    -------
    x, w : ndarray
    groups : int
    """
    x = check_batched(op, x, "(N, C_in, *spatial)")
    w = as_array(w, op, "w")
    groups = check_groups(op, groups)
    if w.ndim != x.ndim:
        layout = "(C_in, C_out // groups, *kernel)" if transposed else "(C_out, C_in // groups, *kernel)"
        raise ValueError(
            f"{op}: w must have shape {layout} with as many spatial dims as x "
            f"({x.ndim - 2}), got w of shape {w.shape} for x of shape {x.shape}"
        )
    if any(n == 0 for n in x.shape[1:]) or any(n == 0 for n in w.shape):
        raise ValueError(f"{op}: empty dimensions are not supported, got x {x.shape}, w {w.shape}")
    c_in = x.shape[1]
    if c_in % groups:
        raise ValueError(f"{op}: groups={groups} must divide the input channels C_in={c_in}")
    if transposed:
        if w.shape[0] != c_in:
            raise ValueError(
                f"{op}: w must have shape (C_in, C_out // groups, *kernel) with C_in={c_in} "
                f"(the channels of x), got w of shape {w.shape}"
            )
    else:
        c_out = w.shape[0]
        if c_out % groups:
            raise ValueError(
                f"{op}: groups={groups} must divide the output channels C_out={c_out} "
                f"(w.shape[0])"
            )
        if w.shape[1] * groups != c_in:
            raise ValueError(
                f"{op}: w.shape[1] must be C_in // groups = {c_in} // {groups} = "
                f"{c_in // groups}, got w of shape {w.shape} for x of shape {x.shape}"
            )
    return x, w, groups


def check_shape(op: str, name: str, a, expected: tuple, what: str) -> np.ndarray:
    """Convert ``a`` and require ``a.shape == expected``."""
    a = as_array(a, op, name)
    if a.shape != tuple(expected):
        raise ValueError(f"{op}: {name} must have shape {tuple(expected)} ({what}), got {a.shape}")
    return a
