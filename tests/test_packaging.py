"""The wheel holds `mlbook` alone; the build's tooling (`booktools`) comes from the checkout through the editable
install (`pip install -e .`), which puts code/ on the path."""
import subprocess
import sys
import zipfile

import pytest

from booktools.paths import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True)
    (path,) = out.glob("mlbook-*.whl")
    return path


def test_the_wheel_holds_mlbook_alone(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"mlbook", wheel.name.split("-py3")[0] + ".dist-info"}, tops
    assert "mlbook/data/manifest.json" in names  # package data travels with it
    assert not [n for n in names if "booktools" in n or "test" in n.split("/")[0]]


def test_the_wheel_declares_no_build_tools(wheel):
    with zipfile.ZipFile(wheel) as z:
        meta = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    required = [line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    runtime = [r for r in required if "extra ==" not in r]
    assert any(r.startswith("torch") for r in runtime) and any(r.startswith("numpy") for r in runtime)
    assert not [r for r in runtime if r.split()[0].split(">")[0].split("=")[0] in ("myst-nb", "jupytext", "jupyter-book")]


def test_editable_install_gives_the_build_booktools(tmp_path):
    """`-I` ignores the working directory and PYTHONPATH: booktools must come from the install's path entry."""
    code = "import booktools, mlbook; print(booktools.__file__); print(mlbook.__file__)"
    out = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    booktools_file, mlbook_file = out.stdout.split()
    assert booktools_file.startswith(str(ROOT / "code" / "booktools"))
    assert mlbook_file.startswith(str(ROOT / "code" / "mlbook"))


def test_mlbook_never_imports_booktools():
    offenders = [p.relative_to(ROOT) for p in (ROOT / "code" / "mlbook").rglob("*.py")
                 if "booktools" in p.read_text(encoding="utf-8")]
    assert not offenders, offenders
