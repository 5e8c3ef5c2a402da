r"""Integer geometry of strided, padded, dilated convolution and pooling.

Every output size, leftover remainder and padding of the backward convolutions in
``convbp`` is computed in this module and nowhere else; the array code asks for a
:class:`ConvGeometry` and reads its fields.

Index form, one spatial dimension (:ref:`backward-strided`
derives it; every spatial dimension behaves the same way, independently).
Input length ``n``, kernel length ``k``, stride ``s``, dilation ``d``, padding
``(p_lo, p_hi)``::

    forward     y[o] = sum_m  w[m] * x[s*o + d*m - p_lo],          0 <= o < O
    size        O    = floor((n + p_lo + p_hi - d*(k-1) - 1) / s) + 1
    remainder   r    = (n + p_lo + p_hi - d*(k-1) - 1) mod s
                       (the last r padded rows are never read: their gradient is 0)

    input grad  dx[a] = sum_{o,m : s*o + d*m - p_lo = a}  dy[o] * w[m]
                      = corr(pad(dilate(dy, s), (d*(k-1) - p_lo, d*(k-1) - p_hi + r)),
                             flip(w), dilation=d)[a]
    weight grad dw[m] = sum_o dy[o] * x[s*o + d*m - p_lo]
                      = corr(crop_hi(pad(x, (p_lo, p_hi)), r), dilate(dy, s), stride=d)[m]

A negative entry in :attr:`ConvGeometry.dx_padding` means "crop that many entries"
(it happens when the forward padding exceeds the dilated kernel extent minus one).

For a transposed convolution the same geometry is used with the roles swapped: its
input has the size of the convolution's output, and ``output_padding`` plays the role
of ``r`` (it picks which of the several input sizes that map to the same output size
is meant).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import NamedTuple

from ._checks import as_padding, as_tuple, check_fits, fmt, is_int

__all__ = [
    "ConvGeometry",
    "as_tuple",
    "as_padding",
    "conv_output_size",
    "conv_geometry",
    "conv_transpose_geometry",
    "InputPhases",
    "Phase",
    "input_phases",
    "padding_mode",
    "pool_geometry",
    "same_padding",
]


def conv_output_size(n: int, k: int, stride: int = 1, padding: tuple[int, int] = (0, 0),
                     dilation: int = 1) -> int:
    """Output length of a convolution along one dimension.

    ``floor((n + p_lo + p_hi - d*(k-1) - 1) / s) + 1``; may be ``<= 0`` when the kernel
    does not fit (callers validate through :func:`conv_geometry`).

    Examples
    --------
    >>> conv_output_size(7, 3, stride=2)
    3
    >>> conv_output_size(8, 3, stride=2)   # one leftover row
    3
    """
    lo, hi = padding
    return (n + lo + hi - dilation * (k - 1) - 1) // stride + 1


@dataclass(frozen=True)
class ConvGeometry:
    """The integer geometry of one convolution, per spatial dimension.

    All fields are tuples with one entry per spatial dimension.

    Attributes
    ----------
    in_size : tuple of int
        Spatial size ``n`` of the convolution's input ``x``.
    kernel_size : tuple of int
        Spatial size ``k`` of the kernel ``w``.
    stride, dilation : tuple of int
    padding : tuple of (int, int)
        ``(p_lo, p_hi)`` zero padding of the input.
    out_size : tuple of int
        Spatial size ``O`` of the output ``y``.
    """

    in_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    out_size: tuple[int, ...]

    @property
    def ndim(self) -> int:
        """Number of spatial dimensions."""
        return len(self.in_size)

    @property
    def padded_size(self) -> tuple[int, ...]:
        """``n + p_lo + p_hi``: the length of the zero-padded input."""
        return tuple(n + lo + hi for n, (lo, hi) in zip(self.in_size, self.padding))

    @property
    def extent(self) -> tuple[int, ...]:
        """``d*(k-1) + 1``: how many input rows one dilated kernel window spans."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))

    @property
    def remainder(self) -> tuple[int, ...]:
        """Padded rows at the high end that no window reads (their gradient is 0).

        ``r = n + p_lo + p_hi - d*(k-1) - 1 - s*(O-1)``; for a convolution this is
        ``(n + p_lo + p_hi - d*(k-1) - 1) mod s``; for a transposed convolution it is
        its ``output_padding``, which may exceed ``s - 1`` (see
        :func:`conv_transpose_geometry`).
        """
        return tuple(
            P - e - s * (O - 1)
            for P, e, s, O in zip(self.padded_size, self.extent, self.stride, self.out_size)
        )

    @property
    def dilated_out_size(self) -> tuple[int, ...]:
        """``s*(O-1) + 1``: the length of ``dy`` after inserting ``s-1`` zeros between entries."""
        return tuple(s * (O - 1) + 1 for s, O in zip(self.stride, self.out_size))

    @property
    def dx_padding(self) -> tuple[tuple[int, int], ...]:
        """Padding of the dilated ``dy`` for the input-gradient convolution.

        ``(d*(k-1) - p_lo, d*(k-1) - p_hi + r)``; a negative entry means cropping.
        """
        return tuple(
            (e - 1 - lo, e - 1 - hi + r)
            for e, (lo, hi), r in zip(self.extent, self.padding, self.remainder)
        )

    @property
    def dw_padding(self) -> tuple[tuple[int, int], ...]:
        """Padding of ``x`` for the weight-gradient convolution: ``(p_lo, p_hi - r)``.

        The forward padding, less the ``r`` leftover rows at the high end that no
        window reads; a negative entry means cropping real input rows (when
        ``r > p_hi``). See :func:`convbp.padding.pad_or_crop`.
        """
        return tuple((lo, hi - r) for (lo, hi), r in zip(self.padding, self.remainder))

    @property
    def unread_tail(self) -> tuple[int, ...]:
        """Real input rows at the high end that no window reads, ``min(n, max(0, r - p_hi))``.

        Their gradient is exactly zero. The other ``min(r, p_hi)`` leftover rows are
        padding.
        """
        return tuple(min(n, max(0, r - hi))
                     for n, (_lo, hi), r in zip(self.in_size, self.padding, self.remainder))

    def window(self, tap: tuple[int, ...]) -> tuple[slice, ...]:
        """Slices of the padded input read by kernel tap ``tap`` at every output position.

        Along each dimension: ``d*m, d*m + s, ..., d*m + s*(O-1)``.
        """
        return tuple(
            slice(d * m, d * m + s * (O - 1) + 1, s)
            for m, d, s, O in zip(tap, self.dilation, self.stride, self.out_size)
        )

    def unpadded(self) -> tuple[slice, ...]:
        """Slices that cut the original input out of the padded one."""
        return tuple(slice(lo, lo + n) for n, (lo, _hi) in zip(self.in_size, self.padding))


