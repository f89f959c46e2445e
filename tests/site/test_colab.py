"""Run generated notebooks the way Colab would: outside the checkout, mlbook installed from a wheel.

A fresh virtual environment sees the heavy dependencies of `.venv` through a filtered view (so torch is
not downloaded twice) but not `mlbook` itself. The notebook runs in an empty temporary folder with a fake
`google.colab` module imported at kernel start, so its first cell really installs mlbook (from the wheel,
through `$MLBOOK_INSTALL`). Data comes through `mlbook.data`'s fetch path from an HTTP server on
127.0.0.1 serving `data/`. The Introduction always runs; of the other chapters one runs per day in
rotation (`MLBOOK_COLAB_CHAPTERS=all` runs every chapter).
"""
from __future__ import annotations

import datetime
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

from booktools.paths import ROOT, chapter_files


EXECUTE = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
nb.cells.append(nbformat.v4.new_code_cell("import mlbook, sys; print('MLBOOK_AT', mlbook.__file__, sys.executable)"))
NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": sys.argv[3]}}).execute()
nbformat.write(nb, sys.argv[2])
"""


def selected() -> list[str]:
    docs = chapter_files()
    intro = [d for d in docs if d.endswith("00-introduction")]
    others = [d for d in docs if d not in intro]
    if os.environ.get("MLBOOK_COLAB_CHAPTERS") == "all" or not others:
        return intro + others
    return intro + [others[datetime.date.today().toordinal() % len(others)]]


@pytest.fixture(scope="module")
def standalone(tmp_path_factory, html, serve):
    base = tmp_path_factory.mktemp("colab")
    wheels = base / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(ROOT)], check=True)
    wheel = next(wheels.glob("mlbook-*.whl"))

    # The heavy dependencies, seen through a view that leaves out the checkout's editable mlbook.
    view = base / "deps"
    view.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(("mlbook", "booktools", "__editable__", "_mlbook")):
            (view / entry.name).symlink_to(entry)
    venv = base / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "mlbook_deps.pth").write_text(str(view) + "\n")

    # What Colab has and a plain Jupyter does not: google.colab imported when the kernel starts.
    fake = base / "fake_colab"
    (fake / "google").mkdir(parents=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab.py").write_text('"""Stand-in for Colab\'s module in the tests."""\n')
    startup = base / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text(f"import sys\nsys.path.insert(0, {str(fake)!r})\nimport google.colab\n")

    with serve(ROOT / "data") as data_url:
        yield prepare_env(base, venv, wheel, data_url)


def prepare_env(base: Path, venv: Path, wheel: Path, data_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLBOOK_", "PYTHON", "VIRTUAL_ENV", "JUPYTER"))}
    env.update(MLBOOK_PROFILE="quick", MLBOOK_INSTALL=str(wheel), MLBOOK_CACHE=str(base / "cache"),
               MLBOOK_DATA_URL=f"{data_url}/", IPYTHONDIR=str(base / "ipython"),
               HOME=str(base / "home"), PATH=f"{venv / 'bin'}:{env.get('PATH', '')}")
    return {"python": venv / "bin" / "python", "env": env, "base": base}


@pytest.mark.parametrize("doc", selected())
def test_notebook_runs_like_on_colab(standalone, html, doc):
    name = Path(doc).name + ".ipynb"
    workdir = standalone["base"] / f"run-{Path(doc).name}"
    workdir.mkdir()
    (workdir / name).write_bytes((html / "_notebooks" / name).read_bytes())
    result = subprocess.run([standalone["python"], "-c", EXECUTE, name, "executed.ipynb", str(workdir)],
                            cwd=workdir, env=standalone["env"], capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-4000:]
    nb = nbformat.read(workdir / "executed.ipynb", as_version=4)
    texts = ["".join(o.get("text", "")) for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    assert any("Running on Colab: installing" in t for t in texts), "the first cell did not install mlbook"
    where = next(t for t in texts if "MLBOOK_AT" in t).split()
    assert str(standalone["base"] / "venv") in where[1], f"mlbook was imported from {where[1]}, not the wheel"
    assert str(ROOT) not in where[1]
    if not doc.endswith("00-introduction"):  # the other chapters load real data, fetched from the local server
        fetched = sorted(p.name for p in (standalone["base"] / "cache").glob("*") if p.is_file())
        assert fetched and not [n for n in fetched if n.endswith(".part")], fetched
