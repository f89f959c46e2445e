"""The book's Sphinx extension (listed in `_config.yml`).

On every chapter page it adds links to open the chapter in Colab and to download it as `.ipynb`, and
a "Cite this chapter" block generated from `_config.yml`. It provides the `{exec-status}` directive,
a table of when and how each chapter last ran, and after a successful build it writes each chapter's
plain notebook to `_build/html/_notebooks/`.
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
from sphinx.util.docutils import SphinxDirective

from .export import BookContext, ChapterExporter, citation_labels

NOTEBOOKS = "_notebooks"  # folder of generated notebooks in the site, and root of the `notebooks` branch
RUN_LINE = re.compile(r"profile: (?P<profile>\w+) · device: (?P<device>\S+)")


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


class exec_status(nodes.General, nodes.Element):
    """Placeholder for the execution status table."""


class ExecStatusDirective(SphinxDirective):
    def run(self):
        return [exec_status()]


def status_pages(app, env, added, changed, removed):
    """Pages holding the status table are rebuilt on every build, since any chapter may have rerun."""
    return [doc for doc in env.found_docs if "{exec-status}" in Path(env.doc2path(doc)).read_text(errors="ignore")]


class ExecStatusTransform(SphinxPostTransform):
    default_priority = 8  # before references are resolved, so the chapter links resolve

    def run(self, **kwargs):
        from myst_nb.sphinx_ import NbMetadataCollector
        from sphinx.addnodes import pending_xref

        for placeholder in list(self.document.findall(exec_status)):
            table = nodes.table(classes=["colwidths-auto"])
            headers = ["Chapter", "Ran (UTC)", "Run time (s)", "Profile", "Device", "Cached", "Status"]
            group = nodes.tgroup(cols=len(headers))
            table += group
            group += [nodes.colspec(colwidth=1) for _ in headers]
            head, body = nodes.thead(), nodes.tbody()
            head += nodes.row("", *[nodes.entry("", nodes.paragraph(text=h)) for h in headers])
            group += [head, body]
            for doc in chapters(self.env):
                data = NbMetadataCollector.get_exec_data(self.env, doc) or {}
                run = getattr(self.env, "mlbook_runs", {}).get(doc, {})
                link = pending_xref("", nodes.inline(text=self.env.titles[doc].astext()), refdoc=self.env.docname,
                                    reftarget="/" + doc, reftype="doc", refdomain="std", refexplicit=True)
                when = datetime.fromtimestamp(data["mtime"], tz=timezone.utc).strftime("%Y-%m-%d %H:%M") if data.get("mtime") else "-"
                runtime = f"{data['runtime']:.1f}" if data.get("runtime") is not None else "-"
                cells = [nodes.paragraph("", "", link), when, runtime, run.get("profile", "?"), run.get("device", "?"),
                         "yes" if data.get("method") == "cache" else "no",
                         "passed" if data.get("succeeded") else f"failed: {data.get('error')}"]
                body += nodes.row("", *[nodes.entry("", c if isinstance(c, nodes.Node) else nodes.paragraph(text=c))
                                        for c in cells])
            placeholder.replace_self(table)


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
def export_notebooks(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from jupyter_cache import get_cache
    from myst_nb.core.read import read_myst_markdown_notebook

    env = app.env
    labels = {name: (doc, anchor, title) for name, (doc, anchor, title) in env.domaindata["std"]["labels"].items()}
    context = BookContext(book_version(), repository(app), app.config.html_baseurl, labels=labels,
                          citations=citation_labels(str(Path(app.srcdir) / app.config.bibtex_bibfiles[0])))
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


def setup(app: Sphinx) -> dict:
    app.add_node(exec_status)
    app.add_directive("exec-status", ExecStatusDirective)
    app.add_post_transform(ExecStatusTransform)
    app.connect("doctree-read", collect_run_info)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-get-outdated", status_pages)
    app.connect("html-page-context", reader_links)
    app.connect("build-finished", export_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
