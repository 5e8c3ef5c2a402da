"""The built book, as a reader's browser shows it, with no network.

Builds the book into a temporary directory (the same command as the README, with
warnings as errors), opens every page of the table of contents in headless Chromium
over ``file://``, and checks what the page shows after JavaScript ran: MathJax typeset
the math (from the copy inside the site, not a CDN), no formula failed to typeset, no
cell shows an error or a traceback, and every image on the page loaded.

Skipped only when Chromium is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def _toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [ch["file"] for ch in part.get("chapters", [])]
    return pages


PAGES = _toc_pages()


@pytest.fixture(scope="module")
def site(built_book):
    # built once per session in tests/conftest.py, shared with tests/test_explorer.py
    return built_book


def _dom(page: Path) -> str:
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=15000",
             "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=120,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_offline(site, page):
    html_file = site / (page + ".html")
    assert html_file.exists(), f"{page}.html was not built"
    source = html_file.read_text()
    dom = _dom(html_file)
    # MathJax comes from inside the site
    assert re.search(r'src="[^"]*_static/mathjax/[^"]*\.js"', source), "MathJax not served locally"
    assert not re.search(r'<script[^>]*src="(https?:)?//', source), "a script loads from the web"
    # every formula in the source was typeset, none failed
    n_math = len(re.findall(r'class="math[^"]*"', source))
    n_typeset = dom.count("<mjx-container")
    if n_math:
        assert n_typeset >= n_math, f"{n_typeset} typeset formulas for {n_math} in the source"
    assert "<mjx-merror" not in dom and "data-mjx-error" not in dom, "a formula failed to typeset"
    assert "\\(" not in re.sub(r"<(script|pre|code)[^>]*>.*?</\1>", "", dom, flags=re.S), \
        "raw TeX left on the page"
    # no error output in any cell
    # (myst-nb renders error outputs as "output traceback", stderr as "output stderr")
    for bad in ("Traceback (most recent call last)", 'class="output stderr',
                'class="output traceback'):
        assert bad not in dom, f"the page shows error output ({bad!r})"
    # every image is embedded or shipped with the site
    for src in re.findall(r'<img[^>]*src="([^"]+)"', source):
        if src.startswith("data:"):
            continue
        assert not src.startswith(("http:", "https:", "//")), f"remote image {src}"
        assert (html_file.parent / src.split("#")[0]).resolve().exists(), f"missing image {src}"
