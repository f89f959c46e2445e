"""Run the generated notebooks the way Colab runs them: outside the checkout, in a clean environment.

The environment is a virtual environment holding only what a reader's Colab session gets from us and from
Colab: torch (the spec CI uses: `$TORCH_SPEC`/`$TORCH_INDEX`, else the version installed here), the
dependencies that the `mlbook` wheel declares, and a kernel with a Jupyter client (ipykernel, nbclient). It
is not a view of `.venv`, so a chapter that imports an undeclared package fails here as it would on Colab.
It is built once per set of inputs (pyproject.toml, the torch spec, the Python version) under
`_build/colab-venv/<key>/`, and reused. `mlbook` itself is not in it: each notebook's first cell installs it
(from the wheel just built, through `$MLBOOK_INSTALL`), because a fake `google.colab` module is imported when
the kernel starts. Data comes through `mlbook.data`'s fetch path from an HTTP server on 127.0.0.1 serving the
checkout's `data/` (`$MLBOOK_DATA_URL`) into an empty cache. Each notebook runs in an empty folder.

Two ways to run a notebook:
- `whole`: every cell, in the `quick` profile (`make colab` runs every chapter so);
- `prefix`: the cells up to and including the first one after which a data file sits in the (empty) user
  cache, i.e. the first data load, however the chapter reaches `mlbook.data`; then one cell with every import
  the chapter makes (cheap; the Colab-like site test runs every chapter so). A chapter that loads no data runs
  whole.

`python -m booktools.colab [--prefix] [NAME ...]` runs the generated notebooks in `_build/html/_notebooks`
(all of them by default) and prints the time of each; it exits non-zero if any failed.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import loopback
from .paths import BUILD, HTML, ROOT

VENVS = BUILD / "colab-venv"
NOTEBOOKS = HTML / "_notebooks"
COLAB_HAS = ["ipykernel", "nbclient", "nbformat"]  # beside our package: a kernel and a client, as on Colab
CELL_TIMEOUT_S = 900
NOTEBOOK_TIMEOUT_S = 3600  # a whole notebook, kernel start included
MARKER = "MLBOOK_AT"
STOPPED = "STOPPED_AFTER_DATA_LOAD"  # printed by EXECUTE, with the cell index

# Run inside the clean environment: execute a notebook with nbclient, cell by cell, and write it back executed.
# Its last `tail` cells (the imports, the marker) always run; in prefix mode the body stops at the first cell after
# which a data file is in the user cache, and says so on stdout.
EXECUTE = """
import os, pathlib, sys, nbformat
from nbclient import NotebookClient
source, target, workdir, timeout, mode, tail = sys.argv[1:7]
nb = nbformat.read(source, as_version=4)
cache = pathlib.Path(os.environ["MLBOOK_CACHE"])
client = NotebookClient(nb, timeout=int(timeout), kernel_name="python3", resources={"metadata": {"path": workdir}})
body, last = nb.cells[: len(nb.cells) - int(tail)], nb.cells[len(nb.cells) - int(tail):]
try:
    with client.setup_kernel():
        for index, cell in enumerate(body):
            if cell.cell_type != "code":
                continue
            client.execute_cell(cell, index)
            if mode == "prefix" and cache.is_dir() and any(
                    p.is_file() and not p.name.endswith(".part") for p in cache.iterdir()):
                print("STOPPED_AFTER_DATA_LOAD", index, flush=True)
                break
        for index, cell in enumerate(last, start=len(body)):
            client.execute_cell(cell, index)
finally:
    nbformat.write(nb, target)
"""


def log(*args) -> None:
    print(*args, flush=True)


# -- the environment -------------------------------------------------------------------------------------------
def torch_requirement(environ: dict | None = None) -> list[str]:
    """pip arguments for torch: `$TORCH_SPEC` (and `$TORCH_INDEX`) as the Makefile uses them, else the version
    of the torch installed here (without its local label, e.g. `torch==2.13.0`), so no other build is fetched."""
    environ = os.environ if environ is None else environ
    spec = environ.get("TORCH_SPEC", "").strip()
    if not spec:
        from importlib.metadata import version

        spec = "torch==" + version("torch").split("+")[0]
    return [spec, *environ.get("TORCH_INDEX", "").split()]


def environment_key(environ: dict | None = None) -> str:
    """Names the cached environment: what decides its contents."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(json.dumps([torch_requirement(environ), COLAB_HAS, sys.version]).encode())
    return digest.hexdigest()[:16]


