"""The layout holds: imports only go downward between rooms, no cycles, small modules and functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Rooms from the bottom up; a room may import only rooms with a lower rank (and itself).
RANKS = {
    "core": 0,
    "standards": 1,
    "geo": 2,
    "db": 3,
    "monitoring": 4,
    "ingest": 5,
    "supply": 6,
    "accounts": 6,
    "workflow": 7,
    "reports": 7,
    "alerts": 8,
    "indices": 9,
    "data": 10,
    "layers": 11,
    "tiles": 12,
    "exports": 13,
    "queries": 13,
    "app": 14,
    "ops": 15,
}
WEB = ("flask", "werkzeug", "jinja2")
ALLOWED = ("werkzeug.security",)  # password hashing, not web
NO_WEB = ("core", "standards", "geo", "db", "monitoring", "ingest", "supply", "accounts", "workflow", "reports",
          "alerts", "indices", "data", "layers", "tiles", "exports", "queries")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules():
    for room in RANKS:
        for path in sorted((ROOT / room).rglob("*.py")):
            yield room, path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Absolute module names imported anywhere in a file (function-level imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((node.lineno, name))
    return out


def test_rooms_exist():
    assert [r for r in RANKS if not (ROOT / r / "__init__.py").exists()] == []


def test_imports_only_go_downward():
    wrong = []
    for room, path in _modules():
        for line, name in _imports(path):
            target = name.split(".")[0]
            if target in RANKS and target != room and RANKS[target] >= RANKS[room]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} {room} imports {name}")
    assert wrong == []


def test_lower_rooms_know_no_web():
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {name}" for room, path in _modules() if room in NO_WEB
             for line, name in _imports(path) if name.split(".")[0] in WEB and name not in ALLOWED]
    assert wrong == []


def test_no_import_cycles_between_modules():
    graph: dict[str, set[str]] = {}
    for _, path in _modules():
        mod = _module_name(path)
        graph[mod] = set()
        for _, name in _imports(path):
            if name.split(".")[0] in RANKS and name != mod:
                graph[mod].add(name)
    known = set(graph)

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    edges = {m: {t for t in (resolve(n) for n in targets) if t and t != m and not m.startswith(t + ".")}
             for m, targets in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for mod in sorted(edges):
        if mod not in state:
            visit(mod, [mod])
    assert cycles == []


@pytest.mark.parametrize("room", list(RANKS))
def test_small_modules_and_functions(room):
    big = []
    for path in sorted((ROOT / room).rglob("*.py")):
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > MAX_MODULE_LINES:
            big.append(f"{path.relative_to(ROOT)}: {lines} lines")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    big.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}(): {length} lines")
    assert big == []


def test_blueprints_do_not_import_each_other():
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {name}"
             for path in sorted((ROOT / "app" / "blueprints").glob("*.py")) if path.name != "__init__.py"
             for line, name in _imports(path) if name.startswith("app.blueprints")]
    assert wrong == []
