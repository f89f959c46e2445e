"""Clear the execution cache when what the notebooks import has changed.

jupyter-cache keys an executed notebook on its code cells alone, so after an edit to `mlbook`, to
the data manifest or a switch of profile it would still serve the old outputs. We keep a stamp of
those inputs beside the cache and empty the cache whenever the stamp changes.

Run as `python -m booktools.cachekey` (the Makefile does, before every execution).
"""
from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

from .paths import BUILD, CACHE, ROOT

STAMP = CACHE.parent / ".jupyter_cache.key"
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


def refresh() -> bool:
    """Empty the cache if its stamp differs from the current key; return whether it was emptied."""
    key = current_key()
    if STAMP.exists() and STAMP.read_text().strip() == key:
        return False
    forget_pages()
    shutil.rmtree(CACHE, ignore_errors=True)
    STAMP.parent.mkdir(parents=True, exist_ok=True)
    STAMP.write_text(key + "\n")
    return True


def forget_pages() -> None:
    """Make the next build re-read every page. Sphinx re-reads only sources that changed, so without this
    a page would keep the outputs of an older execution after the cache was emptied or refilled."""
    shutil.rmtree(DOCTREES, ignore_errors=True)


if __name__ == "__main__":
    emptied = refresh()
    print("execution cache:", "emptied (mlbook, pyproject or profile changed)" if emptied else "up to date")
    sys.exit(0)
