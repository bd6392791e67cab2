"""The layout's arrows: `api → services → models → core`, `workers → services`, and no import loop inside
`services/`. Every import counts — module level, inside a function, under TYPE_CHECKING — since a deferred
import hides a loop from Python but not from the reader."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("api", "workers", "services", "models", "core")
# What each layer may import (besides itself); third-party packages are not ours to order.
MAY_IMPORT = {
    "api": {"services", "models", "core"},
    "workers": {"services", "models", "core"},
    "services": {"models", "core"},
    "models": {"core"},
    "core": set(),
}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path, layers: tuple[str, ...] = LAYERS) -> dict[str, Path]:
    """Every module of the layers, by dotted name."""
    found = {}
    for layer in layers:
        for path in sorted((root / layer).rglob("*.py")):
            found[module_name(root, path)] = path
    return found


def _imported(node: ast.AST, current: str, is_package: bool) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:  # relative: resolve against the importing module's package
            package = current.split(".") if is_package else current.split(".")[:-1]
            anchor = package[: len(package) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        yield base
        yield from (f"{base}.{alias.name}" for alias in node.names)


def imports(root: Path, known: dict[str, Path]) -> dict[str, set[str]]:
    """Module → the modules of ours it imports, wherever in the file the import stands."""
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = {
            target
            for node in ast.walk(tree)
            for target in _imported(node, name, path.name == "__init__.py")
            if target in known and target != name
        }
        # `from services.clocks import sla` names both the package and the module: keep the module.
        graph[name] = {t for t in targets if not any(o.startswith(t + ".") for o in targets)}
    return graph


def loops(graph: dict[str, set[str]], prefix: str) -> list[list[str]]:
    """Import cycles among the modules under `prefix` (Tarjan's strongly connected components)."""
    nodes = sorted(n for n in graph if n == prefix or n.startswith(prefix + "."))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(t for t in graph[node] if t in graph and (t == prefix or t.startswith(prefix + "."))):
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
                found.append(sorted(component))

    for node in nodes:
        if node not in index:
            visit(node)
    return found


def against_the_arrows(graph: dict[str, set[str]]) -> list[str]:
    """Imports from a layer to one it may not reach, as "importer → imported"."""
    wrong = []
    for importer, targets in sorted(graph.items()):
        layer = importer.split(".")[0]
        for target in sorted(targets):
            other = target.split(".")[0]
            if other != layer and other not in MAY_IMPORT[layer]:
                wrong.append(f"{importer} → {target}")
    return wrong


def test_no_import_loop_inside_services() -> None:
    graph = imports(ROOT, modules(ROOT))
    assert loops(graph, "services") == []


def test_imports_follow_the_layers() -> None:
    assert against_the_arrows(imports(ROOT, modules(ROOT))) == []


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_checks_see_hidden_loops_and_wrong_arrows(tmp_path: Path) -> None:
    """A loop hidden by a deferred and a TYPE_CHECKING import, and arrows against the layers, are found."""
    _write(
        tmp_path,
        {
            "api/__init__.py": "",
            "api/main.py": "def start():\n    from workers.scheduler import build\n",
            "api/errors.py": "",
            "workers/__init__.py": "",
            "workers/scheduler.py": "from services.desk import act\n",
            "services/__init__.py": "",
            "services/desk.py": "def act():\n    from services import actions\n",
            "services/actions.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from services.desk import act\n"
            ),
            "services/clocks/__init__.py": "",
            "services/clocks/sla.py": "from .calendar import load\nfrom api.errors import table\n",
            "services/clocks/calendar.py": "from ..clocks import sla\n",
            "services/clocks/plain.py": "from services.clocks import calendar\n",
            "models/__init__.py": "",
            "models/enums.py": "import services.desk\n",
            "core/__init__.py": "",
        },
    )
    graph = imports(tmp_path, modules(tmp_path))
    assert loops(graph, "services") == [
        ["services.actions", "services.desk"],
        ["services.clocks.calendar", "services.clocks.sla"],
    ]
    assert against_the_arrows(graph) == [
        "api.main → workers.scheduler",
        "models.enums → services.desk",
        "services.clocks.sla → api.errors",
    ]


def test_the_real_graph_is_read() -> None:
    """The checks above pass because the graph is clean, not because it is empty."""
    graph = imports(ROOT, modules(ROOT))
    assert "services.requests.request_actions" in graph["api.routes.requests"]
    assert "models.enums" in graph["services.requests.request_actions"]
