"""The built book, as a reader's browser shows it, with no network.

Opens every page of the table of contents of the session's book build
(``tests/conftest.py``: the README's command, warnings as errors) in one headless
Chromium over ``file://`` at a phone's width (390 x 844), with every http(s) request
aborted, waits until MathJax has typeset the page, and checks what the reader sees:
MathJax typeset the math (from the copy inside the site, not a CDN), no formula failed
to typeset, no cell shows an error or a traceback, every image loaded, no JavaScript
error, no request left the site, no script is listed twice, the page does not scroll
sideways, no display formula is wider than its box, and the API reference's stylesheet
touches no other page.

Skipped only when Chromium or playwright is not installed (``.ci/run`` installs both).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
sync_api = pytest.importorskip("playwright.sync_api")


def _toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [ch["file"] for ch in part.get("chapters", [])]
    return pages


PAGES = _toc_pages()
API_PAGE = "book/api_reference"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site(built_book):
    # built once per session in tests/conftest.py, shared with tests/test_explorer.py
    return built_book


@pytest.fixture(scope="module")
def browser(site):
    """One Chromium for every page; each page records its errors and web requests."""
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        ctx = chromium.new_context(viewport=PHONE)
        ctx.route("http*://**", lambda route: route.abort())
        yield ctx
        chromium.close()


def _selectors(css: str) -> list[str]:
    """The selectors of a flat stylesheet (no @media blocks), comments removed."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return [sel.strip() for sel in re.findall(r"([^{}]+)\{[^{}]*\}", css)]


API_CSS = _selectors((ROOT / "_static" / "convbp-api.css").read_text())

# Which selectors match something on the page (pseudo-elements stripped:
# querySelector does not take them). Read from the file: a file:// page may not
# read its own stylesheets' rules.
JS_MATCHES = """(selectors) => selectors.filter(
    (sel) => document.querySelector(sel.replace(/::?(after|before)\\b/g, '')))"""


# The page's width and the right edge of its widest elements (those that would make a
# phone scroll sideways: not inside a box that scrolls or clips on its own).
JS_WIDTHS = """() => {
  const inner = window.innerWidth, wide = [];
  const boxed = (e) => { for (let a = e.parentElement; a; a = a.parentElement) {
      if (/(auto|scroll|hidden|clip)/.test(getComputedStyle(a).overflowX)) return true; }
    return false; };
  for (const e of document.querySelectorAll('main *')) {
    const r = e.getBoundingClientRect();
    if (r.width && r.right > inner && !boxed(e))
      wide.push([e.tagName.toLowerCase() + '.' + e.className, Math.round(r.right)]);
  }
  const right = (sel) => Math.max(0, ...Array.from(document.querySelectorAll(sel)).map(
      (e) => e.getBoundingClientRect().right));
  const math = Array.from(document.querySelectorAll('mjx-container[display="true"]'))
    .filter((c) => c.scrollWidth > c.clientWidth + 4)
    .map((c) => [c.scrollWidth, c.clientWidth, (c.textContent || '').slice(0, 40)]);
  return {scroll: document.documentElement.scrollWidth, inner: inner, wide: wide.slice(0, 5),
          math: math,
          signatures: document.querySelectorAll('dl.py > dt.sig').length,
          api: [right('dl.py > dt.sig > *'), right('#api-reference :is(h2, h3) code'),
                right('#api-reference dl.field-list > dd :is(code, a, strong, em)')]};
}"""


def _render(ctx, html_file: Path) -> dict:
    """Open a page, let MathJax finish, and return what the reader's browser has."""
    page = ctx.new_page()
    errors, web = [], []
    page.on("pageerror", lambda exc: errors.append(exc.message))
    page.on("request", lambda req: web.append(req.url) if req.url.startswith("http") else None)
    try:
        page.goto(html_file.as_uri(), wait_until="load")
        # MathJax 3 resolves startup.promise once the first typesetting is done
        page.wait_for_function("() => !document.querySelector('script[src*=\"mathjax\"]')"
                               " || (window.MathJax && MathJax.startup"
                               " && MathJax.startup.promise)", timeout=30_000)
        page.evaluate("() => window.MathJax && MathJax.startup"
                      " && MathJax.startup.promise.then(() => true)")
        return {
            "dom": page.content(),
            "errors": errors,
            "web": web,
            "broken_images": page.evaluate("""() => Array.from(document.images).filter(
                (i) => !i.complete || i.naturalWidth === 0).map((i) => i.src.slice(0, 80))"""),
            "api_css": page.evaluate(JS_MATCHES, API_CSS),
            "widths": page.evaluate(JS_WIDTHS),
        }
    finally:
        page.close()


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_offline(site, browser, page):
    html_file = site / (page + ".html")
    assert html_file.exists(), f"{page}.html was not built"
    source = html_file.read_text()
    seen = _render(browser, html_file)
    dom = seen["dom"]
    # MathJax comes from inside the site; nothing is fetched from the web
    assert re.search(r'src="[^"]*_static/mathjax/[^"]*\.js"', source), "MathJax not served locally"
    assert not re.search(r'<script[^>]*src="(https?:)?//', source), "a script loads from the web"
    assert not seen["web"], f"the page asked the network for {seen['web'][:3]}"
    # no JavaScript error, and no script twice (a repeated `const` is an error)
    assert not seen["errors"], f"JavaScript errors: {seen['errors']}"
    head = source.split("</head>")[0]
    scripts = re.findall(r"<script\b[^>]*>.*?</script>", head, flags=re.S)
    repeated = sorted({s[:120] for s in scripts if scripts.count(s) > 1})
    assert not repeated, f"scripts listed twice: {repeated}"
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
    # every image is embedded or shipped with the site, and the browser decoded it
    for src in re.findall(r'<img[^>]*src="([^"]+)"', source):
        if src.startswith("data:"):
            continue
        assert not src.startswith(("http:", "https:", "//")), f"remote image {src}"
        assert (html_file.parent / src.split("#")[0]).resolve().exists(), f"missing image {src}"
    assert not seen["broken_images"], f"images that did not load: {seen['broken_images']}"
    # nothing makes a phone scroll sideways (code scrolls in its box), and every display
    # formula fits its box (wide ones are split onto aligned lines)
    widths = seen["widths"]
    assert widths["scroll"] <= widths["inner"] == PHONE["width"], widths
    assert not widths["math"], f"display formulas wider than a phone: {widths['math']}"
    if page == API_PAGE:         # long signatures, module headings, field lists wrap
        assert widths["signatures"] > 50 and max(widths["api"]) <= widths["inner"], widths
    # the API reference's stylesheet (added to every page) styles that page only
    assert "_static/convbp-api.css" in head
    if page == API_PAGE:
        assert len(seen["api_css"]) == len(API_CSS) >= 5, seen["api_css"]
    else:
        assert seen["api_css"] == [], f"convbp-api.css styles {page}: {seen['api_css']}"
