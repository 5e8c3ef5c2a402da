"""Checkers for a learner's convolution: forward, backward, transposed.

Every wrong implementation a checker can recognise is *generated* here from convbp's
own correct functions (:func:`convbp.conv`, :func:`convbp.conv_backward`, the recipe's
pieces) by changing one thing: the stride left out, the kernel not flipped, the
leftover rows dropped, ...; see :mod:`convbp.exercises.mistakes` for the catalogue.
"""

from __future__ import annotations

import functools

import numpy as np

from ..convolution import conv, conv_backward, conv_transpose
from ..geometry import conv_geometry, conv_transpose_geometry
from ..padding import pad_or_crop
from ..recipe import dilate, flip
from . import _engine as E

__all__ = ["check_conv_forward", "check_conv_backward", "check_conv_transpose"]

_CONVENTIONS = ("convbp", "cs231n")

# Geometries of the cases (2-D, square kernels, non-square inputs in both
# orientations). Fields: N, C_in, C_out, (H, W), k, stride, padding, dilation, groups.
_CONV_CASES = (
    (2, 3, 2, (7, 9), 3, 2, 1, 1, 1),      # overlapping windows, no leftover
    (2, 2, 3, (10, 8), 3, 2, 0, 1, 1),     # leftover row and column, H > W
    (3, 2, 2, (6, 11), 2, 3, 1, 1, 1),     # stride > kernel, 2 leftover columns
)
_DILATION_CASE = (2, 2, 2, (9, 10), 2, 3, 1, 2, 1)   # stride 3 != dilation 2, leftover rows
_GROUPS_CASE = (2, 4, 6, (8, 7), 3, 2, 1, 1, 2)      # two groups, leftover row


def _check_convention(checker, convention):
    if convention not in _CONVENTIONS:
        raise ValueError(f"{checker}: convention must be one of {_CONVENTIONS}, "
                         f"got {convention!r}")


def _geometries(fn, convention):
    cases = list(_CONV_CASES)
    if convention == "convbp":
        if E.accepts(fn, "dilation"):
            cases.append(_DILATION_CASE)
        if E.accepts(fn, "groups"):
            cases.append(_GROUPS_CASE)
    return tuple(cases)


def _words(x, w, s, p, d, groups, geom, extra=""):
    text = (f"x {x.shape} (N, C_in, H, W), w {w.shape}, stride {s}, padding {p}"
            + (f", dilation {d}" if d != 1 else "")
            + (f", groups {groups}" if groups != 1 else ""))
    r = geom.remainder
    left = ("no leftover rows" if not any(r) else
            f"leftover padded rows: {r[0]} at the bottom, {r[1]} at the right")
    return f"{text}{extra}; {left}"


def _pad(x, geom):
    return np.pad(x, [(0, 0), (0, 0), *geom.padding])


def _reindexed(dy, x, w, geom, groups, s2, d2):
    """Backward of a convolution whose output o and tap m read padded row ``s2*o + d2*m``.

    ``s2, d2 = 1, d`` is the stride left out; ``d, s`` swaps stride and dilation.
    Computed by :func:`convbp.conv_backward` on the padded input cut (or zero-extended)
    to the length such a convolution reads; reads past the padded input see zeros and
    what would land there is dropped.
    """
    xp = _pad(x, geom)
    need = tuple(s2 * (o - 1) + d2 * (k - 1) + 1 for o, k in zip(geom.out_size, geom.kernel_size))
    common = (..., *(slice(0, min(a, b)) for a, b in zip(need, xp.shape[2:])))
    xe = np.zeros(xp.shape[:2] + need)
    xe[common] = xp[common]
    grads = conv_backward(dy, xe, w, stride=s2, dilation=d2, groups=groups)
    dxp = np.zeros_like(xp)
    dxp[common] = grads.dx[common]
    return dxp[(..., *geom.unpadded())], grads.dw, xe


def _w_channels_swapped(w, groups):
    c_out, c_in_g, *k = w.shape
    c_out_g = c_out // groups
    return (w.reshape(groups, c_out_g, c_in_g, *k).swapaxes(1, 2)
            .reshape(c_in_g * groups, c_out_g, *k))


