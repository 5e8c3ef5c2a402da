"""How long SymPy takes to derive every gradient equation of one convolution.

Run from the repository root::

    python benchmarks/bench_symbolic.py [--repeat 5]

For each size it prints the median wall time (over ``--repeat`` runs, SymPy's cache
cleared before each) of

* ``derive``: :func:`convbp.symbolic.derive` plus ``equations()`` (all dx, dw, db),
  the sparse differentiation the package uses;
* ``latex``: rendering all equations with :meth:`Derivation.latex`;
* ``naive``: the same forward expressions, then ``sympy.diff`` of the whole loss
  ``L = sum(delta * y)`` once per symbol (the approach the sparse one replaces);
  timed from building ``L``, so without the forward pass that ``derive`` includes.

The target is ``derive`` <= 1 s for a 16x16 input with a 5x5 kernel at stride 2.
Not a unit test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

import sympy
from sympy.core.cache import clear_cache

from convbp.symbolic import derive

CASES = [
    ("4x4 / 3x3", (4, 4), (3, 3), 1),
    ("8x8 / 3x3, stride 2", (8, 8), (3, 3), 2),
    ("16x16 / 5x5, stride 2", (16, 16), (5, 5), 2),
]


def _median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        clear_cache()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _derive_all(size, kernel, stride):
    return derive(size, kernel, stride=stride).equations()


def _naive(size, kernel, stride):
    """Build the same y, then diff the whole loss for every symbol."""
    d = derive(size, kernel, stride=stride)
    start = time.perf_counter()
    L = sympy.Add(*[dl * y for dl, y in zip(d.delta.flat, d.y.flat)])
    for v in (*d.x.flat, *d.w.flat, *d.b.flat):
        sympy.diff(L, v)
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    args = parser.parse_args(argv)
    print(f"median of {args.repeat} runs, SymPy {sympy.__version__}")
    print(f"{'case':<24}{'derive':>10}{'latex':>10}{'naive diff':>12}")
    for name, size, kernel, stride in CASES:
        t_derive = _median_time(lambda: _derive_all(size, kernel, stride), args.repeat)
        d = derive(size, kernel, stride=stride)
        t_latex = _median_time(d.latex, args.repeat)
        naive = []
        for _ in range(args.repeat):
            clear_cache()
            naive.append(_naive(size, kernel, stride))
        print(f"{name:<24}{t_derive:>9.3f}s{t_latex:>9.3f}s{statistics.median(naive):>11.3f}s")


if __name__ == "__main__":
    main()
