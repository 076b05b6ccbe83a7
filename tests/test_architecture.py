"""The floors' rules that import-linter does not express (docs/architecture.md).

import-linter (``make test``: ``lint-imports``, contracts in pyproject.toml) checks the direction
of imports between apps and inside them. These tests read the same source with ``ast`` for the
rest: no circle of imports between files, no project import hidden inside a function (where it
would dodge both), and no private name (``_x``) taken from another file.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "backend",
    "common",
    "organizations",
    "audit",
    "events",
    "registrations",
    "checkin",
    "voices",
    "notifications",
    "pages",
    "organizer",
    "privacy",
    "reports",
    "demo",
)
# Where a framework makes us import late: AppConfig.ready (signals, admin actions) and Celery's
# per-task connection hook, which must not import Django before settings are configured.
ALLOWED_LATE_IMPORTS = {
    ("organizations.apps", "organizations.auth"),
    ("privacy.apps", "privacy.admin"),
    ("checkin.apps", "checkin.signals"),
    ("events.apps", "events.signals"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path):
    """(imported module, name or None, line, inside a function?) for each project import."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"

    def project(name: str) -> bool:
        return name.split(".")[0] in PACKAGES

    def walk(node, in_function: bool):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if project(alias.name):
                        yield alias.name, None, child.lineno, in_function
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(module, child, is_package)
                if project(target):
                    for alias in child.names:
                        submodule = f"{target}.{alias.name}"
                        if submodule in MODULES:
                            yield submodule, None, child.lineno, in_function
                        else:
                            yield target, alias.name, child.lineno, in_function
            yield from walk(child, inside)

    yield from walk(tree, False)


def test_no_file_circles():
    """Module-level imports between files form no cycle (a cycle means two files are one)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target, _name, _line, in_function in _imports(module, path):
            if not in_function and target in MODULES and target != module:
                graph[module].add(target)
    # Tarjan's strongly connected components.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            # A package's __init__ importing its own submodules is how packages work, not a circle.
            if len(component) > 1 and not all(m.startswith(min(component, key=len)) for m in component):
                circles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in list(MODULES):
        if module not in index:
            connect(module)
    assert circles == []


def test_no_project_imports_inside_functions():
    """An import inside a function hides a dependency from the floors' contracts (and usually a
    circle): allowed only where a framework needs it (AppConfig.ready)."""
    late = sorted(
        (module, target, line)
        for module, path in MODULES.items()
        for target, _name, line, in_function in _imports(module, path)
        if in_function and (module, target) not in ALLOWED_LATE_IMPORTS
    )
    assert late == []


def test_no_private_name_crosses_a_file():
    """``from x import _name``: a private helper used elsewhere is a public function in disguise."""
    crossing = sorted(
        (module, f"{target}.{name}", line)
        for module, path in MODULES.items()
        for target, name, line, _in_function in _imports(module, path)
        if name and name.startswith("_") and not name.startswith("__") and target != module
    )
    assert crossing == []


def test_upward_imports_fail_with_the_rules_name(tmp_path):
    """A new upward import fails ``lint-imports`` (and so ``make test``) naming the broken rule."""
    copy = tmp_path / "tree"
    copy.mkdir()
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    (copy / "common" / "upward.py").write_text("from pages.views import events  # noqa\n")
    linter = Path(sys.executable).with_name("lint-imports")
    if not linter.exists():
        pytest.skip("lint-imports is not installed (make install-dev)")
    result = subprocess.run(
        [str(linter), "--no-logo", "--no-cache", "--contract", "floors"],
        cwd=copy,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "Floors: imports go down only" in result.stdout and "BROKEN" in result.stdout
    assert "common is not allowed to import pages" in result.stdout