def conv_geometry(op: str, in_size, kernel_size, stride=1, padding=0, dilation=1) -> ConvGeometry:
    """Validate the arguments of a convolution and return its geometry.

    Parameters
    ----------
    op : str
        Name of the calling operation (used in error messages).
    in_size, kernel_size : sequence of int
        Spatial sizes of ``x`` and ``w``.
    stride, padding, dilation
        As accepted by :func:`convbp.conv`.

    Returns
    -------
    ConvGeometry
        The normalised arguments and every size derived from them, per spatial dim.

    Examples
    --------
    >>> geom = conv_geometry("conv", (8, 8), (3, 3), stride=2)
    >>> geom.out_size, geom.remainder, geom.dx_padding
    ((3, 3), (1, 1), ((2, 3), (2, 3)))
    """
    key = (op, in_size, kernel_size, stride, padding, dilation)
    key = key if _plain(key) else None
    if key is not None:
        geom = _GEOMETRIES.get(key)
        if geom is not None:
            return geom
    geom = _conv_geometry(op, in_size, kernel_size, stride, padding, dilation)
    if key is not None:
        if len(_GEOMETRIES) >= 512:          # a bounded memo: start afresh
            _GEOMETRIES.clear()
        _GEOMETRIES[key] = geom
    return geom


# conv_geometry of arguments already seen (small layers call it several times a step;
# validating costs 20 us). Keyed only by plain ints, strings and tuples of them:
# True == 1, yet stride=True must still be refused.
_GEOMETRIES: dict = {}


def _plain(v) -> bool:
    """Does ``v`` hold only ints (not bools), strings and tuples of them? Anything else
    (lists, bools, NumPy integers) is left uncached, so that its validation runs every
    time."""
    t = type(v)
    return t is int or t is str or (t is tuple and all(_plain(u) for u in v))


