"""Local Sphinx extension of the book: safe docstrings for the API reference, and no duplicated page scripts.

**Docstrings** (chapters/api.md).
snnlib's docstrings are written for ``help()``: they use ``|x|`` for absolute values and end bullet lists without
a blank line. In reST the first is a substitution reference and the second a warning, and either fails the
``--warningiserror`` build. This hook rewrites the docstring lines autodoc reads (the sources are untouched):

* ``|`` outside double-backtick literals becomes ``\\|`` (a literal bar), except on reST grid-table rows;
* a blank line is inserted where an unindented paragraph directly follows a bullet list.

**Scripts.** sphinx-thebe 0.3.1 registers its inline configuration script (``const THEBE_JS_URL = ...``) twice
under Sphinx 7.4, so every page threw "Identifier 'THEBE_JS_URL' has already been declared" in the browser
(caught by tests/test_browser.py). Identical script entries are dropped from each page's context.
"""

from __future__ import annotations

import re

_BULLET = re.compile(r"^\s*[-*+] ")


def _escape_bars(line: str) -> str:
    stripped = line.strip()
    if stripped.startswith(("+-", "+=")) or (len(stripped) > 1 and stripped[0] == stripped[-1] == "|"):
        return line  # a reST grid-table row
    parts = line.split("``")
    return "``".join(p.replace("|", "\\|") if i % 2 == 0 else p for i, p in enumerate(parts))


def _close_bullet_lists(lines: list[str]) -> list[str]:
    out: list[str] = []
    in_list = False
    for line in lines:
        if _BULLET.match(line):
            in_list = True
        elif not line.strip():
            in_list = False
        elif in_list and not line.startswith((" ", "\t")):
            out.append("")
            in_list = False
        out.append(line)
    return out


def process_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    fixed = _close_bullet_lists([_escape_bars(line) for line in lines])
    lines[:] = fixed


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        key = (getattr(js, "filename", js) or "", tuple(sorted(getattr(js, "attributes", {}).items())))  # None == ""
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app):
    app.connect("autodoc-process-docstring", process_docstring)
    app.connect("html-page-context", dedupe_scripts, priority=900)  # after the theme's own handlers
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
