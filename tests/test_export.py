"""booktools.export: MyST chapter -> plain notebook, with nothing MyST-only left in it."""
import re

import nbformat
import pytest
import yaml

from booktools.export import (BOOK_MYST_EXTENSIONS, BookContext, ChapterExporter, format_glue, glue_values,
                              myst_parser)
from booktools.paths import ROOT

LEAK = re.compile(r"```\{|:::\{|\{(?:ref|numref|term|cite|cite:p|cite:t|glue|glue:text|glue:figure|eq|doc|math)\}`")
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def glued(name, **bundle):
    prefix = "application/papermill.record/"
    return nbformat.v4.new_output("display_data", data={prefix + k: v for k, v in bundle.items()},
                                  metadata={"scrapbook": {"name": name, "mime_prefix": prefix}})


def executed_notebook(*markdown):
    """A chapter as the build's cache holds it: markdown cells, a visible cell that glued values, a hidden check."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(m) for m in markdown] + [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["hide-input"]}),
        nbformat.v4.new_code_cell("assert x == 1", metadata={"tags": ["remove-cell"]}),
    ]
    nb.cells[len(markdown)].outputs = [
        glued("demo_rmse", **{"text/plain": "21.3456"}),
        glued("demo_fig", **{"text/plain": "<Figure size 640x480 with 1 Axes>", "image/png": PNG + "\n"}),
        glued("demo_table", **{"text/plain": "   a\n0  1",
                               "text/html": "<div><style scoped>\n.x {}\n</style>\n<table><tr><td>1</td></tr></table>\n</div>"}),
    ]
    return nb


def context(**extra):
    base = dict(version="9.9.9", repository="https://github.com/o/r", baseurl="https://o.github.io/r/",
                labels={"sec-demo-a": ("chapters/demo", "sec-demo-a", "A"),
                        "sec-other": ("chapters/other", "sec-other", "Other"),
                        "fig-other": ("chapters/other", "fig-other", "A long caption of another chapter's figure."),
                        "ex-other": ("chapters/other", "ex-other", "Exercise"),
                        "eq-other": ("chapters/other", "equation-eq-other", "")},
                numbers={"fig-other": ("figure", "2.5"), "ex-other": ("exercise", "2.3"),
                         "eq-other": ("displaymath", "2.1")},
                chapters={"chapters/demo": "3"},
                titles={"chapters/other": "The other chapter", "chapters/demo": "Demo"},
                citations={"lee2020ml": ("Lee", "2020"), "bishop2006": "Bishop, 2006"})
    base.update(extra)
    return BookContext(**base)


def export(*markdown, ctx=None, gpu=False):
    return ChapterExporter(ctx or context(), "chapters/demo", executed_notebook(*markdown)).notebook(gpu=gpu)


def text_of(nb):
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


DEMO = ("(ch-demo)=\n# Demo\n\n(sec-demo-a)=\n## A\n\nRMSE {glue:text}`demo_rmse:.2f`, see {ref}`sec-demo-a`, "
        "{ref}`the other chapter <sec-other>`, {eq}`eq-demo-loss`, {term}`gradient descent`, "
        "{term}`GD <gradient descent>` and {cite:p}`lee2020ml`.\n\n$$\nL = w^2\n$$ (eq-demo-loss)\n\n"
        "```{note}\nA note with {math}`x^2`.\n```\n\n"
        ":::{admonition} Solution\n:class: dropdown\nThe *answer*.\n:::\n")


@pytest.fixture
def exported():
    return export(DEMO, gpu=True)


# -- the existing behaviour ----------------------------------------------------------------------------
def test_markdown_is_plain(exported):
    text = exported.cells[1].source
    assert not LEAK.findall(text), LEAK.findall(text)
    assert ")=" not in text
    assert "RMSE 21.35" in text
    assert "[A](#sec-demo-a)" in text
    assert "[the other chapter](https://o.github.io/r/chapters/other.html#sec-other)" in text
    assert "gradient descent" in text and "GD" in text and "(Lee, 2020)" in text
    assert "\\tag{3.1}" in text and "[(3.1)](#eq-demo-loss)" in text
    assert "> **Note**" in text and "$x^2$" in text
    assert "<details>" in text and "<summary><b>Solution</b></summary>" in text


def test_labels_become_anchors_and_comments_go():
    text = text_of(export("(sec-demo-a)=\n## A\n\n% a comment for authors\nText.\n"))
    assert text.startswith('<a id="sec-demo-a"></a>\n## A')
    assert "comment for authors" not in text and "Text." in text


def test_hidden_checks_are_dropped_and_the_install_cell_comes_first(exported):
    sources = [c.source for c in exported.cells]
    assert not any("assert x == 1" in s for s in sources)
    assert any(s == "x = 1" for s in sources)
    first = exported.cells[0]
    assert first.cell_type == "code" and '"google.colab" in sys.modules' in first.source
    assert exported.metadata["accelerator"] == "GPU"
    assert all(not c.get("outputs") for c in exported.cells if c.cell_type == "code")
    nbformat.validate(exported)


def test_install_cell_does_nothing_outside_colab_and_installs_on_colab(exported, monkeypatch):
    import subprocess
    import sys
    import types

    calls = []
    monkeypatch.setattr(subprocess, "check_call", lambda args: calls.append(args))
    exec(exported.cells[0].source, {})
    assert calls == []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(exported.cells[0].source, {})
    assert calls and calls[0][-1].startswith("mlbook @ git+https://github.com/o/r@")


def test_missing_glue_key_is_an_error():
    with pytest.raises(KeyError, match="glue key 'nope'"):
        export("{glue:text}`nope`")


def test_glue_formatting():
    assert format_glue({"text/plain": "0.123456"}, ".1%") == "12.3%"
    assert format_glue({"text/plain": "'cpu'"}, "") == "cpu"
    assert format_glue({"text/plain": "1234567"}, ",") == "1,234,567"
    assert glue_values(executed_notebook())["demo_rmse"] == {"text/plain": "21.3456"}


# -- roles are parsed, not matched -----------------------------------------------------------------------
def test_roles_inside_inline_code_and_code_blocks_are_left_alone():
    source = ("Write `` {ref}`sec-demo-a` `` for a link, and {ref}`sec-demo-a` is one.\n\n"
              "```python\nprint(\"{glue:text}`demo_rmse:.2f` and {ref}`sec-demo-a`\")\n```\n\n"
              "```{code-block} markdown\nSee {numref}`fig-other`.\n```\n\n"
              "    indented {eq}`eq-other` code\n")
    text = text_of(export(source))
    assert "`` {ref}`sec-demo-a` ``" in text
    assert "and [A](#sec-demo-a) is one" in text
    assert 'print("{glue:text}`demo_rmse:.2f` and {ref}`sec-demo-a`")' in text
    assert "```markdown\nSee {numref}`fig-other`.\n```" in text
    assert "    indented {eq}`eq-other` code" in text


def test_roles_in_lists_quotes_tables_and_headings():
    source = ("## See {ref}`sec-demo-a`\n\n> quoted {glue:text}`demo_rmse:.1f`\n\n"
              "1. item {cite:t}`lee2020ml`, {cite:p}`lee2020ml,bishop2006`\n\n"
              "| a | {ref}`sec-demo-a` | `{ref}`x`` |\n|---|---|---|\n| {glue:text}`demo_rmse:.0f` | b | {eq}`eq-other` |\n")
    text = text_of(export(source))
    assert "## See [A](#sec-demo-a)" in text
    assert "> quoted 21.3" in text
    assert "1. item Lee (2020), (Lee, 2020; Bishop, 2006)" in text
    assert "| a | [A](#sec-demo-a) | `{ref}`x`` |" in text
    assert "| 21 | b | [(2.1)](https://o.github.io/r/chapters/other.html#equation-eq-other) |" in text


def test_numref_gives_the_number_not_the_caption():
    source = ("{numref}`fig-other`, {numref}`Fig. %s <fig-other>`, {numref}`Plot {number}: {name} <fig-other>`, "
              "{numref}`fig-demo-local` and {ref}`fig-other`.\n\n"
              "```{glue:figure} demo_fig\n:name: fig-demo-local\n\nA local caption.\n```\n")
    text = text_of(export(source))
    assert "%s" not in text and "{number}" not in text
    url = "https://o.github.io/r/chapters/other.html#fig-other"
    assert f"[Figure 2.5]({url}), [Fig. 2.5]({url})" in text
    assert f"[Plot 2.5: A long caption of another chapter's figure.]({url})" in text
    assert "[Figure 3.1](#fig-demo-local)" in text  # this chapter's first figure, in chapter 3
    assert f"and [A long caption of another chapter's figure.]({url})" in text  # {ref} shows the caption, as Sphinx does


def test_numref_to_an_unnumbered_label_is_an_error():
    with pytest.raises(KeyError, match="numref.*nowhere"):
        export("{numref}`nowhere`")


def test_doc_links_resolve_relative_to_the_chapter():
    text = text_of(export("{doc}`other`, {doc}`its title <../chapters/other>`, {doc}`/chapters/other.md`"))
    url = "https://o.github.io/r/chapters/other.html"
    assert f"[The other chapter]({url}), [its title]({url}), [The other chapter]({url})" in text


# -- glue:figure ------------------------------------------------------------------------------------------
def test_glue_figure_keeps_anchor_picture_and_numbered_caption():
    source = ("Intro.\n\n```{glue:figure} demo_fig\n:name: fig-demo-one\n\nThe *first* figure, {glue:text}`demo_rmse:.1f`.\n```\n\n"
              "```{glue:figure} demo_table\n:name: tab-demo\n\nA glued table.\n```\n\n"
              "See {numref}`fig-demo-one` and {numref}`tab-demo`.")
    text = text_of(export(source))
    assert '<a id="fig-demo-one"></a>' in text and '<a id="tab-demo"></a>' in text
    assert f"![Figure 3.1](data:image/png;base64,{PNG})" in text  # the PNG of the book's run, whitespace removed
    assert "**Figure 3.1:** The *first* figure, 21.3." in text
    assert "<table><tr><td>1</td></tr></table>" in text and "<style" not in text
    assert "**Figure 3.2:** A glued table." in text
    assert "See [Figure 3.1](#fig-demo-one) and [Figure 3.2](#tab-demo)." in text


def test_glue_figure_of_a_value_that_is_no_picture_is_an_error():
    with pytest.raises(KeyError, match="demo_rmse.*neither a picture nor a table"):
        export("```{glue:figure} demo_rmse\n:name: fig-bad\n\nCaption.\n```")


def test_every_internal_link_has_an_anchor(exported):
    source = DEMO + ("\n{numref}`fig-demo-one`, {ref}`ex-demo-clip`, {eq}`eq-demo-loss`.\n\n"
                     "```{glue:figure} demo_fig\n:name: fig-demo-one\n\nCaption.\n```\n\n" + EXERCISE)
    text = text_of(export(source))
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert links and links <= anchors, links - anchors


# -- exercises and solutions --------------------------------------------------------------------------------
# Exercise 3.1 of chapter 3 ("Backpropagation through tanh"), in the sphinx-exercise syntax chapters use.
EXERCISE = """\
(sec-demo-exercises)=
## Exercises

