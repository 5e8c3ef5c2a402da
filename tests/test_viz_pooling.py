"""convbp.viz.pooling: the routes and the figure show what the backward functions compute."""

import numpy as np
import pytest

import convbp
from convbp.viz.pooling import pool_routes, pool_routing_figure

CASES = [((7,), 3, 2), ((8,), 2, None), ((9,), 2, 3), ((5, 5), 2, None),
         ((5, 6), (3, 2), (2, 1))]
BACKWARD = {
    "max": convbp.max_pool_backward,
    "avg": convbp.avg_pool_backward,
    "lp": lambda dy, x, k, s: convbp.lp_pool_backward(dy, x, 3, k, s),
}


@pytest.mark.parametrize("kind", ["max", "avg", "lp"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_routes_reproduce_the_backward(case, kind):
    size, k, s = case
    rng = np.random.default_rng(len(size) + 10 * len(kind))
    x = rng.uniform(0.1, 3.0, size)
    routes = pool_routes(x, kind, k, s, norm_type=3)
    out = tuple(max(o for o, _a, _w in routes)[i] + 1 for i in range(len(size)))
    dy = rng.standard_normal(out)
    dx = np.zeros(size)
    for o, a, w in routes:
        dx[a] += w * dy[o]
    want = BACKWARD[kind](dy[None, None], x[None, None], k, s)[0, 0]
    np.testing.assert_allclose(dx, want, rtol=1e-12, atol=1e-15)
    per_output = {}
    for o, _a, w in routes:
        per_output.setdefault(o, []).append(w)
    kk = int(np.prod((k,) * len(size) if isinstance(k, int) else k))
    if kind == "max":
        assert all(ws == [1.0] for ws in per_output.values())
    if kind == "avg":
        assert all(np.allclose(ws, 1 / kk) and len(ws) == kk for ws in per_output.values())


def test_routes_follow_the_tie_rule():
    assert pool_routes([2.0, 2.0, 1.0, 1.0], "max", 2) == [((0,), (0,), 1.0),
                                                           ((1,), (2,), 1.0)]


def _texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_figure_1d_shows_the_accumulated_gradient():
    x, dy = [1, 2, 5, 0, 3, 4, 1, 2], [1, 10, 100]
    fig = pool_routing_figure(x, dy, "max", 3, stride=2)
    dx = convbp.max_pool_backward(np.array(dy, float)[None, None],
                                  np.array(x, float)[None, None], 3, 2)[0, 0]
    texts = _texts(fig)
    assert texts[-9:-1] == [f"{v:.3g}" for v in dx]     # the last strip is dx
    assert "11" in texts and len(fig.axes) == 1
    # one outlined cell: x[2] wins two windows, its gradients add
    thick = [p for p in fig.axes[0].patches if p.get_linewidth() > 2]
    assert [p.get_xy()[0] for p in thick] == [2]


def test_figure_2d_outlines_every_window():
    x = np.arange(25.0).reshape(5, 5) % 7
    fig = pool_routing_figure(x, [[1, 2], [3, 4]], "avg", 2)
    thick = [p for p in fig.axes[0].patches if p.get_linewidth() > 2]
    assert len(thick) == 4                              # no overlap: no shared cell
    assert "0.25" in _texts(fig) and "1" in _texts(fig)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"pool_routes: kind must be one of"):
        pool_routes([1.0, 2.0], "min", 2)
    with pytest.raises(ValueError, match=r"pool_routing_figure: x must be one channel"):
        pool_routing_figure(np.ones((1, 1, 4)), [[[1.0, 1.0]]], "max", 2)
    with pytest.raises(ValueError, match=r"pool_routing_figure: dy must have the output"):
        pool_routing_figure([1.0, 2.0, 3.0, 4.0], [1.0], "max", 2)
