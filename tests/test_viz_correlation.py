"""convbp.viz.correlation: the correlation / convolution pictures show what NumPy computes."""

import re

import numpy as np
import pytest
from matplotlib.colors import to_hex

import convbp
from convbp import viz
from convbp.viz.correlation import correlation_figure, correlation_taps, rotation_figure

# (n, k): kernel shorter, equal, length 1, and a long kernel on a short input (full only)
SIZES = [(6, 3), (5, 2), (4, 4), (7, 1), (1, 1), (3, 5)]
MODES = ["valid", "full"]
LABEL = re.compile(r"^\$(?P<name>[^_$]+)_\{(?P<idx>-?\d+)\}\$$")


def _oracle(flipped):
    return np.convolve if flipped else np.correlate


def _cases():
    for n, k in SIZES:
        for mode in MODES:
            if mode == "valid" and k > n:
                continue
            yield n, k, mode


def _numpy_position(i, k, mode, flipped):
    """Where NumPy stores output ``i`` of the defining formula."""
    if flipped:                       # np.convolve: full starts at i = 0, valid at i = k - 1
        return i if mode == "full" else i - (k - 1)
    return i + (k - 1) if mode == "full" else i   # np.correlate: full starts at lag -(k-1)


@pytest.mark.parametrize("n,k,mode", list(_cases()), ids=str)
@pytest.mark.parametrize("flipped", [False, True])
def test_taps_sum_to_numpy(n, k, mode, flipped):
    """Summing x[a] * w[m] over the taps reproduces np.correlate / np.convolve entry by entry."""
    rng = np.random.default_rng(n * 10 + k)
    x, w = rng.normal(size=n), rng.normal(size=k)
    want = _oracle(flipped)(x, w, mode=mode)
    rows = correlation_taps(n, k, mode=mode, flipped=flipped)
    assert len(rows) == len(want)
    for pos, (i, pairs) in enumerate(rows):
        assert _numpy_position(i, k, mode, flipped) == pos
        assert sorted(m for _, m in pairs) == list(range(k))        # every tap once
        got = sum(x[a] * w[m] for a, m in pairs if 0 <= a < n)
        assert np.isclose(got, want[pos], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n,k,mode", list(_cases()), ids=str)
def test_taps_follow_index_formulas(n, k, mode):
    """Correlation: a = i + m. Convolution: a = i - m, i.e. the flipped kernel on the same cells."""
    corr = correlation_taps(n, k, mode=mode)
    conv = correlation_taps(n, k, mode=mode, flipped=True)
    for (i, pc), (j, pv) in zip(corr, conv):
        assert all(a == i + m for a, m in pc)
        assert all(a == j - m for a, m in pv)
        assert j == i + k - 1
        assert [a for a, _ in pc] == [a for a, _ in pv]
        assert [m for _, m in pv] == list(np.flip([m for _, m in pc]))


def _strips(ax):
    """Cell labels of every strip (top to bottom), "" for an unlabelled cell."""
    rows = {}
    for t in ax.texts:
        if t.get_ha() == "center" and t.get_va() == "center":
            x, y = t.get_position()
            rows.setdefault(round(y, 3), {})[int(round(x - 0.5))] = t.get_text()
    width = max(max(r) for r in rows.values()) + 1
    return [[r.get(c, "") for c in range(width)] for _, r in sorted(rows.items())]


def _row_names(ax):
    return [t.get_text() for t in sorted(ax.texts, key=lambda t: t.get_position()[1])
            if t.get_ha() == "right"]


@pytest.mark.parametrize("n,k,mode", list(_cases()), ids=str)
def test_figure_labels_compute_numpy(n, k, mode):
    """Read the figure's cell labels back and evaluate them: they give NumPy's result."""
    rng = np.random.default_rng(7)
    x, w = rng.normal(size=n), rng.normal(size=k)
    fig = correlation_figure(n, k, mode=mode)
    assert len(fig.axes) == 2
    pad = k - 1 if mode == "full" else 0
    for ax, flipped, sym in zip(fig.axes, (False, True), (r"\star", r"\ast")):
        header, *strips = _strips(ax)
        want_header = ["0"] * pad + [f"$x_{{{a}}}$" for a in range(n)] + ["0"] * pad
        assert header == want_header
        names = _row_names(ax)
        want = _oracle(flipped)(x, w, mode=mode)
        assert len(strips) == len(names) == len(want)
        for strip, name in zip(strips, names):
            i = int(re.fullmatch(rf"\$\(x {re.escape(sym)} w\)_\{{(-?\d+)\}}\$", name).group(1))
            total = 0.0
            for col, label in enumerate(strip):
                if label:
                    m = int(LABEL.match(label).group("idx"))
                    a = col - pad
                    assert a == (i - m if flipped else i + m)
                    total += x[a] * w[m] if 0 <= a < n else 0.0
            assert np.isclose(total, want[_numpy_position(i, k, mode, flipped)])


def test_figure_colours_and_single_output():
    fig = correlation_figure(5, 3, mode="full", output=2, names=(r"\delta", "w"))
    for ax in fig.axes:
        header, strip = _strips(ax)
        assert header == ["0", "0"] + [f"$\\delta_{{{a}}}$" for a in range(5)] + ["0", "0"]
        assert sum(bool(s) for s in strip) == 3
        window = [p for p in ax.patches if to_hex(p.get_facecolor()) == viz.COLORS["window"]]
        pad = [p for p in ax.patches if to_hex(p.get_facecolor()) == viz.COLORS["pad"]]
        assert len(window) == 3
        assert len(pad) == 8   # k - 1 = 2 zeros on each side, in the header and in the strip
    left, right = fig.axes
    assert _strips(left)[1][2:5] == ["$w_{0}$", "$w_{1}$", "$w_{2}$"]
    assert _strips(right)[1][2:5] == ["$w_{2}$", "$w_{1}$", "$w_{0}$"]
    assert _row_names(left) == [r"$(\delta \star w)_{0}$"]
    assert _row_names(right) == [r"$(\delta \ast w)_{2}$"]


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (1, 3), (4,), 3])
def test_rotation_figure_is_flip(shape):
    fig = rotation_figure(shape)
    assert len(fig.axes) == 2
    k = (shape,) if isinstance(shape, int) else shape
    k2 = (1, k[0]) if len(k) == 1 else k
    orig, rot = (np.array(_strips(ax), dtype=object) for ax in fig.axes)
    # independent oracle: a 180-degree rotation of the label array
    assert orig.shape == rot.shape == k2
    np.testing.assert_array_equal(rot, np.rot90(orig, 2))
    taps = list(np.ndindex(*k))
    assert list(orig.ravel()) == [viz.subscript("w", t) for t in taps]
    # and cell (i, j) of the rotation holds w_{k1-1-i, k2-1-j}
    for t in taps:
        cell = tuple(kk - 1 - tt for kk, tt in zip(k, t))
        cell2 = (0, *cell) if len(k) == 1 else cell
        assert rot[cell2] == viz.subscript("w", t)


