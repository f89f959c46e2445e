"""Turn a chapter (a MyST notebook) into a plain `.ipynb` for Colab and download.

What a notebook viewer cannot show is rewritten as plain Markdown: labels become anchors, roles become
links or text, glued numbers become the values the book's run computed, admonitions become block
quotes (or `<details>` when they fold), numbered equations get a `\\tag`. Cells tagged `remove-cell`
(the hidden checks) are left out. A first cell installs `mlbook` when, and only when, it runs on Colab.
"""
from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, field

import nbformat

ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error",
               "seealso", "admonition", "margin", "sidebar", "epigraph", "topic"}
FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$")
ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<body>[^`]*)`")
LABEL = re.compile(r"^\((?P<label>[^)\s]+)\)=\s*$")
EQUATION = re.compile(r"\$\$(?P<body>.+?)\$\$[ \t]*\((?P<label>[^)\s]+)\)", re.S)
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)

INSTALL_CELL = '''\
# On Google Colab this cell installs the book's package, mlbook {version}; anywhere else it does nothing.
import os, subprocess, sys

if "google.colab" in sys.modules:
    spec = os.environ.get("MLBOOK_INSTALL", "mlbook @ git+{repository}@v{version}")
    print(f"Running on Colab: installing {{spec}} ...")
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", spec])
'''


@dataclass
class BookContext:
    """What the exporter needs to know about the rest of the book."""

    version: str
    repository: str  # https://github.com/OWNER/REPO
    baseurl: str  # where the site is published, ending in "/"
    labels: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # label -> (docname, anchor, title)
    citations: dict[str, str] = field(default_factory=dict)  # bibtex key -> "Author et al., 2020"
    terms: set[str] = field(default_factory=set)

    def page_url(self, docname: str, anchor: str = "") -> str:
        return f"{self.baseurl}{docname}.html" + (f"#{anchor}" if anchor else "")


def glue_values(nb: nbformat.NotebookNode) -> dict[str, dict]:
    """`{name: mimebundle}` of every value the executed notebook glued."""
    found: dict[str, dict] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook", {})
            if "name" in meta:
                prefix = meta.get("mime_prefix", "application/papermill.record/")
                found[meta["name"]] = {k[len(prefix):]: v for k, v in out.get("data", {}).items() if k.startswith(prefix)}
    return found


def format_glue(bundle: dict, spec: str) -> str:
    text = str(bundle.get("text/plain", "")).strip()
    if not spec:
        return text.strip("'\"")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = text.strip("'\"")
    try:
        return format(value, spec)
    except (ValueError, TypeError):
        return str(value)


