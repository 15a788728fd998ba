"""`explain(route)` and `python -m minifast routes`: a route's compiled plan, readable."""

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel

from minifast import BackgroundTasks, Depends, FastAPI, Header, Query, Request, WebSocket
from minifast.__main__ import load_app, main, routes_text
from minifast.explain import explain
from minifast.responses import JSONResponse, PlainTextResponse
from minifast.routing import Mount, Route

ROOT = Path(__file__).resolve().parents[1]


class Item(BaseModel):
    name: str


def common(skip: int = 0, token: Annotated[str | None, Header()] = None) -> dict[str, int]:
    return {"skip": skip}  # pragma: no cover - only compiled


async def session() -> Iterator[str]:
    yield "session"  # pragma: no cover - only compiled


def build() -> FastAPI:
    app = FastAPI(openapi_url=None)

    @app.post("/items/{item_id}", status_code=201)
    async def save(
        item_id: int,
        item: Item,
        request: Request,
        tasks: BackgroundTasks,
        q: Annotated[str | None, Query(alias="search", max_length=5)] = None,
        commons: dict[str, int] = Depends(common),
        db: str = Depends(session, use_cache=False),
    ) -> Item:
        return item  # pragma: no cover - only compiled

    @app.websocket("/ws")
    async def talk(websocket: WebSocket, room: str = "main") -> None:
        pass  # pragma: no cover - only compiled

    @app.get("/events")
    async def events() -> AsyncIterator[str]:
        yield "tick"  # pragma: no cover - only compiled

    @app.get("/chosen", response_class=JSONResponse)
    async def chosen() -> Item:
        return Item(name="x")  # pragma: no cover - only compiled

    app.add_route("/plain", lambda request: PlainTextResponse("plain"))
    app.mount("/sub", PlainTextResponse("sub"), name="sub")
    app.router.routes.append(Mount("/group", routes=[Route("/a", lambda request: None)]))
    return app


def test_a_path_operation_shows_every_parameter_dependency_and_the_response() -> None:
    text = explain(build().routes[0])
    assert text.splitlines() == [
        "POST /items/{item_id}  save",
        "  save  (async)",
        "    path     item_id: int  required",
        "    query    q: str | None = None  key 'search'  max_length=5",
        "    body     item: Item  required",
        "    injected request: request",
        "    injected tasks: background_tasks",
        "    depends  commons = common  (sync, inline (it only moves values))  [cached]",
        "      query    skip: int = 0",
        "      header   token: str | None = None",
        "    depends  db = session  (async, yield)",
        "  response  201 JSONResponse  model Item (pydantic writes the JSON)",
    ]


def test_other_routes_say_what_they_do_with_a_request() -> None:
    lines = [explain(route).splitlines()[0] for route in build().routes[1:]]
    assert lines[0] == "WEBSOCKET /ws  talk"
    assert explain(build().routes[2]).splitlines()[-1].endswith("streamed")
    # A response class chosen by the route: the model validates, the class writes the JSON.
    assert explain(build().routes[3]).splitlines()[-1] == "  response  200 JSONResponse  model Item"
    assert lines[3].startswith("GET HEAD /plain  <lambda>  (Route: its endpoint gets the")
    assert lines[4] == "ANY /sub  sub  (Mount: an ASGI app below it)"
    assert lines[5] == "ANY /group  -  (Mount: 1 routes inside)"
    assert "    query    room: str = 'main'" in explain(build().routes[1])


def test_routes_command_prints_every_route_of_an_app(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "examples.main:app"]) == 0
    printed = capsys.readouterr().out
    assert printed.strip() == routes_text(load_app("examples.main:app"))
    assert "GET /items/{item_id}  get_item\n  get_item  (async)" in printed


def example_apps() -> list[str]:
    found = []
    for path in sorted((ROOT / "examples").rglob("*.py")):
        if path.name != "__init__.py" and "\napp = " in path.read_text():
            found.append(".".join(path.relative_to(ROOT).with_suffix("").parts) + ":app")
    return found


@pytest.mark.parametrize("reference", example_apps())
def test_every_example_app_can_be_explained(reference: str) -> None:
    app = load_app(reference)
    text = routes_text(app)
    assert text.count("\n\n") == len(app.routes) - 1  # one block per route


def test_the_command_runs_as_a_module_and_refuses_what_it_cannot_load() -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "minifast", "routes", "examples.parameters:app"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    assert "response" in ran.stdout
    with pytest.raises(SystemExit, match="expected module:attribute"):
        load_app("examples.main")
    with pytest.raises(SystemExit, match=r"cannot load examples\.main:nothing"):
        load_app("examples.main:nothing")