:::{exercise}
:label: ex-demo-tanh
Replace the sigmoid by $\\tanh$. Which line of `loss_and_grads` changes, and to what?
:::

::::{solution} ex-demo-tanh
:class: dropdown
Only the activation's local derivative changes: $\\tanh'(h) = 1 - \\tanh^2(h)$, so `dH = dA * (1 - A**2)`.
::::

:::{exercise} Clipping
:label: ex-demo-clip
Clip the gradient of {eq}`eq-other`.
:::

::::{solution} ex-demo-clip
:class: dropdown
Use `clip_grad=1.0`; see {ref}`ex-demo-tanh` and {ref}`ex-other`.
::::
"""


def test_exercises_are_numbered_with_anchors_and_solutions_fold():
    text = text_of(export(EXERCISE))
    assert '<a id="ex-demo-tanh"></a>**Exercise 3.1**\n\nReplace the sigmoid by $\\tanh$.' in text
    assert '<a id="ex-demo-clip"></a>**Exercise 3.2** (Clipping)' in text
    assert text.count("<details>\n<summary>Solution</summary>\n\n") == 2 and text.count("</details>") == 2
    assert "$\\tanh'(h) = 1 - \\tanh^2(h)$" in text
    assert "see [Exercise 3.1](#ex-demo-tanh) and [Exercise 2.3](https://o.github.io/r/chapters/other.html#ex-other)" in text
    assert not LEAK.findall(text), LEAK.findall(text)


def test_site_numbers_win_over_local_counting():
    ctx = context(numbers={"ex-demo-tanh": ("exercise", "7.4"), "ex-demo-clip": ("exercise", "7.5")})
    text = text_of(export(EXERCISE + "\n{ref}`ex-demo-clip`", ctx=ctx))
    assert "**Exercise 7.4**" in text and "**Exercise 7.5** (Clipping)" in text
    assert "[Exercise 7.5](#ex-demo-clip)" in text


def test_directive_in_a_list_item_keeps_its_indentation():
    source = ("1. **Counting.** How many?\n\n   ```{admonition} Solution\n   :class: dropdown\n"
              "   Exactly {glue:text}`demo_rmse:.0f`.\n   ```\n\n2. Next.\n")
    text = text_of(export(source))
    assert "1. **Counting.** How many?\n\n   <details>\n   <summary><b>Solution</b></summary>\n\n   Exactly 21.\n\n   </details>\n\n2. Next." in text
    tokens = myst_parser().parse(text, {})
    assert [t.type for t in tokens if t.type.startswith("ordered_list")] == ["ordered_list_open", "ordered_list_close"]


def test_the_exporter_parses_with_the_books_myst_extensions():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert set(BOOK_MYST_EXTENSIONS) == set(config["parse"]["myst_enable_extensions"])


# -- the build's side: numbers from Sphinx, the status page's sentence ---------------------------------------
def test_numbers_come_from_sphinx_numbering():
    from types import SimpleNamespace

    from booktools.sphinxext import numbers

    math = SimpleNamespace(equations={"eq-a": ("chapters/a", 1)})
    env = SimpleNamespace(
        domaindata={"std": {"labels": {"fig-a": ("chapters/a", "fig-a", "Caption"), "ex-a": ("chapters/a", "ex-a", "Exercise"),
                                       "sec-a": ("chapters/a", "sec-a", "Section"), "plain": ("chapters/a", "p", "P")}}},
        toc_fignumbers={"chapters/a": {"figure": {"fig-a": (3, 2)}, "exercise": {"ex-a": (3, 4)},
                                       "displaymath": {"equation-eq-a": (3, 1)}}},
        toc_secnumbers={"chapters/a": {"": (3,), "#sec-a": (3, 1)}},
        get_domain=lambda name: math)
    assert numbers(env) == {"fig-a": ("figure", "3.2"), "ex-a": ("exercise", "3.4"), "sec-a": ("section", "3.1"),
                            "eq-a": ("displaymath", "3.1")}


def test_run_sentence_names_profile_and_device():
    from booktools.sphinxext import RUN_LINE, run_sentence

    line = "mlbook 0.1.0 · profile: quick · device: cpu · torch 2.13.0"
    assert RUN_LINE.search(line).groupdict() == {"profile": "quick", "device": "cpu"}
    same = {"a": {"profile": "quick", "device": "cpu"}, "b": {"profile": "quick", "device": "cpu"}}
    assert run_sentence(same, ["a", "b"], {}) == "Every chapter in this table ran in the quick profile on the cpu device."
    mixed = {**same, "c": {"profile": "full", "device": "cuda"}}
    sentence = run_sentence(mixed, ["a", "b", "c", "d"], {"c": "CNNs", "d": "RNNs"})
    assert "quick profile on the cpu device (a, b)" in sentence and "full profile on the cuda device (CNNs)" in sentence
    assert "unknown profile on the unknown device (RNNs)" in sentence
