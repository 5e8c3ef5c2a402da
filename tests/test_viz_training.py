"""convbp.viz.training: the learning-curve figure draws the mean and the seed range."""

import numpy as np
import pytest
from matplotlib.colors import to_hex

from convbp.viz.training import (MODEL_COLORS, curve_stats, image_grid_figure,
                                 learning_curves_figure)


def _results(rng, models=("a", "b", "c"), seeds=3, epochs=5):
    return {m: [{"loss": rng.uniform(0.01, 2, size=epochs).tolist(),
                 "acc": rng.uniform(0.5, 1, size=epochs).tolist()} for _ in range(seeds)]
            for m in models}


METRICS = [("loss", "training loss"), ("acc", "test accuracy")]


def _band(ax, k):
    """Upper and lower edges of the k-th band, read back from its polygon."""
    path = ax.collections[k].get_paths()[0].vertices
    return path


def test_lines_are_the_seed_means_and_bands_the_seed_range():
    rng = np.random.default_rng(0)
    results = _results(rng, seeds=4, epochs=6)
    fig = learning_curves_figure(results, METRICS, log_metrics=("loss",))
    assert len(fig.axes) == 2
    for ax, (key, label) in zip(fig.axes, METRICS):
        assert ax.get_ylabel() == label and ax.get_xlabel() == "epoch"
        assert len(ax.lines) == 3 and len(ax.collections) == 3
        for k, (name, runs) in enumerate(results.items()):
            table = np.array([r[key] for r in runs])
            line = ax.lines[k]
            np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 7))
            np.testing.assert_allclose(line.get_ydata(), table.mean(axis=0), rtol=1e-15)
            assert to_hex(line.get_color()) == to_hex(MODEL_COLORS[k])
            verts = _band(ax, k)
            # fill_between's polygon visits (x, high) and (x, low) for every epoch
            for e in range(6):
                ys = verts[np.isclose(verts[:, 0], e + 1), 1]
                assert np.isclose(ys.min(), table[:, e].min())
                assert np.isclose(ys.max(), table[:, e].max())
    assert fig.axes[0].get_yscale() == "log" and fig.axes[1].get_yscale() == "linear"
    legend = [t.get_text() for t in fig.axes[-1].get_legend().get_texts()]
    assert legend == ["a (4 seeds)", "b (4 seeds)", "c (4 seeds)"]


def test_curve_stats_match_numpy():
    rng = np.random.default_rng(1)
    runs = _results(rng, models=("m",), seeds=5, epochs=4)["m"]
    table = np.array([r["acc"] for r in runs])
    mean, low, high = curve_stats(runs, "acc")
    np.testing.assert_allclose(mean, table.mean(0), rtol=1e-15)
    np.testing.assert_array_equal(low, table.min(0))
    np.testing.assert_array_equal(high, table.max(0))


def test_one_seed_gives_a_flat_band_and_models_may_differ_in_epochs():
    results = {"x": [{"acc": [0.5, 0.75]}], "y": [{"acc": [0.25, 0.5, 1.0]}] * 2}
    fig = learning_curves_figure(results, [("acc", "accuracy")])
    ax = fig.axes[0]
    assert ax.lines[0].get_ydata().tolist() == [0.5, 0.75]
    assert ax.lines[1].get_ydata().tolist() == [0.25, 0.5, 1.0]


@pytest.mark.parametrize("results,metrics,kw,pattern", [
    ({}, METRICS, {}, r"results must be a non-empty mapping"),
    ({"a": []}, METRICS, {}, r"model 'a'.*non-empty list of runs"),
    ({"a": [{"loss": [1.0]}]}, METRICS, {}, r"model 'a': run 0 has no metric 'acc'"),
    ({"a": [{"loss": [1, 2], "acc": [1, 2]}, {"loss": [1], "acc": [1]}]}, METRICS, {},
     r"model 'a': metric 'loss' must be .*same length.*\[\(2,\), \(1,\)\]"),
    ({"a": [{"acc": [1.0]}]}, [], {}, r"metrics must be a non-empty sequence"),
    ({"a": [{"acc": [1.0]}]}, [("acc",)], {}, r"metrics must be .*\(key, label\)"),
    ({"a": [{"acc": [1.0]}]}, [("acc", "x")], {"width": 0}, r"width must be a positive"),
])
def test_errors_name_the_function_and_parameter(results, metrics, kw, pattern):
    with pytest.raises(ValueError, match=r"learning_curves_figure: " + pattern):
        learning_curves_figure(results, metrics, **kw)


def test_image_grid_shows_every_image_with_its_label():
    rng = np.random.default_rng(2)
    images = rng.integers(0, 17, size=(13, 8, 8))
    labels = rng.integers(10, size=13)
    fig = image_grid_figure(images, labels, cols=5)
    assert len(fig.axes) == 13
    for i, ax in enumerate(fig.axes):
        np.testing.assert_array_equal(ax.images[0].get_array(), images[i])
        assert ax.get_title() == str(labels[i])
        # one colour scale for the whole set
        assert ax.images[0].get_clim() == (float(images.min()), float(images.max()))
    # 13 images in rows of 5: the first image of each row sits at the left
    lefts = sorted({round(ax.get_position().x0, 3) for ax in fig.axes})
    assert len(lefts) == 5


@pytest.mark.parametrize("args,kw,pattern", [
    ((np.zeros((2, 8)), [0, 1]), {}, r"images must be .*\(N, H, W\).*\(2, 8\)"),
    ((np.zeros((2, 8, 8)), [0]), {}, r"labels must have one entry per image \(2\), got 1"),
    ((np.zeros((2, 8, 8)), [0, 1]), {"cols": 0}, r"cols must be a positive int, got 0"),
])
def test_image_grid_errors(args, kw, pattern):
    with pytest.raises(ValueError, match=r"image_grid_figure: " + pattern):
        image_grid_figure(*args, **kw)
