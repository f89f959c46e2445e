"""The built site: every page there, nothing MyST leaked, figures, no third-party hosts, reader links."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml

from booktools.paths import ROOT, chapter_files, toc_files
from booktools.sphinxext import PDF_NAME


LEAKS = re.compile(r"```\{|:::\{|\{(?:ref|numref|term|cite|cite:p|cite:t|glue|glue:text|glue:figure|eq|doc|math)\}`")
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(path: Path) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tags


def main_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.find('<main')
    return text[start:text.find("</main>", start)] if start >= 0 else text


@pytest.mark.parametrize("doc", toc_files())
def test_every_toc_entry_is_rendered(html, doc):
    page = html / f"{doc}.html"
    assert page.exists(), f"{doc} is in _toc.yml but {page} was not built"
    assert not LEAKS.findall(main_text(page)), f"raw MyST in {page}: {LEAKS.findall(main_text(page))[:5]}"


@pytest.mark.parametrize("doc", chapter_files())
def test_chapter_figures_exist(html, doc):
    page = html / f"{doc}.html"
    images = [a["src"] for t, a in tags(page) if t == "img" and "src" in a and not a["src"].startswith("data:")]
    assert images, f"{doc} shows no figure"
    for src in images:
        assert (page.parent / src).resolve().exists(), f"{doc}: missing image {src}"


def test_nothing_is_loaded_from_another_host(html):
    offenders = []
    for page in html.rglob("*.html"):
        for tag, attrs in tags(page):
            url = attrs.get("src") if tag in ("script", "img", "iframe") else (
                attrs.get("href") if tag == "link" and attrs.get("rel") in ("stylesheet", "preload", "modulepreload") else None)
            if url and re.match(r"^(https?:)?//", url):
                offenders.append(f"{page.relative_to(html)}: <{tag}> {url}")
    assert not offenders, "\n".join(offenders[:20])


def test_mathjax_is_served_by_the_site(html):
    page = html / f"{chapter_files()[0]}.html"
    scripts = [a["src"] for t, a in tags(page) if t == "script" and "mathjax" in a.get("src", "")]
    assert scripts and all((page.parent / s.split("?")[0]).resolve().exists() for s in scripts), scripts


def test_glossary_and_bibliography_pages(html):
    glossary = (html / "chapters" / "glossary.html").read_text(encoding="utf-8")
    assert glossary.count('<dt id="term-') >= 20, "the glossary should define the book's key terms"
    assert re.search(r'id="term-[^"]*"', glossary)
    bibliography = (html / "chapters" / "bibliography.html").read_text(encoding="utf-8")
    assert "Hung-yi" in bibliography and bibliography.count('class="citation"') + bibliography.count("role=\"doc-biblioentry\"") >= 5


@pytest.mark.parametrize("doc", chapter_files())
def test_chapter_has_colab_download_and_citation(html, doc):
    page = html / f"{doc}.html"
    text = page.read_text(encoding="utf-8")
    name = Path(doc).name + ".ipynb"
    owner_repo = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    assert f'href="https://colab.research.google.com/github/{owner_repo}/blob/notebooks/{name}"' in text
    download = [a["href"] for t, a in tags(page) if t == "a" and "mlbook-download" in a.get("class", "")]
    assert download and (page.parent / download[0]).resolve().exists(), download
    assert "Cite this chapter" in text and "@incollection{" in text
    assert f'{CONFIG["html"]["baseurl"]}{doc}.html' in text
    import mlbook

    assert f"version {mlbook.__version__}" in text


@pytest.mark.parametrize("doc", chapter_files())
def test_generated_notebook_is_plain(html, doc):
    nb = nbformat.read(html / "_notebooks" / f"{Path(doc).name}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert '"google.colab" in sys.modules' in nb.cells[0].source
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert not LEAKS.findall(cell.source), (doc, LEAKS.findall(cell.source)[:5])
            assert not re.search(r"^\([\w-]+\)=\s*$", cell.source, re.M), "a MyST label leaked"
        else:
            assert "remove-cell" not in cell.metadata.get("tags", [])


def test_every_page_links_to_the_pdf(html):
    """Every page of the site has the header button to the whole book as one PDF (booktools.sphinxext), which
    `make pdf` writes at the site's root (tests/site/test_pdf.py checks the PDF itself)."""
    pdf = (html / PDF_NAME).resolve()
    pages = [p for p in html.rglob("*.html") if not {"_static", "_sources", "_images"} & set(p.relative_to(html).parts)]
    pages = [p for p in pages if "<main" in p.read_text(encoding="utf-8")]  # not the root's redirect to the home page
    assert len(pages) >= len(toc_files()), f"only {len(pages)} pages"
    missing = [str(p.relative_to(html)) for p in pages
               if not any(t == "a" and (p.parent / a.get("href", "")).resolve() == pdf for t, a in tags(p))]
    assert not missing, f"pages without a link to {PDF_NAME}: {missing[:10]}"


def test_status_page_lists_every_chapter(html):
    text = main_text(html / "chapters" / "status.html")
    for doc in chapter_files():
        assert f"{Path(doc).name}.html" in text, f"{doc} missing from the execution status table"
    # myst-nb's nb-exec-table marks each executed notebook ✅ (❌ when it failed)
    assert text.count("✅") >= len(chapter_files()) and "❌" not in text, "a chapter is not marked as executed"
    assert "quick" in text or "full" in text


def test_sections_are_labelled_and_numbered(html):
    for doc in chapter_files():
        text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
        source = re.sub(r"^```\{code-cell\}.*?^```", "", text, flags=re.S | re.M).splitlines()
        for i, line in enumerate(source):
            if re.match(r"^#{1,3} ", line):
                assert i > 0 and re.match(r"^\([\w-]+\)=\s*$", source[i - 1]), f"{doc}: heading without a label: {line}"
    numbered = [d for d in chapter_files() if not d.endswith("00-introduction")]
    for doc in numbered:
        assert 'class="section-number"' in (html / f"{doc}.html").read_text(encoding="utf-8"), doc


def test_gpu_chapters_ask_colab_for_a_gpu(html):
    from booktools.nbval_md import read_chapter

    for doc in chapter_files():
        wants = read_chapter(ROOT / f"{doc}.md").metadata.get("mlbook", {}).get("colab_gpu", False)
        nb = nbformat.read(html / "_notebooks" / f"{Path(doc).name}.ipynb", as_version=4)
        assert (nb.metadata.get("accelerator") == "GPU") == wants, doc
