r"""Benchmark of the fast convolution against the loop reference and PyTorch's CPU kernels.

Run from the repository root::

    python benchmarks/bench.py                 # the full suite, NumPy and (if importable) PyTorch
    python benchmarks/bench.py --quick         # two tiny layers, a few seconds
    python benchmarks/bench.py --markdown      # the table as Markdown (benchmarks/README.md)

For every layer of :data:`SUITE` (float32) it reports the median wall time of
:func:`convbp.conv` (with bias) and :func:`convbp.conv_backward` (``dx``, ``dw``, ``db``),
their GFLOP/s (``2 * N * C_out * C_in/G * prod(kernel) * prod(out)`` multiply-adds for
the forward pass, twice that for the backward pass), and:

* ``x ref``: how many times faster than the plain-loop :mod:`convbp.reference`. The loops
  would take hours on the real layers, so they run once on a shrunken copy (batch 1, at
  most 4 channels per group and 2 groups, at most 6 outputs per spatial dimension; same
  kernel, stride, dilation, padding and leftover rows) and their time is scaled up by the
  ratio of the FLOP counts.
* ``/torch``: our time divided by PyTorch's (``torch.nn.functional.conv{1,2,3}d`` and
  ``torch.ops.aten.convolution_backward``, the kernel autograd calls), both with the same
  number of threads (``--threads``, default 2). Only when ``torch`` can be imported;
  otherwise only NumPy's numbers are printed.
* ``mem``: the peak memory that ``conv_backward`` allocates (``tracemalloc``, which sees
  NumPy's buffers; the returned gradients included) divided by ``x.nbytes + dy.nbytes``.

Each library runs in its own subprocess (their thread pools slow each other down when
they share one), the NumPy and PyTorch processes alternate for ``--rounds`` rounds, and
every time is the median of all ``rounds * reps`` samples. Not a test: timings depend on
the machine and on what else runs on it (check ``uptime`` first).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

__all__ = ["Layer", "SUITE", "QUICK", "main", "run", "format_table", "peak_memory_ratio",
           "reference_speedup", "time_layers"]


@dataclass(frozen=True)
class Layer:
    """One convolution layer of the benchmark (PyTorch's argument conventions)."""

    name: str
    n: int
    c_in: int
    c_out: int
    size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    groups: int = 1
    extra: bool = False     # reported, but not part of the targets' suite
    group: str = "large"    # the layer group of the summary (see GROUPS)

    @property
    def kw(self) -> dict:
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups)

    def geometry(self):
        from convbp.geometry import conv_geometry
        return conv_geometry("bench", self.size, self.kernel, self.stride, self.padding,
                             self.dilation)

    @property
    def flops(self) -> int:
        """Forward FLOPs: two per multiply-add, padding taps included."""
        return (2 * self.n * self.c_out * (self.c_in // self.groups) * math.prod(self.kernel)
                * math.prod(self.geometry().out_size))

    def label(self) -> str:
        size = "x".join(map(str, self.size))
        k = "x".join(map(str, self.kernel))
        parts = [f"N{self.n} {self.c_in}->{self.c_out} {size} k{k}"]
        for key, default in (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1)):
            value = getattr(self, key)
            if value != default:
                parts.append(f"{key[0] if key != 'groups' else 'g'}{value}")
        return " ".join(parts)


def _l(name, n, c_in, c_out, size, k, **kw):
    return Layer(name, n, c_in, c_out, (size, size), (k, k), **kw)


#: The layer groups, in the order of the report. "large" is the suite of the first
#: performance issue; the others are the small and medium layers of reader networks.
GROUPS = {
    "large": "the first suite: 32-256 channels, 14x14 to 224x224",
    "first": "first layers: 1-3 input channels, 8-32 outputs, 8x8 to 32x32, batch 32-128",
    "strided": "16-64 channels, 14x14 to 32x32, stride 2 or 3, kernels 2-5",
    "dilated": "small dilated layers",
    "grouped": "grouped layers (2-32 groups, several channels per group)",
    "depthwise": "depthwise layers (one input channel per group)",
}

