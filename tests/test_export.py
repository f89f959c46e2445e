"""booktools.export: MyST chapter -> plain notebook, with nothing MyST-only left in it."""
import nbformat
import pytest

from booktools.export import BookContext, ChapterExporter, format_glue, glue_values


def executed_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "(ch-demo)=\n# Demo\n\n(sec-demo-a)=\n## A\n\nRMSE {glue:text}`demo_rmse:.2f`, see {ref}`sec-demo-a`, "
            "{ref}`the other chapter <sec-other>`, {eq}`eq-demo-loss`, {term}`gradient descent`, "
            "{term}`GD <gradient descent>` and {cite:p}`lee2020ml`.\n\n$$\nL = w^2\n$$ (eq-demo-loss)\n\n"
            "```{note}\nA note with {math}`x^2`.\n```\n\n"
            ":::{admonition} Solution\n:class: dropdown\nThe *answer*.\n:::\n"),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["hide-input"]}),
        nbformat.v4.new_code_cell("assert x == 1", metadata={"tags": ["remove-cell"]}),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output(
        "display_data", data={"application/papermill.record/text/plain": "21.3456"},
        metadata={"scrapbook": {"name": "demo_rmse", "mime_prefix": "application/papermill.record/"}})]
    return nb


@pytest.fixture
def exported():
    ctx = BookContext(version="9.9.9", repository="https://github.com/o/r", baseurl="https://o.github.io/r/",
                      labels={"sec-demo-a": ("chapters/demo", "sec-demo-a", "A"),
                              "sec-other": ("chapters/other", "sec-other", "Other")},
                      citations={"lee2020ml": "Lee, 2020"})
    return ChapterExporter(ctx, "chapters/demo", executed_notebook()).notebook(gpu=True)


def test_markdown_is_plain(exported):
    text = exported.cells[1].source
    for leak in ("{glue", "{ref}", "{term}", "{cite", "{eq}", "```{", ":::{", ")=", "{math}"):
        assert leak not in text, (leak, text)
    assert "RMSE 21.35" in text
    assert "[A](#sec-demo-a)" in text
    assert "[the other chapter](https://o.github.io/r/chapters/other.html#sec-other)" in text
    assert "gradient descent" in text and "GD" in text and "(Lee, 2020)" in text
    assert "\\tag{1}" in text and "(1)" in text
    assert "> **Note**" in text and "$x^2$" in text
    assert "<details>" in text and "<summary><b>Solution</b></summary>" in text


def test_hidden_checks_are_dropped_and_the_install_cell_comes_first(exported):
    sources = [c.source for c in exported.cells]
    assert not any("assert x == 1" in s for s in sources)
    first = exported.cells[0]
    assert first.cell_type == "code" and '"google.colab" in sys.modules' in first.source
    assert "git+https://github.com/o/r@v9.9.9" in first.source
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
    assert calls and calls[0][-1] == "mlbook @ git+https://github.com/o/r@v9.9.9"


def test_missing_glue_key_is_an_error():
    nb = executed_notebook()
    nb.cells[0].source = "{glue:text}`nope`"
    ctx = BookContext(version="1", repository="https://github.com/o/r", baseurl="https://o.github.io/r/")
    with pytest.raises(KeyError, match="glue key 'nope'"):
        ChapterExporter(ctx, "chapters/demo", nb).notebook(gpu=False)


def test_glue_formatting():
    assert format_glue({"text/plain": "0.123456"}, ".1%") == "12.3%"
    assert format_glue({"text/plain": "'cpu'"}, "") == "cpu"
    assert glue_values(executed_notebook()) == {"demo_rmse": {"text/plain": "21.3456"}}


def test_cache_key_change_empties_cache_and_saved_pages(tmp_path, monkeypatch):
    from booktools import cachekey

    cache, doctrees, stamp = tmp_path / "cache", tmp_path / "doctrees", tmp_path / "key"
    monkeypatch.setattr(cachekey, "CACHE", cache)
    monkeypatch.setattr(cachekey, "DOCTREES", doctrees)
    monkeypatch.setattr(cachekey, "STAMP", stamp)
    monkeypatch.setenv("MLBOOK_PROFILE", "quick")
    for d in (cache, doctrees):
        d.mkdir()
        (d / "old").write_text("stale")
    assert cachekey.refresh() is True  # no stamp yet: start clean
    assert not cache.exists() and not doctrees.exists()
    cache.mkdir()
    (cache / "new").write_text("fresh")
    assert cachekey.refresh() is False and (cache / "new").exists()
    monkeypatch.setenv("MLBOOK_PROFILE", "full")  # another profile: other outputs
    assert cachekey.refresh() is True and not cache.exists()