def _conv_geometry(op, in_size, kernel_size, stride, padding, dilation) -> ConvGeometry:
    in_size = tuple(int(n) for n in in_size)
    kernel_size = tuple(int(k) for k in kernel_size)
    nd = len(in_size)
    stride = as_tuple(stride, nd, op, "stride")
    dilation = as_tuple(dilation, nd, op, "dilation")
    if isinstance(padding, str):
        padding = padding_mode(op, padding, in_size, kernel_size, stride, dilation)
    padding = as_padding(padding, nd, op)
    check_fits(op, in_size, kernel_size, padding, dilation)
    out = tuple(
        conv_output_size(n, k, s, p, d)
        for n, k, s, p, d in zip(in_size, kernel_size, stride, padding, dilation)
    )
    return ConvGeometry(in_size, kernel_size, stride, padding, dilation, out)


def padding_mode(op: str, mode: str, in_size, kernel_size, stride, dilation
                 ) -> tuple[tuple[int, int], ...]:
    """The ``(p_lo, p_hi)`` pairs of ``padding="valid"`` or ``padding="same"`` (PyTorch's rules).

    ``"valid"`` is no padding. ``"same"`` keeps the output as long as the input, which
    at stride 1 needs a total padding of ``d*(k-1)`` per dimension; when that is odd,
    the extra row goes at the high end: ``(t // 2, t - t // 2)``, as PyTorch places it
    (:ref:`forward-arithmetic`). Like PyTorch, ``"same"`` is refused at stride > 1:
    there "same" can only mean ``ceil(n / s)`` outputs, TensorFlow's ``"SAME"``, whose
    pairs :func:`same_padding` returns. Upper case is accepted (``"SAME"`` and
    ``"VALID"`` agree with PyTorch's modes wherever those are defined).

    Parameters
    ----------
    op : str
        Name of the calling operation (used in error messages).
    mode : str
        ``"same"`` or ``"valid"``, in any case.
    in_size, kernel_size, stride, dilation : tuple of int
        One entry per spatial dimension.

    Returns
    -------
    tuple of (int, int)
        One ``(p_lo, p_hi)`` pair per spatial dimension.

    Raises
    ------
    ValueError
        For another string, or ``"same"`` with a stride > 1 (the message gives the
        pairs of :func:`same_padding` for these sizes).

    Examples
    --------
    >>> padding_mode("conv", "same", (8, 8), (3, 4), (1, 1), (1, 1))
    ((1, 1), (1, 2))
    >>> padding_mode("conv", "valid", (8,), (3,), (2,), (1,))
    ((0, 0),)
    """
    kind = mode.lower()
    if kind == "valid":
        return ((0, 0),) * len(in_size)
    if kind != "same":
        raise ValueError(f"{op}: padding must be 'same', 'valid', an int, a tuple of ints or "
                         f"a tuple of (lo, hi) pairs, got {mode!r}")
    if any(s != 1 for s in stride):
        tf = tuple(same_padding(n, k, s, d)
                   for n, k, s, d in zip(in_size, kernel_size, stride, dilation))
        raise ValueError(
            f"{op}: padding={mode!r} needs stride 1 in every spatial dim (PyTorch's rule), "
            f"got stride {fmt(stride)}; for TensorFlow's 'SAME' at any stride, pass "
            f"padding=[convbp.geometry.same_padding(n, k, s, d) for each dim], here "
            f"padding={tf}")
    total = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
    return tuple((t // 2, t - t // 2) for t in total)


def conv_transpose_geometry(op: str, in_size, kernel_size, stride=1, padding=0,
                            output_padding=0, dilation=1) -> ConvGeometry:
    """Geometry of a transposed convolution, expressed as the convolution it transposes.

    The transposed convolution maps an array of spatial size ``in_size`` (the
    convolution's *output* size ``O``) to one of size
    ``(O-1)*s - p_lo - p_hi + d*(k-1) + output_padding + 1`` (the convolution's *input*
    size). The returned geometry describes that convolution: its ``in_size`` is the
    transposed convolution's output size and its ``out_size`` is ``in_size`` here.

    ``output_padding`` must be smaller than the stride or the dilation (as in PyTorch).
    When it is smaller than the stride, the returned geometry is exactly that of the
    convolution of size ``in_size`` (its ``remainder`` is the output padding). When it
    is at least the stride (allowed because it is smaller than the dilation), a
    convolution of that size would have more outputs than ``out_size``: the transposed
    convolution is then the adjoint of the convolution *restricted to its first*
    ``out_size`` *outputs*, and the last ``output_padding`` rows receive nothing.

    Examples
    --------
    >>> geom = conv_transpose_geometry("conv_transpose", (3,), (3,), stride=2,
    ...                                output_padding=1)
    >>> geom.in_size, geom.out_size, geom.remainder
    ((8,), (3,), (1,))
    """
    in_size = tuple(int(n) for n in in_size)
    kernel_size = tuple(int(k) for k in kernel_size)
    nd = len(in_size)
    stride = as_tuple(stride, nd, op, "stride")
    dilation = as_tuple(dilation, nd, op, "dilation")
    padding = as_padding(padding, nd, op)
    output_padding = as_tuple(output_padding, nd, op, "output_padding", minimum=0)
    for i, (op_, s, d) in enumerate(zip(output_padding, stride, dilation)):
        if op_ >= s and op_ >= d:
            raise ValueError(
                f"{op}: output_padding must be smaller than the stride or the dilation, "
                f"got output_padding {op_} with stride {s} and dilation {d} in spatial dim {i}"
            )
    full = tuple(
        (O - 1) * s - lo - hi + d * (k - 1) + op_ + 1
        for O, k, s, (lo, hi), d, op_ in zip(in_size, kernel_size, stride, padding, dilation,
                                             output_padding)
    )
    for i, (n, (lo, hi)) in enumerate(zip(full, padding)):
        if n < 1:
            raise ValueError(
                f"{op}: padding {fmt(padding[i])} removes the whole output in spatial dim {i} "
                f"(output size would be {n})"
            )
    return ConvGeometry(full, kernel_size, stride, padding, dilation, in_size)


def pool_geometry(op: str, in_size, kernel_size, stride=None, padding=0) -> ConvGeometry:
    """Validate the arguments of a pooling operation and return its geometry.

    Pooling windows follow the same arithmetic as a convolution with dilation 1;
    ``stride`` defaults to ``kernel_size``. The padding must be at most half the window
    on each side (as in PyTorch), so every window holds at least one real input value.

    Parameters
    ----------
    op : str
        Name of the calling operation (used in error messages).
    in_size : sequence of int
        Spatial size of the input.
    kernel_size, stride, padding
        As accepted by :func:`convbp.max_pool`.

    Returns
    -------
    ConvGeometry
        The geometry of the windows as a convolution's: dilation 1, ``stride`` the
        kernel size unless given.

    Examples
    --------
    >>> geom = pool_geometry("max_pool", (5, 5), 2)
    >>> geom.out_size, geom.remainder
    ((2, 2), (1, 1))
    """
    in_size = tuple(int(n) for n in in_size)
    nd = len(in_size)
    kernel_size = as_tuple(kernel_size, nd, op, "kernel_size")
    stride = kernel_size if stride is None else as_tuple(stride, nd, op, "stride")
    padding = as_padding(padding, nd, op)
    for i, (k, (lo, hi)) in enumerate(zip(kernel_size, padding)):
        if max(lo, hi) > k // 2:
            raise ValueError(
                f"{op}: padding must be at most half the window (kernel_size // 2 = {k // 2}), "
                f"got padding {fmt(padding[i])} with kernel_size {k} in spatial dim {i}"
            )
    dilation = (1,) * nd
    check_fits(op, in_size, kernel_size, padding, dilation, what="window")
    out = tuple(
        conv_output_size(n, k, s, p, 1) for n, k, s, p in zip(in_size, kernel_size, stride, padding)
    )
    return ConvGeometry(in_size, kernel_size, stride, padding, dilation, out)


def same_padding(n: int, k: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """``(p_lo, p_hi)`` that gives ``ceil(n / s)`` outputs ("same" padding), smaller half first.

    ``O`` outputs need a padded length of at least ``s*(O-1) + d*(k-1) + 1``, so the total
    padding is ``max(s*(O-1) + d*(k-1) + 1 - n, 0)``; when it is odd the extra row goes
    at the high end (TensorFlow's rule, and PyTorch's ``padding="same"`` at stride 1).
    Derived in :ref:`forward-arithmetic`.

    Examples
    --------
    >>> same_padding(8, 3, stride=2)      # 4 outputs: pad 1 row at the end only
    (0, 1)
    >>> same_padding(8, 4)                # an even kernel at stride 1
    (1, 2)
    """
    for name, v, low in (("n", n, 1), ("k", k, 1), ("stride", stride, 1), ("dilation", dilation, 1)):
        if not is_int(v) or v < low:
            raise ValueError(f"same_padding: {name} must be a positive int, got {v!r}")
    out = -(-n // stride)
    total = max(stride * (out - 1) + dilation * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


class Phase(NamedTuple):
    """One stride phase of the input gradient (one phase per spatial dimension combined).

    Attributes
    ----------
    taps : tuple of tuple of int
        Per dimension, the kernel taps that reach this phase, in decreasing order
        (empty in some dimension when no tap reaches the phase: zero gradient).
    start, count, tap_step : tuple of int
        Per dimension, the window arguments (first row, number of output rows, step
        between taps) into the padded ``dy``, at step 1
        (``convbp._fastconv.windows``).
    rows : tuple of slice
        Per dimension, the rows of ``dx`` that this phase fills.
    """

    taps: tuple
    start: tuple
    count: tuple
    tap_step: tuple
    rows: tuple


class InputPhases(NamedTuple):
    """Result of :func:`input_phases`: the padding of ``dy`` and the phases."""

    dy_padding: tuple
    phases: list


def input_phases(geom) -> InputPhases:
    r"""Split the input gradient of a strided convolution into stride-1 correlations.

    Along one dimension (stride ``s``, dilation ``d``, kernel ``k``, padding ``p_lo``,
    input length ``n``, output length ``O``), padded input row ``a`` receives
    ``dy[o] @ w[m]`` for every ``s*o + d*m = a``. Write ``a = s*q + rho`` with
    ``0 <= rho < s``: only the taps with ``d*m = rho (mod s)`` reach phase ``rho``, each
    at the offset ``t_m = (d*m - rho) / s``, so ::

        dx_pad[s*q + rho] = sum_{m: d*m = rho (mod s)}  dy[q - t_m] @ w[m]

    a stride-1 correlation of ``dy`` (zero outside ``[0, O)``) with those taps. Within
    a phase consecutive taps are ``s/gcd(s, d)`` apart and their offsets
    ``d/gcd(s, d)`` apart. With ``dy`` padded by ``L = max t = floor(d*(k-1)/s)`` rows in
    front, tap ``m`` of phase row ``q`` reads padded row ``q - t_m + L``; listing the taps
    by decreasing ``m`` makes these reads increase by ``d/gcd(s, d)``.

    Only rows inside the unpadded input, ``p_lo <= s*q + rho < p_lo + n``, are computed.
    Rows whose phase has no tap get exactly zero gradient (as do the leftover rows that
    no window reads: there ``dy`` is padding).

    Parameters
    ----------
    geom : ConvGeometry

    Returns
    -------
    InputPhases
        ``dy_padding``: zero padding ``(L, R)`` of ``dy`` per dimension; ``phases``: one
        :class:`Phase` per combination of per-dimension phases that has input rows.

    Examples
    --------
    >>> geom = conv_geometry("conv", (8,), (3,), stride=2)
    >>> res = input_phases(geom)
    >>> res.dy_padding
    ((1, 1),)
    >>> [(p.taps, p.rows) for p in res.phases]
    [(((2, 0),), (slice(0, 7, 2),)), (((1,),), (slice(1, 8, 2),))]
    """
    per_dim, pads = [], []
    for s, d, k, (lo, _hi), n, out in zip(geom.stride, geom.dilation, geom.kernel_size,
                                          geom.padding, geom.in_size, geom.out_size):
        lead = d * (k - 1) // s
        tap_step = d // math.gcd(s, d)
        dim, last_read = [], 0
        for rho in range(s):
            q0 = -((rho - lo) // s)                    # ceil((p_lo - rho) / s)
            q1 = -((rho - lo - n) // s)                # ceil((p_lo + n - rho) / s)
            if q1 <= q0:
                continue                               # no input row in this phase
            taps = tuple(m for m in range(k - 1, -1, -1) if (d * m - rho) % s == 0)
            rows = slice(s * q0 + rho - lo, s * (q1 - 1) + rho - lo + 1, s)
            if taps:
                start = q0 - (d * taps[0] - rho) // s + lead
                last_read = max(last_read, q1 - 1 - (d * taps[-1] - rho) // s + lead)
            else:
                start = 0
            dim.append((taps, start, q1 - q0, rows))
        per_dim.append((dim, tap_step))
        pads.append((lead, max(0, last_read + 1 - lead - out)))
    phases = []
    for combo in itertools.product(*(dim for dim, _ in per_dim)):
        taps, start, count, rows = zip(*combo)
        phases.append(Phase(taps, start, count, tuple(ts for _, ts in per_dim), rows))
    return InputPhases(tuple(pads), phases)
