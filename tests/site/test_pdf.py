"""The whole book as one PDF (`make pdf`, booktools.pdf): read back with pypdf.

Every page of the table of contents is in it under its own title (read from the `# ` heading of its source), with
its page in the PDF's contents and bookmarks; Chinese terms are text, not pictures; every chapter shows a figure;
numbered equations carry their chapter's numbers; no MyST source leaked; every internal link lands somewhere.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from booktools.paths import ROOT, chapter_files, toc_files
from booktools.sphinxext import PDF_NAME

LEAKS = re.compile(r"\{(?:glue|glue:text|glue:figure|ref|numref|eq|term|cite|cite:p|cite:t|doc|math)\}`|:::\{|```\{|\$\$")


def squeeze(text: str) -> str:
    """Text as compared here: Unicode-normalised (the ligature "ﬁ" is "fi") and without any white space, since
    the PDF's text layer puts spaces around Chinese characters and breaks lines where the page does."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def source_title(doc: str) -> str:
    """The first level-1 heading of a page's source, outside code cells, without Markdown emphasis."""
    text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    match = re.search(r"^# (.+)$", text, re.M)
    assert match, f"{doc}.md has no '# ' title"
    return re.sub(r"[*`]", "", match.group(1)).strip()


def page_texts(path: Path, pages: int) -> list[str] | None:
    """The text of each page by poppler's pdftotext (in CI: .ci/run installs poppler-utils), in about 3 s; None
    where it is missing, and the caller uses pypdf's own extraction, which takes a minute for the whole book."""
    tool = shutil.which("pdftotext")
    if not tool:
        return None
    out = subprocess.run([tool, "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    texts = out.split("\f")[:pages]  # a form feed ends each page
    assert len(texts) == pages, f"pdftotext gave {len(texts)} pages, pypdf counts {pages}"
    return texts


class Book:
    """The PDF, read once: the text of each page, the bookmarks, the named destinations."""

    def __init__(self, path: Path):
        from pypdf import PdfReader

        self.reader = PdfReader(path)
        self.raw = page_texts(path, len(self.reader.pages)) or [page.extract_text() or "" for page in self.reader.pages]
        self.pages = [squeeze(text) for text in self.raw]
        self.text = "".join(self.pages)
        self.bookmarks: list[tuple[str, int]] = []  # (title, 1-based page), in order, all levels

        def walk(items):
            for item in items:
                if isinstance(item, list):
                    walk(item)
                else:
                    self.bookmarks.append((item.title, self.reader.get_destination_page_number(item) + 1))

        walk(self.reader.outline)
        self.destinations = {name.removeprefix("/") for name in self.reader.named_destinations}

    def bookmark(self, title: str) -> tuple[str, int] | None:
        """The bookmark of a chapter: its text is the title, after the chapter's number if it has one."""
        want = squeeze(title)
        for text, page in self.bookmarks:
            if re.fullmatch(r"(\d+\.)*" + re.escape(want), squeeze(text)):
                return text, page
        return None

    def images_on(self, first: int, last: int) -> int:
        """Image objects drawn on pages first..last (1-based), inside form objects too."""
        def count(resources, seen) -> int:
            found = 0
            xobjects = (resources or {}).get("/XObject") if resources else None
            for ref in (xobjects.get_object().values() if xobjects else []):
                obj = ref.get_object()
                if id(obj) in seen:
                    continue
                seen.add(id(obj))
                if obj.get("/Subtype") == "/Image":
                    found += 1
                elif obj.get("/Subtype") == "/Form":
                    found += count(obj.get("/Resources"), seen)
            return found

        return sum(count(self.reader.pages[i].get("/Resources"), set()) for i in range(first - 1, last))


@pytest.fixture(scope="module")
def book(html) -> Book:
    path = html / PDF_NAME
    if not path.exists():
        pytest.fail(f"no {path}: run `make pdf` (`make test` builds it after the site)")
    return Book(path)


def chapter_pages(book: Book) -> dict[str, tuple[int, int]]:
    """First and last page of every page of the table of contents (after the home page), from the bookmarks."""
    docs = toc_files()[1:]
    starts = []
    for doc in docs:
        mark = book.bookmark(source_title(doc))
        assert mark, f"no bookmark for {doc} ({source_title(doc)!r})"
        starts.append(mark[1])
    ends = [s - 1 for s in starts[1:]] + [len(book.pages)]
    return {doc: (start, max(start, end)) for doc, start, end in zip(docs, starts, ends)}


@pytest.mark.parametrize("doc", toc_files()[1:])
def test_every_chapter_is_in_the_pdf_with_its_title(book, doc):
    title = source_title(doc)
    assert squeeze(title) in book.text, f"the title of {doc} ({title!r}) is not in the PDF's text"
    assert book.bookmark(title), f"no bookmark for {doc} ({title!r}); bookmarks: {book.bookmarks[:10]}"


def test_contents_give_each_chapter_its_page(book):
    """The contents (after the title page) list every chapter with the page its bookmark points to."""
    contents = next((i for i, page in enumerate(book.pages) if page.startswith("Contents")), None)
    assert contents is not None, "no page starting with 'Contents'"
    lines = {squeeze(line) for text in book.raw[contents:contents + 12] for line in text.splitlines()}
    for doc, (start, _) in chapter_pages(book).items():
        text_mark, _ = book.bookmark(source_title(doc))
        entry = squeeze(text_mark) + str(start)
        assert entry in lines, f"the contents do not list {entry!r} (title, then page) on a line of their own"


def test_chapters_start_on_their_own_pages(book):
    pages = chapter_pages(book)
    starts = [start for start, _ in pages.values()]
    assert starts == sorted(starts) and len(set(starts)) == len(starts), f"chapters out of order or sharing a page: {pages}"
    for doc, (start, _) in pages.items():
        title = squeeze(book.bookmark(source_title(doc))[0])
        assert title in book.pages[start - 1], f"{doc} does not start at the top of page {start}"


def test_chinese_terms_are_text(book):
    """Every Chinese name in the glossary is in the PDF as text (a CJK font was found and embedded)."""
    glossary = (ROOT / "chapters" / "glossary.md").read_text(encoding="utf-8")
    names = set(re.findall(r"^([\u3400-\u9fff][\u3400-\u9fff、，（）() A-Za-z0-9-]*)\s*$", glossary, re.M))
    assert len(names) >= 10, f"expected the glossary's Chinese names, found {sorted(names)[:5]}"
    missing = sorted(name for name in names if squeeze(name) not in book.text)
    assert not missing, f"{len(missing)} of {len(names)} Chinese terms are not text in the PDF: {missing[:10]}"


@pytest.mark.parametrize("doc", chapter_files())
def test_every_chapter_shows_its_figures(book, doc):
    first, last = chapter_pages(book)[doc]
    assert book.images_on(first, last) >= 1, f"no image on pages {first}-{last} ({doc})"


def test_equations_are_numbered_as_on_the_site(book):
    """A chapter with labelled equations shows its first one as (N.1), N its number in the bookmarks."""
    checked = 0
    for doc in chapter_files():
        source = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
        number = re.match(r"(\d+)\.", squeeze(book.bookmark(source_title(doc))[0]))
        if not number or not re.search(r"^\$\$.*?^\$\$\s*\(eq-[\w-]+\)", source, re.S | re.M):
            continue
        first, last = chapter_pages(book)[doc]
        assert f"({number.group(1)}.1)" in "".join(book.pages[first - 1:last]), f"{doc}: no equation ({number.group(1)}.1)"
        checked += 1
    assert checked, "no numbered chapter with labelled equations"


def test_no_myst_source_leaked(book):
    found = LEAKS.findall(book.text)
    where = [i + 1 for i, page in enumerate(book.pages) if LEAKS.search(page)]
    assert not found, f"raw MyST in the PDF: {found[:5]} on pages {where[:10]}"
    assert "\\begin{" not in book.text, "TeX that MathJax did not typeset"


def test_internal_links_land(book):
    """Every link inside the PDF goes to a destination in it; none points at the build's local server or files."""
    inside, broken, local = 0, [], []
    for number, page in enumerate(book.reader.pages, start=1):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            if "/Dest" in annotation:
                inside += 1
                destination = annotation["/Dest"]
                if isinstance(destination, str) and destination.removeprefix("/") not in book.destinations:
                    broken.append((number, destination))
            elif "/A" in annotation:
                uri = str(annotation["/A"].get("/URI", ""))
                if uri.startswith("file:") or re.match(r"https?://(127\.0\.0\.1|localhost)", uri):
                    local.append((number, uri))
    assert inside >= len(toc_files()), f"only {inside} internal links"
    assert not broken, f"links to missing destinations: {broken[:10]}"
    assert not local, f"links to the build machine: {local[:10]}"
