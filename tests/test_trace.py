"""`trace_request` and `python -m minifast trace`: one request, every stage it passed."""

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest

from minifast import (
    BackgroundTasks,
    Depends,
    FastAPI,
    HTTPException,
    Query,
    Request,
    background,
    resolve,
)
from minifast.__main__ import main
from minifast.trace import Trace, trace_request

ROOT = Path(__file__).resolve().parents[1]


async def connection() -> AsyncIterator[str]:
    yield "db"


def build() -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def stamp(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers["x-stamp"] = "1"
        return response

    def note(text: str) -> None:
        pass

    @app.get("/items/{item_id}")
    async def read_item(
        item_id: int,
        tasks: BackgroundTasks,
        q: Annotated[str, Query(max_length=3)] = "",
        db: str = Depends(connection),
    ) -> dict[str, Any]:
        tasks.add_task(note, "read")
        return {"item_id": item_id, "q": q, "db": db}

    @app.get("/broken")
    async def broken() -> None:
        raise HTTPException(418, "teapot")

    return app


def stages(trace: Trace) -> list[str]:
    return [f"{'  ' * event.depth}{event.actor}: {event.what}" for event in trace.events]


def test_a_request_is_traced_through_every_stage() -> None:
    trace = trace_request(build(), "GET", "/items/7?q=ab")
    assert stages(trace) == [
        "server: in",
        "  ServerErrorMiddleware: in",
        "    BaseHTTPMiddleware stamp: in",
        "      ExceptionMiddleware: in",
        "        router: in",
        "          route /items/{item_id}: in (matched; path params {'item_id': '7'})",
        "            depends connection: in",
        "              depends connection: ran up to its yield",
        "            depends connection: out",
        "            validation: path (item_id): valid",
        "            validation: query (q): valid",
        "            call read_item: in (async)",
        "            call read_item: out",
        "            serialization: Response 200 through the response model",
        "            client: receives http.response.start 200",
        # Behind `call_next` the body streams: a chunk, then the end of the body.
        "            client: receives http.response.body 32 bytes (more)",
        "            client: receives http.response.body 0 bytes",
        "            background note: in (after the response)",
        "            background note: out",
        "            depends connection: in (exit code after the yield)",
        "            depends connection: out",
        "          route /items/{item_id}: out",
        "        router: out",
        "      ExceptionMiddleware: out",
        "    BaseHTTPMiddleware stamp: out",
        "  ServerErrorMiddleware: out",
        "server: out",
    ]
    assert [event.at_ms for event in trace.events] == sorted(e.at_ms for e in trace.events)


def test_failures_are_traced_where_they_happen() -> None:
    invalid = stages(trace_request(build(), "GET", "/items/x?q=toolong"))
    assert "            validation: path (item_id): 1 errors" in invalid
    assert "            validation: query (q): 1 errors" in invalid
    assert "            client: receives http.response.start 422" not in invalid  # sent later
    assert any(
        line.endswith("raised RequestValidationError: 2 validation errors:") for line in invalid
    )
    broken = stages(trace_request(build(), "GET", "/broken"))
    assert "          route /broken: raised HTTPException: 418: teapot" in broken


def test_tracing_leaves_the_app_and_the_stages_as_they_were() -> None:
    app = build()
    originals = (resolve.call_plan, resolve.resolve_source, background.run_logged)
    trace_request(app, "GET", "/items/1")
    assert (resolve.call_plan, resolve.resolve_source, background.run_logged) == originals
    assert type(app.middleware_stack).__name__ == "ServerErrorMiddleware"  # not a recorder
    assert all("handle" not in vars(route) for route in app.routes if hasattr(route, "plan"))


def test_the_trace_runs_inside_the_lifespan() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, str]]:
        yield {"greeting": "hello"}

    app = FastAPI(lifespan=lifespan)

    @app.get("/")
    async def home(request: Request) -> str:
        return request.state.greeting

    trace = trace_request(app, "GET", "/", [("x-any", "1")])
    assert "client: receives http.response.body 7 bytes" in [
        e.what and f"{e.actor}: {e.what}" for e in trace.events
    ]

    @contextlib.asynccontextmanager
    async def failing(app: Any) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield  # pragma: no cover

    with pytest.raises(RuntimeError, match="did not start"):
        trace_request(FastAPI(lifespan=failing), "GET", "/")


def test_the_mermaid_diagram_pairs_calls_with_returns() -> None:
    diagram = trace_request(build(), "GET", "/items/7").mermaid().splitlines()
    assert diagram[0] == "sequenceDiagram"
    assert "    client->>server: in" in diagram
    assert "    server-->>client: out" in diagram
    calls = [line for line in diagram if "->>" in line and "-->>" not in line]
    assert len(calls) == sum("-->>" in line for line in diagram)


def test_trace_command(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    body = '{"name": "kettle", "price": 12.5}'
    assert (
        main(
            [
                "trace",
                "examples.main:app",
                "POST",
                "/items",
                "-H",
                "content-type: application/json",
                "-d",
                body,
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "validation: body (item): valid" in printed
    assert "client: receives http.response.start 201" in printed
    assert main(["trace", "examples.main:app", "GET", "/items", "--mermaid"]) == 0
    assert capsys.readouterr().out.startswith("sequenceDiagram")
    with pytest.raises(SystemExit, match="Name: value"):
        main(["trace", "examples.main:app", "GET", "/", "-H", "no colon"])


def example_apps() -> Iterator[str]:
    for path in sorted((ROOT / "examples").rglob("*.py")):
        if path.name != "__init__.py" and "\napp = " in path.read_text():
            yield ".".join(path.relative_to(ROOT).with_suffix("").parts) + ":app"


@pytest.mark.parametrize("reference", list(example_apps()))
def test_every_example_app_can_be_traced(reference: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from minifast.__main__ import load_app

    monkeypatch.chdir(ROOT)
    trace = trace_request(load_app(reference), "GET", "/openapi.json")
    assert stages(trace)[-1] == "server: out"
    assert any(event.what == "receives http.response.start 200" for event in trace.events)


def test_a_host_header_given_replaces_the_default_and_bodiless_messages_are_named() -> None:
    from minifast.trace import _summary

    app = FastAPI()

    @app.get("/")
    async def home(request: Request) -> str:
        return request.headers["host"]

    trace = trace_request(app, "GET", "/", [("Host", "example.org")])
    assert any(event.what == "receives http.response.body 13 bytes" for event in trace.events)
    assert _summary({"type": "http.disconnect"}) == "http.disconnect"