# The suite of the performance targets (every layer not marked extra).
SUITE = [
    # the first suite (kept: the large layers must not get slower)
    _l("3x3 s1", 32, 64, 64, 32, 3, padding=1),
    _l("3x3 s2, leftover row", 32, 64, 64, 32, 3, stride=2, padding=1),
    _l("5x5 s2, leftover row", 16, 32, 64, 56, 5, stride=2, padding=2),
    _l("3x3 dilation 2", 32, 64, 64, 32, 3, padding=2, dilation=2),
    _l("7x7 s2 stem, 3 channels", 8, 3, 64, 224, 7, stride=2, padding=3),
    _l("3x3 s1, 256 channels", 64, 256, 256, 14, 3, padding=1),
    _l("1x1 bottleneck", 16, 256, 64, 56, 1),
    _l("3x3 s3, 2 leftover rows", 16, 64, 128, 32, 3, stride=3),
    Layer("1-D k5 s2", 16, 64, 64, (4096,), (5,), stride=2, padding=2),
    # first layers of reader networks
    _l("digits 3x3", 128, 1, 8, 8, 3, padding=1, group="first"),
    _l("digits 3x3 s2", 128, 1, 16, 8, 3, stride=2, padding=1, group="first"),
    _l("LeNet conv1 5x5", 64, 1, 6, 28, 5, padding=2, group="first"),
    _l("28x28 3x3 s2", 64, 1, 16, 28, 3, stride=2, padding=1, group="first"),
    _l("CIFAR 3x3, 3->16", 64, 3, 16, 32, 3, padding=1, group="first"),
    _l("CIFAR 5x5 s2, 3->32", 32, 3, 32, 32, 5, stride=2, padding=2, group="first"),
    # strided medium layers (leftover rows included)
    _l("3x3 s2, leftover row", 64, 16, 32, 14, 3, stride=2, group="strided"),
    _l("4x4 s3, leftover row", 32, 16, 16, 17, 4, stride=3, group="strided"),
    _l("2x2 s2", 32, 32, 64, 32, 2, stride=2, group="strided"),
    _l("5x5 s2 p1, leftover row", 32, 64, 64, 16, 5, stride=2, padding=1, group="strided"),
    _l("3x3 s3, leftover row", 32, 32, 32, 28, 3, stride=3, group="strided"),
    _l("LeNet conv2 5x5", 64, 6, 16, 14, 5, group="strided"),
    _l("3x3 s2 p1, 28x28", 64, 16, 32, 28, 3, stride=2, padding=1, group="strided"),
    # small dilated layers
    _l("3x3 d2", 32, 16, 16, 16, 3, padding=2, dilation=2, group="dilated"),
    _l("3x3 d3", 32, 32, 32, 28, 3, padding=3, dilation=3, group="dilated"),
    _l("3x3 s2 d2", 32, 16, 32, 20, 3, stride=2, padding=2, dilation=2, group="dilated"),
    Layer("1-D k3 d4", 32, 8, 16, (128,), (3,), padding=4, dilation=4, group="dilated"),
    # grouped and depthwise
    _l("grouped 3x3 (32 groups)", 32, 128, 128, 28, 3, padding=1, groups=32,
       group="grouped"),
    _l("grouped 3x3 (8 groups)", 32, 64, 64, 16, 3, padding=1, groups=8, group="grouped"),
    _l("grouped 3x3 s2 (4 groups)", 32, 64, 128, 14, 3, stride=2, padding=1, groups=4,
       group="grouped"),
    _l("grouped 1x1 (4 groups)", 32, 64, 64, 16, 1, groups=4, group="grouped"),
    _l("depthwise 3x3", 16, 128, 128, 56, 3, padding=1, groups=128, group="depthwise"),
    _l("depthwise 3x3 s2", 32, 32, 32, 28, 3, stride=2, padding=1, groups=32,
       group="depthwise"),
    _l("depthwise 5x5", 32, 64, 64, 14, 5, padding=2, groups=64, group="depthwise"),
]

QUICK = [
    _l("tiny 3x3 s2", 2, 4, 6, 9, 3, stride=2, padding=1),
    Layer("tiny 1-D d2", 2, 3, 4, (17,), (3,), dilation=2),
]


