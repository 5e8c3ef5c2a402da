"""The API reference page (book/api_reference.md) documents every public name of convbp.

Public: every name in the ``__all__`` of ``convbp`` and of each of its modules whose
dotted name has no part starting with an underscore. A name counts as documented when
an ``auto*`` directive of the page names an object that *is* it (a function re-exported
by ``convbp`` is documented once). Submodules listed in an ``__all__`` must have an
``automodule`` or ``py:module`` entry.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import convbp

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "api_reference.md"
DIRECTIVE = re.compile(r"^\.\. auto(function|class|data|exception|method):: (\S+)", re.M)
MODULE = re.compile(r"^\.\. (?:automodule|py:module):: (\S+)", re.M)

PUBLIC_MODULES = ["convbp"] + [
    m.name for m in pkgutil.walk_packages(convbp.__path__, "convbp.")
    if not any(part.startswith("_") for part in m.name.split("."))]


def _resolve(path: str):
    """The object at ``path``, found as autodoc finds it: attribute first, then module.

    (``convbp.symbolic.derive`` is the function that ``convbp.symbolic`` exports, not
    the module of the same name.)
    """
    parts = path.split(".")
    obj = importlib.import_module(parts[0])
    for i, attr in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[:i + 1]))
    return obj


def _page():
    return PAGE.read_text()


def _documented():
    return {id(_resolve(path)) for _, path in DIRECTIVE.findall(_page())}


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_name_is_on_the_page(module):
    m = importlib.import_module(module)
    names = getattr(m, "__all__", None)
    assert names is not None, f"{module} has no __all__"
    documented, modules = _documented(), set(MODULE.findall(_page()))
    missing = []
    for name in names:
        obj = getattr(m, name)
        if inspect.ismodule(obj):
            if obj.__name__ not in modules:
                missing.append(name)
        elif id(obj) not in documented:
            missing.append(name)
    assert not missing, f"{module}: not on book/api_reference.md: {missing}"


def test_every_directive_names_a_real_object():
    paths = [path for _, path in DIRECTIVE.findall(_page())]
    assert len(paths) >= 100
    assert len(paths) == len(set(paths)), "an object is documented twice"
    for path in paths:
        assert _resolve(path).__doc__, f"{path} has no docstring"


def test_page_is_labelled_and_in_the_toc():
    assert _page().startswith("(api-reference)=\n# API reference")
    assert re.search(r"^\s*- file: book/api_reference\s*$", (ROOT / "_toc.yml").read_text(),
                     re.M)


BACKWARDS = ["convbp.conv_backward", "convbp.conv_backward_as_convolutions",
             "convbp.reference.conv_backward", "convbp.symbolic.derive"]


@pytest.mark.parametrize("path", BACKWARDS)
def test_the_four_backward_passes_link_each_other(path):
    doc = inspect.getdoc(_resolve(path))
    see_also = doc.split("See Also\n--------\n", 1)[1].split("\n\n", 1)[0]
    linked = set(re.findall(r"^(convbp[\w.]+) :", see_also, re.M))
    assert linked == set(BACKWARDS) - {path}
