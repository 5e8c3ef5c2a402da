"""The backward-pass explorer (book/explorer.md), driven in headless Chromium.

The built page (shared session build, ``tests/conftest.py``) is opened over ``file://``
with every http(s) request aborted, and any JavaScript error on the page fails the
test. What the page computes and what it draws are compared with three independent
oracles on many seeded random geometries, every input pixel and every kernel tap:

* :func:`convbp.geometry.conv_geometry` for ``O``, ``r`` and ``(P_lo, P_hi)``;
* a brute-force enumeration of the forward pass (every output, every tap, the input
  position ``s*o + d*m - p_lo`` it reads), grouped by input pixel and by tap;
* :meth:`convbp.symbolic.derive(...).contributions`, read off SymPy's derivative, on
  the smaller geometries (SymPy is slow on large ones).

Then the controls, presets, tabs, keyboard, URL parameters, themes and phone width are
exercised as a reader would. Skipped only when Chromium or playwright is absent.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil

import numpy as np
import pytest

from convbp.geometry import conv_geometry
from convbp.symbolic import derive

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
sync_api = pytest.importorskip("playwright.sync_api")

LIMITS = {"input": (1, 16), "kernel": (1, 7), "stride": (1, 4), "padding": (0, 4),
          "dilation": (1, 3)}

HARD = [  # (input, kernel, stride, padding, dilation)
    ((8, 8), (3, 3), (2, 2), ((0, 0), (0, 0)), (1, 1)),    # leftover row and column
    ((9, 7), (2, 2), (3, 4), ((0, 0), (0, 0)), (1, 1)),    # stride > kernel: skipped
    ((9, 9), (3, 3), (2, 1), ((0, 0), (0, 0)), (2, 2)),    # dilation 2
    ((7, 7), (3, 3), (2, 2), ((1, 0), (0, 2)), (1, 1)),    # asymmetric padding
    ((6, 6), (2, 2), (1, 2), ((2, 2), (2, 0)), (1, 1)),    # P_lo < 0: crop
    ((5, 6), (1, 2), (3, 1), ((0, 4), (3, 1)), (1, 3)),    # 1-tap kernel, big pads
    ((1, 1), (1, 1), (1, 4), ((0, 0), (0, 0)), (1, 1)),    # size-1 everything
    ((7, 3), (3, 3), (2, 2), ((0, 0), (0, 0)), (3, 1)),    # window = input
    ((7, 6), (3, 2), (2, 3), ((1, 0), (2, 1)), (1, 2)),    # the URL example
]


def _spec(geom):
    n, k, s, p, d = geom
    return {"input": list(n), "kernel": list(k), "stride": list(s),
            "padding": [list(p[0]), list(p[1])], "dilation": list(d)}


def _fits(geom):
    n, k, s, p, d = geom
    return all(dd * (kk - 1) + 1 <= nn + lo + hi for nn, kk, (lo, hi), dd in zip(n, k, p, d))


def _random_geometries(seed, count):
    rng = np.random.default_rng(seed)
    fit, unfit = [], []
    while len(fit) < count:
        axes = [(int(rng.integers(1, 17)), int(rng.integers(1, 8)), int(rng.integers(1, 5)),
                 (int(rng.integers(0, 5)), int(rng.integers(0, 5))), int(rng.integers(1, 4)))
                for _ in range(2)]
        geom = tuple(tuple(a[i] for a in axes) for i in range(5))
        (fit if _fits(geom) else unfit).append(geom)
    return fit, unfit


def _brute_force(geom):
    """Walk the forward pass: which (delta, tap, input) triples meet, by pixel and tap."""
    n, k, s, p, d = geom
    out = conv_geometry("test", n, k, s, p, d).out_size
    dx, dw = {}, {}
    for o in itertools.product(*map(range, out)):
        for m in itertools.product(*map(range, k)):
            a = tuple(ss * oo + dd * mm - lo
                      for ss, oo, dd, mm, (lo, _) in zip(s, o, d, m, p))
            if all(0 <= aa < nn for aa, nn in zip(a, n)):
                dx.setdefault(a, []).append((o, m))
                dw.setdefault(m, []).append((o, a))
    return ({a: sorted(v) for a, v in dx.items()}, {m: sorted(v) for m, v in dw.items()})


def _unread(geom):
    """Per axis: input rows no window reads, split into leftover and skipped."""
    n, k, s, p, d = geom
    ref = conv_geometry("test", n, k, s, p, d)
    result = []
    for ax in range(2):
        lo = p[ax][0]
        read = {s[ax] * o + d[ax] * m - lo for o in range(ref.out_size[ax])
                for m in range(k[ax])}
        last = ref.padded_size[ax] - ref.remainder[ax]          # first leftover padded row
        rows = [a for a in range(n[ax]) if a not in read]
        result.append({"leftover": [a for a in rows if a + lo >= last],
                       "skipped": [a for a in rows if a + lo < last]})
    return result


def _tuples(pairs):
    return [tuple(tuple(int(v) for v in idx) for idx in pair) for pair in pairs]


# -------------------------------------------------------------------- browser fixtures

@pytest.fixture(scope="module")
def browser_page(built_book):
    """One Chromium page for the whole module, no network, JavaScript errors recorded."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        ctx.route("http*://**", lambda route: route.abort())
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(exc.message))
        yield page, errors
        browser.close()