# --------------------------------------------------------------------------- measurements

def _data(layer: Layer, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((layer.n, layer.c_in, *layer.size), dtype=np.float32)
    w = rng.standard_normal((layer.c_out, layer.c_in // layer.groups, *layer.kernel),
                            dtype=np.float32)
    b = rng.standard_normal(layer.c_out, dtype=np.float32)
    dy = rng.standard_normal((layer.n, layer.c_out, *layer.geometry().out_size),
                             dtype=np.float32)
    return x, w, b, dy


#: Shortest sample (seconds): calls faster than this are repeated within one sample.
MIN_SAMPLE = 0.01


def _times(fn, reps: int) -> list[float]:
    """``reps`` samples of the time of one call of ``fn``, in seconds.

    After a warm-up call (first-touch page faults, thread start-up, JIT compilation),
    a sample is the mean over as many back-to-back calls as fill :data:`MIN_SAMPLE`
    (one call for all but the small layers), so that microsecond layers are not timed
    at the resolution of the clock and the call overhead is counted as a user sees it.
    """
    start = time.perf_counter()
    fn()
    fn()
    once = (time.perf_counter() - start) / 2
    inner = max(1, min(1000, math.ceil(MIN_SAMPLE / max(once, 1e-7))))
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - start) / inner)
    return times


def _numpy_fns(layer: Layer):
    import convbp
    x, w, b, dy = _data(layer)
    return (lambda: convbp.conv(x, w, b, **layer.kw),
            lambda: convbp.conv_backward(dy, x, w, **layer.kw))


def _torch_fns(layer: Layer, threads: int):
    import torch
    torch.set_num_threads(threads)
    x, w, b, dy = (torch.from_numpy(a) for a in _data(layer))
    conv = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d,
            3: torch.nn.functional.conv3d}[len(layer.size)]
    nd = len(layer.size)
    args = ([layer.stride] * nd, [layer.padding] * nd, [layer.dilation] * nd)

    def forward():
        with torch.no_grad():
            return conv(x, w, b, **layer.kw)

    def backward():
        return torch.ops.aten.convolution_backward(dy, x, w, [layer.c_out], *args, False,
                                                   [0] * nd, layer.groups, [True, True, True])
    return forward, backward


def _jax_fns(layer: Layer):
    """``jax.lax.conv_general_dilated`` (plus bias) and its VJP (``dx``, ``dw``, ``db``),
    both jitted; every call waits for its result (``block_until_ready``)."""
    import jax
    import jax.numpy as jnp
    nd = len(layer.size)
    x, w, b, dy = (jnp.asarray(a) for a in _data(layer))
    spatial = "DHW"[3 - nd:] if nd <= 3 else None
    dims = (f"NC{spatial}", f"OI{spatial}", f"NC{spatial}")
    bshape = (1, -1) + (1,) * nd

    def conv(x, w, b):
        y = jax.lax.conv_general_dilated(
            x, w, (layer.stride,) * nd, [(layer.padding, layer.padding)] * nd,
            rhs_dilation=(layer.dilation,) * nd, dimension_numbers=dims,
            feature_group_count=layer.groups)
        return y + b.reshape(bshape)

    def grads(dy, x, w, b):
        _, vjp = jax.vjp(conv, x, w, b)
        return vjp(dy)

    forward, backward = jax.jit(conv), jax.jit(grads)
    return (lambda: forward(x, w, b).block_until_ready(),
            lambda: jax.block_until_ready(backward(dy, x, w, b)))


def time_layers(layers, library: str = "numpy", reps: int = 5, threads: int = 2) -> list[dict]:
    """Wall times (seconds, every repetition) of forward and backward for each layer.

    ``library`` is ``"numpy"``, ``"torch"`` or ``"jax"``. Call it in a process of its
    own per library (see :func:`run`).
    """
    results = []
    for layer in layers:
        if library == "numpy":
            fwd, bwd = _numpy_fns(layer)
        elif library == "torch":
            fwd, bwd = _torch_fns(layer, threads)
        else:
            fwd, bwd = _jax_fns(layer)
        results.append({"forward": _times(fwd, reps), "backward": _times(bwd, reps)})
    return results


