"""The package's layers: rows importing only downward, the toolkit apart from the typed half."""

import ast
import pkgutil
from pathlib import Path

import minifast

# The toolkit half (Starlette's role): the app and router, HTTP objects, middleware. Every
# other module of the package is the typed half (FastAPI's role) and may import these.
TOOLKIT = {
    "minifast._file_logic",
    "minifast._disconnect",
    "minifast._json_text",
    "minifast._nonblocking",
    "minifast._paths",
    "minifast._url",
    "minifast.authentication",
    "minifast.background",
    "minifast.concurrency",
    "minifast.config",
    "minifast.convertors",
    "minifast.datastructures",
    "minifast.endpoints",
    "minifast.exceptions",
    "minifast.formparsers",
    "minifast.lifespan",
    "minifast.requests",
    "minifast.responses",
    "minifast.router",
    "minifast.plain_routes",
    "minifast.schemas",
    "minifast.staticfiles",
    "minifast.status",
    "minifast.templating",
    "minifast.testclient",
    "minifast.toolkit",
    "minifast.types",
    "minifast.websockets",
}
PACKAGE = Path(minifast.__file__).parent


def modules() -> dict[str, Path]:
    found = {"minifast": PACKAGE / "__init__.py"}
    for info in pkgutil.walk_packages([str(PACKAGE)], "minifast."):
        relative = info.name.removeprefix("minifast.").replace(".", "/")
        path = PACKAGE / (relative + ("/__init__.py" if info.ispkg else ".py"))
        found[info.name] = path
    return found


def is_toolkit(name: str) -> bool:
    return name in TOOLKIT or name.startswith("minifast.middleware")


def imported(path: Path) -> set[str]:
    """Every module an `import` anywhere in the file names, type-only and deferred included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            # `from minifast import x` may name a module: count it as that module.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_toolkit_list_names_real_modules() -> None:
    assert modules().keys() >= TOOLKIT


def test_the_toolkit_imports_nothing_of_the_typed_layer() -> None:
    """Each toolkit module imports only toolkit modules, and neither pydantic nor its core."""
    everything = modules()
    crossings = {}
    for name, path in everything.items():
        if not is_toolkit(name):
            continue
        reached = imported(path)
        # `minifast` itself appears as the package that `from minifast import x` names.
        typed = {o for o in reached if o in everything and o != "minifast" and not is_toolkit(o)}
        typed |= {other for other in reached if other.split(".")[0].startswith("pydantic")}
        if typed:
            crossings[name] = sorted(typed)
    assert crossings == {}


def test_the_typed_layer_builds_on_the_toolkit() -> None:
    """MiniFast is a Starlette, APIRouter a Router, APIRoute a Route, as extensions check."""
    from minifast.applications import MiniFast
    from minifast.routing import APIRoute, APIRouter, APIWebSocketRoute, Route, Router
    from minifast.routing import WebSocketRoute as PlainWebSocketRoute
    from minifast.toolkit import Starlette

    app = MiniFast()

    @app.get("/")
    def home() -> str:
        return "home"  # pragma: no cover - only registered

    assert isinstance(app, Starlette)
    assert isinstance(app.router, Router) and isinstance(app.router, APIRouter)
    assert isinstance(app.routes[-1], Route) and isinstance(app.routes[-1], APIRoute)
    assert issubclass(APIWebSocketRoute, PlainWebSocketRoute)


def import_graph() -> dict[str, set[str]]:
    """Each module's imports of other minifast modules, type-only and deferred included."""
    everything = modules()
    return {
        name: {
            other
            for other in imported(path)
            if other in everything and other not in (name, "minifast")
        }
        for name, path in everything.items()
    }


def cycle_through(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the modules along it, or None when there is none."""
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str] | None:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return None
        for other in sorted(graph[name]):
            found = visit(other, [*path, name])
            if found is not None:
                return found
        done.add(name)
        return None

    for name in sorted(graph):
        found = visit(name, [])
        if found is not None:
            return found
    return None


def test_no_module_imports_itself_round_a_circle() -> None:
    """Reading the package top-down needs no module read before the ones it imports."""
    assert cycle_through(import_graph()) is None


def test_a_circle_is_found_when_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycle_through(graph) == ["a", "b", "c", "a"]
    assert cycle_through({"a": {"b"}, "b": set()}) is None


# The rows of layers, lowest first (see STYLE.md). A module imports only from its own row or
# rows below. A name ending in "." stands for every module of that package.
ROWS: dict[str, tuple[str, ...]] = {
    "vocabulary": (
        "types", "status", "exceptions", "_paths", "convertors", "concurrency", "encoders",
        "params", "param_functions", "_types_util", "_nonblocking", "_url", "_file_logic",
        "_disconnect", "_json_text",
    ),
    "HTTP objects": (
        "datastructures", "requests", "responses", "formparsers", "websockets", "background",
        "_extract", "sse", "templating", "config", "exception_handlers", "security.",
    ),
    "contract": ("contract", "_decorators"),
    "compile": ("plan", "_parameters", "_form_plan", "_response_plan"),
    "run": (
        "resolve", "_read_inputs", "_json_body", "serialization", "validation",
        "lifespan_dependencies",
    ),
    "dispatch": (
        "plain_routes", "router", "api_routes", "routing", "lifespan", "middleware.",
        "staticfiles", "frontend", "_frontend_files", "endpoints", "authentication", "schemas",
    ),
    "readers": ("openapi.", "testclient", "explain", "trace", "telemetry.", "utils"),
    "entry": (
        "", "applications", "toolkit", "__main__", "cli_serve", "compat", "_compat", "_fastapi",
        "_starlette",
    ),
}  # fmt: skip


def row_of(name: str) -> int:
    """The index of the module's row; KeyError for a module no row names."""
    short = name.removeprefix("minifast").removeprefix(".")
    for index, members in enumerate(ROWS.values()):
        for member in members:
            package = member.removesuffix(".")
            if short == member or (member.endswith(".") and short.split(".")[0] == package):
                return index
    raise KeyError(name)


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a module from a row above its own, as "importer -> imported"."""
    return sorted(
        f"{name} -> {other}"
        for name, others in graph.items()
        for other in others
        if row_of(other) > row_of(name)
    )


def test_every_module_sits_in_one_row() -> None:
    for name in modules():
        row_of(name)  # raises for a module no row names


def test_no_module_imports_from_a_row_above() -> None:
    """Read bottom-up, the package needs nothing not yet read: vocabulary first, entry last."""
    assert upward(import_graph()) == []


def test_an_upward_import_is_found() -> None:
    graph = {"minifast.plan": {"minifast.resolve", "minifast.contract"}, "minifast.resolve": set()}
    assert upward(graph) == ["minifast.plan -> minifast.resolve"]
