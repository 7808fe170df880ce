"""The one direction of imports (docs/architecture.md), read from the source with ``ast``.

Layers, lowest first; a module may import its own package, a lower layer, and the modules every
layer may use (the models, the Celery app, settings plumbing). Everything an ``import`` statement
names counts, at the top of a module or inside a function alike: an import inside a function is
no way around the rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("mdm", "matching", "dictionary")

#: The domain layers of mdm, lowest first. Packages on one line are peers: they do not import
#: each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("mdm.db", "mdm.errors", "mdm.instruments"),
    ("mdm.privacy", "mdm.access"),
    ("mdm.jobs",),
    ("mdm.feed",),
    ("mdm.records",),
    ("mdm.linking",),
    ("mdm.intake",),
    ("mdm.stewardship", "mdm.quality", "mdm.documents"),
    ("mdm.operations",),
)
EDGE = len(LAYERS)
#: Modules any layer may import: Django's registry of models, the Celery app, settings helpers.
ANYWHERE = ("mdm.models", "mdm.celery", "mdm.env")
#: Edge modules by their last name: they parse, call one service and shape (DRF's permission
#: classes included: they read the request). A module named ``admin_<topic>`` is a part of its
#: package's admin.
EDGE_NAMES = {"admin", "admin_site", "api", "permissions", "tasks", "views", "urls"}
#: The project plumbing at the top of mdm/, above every domain.
PLUMBING = {"mdm.apps", "mdm.checks", "mdm.job_kinds", "mdm.middleware", "mdm.settings"}
PLUMBING |= {"mdm.tasks", "mdm.urls", "mdm.wsgi"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield module_name(path), path


def imported_names(path: Path) -> Iterator[tuple[str, int]]:
    """Every module an import statement in ``path`` names (``from a import b`` gives a and a.b)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            # ``from package import module`` needs the package, not what else it imports.
            if not all(name in MODULES for name in submodules):
                yield node.module, node.lineno
            for name in submodules:
                yield name, node.lineno


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def is_models(name: str) -> bool:
    return any(part == "models" for part in name.split(".")[1:]) or name in ANYWHERE


def layer_of(name: str) -> int | None:
    """The layer of an mdm module; None for models and the modules every layer may use."""
    if name == "mdm" or is_models(name) or any(_within(name, a) for a in ANYWHERE):
        return None
    if name in PLUMBING or _within(name, "mdm.api") or _within(name, "mdm.management"):
        return EDGE
    last = name.split(".")[-1]
    if _within(name, "mdm.templatetags") or last in EDGE_NAMES or last.startswith("admin_"):
        return EDGE
    for level, packages in enumerate(LAYERS):
        if any(_within(name, p) for p in packages):
            return level
    return EDGE


def domain_of(name: str) -> str | None:
    for packages in LAYERS:
        for package in packages:
            if _within(name, package):
                return package
    return None


def known_module(name: str) -> str | None:
    """The module of ``name`` in this repository (``mdm.models.SourceRecord`` -> ``mdm.models``)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


MODULES = dict(source_modules())


def violations() -> list[str]:
    found: list[str] = []
    found_at: set[str] = set()
    for name, path in MODULES.items():
        for imported, line in sorted(set(imported_names(path))):
            if imported.split(".")[0] not in PACKAGES:
                continue
            target = known_module(imported)
            if target is None or target == name:
                continue
            where = f"{path.relative_to(ROOT)}:{line} imports {target}"
            if where in found_at:
                continue
            found_at.add(where)
            if _within(target, "mdm.devtools") and not _within(name, "mdm.devtools"):
                found.append(f"{where}: production code never imports the dev-only app")
                continue
            if not _within(name, "mdm"):
                if target.startswith("mdm"):
                    found.append(f"{where}: matching and dictionary never import mdm")
                continue
            if _within(name, "mdm.devtools") or not target.startswith("mdm"):
                continue
            if is_models(name) and not (is_models(target) or layer_of(target) == 0):
                found.append(f"{where}: models import only models and the database helpers")
                continue
            mine, theirs = layer_of(name), layer_of(target)
            if theirs is None or mine is None or mine == EDGE:
                continue
            same_domain = domain_of(name) == domain_of(target) and domain_of(name) is not None
            if theirs >= mine and not same_domain:
                found.append(
                    f"{where}: {domain_of(name)} may not import {domain_of(target) or target}"
                )
    return found


def test_imports_go_one_way():
    assert violations() == []


def test_no_service_runs_a_management_command():
    callers = [
        f"{path.relative_to(ROOT)}:{line}"
        for name, path in MODULES.items()
        if not (_within(name, "mdm.management") or _within(name, "mdm.devtools"))
        for imported, line in imported_names(path)
        if imported == "django.core.management.call_command"
    ]
    assert callers == []


@pytest.mark.parametrize("package", ["matching", "dictionary"])
def test_the_engine_and_the_dictionary_stand_alone(package):
    assert [v for v in violations() if v.startswith(package + "/")] == []


#: Imports inside a function that stay, each for a reason that is not a cycle.
LATE_IMPORTS = {
    "mdm.apps": "ready() runs once the app registry is loaded",
    "mdm.wsgi": "the warm-up runs after Django is set up",
    "mdm.middleware": "not a cycle: kept as found, to move to the top in a later step",
    "mdm.privacy.crypto": "importable before the app registry (key checks); models are not",
    "dictionary.identifiers": "the region table loads with the first resident ID it checks",
}


def late_imports() -> list[str]:
    found = []
    for name, path in MODULES.items():
        if _within(name, "mdm.devtools") or name in LATE_IMPORTS:
            continue
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else []
                )
                if any(n.split(".")[0] in PACKAGES for n in names):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_project_import_hides_inside_a_function():
    assert late_imports() == []


def test_no_two_modules_import_each_other_even_through_others():
    graph = {
        name: {
            target
            for imported, _ in imported_names(path)
            if (target := known_module(imported)) and target != name
        }
        for name, path in MODULES.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    assert cycles == []