@pytest.fixture
def open_page(browser_page, built_book):
    """open_page(query="", page="book/explorer") -> the page, loaded afresh from file://."""
    page, errors = browser_page
    errors.clear()

    def _open(query="", page_name="book/explorer"):
        page.set_viewport_size({"width": 1280, "height": 900})
        # the explorer starts at DOMContentLoaded; no need to wait for MathJax's fonts
        page.goto((built_book / (page_name + ".html")).as_uri() + query,
                  wait_until="domcontentloaded")
        return page

    yield _open
    assert not errors, f"JavaScript errors on the page: {errors}"


# JSON text: playwright's own serialisation of nested arrays is far slower
JS_ALL_TERMS = """(specs) => JSON.stringify(specs.map((spec) => {
  const geom = window.convbpExplorer.set(spec);
  const dx = [], dw = [];
  for (let i = 0; i < spec.input[0]; i++)
    for (let j = 0; j < spec.input[1]; j++)
      dx.push(window.convbpExplorer.inputGradientTerms([i, j]));
  for (let m = 0; m < spec.kernel[0]; m++)
    for (let n = 0; n < spec.kernel[1]; n++)
      dw.push(window.convbpExplorer.weightGradientTerms([m, n]));
  return {geom: geom, dx: dx, dw: dw};
}))"""


def _check_geometry(geom, got):
    ref = conv_geometry("test", *geom)
    assert tuple(got["output"]) == ref.out_size, geom
    assert tuple(got["remainder"]) == ref.remainder, geom
    assert tuple(map(tuple, got["dxPadding"])) == ref.dx_padding, geom
    # the book's formula for (P_lo, P_hi), written out once more
    for ax in range(2):
        dk = geom[4][ax] * (geom[1][ax] - 1)
        lo, hi = geom[3][ax]
        assert tuple(got["dxPadding"][ax]) == (dk - lo, dk - hi + ref.remainder[ax]), geom


def _check_terms(geom, got, symbolic=False):
    n, k = geom[0], geom[1]
    dx, dw = _brute_force(geom)
    pixels = list(itertools.product(range(n[0]), range(n[1])))
    taps = list(itertools.product(range(k[0]), range(k[1])))
    sym = derive(n, k, stride=geom[2], padding=geom[3], dilation=geom[4]) if symbolic else None
    for a, pairs in zip(pixels, got["dx"]):
        assert _tuples(pairs) == dx.get(a, []), (geom, a)
        if sym is not None:
            assert _tuples(pairs) == sym.contributions(*a), (geom, a)
    for m, pairs in zip(taps, got["dw"]):
        assert _tuples(pairs) == dw.get(m, []), (geom, m)
        if sym is not None:
            assert _tuples(pairs) == sym.contributions(*m, wrt="w"), (geom, m)
    return len(pixels), len(taps)


