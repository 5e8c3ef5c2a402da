"""Sphinx extension: a docstring's :ref: to a chapter not in this build renders as text.

The API reference (book/api_reference.md) shows the package's docstrings, which point
to chapters by label (``:ref:`whole-chain```). Chapters are written in parallel and
enter ``_toc.yml`` one by one; ``tests/test_labels.py`` requires every such label to
be a chapter in the toc or one of the planned chapters it lists. Until a planned
chapter is in the book, a pointer to it from a docstring is shown as plain text
instead of failing the ``-W`` build. Only references inside docstrings are affected:
a chapter's own ``{ref}`` to a missing label still fails the build.
"""

from docutils import nodes


def _docstring_ref_to_absent_chapter(app, env, node, contnode):
    if node.get("refdomain") != "std" or node.get("reftype") != "ref":
        return None
    if "docstring of " not in (node.source or ""):
        return None
    return nodes.emphasis(text=contnode.astext())


def setup(app):
    app.connect("missing-reference", _docstring_ref_to_absent_chapter)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
