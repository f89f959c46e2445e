"""A static check of what the Colab notebook loses: the hidden cells.

Cells tagged `remove-cell` (the hidden checks) are left out of the generated notebooks, so a visible cell
that reads a name whose last binding before it was in a hidden cell runs in the book and fails on Colab
with a `NameError` (or, worse, silently uses an older value). This module walks every code cell of a
chapter with `ast`, in order, and records for each global name which cell bound it last: assignments,
augmented and annotated assignments, imports, `def` and `class`, `for`/`with`/`except` targets, `match`
captures, the walrus operator (also inside a comprehension, where it binds the enclosing scope) and
`global` declarations inside functions; comprehension variables do not leak. Names a function body
reads are counted as read where the function is defined (where its free names must already exist).

It also flags a visible cell that imports a build-only package (myst-nb, jupytext), which Colab lacks.

Run `python -m booktools.hiddencells [chapter.md ...]` (default: every chapter); the unit tests run it.
"""
from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

BUILD_ONLY = {"myst_nb", "jupytext"}  # packages the build has and a Colab notebook does not
HIDDEN_TAG = "remove-cell"


@dataclass(frozen=True)
class Cell:
    number: int  # index among the chapter's code cells (nbval's "Cell N")
    source: str
    hidden: bool


@dataclass(frozen=True)
class Problem:
    cell: int
    name: str
    message: str

    def __str__(self) -> str:
        return f"code cell {self.cell}: {self.message}"


