r"""Benchmark of one training step of the book's small CNNs: convbp.nn against PyTorch.

Run from the repository root::

    python benchmarks/train_step.py                  # every network, NumPy and PyTorch
    python benchmarks/train_step.py --markdown       # the table of benchmarks/README.md

One step is what the book's training loop does per minibatch: the forward pass, the
softmax cross-entropy and its gradient, the backward pass through every layer, and an
SGD-with-momentum update of every parameter (``convbp.nn`` against ``torch.nn``,
``torch.nn.functional.cross_entropy``, ``loss.backward()`` and ``torch.optim.SGD``;
float32, the same architecture, batch and number of threads). The networks
(:data:`NETWORKS`):

* ``digits, max-pool``: 8x8 digits, two 3x3 convolutions each followed by ReLU and a
  2x2 max-pool, a linear classifier;
* ``digits, strided``: 8x8 digits, a 3x3 convolution and two 3x3 stride-2 ones instead
  of pooling;
* ``LeNet 28x28``: the LeNet-5 layout on 28x28 images (5x5 convolutions, 2x2 max-pool,
  three linear layers);
* ``all-strided 28x28``: three 3x3 stride-2 convolutions and a linear classifier.

The inputs are seeded normal noise with seeded labels (the time of a step does not
depend on what the images show). Each library runs in its own subprocess (their thread
pools slow each other down when they share one); the processes alternate for
``--rounds`` rounds and every time is the median of all samples. Not a test: timings
depend on the machine and its load (check ``uptime`` first).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import _geomean, _machine, _ms, _times  # noqa: E402  (the shared harness)

__all__ = ["Network", "NETWORKS", "convbp_step", "torch_step", "run", "format_table", "main"]


@dataclass(frozen=True)
class Network:
    """A small CNN: input shape (C, H, W), batch size, layers and number of classes.

    ``layers`` holds tuples: ``("conv", c_in, c_out, k, stride, padding)``,
    ``("relu",)``, ``("maxpool", k)``, ``("flatten",)``, ``("linear", n_in, n_out)``.
    """

    name: str
    input: tuple
    batch: int
    layers: tuple
    classes: int = 10


def _relu_conv(c_in, c_out, k, stride=1, padding=0):
    return (("conv", c_in, c_out, k, stride, padding), ("relu",))


NETWORKS = [
    Network("digits, max-pool", (1, 8, 8), 64,
            _relu_conv(1, 8, 3, 1, 1) + (("maxpool", 2),)
            + _relu_conv(8, 16, 3, 1, 1) + (("maxpool", 2), ("flatten",),
                                            ("linear", 16 * 2 * 2, 10))),
    Network("digits, strided", (1, 8, 8), 64,
            _relu_conv(1, 8, 3, 1, 1) + _relu_conv(8, 16, 3, 2, 1)
            + _relu_conv(16, 32, 3, 2, 1) + (("flatten",), ("linear", 32 * 2 * 2, 10))),
    Network("LeNet 28x28", (1, 28, 28), 64,
            _relu_conv(1, 6, 5, 1, 2) + (("maxpool", 2),)
            + _relu_conv(6, 16, 5) + (("maxpool", 2), ("flatten",),
                                      ("linear", 16 * 5 * 5, 120), ("relu",),
                                      ("linear", 120, 84), ("relu",), ("linear", 84, 10))),
    Network("all-strided 28x28", (1, 28, 28), 64,
            _relu_conv(1, 16, 3, 2, 1) + _relu_conv(16, 32, 3, 2, 1)
            + _relu_conv(32, 64, 3, 2, 1) + (("flatten",), ("linear", 64 * 4 * 4, 10))),
]

QUICK = [Network("tiny", (1, 6, 6), 4, _relu_conv(1, 2, 3, 2, 1)
                 + (("flatten",), ("linear", 2 * 3 * 3, 3)), classes=3)]

LR, MOMENTUM = 0.01, 0.9


def _batch(net: Network, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((net.batch, *net.input), dtype=np.float32)
    labels = rng.integers(0, net.classes, size=net.batch)
    return x, labels


# --------------------------------------------------------------------------- the steps

def convbp_model(net: Network, seed: int = 0):
    """The network in :mod:`convbp.nn` (float32, seeded He-normal weights)."""
    from convbp import nn
    rng = np.random.default_rng(seed)
    layers = []
    for spec in net.layers:
        kind, args = spec[0], spec[1:]
        if kind == "conv":
            c_in, c_out, k, stride, padding = args
            layers.append(nn.Conv(c_in, c_out, k, stride=stride, padding=padding, rng=rng,
                                  dtype=np.float32))
        elif kind == "linear":
            layers.append(nn.Linear(*args, rng=rng, dtype=np.float32))
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "maxpool":
            layers.append(nn.MaxPool(args[0]))
        elif kind == "flatten":
            layers.append(nn.Flatten())
        else:
            raise ValueError(f"train_step: unknown layer kind {kind!r} in {net.name!r}")
    return nn.Sequential(*layers)


def convbp_step(net: Network):
    """A function doing one training step of ``net`` in :mod:`convbp.nn`; returns the loss."""
    from convbp import nn
    model = convbp_model(net)
    opt = nn.SGD(model, lr=LR, momentum=MOMENTUM)
    x, labels = _batch(net)

    def step():
        logits = model.forward(x)
        loss, dlogits = nn.softmax_cross_entropy(logits, labels)
        model.backward(dlogits, input_grad=False)   # as PyTorch: no grad for the images
        opt.step()
        return loss
    return step


def torch_model(net: Network):
    """The same network in ``torch.nn`` (PyTorch's default initialisation)."""
    import torch
    layers = []
    for spec in net.layers:
        kind, args = spec[0], spec[1:]
        if kind == "conv":
            c_in, c_out, k, stride, padding = args
            layers.append(torch.nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding))
        elif kind == "linear":
            layers.append(torch.nn.Linear(*args))
        elif kind == "relu":
            layers.append(torch.nn.ReLU())
        elif kind == "maxpool":
            layers.append(torch.nn.MaxPool2d(args[0]))
        elif kind == "flatten":
            layers.append(torch.nn.Flatten())
        else:
            raise ValueError(f"train_step: unknown layer kind {kind!r} in {net.name!r}")
    return torch.nn.Sequential(*layers)