class ChapterExporter:
    """Convert one executed chapter notebook (from the build's cache) into a plain notebook."""

    def __init__(self, context: BookContext, docname: str, executed: nbformat.NotebookNode):
        self.ctx, self.docname = context, docname
        self.glue = glue_values(executed)
        self.executed = executed
        self.equations: dict[str, int] = {}
        for cell in executed.cells:  # number this chapter's labelled equations in order of appearance
            if cell.cell_type == "markdown":
                for match in EQUATION.finditer(cell.source):
                    self.equations.setdefault(match["label"], len(self.equations) + 1)

    # -- inline roles ---------------------------------------------------------------------------
    def link(self, label: str, text: str | None) -> str:
        docname, anchor, title = self.ctx.labels.get(label, (self.docname, label, label))
        text = text or title or label
        href = f"#{label}" if docname == self.docname else self.ctx.page_url(docname, anchor)
        return f"[{text}]({href})"

    def role(self, match: re.Match) -> str:
        name, body = match["name"], match["body"]
        explicit = EXPLICIT.match(body)
        text, target = (explicit["text"], explicit["target"]) if explicit else (None, body)
        if name in ("ref", "numref", "doc"):
            return self.link(target.lstrip("/"), text)
        if name == "eq":
            number = self.equations.get(target)
            return f"({number})" if number else self.link(target, text or "equation")
        if name == "term":
            return text or target
        if name.startswith("cite"):
            keys = [k.strip() for k in target.split(",")]
            refs = "; ".join(self.ctx.citations.get(k, k) for k in keys)
            return refs if name == "cite:t" else f"({refs})"
        if name.startswith("glue"):
            key, _, spec = target.partition(":")
            if key not in self.glue:
                raise KeyError(f"{self.docname}: glue key {key!r} not found in the executed notebook")
            return format_glue(self.glue[key], spec)
        if name == "math":
            return f"${body}$"
        return text or target

    def inline(self, text: str) -> str:
        text = EQUATION.sub(self.equation, text)
        return ROLE.sub(self.role, text)

    def equation(self, match: re.Match) -> str:
        number = self.equations.get(match["label"])
        return f'<a id="{match["label"]}"></a>\n\n$${match["body"].rstrip()} \\tag{{{number}}}$$'

    # -- blocks -----------------------------------------------------------------------------------
    def directive(self, name: str, arg: str, options: dict[str, str], body: str) -> str:
        if name.startswith("glue"):
            bundle = self.glue.get(arg.strip(), {})
            if "image/png" in bundle:
                return f"![{arg.strip()}](data:image/png;base64,{bundle['image/png']})"
            return format_glue(bundle, "")
        if name == "math":
            return f"$$\n{body}\n$$"
        if name in ("figure", "image"):
            return f"![{self.convert(body).strip()}]({arg})"
        if name in ("code-block", "code", "sourcecode"):
            return f"```{arg}\n{body}\n```"
        if name in ("tableofcontents", "bibliography", "glossary"):
            return ""
        inner = self.convert(body).strip()
        title = self.inline(arg) if arg else name.replace("seealso", "see also").capitalize()
        if name == "admonition" and not arg:
            title = "Note"
        if "dropdown" in options.get("class", "") or name in ("dropdown", "toggle"):
            return f"<details>\n<summary><b>{title}</b></summary>\n\n{inner}\n\n</details>"
        quoted = "\n".join(f"> {line}" if line else ">" for line in inner.splitlines())
        return f"> **{title}**\n>\n{quoted}"

    def convert(self, source: str) -> str:
        lines, out, i = source.splitlines(), [], 0
        while i < len(lines):
            line = lines[i]
            fence = FENCE.match(line.strip())
            label = LABEL.match(line.strip())
            if fence:
                close, depth, body, options = fence["fence"], 1, [], {}
                i += 1
                while i < len(lines):
                    stripped = lines[i].strip()
                    opener = FENCE.match(stripped)
                    if opener and opener["fence"][0] == close[0] and len(opener["fence"]) == len(close):
                        depth += 1
                    elif stripped == close:
                        depth -= 1
                        if depth == 0:
                            break
                    body.append(lines[i])
                    i += 1
                while body and re.match(r"^\s*:[\w-]+:", body[0]):  # directive options
                    key, _, value = body.pop(0).strip()[1:].partition(":")
                    options[key] = value.strip()
                out.append(self.directive(fence["name"], fence["arg"], options, "\n".join(body)))
            elif label:
                out.append(f'<a id="{label["label"]}"></a>')
            else:
                out.append(line)
            i += 1
        return self.inline("\n".join(out))

    def notebook(self, *, gpu: bool) -> nbformat.NotebookNode:
        nb = nbformat.v4.new_notebook()
        nb.metadata = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "colab": {"provenance": [], "toc_visible": True},
        }
        if gpu:
            nb.metadata["accelerator"] = "GPU"
            nb.metadata["colab"]["gpuType"] = "T4"
        nb.cells.append(nbformat.v4.new_code_cell(
            INSTALL_CELL.format(version=self.ctx.version, repository=self.ctx.repository)))
        for cell in self.executed.cells:
            tags = cell.get("metadata", {}).get("tags", [])
            if "remove-cell" in tags:
                continue
            if cell.cell_type == "markdown":
                text = self.convert(cell.source).strip()
                if text:
                    nb.cells.append(nbformat.v4.new_markdown_cell(text))
            elif cell.cell_type == "code":
                new = nbformat.v4.new_code_cell(cell.source)
                new.metadata = {k: copy.deepcopy(v) for k, v in cell.metadata.items() if k == "tags"}
                nb.cells.append(new)  # outputs are left out: the reader runs the notebook
        nbformat.validate(nb)
        return nb


def citation_labels(bibfile: str) -> dict[str, str]:
    """`{key: "Lee, 2020"}` for every entry of a BibTeX file (author-year, et al. past two)."""
    from pybtex.database import parse_file

    labels = {}
    for key, entry in parse_file(bibfile).entries.items():
        people = entry.persons.get("author", []) or entry.persons.get("editor", [])
        names = [" ".join(p.last_names).strip("{}") for p in people]
        who = names[0] + " et al." if len(names) > 2 else " and ".join(names) or key
        labels[key] = f"{who}, {entry.fields.get('year', 'n.d.')}"
    return labels
