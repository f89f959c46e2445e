"""Turn a chapter (a MyST notebook) into a plain `.ipynb` for Colab and download.

Each markdown cell is parsed with myst-parser's own markdown-it parser (the one the book's build uses), so a
role inside inline code or a code block is code, not a role. What a notebook viewer cannot show is rewritten in
place, and everything else is left exactly as written:

- labels `(name)=` become anchors `<a id="name"></a>`; `% comments` are dropped;
- `{ref}`, `{numref}`, `{doc}`, `{eq}` become links with the text the site shows ("Figure 3.2", "Exercise 3.4",
  "(3.2)", a section's title), `{term}` and `{cite:p}`/`{cite:t}` plain text, `{math}` `$...$`;
- `{glue:text}` (and the other glue roles) become the value the book's own run computed; `{glue:figure}` becomes
  the embedded PNG with its anchor and its numbered caption;
- labelled equations `$$ ... $$ (label)` get an anchor and a `\\tag` with the site's number;
- exercises become a bold "Exercise N.M" paragraph with an anchor, solutions a folded `<details>` block;
  admonitions become block quotes, or `<details>` when they fold (`:class: dropdown`);
- cells tagged `remove-cell` (the hidden checks) are left out; a first cell installs `mlbook` on Colab only.
"""
from __future__ import annotations

import copy
import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator

import nbformat

# The MyST extensions of `_config.yml` (parse.myst_enable_extensions); the build passes its own list.
BOOK_MYST_EXTENSIONS = ("amsmath", "colon_fence", "deflist", "dollarmath", "html_image", "linkify", "substitution")
# Sphinx's defaults, with the book's overrides (`_config.yml`) and sphinx-exercise's entry; the build passes its own.
NUMFIG_FORMAT = {"figure": "Figure %s", "table": "Table %s", "code-block": "Listing %s", "section": "Section %s",
                 "exercise": "Exercise %s"}
DROPPED = {"tableofcontents", "bibliography", "glossary", "nb-exec-table", "exec-profile"}
CODE_DIRECTIVES = {"code-block", "code", "sourcecode"}
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
OPTION = re.compile(r"^:(?P<key>[\w-]+):(?:\s+(?P<value>.*?))?\s*$")
DIRECTIVE = re.compile(r"^\{(?P<name>[^}\s]+)\}\s*(?P<arg>.*)$", re.S)
# A block's container prefix on its first line: indentation, block-quote markers and list markers.
CONTAINER = re.compile(r"^[ \t>]*(?:(?:[-+*]|\d{1,9}[.)])[ \t]+[ \t>]*)*")

@dataclass
class BookContext:
    """What the exporter needs to know about the rest of the book (the build fills it from Sphinx's environment)."""

    version: str
    repository: str  # https://github.com/OWNER/REPO
    baseurl: str  # where the site is published, ending in "/"
    labels: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # label -> (docname, anchor, title)
    numbers: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (figtype, "3.2"), as the site numbers
    chapters: dict[str, str] = field(default_factory=dict)  # docname -> its chapter number ("3"), if numbered
    titles: dict[str, str] = field(default_factory=dict)  # docname -> page title
    citations: dict[str, tuple[str, str] | str] = field(default_factory=dict)  # bibtex key -> ("Lee et al.", "2020")
    numfig_format: dict[str, str] = field(default_factory=lambda: dict(NUMFIG_FORMAT))
    myst_extensions: tuple[str, ...] = BOOK_MYST_EXTENSIONS
    ref: str = ""  # the commit the install cell and data URL name; "" = booktools.ref.publish_ref()

    def page_url(self, docname: str, anchor: str = "") -> str:
        return f"{self.baseurl}{docname}.html" + (f"#{anchor}" if anchor else "")