def peak_memory_ratio(layer: Layer) -> float:
    """Peak bytes allocated by ``conv_backward`` (outputs included) / (x + dy bytes)."""
    import convbp
    x, w, _b, dy = _data(layer)
    started = tracemalloc.is_tracing()
    if not started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        grads = convbp.conv_backward(dy, x, w, **layer.kw)
        peak = tracemalloc.get_traced_memory()[1] - before
        del grads
    finally:
        if not started:
            tracemalloc.stop()
    return peak / (x.nbytes + dy.nbytes)


def shrink(layer: Layer) -> Layer:
    """A copy small enough for the loop reference, with the same per-dimension geometry.

    Batch 1, at most 2 groups of at most 4 input and 4 output channels, at most 6 outputs
    per spatial dimension; kernel, stride, padding, dilation and the number of leftover
    rows stay the same (the input size comes from the transposed geometry).
    """
    from convbp.geometry import conv_transpose_geometry
    geom = layer.geometry()
    groups = min(layer.groups, 2)
    out = tuple(min(o, 6) for o in geom.out_size)
    size = conv_transpose_geometry("bench", out, layer.kernel, layer.stride, layer.padding,
                                   geom.remainder, layer.dilation).in_size
    return dataclasses.replace(
        layer, n=1, size=size, groups=groups,
        c_in=groups * min(layer.c_in // layer.groups, 4),
        c_out=groups * min(layer.c_out // layer.groups, 4))


def reference_speedup(layer: Layer, forward_s: float, backward_s: float) -> tuple[float, float]:
    """How many times faster than :mod:`convbp.reference` (timed on :func:`shrink`, scaled)."""
    from convbp import reference
    small = shrink(layer)
    x, w, b, dy = _data(small)
    scale = layer.flops / small.flops
    start = time.perf_counter()
    reference.conv(x, w, b, **small.kw)
    ref_fwd = (time.perf_counter() - start) * scale
    start = time.perf_counter()
    reference.conv_backward(dy, x, w, **small.kw)
    ref_bwd = (time.perf_counter() - start) * scale
    return ref_fwd / forward_s, ref_bwd / backward_s


# --------------------------------------------------------------------------- processes

def select(quick: bool = False, groups=None) -> list[Layer]:
    """The layers to run: :data:`QUICK`, or the :data:`SUITE` layers of ``groups`` (all)."""
    if quick:
        return QUICK
    return [layer for layer in SUITE if not groups or layer.group in groups]


def _worker(args) -> None:
    layers = select(args.quick, args.group)
    if args.worker in ("torch", "jax"):
        out = {"times": time_layers(layers, args.worker, args.reps, args.threads)}
    else:
        out = {"times": time_layers(layers, "numpy", args.reps, args.threads)}
        if args.extras:
            fwd = [statistics.median(t["forward"]) for t in out["times"]]
            bwd = [statistics.median(t["backward"]) for t in out["times"]]
            out["memory"] = [peak_memory_ratio(layer) for layer in layers]
            out["reference"] = [reference_speedup(layer, f, b)
                                for layer, f, b in zip(layers, fwd, bwd)]
    print(json.dumps(out))


def _spawn(library: str, args, extras: bool = False) -> dict:
    threads = str(args.threads)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads,
               MKL_NUM_THREADS=threads)
    if library == "jax":        # XLA's CPU thread pools: as many threads as the others
        env["XLA_FLAGS"] = " ".join(filter(None, [
            env.get("XLA_FLAGS"), "--xla_cpu_multi_thread_eigen=true",
            f"intra_op_parallelism_threads={threads}"]))
        env["JAX_PLATFORMS"] = "cpu"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))    # the repository
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", library, "--reps", str(args.reps),
           "--threads", threads] + (["--quick"] if args.quick else []) \
        + (["--extras"] if extras else []) \
        + [a for g in (args.group or []) for a in ("--group", g)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"bench: the {library} worker failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False, reps: int = 5, rounds: int = 2, threads: int = 2,
        torch: bool | None = None, jax: bool | None = None, groups=None) -> dict:
    """Measure everything; returns ``{"layers", "numpy", "torch", "jax", "memory",
    "reference", ...}``.

    ``torch=None`` (``jax=None``) uses PyTorch (JAX) when it can be imported. Each
    library runs in its own subprocess; the libraries alternate for ``rounds`` rounds.
    ``groups`` restricts the suite to these layer groups (:data:`GROUPS`).
    """
    if torch is None:
        torch = importlib.util.find_spec("torch") is not None
    if jax is None:
        jax = importlib.util.find_spec("jax") is not None
    args = argparse.Namespace(quick=quick, reps=reps, threads=threads, group=groups)
    layers = select(quick, groups)
    samples = {"numpy": [{"forward": [], "backward": []} for _ in layers]}
    if torch:
        samples["torch"] = [{"forward": [], "backward": []} for _ in layers]
    if jax:
        samples["jax"] = [{"forward": [], "backward": []} for _ in layers]
    extras = None
    rounds = max(1, rounds)
    for r in range(rounds):
        for library in samples:
            out = _spawn(library, args, extras=(library == "numpy" and r == rounds - 1))
            for acc, got in zip(samples[library], out["times"]):
                acc["forward"] += got["forward"]
                acc["backward"] += got["backward"]
            if "memory" in out:
                extras = out
    # the reference ratios were computed against the last round's medians: rescale them
    # to the medians over all rounds
    medians = {lib: [{k: statistics.median(v) for k, v in acc.items()} for acc in accs]
               for lib, accs in samples.items()}
    last = [{k: statistics.median(v) for k, v in t.items()} for t in extras["times"]]
    reference = [(f * l["forward"] / m["forward"], b * l["backward"] / m["backward"])
                 for (f, b), l, m in zip(extras["reference"], last, medians["numpy"])]
    return {"layers": layers, "numpy": medians["numpy"], "torch": medians.get("torch"),
            "jax": medians.get("jax"), "memory": extras["memory"], "reference": reference, "threads": threads,
            "reps": reps, "rounds": rounds}