# -------------------------------------------------------------------- the maths

def test_geometry_and_terms_match_convbp_on_random_geometries(open_page):
    page = open_page()
    fit, _ = _random_geometries(seed=14, count=150)
    geoms = HARD + fit
    results = json.loads(page.evaluate(JS_ALL_TERMS, [_spec(geo) for geo in geoms]))
    pixels = taps = 0
    for geom, got in zip(geoms, results):
        _check_geometry(geom, got["geom"])
        npx, ntap = _check_terms(geom, got)
        pixels, taps = pixels + npx, taps + ntap
    assert len(geoms) == 159 and pixels > 10_000 and taps > 1_000


def test_terms_match_sympy_derivation(open_page):
    page = open_page()
    rng = np.random.default_rng(140)
    small = [geo for geo in HARD if max(geo[0]) <= 7 and max(geo[1]) <= 3]
    while len(small) < 14:
        n, k, s, d = (tuple(int(v) for v in rng.integers(lo, hi, 2))
                      for lo, hi in ((1, 7), (1, 4), (1, 5), (1, 3)))
        p = tuple(tuple(int(v) for v in pair) for pair in rng.integers(0, 3, (2, 2)))
        if _fits((n, k, s, p, d)):
            small.append((n, k, s, p, d))
    results = json.loads(page.evaluate(JS_ALL_TERMS, [_spec(geo) for geo in small]))
    for geom, got in zip(small, results):
        _check_geometry(geom, got["geom"])
        _check_terms(geom, got, symbolic=True)


JS_CLICK_ALL = """([view, grid, cells]) => {
  const root = document.getElementById('convbp-explorer');
  root.querySelector('[role=tab][data-view="' + view + '"]').click();
  const out = [];
  const read = (name) => Array.from(root.querySelectorAll(
      'svg[data-grid="' + name + '"] [data-term]')).map((c) =>
      [c.getAttribute('data-term'), +c.getAttribute('data-i'), +c.getAttribute('data-j')]);
  for (const [i, j] of cells) {
    const cell = root.querySelector(
        'svg[data-grid="' + grid + '"] [data-i="' + i + '"][data-j="' + j + '"]');
    cell.dispatchEvent(new MouseEvent('click', {bubbles: true}));
    const shown = {}, sel = root.querySelector(
        'svg[data-grid="' + grid + '"] [aria-pressed="true"]');
    for (const name of ['dx-delta', 'dx-kernel', 'dx-dilated', 'dx-padded', 'dx-flipped',
                        'dx-correlate', 'dw-delta', 'dw-input', 'fwd-input'])
      shown[name] = read(name);
    const sum = root.querySelector('.cbx-sum');
    shown.sum = sum ? sum.textContent : null;
    shown.selected = sel ? [+sel.getAttribute('data-i'), +sel.getAttribute('data-j')] : null;
    out.push(shown);
  }
  return out;
}"""


def _by_term(cells):
    return {t: (i, j) for t, i, j in cells}


def _some(shape, rng, count, must=()):
    """Up to ``count`` cells of a grid: the corners, ``must``, then random ones."""
    every = list(itertools.product(*map(range, shape)))
    if len(every) <= count:
        return every
    chosen = list(dict.fromkeys([every[0], every[-1], *must]))
    for i in rng.permutation(len(every)):
        if len(chosen) >= count:
            break
        if every[i] not in chosen:
            chosen.append(every[i])
    return chosen


