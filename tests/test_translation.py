"""Every row of the translation table (book appendix ``translation-table``) is a test.

For each framework snippet of :data:`convbp._translation.ROWS` the row's convbp code
computes ``want`` and the snippet computes ``got`` with PyTorch, JAX or TensorFlow;
the snippet's claim is then checked: equal, different (a pitfall), or an error with
the stated message. A framework that is not installed skips its snippets cleanly.
The tests without a framework check that the appendix shows exactly these rows, as
they are now, and that ``.ci/run`` installs the versions the appendix names.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

from convbp import _translation as tr

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "book" / "translation_table.ipynb"

SNIPPETS = [pytest.param(r.key, i, s, id=f"{r.key}-{s.framework}-{i}")
            for r in tr.ROWS for i, s in enumerate(r.snippets)]


def _framework(name: str):
    module = tr.FRAMEWORKS[name]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    return importlib.import_module(module)


def _arrays(value):
    """``value`` (an array, a tensor or a tuple of them) as a tuple of ndarrays."""
    items = value if isinstance(value, tuple) else (value,)
    return tuple(np.asarray(a) for a in items)


def _equal(got, want) -> bool:
    got, want = _arrays(got), _arrays(want)
    return len(got) == len(want) and all(
        got_a.shape == v.shape and np.allclose(got_a, v, rtol=1e-9, atol=1e-9)
        for got_a, v in zip(got, want))


@pytest.mark.parametrize("key,index,snippet", SNIPPETS)
def test_snippet(key, index, snippet):
    _framework(snippet.framework)
    ns = tr.run_convbp(key)
    want = ns["want"]
    exec(tr.PREAMBLE[snippet.framework], ns)
    if snippet.expect == "raises":
        name, pattern = snippet.error
        with pytest.raises(Exception) as info:
            exec(snippet.code, ns)
        assert type(info.value).__name__ == name, repr(info.value)
        assert re.search(pattern, str(info.value)), str(info.value)
        return
    exec(snippet.code, ns)
    got = ns["got"]
    if snippet.expect == "equal":
        for got_a, v in zip(_arrays(got), _arrays(want)):
            assert got_a.shape == v.shape
            np.testing.assert_allclose(got_a, v, rtol=1e-9, atol=1e-9)
        assert len(_arrays(got)) == len(_arrays(want))
    else:
        assert not _equal(got, want), "the pitfall gives the right answer after all"


def test_every_row_has_an_equal_snippet_per_framework():
    for r in tr.ROWS:
        for fw in tr.FRAMEWORKS:
            assert any(s.framework == fw and s.expect == "equal" for s in r.snippets), \
                (r.key, fw)


def test_keys_are_unique_and_want_is_set():
    keys = [r.key for r in tr.ROWS]
    assert len(keys) == len(set(keys))
    for key in keys:
        want = tr.run_convbp(key)["want"]
        assert all(a.size > 0 and np.all(np.isfinite(a)) for a in _arrays(want)), key


def test_bad_definitions_are_refused():
    with pytest.raises(ValueError, match="framework must be one of"):
        tr.Snippet("MXNet", "got = 0")
    with pytest.raises(ValueError, match="error is given exactly when"):
        tr.Snippet("JAX", "got = 0", expect="raises")
    with pytest.raises(KeyError, match="no row 'nope'"):
        tr.row("nope")


def test_displayed_code_is_the_code_that_runs():
    """The Markdown of a row holds every snippet's code verbatim."""
    for r in tr.ROWS:
        text = tr.row_markdown(r.key)
        for code in (r.setup, r.convbp, *(s.code for s in r.snippets)):
            assert f"{code}\n```" in text, (r.key, code)
        assert text.count(":::{tab-item}") == 1 + len(tr.FRAMEWORKS)


def test_table_has_one_line_per_row():
    lines = [line for line in tr.table_markdown().splitlines() if line.startswith("| {ref}")]
    assert len(lines) == len(tr.ROWS)
    assert all(line.count(" | ") == len(tr.FRAMEWORKS) + 1 for line in lines)


# --------------------------------------------------------------------------- the book

def _cells():
    return json.loads(NOTEBOOK.read_text())["cells"]


def _markdown_outputs(cell):
    return [o["data"]["text/markdown"] for o in cell.get("outputs", [])
            if "text/markdown" in o.get("data", {})]


def _joined(text):
    return "".join(text) if isinstance(text, list) else text


def test_notebook_shows_every_row_once_in_order():
    shown = []
    for cell in _cells():
        if cell["cell_type"] == "code":
            shown += re.findall(r'^show\("([\w-]+)"\)$', _joined(cell["source"]), re.M)
    assert shown == [r.key for r in tr.ROWS]


def test_notebook_outputs_are_current():
    """Stored outputs equal what the table module renders now (no drift)."""
    found = 0
    for cell in _cells():
        if cell["cell_type"] != "code":
            continue
        src = _joined(cell["source"])
        m = re.search(r'^show\("([\w-]+)"\)$', src, re.M)
        if m:
            assert [_joined(t) for t in _markdown_outputs(cell)] == \
                [tr.row_markdown(m.group(1))], m.group(1)
            found += 1
        elif "table_markdown()" in src:
            assert [_joined(t) for t in _markdown_outputs(cell)] == [tr.table_markdown()]
            found += 1
        if m or "table_markdown()" in src:
            fmt = cell["metadata"].get("mystnb", {}).get("markdown_format")
            assert fmt == "myst", "Markdown outputs need MyST (tables, tabs)"
    assert found == len(tr.ROWS) + 1


def test_ci_installs_the_versions_the_book_names():
    ci = (ROOT / ".ci" / "run").read_text()
    for fw, pin in tr.VERSIONS.items():
        assert re.search(rf"(^|[\s\"']){re.escape(pin)}([\s\"']|$)", ci, re.M), (fw, pin)


def test_each_row_section_has_its_label():
    """The table's links ``tt-<key>`` land on the section just above each row's example."""
    cells = _cells()
    for i, cell in enumerate(cells):
        m = re.search(r'^show\("([\w-]+)"\)$', _joined(cell["source"]), re.M)
        if m and cell["cell_type"] == "code":
            before = _joined(cells[i - 1]["source"])
            assert cells[i - 1]["cell_type"] == "markdown"
            assert before.startswith(f"(tt-{m.group(1)})=\n## "), before[:60]