def build_wheel(outdir: Path) -> Path:
    """The `mlbook` wheel of this checkout (what `pip install git+...` builds on Colab)."""
    outdir.mkdir(parents=True, exist_ok=True)
    for old in outdir.glob("mlbook-*.whl"):
        old.unlink()
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "-w", str(outdir), str(ROOT)], capture_output=True, text=True)
    if built.returncode != 0:
        raise RuntimeError(f"building the mlbook wheel failed:\n{built.stdout}\n{built.stderr}")
    (wheel,) = outdir.glob("mlbook-*.whl")
    return wheel


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def clean_env(wheel: Path, *, environ: dict | None = None) -> Path:
    """The cached clean virtual environment for the current inputs, built if absent. Holds the wheel's
    dependencies but not `mlbook` itself."""
    key = environment_key(environ)
    venv = VENVS / key
    ready = venv / ".ready"
    if not ready.exists():
        began = time.perf_counter()
        log(f"colab: building the clean environment {venv.relative_to(ROOT)} (once per pyproject.toml and torch spec)")
        for stale in VENVS.glob("*"):  # environments of older inputs
            if stale.is_dir() and re.fullmatch(r"[0-9a-f]{16}", stale.name) and stale != venv:
                shutil.rmtree(stale, ignore_errors=True)
        subprocess.run([sys._base_executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv_python(venv)), "-m", "pip", "install", "-qq"]
        subprocess.run([*pip, *torch_requirement(environ)], check=True)
        subprocess.run([*pip, str(wheel), *COLAB_HAS], check=True)  # the wheel pulls what it declares
        subprocess.run([str(venv_python(venv)), "-m", "pip", "uninstall", "--quiet", "--yes", "mlbook"], check=True)
        frozen = subprocess.run([str(venv_python(venv)), "-m", "pip", "freeze"], capture_output=True, text=True,
                                check=True).stdout
        ready.write_text(frozen)
        log(f"colab: environment ready in {time.perf_counter() - began:.0f} s")
    return venv


def fake_colab(base: Path) -> Path:
    """An IPython profile folder whose startup imports a stand-in `google.colab`, as Colab's kernel has it."""
    fake = base / "fake_colab"
    (fake / "google").mkdir(parents=True, exist_ok=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab.py").write_text('"""Stand-in for Colab\'s module in the tests."""\n')
    startup = base / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-colab.py").write_text(f"import sys\nsys.path.insert(0, {str(fake)!r})\nimport google.colab\n")
    return base / "ipython"


# -- what runs -----------------------------------------------------------------------------------------------
def _python(source: str) -> ast.Module | None:
    from .hiddencells import python_source

    try:
        return ast.parse(python_source(source))
    except SyntaxError:
        return None


def imports_of(sources: list[str]) -> list[str]:
    """Every import statement in these cells (nested ones and those inside `%time`-like magics too, except inside
    `try`, where a missing package may be expected), once each, in order."""
    from .hiddencells import magic_code

    found: list[str] = []

    def visit(body: list[ast.stmt]) -> None:
        tree = ast.Module(body=body, type_ignores=[])
        guarded = {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try) for b in t.body for n in ast.walk(b)}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in guarded \
                    and not getattr(node, "level", 0):
                line = ast.unparse(node)
                if line not in found:
                    found.append(line)
            elif (inner := magic_code(node)) is not None:
                visit(inner)

    for source in sources:
        tree = _python(source)
        if tree is not None:
            visit(tree.body)
    return found


