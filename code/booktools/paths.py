"""Where the book's sources and build outputs live, relative to the repository root."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # code/booktools/paths.py -> repository root
CHAPTERS = ROOT / "chapters"
BUILD = ROOT / "_build"
CACHE = BUILD / ".jupyter_cache"  # must agree with `execute.cache` in _config.yml
HTML = BUILD / "html"


def is_chapter_notebook(path: Path) -> bool:
    """True for a MyST notebook in chapters/ (a `.md` whose front matter names a kernel)."""
    path = Path(path)
    if path.suffix != ".md" or path.parent.resolve() != CHAPTERS.resolve():
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head.split("\n---", 1)[0]


def toc_files() -> list[str]:
    """Every page of `_toc.yml`, root first, as paths without the `.md` suffix."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part["chapters"]]


def chapter_files() -> list[str]:
    """The executable chapters (notebooks) in book order."""
    return [f for f in toc_files() if is_chapter_notebook(ROOT / f"{f}.md")]
