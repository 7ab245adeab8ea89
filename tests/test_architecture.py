"""The package's shape, checked: data flows one way, no cycles, no private names shared.

The pipeline's stages are subpackages, each allowed to import only the stages below it
(``docs/architecture.md``):

    data, files  <  workbook  <  model  <  solver  <  results  <  studies, engines
                 <  report  <  api  <  commands

Every import inside the package is read from the source (``ast``), whether at the top of
a module or inside a function.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "stockopt"

LAYERS = [
    {"data", "files", "__init__"},
    {"workbook"},
    {"model"},
    {"solver"},
    {"results"},
    {"studies", "engines"},
    {"report"},
    {"api"},
    {"commands", "__main__"},
]
"""Stages from the bottom up; a module may import its own stage and those below."""

LEVEL = {stage: i for i, stages in enumerate(LAYERS) for stage in stages}

FACADE = ("stockopt", "stockopt.api")
"""The one import against the flow: the package root re-exports the public API (lazily,
on first use), while every stage may read ``stockopt.__version__`` from it."""


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names imported) for every package-internal import of a module."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            found.append((target, [a.name for a in node.names]))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("stockopt"):
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("stockopt")]
    return found


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _resolve(target: str, names: list[str], modules: dict[str, Path]) -> list[str]:
    """The modules an import reaches: ``from .pkg import mod`` names a module too."""
    reached = [target] if target in modules else []
    reached += [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
    return reached


def test_every_stage_is_known() -> None:
    stages = {_stage(m) for m in _modules()}
    assert stages <= set(LEVEL), f"add these stages to LAYERS: {stages - set(LEVEL)}"


def test_data_flows_one_way() -> None:
    """No module imports a stage above its own."""
    modules = _modules()
    upward = []
    for name, path in modules.items():
        for target, names in _imports(name, path):
            for reached in _resolve(target, names, modules):
                if LEVEL[_stage(reached)] > LEVEL[_stage(name)] and (name, reached) != FACADE:
                    upward.append(f"{name} imports {reached}")
    assert not upward, "imports against the pipeline:\n" + "\n".join(upward)


def test_no_import_cycles() -> None:
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for target, names in _imports(name, path):
            for reached in _resolve(target, names, modules):
                if reached != name and not name.startswith(reached + ".") \
                        and (name, reached) != FACADE:
                    graph[name].add(reached)
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(modules):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_private_names_cross_modules() -> None:
    shared = [f"{name} imports {n} from {target}"
              for name, path in _modules().items()
              for target, names in _imports(name, path)
              for n in names
              if n.startswith("_") and not n.endswith("__") and target != name]
    assert not shared, "private names imported across modules:\n" + "\n".join(shared)


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The reader finds relative imports at any depth (so the checks above can fail)."""
    module = tmp_path / "solver" / "x.py"
    module.parent.mkdir()
    module.write_text("def f():\n    from ..report.cells import _start\n", encoding="utf-8")
    assert _imports("stockopt.solver.x", module) == [("stockopt.report.cells", ["_start"])]