# -- parsing ------------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def myst_parser(extensions: tuple[str, ...] = BOOK_MYST_EXTENSIONS):
    """myst-parser's markdown-it parser, whose role tokens also record where in their inline text they stand."""
    from markdown_it.renderer import RendererHTML
    from mdit_py_plugins.myst_role.index import myst_role
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    md = create_md_parser(MdParserConfig(enable_extensions=set(extensions)), RendererHTML)

    def located_role(state, silent: bool) -> bool:
        start = state.pos
        if not myst_role(state, silent):
            return False
        if not silent:
            state.tokens[-1].meta["span"] = (start, state.pos)
        return True

    md.inline.ruler.at("myst_role", located_role)
    return md


@dataclass
class Directive:
    name: str
    arg: str
    options: dict[str, str]
    body: str


def directive(token) -> Directive | None:
    """The directive a fence token opens (```` ```{name} arg ````), or None for a plain code block."""
    match = DIRECTIVE.match(token.info.strip())
    if token.type not in ("fence", "colon_fence") or not match:
        return None
    lines = token.content.split("\n")
    options: dict[str, str] = {}
    if lines and lines[0].strip() == "---":  # a YAML block of options
        import yaml

        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is None:
            raise ValueError(f"{{{match['name']}}}: unterminated '---' options block")
        loaded = yaml.safe_load("\n".join(lines[1:end])) or {}
        options = {str(k): "" if v is None else str(v) for k, v in loaded.items()}
        lines = lines[end + 1:]
    else:
        while lines and (option := OPTION.match(lines[0].strip())):
            options[option["key"]] = option["value"] or ""
            lines.pop(0)
    return Directive(match["name"], match["arg"].strip(), options, "\n".join(lines).strip("\n"))


def walk(source: str, extensions: tuple[str, ...]) -> Iterator[tuple[str, object]]:
    """Every directive and labelled equation of a markdown text, nested ones included, in reading order."""
    for token in myst_parser(extensions).parse(source, {}):
        if token.type == "math_block_label":
            yield "equation", token.info
        elif (found := directive(token)) is not None:
            yield "directive", found
            if found.name in ("math", "glue:math"):
                if found.options.get("label"):
                    yield "equation", found.options["label"]
            elif found.name not in CODE_DIRECTIVES:
                yield from walk(found.body, extensions)


# -- glue -----------------------------------------------------------------------------------------------
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
    """A glued value's text, formatted exactly as the site's `{glue:text}` formats it (myst-nb's own function)."""
    from myst_nb.core.variables import format_plain_text

    return format_plain_text(str(bundle.get("text/plain", "")).strip(), spec)


def anchor(label: str) -> str:
    return f'<a id="{label}"></a>'


def link_text(text: str) -> str:
    return text.replace("[", "\\[").replace("]", "\\]")