def _recipe_dx(dy, w, geom, groups, *, dilate_dy=True, pads=None):
    """dx by the recipe (dilate, pad, correlate with the flipped kernel), one step changed."""
    d = dilate(dy, geom.stride) if dilate_dy else dy
    return conv(pad_or_crop(d, pads or geom.dx_padding), flip(_w_channels_swapped(w, groups)),
                dilation=geom.dilation, groups=groups)


def _recipe_dw(dy, x, geom, groups, *, dilate_dy=True, crop=True):
    """dw by the recipe (padded x correlated with the dilated dy), one step changed."""
    n, c_in = x.shape[:2]
    c_in_g = c_in // groups
    xp = pad_or_crop(x, geom.dw_padding if crop else geom.padding)
    sp = xp.shape[2:]
    x_t = (xp.reshape(n, groups, c_in_g, *sp).transpose(2, 1, 0, 3, 4)
           .reshape(c_in_g, groups * n, *sp))
    d = dilate(dy, geom.stride) if dilate_dy else dy
    return conv(x_t, d.swapaxes(0, 1), stride=geom.dilation, groups=groups).swapaxes(0, 1)


def _overwrite(dy, x, w, geom, groups, per_filter):
    """``=`` instead of ``+=`` in the loops: the last write to each entry wins.

    ``per_filter``: the CS231n loop ``for n, f, i, j: dx[n, :, win] = w[f] * dy[n, f, i, j]``
    (and ``dw[f] = dy[n, f, i, j] * x[n, :, win]``, ``db[f] = dy[n, f, i, j]``);
    otherwise the windows are written once per position, summed over filters (dx)
    and samples (dw).
    """
    xp = _pad(x, geom)
    n, c_in = x.shape[:2]
    c_out = w.shape[0]
    c_in_g, c_out_g = c_in // groups, c_out // groups
    dxp, dw, db = np.zeros_like(xp), np.zeros(w.shape), np.zeros(c_out)
    for o in np.ndindex(*geom.out_size):
        win = tuple(slice(s * i, s * i + d * (k - 1) + 1, d) for i, s, d, k in
                    zip(o, geom.stride, geom.dilation, geom.kernel_size))
        for g in range(groups):
            ch = slice(g * c_in_g, (g + 1) * c_in_g)
            fs = slice(g * c_out_g, (g + 1) * c_out_g)
            dyo = dy[(slice(None), fs, *o)]                          # (N, C_out/G)
            if per_filter:
                for f in range(g * c_out_g, (g + 1) * c_out_g):
                    dxp[(slice(None), ch, *win)] = (w[f][None] * dy[(slice(None), f, *o)]
                                                    [:, None, None, None])
                    dw[f] = dy[(n - 1, f, *o)] * xp[(n - 1, ch, *win)]
                    db[f] = dy[(n - 1, f, *o)]
            else:
                dxp[(slice(None), ch, *win)] = np.einsum("nf,fcab->ncab", dyo, w[fs])
                dw[fs] = np.einsum("nf,ncab->fcab", dyo, xp[(slice(None), ch, *win)])
    return dxp[(..., *geom.unpadded())], dw, db