# -- reading names ----------------------------------------------------------------------------------------
class _Walker:
    """Walks statements in evaluation order and reports reads and bindings of the names of one scope."""

    def __init__(self, read: Callable[[str], None], bind: Callable[[str], None],
                 bind_global: Callable[[str], None] | None = None):
        self.read_cb, self.bind_cb = read, bind
        self.bind_global = bind_global or bind  # a `global` name assigned inside a nested function
        self.comprehension_locals: list[set[str]] = []
        self.declared_global: set[str] = set()

    def read(self, name: str) -> None:
        if not any(name in scope for scope in self.comprehension_locals):
            self.read_cb(name)

    def bind(self, name: str) -> None:
        self.bind_cb(name)

    # statements
    def stmts(self, body: Iterable[ast.stmt]) -> None:
        for node in body:
            self.stmt(node)

    def stmt(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Assign):
            self.expr(node.value)
            for target in node.targets:
                self.target(target)
        elif isinstance(node, ast.AugAssign):
            if isinstance(node.target, ast.Name):
                self.read(node.target.id)
            self.expr(node.value)
            self.target(node.target)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.expr(node.value)
            self.expr(node.annotation)
            if node.value is not None or not isinstance(node.target, ast.Name):
                self.target(node.target)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.expr(node.iter)
            self.target(node.target)
            self.stmts(node.body)
            self.stmts(node.orelse)
        elif isinstance(node, (ast.While, ast.If)):
            self.expr(node.test)
            self.stmts(node.body)
            self.stmts(node.orelse)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.expr(item.context_expr)
                if item.optional_vars is not None:
                    self.target(item.optional_vars)
            self.stmts(node.body)
        elif isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            self.stmts(node.body)
            for handler in node.handlers:
                if handler.type is not None:
                    self.expr(handler.type)
                if handler.name:
                    self.bind(handler.name)
                self.stmts(handler.body)
            self.stmts(node.orelse)
            self.stmts(node.finalbody)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for deco in node.decorator_list:
                self.expr(deco)
            self.signature(node.args)
            if node.returns is not None:
                self.expr(node.returns)
            free, global_binds = scope_names(node.args, node.body)
            for name in sorted(free):
                self.read(name)
            for name in sorted(global_binds):
                self.bind_global(name)
            self.bind(node.name)
        elif isinstance(node, ast.ClassDef):
            for child in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
                self.expr(child)
            free, global_binds = scope_names(None, node.body)
            for name in sorted(free):
                self.read(name)
            for name in sorted(global_binds):
                self.bind_global(name)
            self.bind(node.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                self.bind(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    self.bind(alias.asname or alias.name)
        elif isinstance(node, ast.Global):
            self.declared_global.update(node.names)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if not isinstance(target, ast.Name):
                    self.target(target)
        elif isinstance(node, ast.Match):
            self.expr(node.subject)
            for case in node.cases:
                self.pattern(case.pattern)
                if case.guard is not None:
                    self.expr(case.guard)
                self.stmts(case.body)
        else:  # Expr, Return, Raise, Assert, ...: only expressions inside
            for child in ast.iter_child_nodes(node):
                self.expr(child)

    def signature(self, args: ast.arguments) -> None:
        """Defaults and annotations, evaluated where the function is defined."""
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.expr(default)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self.expr(arg.annotation)

    def target(self, node: ast.expr) -> None:
        if isinstance(node, ast.Name):
            self.bind(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                self.target(elt)
        elif isinstance(node, ast.Starred):
            self.target(node.value)
        else:  # x.attr = ..., x[i] = ...: reads x (and i), binds nothing
            self.expr(node)

    def pattern(self, node: ast.AST) -> None:
        for child in ast.walk(node):
            if isinstance(child, (ast.MatchAs, ast.MatchStar)) and child.name:
                self.bind(child.name)
            elif isinstance(child, ast.MatchMapping) and child.rest:
                self.bind(child.rest)
            elif isinstance(child, ast.MatchValue):
                self.expr(child.value)
            elif isinstance(child, ast.MatchClass):
                self.expr(child.cls)

    # expressions
    def expr(self, node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                self.read(node.id)
        elif isinstance(node, ast.NamedExpr):
            self.expr(node.value)
            self.bind(node.target.id)  # binds the enclosing scope, also from inside a comprehension
        elif isinstance(node, ast.Lambda):
            self.signature(node.args)
            free, _ = scope_names(node.args, [ast.Expr(node.body)])
            for name in sorted(free):
                self.read(name)
        elif (code := magic_code(node)) is not None:  # %time f(x), %%capture ...: the code is an argument string
            self.stmts(code)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            local: set[str] = set()
            for i, gen in enumerate(node.generators):
                if i == 0:
                    self.expr(gen.iter)  # the first iterable is evaluated in the enclosing scope
                self.comprehension_locals.append(local)
                if i > 0:
                    self.expr(gen.iter)
                local |= target_names(gen.target)
                for cond in gen.ifs:
                    self.expr(cond)
                self.comprehension_locals.pop()
            self.comprehension_locals.append(local)
            for elt in ([node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]):
                self.expr(elt)
            self.comprehension_locals.pop()
        else:
            for child in ast.iter_child_nodes(node):
                self.expr(child)


CODE_MAGICS = {"time", "timeit", "prun", "capture"}  # magics whose argument (line or cell) is Python code


def magic_code(node: ast.AST) -> list[ast.stmt] | None:
    """The statements inside `get_ipython().run_line_magic("time", "f(x)")` / `run_cell_magic(...)`, or None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("run_line_magic", "run_cell_magic") and len(node.args) >= 2
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
            and node.args[0].value in CODE_MAGICS):
        return None
    text = node.args[2].value if node.func.attr == "run_cell_magic" and len(node.args) > 2 else node.args[1].value
    if node.func.attr == "run_line_magic":
        words = text.split()
        while words and words[0].startswith("-"):  # options: %timeit -n 10 -r 3 f(x)
            words = words[2:] if words[0] in ("-n", "-r", "-p", "-s", "-T", "-D", "-l") else words[1:]
        text = " ".join(words)
    try:
        return ast.parse(text).body
    except SyntaxError:
        return []


def target_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def scope_names(args: ast.arguments | None, body: list[ast.stmt]) -> tuple[set[str], set[str]]:
    """(free names read, global names bound) of a function, lambda or class body."""
    bound: set[str] = set()
    reads: set[str] = set()
    nested_globals: set[str] = set()
    collector = _Walker(read=lambda n: None, bind=bound.add, bind_global=nested_globals.add)
    collector.stmts(body)
    declared = collector.declared_global
    reader = _Walker(read=reads.add, bind=lambda n: None)
    reader.stmts(body)
    params = set()
    if args is not None:
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a}
    local = (bound | params) - declared
    return reads - local, (bound & declared) | nested_globals


# -- a chapter ----------------------------------------------------------------------------------------------
def python_source(source: str) -> str:
    """The cell as Python: IPython's own transformation of magics (`%time`, `!ls`) into calls."""
    if "%" not in source and "!" not in source:
        return source
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def imported_modules(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def check_cells(cells: Iterable[Cell]) -> list[Problem]:
    """Every visible cell that reads a hidden cell's name or imports a build-only package."""
    last: dict[str, Cell] = {}  # name -> the cell that bound it last
    problems: list[Problem] = []
    for cell in cells:
        try:
            tree = ast.parse(python_source(cell.source))
        except SyntaxError as err:
            problems.append(Problem(cell.number, "", f"does not parse: {err}"))
            continue
        if not cell.hidden:
            for module in sorted(imported_modules(tree) & BUILD_ONLY):
                problems.append(Problem(cell.number, module, f"a visible cell imports {module}, a build-only package "
                                        "that Colab does not have (use mlbook.glue to record numbers)"))
        reported: set[str] = set()

        def read(name: str, cell=cell, reported=reported) -> None:
            source = last.get(name)
            if not cell.hidden and source is not None and source.hidden and name not in reported:
                reported.add(name)
                problems.append(Problem(cell.number, name, f"reads {name!r}, last bound in hidden (remove-cell) code "
                                        f"cell {source.number}, which the Colab notebook leaves out"))

        def bind(name: str, cell=cell) -> None:
            last[name] = cell

        _Walker(read, bind).stmts(tree.body)
    return problems


def chapter_cells(path: Path) -> list[Cell]:
    """The code cells of a chapter, read as the build reads them (myst-nb's reader)."""
    from .nbval_md import read_chapter

    nb = read_chapter(Path(path))
    code = [c for c in nb.cells if c.cell_type == "code"]
    return [Cell(i, c.source, HIDDEN_TAG in c.get("metadata", {}).get("tags", [])) for i, c in enumerate(code)]


def check_chapter(path: Path) -> list[Problem]:
    return check_cells(chapter_cells(path))


def main(argv: list[str]) -> int:
    from .paths import ROOT, chapter_files

    paths = [Path(a) for a in argv] or [ROOT / f"{doc}.md" for doc in chapter_files()]
    failed = 0
    for path in paths:
        for problem in check_chapter(path):
            print(f"{path.name}: {problem}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
