"""Checks and normalisation of every public argument, and the error messages.

Every public entry point (convolution, its backward pass and transpose, pooling, the
loop reference, the as-convolutions recipe, :mod:`convbp.symbolic`) converts and checks
its arguments here, before any NumPy work starts. Each check raises a ``TypeError`` or
``ValueError`` whose message names the operation, the parameter and the offending
value, e.g. ``conv: stride must be a positive int per spatial dim, got (2, 0)``.

The integer geometry these arguments describe lives in :mod:`convbp.geometry`, which
calls the scalar checks below; the array checks at the end call the geometry.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "as_array",
    "as_padding",
    "as_tuple",
    "check_backward",
    "check_batched",
    "check_bias",
    "check_conv_operands",
    "check_fits",
    "check_groups",
    "check_norm_type",
    "check_pool",
    "check_pool_dy",
    "check_shape",
    "float_dtype",
    "fmt",
    "is_int",
]


# --------------------------------------------------------------------------- scalars

def is_int(v) -> bool:
    """An int (NumPy ints included), not a bool."""
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def fmt(value) -> str:
    """``value`` for an error message: NumPy ints shown as plain ints, lists as tuples."""
    if isinstance(value, (list, tuple)):
        return repr(tuple(_fmt_plain(v) for v in value))
    return repr(_fmt_plain(value))


def _fmt_plain(v):
    if isinstance(v, (list, tuple)):
        return tuple(_fmt_plain(u) for u in v)
    if is_int(v):
        return int(v)
    return v


def as_tuple(value, ndim: int, op: str, name: str, *, minimum: int = 1) -> tuple[int, ...]:
    """Normalise an int-or-sequence parameter to one int per spatial dimension.

    Parameters
    ----------
    value : int or sequence of int
        One int for every spatial dimension, or a sequence of ``ndim`` ints.
    ndim : int
        Number of spatial dimensions.
    op, name : str
        Operation and parameter name, used in the error message.
    minimum : int
        Smallest allowed value (1 for stride and dilation, 0 for output padding).

    Returns
    -------
    tuple of int, length ``ndim``

    Raises
    ------
    TypeError, ValueError
        With a message naming ``op``, ``name`` and the value.

    Examples
    --------
    >>> as_tuple(2, 2, "conv", "stride")
    (2, 2)
    >>> as_tuple((1, 3), 2, "conv", "dilation")
    (1, 3)
    """
    kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
    want = f"{kind} or a tuple of {ndim} such ints"
    if is_int(value):
        items = (int(value),) * ndim
    elif isinstance(value, (tuple, list)):
        if len(value) != ndim:
            raise ValueError(
                f"{op}: {name} must be {want} (one per spatial dim), got {fmt(value)} "
                f"of length {len(value)}"
            )
        if not all(is_int(v) for v in value):
            raise TypeError(f"{op}: {name} must be {want}, got {fmt(value)}")
        items = tuple(int(v) for v in value)
    else:
        raise TypeError(f"{op}: {name} must be {want}, got {value!r}")
    if any(v < minimum for v in items):
        raise ValueError(f"{op}: {name} must be {want}, got {fmt(value)}")
    return items


def as_padding(padding, ndim: int, op: str, name: str = "padding") -> tuple[tuple[int, int], ...]:
    """Normalise padding to one ``(lo, hi)`` pair per spatial dimension.

    Parameters
    ----------
    padding : int, sequence of int, or sequence of (int, int)
        The same padding on both sides of every dimension; one int per dimension
        (symmetric); or one ``(lo, hi)`` pair per dimension (asymmetric).
    ndim : int
        Number of spatial dimensions.
    op, name : str
        Operation and parameter name, used in the error message.

    Returns
    -------
    tuple of (int, int), length ``ndim``

    Examples
    --------
    >>> as_padding(1, 2, "conv")
    ((1, 1), (1, 1))
    >>> as_padding(((0, 1), (2, 0)), 2, "conv")
    ((0, 1), (2, 0))
    """
    want = (
        f"a non-negative int, a tuple of {ndim} non-negative ints, "
        f"or a tuple of {ndim} (lo, hi) pairs"
    )
    if is_int(padding):
        pairs = ((int(padding), int(padding)),) * ndim
    elif isinstance(padding, (tuple, list)):
        if len(padding) != ndim:
            raise ValueError(
                f"{op}: {name} must be {want}, got {fmt(padding)} of length {len(padding)}"
            )
        pairs = []
        for p in padding:
            if is_int(p):
                pairs.append((int(p), int(p)))
            elif isinstance(p, (tuple, list)) and len(p) == 2 and all(is_int(v) for v in p):
                pairs.append((int(p[0]), int(p[1])))
            else:
                raise TypeError(f"{op}: {name} must be {want}, got {fmt(padding)}")
        pairs = tuple(pairs)
    else:
        raise TypeError(f"{op}: {name} must be {want}, got {padding!r}")
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"{op}: {name} must be {want}, got {fmt(padding)}")
    return pairs


def check_fits(op: str, in_size, kernel_size, padding, dilation, what="kernel"):
    """Require the dilated kernel (or pooling window) to fit in the padded input."""
    for i, (n, k, (lo, hi), d) in enumerate(zip(in_size, kernel_size, padding, dilation)):
        ext = d * (k - 1) + 1
        if ext > n + lo + hi:
            dil = f" with dilation {d}" if d != 1 else ""
            raise ValueError(
                f"{op}: {what} of size {k}{dil} spans {ext} rows, larger than the padded "
                f"input ({n} + {lo} + {hi} = {n + lo + hi}) in spatial dim {i}"
            )


# --------------------------------------------------------------------------- arrays

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
    """``groups`` as an int, or an error naming ``op``."""
    if not is_int(groups):
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


# --------------------------------------------------------------------------- whole calls

def check_backward(op: str, dy, x, w, stride, padding, dilation, groups):
    """Validate the arguments of a convolution backward pass.

    Shared by :func:`convbp.conv_backward`, :func:`convbp.conv_backward_as_convolutions`
    and :func:`convbp.reference.conv_backward`.

    Returns
    -------
    x, w, dy : ndarray
        ``dy`` checked to have the shape ``(N, C_out, *out)`` of the forward output.
    geom : ConvGeometry
    groups : int
    """
    from .geometry import conv_geometry   # geometry imports this module's scalar checks

    x, w, groups = check_conv_operands(op, x, w, groups)
    geom = conv_geometry(op, x.shape[2:], w.shape[2:], stride, padding, dilation)
    expected = (x.shape[0], w.shape[0], *geom.out_size)
    dy = check_shape(op, "dy", dy, expected, "the output of conv for these arguments")
    return x, w, dy, geom, groups


def check_norm_type(op: str, norm_type) -> float:
    """Return ``norm_type`` as a float ``p``; it must be a positive real number or ``inf``.

    Raises ``TypeError`` (not a real number, or a bool) or ``ValueError`` (zero,
    negative, NaN, ``-inf``) with a message naming ``op`` and the value.

    Examples
    --------
    >>> check_norm_type("lp_pool", 2)
    2.0
    """
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real):
        raise TypeError(f"{op}: norm_type must be a positive real number or inf, "
                        f"got {norm_type!r}")
    p = float(norm_type)
    if math.isnan(p) or p <= 0:
        raise ValueError(f"{op}: norm_type must be a positive real number or inf, "
                         f"got {norm_type!r}")
    return p


def check_pool(op: str, x, kernel_size, stride, padding):
    """Validate the input and the window arguments of a pooling; return ``x, geom``."""
    from .geometry import pool_geometry

    x = check_batched(op, x)
    return x, pool_geometry(op, x.shape[2:], kernel_size, stride, padding)


def check_pool_dy(op: str, fwd: str, dy, x: np.ndarray, geom) -> np.ndarray:
    """Require ``dy`` to have the shape of the output of the pooling ``fwd``."""
    expected = tuple(x.shape[:2]) + tuple(geom.out_size)
    return check_shape(op, "dy", dy, expected, f"the output of {fwd} for these arguments")
