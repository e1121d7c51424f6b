"""deepdive uses other packages only through what they document; the exceptions live in
``deepdive/compat/``, one small module per fault or missing API, each naming what it waits for."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "deepdive"
COMPAT = PACKAGE / "compat"
# Methods every namedtuple documents with a leading underscore.
NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make"}

# What is left in compat/, and what each one waits for upstream. A new shim is added here
# deliberately; one whose upstream fix arrived is deleted, here and there.
SHIMS = {
    "ablog.py": "ABlog",
    "assets.py": "myst-nb",
    "bibtex.py": "sphinxcontrib-bibtex",
    "numbering.py": "sphinx-doc/sphinx#11457",
    "opengraph.py": "sphinxext-opengraph#145",
    "pygments.py": "accessible-pygments",
    "settled_config.py": "sphinx-copybutton",
    "sitemap.py": "sphinx-sitemap#13",
    "sphinx_assets.py": "Sphinx",
    "sphinx_cli.py": "sphinx-doc/sphinx#14543",
    "search_summary.py": "sphinx-doc/sphinx#12057",
    "sphinx_search.py": "Sphinx",
    "viewport.py": "sphinx-doc/sphinx#11699",
}


def modules(folder: Path) -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in folder.rglob("*.py")}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def own_private_names() -> set[str]:
    """Underscore names deepdive itself defines (functions, classes, attributes it sets)."""
    names = set()
    for tree in modules(PACKAGE).values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in {"self", "cls"}
            ):
                names.add(node.attr)
    return {name for name in names if is_private(name)}


def foreign_imports(tree: ast.Module) -> set[str]:
    """Names bound in a module by importing another package (``import x``, ``from x import y``)."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not alias.name.startswith("deepdive"):
                    bound.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            if (node.module or "").startswith("deepdive"):
                continue
            bound.update(alias.asname or alias.name for alias in node.names)
    return bound


def root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def violations(path: Path, tree: ast.Module, ours: set[str]) -> list[str]:
    where = path.relative_to(PACKAGE.parent)
    found = []
    imported = foreign_imports(tree)
    for node in ast.walk(tree):
        line = f"{where}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and not (node.module or "").startswith("deepdive"):
            parts = (node.module or "").split(".")
            if any(is_private(part) for part in parts):
                found.append(f"{line}: imports from the private module {node.module}")
            for alias in node.names:
                if is_private(alias.name):
                    found.append(f"{line}: imports the private name {node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if any(is_private(part) for part in alias.name.split(".")):
                    found.append(f"{line}: imports the private module {alias.name}")
        elif isinstance(node, ast.Attribute):
            base = node.value.id if isinstance(node.value, ast.Name) else None
            if (
                is_private(node.attr)
                and base not in {"self", "cls"}
                and node.attr not in ours
                and node.attr not in NAMEDTUPLE_API
            ):
                found.append(f"{line}: reads another package's private attribute .{node.attr}")
            is_events = isinstance(node.value, ast.Attribute) and node.value.attr == "events"
            if node.attr == "listeners" and is_events:
                found.append(f"{line}: edits Sphinx's event listeners")
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and root_name(target) in imported:
                    found.append(f"{line}: assigns to {ast.unparse(target)}, another package's")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and node.args
            and root_name(node.args[0]) in imported
        ):
            found.append(f"{line}: setattr on {ast.unparse(node.args[0])}, another package's")
    return found


def test_outside_compat_only_public_apis_of_other_packages_are_used():
    ours = own_private_names()
    found = [
        problem
        for path, tree in modules(PACKAGE).items()
        if COMPAT not in path.parents
        for problem in violations(path, tree, ours)
    ]
    assert found == []


def test_the_checker_catches_each_kind_of_reach_into_another_package():
    source = """
import sphinx._cli.util.errors as errors
from sphinx.builders import _write_docname
from sphinx.builders.html._assets import checksum
import sphinx_autobuild.__main__ as autobuild

def f(app, builder):
    count = app._warncount
    autobuild.Builder = object
    setattr(autobuild, "RebuildServer", object)
    app.events.listeners["x"] = []
"""
    found = violations(PACKAGE / "example.py", ast.parse(source), set())
    assert len(found) == 7, found


def test_what_is_left_in_compat_is_listed_and_each_shim_says_what_it_waits_for():
    present = {path.name for path in COMPAT.glob("*.py") if path.name != "__init__.py"}
    assert present == set(SHIMS)
    for name, upstream in SHIMS.items():
        docstring = ast.get_docstring(ast.parse((COMPAT / name).read_text(encoding="utf-8")))
        assert docstring and "Waits for" in docstring and upstream in docstring, name
