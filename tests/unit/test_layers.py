"""The import graph of host/fwgen: one direction, no circles, each package importing only the
layers below it (the data flow of DESIGN.md). Function-level (lazy) imports count like any
other; imports under `if TYPE_CHECKING:` do not (they never run).

When a package needs a new dependency, add it to ALLOWED on purpose; the test fails on the
first import that crosses a layer unannounced.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pytest

import fwgen

ROOT = Path(fwgen.__file__).resolve().parent

BASE = {"fwgen", "errors", "native", "render", "audio", "plots", "process"}   # leaves everything may use
# package -> the fwgen packages it may import (besides itself and BASE).
ALLOWED: dict[str, set[str]] = {
    "errors": set(), "native": set(), "audio": set(), "render": set(), "fwgen": set(),
    "process": set(),
    "plots": set(),                        # matplotlib pictures (confusion matrices)                      # stdlib only: how every child process starts
    "tflite": set(),
    "boards": {"runners"},                 # board files carry typed runner arguments
    "runners": set(),                      # Board only as a type hint
    "frontend": {"tflite"},
    "compiler": {"tflite"},
    "detect": set(),
    "link": set(),
    "runtime": {"compiler", "tflite"},     # the TFLM runtime reads the model's ops
    "train": {"frontend", "tflite"},
    "zoo": {"tflite", "train"},            # the architecture names of model.yaml files
    "deploy": {"tflite", "boards", "frontend", "runtime", "detect", "zoo", "link"},
    "project": {"boards", "deploy", "compiler"},
    "device": {"boards", "runners", "link"},
    "run": {"boards", "deploy", "project", "device", "link", "zoo"},
    "testing": {"boards", "compiler", "frontend", "project", "runners", "train", "tflite",
                "detect", "deploy", "runtime"},
    "flash": {"boards", "runners", "device", "project"},
    "monitor": {"boards", "device", "link"},
    "hil": {"deploy", "device", "run", "project", "link", "boards", "zoo"},
    "pytest_plugin": {"boards", "device", "run", "hil", "deploy", "project", "link", "zoo"},
    "bench": {"boards", "compiler", "tflite", "runtime", "deploy", "project", "device", "link",
              "runners", "zoo"},            # fwgen bench: builds, runs on a twin, reads ELFs
    "cli": {"*"},
    "__main__": {"cli"},
}


@lru_cache(maxsize=1)
def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """What an AST imports from fwgen: "fwgen.x.y" for `import fwgen.x.y`; for
    `from fwgen.x import a` "fwgen.x.a" when that names a submodule, else "fwgen.x" (a name
    from the module; the graph resolves both to modules)."""
    found: set[str] = set()
    modules = _modules()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "fwgen")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.split(".")[0] == "fwgen":
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    found.add(sub if sub in modules else target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for target in _imports(ast.parse(path.read_text()), name, path.name == "__init__.py"):
            resolved = resolve(target)
            if resolved and resolved != name:
                graph[name].add(resolved)
    return graph


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "fwgen"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


GRAPH = _graph()


def test_the_graph_sees_lazy_imports_and_skips_type_checking_blocks():
    code = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from fwgen.boards import Board\n"
            "def f():\n    from fwgen.link import Link\n    from . import spec\n")
    found = _imports(ast.parse(code), "fwgen.frontend.thing", False)
    assert found == {"fwgen.link", "fwgen.frontend.spec"}
    assert not any(t.startswith("fwgen.boards") for t in found)
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_itself_in_a_circle():
    cycle = _cycle(GRAPH)
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_no_package_imports_itself_in_a_circle():
    packages: dict[str, set[str]] = defaultdict(set)
    for module, targets in GRAPH.items():
        for target in targets:
            if _package(module) != _package(target):
                packages[_package(module)].add(_package(target))
    cycle = _cycle(packages)
    assert cycle is None, "package circle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("package", sorted({_package(m) for m in _modules()}))
def test_each_package_imports_only_its_layers(package):
    assert package in ALLOWED, f"fwgen.{package} is new: declare its layers in ALLOWED"
    allowed = ALLOWED[package] | BASE | {package}
    crossings = sorted(f"{module} -> {target}" for module, targets in GRAPH.items()
                       if _package(module) == package for target in targets
                       if "*" not in allowed and _package(target) not in allowed)
    assert not crossings, "imports across layers:\n" + "\n".join(crossings)


@pytest.mark.parametrize("package", sorted(p for p in ALLOWED if (ROOT / p).is_dir()))
def test_each_package_says_what_it_is_for_and_what_it_may_import(package):
    doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text())) or ""
    assert len(doc.splitlines()) >= 2, f"fwgen.{package} needs an opening docstring"
    assert "import" in doc.lower(), f"fwgen.{package}'s docstring should say what it may import"
