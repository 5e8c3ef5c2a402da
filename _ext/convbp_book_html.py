"""Sphinx glue for the convbp book's HTML (Jupyter Book 1, Sphinx 7.4).

Each page's ``<head>`` lists the scripts of the Sphinx extensions. An inline script
that an extension registers once the HTML builder exists (``app.add_js_file(None,
body=...)`` in a ``builder-inited`` or ``env-before-read-docs`` handler, as
sphinx-togglebutton and sphinx-thebe do) reaches every page twice in Sphinx 7.4: the
builder keeps it under the file name ``None`` and, before writing, adds the registry's
copy again under ``''``; the two no longer compare equal. Harmless for a ``var``, but
sphinx-thebe's ``const THEBE_JS_URL = ...`` twice is a JavaScript error on every page
("Identifier 'THEBE_JS_URL' has already been declared").

This extension keeps the first of any identical scripts, page by page, after every
other extension has added its own (``html-page-context`` at a late priority).
``tests/test_book_render.py`` checks that no page repeats a script or logs an error.
"""

from __future__ import annotations


def _script_key(js):
    """What the page receives: the same file (``None`` and ``''`` alike) and attributes."""
    filename = getattr(js, "filename", js) or ""
    attributes = getattr(js, "attributes", {}) or {}
    return (str(filename), tuple(sorted((str(k), str(v)) for k, v in attributes.items())))


def drop_repeated_scripts(app, pagename, templatename, context, doctree):
    """``html-page-context`` handler: remove the second copy of any script."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        key = _script_key(js)
        if key not in seen:
            seen.add(key)
            kept.append(js)
    if len(kept) != len(scripts):
        context["script_files"] = kept


def setup(app):
    # after the other extensions' html-page-context handlers (default priority 500)
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
