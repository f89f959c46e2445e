"""booktools.colab's pieces that need no environment: the torch spec, the environment's key, the plan of a run.
(The runs themselves are in tests/site/test_colab.py and `make colab`.)"""
import nbformat
import pytest

from booktools import colab


def test_torch_comes_from_the_spec_ci_uses_or_the_installed_version():
    assert colab.torch_requirement({"TORCH_SPEC": "torch==2.13.0"}) == ["torch==2.13.0"]
    assert colab.torch_requirement({"TORCH_SPEC": "torch==2.13.0", "TORCH_INDEX": "--index-url https://x/cpu"}) == [
        "torch==2.13.0", "--index-url", "https://x/cpu"]
    import torch

    assert colab.torch_requirement({}) == ["torch==" + torch.__version__.split("+")[0]]  # no local label


def test_the_environment_key_follows_its_inputs(monkeypatch, tmp_path):
    a = colab.environment_key({"TORCH_SPEC": "torch==2.13.0"})
    assert a == colab.environment_key({"TORCH_SPEC": "torch==2.13.0"}) and len(a) == 16
    assert a != colab.environment_key({"TORCH_SPEC": "torch==2.12.0"})
    fake_root = tmp_path
    (fake_root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.setattr(colab, "ROOT", fake_root)
    assert a != colab.environment_key({"TORCH_SPEC": "torch==2.13.0"})  # another pyproject.toml: another environment


def test_imports_of_every_cell_once_except_guarded_and_relative():
    sources = ["import numpy as np\nfrom torch import nn", "def f():\n    import sklearn.linear_model\n",
               "try:\n    import cupy\nexcept ImportError:\n    cupy = None", "from . import local",
               "import numpy as np", "%time import scipy", "x = ("]
    assert colab.imports_of(sources) == ["import numpy as np", "from torch import nn", "import sklearn.linear_model",
                                         "import scipy"]


def test_plan_appends_the_imports_and_the_marker():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("# install"), nbformat.v4.new_markdown_cell("text"),
                nbformat.v4.new_code_cell("import pandas as pd\ndf = pd.DataFrame()")]
    planned, tail = colab.plan(nb)
    assert tail == 2 and len(planned.cells) == 5 and len(nb.cells) == 3  # the original is untouched
    assert planned.cells[-2].source == "# Every import the chapter makes\nimport pandas as pd"
    assert colab.MARKER in planned.cells[-1].source
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    assert colab.plan(nb)[1] == 1  # nothing to import: the marker alone


def test_check_needs_the_install_the_clean_environment_and_whole_files(tmp_path):
    venv = tmp_path / "venv"
    good = colab.Result("ch", "prefix", 1.0, True, texts=["Running on Colab: installing x ...",
                        f"MLBOOK_AT {venv}/lib/python3.11/site-packages/mlbook/__init__.py {venv}/bin/python"],
                        fetched=["pm25.csv.gz"])
    assert colab.check(good, venv) == []
    no_install = colab.Result("ch", "prefix", 1.0, True, texts=good.texts[1:])
    assert "did not install" in colab.check(no_install, venv)[0]
    checkout = colab.Result("ch", "prefix", 1.0, True, texts=[good.texts[0], "MLBOOK_AT /work/code/mlbook/__init__.py x"])
    assert "not from the clean environment" in colab.check(checkout, venv)[0]
    partial = colab.Result("ch", "prefix", 1.0, True, texts=good.texts, fetched=[".pm25.csv.gz.x.part"])
    assert "partial download" in colab.check(partial, venv)[0]
    failed = colab.Result("ch", "whole", 1.0, False, error="CellExecutionError: boom")
    assert colab.check(failed, venv) == ["the notebook failed:\nCellExecutionError: boom"]


def test_readable_error_keeps_the_cell_and_drops_colours():
    stderr = "Traceback...\nnbclient.exceptions.CellExecutionError: An error\n\x1b[31mModuleNotFoundError\x1b[39m: x"
    assert colab.readable(stderr) == "CellExecutionError: An error\nModuleNotFoundError: x"


def test_unknown_mode_is_an_error(tmp_path):
    runner = colab.ColabLike(tmp_path)
    with pytest.raises(ValueError, match="mode must be"):
        runner.run(tmp_path / "x.ipynb", "half")
