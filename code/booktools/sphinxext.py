"""The book's Sphinx extension (listed in `_config.yml`).

On every chapter page it adds links to open the chapter in Colab and to download it as `.ipynb`, and
a "Cite this chapter" block generated from `_config.yml`. It provides the `{exec-profile}` directive, one
sentence saying in which profile and on which device the chapters ran (the status page puts it above
myst-nb's `{nb-exec-table}`), and after a successful build it writes each chapter's plain notebook to
`_build/html/_notebooks/`. Every page's header gets a button to the whole book as a PDF (`mlbook.pdf`, written
by booktools.pdf), and the single-page build that the PDF is printed from gets two fixes (see its section).
"""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .export import BookContext, ChapterExporter, citation_labels

logger = logging.getLogger(__name__)

NOTEBOOKS = "_notebooks"  # folder of generated notebooks in the site, and root of the `notebooks` branch
RUN_LINE = re.compile(r"profile: (?P<profile>\w+) · device: (?P<device>[\w:.-]+)")  # printed by mlbook.start()


def chapters(env) -> list[str]:
    """Docnames of the executed notebooks (the chapters), in table-of-contents order."""
    from myst_nb.sphinx_ import NbMetadataCollector

    data = NbMetadataCollector.get_doc_data(env)
    executed = {doc for doc, d in data.items() if d.get("exec_data")}
    return [doc for doc in _toc_order(env) if doc in executed]


def _toc_order(env) -> list[str]:
    seen: list[str] = []

    def walk(doc: str) -> None:
        if doc in seen:
            return
        seen.append(doc)
        for child in env.toctree_includes.get(doc, []):
            walk(child)

    walk(env.config.root_doc)
    return seen


def repository(app: Sphinx) -> str:
    url = app.config.html_theme_options.get("repository_url", "").rstrip("/")
    if not url.startswith("https://github.com/"):
        raise ValueError(f"_config.yml repository.url must be a GitHub URL, got {url!r}")
    return url


def book_version() -> str:
    import mlbook

    return mlbook.__version__


# -- run information ---------------------------------------------------------------------------------
def collect_run_info(app: Sphinx, doctree: nodes.document) -> None:
    """Remember the profile and device a chapter printed when it ran (`mlbook.start`)."""
    for node in doctree.findall(nodes.literal_block):
        match = RUN_LINE.search(node.astext())
        if match:
            if not hasattr(app.env, "mlbook_runs"):
                app.env.mlbook_runs = {}
            app.env.mlbook_runs[app.env.docname] = match.groupdict()
            return


def purge(app, env, docname):
    getattr(env, "mlbook_runs", {}).pop(docname, None)


def merge(app, env, docnames, other):
    env.mlbook_runs = {**getattr(env, "mlbook_runs", {}), **getattr(other, "mlbook_runs", {})}


def run_sentence(runs: dict[str, dict[str, str]], docs: list[str], titles: dict[str, str]) -> str:
    """One sentence: the profile and device the chapters `docs` ran on, as each printed it (`mlbook.start`).

    Introduced for the status page (`chapters/status.md`). Chapters that ran differently are named by title.
    """
    if not docs:
        return "No chapter has run yet."
    groups: dict[tuple[str, str], list[str]] = {}
    for doc in docs:
        run = runs.get(doc, {})
        groups.setdefault((run.get("profile", "unknown"), run.get("device", "unknown")), []).append(doc)
    if len(groups) == 1:
        (profile, device), = groups
        return f"Every chapter in this table ran in the {profile} profile on the {device} device."
    parts = [f"in the {profile} profile on the {device} device ({', '.join(titles.get(d, d) for d in group)})"
             for (profile, device), group in groups.items()]
    return "The chapters ran " + "; ".join(parts[:-1]) + " and " + parts[-1] + "."


class exec_profile(nodes.General, nodes.Element):
    """Placeholder for the sentence saying in which profile and on which device the chapters ran."""


class ExecProfileDirective(SphinxDirective):
    def run(self):
        return [exec_profile()]


def status_pages(app, env, added, changed, removed):
    """Pages holding the run sentence are rebuilt on every build, since any chapter may have rerun."""
    return [doc for doc in env.found_docs if "{exec-profile}" in Path(env.doc2path(doc)).read_text(errors="ignore")]