def test_what_the_page_draws_matches_the_oracle(open_page):
    """Click pixels, taps and outputs; read the numbered cells of every drawn grid."""
    page = open_page()
    rng = np.random.default_rng(41)
    fit = [geo for geo in _random_geometries(seed=41, count=40)[0] if max(geo[0]) <= 10][:2]
    for geom in HARD + fit:
        n, k, s, p, d = geom
        ref = conv_geometry("test", n, k, s, p, d)
        page.evaluate("(spec) => window.convbpExplorer.set(spec)", _spec(geom))
        dx, dw = _brute_force(geom)
        lo = [p[0][0], p[1][0]]
        unread = _unread(geom)
        zero = [(a0, a1) for a0 in range(n[0]) for a1 in range(n[1])
                if any(a0 in v for v in unread[0].values())
                or any(a1 in v for v in unread[1].values())]
        # input gradient and the recipe, stage by stage
        pixels = _some(n, rng, 10, must=zero[:1] + zero[-1:])
        shown = page.evaluate(JS_CLICK_ALL, ["dx", "dx-input", pixels])
        for a, view in zip(pixels, shown):
            assert view["selected"] == list(a)
            pairs = dx.get(a, [])
            dy_terms, tap = _by_term(view["dx-delta"]), _by_term(view["dx-kernel"])
            assert sorted(dy_terms, key=int) == sorted(tap, key=int) == [
                str(t + 1) for t in range(len(pairs))]
            assert sorted((dy_terms[t], tap[t]) for t in dy_terms) == pairs, (geom, a)
            stages = {name: _by_term(view[name]) for name in
                      ("dx-dilated", "dx-padded", "dx-flipped", "dx-correlate")}
            for t, (o, m) in ((t, (dy_terms[t], tap[t])) for t in dy_terms):
                at = tuple(s[x] * o[x] for x in range(2))
                hat = tuple(at[x] + ref.dx_padding[x][0] for x in range(2))
                flip = tuple(k[x] - 1 - m[x] for x in range(2))
                assert stages["dx-dilated"][t] == at, (geom, a, t)
                assert stages["dx-padded"][t] == hat, (geom, a, t)
                assert stages["dx-flipped"][t] == flip, (geom, a, t)
                # the correlation window at a, tap flip: a + d*flip lands on delta[o]
                assert stages["dx-correlate"][t] == hat == tuple(
                    a[x] + d[x] * flip[x] for x in range(2)), (geom, a, t)
            for name in stages:                      # and nothing else is numbered
                assert len(stages[name]) == len(pairs), (geom, a, name)
            written = re.findall(r"δ\[(\d+),(\d+)\]·W\[(\d+),(\d+)\]", view["sum"])
            assert sorted(((int(u), int(v)), (int(q), int(r))) for u, v, q, r in written) \
                == pairs
            if not pairs:
                assert re.search(r"= 0: .*(leftover|skipped)", view["sum"]), view["sum"]
        # leftover and skipped rows marked in the margins of the input grid
        marks = page.evaluate("""() => Array.from(document.querySelectorAll(
            'svg[data-grid="dx-input"] [data-mark]')).map((r) => [r.getAttribute('data-mark'),
            +r.getAttribute('data-mark-axis'), +r.getAttribute('data-index')])""")
        for ax, want in enumerate(unread):
            for kind in ("leftover", "skipped"):
                assert sorted(i for m, x, i in marks if m == kind and x == ax) == want[kind]
        # the geometry table
        table = page.evaluate("""() => Array.from(document.querySelectorAll(
            '.cbx-geometry tbody tr')).map((tr) => Array.from(tr.cells).map(
            (c) => c.textContent))""")
        rows = {r[0].split(" ")[0]: r[1:] for r in table}
        assert rows["O"] == [str(v) for v in ref.out_size]
        assert rows["r"] == [str(v) for v in ref.remainder]
        assert rows["(Plo,"] == [f"({u}, {v})" for u, v in ref.dx_padding]
        # weight gradient
        taps = _some(k, rng, 9)
        shown = page.evaluate(JS_CLICK_ALL, ["dw", "dw-kernel", taps])
        for m, view in zip(taps, shown):
            pairs = dw.get(m, [])
            dy_terms, pos = _by_term(view["dw-delta"]), _by_term(view["dw-input"])
            assert sorted(dy_terms) == sorted(pos)
            got = sorted((dy_terms[t], (pos[t][0] - lo[0], pos[t][1] - lo[1]))
                         for t in dy_terms)
            assert got == pairs, (geom, m)
            written = re.findall(r"δ\[(\d+),(\d+)\]·X\[(\d+),(\d+)\]", view["sum"])
            assert sorted(((int(u), int(v)), (int(q), int(r))) for u, v, q, r in written) \
                == pairs
        # forward windows: the taps of output o sit at s*o + d*m in the padded input
        outs = _some(ref.out_size, rng, 6)
        shown = page.evaluate(JS_CLICK_ALL, ["fwd", "fwd-output", outs])
        for o, view in zip(outs, shown):
            want = {f"{m0},{m1}": (s[0] * o[0] + d[0] * m0, s[1] * o[1] + d[1] * m1)
                    for m0 in range(k[0]) for m1 in range(k[1])}
            assert _by_term(view["fwd-input"]) == want, (geom, o)