def test_rotation_matches_convbp_flip_numbers():
    """Sanity of the picture's meaning: convbp.flip reverses every spatial axis."""
    w = np.arange(6.0).reshape(1, 1, 2, 3)
    np.testing.assert_array_equal(convbp.flip(w)[0, 0], np.rot90(w[0, 0], 2))


@pytest.mark.parametrize("kwargs,match", [
    (dict(input_size=3, kernel_size=4), r"correlation_figure: kernel_size must be at most "
                                        r"input_size in mode 'valid', got kernel_size 4"),
    (dict(input_size=0, kernel_size=1), r"correlation_figure: input_size must be a positive int"),
    (dict(input_size=4, kernel_size=0), r"correlation_figure: kernel_size must be a positive int"),
    (dict(input_size=4, kernel_size=2, mode="same"), r"correlation_figure: mode must be 'valid' "
                                                     r"or 'full', got 'same'"),
    (dict(input_size=4, kernel_size=2, output=3), r"correlation_figure: output must be None or an "
                                                  r"int with 0 <= output < 3"),
    (dict(input_size=4, kernel_size=2, output=-1), r"correlation_figure: output must be"),
    (dict(input_size=4, kernel_size=2, names=("x",)), r"correlation_figure: names must be two"),
    (dict(input_size=4, kernel_size=2, names=("x", "")), r"correlation_figure: names must be two"),
    (dict(input_size=(4, 4), kernel_size=2), r"correlation_figure: input_size must be"),
])
def test_correlation_figure_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        correlation_figure(**kwargs)


def test_other_errors():
    with pytest.raises(TypeError, match="correlation_figure: input_size must be a positive int"):
        correlation_figure(4.0, 2)
    with pytest.raises(TypeError, match="correlation_taps: flipped must be True or False"):
        correlation_taps(4, 2, flipped="yes")
    with pytest.raises(ValueError, match="correlation_taps: mode must be"):
        correlation_taps(4, 2, mode="same")
    with pytest.raises(ValueError, match=r"rotation_figure: kernel_size must be an int or a tuple "
                                         r"of 1 or 2 ints, got \(2, 2, 2\)"):
        rotation_figure((2, 2, 2))
    with pytest.raises(ValueError, match="rotation_figure: kernel_size must be a positive int"):
        rotation_figure((2, 0))
    with pytest.raises(ValueError, match="rotation_figure: name must be a non-empty string"):
        rotation_figure(2, name="")


def test_figures_render_to_png():
    for fig in (correlation_figure(4, 2), rotation_figure((2, 2))):
        img = viz.show_figure(fig)
        assert img.data[:8] == b"\x89PNG\r\n\x1a\n"