class ChapterExporter:
    """Convert one executed chapter notebook (from the build's cache) into a plain notebook."""

    def __init__(self, context: BookContext, docname: str, executed: nbformat.NotebookNode):
        self.ctx, self.docname = context, docname
        self.glue = glue_values(executed)
        self.executed = executed
        self.local: dict[str, tuple[str, str]] = {}  # label -> (figtype, number), counted in this chapter
        self.count_numbered()

    # -- numbering ------------------------------------------------------------------------------------
    def count_numbered(self) -> None:
        """Number this chapter's figures, tables, exercises and equations in order, as Sphinx does per chapter.

        The build passes the site's own numbers (`BookContext.numbers`), which take precedence; these are the
        fallback, and the numbers of items without a label (looked up by position).
        """
        chapter = self.ctx.chapters.get(self.docname, "")
        prefix = f"{chapter}." if chapter else ""
        counts: dict[str, int] = {}
        self.positional: dict[str, list[str]] = {}  # figtype -> numbers in order of appearance
        for cell in self.visible_cells():
            if cell.cell_type != "markdown":
                continue
            for kind, item in walk(cell.source, self.ctx.myst_extensions):
                if kind == "equation":
                    figtype, label = "displaymath", item
                else:
                    figtype, label = self.figtype(item), None
                    if figtype is None:
                        continue
                    label = item.options.get("label" if item.name == "exercise" else "name")
                counts[figtype] = counts.get(figtype, 0) + 1
                number = f"{prefix}{counts[figtype]}"
                if label:
                    number = self.ctx.numbers.get(label, (figtype, number))[1]
                    self.local[label] = (figtype, number)
                self.positional.setdefault(figtype, []).append(number)
        self.seen: dict[str, int] = {}

    @staticmethod
    def figtype(item: Directive) -> str | None:
        """The kind of number a directive gets on the site (None: not numbered)."""
        if item.name in ("figure", "glue:figure"):
            return "figure" if item.body.strip() else None  # Sphinx numbers captioned figures only
        if item.name == "table":
            return "table" if item.arg else None
        if item.name == "exercise":
            return None if "nonumber" in item.options else "exercise"
        return None

    def number(self, figtype: str, label: str | None) -> str:
        """The number of the next numbered item of this type (its label's number where it has one)."""
        index = self.seen.get(figtype, 0)
        self.seen[figtype] = index + 1
        if label and label in self.local:
            return self.local[label][1]
        if label and label in self.ctx.numbers:
            return self.ctx.numbers[label][1]
        numbers = self.positional.get(figtype, [])
        return numbers[index] if index < len(numbers) else str(index + 1)

    def numbered(self, label: str) -> tuple[str, str] | None:
        return self.ctx.numbers.get(label) or self.local.get(label)

    def caption(self, figtype: str, number: str) -> str:
        return self.ctx.numfig_format.get(figtype, "%s").replace("%s", number)

    # -- inline roles ---------------------------------------------------------------------------------
    def target(self, label: str) -> tuple[str, str, str]:
        """(docname, anchor, title) of a label; a label this chapter defines links to the notebook's own anchor."""
        if label in self.local:
            return self.docname, label, self.ctx.labels.get(label, ("", "", ""))[2]
        return self.ctx.labels.get(label, (self.docname, label, label))

    def href(self, label: str) -> str:
        docname, anchor_id, _ = self.target(label)
        return f"#{label}" if docname == self.docname else self.ctx.page_url(docname, anchor_id)

    def ref(self, label: str, text: str | None) -> str:
        if text is None:
            found = self.numbered(label)
            if found and found[0] == "exercise":  # sphinx-exercise shows {ref} to an exercise as "Exercise 3.4"
                text = self.caption(*found)
            else:
                text = self.target(label)[2] or label
        return f"[{link_text(text)}]({self.href(label)})"

    def numref(self, label: str, text: str | None) -> str:
        found = self.numbered(label)
        title = self.target(label)[2] or label
        if found is None:
            raise KeyError(f"{self.docname}: {{numref}} target {label!r} has no number (a figure without a caption, "
                           "or a label that does not exist)")
        figtype, number = found
        template = text if text else self.ctx.numfig_format.get(figtype, "%s")
        if "{number}" in template or "{name}" in template:
            shown = template.replace("{number}", number).replace("{name}", title)
        else:
            shown = template.replace("%s", number)
        return f"[{link_text(shown)}]({self.href(label)})"

    def eq(self, label: str, text: str | None) -> str:
        found = self.numbered(label)
        shown = text or (f"({found[1]})" if found else label)
        docname, _, _ = self.target(label)
        href = f"#{label}" if docname == self.docname else self.ctx.page_url(docname, f"equation-{label}")
        return f"[{link_text(shown)}]({href})"

    def doc(self, target: str, text: str | None) -> str:
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(posixpath.dirname(self.docname), target))
        path = re.sub(r"\.(md|ipynb)$", "", path)
        return f"[{link_text(text or self.ctx.titles.get(path, path))}]({self.ctx.page_url(path)})"

    def cite(self, name: str, keys: str) -> str:
        people = []
        for key in (k.strip() for k in keys.split(",") if k.strip()):
            found = self.ctx.citations.get(key, (key, ""))
            who, year = (found.rsplit(", ", 1) + [""])[:2] if isinstance(found, str) else found
            people.append((who, year))
        variant = name.partition(":")[2] or "p"
        if variant in ("t", "ts"):
            return ", ".join(f"{who} ({year})" if year else who for who, year in people)
        if variant == "year":
            return ", ".join(year for _, year in people)
        if variant == "author":
            return ", ".join(who for who, _ in people)
        inner = "; ".join(f"{who}, {year}" if year else who for who, year in people)
        return inner if variant in ("alp", "empty") else f"({inner})"

    def glued(self, key: str) -> dict:
        if key not in self.glue:
            raise KeyError(f"{self.docname}: glue key {key!r} not found in the executed notebook")
        return self.glue[key]

    def role(self, name: str, content: str) -> str:
        explicit = EXPLICIT.match(content)
        text, target = (explicit["text"], explicit["target"].strip()) if explicit else (None, content.strip())
        if name in ("ref", "any"):
            return self.ref(target, text)
        if name == "numref":
            return self.numref(target, text)
        if name == "eq":
            return self.eq(target, text)
        if name == "doc":
            return self.doc(target, text)
        if name == "term":
            return text or target
        if name.startswith("cite"):
            return self.cite(name, content)
        if name.startswith("glue"):
            key, _, spec = content.strip().partition(":")
            bundle = self.glued(key)
            kind = name.partition(":")[2] or "any"
            if kind == "md" and "text/markdown" in bundle:
                return str(bundle["text/markdown"]).strip()
            if kind == "math" and "text/latex" in bundle:
                return "$" + str(bundle["text/latex"]).strip().strip("$") + "$"
            if kind == "any" and "image/png" in bundle:
                return self.image(bundle, key, key)
            return format_glue(bundle, spec)
        if name == "math":
            return f"${content}$"
        if name == "abbr":
            return re.sub(r"\s*\(.*\)\s*$", "", content, flags=re.S)
        if name in ("sub", "subscript", "sup", "superscript"):
            tag = "sub" if name.startswith("sub") else "sup"
            return f"<{tag}>{content}</{tag}>"
        if name in ("code", "literal", "kbd", "file", "samp", "command", "program", "envvar"):
            return f"`{content}`"
        return text or target

    def inline_edits(self, token, lines: list[str], starts: list[int], cursors: dict[int, int],
                     cell: bool) -> list[tuple[int, int, str]]:
        """(start, end, text) replacements, in source offsets, for the roles of one inline token."""
        # Direct children only: a link's text is parsed from the same string, an image's alt text is not.
        roles = [t for t in token.children or [] if t.type == "myst_role"]
        if not roles:
            return []
        content_lines = token.content.split("\n")
        bases, offset = [], 0  # per content line: (its offset in token.content, its offset in the source)
        for k, text in enumerate(content_lines):
            i = token.map[0] + k
            line = lines[i]
            if cell:  # a table cell: several on one line, left to right
                col = line.find(text, cursors.get(i, 0))
                cursors[i] = col + len(text)
            else:  # a paragraph or heading line: the source line ends with it (after container markers)
                col = line.rfind(text)
            if col < 0:
                raise ValueError(f"{self.docname}: cannot locate {text!r} in line {i + 1} of a markdown cell")
            bases.append((offset, starts[i] + col))
            offset += len(text) + 1

        def source(pos: int) -> int:
            base = max(b for b in bases if b[0] <= pos)
            return base[1] + pos - base[0]

        edits = []
        for role in roles:
            start, end = role.meta["span"]
            edits.append((source(start), source(end), self.role(role.meta["name"], role.content)))
        return edits

    # -- blocks -----------------------------------------------------------------------------------------
    def image(self, bundle: dict, alt: str, key: str) -> str:
        """Markdown for a glued picture (an embedded PNG or JPEG) or table (its HTML, without its CSS)."""
        for mime in ("image/png", "image/jpeg"):
            if mime in bundle:
                data = re.sub(r"\s+", "", str(bundle[mime]))
                return f"![{link_text(alt)}](data:{mime};base64,{data})"
        if "text/html" in bundle:  # a DataFrame: notebook viewers render an HTML table inside Markdown
            table = re.sub(r"<style[^>]*>.*?</style>", "", str(bundle["text/html"]), flags=re.S | re.I)
            return re.sub(r"\n\s*\n", "\n", table).strip()
        if "text/markdown" in bundle:
            return str(bundle["text/markdown"]).strip()
        raise KeyError(f"{self.docname}: glued value {key!r} is neither a picture nor a table "
                       f"(it has only {sorted(bundle)}; glue a matplotlib figure with the inline backend, or a DataFrame)")

    def figure(self, label: str | None, picture, caption: str) -> str:
        """Anchor, picture (`picture(alt)` gives its Markdown) and numbered caption of a figure."""
        shown = self.caption("figure", self.number("figure", label)) if caption else ""
        parts = [anchor(label)] if label else []
        parts.append(picture(shown or label or "figure"))
        if caption:
            parts.append(f"**{shown}:** {caption}")
        return "\n\n".join(parts)

    def block(self, item: Directive) -> str:
        """Plain Markdown for one directive."""
        name, arg, options, body = item.name, item.arg, item.options, item.body
        if name in DROPPED:
            return ""
        if name in CODE_DIRECTIVES:
            fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", body)), default=0))
            return f"{fence}{arg}\n{body}\n{fence}"
        if name == "math":
            label = options.get("label")
            tag = f" \\tag{{{self.number('displaymath', label)}}}" if label else ""
            math = f"$$\n{body.strip()}{tag}\n$$"
            return f"{anchor(label)}\n\n{math}" if label else math
        if name.startswith("glue"):
            bundle = self.glued(arg)
            kind = name.partition(":")[2] or "any"
            if kind == "figure":
                label = options.get("name")
                caption = self.convert(body).strip()
                return self.figure(label, lambda alt: self.image(bundle, options.get("alt", alt), arg), caption)
            if kind == "math":
                label = options.get("label")
                tag = f" \\tag{{{self.number('displaymath', label)}}}" if label else ""
                math = f"$$\n{str(bundle.get('text/latex', '')).strip().strip('$')}{tag}\n$$"
                return f"{anchor(label)}\n\n{math}" if label else math
            if kind == "md" and "text/markdown" in bundle:
                return str(bundle["text/markdown"]).strip()
            if "image/png" in bundle or "image/jpeg" in bundle:
                return self.image(bundle, arg, arg)
            return format_glue(bundle, "")
        if name == "figure":
            label = options.get("name")
            caption = self.convert(body).strip()
            return self.figure(label, lambda alt: f"![{link_text(options.get('alt', alt))}]({arg})", caption)
        if name == "table":
            label = options.get("name")
            parts = [anchor(label)] if label else []
            if arg:
                parts.append(f"**{self.caption('table', self.number('table', label))}:** {self.convert(arg).strip()}")
            parts.append(self.convert(body).strip())
            return "\n\n".join(parts)
        if name == "exercise":
            label = options.get("label")
            title = "Exercise" if "nonumber" in options else self.caption("exercise", self.number("exercise", label))
            subtitle = f" ({self.convert(arg).strip()})" if arg else ""
            head = f"{anchor(label) if label else ''}**{title}**{subtitle}"
            return f"{head}\n\n{self.convert(body).strip()}"
        if name == "solution":
            label = options.get("label")
            summary = f"{anchor(label) if label else ''}Solution"
            return f"<details>\n<summary>{summary}</summary>\n\n{self.convert(body).strip()}\n\n</details>"
        if name == "raw":
            return body if arg.strip() == "html" else ""
        inner = self.convert(body).strip()
        title = self.convert(arg).strip() if arg else name.replace("seealso", "see also").capitalize()
        if name == "admonition" and not arg:
            title = "Note"
        if "dropdown" in options.get("class", "").split() or name in ("dropdown", "toggle"):
            return f"<details>\n<summary><b>{title}</b></summary>\n\n{inner}\n\n</details>"
        quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in inner.splitlines())
        return f"> **{title}**\n>\n{quoted}" if inner else f"> **{title}**"

    def equation(self, token) -> str:
        label = token.info
        number = self.number("displaymath", label)
        return f"{anchor(label)}\n\n$$\n{token.content.strip()} \\tag{{{number}}}\n$$"

    def convert(self, source: str) -> str:
        """Plain Markdown for a MyST markdown text: MyST syntax rewritten, everything else left as written."""
        lines = source.split("\n")
        starts, offset = [], 0
        for line in lines:
            starts.append(offset)
            offset += len(line) + 1
        edits: list[tuple[int, int, str]] = []
        cursors: dict[int, int] = {}
        in_cell = False

        def replace_lines(token, text: str | None) -> None:
            first, last = token.map
            start, end = starts[first], (starts[last] if last < len(lines) else len(source))
            if text is None:  # delete the lines
                edits.append((start, end, ""))
                return
            prefix = CONTAINER.match(lines[first])[0]
            rest = re.sub(r"[^>]", " ", prefix)
            out = [(prefix if k == 0 else rest) + line if line.strip() else (prefix if k == 0 else rest).rstrip()
                   for k, line in enumerate(text.split("\n"))]
            edits.append((start, end, "\n".join(out) + ("\n" if last < len(lines) else "")))

        for token in myst_parser(self.ctx.myst_extensions).parse(source, {}):
            if token.type in ("td_open", "th_open"):
                in_cell = True
            elif token.type in ("td_close", "th_close"):
                in_cell = False
            elif token.type == "inline" and token.map:
                edits += self.inline_edits(token, lines, starts, cursors, in_cell)
            elif token.type == "myst_target":
                replace_lines(token, anchor(token.content))
            elif token.type in ("myst_line_comment", "myst_block_break", "front_matter"):
                replace_lines(token, None)
            elif token.type == "math_block_label":
                replace_lines(token, self.equation(token))
            elif (item := directive(token)) is not None:
                replace_lines(token, self.block(item))
        out = source
        for start, end, text in sorted(edits, reverse=True):
            out = out[:start] + text + out[end:]
        return re.sub(r"\n{3,}", "\n\n", out)

    # -- the notebook -------------------------------------------------------------------------------------
    def visible_cells(self) -> list:
        return [c for c in self.executed.cells if "remove-cell" not in c.get("metadata", {}).get("tags", [])]

    def notebook(self, *, gpu: bool) -> nbformat.NotebookNode:
        self.seen = {}
        nb = nbformat.v4.new_notebook()
        nb.metadata = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "colab": {"provenance": [], "toc_visible": True},
        }
        if gpu:
            nb.metadata["accelerator"] = "GPU"
            nb.metadata["colab"]["gpuType"] = "T4"
        from .ref import install_cell, publish_ref  # the first cell: install and data from one ref (booktools.ref)

        nb.cells.append(nbformat.v4.new_code_cell(
            install_cell(self.ctx.version, self.ctx.repository, self.ctx.ref or publish_ref())))
        for cell in self.visible_cells():  # hidden checks (`remove-cell`) are left out
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


def citation_labels(bibfile: str) -> dict[str, tuple[str, str]]:
    """`{key: ("Lee", "2020")}` for every entry of a BibTeX file (author-year; "et al." past two authors)."""
    from pybtex.database import parse_file

    labels = {}
    for key, entry in parse_file(bibfile).entries.items():
        people = entry.persons.get("author", []) or entry.persons.get("editor", [])
        names = [" ".join(p.last_names).strip("{}") for p in people]
        who = names[0] + " et al." if len(names) > 2 else " and ".join(names) or key
        labels[key] = (who, entry.fields.get("year", "n.d."))
    return labels
