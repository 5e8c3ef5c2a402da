"""Every :ref:`label` in the package's docstrings names a chapter label `(label)=` defined
in a file that _toc.yml lists (a .md file, or a markdown cell of an .ipynb)."""

import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
REF = re.compile(r":ref:`(?:[^`<]*<)?([^`>]+)>?`")
LABEL = re.compile(r"^\(([A-Za-z0-9_-]+)\)=\s*$", re.M)


def _toc_files():
    entries = re.findall(r"^\s*(?:-\s*)?(?:file|root):\s*(\S+)", (ROOT / "_toc.yml").read_text(),
                         re.M)
    for entry in entries:
        for suffix in (".md", ".ipynb"):
            path = ROOT / (entry + suffix)
            if path.exists():
                yield path


def _labels(path):
    if path.suffix == ".md":
        return set(LABEL.findall(path.read_text()))
    cells = json.loads(path.read_text())["cells"]
    return {label for c in cells if c["cell_type"] == "markdown"
            for label in LABEL.findall("".join(c["source"]))}


def _defined():
    return set().union(*(_labels(p) for p in _toc_files()))


def _refs():
    refs = {}
    for path in sorted((ROOT / "convbp").rglob("*.py")):
        for label in REF.findall(path.read_text()):
            if "{" not in label:          # a template, filled in when the module loads
                refs.setdefault(label, []).append(path.relative_to(ROOT).as_posix())
    # the docstrings that convbp.exercises completes from its catalogue when it loads
    import convbp.exercises as ex
    for name in ex.__all__:
        for label in REF.findall(getattr(ex, name).__doc__ or ""):
            refs.setdefault(label, []).append(f"convbp.exercises.{name}")
    return refs


def test_every_ref_in_the_package_resolves_to_a_chapter_in_the_toc():
    defined, refs = _defined(), _refs()
    assert {"intro", "backward-strided", "general-rule"} <= defined
    assert len(refs) >= 5                                 # the scan finds the pointers
    missing = {label: where for label, where in refs.items()
               if label not in defined}
    assert not missing, f"undefined chapter labels: {missing}"


def test_no_docstring_points_to_a_chapter_by_title():
    stale = [path.relative_to(ROOT).as_posix()
             for path in sorted((ROOT / "convbp").rglob("*.py"))
             if re.search(r'chapters?\s+"', path.read_text())]
    assert not stale, f"chapters cited by title instead of :ref:`label`: {stale}"