class ExecProfileTransform(SphinxPostTransform):
    default_priority = 8  # with myst-nb's execution table, once every chapter has been read

    def run(self, **kwargs):
        runs = getattr(self.env, "mlbook_runs", {})
        docs = chapters(self.env)
        for doc in docs:
            if doc not in runs:
                logger.warning(f"{doc} printed no 'profile: ... · device: ...' line (call mlbook.start() near the top)",
                               location=self.env.docname)
        titles = {doc: self.env.titles[doc].astext() for doc in docs}
        for placeholder in list(self.document.findall(exec_profile)):
            placeholder.replace_self(nodes.paragraph(text=run_sentence(runs, docs, titles)))


# -- reader links on chapter pages ---------------------------------------------------------------------
def cite_block(app: Sphinx, docname: str, title: str) -> str:
    config = app.config
    year = re.search(r"\d{4}", config.copyright or "")
    year = year.group(0) if year else str(datetime.now(timezone.utc).year)
    author, book = config.author, config.html_title
    url = BookContext(book_version(), repository(app), app.config.html_baseurl).page_url(docname)
    slug = re.sub(r"[^a-z0-9]+", "", docname.rsplit("/", 1)[-1].split("-", 1)[-1].lower())
    key = f"mlbook{year}{slug}"
    bibtex = (f"@incollection{{{key},\n  author    = {{{{{author}}}}},\n  title     = {{{title}}},\n"
              f"  booktitle = {{{book}}},\n  year      = {{{year}}},\n  edition   = {{version {book_version()}}},\n"
              f"  url       = {{{url}}}\n}}")
    plain = f"{author} ({year}). “{title}”. In <em>{html.escape(book)}</em>, version {book_version()}. {url}"
    return (f'<div class="admonition note mlbook-cite" id="cite-this-chapter">'
            f'<p class="admonition-title">Cite this chapter</p><p>{plain}</p>'
            f'<div class="highlight"><pre>{html.escape(bibtex)}</pre></div></div>')


