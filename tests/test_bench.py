"""benchmarks/bench.py runs, reports the expected columns and measures memory; no timing
asserts. The harness is not part of the installed package: it is loaded from its file."""

import importlib.util
import math
import pathlib
import sys

import numpy as np
import pytest

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"
_spec = importlib.util.spec_from_file_location("convbp_bench", _PATH)
bench = importlib.util.module_from_spec(_spec)
sys.modules["convbp_bench"] = bench              # dataclasses look their module up here
_spec.loader.exec_module(bench)
from convbp.geometry import conv_geometry


def test_quick_run_without_torch_prints_the_numpy_table(capsys):
    assert bench.main(["--quick", "--no-torch", "--reps", "1", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("layer"))
    for column in bench.COLUMNS[:9]:
        assert column in header
    assert "torch" not in header and "no PyTorch columns" in out
    for layer in bench.QUICK:
        assert layer.label() in out
    assert "bwd x ref (min)" in out and "mem (max)" in out


def test_markdown_table(capsys):
    bench.main(["--quick", "--no-torch", "--no-jax", "--reps", "1", "--rounds", "1",
                "--markdown"])
    lines = capsys.readouterr().out.splitlines()
    table = [line for line in lines if line.startswith("|")]
    assert table[0] == "| " + " | ".join(bench.COLUMNS[:9]) + " |"
    assert len(table) == 2 + len(bench.QUICK)
    assert all(line.count("|") == 10 for line in table)


def _fake_result(with_torch, with_jax=False):
    layers = [bench.QUICK[0], bench.Layer("x", 1, 2, 2, (5,), (3,), extra=True)]
    times = [{"forward": 2e-3, "backward": 4e-3}, {"forward": 1e-3, "backward": 1e-3}]
    torch = [{"forward": 1e-3, "backward": 4e-3}, {"forward": 1e-4, "backward": 1e-4}]
    jax = [{"forward": 4e-3, "backward": 2e-3}, {"forward": 1e-4, "backward": 1e-4}]
    return {"layers": layers, "numpy": times, "torch": torch if with_torch else None,
            "jax": jax if with_jax else None,
            "memory": [1.5, 9.0], "reference": [(300.0, 200.0), (1.0, 1.0)]}


def test_table_with_torch_and_summary_over_the_target_suite():
    result = _fake_result(True)
    text = bench.format_table(result)
    header = text.splitlines()[0]
    for column in bench.COLUMNS[:13]:
        assert column in header
    summary = bench.summary(result)
    # the extra layer (ratio 10, memory 9) is reported but not part of the summary
    assert summary["fwd /torch geomean"] == pytest.approx(2.0)
    assert summary["bwd /torch worst"] == pytest.approx(1.0)
    assert summary["mem (max)"] == 1.5 and summary["fwd x ref (min)"] == 300.0
    assert "(extra)" in text
    assert "fwd /torch" not in bench.format_table(_fake_result(False))
    assert "jax" not in bench.format_table(result)


def test_jax_columns_and_group_summary():
    result = _fake_result(True, with_jax=True)
    result["layers"] = [result["layers"][0],
                        bench.Layer("y", 1, 2, 2, (5,), (3,), group="first")]
    text = bench.format_table(result, markdown=True)
    for column in bench.COLUMNS:
        assert column in text.splitlines()[0]
    summary = bench.summary(result)
    assert summary["fwd /jax geomean, large"] == pytest.approx(0.5)
    assert summary["bwd /jax geomean, large"] == pytest.approx(2.0)
    assert summary["fwd /torch geomean, first"] == pytest.approx(10.0)
    assert summary["fwd /torch geomean"] == pytest.approx(math.sqrt(20.0))
    assert summary["fwd /torch worst"] == pytest.approx(10.0)


def test_select_groups():
    assert bench.select(quick=True) == bench.QUICK
    assert bench.select() == bench.SUITE
    only = bench.select(groups=["grouped", "depthwise"])
    assert only and {l.group for l in only} == {"grouped", "depthwise"}
    assert set(bench.GROUPS) == {l.group for l in bench.SUITE}


def test_time_layers_returns_every_repetition():
    times = bench.time_layers(bench.QUICK, "numpy", reps=2)
    assert len(times) == len(bench.QUICK)
    for t in times:
        assert len(t["forward"]) == len(t["backward"]) == 2
        assert all(v > 0 for v in t["forward"] + t["backward"])


@pytest.mark.parametrize("layer", bench.QUICK + bench.SUITE[:2], ids=lambda l: l.name)
def test_peak_memory_ratio_is_finite_and_positive(layer):
    if layer in bench.SUITE:
        layer = bench.shrink(layer)          # keep the test fast
    ratio = bench.peak_memory_ratio(layer)
    assert math.isfinite(ratio) and ratio > 0


@pytest.mark.parametrize("layer", bench.SUITE, ids=lambda l: l.name)
def test_shrunken_layer_keeps_the_geometry(layer):
    small = bench.shrink(layer)
    geom, gs = layer.geometry(), small.geometry()
    assert gs.remainder == geom.remainder
    assert (small.kernel, small.stride, small.padding, small.dilation) == \
        (layer.kernel, layer.stride, layer.padding, layer.dilation)
    assert all(o <= 6 for o in gs.out_size) and small.n == 1
    assert small.c_in % small.groups == 0 and small.c_out % small.groups == 0
    assert small.flops <= layer.flops
    assert conv_geometry("t", small.size, small.kernel, small.stride, small.padding,
                         small.dilation) == gs


def test_reference_speedup_is_positive():
    fwd, bwd = bench.reference_speedup(bench.QUICK[1], 1e-3, 1e-3)
    assert fwd > 0 and bwd > 0


def test_suite_covers_what_the_targets_name():
    layers = [l for l in bench.SUITE if not l.extra]
    assert {l.stride for l in layers} >= {1, 2}
    assert any(l.kernel == (5, 5) and l.stride == 2 for l in layers)
    assert any(l.dilation == 2 for l in layers)
    assert any(max(l.geometry().remainder) > 0 for l in layers)      # leftover rows
    assert min(l.c_in for l in layers) <= 4 and max(l.c_in for l in layers) >= 256
    assert min(l.n for l in layers) == 8 and max(l.n for l in layers) == 128
    # the layer groups of the second performance issue
    assert any(l.c_in <= 3 and l.c_out <= 32 and l.size == (8, 8) for l in layers)
    assert {l.stride for l in layers if l.group == "strided"} >= {2, 3}
    assert {l.kernel[0] for l in layers if l.group == "strided"} >= {2, 3, 4, 5}
    assert any(l.groups == 32 and l.c_in // l.groups > 1 for l in layers)
    assert any(l.groups == l.c_in for l in layers if l.group == "depthwise")


_TS_PATH = _PATH.parent / "train_step.py"
_ts_spec = importlib.util.spec_from_file_location("convbp_train_step", _TS_PATH)
train_step = importlib.util.module_from_spec(_ts_spec)
sys.modules["convbp_train_step"] = train_step
_ts_spec.loader.exec_module(train_step)


def test_train_step_quick_run_without_torch(capsys):
    assert train_step.main(["--quick", "--no-torch", "--reps", "1", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "tiny" in out and "convbp ms" in out and "/torch" not in out


@pytest.mark.parametrize("net", train_step.NETWORKS, ids=lambda n: n.name)
def test_train_step_networks_match_torch(net):
    """The convbp.nn and torch.nn networks are the same function: with the convbp
    weights copied over, the logits agree; a convbp step lowers nothing it should not
    (the loss is finite and the parameters move)."""
    torch = pytest.importorskip("torch")
    model = train_step.convbp_model(net)
    tmodel = train_step.torch_model(net)
    ours = [getattr(layer, name) for layer, name in model.parameters()]
    theirs = list(tmodel.parameters())
    assert [p.shape for p in ours] == [tuple(p.shape) for p in theirs]
    with torch.no_grad():
        for p, q in zip(ours, theirs):
            q.copy_(torch.from_numpy(p))
    x, _ = train_step._batch(net)
    np.testing.assert_allclose(model.forward(x), tmodel(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    step = train_step.convbp_step(net)
    before = step()
    assert np.isfinite(before) and np.isfinite(step())
