"""convbp.viz.timing: the benchmark figures draw exactly the stored numbers."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from convbp.viz import timing

STORED = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "loops_to_fast.json"


def _result():
    rng = np.random.default_rng(3)
    sizes = []
    for n in (8, 16, 32, 64):
        t = rng.uniform(1, 2, size=3) * n * n
        sizes.append({"size": n, "macs": 9 * n * n,
                      "reference": None if n > 16 else 1e-3 * t[0],
                      "recipe": 1e-6 * t[1], "fast": 1e-7 * t[2]})
    strides = [{"stride": s, "macs_fast": 100 // s ** 2, "macs_recipe": 100 + s,
                "recipe": float(rng.uniform(1, 2)), "fast": float(rng.uniform(0.1, 1))}
               for s in (1, 2, 3)]
    memory = [{"n_batch": n, "x_bytes": 1000 * n, "extra_bytes": 1500 * n + 7,
               "im2col_bytes": 9000 * n} for n in (1, 2, 4, 8)]
    return {"machine": {"cpu": "test"}, "date_utc": "2026-11-29 21:00",
            "sizes": {"layer": {"c_in": 8, "c_out": 8, "k": 3, "stride": 2}, "rows": sizes},
            "strides": {"layer": {"size": 64}, "rows": strides},
            "memory": {"layer": {}, "rows": memory}}


def test_sizes_figure_draws_each_method_and_skips_missing_loops():
    result = _result()
    ax = timing.sizes_figure(result).axes[0]
    lines = {line.get_label(): line for line in ax.lines}
    assert set(lines) == {label for label, _, _ in timing.METHOD_STYLE.values()}
    for name, (label, _, _) in timing.METHOD_STYLE.items():
        rows = [r for r in result["sizes"]["rows"] if r[name] is not None]
        x, y = lines[label].get_data()
        assert list(x) == [r["size"] for r in rows]
        np.testing.assert_allclose(y, [1e3 * r[name] for r in rows])
    assert len(lines[timing.METHOD_STYLE["reference"][0]].get_xdata()) == 2
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert "C 8\u21928" in ax.get_xlabel() and "s 2" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["8", "16", "32", "64"]


def test_strides_figure_bars_are_the_two_ratios():
    result = _result()
    ax = timing.strides_figure(result).axes[0]
    heights = [p.get_height() for p in ax.patches]
    rows = result["strides"]["rows"]
    np.testing.assert_allclose(heights[:3], [r["recipe"] / r["fast"] for r in rows])
    np.testing.assert_allclose(heights[3:], [r["macs_recipe"] / r["macs_fast"] for r in rows])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["s = 1", "s = 2", "s = 3"]


def test_memory_figure_lines_are_mib():
    result = _result()
    ax = timing.memory_figure(result).axes[0]
    rows = result["memory"]["rows"]
    ys = [line.get_ydata() for line in ax.lines]
    for key, y in zip(("im2col_bytes", "extra_bytes", "x_bytes"), ys):
        np.testing.assert_allclose(y, [r[key] / 2 ** 20 for r in rows])
    assert ax.get_xscale() == "log"


@pytest.mark.parametrize("break_it,message", [
    (lambda r: r.pop("date_utc"), "lacks 'date_utc'"),
    (lambda r: r["strides"].update(rows=[]), r"\['strides'\]\['rows'\] must be"),
    (lambda r: r["memory"]["rows"][1].pop("x_bytes"), r"\['memory'\]\['rows'\]\[1\] lacks"),
])
def test_malformed_results_are_named(break_it, message):
    result = copy.deepcopy(_result())
    break_it(result)
    for draw in (timing.sizes_figure, timing.strides_figure, timing.memory_figure):
        with pytest.raises(ValueError, match=message):
            draw(result)
    with pytest.raises(TypeError, match="must be a dict, got list"):
        timing.check_benchmark([])


def test_stored_result_is_documented_and_drawable():
    result = timing.check_benchmark(json.loads(STORED.read_text()))
    machine = result["machine"]
    for key in ("cpu", "logical_cpus", "python", "numpy", "commit", "blas_threads",
                "load_average_before", "load_average_after"):
        assert machine.get(key) not in (None, ""), key
    assert result["note"] and result["statistic"]
    # the loops ran on the smallest images, every method on every image of its range
    rows = result["sizes"]["rows"]
    assert rows[0]["reference"] is not None and all(r["fast"] > 0 for r in rows)
    for draw in (timing.sizes_figure, timing.strides_figure, timing.memory_figure):
        assert draw(result).axes
