"""The ref a generated notebook installs mlbook from and fetches its data from (booktools.ref), and how that ref
reaches mlbook.data outside a checkout."""
import json
import subprocess
import sys
import types

import pytest

from booktools import ref
from booktools.paths import ROOT
from mlbook.data import files

SHA = "0123456789abcdef0123456789abcdef01234567"
REPO = "https://github.com/o/r"


def test_publish_ref_is_the_workflow_commit_or_head(monkeypatch):
    assert ref.publish_ref({"MLBOOK_REF": SHA}) == SHA
    assert ref.publish_ref({"MLBOOK_REF": " v1.2.0 "}) == "v1.2.0"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode == 0:
        assert ref.publish_ref({}) == head.stdout.strip()


@pytest.mark.parametrize("bad", ["a b", "-x", "a..b", "main;rm", '"quoted"', "ref\nx"])
def test_publish_ref_rejects_what_is_not_a_ref(bad):
    with pytest.raises(ValueError, match="commit SHA or a tag"):
        ref.publish_ref({"MLBOOK_REF": bad})


def test_publish_ref_without_git_or_variable_is_an_error(monkeypatch):
    def no_git(*args, **kwargs):
        raise OSError("git: not found")

    monkeypatch.setattr(ref.subprocess, "run", no_git)
    with pytest.raises(RuntimeError, match="set \\$MLBOOK_REF"):
        ref.publish_ref({})


def test_install_cell_and_data_url_name_the_same_ref():
    cell = ref.install_cell("9.9.9", REPO, SHA)
    named = ref.refs_named(cell)
    assert named == {"ref": SHA, "install": f"mlbook @ git+{REPO}@{SHA}",
                     "data": f"https://raw.githubusercontent.com/o/r/{SHA}/data/"}
    assert cell.count(SHA) == 1  # one name, used twice: the two cannot disagree
    with pytest.raises(ValueError):
        ref.install_cell("9.9.9", REPO, "v1 ; rm")
    with pytest.raises(ValueError, match="OWNER/REPO"):
        ref.install_cell("9.9.9", "https://gitlab.com/o/r", SHA)


def test_install_cell_outside_colab_does_nothing(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "check_call", lambda args: calls.append(args))
    monkeypatch.delenv("MLBOOK_DATA_URL", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(ref.install_cell("9.9.9", REPO, SHA), {})
    assert calls == [] and "MLBOOK_DATA_URL" not in __import__("os").environ


def test_on_colab_the_ref_reaches_mlbook_data(monkeypatch, capsys):
    """The first cell installs mlbook at the ref and sets $MLBOOK_DATA_URL, which mlbook.data reads first."""
    calls = []
    monkeypatch.setattr(subprocess, "check_call", lambda args: calls.append(args))
    monkeypatch.delenv("MLBOOK_DATA_URL", raising=False)
    monkeypatch.delenv("MLBOOK_INSTALL", raising=False)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(ref.install_cell("9.9.9", "https://github.com/executable-ml/ml2020-book", SHA), {})
    assert calls[0][-1] == f"mlbook @ git+https://github.com/executable-ml/ml2020-book@{SHA}"
    assert files.base_url() == f"https://raw.githubusercontent.com/executable-ml/ml2020-book/{SHA}/data/"
    assert "Running on Colab: installing" in capsys.readouterr().out


def test_a_test_server_url_wins_over_the_cells(monkeypatch):
    monkeypatch.setattr(subprocess, "check_call", lambda args: None)
    monkeypatch.setenv("MLBOOK_DATA_URL", "http://127.0.0.1:1/data/")
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(ref.install_cell("9.9.9", REPO, SHA), {})
    assert files.base_url() == "http://127.0.0.1:1/data/"


def fake_install(tmp_path, monkeypatch, direct_url):
    """An installed `mlbook` distribution first on sys.path, with pip's record of where it came from."""
    info = tmp_path / "site" / "mlbook-9.9.9.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mlbook\nVersion: 9.9.9\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(direct_url if isinstance(direct_url, str) else json.dumps(direct_url))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))


@pytest.mark.parametrize("direct_url, expected", [
    ({"url": "https://github.com/o/r", "vcs_info": {"vcs": "git", "commit_id": SHA, "requested_revision": "v1"}}, SHA),
    ({"url": "file:///tmp/mlbook-9.9.9-py3-none-any.whl", "archive_info": {}}, None),  # a wheel: no commit
    ({"url": "file:///src", "dir_info": {"editable": True}}, None),
    ({"url": "https://x", "vcs_info": {"vcs": "hg", "commit_id": "abc"}}, None),
    ("not json", None),
    (None, None),
])
def test_installed_ref_reads_pips_record(tmp_path, monkeypatch, direct_url, expected):
    fake_install(tmp_path, monkeypatch, direct_url)
    assert files.installed_ref() == expected
    monkeypatch.delenv("MLBOOK_DATA_URL", raising=False)
    assert files.base_url().endswith(f"/{expected or files.FALLBACK_REF}/data/")
