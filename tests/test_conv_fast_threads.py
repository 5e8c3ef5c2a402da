"""The block threading of the fast convolution (convbp._threads).

Blocks run on one Python thread per BLAS thread, with OpenBLAS single-threaded inside.
These tests check the scheduler itself (every block once, overlapping blocks on one
thread, BLAS's thread count restored), that the threaded, the serial and the
no-OpenBLAS fallback give the same numbers, that repeated runs are bitwise identical,
and that concurrent callers do not disturb each other.
"""

import threading

import numpy as np
import pytest

import convbp
from convbp import _threads, reference


@pytest.fixture(autouse=True)
def always_threaded(monkeypatch):
    """The test operands are tiny: without this, the shape rule would run them all in the
    calling thread (SERIAL_COST). The serial rule has its own tests at the end."""
    monkeypatch.setattr(_threads, "SERIAL_COST", 0)


def test_every_block_once_and_owners_share_a_thread():
    seen, lock = [], threading.Lock()

    def work(block, buffers):
        with lock:
            seen.append((block, threading.get_ident(), id(buffers)))

    plan = list(range(11))
    shares = _threads.run_blocks(plan, work, lambda: object(), owner=lambda i: i // 3)
    assert sorted(b for b, _, _ in seen) == plan
    threads = {}
    for block, ident, buf in seen:
        threads.setdefault(block // 3, set()).add((ident, buf))
    assert all(len(v) == 1 for v in threads.values())      # one owner, one thread, one buffer
    assert 1 <= len(shares) <= max(1, _threads.blas_threads())
    order = [b for b, _, _ in seen if b // 3 == 1]
    assert order == sorted(order)                           # in plan order within a thread


@pytest.mark.skipif(not _threads._openblas(), reason="no controllable OpenBLAS loaded")
def test_blas_thread_count_is_restored_even_after_an_error():
    before = _threads.blas_threads()

    def work(block, _):
        assert _threads._openblas()[0][1]() == 1             # single-threaded inside
        if block == 3:
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        _threads.run_blocks(list(range(6)), work, lambda: None)
    assert _threads.blas_threads() == before


CASES = [
    # x shape, w shape, keyword arguments
    ((5, 6, 9, 8), (4, 3, 3, 3), dict(stride=2, padding=((1, 0), 1), groups=2)),
    ((3, 3, 11, 10), (16, 3, 3, 3), dict(stride=(2, 3), padding=1)),       # scatter
    ((4, 6, 9, 9), (12, 1, 3, 3), dict(stride=2, padding=1, groups=6)),    # depthwise
    ((6, 8, 5, 7), (4, 8, 1, 1), {}),                                       # pointwise
    ((7, 4, 40), (6, 4, 5), dict(stride=3, dilation=2, padding=2)),        # 1-D
]


def _run(x, w, kw):
    rng = np.random.default_rng(1)
    y = convbp.conv(x, w, **kw)
    dy = rng.normal(size=y.shape)
    grads = convbp.conv_backward(dy, x, w, **kw)
    xt = convbp.conv_transpose(y, w, **{k: v for k, v in kw.items()})
    return [y, *grads, xt]


@pytest.mark.parametrize("xs,ws,kw", CASES)
def test_threaded_serial_and_fallback_agree(xs, ws, kw, monkeypatch):
    from convbp import _fastconv
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=xs), rng.normal(size=ws)
    monkeypatch.setattr(_fastconv, "CHUNK_BYTES", 2000)     # many blocks
    threaded = _run(x, w, kw)
    again = _run(x, w, kw)
    for a, b in zip(threaded, again):
        np.testing.assert_array_equal(a, b)                 # deterministic
    monkeypatch.setattr(_threads, "ENABLED", False)
    serial = _run(x, w, kw)
    monkeypatch.setattr(_threads, "ENABLED", True)
    monkeypatch.setattr(_threads, "_handles", [])           # no OpenBLAS found
    assert _threads.blas_threads() == 1
    fallback = _run(x, w, kw)
    for a, b, c in zip(threaded, serial, fallback):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(threaded[0], reference.conv(x, w, **kw), rtol=1e-10, atol=1e-10)


def test_concurrent_callers():
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(6, 4, 12, 12)).astype(np.float32), rng.normal(size=(8, 4, 3, 3))
    w = w.astype(np.float32)
    dy = rng.normal(size=(6, 8, 6, 6)).astype(np.float32)
    want = convbp.conv_backward(dy, x, w, stride=2, padding=1)
    results, errors = [], []

    def call():
        try:
            for _ in range(5):
                results.append(convbp.conv_backward(dy, x, w, stride=2, padding=1))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=call) for _ in range(3)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert not errors and len(results) == 15
    for got in results:
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")
def test_forked_child_gets_a_fresh_pool():
    import multiprocessing as mp
    x = np.random.default_rng(3).normal(size=(4, 3, 10, 10))
    w = np.ones((5, 3, 3, 3))
    want = convbp.conv(x, w, stride=2)            # the parent's pool exists now
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(convbp.conv, (x, w), dict(stride=2)).get(timeout=60)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_small_work_runs_in_the_calling_thread_with_blas_single_threaded(monkeypatch):
    monkeypatch.setattr(_threads, "SERIAL_COST", 1000)
    assert _threads.workers(999) == 1 and _threads.workers(None) == _threads.blas_threads()
    assert _threads.workers(1000) == _threads.blas_threads()
    before = _threads.blas_threads()
    seen = []

    def work(block, buffers):
        handles = _threads._openblas()
        seen.append((block, threading.get_ident(), id(buffers),
                     handles[0][1]() if handles else 1))

    shares = _threads.run_blocks(list(range(5)), work, lambda: object(), cost=999)
    assert len(shares) == 1 and [b for b, *_ in seen] == list(range(5))
    assert {(t, buf, n) for _, t, buf, n in seen} == {
        (threading.get_ident(), id(shares[0]), 1)}
    assert _threads.blas_threads() == before


@pytest.mark.parametrize("xs,ws,kw", CASES)
def test_serial_rule_gives_the_same_numbers_every_run(xs, ws, kw, monkeypatch):
    """Small work (the rule) and forced threads: both equal the reference; each path is
    bitwise repeatable, so the shape rule keeps every result the same on every run."""
    from convbp import _fastconv
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=xs), rng.normal(size=ws)
    monkeypatch.setattr(_fastconv, "CHUNK_BYTES", 2000)     # many blocks
    monkeypatch.setattr(_threads, "SERIAL_COST", 1 << 60)   # everything is small
    serial = _run(x, w, kw)
    for a, b in zip(serial, _run(x, w, kw)):
        np.testing.assert_array_equal(a, b)
    monkeypatch.setattr(_threads, "SERIAL_COST", 0)
    threaded = _run(x, w, kw)
    for a, b in zip(serial, threaded):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    rng = np.random.default_rng(1)
    y = reference.conv(x, w, **kw)
    np.testing.assert_allclose(serial[0], y, rtol=1e-10, atol=1e-10)
    want = reference.conv_backward(rng.normal(size=y.shape), x, w, **kw)
    for got, ref in zip(serial[1:4], want):
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)