def plan(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """The notebook to execute and how many cells at its end always run: one cell with every import the chapter
    makes (so that a prefix run still imports everything) and one printing where `mlbook` was imported from."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # a copy
    tail = []
    lines = imports_of([c.source for c in nb.cells if c.cell_type == "code"])
    if lines:
        tail.append(nbformat.v4.new_code_cell("# Every import the chapter makes\n" + "\n".join(lines)))
    tail.append(nbformat.v4.new_code_cell(f"import mlbook, sys; print({MARKER!r}, mlbook.__file__, sys.executable)"))
    nb.cells.extend(tail)
    return nb, len(tail)


@dataclass
class Result:
    name: str
    mode: str
    seconds: float
    ok: bool
    error: str = ""
    texts: list[str] = field(default_factory=list)  # the stream outputs, in order
    fetched: list[str] = field(default_factory=list)  # data files in the user cache afterwards
    workdir: Path | None = None
    stopped_after: int | None = None  # prefix mode: index of the cell whose data load ended the run


class ColabLike:
    """The clean environment, the fake Colab, the data server; `run(notebook, mode)` runs one notebook."""

    def __init__(self, base: Path | None = None):
        self.base = Path(base or tempfile.mkdtemp(prefix="mlbook-colab-"))
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> "ColabLike":
        self.wheel = build_wheel(self.base / "wheel")
        self.venv = clean_env(self.wheel)
        self.ipython = fake_colab(self.base)
        self.data_url = self._stack.enter_context(loopback.serve(ROOT / "data"))  # the notebooks' MLBOOK_DATA_URL
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def env(self, home: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("MLBOOK_", "PYTHON", "VIRTUAL_ENV", "JUPYTER", "IPYTHON"))}
        env.update(MLBOOK_PROFILE="quick", MLBOOK_INSTALL=str(self.wheel), MLBOOK_CACHE=str(home / "cache"),
                   MLBOOK_DATA_URL=self.data_url, IPYTHONDIR=str(self.ipython), HOME=str(home),
                   PATH=f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
                   OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"), MPLBACKEND="agg")
        return env

    def python(self, code: str, home: Path) -> subprocess.CompletedProcess:
        """Run Python code in the clean environment (as the notebooks' kernel would start)."""
        return subprocess.run([str(venv_python(self.venv)), "-c", code], cwd=home, env=self.env(home),
                              capture_output=True, text=True)

    def reset(self) -> None:
        """Remove mlbook from the environment (a notebook's first cell installs it)."""
        subprocess.run([str(venv_python(self.venv)), "-m", "pip", "uninstall", "--quiet", "--yes", "mlbook"],
                       capture_output=True)

    def run(self, notebook: Path, mode: str = "whole", timeout: int = CELL_TIMEOUT_S) -> Result:
        if mode not in ("whole", "prefix"):
            raise ValueError(f"mode must be 'whole' or 'prefix', got {mode!r}")
        name = Path(notebook).stem
        workdir = self.base / f"run-{name}-{mode}"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        self.reset()  # a real install in every notebook: the first cell must install mlbook, not find it
        nb, tail = plan(nbformat.read(notebook, as_version=4))
        nbformat.write(nb, workdir / f"{name}.ipynb")
        began = time.perf_counter()
        try:
            proc = subprocess.run([str(venv_python(self.venv)), "-c", EXECUTE, f"{name}.ipynb", "executed.ipynb",
                                   str(workdir), str(timeout), mode, str(tail)], cwd=workdir, env=self.env(workdir),
                                  capture_output=True, text=True, timeout=NOTEBOOK_TIMEOUT_S)
        except subprocess.TimeoutExpired as err:
            out = err.stdout.decode(errors="replace") if isinstance(err.stdout, bytes) else (err.stdout or "")
            proc = subprocess.CompletedProcess(err.cmd, 1, out,
                                               f"the notebook ran past {NOTEBOOK_TIMEOUT_S} s and was stopped")
        seconds = time.perf_counter() - began
        texts: list[str] = []
        if (workdir / "executed.ipynb").exists():
            done = nbformat.read(workdir / "executed.ipynb", as_version=4)
            texts = ["".join(o.get("text", "")) for c in done.cells for o in c.get("outputs", [])
                     if o.get("output_type") == "stream"]
        fetched = sorted(p.name for p in (workdir / "cache").glob("*") if p.is_file())
        stop = re.search(rf"^{STOPPED} (\d+)$", proc.stdout, re.M)
        return Result(name, mode, seconds, proc.returncode == 0, readable(proc.stderr), texts, fetched, workdir,
                      int(stop[1]) if stop else None)


def readable(stderr: str) -> str:
    """The failing cell and its traceback, without nbclient's own frames and terminal colours."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", stderr)
    start = text.find("CellExecutionError")
    return (text[start:] if start >= 0 else text)[-6000:]


def check(result: Result, venv: Path) -> list[str]:
    """What a Colab-like run must show besides finishing: mlbook installed by the first cell, imported from the
    clean environment (not the checkout), and data fetched whole through the loopback server."""
    problems = []
    if not result.ok:
        return [f"the notebook failed:\n{result.error}"]
    if not any("Running on Colab: installing" in t for t in result.texts):
        problems.append("the first cell did not install mlbook")
    where = next((t.split() for t in result.texts if MARKER in t), None)
    if not where or not where[1].startswith(str(venv)) or where[1].startswith(str(ROOT / "code")):
        problems.append(f"mlbook was imported from {where[1] if where else '?'}, not from the clean environment")
    if [n for n in result.fetched if n.endswith(".part")]:
        problems.append(f"a partial download was left in the cache: {result.fetched}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook names (default: every generated notebook)")
    parser.add_argument("--prefix", action="store_true", help="run only through the first data load and the imports")
    args = parser.parse_args(argv)
    found = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not found:
        log(f"colab: no generated notebooks in {NOTEBOOKS}: build the book first (make book)")
        return 2
    chosen = [p for p in found if not args.names or p.stem in args.names]
    missing = set(args.names) - {p.stem for p in found}
    if missing:
        log(f"colab: no generated notebook named {sorted(missing)}; there are {[p.stem for p in found]}")
        return 2
    mode = "prefix" if args.prefix else "whole"
    results: list[tuple[Result, list[str]]] = []
    with ColabLike(BUILD / "colab-runs") as colab:
        log(f"colab: {len(chosen)} notebooks, mode {mode}, torch {' '.join(torch_requirement())}, data {colab.data_url}")
        for path in chosen:
            result = colab.run(path, mode)
            problems = check(result, colab.venv)
            results.append((result, problems))
            log(f"colab: {result.name:28} {result.seconds:7.1f} s  {'passed' if not problems else 'FAILED'}")
            for problem in problems:
                log("   " + problem.replace("\n", "\n   "))
    log("\ncolab: per-chapter times (quick profile, clean environment, data from the loopback server)")
    for result, problems in results:
        log(f"  {result.name:28} {result.seconds:7.1f} s  {'passed' if not problems else 'FAILED'}")
    log(f"  {'total':28} {sum(r.seconds for r, _ in results):7.1f} s")
    return 1 if any(p for _, p in results) else 0


if __name__ == "__main__":
    sys.exit(main())