def reader_links(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if doctree is None or pagename not in chapters(app.env) or "body" not in context:
        return
    title = html.unescape(re.sub(r"<[^>]+>", "", context.get("title", pagename)))
    title = re.sub(r"^\d+(\.\d+)*\.?\s+", "", title)  # the chapter's number is not part of its title
    name = pagename.rsplit("/", 1)[-1] + ".ipynb"
    owner_repo = repository(app).removeprefix("https://github.com/")
    colab = f"https://colab.research.google.com/github/{owner_repo}/blob/notebooks/{name}"
    depth = "../" * pagename.count("/")
    links = (f'<p class="mlbook-links"><a class="mlbook-colab" href="{colab}">Open in Colab</a> · '
             f'<a class="mlbook-download" href="{depth}{NOTEBOOKS}/{name}" download>Download the notebook (.ipynb)</a> · '
             f'<a href="#cite-this-chapter">Cite this chapter</a></p>')
    context["body"] = links + context["body"] + cite_block(app, pagename, title)


# -- generated notebooks ------------------------------------------------------------------------------
def numbers(env) -> dict[str, tuple[str, str]]:
    """`{label: (figtype, "3.2")}`: the number the site shows for each numbered label (figures, tables,
    exercises, sections, equations), from Sphinx's own numbering (`numfig`)."""
    found: dict[str, tuple[str, str]] = {}
    for label, (doc, node_id, _) in env.domaindata["std"]["labels"].items():
        for figtype, ids in env.toc_fignumbers.get(doc, {}).items():
            if node_id in ids:
                found[label] = (figtype, ".".join(map(str, ids[node_id])))
                break
        else:
            section = env.toc_secnumbers.get(doc, {}).get("#" + node_id)
            if section:
                found[label] = ("section", ".".join(map(str, section)))
    for label, (doc, _) in env.get_domain("math").equations.items():
        number = env.toc_fignumbers.get(doc, {}).get("displaymath", {}).get(nodes.make_id(f"equation-{label}"))
        if number:
            found[label] = ("displaymath", ".".join(map(str, number)))
    return found


def book_context(app: Sphinx) -> BookContext:
    """What the exporter needs from the build: labels, titles and numbers as the site shows them."""
    env = app.env
    labels = dict(env.domaindata["std"]["labels"])
    for label, (doc, _) in env.get_domain("math").equations.items():
        labels.setdefault(label, (doc, nodes.make_id(f"equation-{label}"), ""))
    chapter_numbers = {doc: ".".join(map(str, env.toc_secnumbers[doc][""]))
                       for doc in env.toc_secnumbers if env.toc_secnumbers[doc].get("")}
    return BookContext(
        book_version(), repository(app), app.config.html_baseurl, labels=labels, numbers=numbers(env),
        chapters=chapter_numbers, titles={doc: title.astext() for doc, title in env.titles.items()},
        citations=citation_labels(str(Path(app.srcdir) / app.config.bibtex_bibfiles[0])),
        numfig_format=dict(app.config.numfig_format),
        myst_extensions=tuple(sorted(app.config.myst_enable_extensions)))


def export_notebooks(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.name != "html":  # the site only, not the single page of the PDF
        return
    from jupyter_cache import get_cache
    from myst_nb.core.read import read_myst_markdown_notebook

    env = app.env
    context = book_context(app)
    cache = get_cache(str(Path(app.srcdir) / app.config.nb_execution_cache_path))
    outdir = Path(app.outdir) / NOTEBOOKS
    outdir.mkdir(parents=True, exist_ok=True)
    for doc in chapters(env):
        source = Path(env.doc2path(doc))
        nb = read_myst_markdown_notebook(source.read_text(encoding="utf-8"), path=source)
        _, executed = cache.merge_match_into_notebook(nb)  # the outputs the page shows
        gpu = bool(nb.metadata.get("mlbook", {}).get("colab_gpu", False))
        plain = ChapterExporter(context, doc, executed).notebook(gpu=gpu)
        nbformat.write(plain, outdir / (source.stem + ".ipynb"))


# -- the single-page build (the PDF) ------------------------------------------------------------------
def singlehtml_inherits_html_visitors(app: Sphinx) -> None:
    """Give the `singlehtml` builder (the PDF's source, booktools.pdf) every `html` visitor it lacks.

    Sphinx uses the visitors registered under the builder's name and falls back to those of its format (`html`)
    only when none are registered under the name. sphinx-exercise registers its nodes for `singlehtml` by name,
    so every other extension's nodes (myst-nb's, sphinx-jupyterbook-latex's placeholder next to each toctree)
    lose their visitors there, and the single page fails with "unknown node type: HiddenCellNode" (the same
    failure with sphinx-proof: https://github.com/executablebooks/sphinx-proof/issues/65)."""
    handlers = app.registry.translation_handlers
    if app.builder.name == "singlehtml" and "singlehtml" in handlers:
        for name, pair in handlers.get("html", {}).items():
            handlers["singlehtml"].setdefault(name, pair)


def singlehtml_keeps_target_documents(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """On the single page, write a link to another document as `#<document>::<id>` instead of `#<id>`.

    Sphinx resolves it to `#document-<document>#<id>` and then drops the document, but ids repeat across the
    chapters of the single page (`summary`, `id3`...); booktools.pdf uses the document to pick the right one."""
    if app.builder.name != "singlehtml":
        return
    for reference in doctree.findall(nodes.reference):
        uri = reference.get("refuri", "")
        if uri.startswith("#document-") and uri.count("#") == 2:
            document, anchor = uri[len("#document-"):].split("#")
            reference["refuri"] = f"#{document}::{anchor}"


# -- the whole book as a PDF (booktools.pdf) --------------------------------------------------------------------
PDF_NAME = "mlbook.pdf"  # at the site's root; booktools.pdf writes it there


def pdf_button(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """A button in every page's header (after the theme's own, priority 501) that downloads the book as a PDF."""
    if app.builder.name != "html" or "header_buttons" not in context:
        return
    context["header_buttons"].append({
        "type": "link", "url": context["pathto"](PDF_NAME, 1), "icon": "fas fa-file-pdf", "text": "PDF",
        "tooltip": "The whole book as one PDF", "label": "mlbook-pdf"})


def setup(app: Sphinx) -> dict:
    app.add_node(exec_profile)
    app.add_directive("exec-profile", ExecProfileDirective)
    app.add_post_transform(ExecProfileTransform)
    app.connect("doctree-read", collect_run_info)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-get-outdated", status_pages)
    app.connect("html-page-context", reader_links)
    app.connect("build-finished", export_notebooks)
    app.connect("builder-inited", singlehtml_inherits_html_visitors)
    app.connect("doctree-resolved", singlehtml_keeps_target_documents)
    app.connect("html-page-context", pdf_button, priority=510)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
