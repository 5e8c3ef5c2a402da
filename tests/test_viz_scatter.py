"""convbp.viz.scatter: the stamps of the scatter picture sum to the input gradient."""

import numpy as np
import pytest
from matplotlib.colors import to_hex

import convbp
from convbp.viz import COLORS
from convbp.viz.scatter import scatter_figure, scatter_terms

GEOMS = [  # n, k, stride, padding, dilation
    (8, 3, 2, 0, 1),            # a real leftover row
    (5, 3, 2, 0, 1),            # no leftover, shared row
    (7, 2, 3, 0, 1),            # stride > kernel: gaps
    (7, 3, 2, ((1, 2),), 1),    # asymmetric padding: dropped taps
    (9, 3, 2, 0, 2),            # stride = dilation: odd rows never read
    (6, 3, 1, 1, 1),            # stride 1, 'same'
    (4, 1, 4, ((3, 0),), 1),    # 1x1 kernel, windows inside padding
    (1, 3, 1, 1, 1),            # size-1 input
]


def _dx_from_stamps(geo, dy, w):
    n, k, s, p, d = geo
    dx = np.zeros(n)
    for o, pairs in enumerate(scatter_terms(n, k, s, p, d)):
        for a, m in pairs:
            if 0 <= a < n:
                dx[a] += dy[o] * w[m]
    return dx


@pytest.mark.parametrize("geo", GEOMS, ids=str)
def test_stamps_sum_to_conv_backward(geo):
    n, k, s, p, d = geo
    rng = np.random.default_rng(n * 100 + k * 10 + s)
    x = rng.normal(size=(1, 1, n))
    w = rng.normal(size=(1, 1, k))
    y = convbp.conv(x, w, stride=s, padding=p, dilation=d)
    dy = rng.normal(size=y.shape)
    want = convbp.conv_backward(dy, x, w, stride=s, padding=p, dilation=d).dx
    got = _dx_from_stamps(geo, dy[0, 0], w[0, 0])
    np.testing.assert_allclose(got, want[0, 0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("geo", GEOMS, ids=str)
def test_stamps_are_the_rows_of_the_conv_matrix(geo):
    """Row o of the dense Jacobian C (Y = C X) holds W_m at the stamp positions."""
    n, k, s, p, d = geo
    rng = np.random.default_rng(7)
    w = rng.normal(size=(1, 1, k))
    eye = np.eye(n).reshape(n, 1, n)           # n unit inputs as a batch
    C = convbp.conv(eye, w, stride=s, padding=p, dilation=d)[:, 0, :].T
    for o, pairs in enumerate(scatter_terms(n, k, s, p, d)):
        row = np.zeros(n)
        for a, m in pairs:
            if 0 <= a < n:
                row[a] += w[0, 0, m]
        np.testing.assert_allclose(row, C[o], rtol=0, atol=1e-15)


def _bottom_strip(fig, n):
    """The cells and labels of the last strip (dL/dX) in drawing order."""
    ax = fig.axes[0]
    cells = ax.patches[-n:]
    return cells


def test_figure_numbers_are_the_gradient_and_hatches_the_unread():
    n, k, s = 8, 3, 2
    dy, w = np.array([1.0, -1.0, 2.0]), np.array([1.0, 2.0, 3.0])
    fig = scatter_figure(n, k, stride=s, dy=dy, w=w)
    want = convbp.conv_backward(dy[None, None], np.zeros((1, 1, n)),
                                w[None, None], stride=s).dx[0, 0]
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    # the bottom strip's labels follow the last row name
    start = texts.index(r"$\partial L/\partial X$") - n
    sums = [float(t.replace("\u2212", "-")) for t in texts[start:start + n]]
    np.testing.assert_allclose(sums, want)
    cells = _bottom_strip(fig, n)
    hatched = [i for i, c in enumerate(cells) if c.get_hatch()]
    assert hatched == [7]
    assert to_hex(cells[7].get_facecolor()) == to_hex(COLORS["leftover"])
    # the stamps: O rows of k kernel-coloured cells
    stamps = [p for p in ax.patches[:-n]
              if to_hex(p.get_facecolor()) == to_hex(COLORS["kernel"])]
    assert len(stamps) == 3 * k


def test_figure_counts_terms_without_values():
    fig = scatter_figure(9, 3, stride=2, dilation=2)
    texts = [t.get_text() for t in fig.axes[0].texts]
    start = texts.index("terms") - 9
    counts = [int(t) for t in texts[start:start + 9]]
    assert counts == [1, 0, 2, 0, 3, 0, 2, 0, 1]
    hatched = [i for i, c in enumerate(_bottom_strip(fig, 9)) if c.get_hatch()]
    assert hatched == [1, 3, 5, 7]


@pytest.mark.parametrize("kwargs,match", [
    (dict(dy=[1.0, 2.0, 3.0]), "pass both dy and w"),
    (dict(dy=[1.0, 2.0], w=[1.0, 2.0, 3.0]), r"dy must have shape \(3,\)"),
    (dict(dy=[1.0, 2.0, 3.0], w=[1.0, 2.0]), r"w must have shape \(3,\)"),
])
def test_figure_errors(kwargs, match):
    with pytest.raises(ValueError, match="scatter_figure: " + match):
        scatter_figure(8, 3, stride=2, **kwargs)


def test_terms_errors():
    with pytest.raises(ValueError, match="scatter_terms: input_size must be one int"):
        scatter_terms((4, 4), 3)
    with pytest.raises(ValueError, match="scatter_terms"):
        scatter_terms(2, 3)   # the kernel does not fit
