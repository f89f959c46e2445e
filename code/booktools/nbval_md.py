"""Run the chapters' MyST notebooks with nbval, and keep what they computed.

Load with `pytest -p booktools.nbval_md --nbval-lax chapters/`. Each `chapters/*.md` notebook is
parsed with myst-nb's own reader (so its cells hash exactly as the site build will hash them),
executed cell by cell by nbval, and, when every cell passed, stored with its outputs in the
jupyter-cache at `_build/.jupyter_cache`. The build (`execute_notebooks: cache`) then finds it
there and does not execute the chapter a second time.

Around each hidden cell (`remove-cell`, left out of the Colab notebook) it also checks that the cell left the
global random state alone (Python's `random`, NumPy's and torch's global generators, CUDA's when in use): a hidden
check that draws from it would make every later visible number differ between the book and Colab. Such a cell
fails with a message saying which generator it moved.
"""
from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell, IPyNbFile, find_metadata_tags

HIDDEN_TAG = "remove-cell"
RNG_STATE = """
def _mlbook_rng_state():
    import hashlib, random, sys
    parts = {"random": repr(random.getstate())}
    np = sys.modules.get("numpy")
    if np is not None:
        kind, keys, pos, has_gauss, gauss = np.random.get_state()
        parts["numpy.random"] = keys.tobytes().hex() + repr((kind, pos, has_gauss, gauss))
    torch = sys.modules.get("torch")
    if torch is not None:
        parts["torch"] = torch.random.get_rng_state().numpy().tobytes().hex()
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            parts["torch.cuda"] = "".join(s.numpy().tobytes().hex() for s in torch.cuda.get_rng_state_all())
    return {k: hashlib.sha256(v.encode()).hexdigest() for k, v in parts.items()}
_mlbook_rng_before = _mlbook_rng_state()
"""
RNG_CHECK = """
_mlbook_rng_moved = [k for k, v in _mlbook_rng_state().items() if k in _mlbook_rng_before and v != _mlbook_rng_before[k]]
if _mlbook_rng_moved:
    raise AssertionError("MLBOOK_RNG_MOVED " + ", ".join(sorted(_mlbook_rng_moved)))
"""

from .cachekey import forget_pages
from .paths import CACHE, is_chapter_notebook

TIMINGS: list[tuple[str, float, bool]] = []  # (chapter, seconds, passed), for the terminal summary


def read_chapter(path: Path):
    """The notebook myst-nb builds from a MyST `.md` file (same cells, same metadata)."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(Path(path).read_text(encoding="utf-8"), path=path)


class MystNotebook(IPyNbFile):
    """nbval's notebook collector, reading MyST Markdown instead of `.ipynb`."""

    def collect(self):
        self.nb = read_chapter(self.path)
        self.failed = False
        self.began = None
        code_cells = [cell for cell in self.nb.cells if cell.cell_type == "code"]
        for number, cell in enumerate(code_cells):
            options = defaultdict(bool, find_metadata_tags(cell.metadata))
            options.setdefault("check", False)  # text notebooks store no outputs to compare
            kind = HiddenCell if HIDDEN_TAG in cell.metadata.get("tags", []) else IPyNbCell
            yield kind.from_parent(self, name=f"Cell {number}", cell_num=number, cell=cell, options=options)

    def setup(self):
        self.began = time.perf_counter()
        super().setup()

    def teardown(self):
        super().teardown()
        if self.began is not None:
            seconds = time.perf_counter() - self.began
            TIMINGS.append((self.path.name, seconds, not self.failed))
            if not self.failed:
                self.store_in_cache(seconds)

    def store_in_cache(self, seconds: float) -> None:
        from jupyter_cache import get_cache
        from jupyter_cache.base import CacheBundleIn

        cells = {item.cell_num: item for item in self.session.items if item.parent is self}
        code_cells = [cell for cell in self.nb.cells if cell.cell_type == "code"]
        if len(cells) != len(code_cells) or any(item.test_outputs is None for item in cells.values()):
            return  # only part of the notebook ran (-k, -x, a skip): nothing complete to store
        for number, cell in enumerate(code_cells):
            cell.execution_count = number + 1
            cell.outputs = cells[number].test_outputs
            for output in cell.outputs:
                if output.get("output_type") == "execute_result":
                    output["execution_count"] = number + 1
        forget_pages()  # the next build must read the new outputs, not its saved copy of the page
        cache = get_cache(str(CACHE))
        cache.cache_notebook_bundle(
            CacheBundleIn(self.nb, str(self.path), data={"execution_seconds": seconds}),
            check_validity=False,
            overwrite=True,
        )


class HiddenCell(IPyNbCell):
    """A hidden cell: run as any other, then fail if it moved a global random generator."""

    def silently(self, code: str) -> dict:
        """Run code in the kernel without output or history; return the execute_reply's content."""
        kernel = self.parent.kernel
        msg_id = kernel.kc.execute(code, silent=True, store_history=False, allow_stdin=False, stop_on_error=False)
        while True:
            msg = kernel.get_message(stream="shell", timeout=self.config.option.nbval_cell_timeout)
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg["content"]

    def runtest(self):
        self.silently(RNG_STATE)
        super().runtest()
        reply = self.silently(RNG_CHECK)
        if reply.get("status") == "error" and "MLBOOK_RNG_MOVED" in reply.get("evalue", ""):
            moved = reply["evalue"].split("MLBOOK_RNG_MOVED", 1)[1].strip()
            self.raise_cell_error(
                f"This hidden (remove-cell) cell moved the global random state ({moved}). The Colab notebook leaves "
                "it out, so every later random draw there would differ from the book's. Give the check its own "
                "generator (torch.Generator().manual_seed(...), np.random.default_rng(...)) or wrap it in "
                "`with torch.random.fork_rng():`.")


def pytest_collect_file(file_path: Path, parent):
    opt = parent.config.option
    if (opt.nbval or opt.nbval_lax) and is_chapter_notebook(file_path):
        return MystNotebook.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if isinstance(item.parent, MystNotebook) and report.failed:
        item.parent.failed = True


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("chapter execution times")
        for name, seconds, passed in TIMINGS:
            terminalreporter.write_line(f"{name:32} {seconds:7.1f} s  {'passed' if passed else 'FAILED'}")
        terminalreporter.write_line(f"{'total':32} {sum(t for _, t, _ in TIMINGS):7.1f} s")
