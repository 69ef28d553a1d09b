"""Local Sphinx extension of the book: safe docstrings for the API reference, no duplicated page scripts,
author-year labels in the bibliography, and words instead of emoji in the execution report.

**Docstrings** (chapters/api.md).
snnlib's docstrings are written for ``help()``: they use ``|x|`` for absolute values and end bullet lists without
a blank line. In reST the first is a substitution reference and the second a warning, and either fails the
``--warningiserror`` build. This hook rewrites the docstring lines autodoc reads (the sources are untouched):

* ``|`` outside double-backtick literals becomes ``\\|`` (a literal bar), except on reST grid-table rows;
* a blank line is inserted where an unindented paragraph directly follows a bullet list.

**Scripts.** sphinx-thebe 0.3.1 registers its inline configuration script (``const THEBE_JS_URL = ...``) twice
under Sphinx 7.4, so every page threw "Identifier 'THEBE_JS_URL' has already been declared" in the browser
(caught by tests/test_browser.py). Identical script entries are dropped from each page's context.

**Bibliography.** The text cites author-year ("Klambauer et al., 2017", ``bibtex_reference_style``); the list on
the bibliography page used pybtex's alpha labels ("[KUMH17]"), which match nothing in the text. The style
``snnbook_authoryear`` (``bibtex_default_style`` in ``_config.yml``) formats entries as ``unsrt`` does, sorted by
author and year, under labels like "Klambauer et al., 2017".

**Execution report.** myst-nb's ``nb-exec-table`` marks a notebook's status with the emoji ✅ / ❌, which show as
empty boxes where no emoji font is installed; they become the words "ran" and "failed".

**Figures.** A notebook shows each matplotlib figure as a ``<picture class="snnlib-figure">`` with a side-by-side
and a phone version as inline PNGs (``snnlib.plotting.figure_html``). Inline, a page would carry both versions
and grow past 2 MB; each PNG is written to ``_images/<sha256>.png`` instead and the page links it, so a reader
downloads only the version the screen shows.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
from pathlib import Path

from docutils import nodes
from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as _UnsrtStyle
from pybtex.style.labels import BaseLabelStyle

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


def _plain(latex: str) -> str:
    """A BibTeX name as plain text (a LaTeX accent such as ``{\\"u}`` becomes ``ü``)."""
    return Text.from_latex(latex).render_as("text")


class AuthorYearLabels(BaseLabelStyle):
    """Labels "Last, 2017", "Last and Other, 2017" or "Last et al., 2017"; a repeated label gets a, b, ..."""

    def format_labels(self, sorted_entries):
        labels = []
        for entry in sorted_entries:
            persons = entry.persons.get("author") or entry.persons.get("editor") or []
            last = [_plain(" ".join(p.last_names)) for p in persons]
            names = (last[0] if len(last) == 1 else f"{last[0]} and {last[1]}" if len(last) == 2
                     else f"{last[0]} et al." if last else entry.fields.get("title", entry.key))
            labels.append(f"{names}, {entry.fields.get('year', 'n.d.')}")
        for label in labels:
            same = [i for i, other in enumerate(labels) if other == label]
            if len(same) > 1:
                for n, i in enumerate(same):
                    labels[i] = f"{label}{chr(ord('a') + n)}"
        yield from labels


class AuthorYearStyle(_UnsrtStyle):
    default_label_style = "snnbook_authoryear"
    default_sorting_style = "author_year_title"


register_plugin("pybtex.style.labels", "snnbook_authoryear", AuthorYearLabels)
register_plugin("pybtex.style.formatting", "snnbook_authoryear", AuthorYearStyle)

_STATUS_WORDS = {"\u2705": "ran", "\u274c": "failed", "\u2714\ufe0f": "ran", "\u2714": "ran", "\u26a0\ufe0f": "warning"}


def status_words(app, doctree, docname) -> None:
    """Replace the status emoji of myst-nb's execution table by words (see the module docstring)."""
    for text in list(doctree.findall(nodes.Text)):
        word = _STATUS_WORDS.get(text.astext().strip())
        if word is not None:
            text.parent.replace(text, nodes.Text(word))


_INLINE_PNG = re.compile(r'(src|srcset)="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def figure_files(app, doctree, docname) -> None:
    """Move the inline PNGs of ``snnlib-figure`` pictures to ``_images/`` (see the module docstring)."""
    if app.builder.format != "html":
        return
    images = Path(app.builder.outdir) / "_images"

    def to_file(match: re.Match) -> str:
        data = base64.b64decode(match.group(2))
        name = hashlib.sha256(data).hexdigest() + ".png"
        images.mkdir(parents=True, exist_ok=True)
        if not (images / name).exists():
            (images / name).write_bytes(data)
        return f'{match.group(1)}="{posixpath.relpath("_images/" + name, posixpath.dirname(docname) or ".")}"'

    for raw in list(doctree.findall(nodes.raw)):
        if "html" in raw.get("format", "").split() and 'class="snnlib-figure"' in raw.astext():
            moved = raw.copy()  # same attributes (format, classes), no children
            moved += nodes.Text(_INLINE_PNG.sub(to_file, raw.astext()))
            raw.parent.replace(raw, moved)


def setup(app):
    app.connect("autodoc-process-docstring", process_docstring)
    app.connect("html-page-context", dedupe_scripts, priority=900)  # after the theme's own handlers
    app.connect("doctree-resolved", status_words)
    app.connect("doctree-resolved", figure_files)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
