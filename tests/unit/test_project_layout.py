"""The layout a newcomer relies on: no import cycle, one name per module, a library without Dagster.

The import graph counts every import a module makes (top-level, inside functions, under
``TYPE_CHECKING``) and the package ``__init__`` modules an import runs on the way.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("accrete", "assets", "resources", "orchestration", "bench")
ALLOWED_PACKAGE_IMPORTS = {
    "accrete": set(),
    "resources": {"accrete"},
    "assets": {"accrete", "resources"},
    "orchestration": {"accrete", "assets", "resources"},
    "bench": {"accrete"},
}
"""Which of the project's top-level packages each one may import: the library knows no Dagster code."""


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the project's packages."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def imported_names(path: Path, module: str) -> set[str]:
    """Every dotted name ``module`` imports, ``from package import module`` resolved to the module."""
    names = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules importing it runs (the target and its packages' ``__init__``)."""
    modules = module_files()
    graph = {}
    for module, path in modules.items():
        importer_packages = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        targets = set()
        for name in imported_names(path, module):
            parts = name.split(".")
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if prefix in modules and prefix not in importer_packages and prefix != module:
                    targets.add(prefix)
        graph[module] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path of modules, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_relative_imports_resolve_to_their_modules(tmp_path):
    path = tmp_path / "network.py"
    path.write_text("from .encoders import ColumnEncoder\nfrom . import settings\n")
    names = imported_names(path, "accrete.generator.autoregressive.network")
    assert "accrete.generator.autoregressive.encoders" in names
    assert "accrete.generator.autoregressive.settings" in names


def test_no_module_of_the_project_imports_itself_back():
    graph = import_graph()
    assert len(graph) > 50, "the project's modules were not found"
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_the_layers_below_it(package):
    graph = import_graph()
    used = {
        target.split(".")[0]
        for module, targets in graph.items()
        if module.split(".")[0] == package
        for target in targets
    } - {package}
    assert used <= ALLOWED_PACKAGE_IMPORTS[package], f"{package} imports {sorted(used)}"


def test_the_library_imports_no_dagster():
    modules = module_files()
    offenders = [
        module
        for module, path in modules.items()
        if module.startswith("accrete")
        and any(name.split(".")[0].startswith("dagster") for name in imported_names(path, module))
    ]
    assert offenders == []


def test_module_names_are_unique_except_dagster_wrappers_of_library_modules():
    """``assets/<stage>/<x>.py`` is the Dagster asset of ``accrete/<stage>/<x>.py``; no other name repeats."""
    files = [
        path.relative_to(REPO)
        for folder in (*PACKAGES, "tests")
        for path in (REPO / folder).rglob("*.py")
        if path.name != "__init__.py"
    ]
    names = Counter(path.name for path in files)
    for name, count in names.items():
        if count == 1:
            continue
        paths = sorted(str(path) for path in files if path.name == name)
        assert count == 2, paths
        library, wrapper = sorted(paths)
        stage = Path(library).parent.relative_to("accrete")
        assert library.startswith("accrete/") and wrapper == str(Path("assets") / stage / name), paths
