"""booktools' pieces on their own: the nbval plugin's reader and collector, and the Sphinx extension's helpers.
(The exporter has its own tests in test_export.py; the cache key in test_cachekey.py.)"""
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from docutils import nodes

import mlbook
from booktools import nbval_md, sphinxext
from booktools.paths import CHAPTERS, ROOT, chapter_files, is_chapter_notebook, toc_files

FIXTURE = Path(__file__).parent / "fixtures" / "hidden_leak.md"


# -- booktools.paths and booktools.nbval_md ------------------------------------------------------------------
def test_chapter_notebooks_are_the_kernel_pages_of_chapters():
    docs = chapter_files()
    assert docs and docs[0] == "chapters/00-introduction" and docs == [d for d in toc_files() if d in docs]
    assert is_chapter_notebook(CHAPTERS / "01-regression.md")
    assert not is_chapter_notebook(CHAPTERS / "glossary.md")  # no kernelspec: a plain page
    assert not is_chapter_notebook(FIXTURE)  # a notebook, but not in chapters/
    assert not is_chapter_notebook(ROOT / "README.md")


def test_read_chapter_gives_myst_nb_cells_with_tags():
    nb = nbval_md.read_chapter(FIXTURE)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 4
    assert code[1].metadata.get("tags") == ["remove-cell"] and "tags" not in code[0].metadata
    assert code[0].source == "import numpy as np\nrmse = 1.5"
    assert nb.metadata["kernelspec"]["name"] == "python3"


def run_nbval(tmp_path: Path, text: str) -> tuple[subprocess.CompletedProcess, Path]:
    """Run the plugin on one chapter in tmp_path/chapters with the cache in tmp_path/cache, in a subprocess."""
    chapters, cache = tmp_path / "chapters", tmp_path / "cache"
    chapters.mkdir()
    (chapters / "stub.md").write_text(text)
    (tmp_path / "stub_paths.py").write_text(textwrap.dedent(f"""\
        from pathlib import Path
        import booktools.cachekey, booktools.nbval_md, booktools.paths
        booktools.paths.CHAPTERS = Path({str(chapters)!r})
        booktools.nbval_md.CACHE = Path({str(cache)!r})
        booktools.cachekey.DOCTREES = Path({str(tmp_path / 'doctrees')!r})
        """))
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "stub_paths", "-p", "booktools.nbval_md", "--nbval-lax",
                          "-q", "-rf", "-p", "no:cacheprovider", str(chapters / "stub.md")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    return run, cache


def test_a_failing_chapter_is_reported_and_not_stored(tmp_path):
    text = FIXTURE.read_text().replace("rmse = 1.5", "rmse = 1.5\nraise RuntimeError('boom')")
    run, cache = run_nbval(tmp_path, text)
    assert run.returncode == 1
    assert "chapter execution times" in run.stdout and "FAILED" in run.stdout
    assert "1 failed, 3 passed" in run.stdout  # nbval --nbval-lax runs on after the failing cell
    from jupyter_cache import get_cache

    assert not cache.exists() or get_cache(str(cache)).list_cache_records() == []


# -- booktools.sphinxext ---------------------------------------------------------------------------------
def test_run_line_reads_what_mlbook_start_prints(monkeypatch, capsys):
    monkeypatch.setenv("MLBOOK_PROFILE", "quick")
    monkeypatch.setenv("MLBOOK_DEVICE", "cpu")
    mlbook.start()
    printed = capsys.readouterr().out
    assert sphinxext.RUN_LINE.search(printed).groupdict() == {"profile": "quick", "device": "cpu"}
    assert sphinxext.RUN_LINE.search("mlbook 0.1.0 · profile: full · device: cuda:0 · torch 2.13")["device"] == "cuda:0"


def fake_env(docname="chapters/a"):
    return SimpleNamespace(docname=docname, config=SimpleNamespace(root_doc="index"),
                           toctree_includes={"index": ["chapters/a", "chapters/b"], "chapters/b": ["chapters/c", "index"]})


def test_run_info_is_collected_purged_and_merged():
    env = fake_env()
    app = SimpleNamespace(env=env)
    doctree = nodes.document(None, None)
    doctree += nodes.literal_block(text="mlbook 0.1.0 · profile: full · device: cuda · torch 2.13.0")
    sphinxext.collect_run_info(app, doctree)
    assert env.mlbook_runs == {"chapters/a": {"profile": "full", "device": "cuda"}}
    other = SimpleNamespace(mlbook_runs={"chapters/b": {"profile": "quick", "device": "cpu"}})
    sphinxext.merge(app, env, ["chapters/b"], other)  # a parallel build's worker
    assert set(env.mlbook_runs) == {"chapters/a", "chapters/b"}
    sphinxext.purge(app, env, "chapters/a")
    assert set(env.mlbook_runs) == {"chapters/b"}
    silent = fake_env("chapters/c")
    sphinxext.collect_run_info(SimpleNamespace(env=silent), nodes.document(None, None))
    assert not hasattr(silent, "mlbook_runs")


def test_toc_order_walks_the_tree_once():
    assert sphinxext._toc_order(fake_env()) == ["index", "chapters/a", "chapters/b", "chapters/c"]


