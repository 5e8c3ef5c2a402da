"""convbp.exercises: every mistake id is named for a wrong implementation written here,
right implementations in several styles pass, random output fails unnamed, and bad
learner behaviour gives a clean message."""

from pathlib import Path

import numpy as np
import pytest

import convbp
from convbp import exercises as X
from convbp.exercises import _engine
from convbp.exercises.mistakes import CATALOGUE, CHAPTERS

ROOT = Path(__file__).resolve().parents[1]


def flat(text):
    """A report with its line wrapping undone."""
    return " ".join(text.split())


# ----------------------------------------------------------------- learner code: loops

def _dilate_hw(a, s):
    out = np.zeros(a.shape[:2] + (s * (a.shape[2] - 1) + 1, s * (a.shape[3] - 1) + 1))
    out[:, :, ::s, ::s] = a
    return out


def loop_backward(dy, x, w, stride=1, padding=0, dilation=1, groups=1, *, bug=None):
    """A plain-loop conv backward; ``bug`` switches in one classic mistake."""
    n_, _, h, wd = x.shape
    f_, c_in_g, k, _ = w.shape
    s, p, d = stride, padding, dilation
    if bug == "leftover_assert":                       # CS231n's assert
        assert (h + 2 * p - d * (k - 1) - 1) % s == 0, "leftover rows"
        assert (wd + 2 * p - d * (k - 1) - 1) % s == 0, "leftover columns"
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp, dw, db = np.zeros_like(xp), np.zeros_like(w), np.zeros(f_)
    ho, wo = dy.shape[2:]
    for i in range(n_):
        for f in range(f_):
            g = f // (f_ // groups)
            ch = slice(g * c_in_g, (g + 1) * c_in_g)
            for a in range(ho):
                for b in range(wo):
                    h0, w0, step = s * a, s * b, d
                    if bug == "stride_ignored":
                        h0, w0 = a, b
                    if bug == "stride_dilation_swapped":
                        h0, w0, step = d * a, d * b, s
                    if bug == "dilation_ignored":
                        step = 1
                    win = (i, ch, slice(h0, h0 + step * (k - 1) + 1, step),
                           slice(w0, w0 + step * (k - 1) + 1, step))
                    kern = w[f]
                    if bug == "height_width_swapped":
                        kern = w[f].swapaxes(-1, -2)
                    if bug == "overwrite":
                        dxp[win] = kern * dy[i, f, a, b]
                    else:
                        dxp[win] += kern * dy[i, f, a, b]
                    contrib = dy[i, f, a, b] * xp[win]
                    if bug == "height_width_swapped":
                        contrib = contrib.swapaxes(-1, -2)
                    dw[f] += contrib
                    db[f] += dy[i, f, a, b]
    dx = dxp[:, :, p:p + h, p:p + wd]
    if bug == "bias_mean":
        db = dy.mean(axis=(0, 2, 3))
    if bug == "batch_mean":
        dw, db = dw / n_, db / n_
    return dx, dw, db


def make(bug, *, dilation=False):
    if dilation:
        def fn(dy, x, w, stride=1, padding=0, dilation=1):
            return loop_backward(dy, x, w, stride, padding, dilation, bug=bug)
    else:
        def fn(dy, x, w, stride=1, padding=0):
            return loop_backward(dy, x, w, stride, padding, bug=bug)
    return fn


def recipe_backward(dy, x, w, stride=1, padding=0, *, flip_kernel=True, with_r=True):
    """The dilate-pad-flip recipe written by a learner (no groups, no dilation)."""
    k, s, p = w.shape[2], stride, padding
    r = [(n + 2 * p - k) % s for n in x.shape[2:]]
    kern = w[:, :, ::-1, ::-1] if flip_kernel else w
    kern = kern.transpose(1, 0, 2, 3)                  # (C_in, C_out, k, k)
    dd = _dilate_hw(dy, s)
    pads = [(k - 1 - p, k - 1 - p + (ri if with_r else 0)) for ri in r]
    big = np.pad(dd, [(0, 0), (0, 0), *[(max(a, 0), max(b, 0)) for a, b in pads]])
    big = big[:, :, max(-pads[0][0], 0): big.shape[2] - max(-pads[0][1], 0),
              max(-pads[1][0], 0): big.shape[3] - max(-pads[1][1], 0)]
    dx = convbp.conv(big, kern)
    _, dw, db = convbp.conv_backward(dy, x, w, stride=s, padding=p)
    return dx, dw, db


