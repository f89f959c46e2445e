"""The whole book as one PDF (`make pdf`), built offline from the book's own run.

Steps:
1. Check that the execution cache holds every chapter, executed under the current code (the stamp that
   `booktools.cachekey` writes, in either profile). The PDF shows the outputs that `make notebooks`/`make site` (or `make full`)
   produced and never executes a chapter itself: a missing or stale chapter is an error that says what to run.
2. Sphinx's single-page builder, through Jupyter Book's own build function with the book's `_config.yml` and
   `_toc.yml` (execution mode `cache`, which the check above turns into a pure read), warnings as errors like the
   site. It has its own doctrees folder, so the site's incremental build is left alone. Output:
   `_build/singlehtml/chapters/index.html`, whose URLs are written as if it sat at the folder's root.
3. A print copy at that root (`mlbook-print.html`), where its images, styles and MathJax resolve, with the
   links Sphinx writes to the page itself (`chapters/index.html#x`) turned into in-page links (`#x`).
4. Debian's chromium, headless, driven by Selenium through chromedriver as in the browser tests, opens the copy
   from a loopback HTTP server (every other host name fails to resolve, so nothing can be downloaded), waits for
   MathJax, the fonts and every image, then prepares the page for paper in JavaScript (PREPARE below): a title
   page and a table of contents, part headings, folded solutions unfolded, ids that the single page repeats
   (each chapter has its own `#summary`, `#id3`...) made unique so that every link lands in its own chapter.
   The print stylesheet is `_static/print.css` (it also serves readers who print a page of the site).
5. Chrome's DevTools command `Page.printToPDF` prints it on A4 with page numbers in the footer and PDF bookmarks
   from the headings. The page of every contents entry is read back from that PDF (its named destinations,
   through pypdf), written into the contents, and the page printed again; the second print must have the same
   number of pages, so the numbers are right.

Output: `_build/html/mlbook.pdf`, next to the site that links to it from every page (booktools.sphinxext), and
`_build/pdf/build.json` with its size, pages and timings. `python -m booktools.pdf --help` for the options.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import html
import io
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from . import loopback
from .paths import BUILD, CACHE, HTML, ROOT, chapter_files, toc_files
from .sphinxext import PDF_NAME  # where every page of the site links to: the site's root

SINGLE = BUILD / "singlehtml"
DOCTREES = BUILD / ".doctrees-singlehtml"  # not the site's `.doctrees`
PRINT_PAGE = "mlbook-print.html"
REPORT = BUILD / "pdf" / "build.json"

A4_INCHES = (8.27, 11.69)
MARGINS_MM = {"marginTop": 18, "marginBottom": 20, "marginLeft": 16, "marginRight": 16}  # as in print.css
FOOTER = ('<div style="font-size:8px; width:100%; padding:0 16mm; display:flex; justify-content:space-between;'
          ' color:#555; font-family:sans-serif;"><span>{title}</span>'
          '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>')
PAGE_PLACEHOLDER = "000"  # the first print reserves this much room for each page number in the contents


class PdfError(RuntimeError):
    """The PDF cannot be built; the message says why and what to run."""


# -- 1. the execution cache -------------------------------------------------------------------------------
def check_cache() -> None:
    """Fail unless every chapter's executed notebook is in the cache, made under the current inputs."""
    from jupyter_cache import get_cache
    from myst_nb.core.read import read_myst_markdown_notebook

    from . import cachekey

    stamp = cachekey.stamp()
    made_under = stamp.read_text().strip() if stamp.exists() else None
    if made_under not in {key_for(profile) for profile in ("quick", "full")}:
        raise PdfError(f"the execution cache {CACHE} was not made under the current mlbook and pyproject.toml: run "
                       f"`make site` (or `make full` and `make book`) first; the PDF never executes chapters itself")
    cache = get_cache(str(CACHE))
    missing = []
    for doc in chapter_files():
        path = ROOT / f"{doc}.md"
        notebook = read_myst_markdown_notebook(path.read_text(encoding="utf-8"), path=path)
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            missing.append(doc)
    if missing:
        raise PdfError(f"not in the execution cache (changed since the last run?): {', '.join(missing)}; "
                       f"run `make site` first: the PDF never executes chapters itself")


def key_for(profile: str) -> str:
    """booktools.cachekey's key under `profile`: the PDF prints whichever profile the cache was last run in (the
    book's status page says which), as long as the code is the code that ran."""
    from . import cachekey

    before = os.environ.get("MLBOOK_PROFILE")
    os.environ["MLBOOK_PROFILE"] = profile
    try:
        return cachekey.current_key()
    finally:
        if before is None:
            del os.environ["MLBOOK_PROFILE"]
        else:
            os.environ["MLBOOK_PROFILE"] = before