# --------------------------------------------------------------------------- report

COLUMNS = ["layer", "group", "fwd ms", "fwd GF/s", "bwd ms", "bwd GF/s", "fwd x ref",
           "bwd x ref", "mem", "torch fwd ms", "torch bwd ms", "fwd /torch", "bwd /torch",
           "jax fwd ms", "jax bwd ms", "fwd /jax", "bwd /jax"]
_NUMPY_COLUMNS = COLUMNS[:9]
_TORCH_COLUMNS = COLUMNS[9:13]
_JAX_COLUMNS = COLUMNS[13:]


def _geomean(values):
    values = list(values)
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def _ratios(result: dict, other: str, key: str, rows) -> list[float]:
    return [result["numpy"][i][key] / result[other][i][key] for i in rows]


def summary(result: dict) -> dict:
    """Geometric means and worst cases over the target suite (extra layers left out),
    then the geometric means of each layer group (:data:`GROUPS`)."""
    layers = result["layers"]
    rows = [i for i, layer in enumerate(layers) if not layer.extra]
    out = {
        "fwd x ref (min)": min(result["reference"][i][0] for i in rows),
        "bwd x ref (min)": min(result["reference"][i][1] for i in rows),
        "mem (max)": max(result["memory"][i] for i in rows),
    }
    groups = [g for g in GROUPS if any(layers[i].group == g for i in rows)]
    for other in ("torch", "jax"):
        if not result.get(other):
            continue
        for key in ("forward", "backward"):
            short = "fwd" if key == "forward" else "bwd"
            ratios = _ratios(result, other, key, rows)
            out[f"{short} /{other} geomean"] = _geomean(ratios)
            out[f"{short} /{other} worst"] = max(ratios)
        for g in groups if len(groups) > 1 else ():
            in_g = [i for i in rows if layers[i].group == g]
            for key in ("forward", "backward"):
                short = "fwd" if key == "forward" else "bwd"
                out[f"{short} /{other} geomean, {g}"] = _geomean(
                    _ratios(result, other, key, in_g))
    return out