# -------------------------------------------------------------------- as a reader

def _state(page):
    return page.evaluate("""() => {
      const r = document.getElementById('convbp-explorer');
      const sel = Array.from(r.querySelectorAll('select')).map((s) => +s.value);
      const tab = r.querySelector('[role=tab][aria-selected=true]');
      const msg = r.querySelector('.cbx-message');
      return {selects: sel, tab: tab && tab.getAttribute('data-view'),
              geometry: window.convbpExplorer.geometry(),
              message: msg.style.display === 'none' ? '' : msg.textContent,
              share: r.querySelector('.cbx-share').getAttribute('href')};
    }""")


def _selects(geom):
    """Select values in page order: per row of the table, rows then columns."""
    n, k, s, p, d = geom
    return [n[0], n[1], k[0], k[1], s[0], s[1], p[0][0], p[1][0], p[0][1], p[1][1],
            d[0], d[1]]


URL_CASES = [
    ("?input=7x6&kernel=3x2&stride=2x3&padding=1,0x2,1&dilation=1x2",
     ((7, 6), (3, 2), (2, 3), ((1, 0), (2, 1)), (1, 2))),
    ("?input=9&kernel=3&stride=2&padding=1x2&dilation=2x1",
     ((9, 9), (3, 3), (2, 2), ((1, 1), (2, 2)), (2, 1))),
    ("?input=16x16&kernel=7x7&stride=4x1&padding=4&dilation=3x3",
     ((16, 16), (7, 7), (4, 1), ((4, 4), (4, 4)), (3, 3))),
]


def test_url_parameters(open_page):
    for i, (query, geom) in enumerate(URL_CASES):
        page = open_page(query)
        st = _state(page)
        assert st["selects"] == _selects(geom), query
        _check_geometry(geom, st["geometry"])
        assert st["message"] == ""
        if i == 0:   # the share link reproduces the same geometry on a fresh page
            again = _state(open_page(st["share"].split("#")[0]))
            assert again["selects"] == st["selects"]
            assert again["geometry"] == st["geometry"]


def test_url_view_and_selection(open_page):
    page = open_page("?input=8x8&kernel=3x3&stride=2x2&view=dw&select=2,1")
    assert _state(page)["tab"] == "dw"
    pressed = page.locator('svg[data-grid="dw-kernel"] [aria-pressed="true"]')
    assert (pressed.get_attribute("data-i"), pressed.get_attribute("data-j")) == ("2", "1")


def test_bad_url_parameters_are_reported_not_fatal(open_page):
    page = open_page("?stride=0x9&kernel=abc&padding=1,2,3&view=sideways&input=5x6")
    st = _state(page)
    for bad in ("stride=0x9", "kernel=abc", "padding=1,2,3", "view=sideways"):
        assert bad in st["message"]
    assert st["selects"][:2] == [5, 6]             # the good parameter is applied
    assert st["geometry"]["output"] is not None


