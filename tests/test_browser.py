"""The built book in a real browser: every page of the table of contents, opened in headless Chromium.

Uses ``_build/html`` as built by the README's first command (it builds nothing itself) and fails if that folder
is missing, unless ``SNN_BOOK_SKIP_BROWSER=1`` (library-only runs). Pages are served by ``http.server`` on
127.0.0.1 (a free port) and driven by Playwright with the system Chromium (``/usr/bin/chromium``, or
``$SNN_BOOK_CHROMIUM``; no browser download). MathJax 3 is served from the pinned ``django-static-mathjax``
package instead of the CDN, so the test runs offline. Per page: no console errors or failed requests, every
formula typeset (no ``mjx-merror``, no raw ``$...$`` / ``\\(`` left), every image loaded, every internal link and
anchor resolves, HTML <= 2 MB; a screenshot goes to ``_build/screenshots/<page>.png`` (a CI artifact).
"""

from __future__ import annotations

import functools
import html.parser
import importlib.util
import os
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
MAX_PAGE_BYTES = 2 * 1024 * 1024
SKIP = os.environ.get("SNN_BOOK_SKIP_BROWSER") == "1"
CDN_MATHJAX = re.compile(r"^https://cdn\.jsdelivr\.net/npm/mathjax@3/(es5/.*)$")

pytestmark = pytest.mark.skipif(SKIP, reason="SNN_BOOK_SKIP_BROWSER=1: browser test skipped (library-only run)")


def _toc_pages() -> list[str]:
    """Document names of the table of contents, in reading order (root first)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [c["file"] for c in part.get("chapters", [])]
    return [re.sub(r"\.(md|ipynb)$", "", p) for p in pages]


PAGES = _toc_pages()


def _chromium() -> str:
    for candidate in (os.environ.get("SNN_BOOK_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/google-chrome"):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("no Chromium: install Debian's chromium (.ci/run does) or set SNN_BOOK_CHROMIUM")


def _mathjax_dir() -> Path | None:
    spec = importlib.util.find_spec("mathjax")  # the pinned django-static-mathjax package (MathJax 3.2.2)
    if spec is None or not spec.submodule_search_locations:
        return None
    es5 = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5"
    return es5.parent if (es5 / "tex-mml-chtml.js").exists() else None


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def site():
    if not (HTML / "index.html").exists():
        pytest.fail(f"{HTML} has no built book: run the README's first command (jupyter-book build) first, "
                    "or set SNN_BOOK_SKIP_BROWSER=1 for a library-only run")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a pinned requirement
        pytest.fail("playwright is not installed: pip install -r requirements.txt")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=_chromium(), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    mathjax = _mathjax_dir()
    if mathjax is not None:
        def serve_local(route):
            local = mathjax / CDN_MATHJAX.match(route.request.url).group(1)
            if local.is_file():
                route.fulfill(path=str(local))
            else:
                route.fulfill(status=404, body="not in the local MathJax copy")
        ctx.route(CDN_MATHJAX, serve_local)
    yield ctx
    ctx.close()


class _LinkParser(html.parser.HTMLParser):
    """Collects ids and internal hrefs of one page (from the HTML file, as built)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


@functools.cache
def _parse(path: Path) -> _LinkParser:
    parser = _LinkParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _broken_links(page_file: Path) -> list[str]:
    broken = []
    for href in _parse(page_file).hrefs:
        parsed = urlparse(href)
        if parsed.scheme or href.startswith(("//", "mailto:", "javascript:")):
            continue  # external: checked by no one here (no network)
        target, anchor = urldefrag(href)
        target_file = (page_file.parent / unquote(target)).resolve() if target else page_file
        if target_file.is_dir():
            target_file = target_file / "index.html"
        if not target_file.is_file() or HTML.resolve() not in target_file.parents:
            broken.append(f"{href}: no such file")
        elif anchor and target_file.suffix == ".html" and unquote(anchor) not in _parse(target_file).ids:
            broken.append(f"{href}: no id {anchor!r} on {target_file.name}")
    return broken


_RAW_MATH = r"""() => {
  const walker = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT);
  const bad = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p || p.closest('pre, code, script, style, mjx-container, .highlight, .output, .cell_output, textarea'))
      continue;
    const t = n.textContent;
    if (/\\\(|\\\[|\$\$|\$[^$\s][^$]*\$/.test(t)) bad.push(t.trim().slice(0, 80));
  }
  return bad;
}"""


