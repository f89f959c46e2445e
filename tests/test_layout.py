"""The repository's layout and configuration agree with the design."""
import importlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

import mlbook
from booktools.paths import ROOT


def test_layout_exists():
    for path in ["_config.yml", "_toc.yml", "README.md", "chapters", "code/mlbook", "data", "tests",
                 ".github/workflows", "pyproject.toml", "Makefile", ".ci/run", "references.bib", "CITATION.cff"]:
        assert (ROOT / path).exists(), f"missing {path}"
    assert not (ROOT / "code" / "__init__.py").exists(), "code/ must not be a package"


def test_import_code_is_still_the_standard_library():
    # In a fresh interpreter started in the repository root, as a reader would.
    out = subprocess.run([sys.executable, "-c", "import code, mlbook; print(code.__file__); print(hasattr(code, 'interact'))"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert "site-packages" not in out[0] and Path(out[0]).parent != ROOT / "code", out
    assert out[1] == "True"
    assert importlib.import_module("code").interact


def test_no_committed_notebooks():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not [p for p in tracked if p.endswith(".ipynb")]


def test_every_toc_entry_is_a_file_and_chapters_are_in_course_order():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    for f in files:
        assert (ROOT / f"{f}.md").exists(), f
    numbered = [f for f in files if re.match(r"chapters/\d\d-", f)]
    assert numbered == sorted(numbered), numbered
    on_disk = sorted(f"chapters/{p.stem}" for p in (ROOT / "chapters").glob("[0-9][0-9]-*.md"))
    assert on_disk == numbered, "every chapter file must be in _toc.yml"


def test_repository_url_and_version_agree_everywhere():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]["url"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["urls"]["Repository"] == repo
    assert project["urls"]["Homepage"] == config["html"]["baseurl"]
    from mlbook.data import files

    owner_repo = repo.removeprefix("https://github.com/")
    assert files.REPOSITORY == repo
    assert files.DEFAULT_URL == f"https://raw.githubusercontent.com/{owner_repo}/{{ref}}/data/", files.DEFAULT_URL
    from booktools.ref import raw_base

    assert raw_base(repo) == f"https://raw.githubusercontent.com/{owner_repo}"  # the notebooks' data URL
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["repository-code"] == repo and cff["url"] == config["html"]["baseurl"]
    assert str(cff["version"]) == mlbook.__version__
    assert cff["title"] == config["title"]


def test_dependency_ranges():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    book = " ".join(deps["optional-dependencies"]["book"])
    assert "jupyter-book>=1.0.4,<2" in book
    torch_spec = next(d for d in deps["dependencies"] if d.startswith("torch"))
    from packaging.specifiers import SpecifierSet

    assert "2.13.0" in SpecifierSet(torch_spec.removeprefix("torch")), torch_spec
