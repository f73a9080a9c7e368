"""The layering DESIGN.md promises, as tests (import-linter's contracts in pyproject.toml
cover the forbidden imports; `make lint` runs them). What is checked here:

- no import cycle inside `bot/`: every module can be read (and imported) on its own;
- no import hidden inside a function or behind `TYPE_CHECKING` in `bot/`: the imports at
  the top of a module are all its dependencies, so a cycle cannot be dodged;
- `bot.services.Services` is typed by ports: no field names a storage or adapter class;
- `storage/` and `adapters/` never import each other, `handlers/` imports no outer layer.
"""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import grimp
import pytest

from bot.services import Services

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("bot", "handlers", "adapters", "storage")


def _cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Strongly connected components of more than one module inside `package` (Tarjan)."""
    inside = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in inside:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in inside:
        if module not in index:
            visit(module)
    return found


def test_bot_has_no_import_cycle(graph: grimp.ImportGraph) -> None:
    assert _cycles(graph, "bot") == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above would pass vacuously if `_cycles` could not see one."""
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert _cycles(graph, "pkg") == [["pkg.a", "pkg.b"]]


def _hidden_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            hidden += [
                f"{path.relative_to(ROOT)}:{n.lineno}"
                for n in ast.walk(node)
                if isinstance(n, ast.Import | ast.ImportFrom)
            ]
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden += [f"{path.relative_to(ROOT)}:{node.lineno} (TYPE_CHECKING)"]
    return hidden


def test_bot_imports_only_at_module_level() -> None:
    hidden = [
        where for path in sorted((ROOT / "bot").rglob("*.py")) for where in _hidden_imports(path)
    ]
    assert hidden == []


def test_services_are_typed_by_ports() -> None:
    hints = typing.get_type_hints(Services)
    concrete = {
        name: str(hint)
        for name, hint in hints.items()
        if any(
            getattr(t, "__module__", "").startswith(("storage", "adapters"))
            for t in (hint, *typing.get_args(hint))
        )
    }
    assert concrete == {}


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("storage", "adapters"),
        ("storage", "bot"),
        ("adapters", "storage"),
        ("adapters", "bot"),
        ("handlers", "bot"),
        ("handlers", "storage"),
        ("handlers", "adapters"),
    ],
)
def test_layers_point_downwards(graph: grimp.ImportGraph, importer: str, imported: str) -> None:
    chains = graph.find_shortest_chains(importer=importer, imported=imported, as_packages=True)
    assert chains == set(), f"{importer} reaches {imported}: {sorted(chains)[:3]}"


def test_use_cases_are_built_only_in_the_composition_root() -> None:
    """Every use case in Services is built once, in bot/wiring.py, never per request."""
    use_cases = {
        hint.__name__
        for hint in typing.get_type_hints(Services).values()
        if isinstance(hint, type) and hint.__module__.startswith("handlers.")
    }
    assert {"ScheduleMeeting", "SaveMeeting", "RecordOutcome"} <= use_cases
    built = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if path.name == "wiring.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in use_cases
            ):
                built.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.id}")
    assert built == []


LISTENER_MAX_LINES = 30


def _long_listeners(source: str, where: str) -> list[str]:
    """Decorated functions (Bolt listeners) longer than the limit, `def` to last line."""
    long: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.decorator_list:
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > LISTENER_MAX_LINES:
                long.append(f"{where}:{node.lineno} {node.name} ({length} lines)")
    return long


def test_listeners_stay_short() -> None:
    """A listener is ack -> parse -> one use case -> render (DESIGN.md); parsing belongs in
    bot/views, logic in a use case. Measured on the ruff-formatted source."""
    paths = sorted((ROOT / "bot" / "listeners").glob("*.py"))
    long = [
        where
        for path in paths
        for where in _long_listeners(path.read_text(encoding="utf-8"), path.name)
    ]
    assert long == []


def test_the_length_check_sees_a_long_listener() -> None:
    """The check above would pass vacuously if nested, decorated functions went unseen."""
    body = "\n".join(f"        x{i} = {i}" for i in range(LISTENER_MAX_LINES))
    source = (
        "def register(app):\n"
        "    @app.command('/x')\n"
        f"    def listener(ack):\n{body}\n"
        "    def helper():\n"
        f"{body}\n"
    )
    assert _long_listeners(source, "x.py") == ["x.py:3 listener (31 lines)"]
