"""Fixtures shared by the tests that open the built book in a browser."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def built_book():
    """The book built once per test session (README's command, warnings as errors).

    Yields the ``_build/html`` directory of a build into a temporary directory, so
    the tests never read a stale ``_build`` of the working tree.
    """
    out = Path(tempfile.mkdtemp(prefix="convbp-book-"))
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(ROOT), "--path-output",
           str(out), "-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        shutil.rmtree(out, ignore_errors=True)
        pytest.fail("book build failed:\n" + proc.stdout[-3000:] + proc.stderr[-3000:])
    yield out / "_build" / "html"
    shutil.rmtree(out, ignore_errors=True)
