"""Which commit the published notebooks install `mlbook` from and fetch their data from.

A generated notebook is published on the `notebooks` branch, rebuilt from `main` on every push, so it must
name something that exists whenever it is opened: the commit that built it. The publishing workflow passes
that commit as `$MLBOOK_REF` (`${{ github.sha }}`); a local build uses the checkout's `HEAD`. The notebook's
first cell names this one ref twice, for `pip install git+<repository>@<ref>` and for the data URL
`raw.githubusercontent.com/<owner>/<repo>/<ref>/data/`, which it hands to `mlbook.data` through
`$MLBOOK_DATA_URL` in the kernel's environment (the variable that `mlbook.data.files.base_url` reads first).
"""
from __future__ import annotations

import os
import re
import subprocess

from .paths import ROOT

# A commit SHA, or a branch or tag name git would accept (no spaces, quotes or shell/URL-special characters).
REF_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z._/-]*")
SHA_PATTERN = re.compile(r"[0-9a-f]{40}")

INSTALL_CELL = '''\
# On Google Colab this cell installs the book's package, mlbook {version}, from the commit that built this
# notebook, and fetches the data files from that same commit; anywhere else it does nothing.
import os, subprocess, sys

MLBOOK_REF = "{ref}"
if "google.colab" in sys.modules:
    os.environ.setdefault("MLBOOK_DATA_URL", "{raw}/" + MLBOOK_REF + "/data/")
    spec = os.environ.get("MLBOOK_INSTALL", "mlbook @ git+{repository}@" + MLBOOK_REF)
    print(f"Running on Colab: installing {{spec}} ...")
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", spec])
'''
INSTALL_REF = re.compile(r'^MLBOOK_REF = "(?P<ref>[^"]+)"$', re.M)


def publish_ref(environ: dict | None = None) -> str:
    """`$MLBOOK_REF` when set (the workflow's commit), else the checkout's `HEAD` commit.

    Raises when neither is available or the value could not be a git ref, so a notebook never names a ref
    that was made up."""
    environ = os.environ if environ is None else environ
    ref = environ.get("MLBOOK_REF", "").strip()
    if not ref:
        try:
            ref = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError) as err:
            raise RuntimeError("cannot tell which commit the notebooks come from: set $MLBOOK_REF to a commit SHA "
                               "or tag that is pushed to the repository (the workflow sets it to github.sha)") from err
    if not REF_PATTERN.fullmatch(ref) or ".." in ref:
        raise ValueError(f"$MLBOOK_REF must be a commit SHA or a tag/branch name, got {ref!r}")
    return ref


def raw_base(repository: str) -> str:
    """`https://github.com/OWNER/REPO` -> `https://raw.githubusercontent.com/OWNER/REPO`."""
    prefix = "https://github.com/"
    if not repository.startswith(prefix) or repository.rstrip("/").count("/") != 4:
        raise ValueError(f"repository must be https://github.com/OWNER/REPO, got {repository!r}")
    return "https://raw.githubusercontent.com/" + repository.rstrip("/")[len(prefix):]


def install_cell(version: str, repository: str, ref: str) -> str:
    """The source of a generated notebook's first cell (see the module docstring)."""
    if not REF_PATTERN.fullmatch(ref) or ".." in ref:
        raise ValueError(f"not a git ref: {ref!r}")
    return INSTALL_CELL.format(version=version, repository=repository.rstrip("/"), raw=raw_base(repository), ref=ref)


def refs_named(source: str) -> dict[str, str]:
    """What an install cell pins, for the tests: `{"ref": ..., "install": ..., "data": ...}`, the last two as
    the cell computes them on Colab."""
    import sys
    import types

    captured: dict[str, str] = {}
    environ: dict[str, str] = {}
    fake_os = types.SimpleNamespace(environ=environ)
    fake_subprocess = types.SimpleNamespace(check_call=lambda args: captured.__setitem__("install", args[-1]))
    fake_sys = types.SimpleNamespace(modules={"google.colab": object()}, executable=sys.executable)

    def fake_import(name, *args, **kwargs):
        return {"os": fake_os, "subprocess": fake_subprocess, "sys": fake_sys}[name]

    import builtins

    scope = {"__builtins__": {**vars(builtins), "__import__": fake_import, "print": lambda *a, **k: None}}
    exec(source, scope)
    match = INSTALL_REF.search(source)
    return {"ref": match["ref"] if match else "", "install": captured.get("install", ""),
            "data": environ.get("MLBOOK_DATA_URL", "")}