def _gflops(flops: int, seconds: float) -> str:
    rate = flops / seconds / 1e9
    return f"{rate:.0f}" if rate >= 10 else f"{rate:.2g}"


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.2f}" if ms >= 1 else f"{ms:.3f}"


def format_table(result: dict, markdown: bool = False) -> str:
    """The report: one row per layer (:data:`COLUMNS`), then the summary."""
    has_torch, has_jax = bool(result.get("torch")), bool(result.get("jax"))
    columns = _NUMPY_COLUMNS + (_TORCH_COLUMNS if has_torch else []) \
        + (_JAX_COLUMNS if has_jax else [])
    rows = []
    for i, layer in enumerate(result["layers"]):
        ours = result["numpy"][i]
        fwd, bwd = ours["forward"], ours["backward"]
        ref_f, ref_b = result["reference"][i]
        row = [("(extra) " if layer.extra else "") + layer.label(), layer.group,
               _ms(fwd), _gflops(layer.flops, fwd),
               _ms(bwd), _gflops(2 * layer.flops, bwd),
               f"{ref_f:.0f}", f"{ref_b:.0f}", f"{result['memory'][i]:.2f}"]
        for other, present in (("torch", has_torch), ("jax", has_jax)):
            if present:
                theirs = result[other][i]
                row += [_ms(theirs["forward"]), _ms(theirs["backward"]),
                        f"{fwd / theirs['forward']:.2f}", f"{bwd / theirs['backward']:.2f}"]
        rows.append(row)
    if markdown:
        lines = ["| " + " | ".join(columns) + " |",
                 "|" + "|".join("---" if c in ("layer", "group") else "---:"
                                for c in columns) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        widths = [max(len(c), *(len(r[j]) for r in rows)) for j, c in enumerate(columns)]
        fmt = lambda r: "  ".join(v.ljust(w) if j < 2 else v.rjust(w)  # noqa: E731
                                  for j, (v, w) in enumerate(zip(r, widths)))
        lines = [fmt(columns)] + [fmt(r) for r in rows]
    lines.append("")
    for key, value in summary(result).items():
        lines.append(("- " if markdown else "") + f"{key}: {value:.2f}")
    return "\n".join(lines)


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    versions = [f"NumPy {np.__version__}", f"Python {platform.python_version()}"]
    for dist in ("torch", "jax", "jaxlib"):
        try:
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = "; load average %.2f, %.2f, %.2f" % os.getloadavg()
    return f"{model}, {os.cpu_count()} CPUs; {', '.join(versions)}{load}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/bench.py", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="two tiny layers (seconds)")
    parser.add_argument("--reps", type=int, default=5, help="timed calls per process (5)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternating NumPy/PyTorch processes (2)")
    parser.add_argument("--threads", type=int, default=2, help="threads per library (2)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    parser.add_argument("--no-jax", action="store_true", help="skip JAX")
    parser.add_argument("--group", action="append", choices=list(GROUPS),
                        help="only this layer group (repeatable; default: all)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--json", metavar="FILE", help="also write the raw results here")
    parser.add_argument("--worker", choices=["numpy", "torch", "jax"], help=argparse.SUPPRESS)
    parser.add_argument("--extras", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return 0
    result = run(quick=args.quick, reps=args.reps, rounds=args.rounds, threads=args.threads,
                 torch=False if args.no_torch else None, jax=False if args.no_jax else None,
                 groups=args.group)
    print(f"# benchmarks/bench.py: {_machine()}; {args.threads} threads; median of "
          f"{args.rounds} x {args.reps} runs; float32")
    print("# x ref: the loop reference timed once on a shrunken copy (batch 1, <= 2 groups of"
          " <= 4 channels, <= 6 outputs per dimension), scaled up by FLOPs")
    print("# mem: peak bytes allocated by conv_backward (gradients included) / (x + dy bytes)")
    if not result["torch"]:
        print("# PyTorch not importable (or --no-torch): no PyTorch columns")
    if not result["jax"]:
        print("# JAX not importable (or --no-jax): no JAX columns")
    print(format_table(result, markdown=args.markdown))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({**result, "layers": [dataclasses.asdict(l) for l in result["layers"]]},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