def _operands(geos, seed):
    """For each geometry of ``geos``: its fields, seeded ``x, w, b, dy`` and its geometry."""
    rng = np.random.default_rng(seed)
    for geo in geos:
        n, c_in, c_out, hw, k, s, p, d, groups = geo
        x = rng.standard_normal((n, c_in, *hw))
        w = rng.standard_normal((c_out, c_in // groups, k, k))
        b = rng.standard_normal(c_out)
        geom = conv_geometry("check", hw, (k, k), s, p, d)
        dy = rng.standard_normal((n, c_out, *geom.out_size))
        yield geo, x, w, b, dy, geom


@functools.lru_cache(maxsize=8)
def _backward_cases(geos):
    cases = []
    for geo, x, w, b, dy, geom in _operands(geos, 20261129):
        n, c_in, c_out, hw, k, s, p, d, groups = geo
        right = conv_backward(dy, x, w, stride=s, padding=p, dilation=d, groups=groups)
        R = dict(dx=right.dx, dw=right.dw, db=right.db)
        wrong = {}
        # stride left out: loops reading s*o -> o; recipe with dy not dilated
        dx1, dw1, _ = _reindexed(dy, x, w, geom, groups, 1, d)
        wrong["stride_ignored", "loops"] = dict(dx=dx1, dw=dw1)
        wrong["stride_ignored", "recipe"] = dict(
            dx=_recipe_dx(dy, w, geom, groups, dilate_dy=False),
            dw=_recipe_dw(dy, x, geom, groups, dilate_dy=False))
        # kernel orientation: dx with w where flip(w) belongs; dw a convolution
        wrong["kernel_not_flipped", "flip"] = dict(
            dx=conv_backward(dy, x, flip(w), stride=s, padding=p, dilation=d,
                             groups=groups).dx, dw=flip(right.dw))
        # leftover rows: tail dropped (P_hi without r), put at the low end, x not cropped
        r = geom.remainder
        keep = (..., *(slice(0, m - q) for m, q in zip(hw, r)))
        low = tuple((lo + q, hi - q) for (lo, hi), q in zip(geom.dx_padding, r))
        wrong["leftover_rows", "dropped"] = dict(
            dx=right.dx[keep], dw=_recipe_dw(dy, x, geom, groups, crop=False))
        wrong["leftover_rows", "low end"] = dict(dx=_recipe_dx(dy, w, geom, groups, pads=low))
        # '=' for '+='
        for name, per_filter in (("loops", True), ("vector", False)):
            odx, odw, odb = _overwrite(dy, x, w, geom, groups, per_filter)
            wrong["overwrite_not_accumulate", name] = (dict(dx=odx, dw=odw, db=odb)
                                                       if per_filter else dict(dx=odx, dw=odw))
        sizes = float(np.prod(geom.out_size))
        wrong["bias_mean", "mean"] = dict(db=right.db / (n * sizes))
        wrong["bias_mean", "positions"] = dict(db=right.db / sizes)
        wrong["stride_dilation_swapped", "swapped"] = dict(
            zip(("dx", "dw"), _reindexed(dy, x, w, geom, groups, d, s)[:2]))
        wT = w.swapaxes(-1, -2)
        wrong["height_width_swapped", "kernel"] = dict(
            dx=conv_backward(dy, x, wT, stride=s, padding=p, dilation=d, groups=groups).dx,
            dw=right.dw.swapaxes(-1, -2))
        wrong["height_width_swapped", "result"] = dict(dx=right.dx.swapaxes(-1, -2))
        one = conv_backward(dy[:1], x[:1], w, stride=s, padding=p, dilation=d, groups=groups)
        wrong["batch_not_summed", "sample 0"] = dict(dw=one.dw, db=one.db)
        wrong["batch_not_summed", "mean"] = dict(dw=right.dw / n, db=right.db / n)
        per = [conv_backward(dy[i:i + 1], x[i:i + 1], w, stride=s, padding=p, dilation=d,
                             groups=groups) for i in range(n)]
        wrong["batch_not_summed", "per sample"] = dict(
            dw=np.stack([grads.dw for grads in per]), db=np.stack([grads.db for grads in per]))
        wrong["dilation_ignored", "d = 1"] = dict(
            zip(("dx", "dw"), _reindexed(dy, x, w, geom, groups, s, 1)[:2]))
        for key in wrong:                      # components not given: as if right
            wrong[key] = {**R, **wrong[key]}
        tags = frozenset({"leftover"}) if any(r) else frozenset()
        cases.append(E.Case(_words(x, w, s, p, d, groups, geom, f", dy {dy.shape}"), x.size,
                            (dy, x, w, b), dict(stride=s, padding=p, dilation=d, groups=groups),
                            R, wrong, tags=tags))
    return cases


def _call_backward(convention):
    def call(fn, case):
        dy, x, w, b = E.copy_args(case.args)
        kw = case.kwargs
        if convention == "cs231n":
            out = fn(dy, (x, w, b, {"stride": kw["stride"], "pad": kw["padding"]}))
        else:
            extra = {k: kw[k] for k in ("dilation", "groups") if E.accepts(fn, k)}
            out = fn(dy, x, w, stride=kw["stride"], padding=kw["padding"], **extra)
        return E.unpack_tuple(out, ("dx", "dw", "db"), E.fn_name(fn))
    return call


@E.documented
def check_conv_backward(fn, *, convention="convbp", raise_on_fail=False):
    """Check a learner's 2-D convolution backward pass and name the mistake, if any.

    ``fn`` is run on a few cases chosen so that each recognised mistake gives a
    different signature: non-square inputs in both orientations, overlapping windows,
    stride greater than the kernel, leftover rows, batch > 1, several channels, and a
    random upstream gradient. When ``fn`` also takes ``dilation`` (or ``groups``), a
    case with dilation 2 at stride 3 (or with 2 groups) is added.

    Parameters
    ----------
    fn : callable
        ``convention="convbp"``: ``fn(dy, x, w, stride=s, padding=p)`` (optionally with
        ``dilation=d`` and/or ``groups`` parameters) returning ``(dx, dw, db)``, for
        ``y = conv(x, w, b, stride=s, padding=p)`` (:func:`convbp.conv`, a
        cross-correlation). ``stride`` and ``padding`` are ints.
        ``convention="cs231n"``: ``fn(dout, cache)`` with
        ``cache = (x, w, b, {"stride": s, "pad": p})``, returning ``(dx, dw, db)``.

        Shapes: ``x`` (N, C_in, H, W), ``w`` (C_out, C_in // groups, k, k), ``b``
        (C_out,), ``dy`` (N, C_out, H_out, W_out); ``dx``, ``dw``, ``db`` must have the
        shapes of ``x``, ``w``, ``b``.
    convention : {"convbp", "cs231n"}
        The calling convention of ``fn``.

    See Also
    --------
    convbp.conv_backward : the right answer.
    convbp.conv_backward_as_convolutions : the same, by the dilate-pad-flip recipe.

    Notes
    -----
    The rules are derived in :ref:`backward-stride1`, :ref:`backward-strided`,
    :ref:`general-rule` and :ref:`channels-groups`; :ref:`checking-your-code` shows
    the checker at work.

    Examples
    --------
    >>> import numpy as np, convbp
    >>> from convbp.exercises import check_conv_backward
    >>> check_conv_backward(convbp.conv_backward).passed
    True
    >>> def mean_bias(dy, x, w, stride=1, padding=0):
    ...     dx, dw, db = convbp.conv_backward(dy, x, w, stride=stride, padding=padding)
    ...     return dx, dw, dy.mean(axis=(0, 2, 3))
    >>> r = check_conv_backward(mean_bias)
    >>> r.passed, r.mistake
    (False, 'bias_mean')
    """
    checker = "check_conv_backward"
    _check_convention(checker, convention)
    cases = list(_backward_cases(_geometries(fn, convention)))
    covered = ("strides 2 and 3, padding, leftover rows, non-square inputs, "
               "stride > kernel, batches of 2-3" + (", dilation" if any(
                   c.kwargs["dilation"] != 1 for c in cases) else "")
               + (", groups" if any(c.kwargs["groups"] != 1 for c in cases) else ""))
    return E.run(checker, fn, cases, _call_backward(convention), ("dx", "dw", "db"),
                 covered=covered, raise_on_fail=raise_on_fail, leftover_id="leftover_rows")


# ------------------------------------------------------------------------- forward

@functools.lru_cache(maxsize=8)
def _forward_cases(geos):
    cases = []
    for geo, x, w, b, _dy, geom in _operands(geos, 20261130):
        *_, s, p, d, groups = geo
        kw = dict(stride=s, padding=p, dilation=d, groups=groups)
        y = conv(x, w, b, **kw)
        xe = _reindexed(np.zeros(y.shape), x, w, geom, groups, d, s)[2]
        xa = _reindexed(np.zeros(y.shape), x, w, geom, groups, s, 1)[2]
        wrong = {
            ("kernel_flipped", "convolution"): conv(x, flip(w), b, **kw),
            ("stride_ignored", "stride 1"): conv(x, w, b, **{**kw, "stride": 1}),
            ("padding_ignored", "no padding"): conv(x, w, b, **{**kw, "padding": 0}),
            ("bias_missing", "no bias"): conv(x, w, **kw),
            ("stride_dilation_swapped", "swapped"): conv(xe, w, b, stride=d, dilation=s,
                                                         groups=groups),
            ("height_width_swapped", "kernel"): conv(x, w.swapaxes(-1, -2), b, **kw),
            ("dilation_ignored", "taps adjacent"): conv(xa, w, b, stride=s, groups=groups),
            ("dilation_ignored", "dilation 1"): conv(x, w, b, **{**kw, "dilation": 1}),
        }
        cases.append(E.Case(_words(x, w, s, p, d, groups, geom, f", b {b.shape}"), x.size,
                            (x, w, b), kw, dict(y=y),
                            {key: dict(y=v) for key, v in wrong.items()}))
    return cases


def _call_forward(convention):
    def call(fn, case):
        x, w, b = E.copy_args(case.args)
        kw = case.kwargs
        if convention == "cs231n":
            out = fn(x, w, b, {"stride": kw["stride"], "pad": kw["padding"]})
            if isinstance(out, tuple) and len(out) == 2:       # (out, cache)
                out = out[0]
        else:
            extra = {k: kw[k] for k in ("dilation", "groups") if E.accepts(fn, k)}
            out = fn(x, w, b, stride=kw["stride"], padding=kw["padding"], **extra)
        return E.unpack_tuple(out, ("y",), E.fn_name(fn))
    return call


@E.documented
def check_conv_forward(fn, *, convention="convbp", raise_on_fail=False):
    """Check a learner's 2-D convolution forward pass and name the mistake, if any.

    Parameters
    ----------
    fn : callable
        ``convention="convbp"``: ``fn(x, w, b, stride=s, padding=p)`` (optionally with
        ``dilation`` and/or ``groups`` parameters) returning ``y``, shape
        (N, C_out, H_out, W_out), a cross-correlation as :func:`convbp.conv`.
        ``convention="cs231n"``: ``fn(x, w, b, conv_param)`` with
        ``conv_param = {"stride": s, "pad": p}``, returning ``out`` or ``(out, cache)``.
        Shapes: ``x`` (N, C_in, H, W), ``w`` (C_out, C_in // groups, k, k), ``b`` (C_out,).
    convention : {"convbp", "cs231n"}

    See Also
    --------
    convbp.conv : the right answer.

    Examples
    --------
    >>> import convbp
    >>> from convbp.exercises import check_conv_forward
    >>> check_conv_forward(convbp.conv).passed
    True
    >>> def naive(x, w, b, conv_param):      # CS231n's signature; the bias left out
    ...     s, p = conv_param["stride"], conv_param["pad"]
    ...     return convbp.conv(x, w, stride=s, padding=p), (x, w, b, conv_param)
    >>> check_conv_forward(naive, convention="cs231n").mistake
    'bias_missing'
    """
    checker = "check_conv_forward"
    _check_convention(checker, convention)
    cases = list(_forward_cases(_geometries(fn, convention)))
    return E.run(checker, fn, cases, _call_forward(convention), ("y",),
                 covered="strides 2 and 3, padding, non-square inputs, stride > kernel, bias",
                 raise_on_fail=raise_on_fail)


# ------------------------------------------------------------------------- transposed

# N, C_in, C_out, (H, W), k, stride, padding, output_padding, dilation, groups
_TRANSPOSE_CASES = (
    (2, 3, 2, (4, 5), 3, 2, 1, 1, 1, 1),
    (2, 2, 3, (3, 2), 3, 3, 0, 2, 1, 1),
    (1, 2, 2, (5, 3), 2, 2, 0, 0, 1, 1),
)
_TRANSPOSE_DILATION = (2, 2, 2, (3, 4), 2, 2, 1, 1, 3, 1)
_TRANSPOSE_GROUPS = (2, 4, 2, (3, 3), 3, 2, 1, 1, 1, 2)


@functools.lru_cache(maxsize=8)
def _transpose_cases(dilation, groups):
    geos = list(_TRANSPOSE_CASES)
    if dilation:
        geos.append(_TRANSPOSE_DILATION)
    if groups:
        geos.append(_TRANSPOSE_GROUPS)
    rng = np.random.default_rng(20261131)
    cases = []
    for n, c_in, c_out, hw, k, s, p, op, d, groups in geos:
        x = rng.standard_normal((n, c_in, *hw))
        w = rng.standard_normal((c_in, c_out // groups, k, k))
        kw = dict(stride=s, padding=p, output_padding=op, dilation=d, groups=groups)
        y = conv_transpose(x, w, **kw)
        geom = conv_transpose_geometry("check", hw, (k, k), s, p, op, d)
        no_op = conv_transpose(x, w, **{**kw, "output_padding": 0})
        wrong = {
            ("kernel_flipped", "w not flipped"): conv_transpose(x, flip(w), **kw),
            ("stride_ignored", "stride 1"): conv_transpose(
                x, w, **{**kw, "stride": 1, "output_padding": 0}),
            ("padding_ignored", "no padding"): conv_transpose(x, w, **{**kw, "padding": 0}),
            ("output_padding_ignored", "shorter"): no_op,
            ("output_padding_ignored", "zeros appended"): np.pad(
                no_op, [(0, 0), (0, 0), (0, op), (0, op)]),
            ("output_padding_on_low_side", "zeros prepended"): np.pad(
                no_op, [(0, 0), (0, 0), (op, 0), (op, 0)]),
        }
        words = (f"x {x.shape} (N, C_in, H, W), w {w.shape} (C_in, C_out // groups, k, k), "
                 f"stride {s}, padding {p}, output_padding {op}"
                 + (f", dilation {d}" if d != 1 else "") + (f", groups {groups}" if groups != 1
                                                            else "")
                 + f" -> y of spatial size {geom.in_size}")
        cases.append(E.Case(words, x.size, (x, w), kw, dict(y=y),
                            {key: dict(y=v) for key, v in wrong.items()}))
    return cases


def _call_transpose(fn, case):
    x, w = E.copy_args(case.args)
    kw = case.kwargs
    extra = {k: kw[k] for k in ("dilation", "groups") if E.accepts(fn, k)}
    out = fn(x, w, stride=kw["stride"], padding=kw["padding"],
             output_padding=kw["output_padding"], **extra)
    return E.unpack_tuple(out, ("y",), E.fn_name(fn))


@E.documented
def check_conv_transpose(fn, *, raise_on_fail=False):
    """Check a learner's 2-D transposed convolution (PyTorch's ``conv_transpose2d``).

    Parameters
    ----------
    fn : callable
        ``fn(x, w, stride=s, padding=p, output_padding=q)`` (optionally with
        ``dilation`` and/or ``groups`` parameters) returning ``y``, the adjoint of
        ``conv`` as :func:`convbp.conv_transpose` and ``torch.nn.functional.conv_transpose2d``
        (no bias). ``x`` (N, C_in, H, W), ``w`` (C_in, C_out // groups, k, k);
        ``y`` (N, C_out, H_out, W_out) with
        ``H_out = (H - 1)*s - 2p + d(k-1) + q + 1``. ``stride``, ``padding`` and
        ``output_padding`` are ints, ``output_padding < stride``.

    See Also
    --------
    convbp.conv_transpose : the right answer (PyTorch's ``conv_transpose2d``, no bias).

    Examples
    --------
    >>> import convbp
    >>> from convbp.exercises import check_conv_transpose
    >>> check_conv_transpose(convbp.conv_transpose, raise_on_fail=True).passed
    True
    >>> def no_output_padding(x, w, stride=1, padding=0, output_padding=0):
    ...     return convbp.conv_transpose(x, w, stride=stride, padding=padding)
    >>> r = check_conv_transpose(no_output_padding)
    >>> r.passed, r.mistake
    (False, 'output_padding_ignored')
    """
    checker = "check_conv_transpose"
    cases = list(_transpose_cases(E.accepts(fn, "dilation"), E.accepts(fn, "groups")))
    return E.run(checker, fn, cases, _call_transpose, ("y",),
                 covered="strides 2 and 3, padding, output_padding 0-2, non-square inputs",
                 raise_on_fail=raise_on_fail)