def torch_step(net: Network, threads: int = 2):
    """One training step of ``net`` in PyTorch (autograd, ``torch.optim.SGD``)."""
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torch_model(net)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, labels = (torch.from_numpy(a) for a in _batch(net))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        return loss.item()
    return step


# --------------------------------------------------------------------------- processes

def _worker(args) -> None:
    nets = QUICK if args.quick else NETWORKS
    make = convbp_step if args.worker == "numpy" else (lambda n: torch_step(n, args.threads))
    print(json.dumps([_times(make(net), args.reps) for net in nets]))


def _spawn(library: str, args) -> list:
    threads = str(args.threads)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads,
               MKL_NUM_THREADS=threads)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", library, "--reps",
           str(args.reps), "--threads", threads] + (["--quick"] if args.quick else [])
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"train_step: the {library} worker failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False, reps: int = 10, rounds: int = 2, threads: int = 2,
        torch: bool | None = None) -> dict:
    """Median step time per network: ``{"networks", "numpy", "torch"}`` (seconds)."""
    import importlib.util
    if torch is None:
        torch = importlib.util.find_spec("torch") is not None
    args = argparse.Namespace(quick=quick, reps=reps, threads=threads)
    nets = QUICK if quick else NETWORKS
    samples = {lib: [[] for _ in nets] for lib in (("numpy", "torch") if torch else ("numpy",))}
    for _ in range(max(1, rounds)):
        for library, acc in samples.items():
            for a, got in zip(acc, _spawn(library, args)):
                a += got
    medians = {lib: [statistics.median(a) for a in acc] for lib, acc in samples.items()}
    return {"networks": nets, "numpy": medians["numpy"], "torch": medians.get("torch")}


def format_table(result: dict, markdown: bool = False) -> str:
    columns = ["network", "batch", "convbp ms"]
    if result["torch"]:
        columns += ["torch ms", "/torch"]
    rows = []
    for i, net in enumerate(result["networks"]):
        row = [net.name, str(net.batch), _ms(result["numpy"][i])]
        if result["torch"]:
            row += [_ms(result["torch"][i]), f"{result['numpy'][i] / result['torch'][i]:.2f}"]
        rows.append(row)
    if markdown:
        lines = ["| " + " | ".join(columns) + " |",
                 "|" + "|".join("---" if c == "network" else "---:" for c in columns) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        widths = [max(len(c), *(len(r[j]) for r in rows)) for j, c in enumerate(columns)]
        lines = ["  ".join(v.ljust(w) if j == 0 else v.rjust(w)
                           for j, (v, w) in enumerate(zip(r, widths)))
                 for r in [columns] + rows]
    if result["torch"]:
        ratios = [a / b for a, b in zip(result["numpy"], result["torch"])]
        lines += ["", ("- " if markdown else "") + f"step /torch geomean: {_geomean(ratios):.2f}",
                  ("- " if markdown else "") + f"step /torch worst: {max(ratios):.2f}"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/train_step.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one tiny network")
    parser.add_argument("--reps", type=int, default=10, help="samples per process (10)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating processes (2)")
    parser.add_argument("--threads", type=int, default=2, help="threads per library (2)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--worker", choices=["numpy", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return 0
    result = run(args.quick, args.reps, args.rounds, args.threads,
                 torch=False if args.no_torch else None)
    print(f"# benchmarks/train_step.py: {_machine()}; {args.threads} threads; median of "
          f"{args.rounds} x {args.reps} samples; float32; forward + softmax cross-entropy + "
          f"backward + SGD momentum step")
    print(format_table(result, markdown=args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