@pytest.mark.parametrize("page", PAGES)
def test_page_in_browser(page, site, context):
    page_file = HTML / f"{page}.html"
    assert page_file.is_file(), f"{page} is in _toc.yml but {page_file} was not built"
    assert page_file.stat().st_size <= MAX_PAGE_BYTES, f"{page}.html is {page_file.stat().st_size} bytes > 2 MB"

    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    tab.on("requestfailed", lambda r: errors.append(f"request failed: {r.url} ({r.failure})")
           if urlparse(r.url).hostname == "127.0.0.1" or CDN_MATHJAX.match(r.url) else None)
    tab.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}")
           if r.status >= 400 and urlparse(r.url).hostname == "127.0.0.1" else None)
    try:
        tab.goto(f"{site}/{page}.html", wait_until="load")
        if tab.evaluate("() => !!document.querySelector('script[src*=\"mathjax\"]')"):
            tab.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000)
            tab.evaluate("() => MathJax.startup.promise")
            assert tab.locator("mjx-merror").count() == 0, "MathJax reported errors in a formula"
            formulas, typeset = tab.locator(".math").count(), tab.locator(".math mjx-container").count()
            assert typeset == formulas, f"MathJax typeset {typeset} of {formulas} formulas"
            raw = tab.evaluate(_RAW_MATH)
            assert not raw, f"untypeset math left in the text: {raw[:5]}"
        broken_images = tab.evaluate("""() => Array.from(document.images)
            .filter(i => i.getAttribute('src') && (!i.complete || i.naturalWidth === 0))
            .map(i => i.getAttribute('src'))""")
        assert not broken_images, f"images that did not load: {broken_images}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SHOTS / f"{page.replace('/', '__')}.png"), full_page=False)
    finally:
        tab.close()
    assert not errors, "\n".join(errors)
    assert not _broken_links(page_file), "broken internal links:\n" + "\n".join(_broken_links(page_file))


def test_every_page_of_the_build_is_at_most_2_mb():
    if not HTML.is_dir():
        pytest.fail(f"{HTML} missing: build the book first (README command 1)")
    big = {str(p.relative_to(HTML)): p.stat().st_size for p in HTML.rglob("*.html")
           if p.stat().st_size > MAX_PAGE_BYTES}
    assert not big, f"pages over 2 MB: {big}"


def test_claims_ledger_explains_every_row_that_differs():
    ledger = HTML / "chapters" / "claims_ledger.html"
    assert ledger.is_file(), "the claims ledger page was not built"

    class Rows(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.cell, self.in_cell = [], None, False

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.rows.append([])
            elif tag in ("td", "th"):
                self.in_cell, self.cell = True, []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.in_cell:
                self.rows[-1].append(" ".join("".join(self.cell).split()))
                self.in_cell = False

        def handle_data(self, data):
            if self.in_cell:
                self.cell.append(data)

    parser = Rows()
    parser.feed(ledger.read_text(encoding="utf-8"))
    header = next(r for r in parser.rows if "status" in r and "note" in r)
    status, note = header.index("status"), header.index("note")
    body = [r for r in parser.rows if len(r) == len(header) and r != header]
    assert len(body) >= 20, f"the ledger has only {len(body)} rows"
    assert {r[status] for r in body} <= {"reproduced", "differs", "not reproducible here"}
    unexplained = [r for r in body if r[status] != "reproduced" and not r[note]]
    assert not unexplained, f"rows that differ or are not reproducible, without an explanation: {unexplained}"


@pytest.mark.parametrize("page", [p for p in PAGES if (ROOT / f"{p}.ipynb").exists()])
def test_notebook_pages_offer_launch_download_and_edit_links(page):
    page_file = HTML / f"{page}.html"
    assert page_file.is_file(), f"{page_file} was not built"
    hrefs = _parse(page_file).hrefs
    assert any(h.startswith("https://mybinder.org/v2/gh/snn-book/snn-book/") for h in hrefs), "no Binder button"
    assert any(h.startswith("https://colab.research.google.com/github/snn-book/snn-book/") for h in hrefs), \
        "no Colab button"
    assert any(h.endswith(f"_sources/{page}.ipynb") for h in hrefs), "no .ipynb download button"
    assert any("github.com/snn-book/snn-book/edit/main/" in h for h in hrefs), "no edit link"


class _VisibleText(html.parser.HTMLParser):
    """Text of a page outside ``<pre>``, ``<code>``, ``<script>`` and ``<style>`` (what reads as prose)."""

    SKIP = {"pre", "code", "script", "style"}

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        self.depth += tag in self.SKIP

    def handle_endtag(self, tag):
        self.depth -= tag in self.SKIP and self.depth > 0

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


@pytest.mark.parametrize("page", PAGES)
def test_markdown_tables_render_as_tables(page):
    """A Markdown table printed by a cell (``display(Markdown(...))``) must become an HTML table, not a run of
    ``| a | b |`` text (myst-nb renders Markdown outputs as CommonMark, which has no tables, unless told)."""
    page_file = HTML / f"{page}.html"
    assert page_file.is_file(), f"{page_file} was not built"
    parser = _VisibleText()
    parser.feed(page_file.read_text(encoding="utf-8"))
    # the rule row |---|---| (typographic replacement may have turned "---" into an em dash)
    raw = re.findall(r"\|\s*:?(?:-{3,}|[\u2013\u2014]+):?\s*\|", " ".join(parser.parts))
    assert not raw, f"{page}: {len(raw)} Markdown table rule(s) left as text, e.g. {raw[0]!r}"
