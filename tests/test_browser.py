"""The built book in a real browser: every page of the table of contents, opened in headless Chromium.

Uses ``_build/html`` as built by the README's first command (it builds nothing itself) and fails if that folder
is missing, unless ``SNN_BOOK_SKIP_BROWSER=1`` (library-only runs). Pages are served by ``http.server`` on
127.0.0.1 (a free port) and driven by Playwright with the system Chromium (``/usr/bin/chromium``, or
``$SNN_BOOK_CHROMIUM``; no browser download). MathJax 3 is served from the pinned ``django-static-mathjax``
package instead of the CDN, so the test runs offline. Per page: no console errors or failed requests, every
formula typeset (no ``mjx-merror``, no raw ``$...$`` / ``\\(`` left), every image loaded, every internal link and
anchor resolves, HTML <= 2 MB, nothing wider than the text column at 1400 and 390 px, figures legible at both
widths; a screenshot goes to ``_build/screenshots/<page>.png`` (a CI artifact).
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
DESKTOP, PHONE = 1400, 390  # viewport widths (px) every page is checked at
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
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
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
    ctx = browser.new_context(viewport={"width": DESKTOP, "height": 900})
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


@pytest.fixture(scope="module")
def tab(context):
    """One tab for every page: a new tab costs a new renderer process, about 0.4 s of the 1 s a page takes."""
    page = context.new_page()
    yield page
    page.close()


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
def test_page_in_browser(page, site, tab):
    """One page, loaded once at desktop width (1400 px) and then narrowed to phone width (390 px), in the one tab
    that all pages share (``tab``).

    At load: no console errors or failed requests, every formula typeset, every image loaded, a screenshot.
    At both widths, no text, formula, table or figure is wider than the article: long displays are broken,
    tables wrap, and every table's last column is visible at 1400 px. Images are never upscaled (each at least as
    wide as it is shown), and the page has a favicon. Every figure is a ``<picture>`` of
    snnlib.plotting.figure_html, whose smallest type is shown at >= 13.3 px (10 pt): panels side by side at
    desktop width, stacked on a phone. Narrowing the loaded page instead of loading it again at 390 px measures
    the same layout (checked on every page: same widths, same image sources, same findings) at a seventh of the
    cost; MathJax 3 typesets without regard to the width, and the phone figure loads when the width changes.
    """
    page_file = HTML / f"{page}.html"
    assert page_file.is_file(), f"{page} is in _toc.yml but {page_file} was not built"
    assert page_file.stat().st_size <= MAX_PAGE_BYTES, f"{page}.html is {page_file.stat().st_size} bytes > 2 MB"

    errors: list[str] = []
    problems: list[str] = []
    listeners = {
        "console": lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        "pageerror": lambda e: errors.append(f"page error: {e}"),
        "requestfailed": lambda r: errors.append(f"request failed: {r.url} ({r.failure})")
        if urlparse(r.url).hostname == "127.0.0.1" or CDN_MATHJAX.match(r.url) else None,
        "response": lambda r: errors.append(f"HTTP {r.status}: {r.url}")
        if r.status >= 400 and urlparse(r.url).hostname == "127.0.0.1" else None,
    }
    tab.set_viewport_size({"width": DESKTOP, "height": 900})
    for event, listener in listeners.items():
        tab.on(event, listener)
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
        broken_images = tab.evaluate(_BROKEN_IMAGES)
        assert not broken_images, f"images that did not load: {broken_images}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SHOTS / f"{page.replace('/', '__')}.png"), full_page=False)
        problems += _layout_problems(tab, page, DESKTOP)
        tab.set_viewport_size({"width": PHONE, "height": 900})
        tab.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=20_000)
        broken_images = tab.evaluate(_BROKEN_IMAGES)
        assert not broken_images, f"images that did not load at {PHONE} px: {broken_images}"
        problems += _layout_problems(tab, page, PHONE)
    finally:
        tab.goto("about:blank")  # the page is unloaded before the next one is listened to
        for event, listener in listeners.items():
            tab.remove_listener(event, listener)
    assert not errors, "\n".join(errors)
    assert not _broken_links(page_file), "broken internal links:\n" + "\n".join(_broken_links(page_file))
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(problems[:40])


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


def _repository() -> str:
    """``owner/name`` of the one configured repository address (``_config.yml``: repository.url)."""
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)/?", url)
    assert match, f"repository.url must be a GitHub address, got {url!r}"
    return match.group(1)


def test_the_repository_address_is_configured_once_and_citation_follows_it():
    repo = _repository()
    assert "selu" in repo.lower(), "the address names SELU (the book is not about spiking networks)"
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["repository-code"] == f"https://github.com/{repo}"
    owner, name = repo.split("/")
    assert citation["url"] == f"https://{owner}.github.io/{name}/"
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    footer = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["extra_footer"]
    assert citation["version"] == version and f"snnlib {version}" in footer


@pytest.mark.parametrize("page", [p for p in PAGES if (ROOT / f"{p}.ipynb").exists()])
def test_notebook_pages_offer_launch_download_and_edit_links(page):
    """Binder, Colab and edit links all derive from the one configured address; the notebook's first cell
    installs snnlib where it is missing (Colab, Binder) and does nothing where it is installed."""
    page_file = HTML / f"{page}.html"
    assert page_file.is_file(), f"{page_file} was not built"
    hrefs, repo = _parse(page_file).hrefs, _repository()
    assert any(h.startswith(f"https://mybinder.org/v2/gh/{repo}/") for h in hrefs), "no Binder button"
    assert any(h.startswith(f"https://colab.research.google.com/github/{repo}/") for h in hrefs), "no Colab button"
    assert any(h.endswith(f"_sources/{page}.ipynb") for h in hrefs), "no .ipynb download button"
    assert any(f"github.com/{repo}/edit/main/" in h for h in hrefs), "no edit link"
    import json

    first = json.loads((ROOT / f"{page}.ipynb").read_text())["cells"]
    install = next(c for c in first if c["cell_type"] == "code")
    source = "".join(install["source"])
    assert "find_spec(\"snnlib\")" in source and f"git+https://github.com/{repo}" in source, \
        "the first code cell installs snnlib on Colab and Binder"
    assert "remove-cell" in install["metadata"].get("tags", []), "the install cell is not shown in the book"


_BROKEN_IMAGES = """() => Array.from(document.images)
    .filter(i => i.getAttribute('src') && (!i.complete || i.naturalWidth === 0)).map(i => i.currentSrc)"""

_OVERFLOW = r"""() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main');
  const right = article.getBoundingClientRect().right + 1;
  const scrolls = 'pre, .highlight, .pst-scrollable-table-container, .cell_output .output, .output_area';
  const bad = [];
  for (const el of article.querySelectorAll('*')) {
    if (el.closest(scrolls) || el.closest('mjx-container')) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > right) bad.push(`${el.tagName.toLowerCase()}.${el.className} ` +
        `${Math.round(r.right - right)}px: ${(el.textContent || '').trim().slice(0, 60)}`);
  }
  for (const m of article.querySelectorAll('mjx-container:not([display="true"])')) {
    const r = m.getBoundingClientRect();
    if (!m.closest(scrolls) && r.width > 0 && r.right > right)  // inline math cannot wrap: write it as a display
      bad.push(`inline math ${Math.round(r.right - right)}px past the column: ${(m.textContent || '').slice(0, 60)}`);
  }
  const phone = window.innerWidth < 600;
  for (const m of article.querySelectorAll('mjx-container[display="true"]')) {
    const inner = m.querySelector('mjx-math');
    const box = m.getBoundingClientRect();
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(m).overflowX);
    if (inner && inner.getBoundingClientRect().width > Math.min(box.width, right - box.left) + 1
        && !(phone && scrolls))  // on a phone a display may scroll sideways; at desktop width it must fit
      bad.push(`display math ${Math.round(inner.getBoundingClientRect().width - box.width)}px too wide: ` +
               (m.textContent || '').slice(0, 60));
  }
  return bad;
}"""

_TABLES_AND_IMAGES = r"""() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main');
  const right = article.getBoundingClientRect().right + 1;
  const tables = Array.from(article.querySelectorAll('table'))
    .filter(t => t.getBoundingClientRect().right > right)
    .map(t => (t.querySelector('th, td') || t).textContent.trim().slice(0, 40));
  const upscaled = Array.from(article.querySelectorAll('img'))
    .filter(i => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > i.naturalWidth + 1)
    .map(i => `${i.getAttribute('src')}: ${i.naturalWidth}px shown at ` +
              `${Math.round(i.getBoundingClientRect().width)}px`);
  const icon = document.querySelector('link[rel~="icon"]');
  const smallType = [];
  for (const img of article.querySelectorAll('.cell_output img, figure img')) {
    const picture = img.closest('picture.snnlib-figure');
    if (!picture) { smallType.push(`${img.getAttribute('src')}: a figure without its phone version`); continue; }
    const source = picture.querySelector('source');
    const phone = source && img.currentSrc === new URL(source.getAttribute('srcset'), location.href).href;
    const natural = phone ? source : img;
    const shown = img.getBoundingClientRect().width / img.naturalWidth * Number(natural.dataset.typePx);
    if (!(shown >= 13.3))
      smallType.push(`${img.alt} (${phone ? 'phone' : 'side-by-side'} version): smallest type ${shown.toFixed(1)}px`);
  }
  return {tables, upscaled, smallType, icon: icon ? icon.getAttribute('href') : null};
}"""


def _layout_problems(tab, page: str, width: int) -> list[str]:
    """What runs past the text column, or is upscaled or too small, on the page open in ``tab`` at ``width``."""
    problems = [f"{width} px: {p}" for p in tab.evaluate(_OVERFLOW)]
    found = tab.evaluate(_TABLES_AND_IMAGES)
    if width >= DESKTOP:
        problems += [f"{width} px: table cut off (first cell {t!r})" for t in found["tables"]]
    problems += [f"{width} px: upscaled image {u}" for u in found["upscaled"]]
    problems += [f"{width} px: {f}" for f in found["smallType"]]
    if not found["icon"] or not ((HTML / page).parent / found["icon"]).resolve().is_file():
        problems.append(f"no favicon ({found['icon']!r})")
    return problems


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


def test_the_interactive_map_g_works_without_a_kernel(site, context):
    """Chapter 3's widget (snnlib.interactive): drawn by the browser alone, it starts at omega = 0, tau = 1 with
    the fixed point (0, 1), and moving the tau slider redraws the arrows and moves the fixed point."""
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    try:
        tab.goto(f"{site}/chapters/03_mapping_g.html", wait_until="load")
        widget = tab.locator(".snn-interactive")
        assert widget.count() == 1, "the widget of the map g is missing"
        arrows = "els => els.map(e => e.getAttribute('x2') + ',' + e.getAttribute('y2'))"
        before = widget.locator("svg line[marker-end]").evaluate_all(arrows)
        assert len(before) >= 50, f"only {len(before)} arrows drawn"
        assert widget.locator(".fixed-value").text_content() == "(0.0000, 1.0000)"
        tau = widget.locator("input[name='tau']")
        tau.fill(tau.get_attribute("max"))
        tau.dispatch_event("input")
        after = widget.locator("svg line[marker-end]").evaluate_all(arrows)
        assert len(after) == len(before) and after != before, "the arrows did not change with tau"
        assert widget.locator(".fixed-value").text_content() != "(0.0000, 1.0000)"
    finally:
        tab.close()
    assert not errors, errors


def test_search_finds_pages_and_its_snippets_show_no_raw_tex(site, context):
    """The search page lists results for a word of the theory chapters, with snippets in which formulas read
    "(formula)" rather than raw TeX (_static/search-snippets.js)."""
    tab = context.new_page()
    try:
        tab.goto(f"{site}/search.html?q=variance", wait_until="load")
        tab.wait_for_function("() => document.querySelectorAll('#search-results li p.context').length >= 3",
                              timeout=30_000)
        snippets = tab.locator("#search-results li p.context").all_text_contents()
    finally:
        tab.close()
    assert len(snippets) >= 3, f"only {len(snippets)} search results for 'variance'"
    raw = [s[:80] for s in snippets if re.search(r"\\\(|\\\[|\$\$|\\[a-zA-Z]+\{", s)]
    assert not raw, f"search snippets with raw TeX: {raw[:3]}"
