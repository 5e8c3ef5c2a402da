"""Run independent blocks of work on every core: one Python thread per BLAS thread.

The fast convolution splits its work into blocks (see :func:`convbp._fastconv.blocks`);
each block is a copy (im2col, a transpose) followed by a matrix product. Left to
itself, NumPy runs the copies on one core and lets OpenBLAS spread each product over
all cores, which costs a synchronisation per product and leaves the other cores idle
during the copies. It is faster (typically 1.4x on two cores; ``benchmarks/README.md``)
to give each core whole blocks: ``T`` Python threads (NumPy releases the GIL inside
copies and products), each running OpenBLAS single-threaded on its own blocks, its data
staying in its core's cache.

That needs OpenBLAS's thread count, which NumPy does not expose: this module finds the
OpenBLAS library that NumPy loaded (``/proc/self/maps``, the way ``threadpoolctl``
does) and calls its ``openblas_set_num_threads``. The setting is process-wide, so it is
changed only inside :func:`run_blocks`, restored on exit, and a lock keeps concurrent
callers from interleaving: other threads' NumPy products run single-threaded while a
convolution runs. When no OpenBLAS can be found (another BLAS, another OS) or only one
thread is configured, every block simply runs in the calling thread, with BLAS threaded
as usual. The result does not depend on the path: each output element is written by
exactly one block, and per-thread partial sums (``dw``) are combined in a fixed order.
"""

from __future__ import annotations

import ctypes
import os
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["blas_threads", "workers", "run_blocks", "ENABLED", "SERIAL_COST", "COPY_COST"]

# Set to False to run every block in the calling thread (tests use it to compare paths).
ENABLED = True

# Work (floating-point operations; a copy of B bytes counts COPY_COST*B) below which
# the blocks run in the calling thread, with BLAS single-threaded: handing blocks to a
# second Python thread costs a wake-up and, worse, makes the threads take turns at the
# GIL for the Python work between the copies and products of each block. Measured on
# the layers of benchmarks/bench.py (2 cores): one thread is as fast or faster up to
# about 30 MFLOP (a 7 MFLOP 4x4 stride-3 layer 0.91 -> 0.61 ms, LeNet's 6 -> 16
# backward 9.0 -> 5.9 ms). A shape rule, never a timing: the same shapes always take
# the same path, so the results are the same on every run.
SERIAL_COST = 1 << 25

# Operations a byte of a plain copy (the padded channels-last x) counts for: copies
# have no Python work between them, so they gain from a second thread from about 1 MB
# (measured: 32 -> 64 channels, 2x2 stride 2 on 32x32, forward 7.3 -> 5.2 ms).
COPY_COST = 32

_SYMBOLS = [  # (setter, getter) as exported by the OpenBLAS builds NumPy ships with
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
]
_lock = threading.Lock()
_handles: list | None = None
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's threads: start afresh."""
    global _lock, _pool, _pool_size
    _lock, _pool, _pool_size = threading.Lock(), None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _openblas() -> list:
    """``(set, get)`` function pairs of every OpenBLAS loaded in this process (cached)."""
    global _handles
    if _handles is None:
        import numpy  # noqa: F401  (its BLAS must be loaded before we look for it)
        found = []
        try:
            with open("/proc/self/maps") as f:
                paths = sorted({line.split()[-1] for line in f
                                if "openblas" in line.rsplit("/", 1)[-1].lower()})
        except OSError:
            paths = []
        for path in paths:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for setter, getter in _SYMBOLS:
                if hasattr(lib, setter) and hasattr(lib, getter):
                    get = getattr(lib, getter)
                    get.restype = ctypes.c_int
                    found.append((getattr(lib, setter), get))
                    break
        _handles = found
    return _handles


def blas_threads() -> int:
    """How many threads BLAS would use; 1 when its thread count cannot be controlled."""
    handles = _openblas()
    return max(1, handles[0][1]()) if handles and ENABLED else 1


def workers(cost=None) -> int:
    """Threads that :func:`run_blocks` uses for work of ``cost`` operations
    (:data:`SERIAL_COST`): 1 for small work, else :func:`blas_threads`."""
    if cost is not None and cost < SERIAL_COST:
        return 1
    return blas_threads()


def run_blocks(plan, work, scratch, owner=None, cost=None) -> list:
    """Call ``work(block, buffers)`` for every block of ``plan``; returns the buffers.

    ``scratch()`` makes one set of buffers per thread. Block ``i`` goes to thread
    ``owner(i) % T`` (``owner`` defaults to ``i``): blocks whose outputs overlap must
    share an owner. With ``T = 1`` everything runs here, in order, with one set of
    buffers; so it does when the work's ``cost`` (operations, see :data:`SERIAL_COST`)
    is small, then with BLAS single-threaded too.
    """
    n_workers = max(1, min(workers(cost), len(plan)))
    owner = owner or (lambda i: i)
    shares = [[b for i, b in enumerate(plan) if owner(i) % n_workers == t]
              for t in range(n_workers)]
    shares = [share for share in shares if share]

    def run(share):
        buffers = scratch()
        for block in share:
            work(block, buffers)
        return buffers

    if len(shares) <= 1:
        if n_workers == 1 and blas_threads() > 1:       # small work: BLAS on one thread too
            with _lock:
                handles = _openblas()
                before = [get() for _set, get in handles]
                for set_, _get in handles:
                    set_(1)
                try:
                    return [run(plan)]
                finally:
                    for (set_, _get), n in zip(handles, before):
                        set_(n)
        return [run(plan)]
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < len(shares):
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=len(shares), thread_name_prefix="convbp")
            _pool_size = len(shares)
        handles = _openblas()
        before = [get() for _set, get in handles]
        for set_, _get in handles:
            set_(1)
        try:
            return list(_pool.map(run, shares))
        finally:
            for (set_, _get), n in zip(handles, before):
                set_(n)
