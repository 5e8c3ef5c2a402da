r"""Timings and memory for the chapter "From loops to fast code" (label ``loops-to-fast``).

Run from the repository root (about two minutes)::

    OPENBLAS_NUM_THREADS=1 python benchmarks/loops_to_fast.py \
        --out benchmarks/results/loops_to_fast.json

It measures the three implementations of one convolution's backward pass (``dx``,
``dw``, ``db``) that the chapter puts side by side, all in float64 on one thread (the
loops cannot use more, so neither does anything else here):

* ``reference``: :func:`convbp.reference.conv_backward`, Python loops over every
  product;
* ``recipe``: :func:`convbp.conv_backward_as_convolutions`, dilate-pad-flip, each
  gradient one forward convolution (fast path inside), multiplying the inserted zeros;
* ``fast``: :func:`convbp.conv_backward`, im2col blocks and stride phases.

Three experiments, written to one JSON file with the machine, the date and the
versions:

``sizes``
    a 3x3, stride-2 layer whose image grows; minimum wall time of each method (the
    loops only while they take under a few seconds).
``strides``
    one layer at strides 1 to 4: times of ``recipe`` and ``fast`` and, from the
    geometry, how many multiply-adds each performs (the recipe's include the zeros).
``memory``
    one layer with a growing batch: the peak memory ``fast`` allocates beyond its
    inputs and results (``tracemalloc``, which sees NumPy's buffers), next to the size
    of the full im2col matrix that a one-product implementation would build.

Every time is the minimum CPU time over repeated calls (on one thread, CPU time does
not count the time that other processes on a shared machine take from this one, and
the minimum is the call least disturbed by them); the load average before and after
is recorded. Not a test: the book
reads the stored file and never times anything itself.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import convbp  # noqa: E402
from convbp import reference  # noqa: E402
from convbp.geometry import conv_geometry  # noqa: E402

METHODS = {
    "reference": reference.conv_backward,
    "recipe": convbp.conv_backward_as_convolutions,
    "fast": convbp.conv_backward,
}


def _data(n_batch, c_in, c_out, size, k, stride, padding, seed=0):
    rng = np.random.default_rng(seed)
    geom = conv_geometry("bench", (size, size), (k, k), stride, padding)
    x = rng.standard_normal((n_batch, c_in, size, size))
    w = rng.standard_normal((c_out, c_in, k, k))
    dy = rng.standard_normal((n_batch, c_out, *geom.out_size))
    return x, w, dy, geom


def _min_time(fn, budget=1.0, min_reps=3, max_reps=30, warmup=True) -> tuple[float, int]:
    """Minimum CPU time of ``fn()`` over at least ``min_reps`` calls, about ``budget`` s.

    CPU time (``time.process_time``) rather than wall time: everything runs on one
    thread, and on a shared machine the time other processes take from this one is
    then not counted.
    """
    if warmup:
        fn()                                # page faults, first-call set-up
    times = []
    start = time.process_time()
    while len(times) < min_reps or (time.process_time() - start < budget
                                    and len(times) < max_reps):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times), len(times)


def macs_fast(geom, n_batch, c_in, c_out) -> int:
    """Multiply-adds of ``dx`` and ``dw`` when only real products are formed."""
    return 2 * n_batch * c_in * c_out * math.prod(geom.kernel_size) * math.prod(geom.out_size)


def macs_recipe(geom, n_batch, c_in, c_out) -> int:
    """Multiply-adds of the recipe's two convolutions, inserted zeros included.

    ``dx``: a stride-1 correlation with ``prod(k)`` taps at every input position;
    ``dw``: the dilated ``dy`` (``s(O-1)+1`` per axis) as kernel, at every tap.
    """
    taps = math.prod(geom.kernel_size)
    dx = n_batch * c_in * c_out * taps * math.prod(geom.in_size)
    dw = n_batch * c_in * c_out * taps * math.prod(geom.dilated_out_size)
    return dx + dw


def sizes_experiment(quick: bool) -> dict:
    layer = dict(n_batch=2, c_in=8, c_out=8, k=3, stride=2, padding=1)
    sizes = [8, 16, 32] if quick else [8, 12, 16, 24, 32, 48, 64, 96, 128]
    rows, loops_allowed = [], True
    for size in sizes:
        x, w, dy, geom = _data(size=size, **layer)
        kw = dict(stride=layer["stride"], padding=layer["padding"])
        row = {"size": size, "macs": macs_fast(geom, layer["n_batch"], layer["c_in"],
                                               layer["c_out"])}
        for name, fn in METHODS.items():
            if name == "reference" and not loops_allowed:
                row[name] = None
                continue
            loops = name == "reference"
            t, reps = _min_time(lambda: fn(dy, x, w, **kw), budget=0.0 if loops else 1.0,
                                min_reps=2 if loops else 3, warmup=not loops)
            row[name] = t
            row[name + "_reps"] = reps
            if loops and t > 2.0:
                loops_allowed = False           # the next size would take minutes
        rows.append(row)
        print(f"sizes {size:4d}: " + ", ".join(
            f"{m} {row[m]:.2e} s" for m in METHODS if row[m] is not None), flush=True)
    return {"layer": layer, "rows": rows}


def strides_experiment(quick: bool) -> dict:
    layer = dict(n_batch=4, c_in=16, c_out=16, size=48 if quick else 64, k=3, padding=1)
    rows = []
    for stride in (1, 2, 3, 4):
        x, w, dy, geom = _data(stride=stride, **layer)
        kw = dict(stride=stride, padding=layer["padding"])
        row = {"stride": stride, "out_size": geom.out_size[0],
               "macs_fast": macs_fast(geom, layer["n_batch"], layer["c_in"], layer["c_out"]),
               "macs_recipe": macs_recipe(geom, layer["n_batch"], layer["c_in"],
                                          layer["c_out"])}
        for name in ("recipe", "fast"):
            fn = METHODS[name]
            row[name], row[name + "_reps"] = _min_time(lambda: fn(dy, x, w, **kw))
        rows.append(row)
        print(f"stride {stride}: recipe {row['recipe']:.2e} s, fast {row['fast']:.2e} s",
              flush=True)
    return {"layer": layer, "rows": rows}


def memory_experiment(quick: bool) -> dict:
    layer = dict(c_in=16, c_out=16, size=32, k=3, stride=1, padding=1)
    batches = [1, 4, 16] if quick else [1, 2, 4, 8, 16, 32, 64]
    rows = []
    for n_batch in batches:
        x, w, dy, geom = _data(n_batch=n_batch, **layer)
        kw = dict(stride=layer["stride"], padding=layer["padding"])
        tracemalloc.start()
        g = convbp.conv_backward(dy, x, w, **kw)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        results = g.dx.nbytes + g.dw.nbytes + g.db.nbytes
        im2col = (n_batch * math.prod(geom.out_size) * math.prod(geom.kernel_size)
                  * layer["c_in"] * x.itemsize)
        rows.append({"n_batch": n_batch, "x_bytes": x.nbytes,
                     "inputs_bytes": x.nbytes + w.nbytes + dy.nbytes,
                     "results_bytes": results, "peak_bytes": peak,
                     "extra_bytes": max(peak - results, 0), "im2col_bytes": im2col})
        print(f"batch {n_batch:3d}: extra {rows[-1]['extra_bytes'] / 2**20:.2f} MiB, "
              f"im2col {im2col / 2**20:.2f} MiB", flush=True)
    return {"layer": layer, "rows": rows}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the JSON result here")
    parser.add_argument("--quick", action="store_true", help="small sizes, seconds")
    parser.add_argument("--note", default="", help="free text stored with the result")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    started = datetime.datetime.now(datetime.timezone.utc)
    result = {
        "what": "backward pass of one convolution layer: loop reference, "
                "dilate-pad-flip recipe, fast path (float64, one thread)",
        "statistic": "minimum CPU time (time.process_time) over repeated calls, seconds",
        "machine": {
            "cpu": _cpu_model(),
            "logical_cpus": os.cpu_count(),
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "convbp": convbp.__version__,
            "commit": _commit(),
        },
        "date_utc": started.strftime("%Y-%m-%d %H:%M"),
        "note": args.note,
        "sizes": sizes_experiment(args.quick),
        "strides": strides_experiment(args.quick),
        "memory": memory_experiment(args.quick),
    }
    result["machine"]["load_average_before"] = [round(v, 2) for v in load_before]
    result["machine"]["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    result["seconds"] = round(
        (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds(), 1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()