def test_kernel_that_does_not_fit(open_page):
    page = open_page("?input=3x8&kernel=7x2&dilation=3x1")
    st = _state(page)
    assert "does not fit along the rows" in st["message"]
    assert "e = d(k\u22121)+1 = 19" in st["message"]
    assert st["geometry"]["output"] is None and "does not fit" in st["geometry"]["error"]
    assert page.locator("#cbx-view").is_hidden()
    with pytest.raises(sync_api.Error, match="does not fit"):
        page.evaluate("() => window.convbpExplorer.inputGradientTerms([0, 0])")
    # back to a geometry that fits, through the controls
    page.locator('select[aria-label="dilation, rows"]').select_option("1")
    page.locator('select[aria-label="input, rows"]').select_option("9")
    st = _state(page)
    # the stride the URL did not give is the page's default, 2 x 3
    _check_geometry(((9, 8), (7, 2), (2, 3), ((0, 0), (0, 0)), (1, 1)), st["geometry"])
    assert st["message"] == "" and page.locator("#cbx-view").is_visible()


def test_controls_presets_and_tabs(open_page):
    page = open_page()
    st = _state(page)
    assert st["tab"] == "dx" and st["message"] == ""
    page.locator('select[aria-label="stride, columns"]').select_option("4")
    page.locator('select[aria-label="padding high, rows"]').select_option("3")
    geom = ((8, 7), (3, 2), (2, 4), ((0, 3), (0, 0)), (1, 1))
    st = _state(page)
    _check_geometry(geom, st["geometry"])
    assert "stride=2x4" in st["share"] and "padding=0,3x0,0" in st["share"]
    # the address follows (history.replaceState, which works on file:// too)
    page.wait_for_function("() => window.location.search.includes('stride=2x4')",
                           timeout=5000)
    # the table shows what geometry() returns
    ref = conv_geometry("test", *geom)
    assert page.locator('.cbx-geometry tr[data-quantity="r"] td').all_inner_texts() == \
        [str(v) for v in ref.remainder]
    # every example button sets a geometry the oracle agrees with
    buttons = page.locator(".cbx-presets button")
    assert buttons.count() == 5
    for i in range(buttons.count()):
        buttons.nth(i).click()
        st = _state(page)
        v = st["selects"]
        geom = ((v[0], v[1]), (v[2], v[3]), (v[4], v[5]), ((v[6], v[8]), (v[7], v[9])),
                (v[10], v[11]))
        _check_geometry(geom, st["geometry"])
    # tabs, and a real mouse click on a grid cell
    for name, view in (("Forward", "fwd"), ("Weight gradient", "dw"), ("Input", "dx")):
        page.get_by_role("tab", name=re.compile(name)).click()
        assert _state(page)["tab"] == view
    page.locator('svg[data-grid="dx-input"] [data-i="0"][data-j="0"]').click()
    assert "\u2202L/\u2202X[0,0] =" in page.locator(".cbx-sum").inner_text()


def test_keyboard_reaches_controls_and_cells(open_page):
    page = open_page("?input=8x8&kernel=3x3&stride=2x2&view=dx&select=3,3")
    page.locator('select[aria-label="input, rows"]').focus()
    seen = []
    for _ in range(80):                                # Tab from the first control ...
        page.keyboard.press("Tab")
        seen.append(page.evaluate("""() => { const a = document.activeElement;
            const svg = a.closest('svg'); return [a.tagName.toLowerCase(),
            svg ? svg.getAttribute('data-grid') : a.getAttribute('role')]; }"""))
        if seen[-1] == ["rect", "dx-input"]:
            break
    assert seen[-1] == ["rect", "dx-input"], seen          # ... into the pixel grid
    assert ["select", None] in seen and ["button", "tab"] in seen
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    assert "\u2202L/\u2202X[4,5] =" in page.locator(".cbx-sum").inner_text()
    page.keyboard.press("ArrowUp")
    page.keyboard.press(" ")
    assert "\u2202L/\u2202X[3,5] =" in page.locator(".cbx-sum").inner_text()
    # focus stays on the chosen cell after the view is redrawn
    assert page.evaluate("""() => document.activeElement.getAttribute('data-i') + ',' +
        document.activeElement.getAttribute('data-j')""") == "3,5"
    # tabs switch with the arrow keys
    page.get_by_role("tab", name=re.compile("Input gradient")).focus()
    page.keyboard.press("ArrowRight")
    assert _state(page)["tab"] == "dw"