# -- 2. the single page ---------------------------------------------------------------------------------------
def build_single_page() -> Path:
    """Jupyter Book's `singlehtml` build of the whole book; returns the page."""
    from jupyter_book.sphinx import build_sphinx

    result = build_sphinx(
        ROOT, SINGLE, doctreedir=DOCTREES, builder="singlehtml",
        use_external_toc=True, noconfig=True, path_config=str(ROOT / "_config.yml"),
        confoverrides={"external_toc_path": str(ROOT / "_toc.yml"), "latex_individualpages": False,
                       "nitpicky": True},  # as `jupyter-book build -n`, the site's flags
        warningiserror=True, keep_going=True)
    if result != 0:
        raise PdfError(f"the single-page build failed (see the warnings above): {result!r}")
    return SINGLE / f"{toc_files()[0]}.html"


# -- 3. the print copy ----------------------------------------------------------------------------------------
def print_copy(page: Path) -> Path:
    """The page at the root of the build folder, its links to itself made in-page links."""
    text = page.read_text(encoding="utf-8")
    text = text.replace(f'href="{page.relative_to(SINGLE).as_posix()}#', 'href="#')
    copy = SINGLE / PRINT_PAGE
    copy.write_text(text, encoding="utf-8")
    return copy


# -- 4. the browser -------------------------------------------------------------------------------------------
@contextlib.contextmanager
def chromium():
    """Headless Debian chromium through chromedriver, as in tests/site/test_browser.py, offline."""
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (browser and driver):
        raise PdfError("the PDF is printed by Debian's chromium: apt-get install chromium chromium-driver "
                       "fonts-noto-cjk (.ci/run installs them in CI)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    profile = tempfile.mkdtemp(prefix="mlbook-pdf-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1200,1600", "--force-color-profile=srgb",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # nothing but the local server
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    web = webdriver.Chrome(service=Service(driver), options=options)
    web.set_page_load_timeout(300)
    web.set_script_timeout(600)
    config = getattr(web.command_executor, "_client_config", None)  # Selenium waits 120 s for a command, and
    if config is not None:                                           # printing the book can take longer on a
        config.timeout = 900                                         # busy machine
    try:
        yield web
    finally:
        web.quit()
        shutil.rmtree(profile, ignore_errors=True)


# Waits until the page is ready to print: MathJax has typeset every formula, fonts and images are loaded.
READY = """
const done = arguments[arguments.length - 1];
(async () => {
  if (!window.MathJax || !MathJax.startup) throw new Error("MathJax did not load (sphinx-mathjax-offline)");
  await MathJax.startup.promise;
  await document.fonts.ready;
  await Promise.all([...document.images].map(img => img.complete ? null :
      new Promise(ok => { img.onload = img.onerror = ok; })));
  const broken = [...document.images].filter(img => !img.naturalWidth).map(img => img.src);
  const raw = [...document.querySelectorAll('article .math')].filter(el => !el.querySelector('mjx-container')).length;
  return {broken, raw, formulas: document.querySelectorAll('article mjx-container').length};
})().then(done, err => done({error: String(err)}));
"""

# Prepares the single page for paper. Arguments: the book's parts ([caption, [docname, ...]]) and the title page.
PREPARE = r"""
const [parts, meta, placeholder] = arguments;
const article = document.querySelector('article.bd-article');
document.documentElement.dataset.theme = 'light';
document.documentElement.dataset.mode = 'light';

// Ids the single page repeats (every chapter has its own "summary", "id3"...) get their document's name,
// and each link goes to the copy in its own document (or in the document Sphinx resolved it to).
const markers = [...article.querySelectorAll('span[id^="document-"]')];
const docOf = el => {  // the document an element belongs to: the last marker before it
  let doc = meta.root;
  for (const m of markers) {
    if (m.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) doc = m.id.slice('document-'.length);
    else break;
  }
  return doc;
};
const counts = new Map();
for (const el of article.querySelectorAll('[id]')) counts.set(el.id, (counts.get(el.id) || 0) + 1);
const renamed = new Map();  // "doc::id" -> element
for (const el of article.querySelectorAll('[id]')) {
  if (counts.get(el.id) > 1) {
    const key = docOf(el) + '::' + el.id;
    if (!renamed.has(key)) { renamed.set(key, el); el.id = key; }
  }
}
let relinked = 0, unresolved = [];
for (const a of article.querySelectorAll('a[href^="#"]')) {
  let target = decodeURIComponent(a.getAttribute('href').slice(1));
  let doc = docOf(a);
  const cut = target.indexOf('::');  // "#doc::id", written by booktools.sphinxext for cross-document links
  if (cut >= 0) { doc = target.slice(0, cut); target = target.slice(cut + 2); }
  let id = target;
  if (counts.get(target) > 1) { id = doc + '::' + target; relinked++; }
  if (!document.getElementById(id)) { unresolved.push(a.getAttribute('href')); continue; }
  a.setAttribute('href', '#' + id);
}

// Folded content unfolded; cells whose source the chapter hides keep only their output.
for (const el of article.querySelectorAll('.toggle-hidden')) el.classList.remove('toggle-hidden');
for (const el of article.querySelectorAll('details.above-input, details.hide-input')) el.remove();
for (const el of article.querySelectorAll('details')) el.open = true;

// Chapter starts, part headings (h2, so that the PDF's bookmarks nest part > chapter > section).
const chapters = [];
const partOf = new Map();
parts.forEach(([caption, docs]) => docs.forEach((d, i) => partOf.set(d, i === 0 ? caption : null)));
for (const m of markers) {
  const doc = m.id.slice('document-'.length);
  const section = m.nextElementSibling;
  if (!section || section.tagName !== 'SECTION') continue;
  const heading = section.querySelector('h1, h2, h3, h4, h5, h6');
  const label = section.querySelector(':scope > span[id]');
  const caption = partOf.get(doc);
  if (caption) {
    const part = document.createElement('div');
    part.className = 'mlbook-part mlbook-chapter-start';
    part.innerHTML = '<h2 class="mlbook-part-heading"></h2>';
    part.firstChild.textContent = caption;
    m.before(part);
  } else {
    section.classList.add('mlbook-chapter-start');
  }
  const subsections = [...section.querySelectorAll(':scope > section')].map(s => ({
    id: (s.querySelector(':scope > span[id]') || s).id,
    text: s.querySelector('h1, h2, h3, h4, h5, h6').textContent.replace(/#$/, '').trim(),
  }));
  chapters.push({doc, part: caption, id: (label || section).id,
                 text: heading.textContent.replace(/#$/, '').trim(), subsections});
}

// Title page and contents, before the book's home page.
const title = document.createElement('div');
title.className = 'mlbook-title-page';
title.innerHTML = '<h1></h1><p class="mlbook-author"></p><p class="mlbook-edition"></p><p class="mlbook-url"></p>';
title.querySelector('h1').textContent = meta.title;
title.querySelector('.mlbook-author').textContent = meta.author;
title.querySelector('.mlbook-edition').textContent = meta.edition;
title.querySelector('.mlbook-url').textContent = meta.url;
const contents = document.createElement('nav');
contents.className = 'mlbook-contents';
contents.innerHTML = '<h2>Contents</h2>';
const entry = (id, text) => {
  const li = document.createElement('li');
  li.innerHTML = '<div class="mlbook-toc-line"><a></a><span class="mlbook-toc-dots"></span>' +
                 '<span class="mlbook-toc-page"></span></div>';
  li.querySelector('a').href = '#' + id;
  li.querySelector('a').textContent = text;
  li.querySelector('.mlbook-toc-page').textContent = placeholder;
  li.querySelector('.mlbook-toc-page').dataset.target = id;
  return li;
};
let list = document.createElement('ol');
contents.append(list);
for (const ch of chapters) {
  if (ch.part) {
    const p = document.createElement('li');
    p.className = 'mlbook-toc-part';
    p.textContent = ch.part;
    list.append(p);
  }
  const li = entry(ch.id, ch.text);
  li.className = 'mlbook-toc-chapter';
  if (ch.subsections.length) {
    const sub = document.createElement('ol');
    for (const s of ch.subsections) sub.append(entry(s.id, s.text));
    li.append(sub);
  }
  list.append(li);
}
article.prepend(title, contents);
return {chapters: chapters.map(c => [c.doc, c.id, c.text]), relinked, unresolved,
        targets: [...contents.querySelectorAll('.mlbook-toc-page')].map(s => s.dataset.target)};
"""

# Writes the page numbers into the contents. Argument: {id: page}.
NUMBER = """
const pages = arguments[0];
for (const span of document.querySelectorAll('.mlbook-contents .mlbook-toc-page'))
  span.textContent = String(pages[span.dataset.target]);
"""


def print_to_pdf(web, title: str) -> bytes:
    """Chrome's own print (DevTools `Page.printToPDF`): A4, page numbers in the footer, bookmarks."""
    mm = 1 / 25.4
    result = web.execute_cdp_cmd("Page.printToPDF", {
        "paperWidth": A4_INCHES[0], "paperHeight": A4_INCHES[1],
        **{side: value * mm for side, value in MARGINS_MM.items()},
        "printBackground": True, "preferCSSPageSize": True,
        "displayHeaderFooter": True, "headerTemplate": "<div></div>",
        "footerTemplate": FOOTER.format(title=html.escape(title)),
        "generateTaggedPDF": True, "generateDocumentOutline": True,
    })
    return base64.b64decode(result["data"])


def destination_pages(pdf: bytes, ids: list[str]) -> dict[str, int]:
    """The 1-based page of each id, from the PDF's named destinations (Chrome writes one per link target)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    found = {}
    for name, destination in reader.named_destinations.items():  # names are PDF names: "/ch-regression"
        found[name.removeprefix("/")] = reader.get_destination_page_number(destination) + 1
    missing = [i for i in ids if i not in found]
    if missing:
        raise PdfError(f"no page found for {len(missing)} contents entries, e.g. {missing[:5]}")
    return {i: found[i] for i in ids}


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def book_meta() -> dict:
    import yaml

    import mlbook

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return {
        "root": toc_files()[0],
        "title": config["title"],
        "author": config["author"],
        "edition": f"Version {mlbook.__version__}, printed {datetime.now(timezone.utc):%Y-%m-%d}",
        "url": config["html"]["baseurl"],
    }


def book_parts() -> list[tuple[str, list[str]]]:
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [(part.get("caption", ""), [c["file"] for c in part["chapters"]]) for part in toc.get("parts", [])]


def print_book(page: Path, out: Path) -> dict:
    """Print the prepared page twice (the second time with page numbers in the contents); write `out`."""
    meta = book_meta()
    with loopback.serve(SINGLE) as url, chromium() as web:
        web.get(f"{url}{page.name}")
        ready = web.execute_async_script(READY)
        if "error" in ready:
            raise PdfError(ready["error"])
        if ready["broken"] or ready["raw"]:
            raise PdfError(f"not ready to print: {len(ready['broken'])} broken images {ready['broken'][:3]}, "
                           f"{ready['raw']} formulas MathJax did not typeset")
        prepared = web.execute_script(PREPARE, book_parts(), meta, PAGE_PLACEHOLDER)
        if prepared["unresolved"]:
            raise PdfError(f"links to nowhere in the single page: {prepared['unresolved'][:10]}")
        started = time.perf_counter()
        first = print_to_pdf(web, meta["title"])
        pages = destination_pages(first, prepared["targets"])
        web.execute_script(NUMBER, pages)
        final = print_to_pdf(web, meta["title"])
        printing_s = time.perf_counter() - started
    if page_count(final) != page_count(first):
        raise PdfError(f"the page numbers moved: {page_count(first)} pages before numbering, {page_count(final)} after")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".pdf.part")
    partial.write_bytes(final)
    partial.replace(out)  # never a half-written PDF where the site links to it
    return {"formulas": ready["formulas"], "relinked": prepared["relinked"], "print_s": round(printing_s, 1),
            "chapters": {doc: {"title": text, "page": pages[i]} for doc, i, text in prepared["chapters"]}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m booktools.pdf", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HTML / PDF_NAME, help="where to write the PDF (%(default)s)")
    parser.add_argument("--no-build", action="store_true",
                        help="print the single page already in _build/singlehtml (skips steps 1 and 2)")
    args = parser.parse_args(argv)
    try:
        started = time.perf_counter()
        if args.no_build:
            page = SINGLE / f"{toc_files()[0]}.html"
            if not page.exists():
                raise PdfError(f"no single page at {page}: run without --no-build")
        else:
            check_cache()
            page = build_single_page()
        build_s = time.perf_counter() - started
        report = print_book(print_copy(page), args.out)
    except PdfError as error:
        print(f"booktools.pdf: {error}", file=sys.stderr)
        return 1
    from pypdf import PdfReader

    report = {"pdf": str(args.out), "bytes": args.out.stat().st_size, "pages": len(PdfReader(args.out).pages),
              "single_page_build_s": round(build_s, 1), **report,
              "total_s": round(time.perf_counter() - started, 1)}
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"The book as one PDF: {args.out} ({report['bytes'] / 2**20:.1f} MiB, {report['pages']} pages; "
          f"single page built in {report['single_page_build_s']} s, printed in {report['print_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
