"""The hidden-cell check (issue 25): no visible cell may depend on a cell that the Colab notebook leaves out."""
from pathlib import Path

import pytest

from booktools.hiddencells import Cell, check_cells, check_chapter, main
from booktools.paths import ROOT, chapter_files

FIXTURE = Path(__file__).parent / "fixtures" / "hidden_leak.md"


def problems(*cells: tuple[str, bool]) -> list[tuple[int, str]]:
    """(cell number, name) of each problem found in the given (source, hidden) cells."""
    return [(p.cell, p.name) for p in check_cells(Cell(i, src, hidden) for i, (src, hidden) in enumerate(cells))]


@pytest.mark.parametrize("doc", chapter_files())
def test_no_visible_cell_depends_on_a_hidden_one(doc):
    found = check_chapter(ROOT / f"{doc}.md")
    assert not found, f"{doc}.md:\n" + "\n".join(map(str, found))


def test_the_fixture_chapter_fails():
    found = check_chapter(FIXTURE)
    assert [(p.cell, p.name) for p in found] == [(2, "baseline_rmse"), (3, "myst_nb")], found
    assert "hidden (remove-cell) code cell 1" in str(found[0])
    assert main([str(FIXTURE)]) == 1


@pytest.mark.parametrize("hidden_code, name", [
    ("x = 1", "x"),
    ("x, (y, *x) = 1, (2, 3)", "x"),
    ("x: int = 1", "x"),
    ("x += 1", "x"),
    ("import os.path as x", "x"),
    ("import x.path", "x"),
    ("from os import path as x", "x"),
    ("def x(): pass", "x"),
    ("class x: pass", "x"),
    ("for x in range(3): pass", "x"),
    ("with open(__file__) as x: pass", "x"),
    ("try:\n    1 / 0\nexcept ZeroDivisionError as x:\n    x = x", "x"),
    ("if (x := 3): pass", "x"),
    ("total = [x := i for i in range(3)]", "x"),  # the walrus binds the enclosing scope
    ("def f():\n    global x\n    x = 1", "x"),
    ("match 1:\n    case x: pass", "x"),
])
def test_every_kind_of_binding_in_a_hidden_cell_is_seen(hidden_code, name):
    assert problems(("x = 0", False), (hidden_code, True), (f"print({name})", False)) == [(2, name)]


@pytest.mark.parametrize("reader", [
    "print(x)", "x.append(1)", "x[0] = 1", "x += 1", "y = [x for _ in range(2)]", "f = lambda: x",
    "def f(a=x): pass", "def f():\n    return x", "class C:\n    value = x", "for i in x: pass", "with x: pass",
    "y = {k: x for k in 'ab'}", "z = x if True else 0", "@x\ndef f(): pass", "%time print(x)",
])
def test_every_kind_of_read_is_seen(reader):
    assert problems(("x = 1", True), (reader, False)) == [(1, "x")]


@pytest.mark.parametrize("hidden_code, visible_code", [
    ("y = [x for x in range(3)]", "print(x)"),       # a comprehension variable does not leak
    ("y = {x: 1 for x in 'ab'}", "print(x)"),
    ("def f(x):\n    x = 2\n    return x", "print(x)"),  # locals of a function stay inside it
    ("f = lambda x: x", "print(x)"),
    ("class C:\n    x = 2", "print(x)"),                # a class attribute is not a global
    ("x = 2", "x = 3\nprint(x)"),                       # rebound in the visible cell before it reads it
    ("x = 2", "for x in range(2):\n    print(x)"),
    ("x = 2", "def f(x):\n    return x"),
    ("x = 2", "y = [x for x in range(3)]"),
    ("assert x == 0", "print(x)"),                      # a hidden cell that only reads is harmless
])
def test_what_is_not_a_dependency(hidden_code, visible_code):
    assert problems(("x = 0", False), (hidden_code, True), (visible_code, False)) == []


def test_hidden_cells_may_read_hidden_names_and_import_build_tools():
    assert problems(("from myst_nb import glue\nx = 1", True), ("print(x)", True)) == []


def test_visible_build_only_imports_are_flagged_anywhere_in_the_cell():
    assert problems(("def f():\n    import jupytext\n", False)) == [(0, "jupytext")]
    assert problems(("import myst_nb.core", False)) == [(0, "myst_nb")]
    assert problems(("import mlbook\nmlbook.glue('a', 1)", False)) == []


def test_unparsable_cell_is_reported():
    assert problems(("x = (", False)) == [(0, "")]


def test_code_inside_magics_is_read():
    assert problems(("x = 1", True), ("%%time\ny = x + 1", False)) == [(1, "x")]
    assert problems(("x = 1", True), ("%timeit -n 3 -r 1 x + 1", False)) == [(1, "x")]
    assert problems(("x = 1", True), ("%time y = 2\nprint(y)", False)) == []