def test_scripting_interface_rejects_bad_input(open_page):
    page = open_page()
    cases = [("{stride: [0, 1]}", "RangeError", "stride"),
             ("{kernel: [2.5, 1]}", "TypeError", "kernel"),
             ("{padding: [1, 1]}", "TypeError", "padding"),
             ("{groups: 2}", "TypeError", "groups"),
             ("{input: [17, 3]}", "RangeError", "input")]
    for spec, kind, word in cases:
        got = page.evaluate(f"""() => {{ try {{ window.convbpExplorer.set({spec});
            return null; }} catch (e) {{ return [e.name, e.message]; }} }}""")
        assert got is not None and got[0] == kind and word in got[1], (spec, got)
    got = page.evaluate("""() => { try { window.convbpExplorer.inputGradientTerms([99, 0]);
        } catch (e) { return [e.name, e.message]; } }""")
    assert got[0] == "RangeError" and "[99,0]" in got[1]
    # a rejected call changes nothing
    assert _state(page)["selects"] == _selects(((8, 7), (3, 2), (2, 3), ((0, 0), (0, 0)),
                                                (1, 1)))


def _luminance(rgb):
    def lin(c):
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    red, green, blue = (lin(float(v)) for v in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(a, b):
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


JS_COLOURS = """() => {
  const rgb = (s) => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const root = document.getElementById('convbp-explorer');
  let bg = getComputedStyle(document.body).backgroundColor;
  if (rgb(bg).length < 3 || /rgba\\(.*, 0\\)/.test(bg)) bg = 'rgb(255, 255, 255)';
  const term = root.querySelector('.cbx-cell.is-term');
  const text = root.querySelector('.cbx-cell-text');
  return {fg: rgb(getComputedStyle(root).color), bg: rgb(bg),
          muted: rgb(getComputedStyle(root.querySelector('.cbx-hint')).color),
          term: rgb(getComputedStyle(term).fill), termText: rgb(getComputedStyle(text).fill),
          cell: rgb(getComputedStyle(root.querySelector('.cbx-cell')).fill)};
}"""


def test_readable_in_light_and_dark_themes(open_page):
    page = open_page("?input=8x8&kernel=3x3&stride=2x2&view=dx&select=2,2")
    colours = {}
    for theme in ("light", "dark"):
        page.evaluate(f"""() => {{ document.documentElement.dataset.theme = '{theme}';
            document.documentElement.dataset.mode = '{theme}'; }}""")
        c = page.evaluate(JS_COLOURS)
        colours[theme] = c
        assert _contrast(c["fg"], c["bg"]) >= 7, (theme, c)
        assert _contrast(c["muted"], c["bg"]) >= 4.5, (theme, c)
        assert _contrast(c["termText"], c["term"]) >= 4.5, (theme, c)
    assert colours["light"]["bg"] != colours["dark"]["bg"]
    assert colours["light"]["cell"] != colours["dark"]["cell"]


def test_phone_width_has_no_horizontal_scroll(open_page):
    # the widest drawing: dilated-and-padded delta of 16 + 3*6 = 34 columns
    page = open_page("?input=16x16&kernel=7x7&stride=1x1&padding=4x4&dilation=3x3")
    page.set_viewport_size({"width": 390, "height": 844})
    widths = page.evaluate("""() => { const r = document.getElementById('convbp-explorer');
        return [document.documentElement.scrollWidth, window.innerWidth,
                r.getBoundingClientRect().right,
                Math.max(...Array.from(r.querySelectorAll('svg, table, p')).map(
                    (e) => e.getBoundingClientRect().right))]; }""")
    scroll, inner, right, widest = widths
    assert scroll <= inner and right <= inner and widest <= right + 1, widths


def test_other_pages_are_untouched(open_page):
    page = open_page(page_name="book/intro")
    assert page.evaluate("() => typeof window.convbpExplorer") == "undefined"
    assert page.locator(".cbx-root, .cbx-svg").count() == 0
