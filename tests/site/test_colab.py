"""Run every generated notebook the way Colab would (booktools.colab): in a clean virtual environment holding only
torch, the wheel's declared dependencies and a kernel; mlbook installed by the notebook's first cell from the
wheel; data fetched through mlbook.data from a server on 127.0.0.1.

Every chapter runs through its first data load (the first cell after which a data file sits in the empty user
cache), plus every import the chapter makes; the Introduction runs whole.
(`make colab` runs every chapter whole; it is not part of `make test`, which executes each chapter once.)
The install cell and the data URL of every notebook name the same ref: the commit the notebooks were built from.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from booktools import colab
from booktools.paths import ROOT, chapter_files
from booktools.ref import publish_ref, raw_base, refs_named

CHAPTERS = chapter_files()


@pytest.fixture(scope="module")
def clean(tmp_path_factory, html):
    with colab.ColabLike(tmp_path_factory.mktemp("colab")) as env:
        yield env


def synthetic(html: Path, tmp_path: Path, *sources: str) -> Path:
    """A notebook with a generated notebook's real first cell, then `sources`."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    first = nbformat.read(next((html / "_notebooks").glob("*.ipynb")), as_version=4).cells[0].source
    nb.cells = [nbformat.v4.new_code_cell(s) for s in (first, *sources)]
    path = tmp_path / "synthetic.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_environment_holds_only_what_the_wheel_declares(clean, tmp_path):
    clean.reset()
    for module in ("mlbook", "booktools", "myst_nb", "jupytext", "pytest", "selenium"):
        result = clean.python(f"import {module}", tmp_path)
        assert result.returncode != 0 and "ModuleNotFoundError" in result.stderr, f"{module} is importable"
    result = clean.python("import torch, pandas, sklearn, nbclient, ipykernel; print(torch.__version__)", tmp_path)
    assert result.returncode == 0, result.stderr
    from packaging.requirements import Requirement

    wanted = Requirement(colab.torch_requirement()[0])  # the spec CI uses (or the version installed here)
    assert wanted.name == "torch" and wanted.specifier.contains(result.stdout.strip().split("+")[0]), result.stdout


def test_an_undeclared_import_fails(clean, html, tmp_path):
    """The point of the clean environment: a notebook using a package mlbook does not declare breaks here."""
    result = clean.run(synthetic(html, tmp_path, "import mlbook\nmlbook.glue('x', 1)", "import jupytext"), "whole")
    assert not result.ok and "No module named 'jupytext'" in result.error, result.error
    assert any("Running on Colab: installing" in t for t in result.texts)  # it got as far as the install


@pytest.mark.parametrize("doc", CHAPTERS)
def test_notebook_runs_like_on_colab(clean, html, doc):
    path = html / "_notebooks" / f"{Path(doc).name}.ipynb"
    mode = "whole" if doc.endswith("00-introduction") else "prefix"
    result = clean.run(path, mode)
    problems = colab.check(result, clean.venv)
    assert not problems, "\n".join(problems)
    if result.stopped_after is not None:  # a prefix run ends at the first cell that fetched data into the empty cache
        assert result.fetched and mode == "prefix", result
    else:  # it ran whole: the Introduction, or a chapter that loads no data file
        assert mode == "whole" or not result.fetched, result


@pytest.mark.parametrize("doc", CHAPTERS)
def test_install_cell_and_data_url_name_the_commit_built_from(html, doc):
    nb = nbformat.read(html / "_notebooks" / f"{Path(doc).name}.ipynb", as_version=4)
    named = refs_named(nb.cells[0].source)
    ref = named["ref"]
    assert ref == publish_ref(), (f"the notebook names {ref!r} but this checkout would publish {publish_ref()!r}: "
                                  "rebuild the book (make book) after committing")
    repository = __import__("yaml").safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert named["install"] == f"mlbook @ git+{repository}@{ref}", named
    assert named["data"] == f"{raw_base(repository)}/{ref}/data/", named
