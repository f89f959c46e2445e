"""Run the chapters' MyST notebooks with nbval, and keep what they computed.

Load with `pytest -p booktools.nbval_md --nbval-lax chapters/`. Each `chapters/*.md` notebook is
parsed with myst-nb's own reader (so its cells hash exactly as the site build will hash them),
executed cell by cell by nbval, and, when every cell passed, stored with its outputs in the
jupyter-cache at `_build/.jupyter_cache`. The build (`execute_notebooks: cache`) then finds it
there and does not execute the chapter a second time.
"""
from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell, IPyNbFile, find_metadata_tags

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
            yield IPyNbCell.from_parent(self, name=f"Cell {number}", cell_num=number, cell=cell, options=options)

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
