"""The execution cache's key: `make full` then `make book` executes each chapter once; a change empties it."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from booktools import cachekey, nbval_md
from booktools.paths import ROOT

STUB = textwrap.dedent("""\
    ---
    jupytext:
      text_representation: {extension: .md, format_name: myst}
    kernelspec: {display_name: Python 3, language: python, name: python3}
    ---
    # A stub chapter

    ```{code-cell} ipython3
    import os
    print("ran in", os.environ["MLBOOK_PROFILE"])
    ```
    """)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """cachekey working on a cache and saved pages under tmp_path."""
    cache, doctrees = tmp_path / "cache", tmp_path / "doctrees"
    monkeypatch.setattr(cachekey, "CACHE", cache)
    monkeypatch.setattr(cachekey, "DOCTREES", doctrees)
    return cache


def test_the_stamp_lives_inside_the_cached_folder(cache, monkeypatch):
    monkeypatch.setenv("MLBOOK_PROFILE", "full")
    assert cachekey.refresh() is True
    assert cachekey.stamp().parent == cache and cachekey.stamp().read_text().strip() == cachekey.current_key()
    assert cachekey.STAMP_NAME in {p.name for p in cache.iterdir()}


@pytest.mark.parametrize("profile, other", [("full", "quick"), ("quick", "full")])
def test_same_inputs_keep_the_cache_and_a_change_empties_it(cache, monkeypatch, tmp_path, profile, other):
    doctrees = tmp_path / "doctrees"
    monkeypatch.setenv("MLBOOK_PROFILE", profile)
    cache.mkdir()
    doctrees.mkdir()
    (cache / "old").write_text("made under an unknown key")
    assert cachekey.refresh() is True  # no stamp: nothing in the cache can be trusted
    assert not (cache / "old").exists() and not doctrees.exists()
    (cache / "executed").write_text("a chapter run in this profile")
    assert cachekey.refresh() is False and (cache / "executed").exists()  # the build reuses it
    assert cachekey.refresh() is False and (cache / "executed").exists()
    monkeypatch.setenv("MLBOOK_PROFILE", other)  # another profile computes other outputs
    assert cachekey.refresh() is True and not (cache / "executed").exists()
    monkeypatch.setenv("MLBOOK_PROFILE", profile)
    (cache / "executed").write_text("again")
    assert cachekey.refresh() is True  # the stamp now names the other profile
    changed = tmp_path / "module.py"
    changed.write_text("A = 1\n")
    monkeypatch.setattr(cachekey, "inputs", lambda: [changed])
    monkeypatch.setattr(cachekey, "ROOT", tmp_path)
    assert cachekey.refresh() is True and cachekey.refresh() is False
    changed.write_text("A = 2\n")  # an edit to the package
    assert cachekey.refresh() is True


def test_the_key_covers_the_package_and_pyproject():
    names = {p.relative_to(ROOT).as_posix() for p in cachekey.inputs()}
    assert "pyproject.toml" in names and "code/mlbook/train.py" in names and "code/mlbook/data/manifest.json" in names
    assert not any("__pycache__" in n for n in names)


def make_dry_run(*targets: str) -> list[str]:
    result = subprocess.run(["make", "-n", "-W", "pyproject.toml", *targets], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    return result.stdout.splitlines()


@pytest.mark.parametrize("target, profile", [("full", "full"), ("notebooks", "quick")])
def test_execution_targets_stamp_the_cache_before_they_fill_it(target, profile):
    lines = make_dry_run(target)
    key = next(i for i, line in enumerate(lines) if "booktools.cachekey" in line)
    run = next(i for i, line in enumerate(lines) if "booktools.nbval_md" in line)
    assert key < run and f"MLBOOK_PROFILE={profile}" in lines[key] and f"MLBOOK_PROFILE={profile}" in lines[run]


def test_make_full_then_make_book_executes_a_stub_chapter_once(cache, tmp_path, monkeypatch):
    """What the GPU workflow runs, on a one-cell chapter: nbval executes it and stores it; the build's key
    check then keeps the cache, and myst-nb finds the chapter in it (so the build executes nothing)."""
    from jupyter_cache import get_cache

    chapters = tmp_path / "chapters"
    chapters.mkdir()
    (chapters / "stub.md").write_text(STUB)
    (tmp_path / "stub_paths.py").write_text(textwrap.dedent(f"""\
        from pathlib import Path
        import booktools.cachekey, booktools.nbval_md, booktools.paths
        booktools.paths.CHAPTERS = Path({str(chapters)!r})
        booktools.nbval_md.CACHE = booktools.cachekey.CACHE = Path({str(cache)!r})
        booktools.cachekey.DOCTREES = Path({str(tmp_path / 'doctrees')!r})
        """))
    monkeypatch.setenv("MLBOOK_PROFILE", "full")
    assert cachekey.refresh() is True  # `make full`: the key first ...
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path), "MLBOOK_PROFILE": "full"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "stub_paths", "-p", "booktools.nbval_md",
                          "--nbval-lax", "-q", "-p", "no:cacheprovider", str(chapters / "stub.md")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "stub.md" in run.stdout and "passed" in run.stdout  # ... then one execution, timed in the summary
    assert cachekey.refresh() is False  # `make book`: same profile and inputs, the cache stays
    nb = nbval_md.read_chapter(chapters / "stub.md")
    store = get_cache(str(cache))
    pk, merged = store.merge_match_into_notebook(nb)  # what myst-nb's `cache` mode does; no match raises
    assert store.get_cache_record(pk).uri.endswith("stub.md")
    assert "ran in full" in "".join(o.get("text", "") for o in merged.cells[-1].outputs)
    monkeypatch.setenv("MLBOOK_PROFILE", "quick")
    assert cachekey.refresh() is True  # a quick build must not show the full run's outputs
    with pytest.raises(KeyError):
        get_cache(str(cache)).match_cache_notebook(nb)