def fake_app(url="https://github.com/o/r"):
    config = SimpleNamespace(html_theme_options={"repository_url": url}, copyright="2026", author="The authors",
                             html_title="A Book", html_baseurl="https://o.github.io/r/")
    return SimpleNamespace(config=config, env=fake_env())


@pytest.mark.parametrize("url", ["", "https://gitlab.com/o/r", "git@github.com:o/r"])
def test_repository_must_be_github(url):
    with pytest.raises(ValueError, match="must be a GitHub URL"):
        sphinxext.repository(fake_app(url))
    assert sphinxext.repository(fake_app("https://github.com/o/r/")) == "https://github.com/o/r"


def test_cite_block_names_version_page_and_year():
    block = sphinxext.cite_block(fake_app(), "chapters/01-regression", "Regression")
    assert "@incollection{mlbook2026regression," in block
    assert f"version {mlbook.__version__}" in block and "https://o.github.io/r/chapters/01-regression.html" in block
    assert 'id="cite-this-chapter"' in block


def test_reader_links_on_chapter_pages_only(monkeypatch):
    monkeypatch.setattr(sphinxext, "chapters", lambda env: ["chapters/01-regression"])
    context = {"body": "<p>text</p>", "title": "2. Regression (迴歸)"}
    sphinxext.reader_links(fake_app(), "chapters/01-regression", "page.html", context, doctree=object())
    body = context["body"]
    assert 'href="https://colab.research.google.com/github/o/r/blob/notebooks/01-regression.ipynb"' in body
    assert 'href="../_notebooks/01-regression.ipynb" download' in body
    assert body.index("<p>text</p>") < body.index("Cite this chapter</p>")
    assert "title     = {Regression (迴歸)}" in body  # the number is not part of the title
    other = {"body": "<p>index</p>"}
    sphinxext.reader_links(fake_app(), "index", "page.html", other, doctree=object())
    assert other == {"body": "<p>index</p>"}


RNG_CHAPTER = textwrap.dedent("""\
    ---
    kernelspec: {display_name: Python 3, language: python, name: python3}
    ---
    # Hidden cells and the global random state

    ```{code-cell} ipython3
    import random
    import numpy as np
    import torch
    torch.manual_seed(0)
    ```

    ```{code-cell} ipython3
    :tags: [remove-cell]
    assert torch.rand(1, generator=torch.Generator().manual_seed(1)).item() < 1  # its own generator: fine
    assert np.random.default_rng(1).random() < 1
    with torch.random.fork_rng():
        torch.rand(3)  # the global generator, restored afterwards: fine
    ```

    ```{code-cell} ipython3
    :tags: [remove-cell]
    noise = torch.randn(2)  # draws from torch's global generator
    ```

    ```{code-cell} ipython3
    :tags: [remove-cell]
    value = np.random.rand()  # NumPy's global generator
    ```

    ```{code-cell} ipython3
    x = torch.rand(2)  # a visible draw is nobody's business
    ```
    """)


def test_a_hidden_cell_must_not_move_the_global_random_state(tmp_path):
    run, cache = run_nbval(tmp_path, RNG_CHAPTER)
    assert run.returncode == 1, run.stdout[-3000:]
    failed = sorted(line.split("::")[-1].split()[0:2][1] for line in run.stdout.splitlines()
                    if line.startswith("FAILED"))
    assert failed == ["2", "3"], run.stdout[-3000:]  # cells 2 and 3; not the own-generator cell, not the visible one
    assert "moved the global random state (torch)" in run.stdout
    assert "moved the global random state (numpy.random)" in run.stdout


# -- the single-page build that booktools.pdf prints ------------------------------------------------------------
def test_single_page_links_keep_their_target_document():
    doctree = nodes.document(None, None)
    doctree += nodes.reference(refuri="#document-chapters/bibliography#id3")  # Sphinx's form before it drops the doc
    doctree += nodes.reference(refuri="#id5")  # a footnote in the page itself: left alone
    doctree += nodes.reference(refuri="https://example.org/#x")
    single, html = (SimpleNamespace(builder=SimpleNamespace(name=n)) for n in ("singlehtml", "html"))
    sphinxext.singlehtml_keeps_target_documents(html, doctree, "index")
    assert doctree[0]["refuri"] == "#document-chapters/bibliography#id3", "the site's pages are not touched"
    sphinxext.singlehtml_keeps_target_documents(single, doctree, "index")
    assert [r["refuri"] for r in doctree] == ["#chapters/bibliography::id3", "#id5", "https://example.org/#x"]


def test_single_page_builder_inherits_the_html_visitors():
    """sphinx-exercise registers `singlehtml` visitors by name, which stops Sphinx from falling back to `html`."""
    def visit(*args):
        pass

    handlers = {"html": {"HiddenCellNode": (visit, None), "exercise_node": ("html", None)},
                "singlehtml": {"exercise_node": ("own", None)}}
    app = SimpleNamespace(registry=SimpleNamespace(translation_handlers=handlers), builder=SimpleNamespace(name="singlehtml"))
    sphinxext.singlehtml_inherits_html_visitors(app)
    assert handlers["singlehtml"] == {"exercise_node": ("own", None), "HiddenCellNode": (visit, None)}
