"""convbp.viz.chain: the chain figure shows the shapes a real forward pass produces."""

import numpy as np
import pytest

from convbp import nn
from convbp.viz.chain import chain_figure, chain_steps


def _model():
    rng = np.random.default_rng(0)
    return nn.Sequential(nn.Conv(1, 3, 3, stride=2, padding=1, rng=rng), nn.ReLU(),
                         nn.MaxPool(2, stride=1), nn.AvgPool(2), nn.LPPool(2, 2),
                         nn.Flatten(), nn.Linear(3, 2, rng=rng))


def test_steps_are_the_shapes_of_a_real_forward_and_leave_the_model_alone():
    model = _model()
    x = np.random.default_rng(1).standard_normal((2, 1, 11, 11))
    steps = chain_steps(model, x.shape)
    a, shapes = x, []
    for layer in model.layers:
        a = layer.forward(a)
        shapes.append(a.shape)
    assert [s.out_shape for s in steps] == shapes
    assert [s.name for s in steps] == ["Conv", "ReLU", "MaxPool", "AvgPool", "LPPool",
                                       "Flatten", "Linear"]
    assert "dilate" in steps[0].backward          # stride 2
    fresh = _model()
    chain_steps(fresh, x.shape)
    with pytest.raises(ValueError, match="backward called before forward"):
        fresh.layers[0].backward(np.zeros((2, 3, 6, 6)))


def test_figure_labels():
    model = _model()
    fig = chain_figure(model, (2, 1, 11, 11))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[:3] == ["input", "2×1×11×11", "Conv"]
    assert "2×3×6×6" in texts and texts[-1] == "loss"
    assert sum(t == "route to\nthe winner" for t in texts) == 1


def test_bad_model():
    with pytest.raises(ValueError, match="chain_steps: model must have a non-empty list"):
        chain_steps(nn.ReLU(), (1, 1, 2))
