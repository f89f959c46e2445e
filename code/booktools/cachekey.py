"""Clear the execution cache when what the notebooks import has changed.

jupyter-cache keys an executed notebook on its code cells alone, so after an edit to `mlbook`, to
the data manifest or a switch of profile it would still serve the old outputs. We keep a stamp of
those inputs (and of the profile) inside the cache's folder and empty the cache whenever the stamp changes.

The stamp lives in the cached folder so that whatever saves and restores the cache (the GPU workflow's
`actions/cache`) saves and restores the stamp with it, and `make full` writes it before it executes, so that
`make full` followed by `make book` in the same profile executes each chapter exactly once.

Run as `python -m booktools.cachekey` (the Makefile does, before every execution and every build).
"""
from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

from .paths import BUILD, CACHE, ROOT

STAMP_NAME = "mlbook-inputs.key"  # inside CACHE; jupyter-cache ignores files it does not know
DOCTREES = BUILD / ".doctrees"  # Sphinx's saved pages: they hold the outputs read from the cache


def inputs() -> list[Path]:
    """Every file whose change can change a chapter's outputs, besides the chapter itself."""
    package = sorted((ROOT / "code" / "mlbook").rglob("*"))
    files = [p for p in package if p.is_file() and "__pycache__" not in p.parts]
    return files + [ROOT / "pyproject.toml"]


def current_key() -> str:
    from mlbook.profile import active

    digest = hashlib.sha256(f"profile={active()}\n".encode())
    for path in inputs():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def stamp() -> Path:
    """The file holding the key the cache's outputs were made under."""
    return CACHE / STAMP_NAME


def refresh() -> bool:
    """Empty the cache if its stamp differs from the current key; return whether it was emptied."""
    key = current_key()
    if stamp().exists() and stamp().read_text().strip() == key:
        return False
    forget_pages()
    shutil.rmtree(CACHE, ignore_errors=True)
    CACHE.mkdir(parents=True)
    stamp().write_text(key + "\n")
    return True


def forget_pages() -> None:
    """Make the next build re-read every page. Sphinx re-reads only sources that changed, so without this
    a page would keep the outputs of an older execution after the cache was emptied or refilled."""
    shutil.rmtree(DOCTREES, ignore_errors=True)


if __name__ == "__main__":
    from mlbook.profile import active

    emptied = refresh()
    state = "emptied (mlbook, pyproject or profile changed)" if emptied else "up to date: executed chapters are reused"
    print(f"execution cache ({active()} profile): {state}")
    sys.exit(0)