# CS231n-style layer with a cache
def conv_forward_naive(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    n_, _, h, wd = x.shape
    f_, _, hh, ww = w.shape
    ho, wo = 1 + (h + 2 * p - hh) // s, 1 + (wd + 2 * p - ww) // s
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    out = np.zeros((n_, f_, ho, wo))
    for i in range(ho):
        for j in range(wo):
            win = xp[:, :, i * s:i * s + hh, j * s:j * s + ww]
            out[:, :, i, j] = np.tensordot(win, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    s, p = conv_param["stride"], conv_param["pad"]
    _, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = (slice(None), slice(None), slice(i * s, i * s + hh), slice(j * s, j * s + ww))
            dxp[win] += np.tensordot(dout[:, :, i, j], w, axes=(1, 0))
            dw += np.tensordot(dout[:, :, i, j], xp[win], axes=(0, 0))
    return dxp[:, :, p:p + x.shape[2], p:p + x.shape[3]], dw, db


# ----------------------------------------------------------------- conv backward

RIGHT_BACKWARD = {
    "convbp": convbp.conv_backward,
    "recipe": convbp.conv_backward_as_convolutions,
    "loops": make(None, dilation=True),
    "loops_no_dilation": make(None),
    "learner_recipe": recipe_backward,
    "float32": lambda dy, x, w, stride=1, padding=0: tuple(
        a.astype(np.float32) for a in convbp.conv_backward(
            dy.astype(np.float32), x.astype(np.float32), w.astype(np.float32),
            stride=stride, padding=padding)),
    "reference": convbp.reference.conv_backward,
}


@pytest.mark.parametrize("name", sorted(RIGHT_BACKWARD))
def test_right_backward_passes(name):
    r = X.check_conv_backward(RIGHT_BACKWARD[name])
    assert r.passed and r.mistake is None and r.case is None, r.message
    assert "passed" in flat(r.message)


def test_cs231n_convention_right_and_wrong():
    assert X.check_conv_backward(conv_backward_naive, convention="cs231n").passed
    assert X.check_conv_forward(conv_forward_naive, convention="cs231n").passed

    def no_acc(dout, cache):
        x, w, b, cp = cache
        return loop_backward(dout, x, w, cp["stride"], cp["pad"], bug="overwrite")

    r = X.check_conv_backward(no_acc, convention="cs231n")
    assert (r.passed, r.mistake) == (False, "overwrite_not_accumulate")


WRONG_BACKWARD = {
    "stride_ignored": make("stride_ignored"),
    "kernel_not_flipped": lambda dy, x, w, stride=1, padding=0: recipe_backward(
        dy, x, w, stride, padding, flip_kernel=False),
    "leftover_rows": lambda dy, x, w, stride=1, padding=0: recipe_backward(
        dy, x, w, stride, padding, with_r=False),
    "overwrite_not_accumulate": make("overwrite"),
    "bias_mean": make("bias_mean"),
    "stride_dilation_swapped": make("stride_dilation_swapped", dilation=True),
    "height_width_swapped": make("height_width_swapped"),
    "batch_not_summed": make("batch_mean"),
    "dilation_ignored": make("dilation_ignored", dilation=True),
}


@pytest.mark.parametrize("mistake", sorted(WRONG_BACKWARD))
def test_each_backward_mistake_is_named(mistake):
    r = X.check_conv_backward(WRONG_BACKWARD[mistake])
    assert not r.passed
    assert r.mistake == mistake and r.mistakes == (mistake,), r.message
    label = CATALOGUE["check_conv_backward"][mistake].label
    assert mistake in flat(r.message) and label in flat(r.message)
    assert r.case and flat(r.case) in flat(r.message)


def test_cs231n_assert_on_leftover_rows_is_named():
    r = X.check_conv_backward(make("leftover_assert"))
    assert r.mistake == "leftover_rows", r.message
    assert "AssertionError" in flat(r.message) and "Traceback" not in flat(r.message)


def test_two_mistakes_in_two_outputs():
    def two(dy, x, w, stride=1, padding=0):
        dx, dw, _ = loop_backward(dy, x, w, stride, padding, bug="stride_ignored")
        return dx, dw, dy.mean(axis=(0, 2, 3))
    r = X.check_conv_backward(two)
    assert r.mistakes == ("stride_ignored", "bias_mean") and r.mistake == "stride_ignored"


def test_random_output_is_not_named():
    rng = np.random.default_rng(0)

    def noise(dy, x, w, stride=1, padding=0):
        return (rng.standard_normal(x.shape), rng.standard_normal(w.shape),
                rng.standard_normal(w.shape[0]))
    r = X.check_conv_backward(noise)
    assert not r.passed and r.mistake is None
    assert "none of the recognised" in flat(r.message)


def test_one_wrong_entry_is_not_named():
    def off(dy, x, w, stride=1, padding=0):
        dx, dw, db = convbp.conv_backward(dy, x, w, stride=stride, padding=padding)
        dx = dx.copy()
        dx[0, 0, 0, 0] += 1.0
        return dx, dw, db
    r = X.check_conv_backward(off)
    assert r.mistake is None and "index (0, 0, 0, 0)" in flat(r.message)


@pytest.mark.parametrize("bad, words", [
    (lambda dy, x, w, stride=1, padding=0: 1 / 0, "ZeroDivisionError"),
    (lambda dy, x, w, stride=1, padding=0: None, "returned None"),
    (lambda dy, x, w, stride=1, padding=0: (x, w), "returned 2 values"),
    (lambda dy, x, w, stride=1, padding=0: (x[:, :, :-1], w, w[:, 0, 0, 0]), "shape"),
    (lambda dy, x, w, stride=1, padding=0: ("dx", w, w[:, 0, 0, 0]), "real numeric"),
    (lambda dy, x, w: (x, w, w), "unexpected keyword argument 'stride'"),
    (lambda dy, x, w, stride=1, padding=0: np.zeros(3), "must return a tuple"),
])
def test_bad_learner_behaviour_gives_clean_message(bad, words):
    r = X.check_conv_backward(bad)
    assert not r.passed and r.mistake is None
    assert words in flat(r.message) and "Traceback" not in flat(r.message)


def test_raise_on_fail_and_argument_errors():
    with pytest.raises(AssertionError, match="bias_mean"):
        X.check_conv_backward(make("bias_mean"), raise_on_fail=True)
    assert X.check_conv_backward(convbp.conv_backward, raise_on_fail=True).passed
    with pytest.raises(ValueError, match="convention must be one of"):
        X.check_conv_backward(convbp.conv_backward, convention="torch")
    with pytest.raises(TypeError, match="fn must be a function"):
        X.check_conv_backward(np.zeros(3))
    with pytest.raises(ValueError, match="kind must be"):
        X.check_pool_backward(convbp.max_pool_backward, kind="min")


def test_learner_cannot_corrupt_the_cases():
    def vandal(dy, x, w, stride=1, padding=0):
        out = convbp.conv_backward(dy, x, w, stride=stride, padding=padding)
        dy[...] = 0
        x[...] = 0
        return out
    assert X.check_conv_backward(vandal).passed
    assert X.check_conv_backward(convbp.conv_backward).passed


# ----------------------------------------------------------------- conv forward, transpose

def _fwd(**change):
    def fn(x, w, b, stride=1, padding=0):
        kw = dict(stride=stride, padding=padding)
        if change.get("flip"):
            w = w[:, :, ::-1, ::-1]
        if change.get("hw"):
            w = w.swapaxes(-1, -2)
        kw.update({k: v for k, v in change.items() if k in ("stride", "padding")})
        return convbp.conv(x, w, None if change.get("no_bias") else b, **kw)
    return fn


@pytest.mark.parametrize("fn, mistake", [
    (convbp.conv, None), (convbp.reference.conv, None),
    (_fwd(flip=True), "kernel_flipped"), (_fwd(stride=1), "stride_ignored"),
    (_fwd(padding=0), "padding_ignored"), (_fwd(no_bias=True), "bias_missing"),
    (_fwd(hw=True), "height_width_swapped"),
    (lambda x, w, b, stride=1, padding=0, dilation=1: convbp.conv(
        x, w, b, stride=stride, padding=padding), "dilation_ignored"),
])
def test_conv_forward(fn, mistake):
    r = X.check_conv_forward(fn)
    assert r.passed == (mistake is None) and r.mistake == mistake, r.message


def _ct(**change):
    def fn(x, w, stride=1, padding=0, output_padding=0):
        kw = dict(stride=stride, padding=padding, output_padding=output_padding)
        if change.get("flip"):
            w = w[:, :, ::-1, ::-1]
        kw.update(change.get("kw", {}))
        y = convbp.conv_transpose(x, w, **kw)
        if change.get("low"):
            y = np.pad(y, ((0, 0), (0, 0), (output_padding, 0), (output_padding, 0)))
        return y
    return fn


@pytest.mark.parametrize("fn, mistake", [
    (convbp.conv_transpose, None), (_ct(), None),
    (_ct(flip=True), "kernel_flipped"),
    (_ct(kw=dict(padding=0)), "padding_ignored"),
    (_ct(kw=dict(output_padding=0)), "output_padding_ignored"),
    (_ct(kw=dict(output_padding=0), low=True), "output_padding_on_low_side"),
    (_ct(kw=dict(stride=1, output_padding=0)), "stride_ignored"),
])
def test_conv_transpose(fn, mistake):
    r = X.check_conv_transpose(fn)
    assert r.passed == (mistake is None) and r.mistake == mistake, r.message


# ----------------------------------------------------------------- pooling, ReLU

def loop_pool_backward(dy, x, kernel_size, stride=None, *, kind="max", bug=None):
    k = kernel_size
    s = stride or k
    if bug == "stride_ignored":
        s = k
    dx = np.zeros_like(x, dtype=float)
    for n in range(dy.shape[0]):
        for c in range(dy.shape[1]):
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    win = (n, c, slice(i * s, i * s + k), slice(j * s, j * s + k))
                    if x[win].size == 0:
                        continue
                    if kind == "avg":
                        share = np.full((k, k),
                                        dy[n, c, i, j] / (k if bug == "count" else k * k))
                    elif bug == "ties":
                        share = (x[win] == x[win].max()) * dy[n, c, i, j]
                    else:
                        share = np.zeros(x[win].shape)
                        share.flat[np.argmax(x[win]) if bug != "last" else
                               x[win].size - 1 - np.argmax(x[win].ravel()[::-1])] = dy[n, c, i, j]
                    if bug == "overwrite":
                        dx[win] = share
                    else:
                        dx[win] += share[:x[win].shape[0], :x[win].shape[1]]
    return dx


def _pool(kind, bug=None):
    def fn(dy, x, kernel_size, stride=None):
        return loop_pool_backward(dy, x, kernel_size, stride, kind=kind, bug=bug)
    return fn


@pytest.mark.parametrize("kind, fn, mistake", [
    ("max", convbp.max_pool_backward, None), ("avg", convbp.avg_pool_backward, None),
    ("max", convbp.reference.max_pool_backward, None),
    ("max", _pool("max"), None), ("max", _pool("max", "last"), None), ("avg", _pool("avg"), None),
    ("max", _pool("max", "ties"), "max_all_ties"),
    ("max", _pool("max", "overwrite"), "overwrite_not_accumulate"),
    ("avg", _pool("avg", "overwrite"), "overwrite_not_accumulate"),
    ("avg", _pool("avg", "count"), "avg_wrong_count"),
    ("max", _pool("max", "stride_ignored"), "stride_ignored"),
])
def test_pool_backward(kind, fn, mistake):
    r = X.check_pool_backward(fn, kind=kind)
    assert r.passed == (mistake is None) and r.mistake == mistake, r.message


def test_pool_random_output_not_named():
    r = X.check_pool_backward(lambda dy, x, k, stride=None: np.sin(x), kind="max")
    assert not r.passed and r.mistake is None


@pytest.mark.parametrize("fn, mistake", [
    (lambda dy, x: np.where(x > 0, dy, 0.0), None),
    (lambda dy, x: dy * (dy > 0), "mask_from_gradient"),
    (lambda dy, x: dy * (x >= 0), "gradient_at_zero"),
    (lambda dy, x: (x > 0) * 1.0, "mask_not_multiplied"),
    (lambda dy, x: dy, None),
])
def test_relu_backward(fn, mistake):
    r = X.check_relu_backward(fn)
    assert r.passed == (fn(np.ones(2), np.array([1.0, -1.0]))[1] == 0 and mistake is None)
    assert r.mistake == mistake, r.message


# ----------------------------------------------------------------- recipe pieces

def my_dilate(a, s, trailing=False, extra=0, axes=None):
    axes = range(a.ndim) if axes is None else axes
    shape = [s * (n - 1) + 1 + extra * (n - 1) + (s - 1) * trailing if i in axes else n
             for i, n in enumerate(a.shape)]
    out = np.zeros(shape)
    out[tuple(slice(None, None, s + extra) if i in axes else slice(None)
              for i in range(a.ndim))] = a
    return out


@pytest.mark.parametrize("fn, mistake", [
    (my_dilate, None),
    (lambda a, s: my_dilate(a, s, trailing=True), "trailing_zeros"),
    (lambda a, s: my_dilate(a, s, extra=1), "too_many_zeros"),
    (lambda a, s: my_dilate(a, s, axes=[a.ndim - 1]), "one_axis_only"),
    (lambda a, s: np.kron(a, np.ones([s] * a.ndim)), None),
])
def test_dilate(fn, mistake):
    r = X.check_dilate(fn)
    assert r.passed == (fn is my_dilate) and r.mistake == mistake, r.message


@pytest.mark.parametrize("fn, mistake", [
    (lambda w: w[..., ::-1, ::-1] if w.ndim == 4 else w[..., ::-1], None),
    (convbp.flip, None),
    (lambda w: w[..., ::-1], "one_axis_only"),
    (lambda w: w[::-1, ::-1, ::-1, ::-1] if w.ndim == 4 else w[::-1, ::-1, ::-1],
     "channels_flipped"),
    (lambda w: np.rot90(w, axes=(-2, -1)) if w.ndim == 4 else w[..., ::-1],
     "transposed_not_flipped"),
    (lambda w: w, None),
])
def test_flip(fn, mistake):
    r = X.check_flip(fn)
    assert r.mistake == mistake, r.message
    assert r.passed == (mistake is None and r.message.count("passed") == 1)


def my_backward_padding(n, k, stride, padding, dilation, bug=None):
    lo, hi = padding
    e1 = dilation * (k - 1) if bug != "dilation" else k - 1
    r = (n + lo + hi - e1 - 1) % stride
    if bug == "no_r":
        r = 0
    if bug == "low":
        return e1 - lo + r, e1 - hi
    if bug == "swap":
        lo, hi = hi, lo
    if bug == "no_p":
        lo = hi = 0
    return e1 - lo, e1 - hi + r


@pytest.mark.parametrize("bug, mistake", [
    (None, None), ("no_r", "leftover_rows"), ("low", "leftover_on_low_side"),
    ("dilation", "dilation_ignored"), ("no_p", "padding_not_subtracted"),
    ("swap", "padding_sides_swapped"),
])
def test_backward_padding(bug, mistake):
    r = X.check_backward_padding(lambda *a: my_backward_padding(*a, bug=bug))
    assert r.passed == (bug is None) and r.mistake == mistake, r.message


def test_backward_padding_matches_geometry():
    def mine(n, k, stride, padding, dilation):
        return convbp.geometry.conv_geometry("t", (n,), (k,), stride, (padding,),
                                             dilation).dx_padding[0]
    assert X.check_backward_padding(mine).passed


def my_output_size(n, k, stride, padding, dilation, bug=None):
    lo, hi = padding
    e = dilation * (k - 1) + 1 if bug != "dilation" else k
    total = n + lo + (lo if bug == "one_side" else hi)
    span = total - e
    r = span % stride if bug != "r" else (n - e) % stride
    if bug == "ceil":
        return -(-span // stride) + 1, r
    return span // stride + (bug != "plus_one"), r


@pytest.mark.parametrize("bug, mistake", [
    (None, None), ("ceil", "ceil_not_floor"), ("plus_one", "missing_plus_one"),
    ("dilation", "dilation_ignored"), ("one_side", "padding_one_side"),
    ("r", "remainder_wrong"),
])
def test_output_size(bug, mistake):
    r = X.check_output_size(lambda *a: my_output_size(*a, bug=bug))
    assert r.passed == (bug is None) and r.mistake == mistake, r.message


def my_correlate(x, w, flip=False, full=False, short=False):
    if flip:
        w = w[::-1]
    k = len(w)
    if full:
        x = np.pad(x, k - 1)
    n_out = len(x) - k + 1 - short
    return np.array([sum(w[m] * x[o + m] for m in range(k)) for o in range(n_out)])


@pytest.mark.parametrize("kw, mistake", [
    ({}, None), (dict(flip=True), "kernel_flipped"), (dict(full=True), "full_not_valid"),
    (dict(short=True), "off_by_one_length"),
])
def test_correlate1d(kw, mistake):
    r = X.check_correlate1d(lambda x, w: my_correlate(x, w, **kw))
    assert r.passed == (mistake is None) and r.mistake == mistake, r.message


@pytest.mark.parametrize("kw, mistake", [
    (dict(flip=True), None), ({}, "kernel_not_flipped"),
    (dict(flip=True, full=True), "full_not_valid"),
    (dict(flip=True, short=True), "off_by_one_length"),
])
def test_convolve1d(kw, mistake):
    r = X.check_convolve1d(lambda x, w: my_correlate(x, w, **kw))
    assert r.passed == (mistake is None) and r.mistake == mistake, r.message


# ----------------------------------------------------------------- network pieces

@pytest.mark.parametrize("fn, mistake", [
    (lambda dy, x, w: (dy @ w, dy.T @ x, dy.sum(0)), None),
    (lambda dy, x, w: (dy @ w, np.einsum("no,ni->oi", dy, x), np.sum(dy, axis=0)), None),
    (lambda dy, x, w: (dy @ w, x.T @ dy, dy.sum(0)), "weight_gradient_transposed"),
    (lambda dy, x, w: (dy @ w, dy.T @ x, dy.mean(0)), "bias_mean"),
    (lambda dy, x, w: (dy @ w, dy.T @ x / len(x), dy.sum(0)), "batch_not_summed"),
])
def test_linear_backward(fn, mistake):
    r = X.check_linear_backward(fn)
    assert r.passed == (mistake is None) and r.mistake == mistake, r.message


def my_xent(logits, labels, bug=None):
    z = logits if bug == "unstable" else logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n = len(labels)
    onehot = np.eye(logits.shape[1])[labels]
    loss = -np.log(p[np.arange(n), labels]).sum()
    d = p - onehot * (bug != "no_onehot")
    if bug == "sign":
        d = -d
    if bug != "sum":
        loss, d = loss / n, d / n
    return loss, d


@pytest.mark.parametrize("bug, mistake", [
    (None, None), ("sum", "batch_not_averaged"), ("no_onehot", "onehot_not_subtracted"),
    ("sign", "gradient_sign"), ("unstable", "no_max_subtraction"),
])
def test_softmax_cross_entropy(bug, mistake):
    r = X.check_softmax_cross_entropy(lambda z, y: my_xent(z, y, bug))
    assert r.passed == (bug is None) and r.mistake == mistake, r.message


def my_sgd(w, dw, v, *, lr, momentum, weight_decay, bug=None):
    grad = dw + (weight_decay * w if bug not in ("no_wd", "after") else 0)
    if bug == "sign":
        grad = dw - weight_decay * w
    if bug == "lr_in":
        v = momentum * v + lr * grad
        return w - v, v
    v = momentum * v + (1 - momentum if bug == "damp" else 1) * grad
    return w - lr * (v + (weight_decay * w if bug == "after" else 0)), v


@pytest.mark.parametrize("bug, mistake", [
    (None, None), ("no_wd", "weight_decay_ignored"), ("after", "weight_decay_after_momentum"),
    ("lr_in", "lr_inside_velocity"), ("damp", "momentum_dampened"), ("sign", "weight_decay_sign"),
])
def test_sgd_step(bug, mistake):
    r = X.check_sgd_step(lambda *a, **k: my_sgd(*a, **k, bug=bug))
    assert r.passed == (bug is None) and r.mistake == mistake, r.message


def test_sgd_step_against_torch():
    torch = pytest.importorskip("torch")

    def torch_step(w, dw, v, *, lr, momentum, weight_decay):
        p = torch.nn.Parameter(torch.from_numpy(w.copy()))
        opt = torch.optim.SGD([p], lr=lr, momentum=momentum, weight_decay=weight_decay)
        if np.any(v):
            opt.state[p]["momentum_buffer"] = torch.from_numpy(v.copy())
        p.grad = torch.from_numpy(dw.copy())
        opt.step()
        return p.detach().numpy(), opt.state[p]["momentum_buffer"].numpy()
    assert X.check_sgd_step(torch_step).passed


# ----------------------------------------------------------------- the catalogue

def _captured_cases(monkeypatch, checker, fn, **kw):
    seen = {}

    def capture(name, fn_, cases, call, names, **_):
        seen.update(cases=cases, call=call, names=names)
    monkeypatch.setattr(_engine, "run", capture)
    getattr(X, checker)(fn, **kw)
    monkeypatch.undo()
    return seen["cases"], seen["names"]


def _all_params(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
    return None


CHECKERS = [
    ("check_conv_backward", _all_params, {}),
    ("check_conv_forward", lambda x, w, b, stride=1, padding=0, dilation=1, groups=1: 0, {}),
    ("check_conv_transpose",
     lambda x, w, stride=1, padding=0, output_padding=0, dilation=1, groups=1: 0, {}),
    ("check_pool_backward", None, dict(kind="max")),
    ("check_pool_backward", None, dict(kind="avg")),
    ("check_relu_backward", None, {}), ("check_dilate", None, {}), ("check_flip", None, {}),
    ("check_backward_padding", None, {}), ("check_output_size", None, {}),
    ("check_correlate1d", None, {}), ("check_convolve1d", None, {}),
    ("check_linear_backward", None, {}), ("check_softmax_cross_entropy", None, {}),
    ("check_sgd_step", None, {}),
]


@pytest.mark.parametrize("checker, fn, kw", CHECKERS, ids=lambda v: str(v)[:30])
def test_every_generated_mistake_is_named_and_distinct(monkeypatch, checker, fn, kw):
    """A learner returning exactly a generated mistake gets that mistake's id, and no
    two mistakes with different ids agree on every output of every case."""
    cases, names = _captured_cases(monkeypatch, checker, fn or (lambda *a, **k: 0), **kw)
    keys = list(cases[0].wrong)
    assert all(list(c.wrong) == keys for c in cases)
    assert {k[0] for k in keys} == set(CATALOGUE[checker]) - (
        {"max_all_ties"} if kw.get("kind") == "avg" else
        {"avg_wrong_count"} if kw.get("kind") == "max" else set())
    for key in keys:
        def replay(_fn, case, key=key):
            return {k: np.asarray(case.wrong[key][k], dtype=float) for k in names}
        r = _engine.run(checker, replay, list(cases), replay, names, covered="")
        assert not r.passed and r.mistake == key[0], f"{key}:\n{r.message}"
        for other in keys:
            if other[0] != key[0]:
                assert not all(_engine.close(np.asarray(c.wrong[key][k], dtype=float),
                                             c.wrong[other][k])
                               for c in cases for k in names), (key, other)


def test_catalogue_labels_are_chapters():
    ids = {"stride_ignored", "kernel_not_flipped", "leftover_rows",
           "overwrite_not_accumulate", "bias_mean", "stride_dilation_swapped",
           "height_width_swapped", "batch_not_summed"}
    assert ids <= set(CATALOGUE["check_conv_backward"])
    assert {"max_all_ties", "overwrite_not_accumulate",
            "avg_wrong_count"} <= set(CATALOGUE["check_pool_backward"])
    for checker, table in CATALOGUE.items():
        assert hasattr(X, checker)
        for mid, m in table.items():
            assert m.id == mid and m.label in CHAPTERS and m.explanation


def test_catalogue_labels_resolve_in_existing_chapters():
    """Each label's chapter, when it exists, starts with that label. Chapters not yet
    written are skipped here (the book's own tests check them once they exist)."""
    import json
    checked = 0
    for label, path in CHAPTERS.items():
        f = ROOT / path
        if not f.exists():
            continue
        first = json.loads(f.read_text())["cells"][0]
        assert "".join(first["source"]).splitlines()[0] == f"({label})=", path
        checked += 1
    assert checked >= 7


def test_readme_example_checks_a_function():
    import re
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    ns = {}
    exec(compile("\n".join(blocks), "README.md", "exec"), ns)  # noqa: S102
    assert ns["result"].passed and ns["result"].mistake is None


def test_signatures_show_where_each_mistake_appears():
    cases, rows = X.signatures(X.check_pool_backward, kind="max")
    table = {(m, v): diff for m, v, diff in rows}
    assert len(cases) == 3 and all(len(d) == 3 for d in table.values())
    # the non-overlapping case hides '=' for '+='; the case without ties hides all-ties
    assert table["overwrite_not_accumulate", "window"].count("") == 1
    assert table["max_all_ties", "all"].count("") == 1


def test_learner_warnings_do_not_leak(recwarn):
    def noisy(dy, x, w, stride=1, padding=0):
        import warnings
        warnings.warn("a learner's warning")
        return np.log(-np.ones(x.shape)), w, w[:, 0, 0, 0]
    r = X.check_conv_backward(noisy)
    assert not r.passed and "NaN" in flat(r.message) and len(recwarn) == 0


def test_convbp_nn_passes_the_network_checkers():
    nn = pytest.importorskip("convbp.nn")
    assert X.check_softmax_cross_entropy(nn.softmax_cross_entropy).passed

    def linear_backward(dy, x, w):
        layer = nn.Linear(w.shape[1], w.shape[0], rng=0)
        layer.w = w
        layer.forward(x)
        dx = layer.backward(dy)
        return dx, layer.dw, layer.db

    def relu_backward(dy, x):
        relu = nn.ReLU()
        relu.forward(x)
        return relu.backward(dy)

    def sgd_step(w, dw, v, *, lr, momentum, weight_decay):
        layer = nn.Linear(w.shape[-1], 1, bias=False, rng=0)
        layer.w, layer.dw = w.copy(), dw
        opt = nn.SGD(layer, lr, momentum=momentum, weight_decay=weight_decay)
        if np.any(v):
            opt.buffers[0] = v.copy()
        opt.step()
        return layer.w, opt.buffers[0]

    assert X.check_linear_backward(linear_backward).passed
    assert X.check_relu_backward(relu_backward).passed
    assert X.check_sgd_step(sgd_step).passed
