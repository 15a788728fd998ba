"""Websocket routes: parameters, dependencies, routers; conversations as FastAPI holds them."""

# No `from __future__ import annotations`: apps are built inside functions.

import functools
import importlib
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import pytest

from minifast import APIRouter, Depends, FastAPI, Header, HTTPException, WebSocket
from minifast.exceptions import FastAPIError
from minifast.responses import JSONResponse
from minifast.routing import (
    APIRoute,
    APIWebSocketRoute,
    Match,
    Mount,
    NoMatchFound,
    Route,
    WebSocketRoute,
)
from minifast.testclient import TestClient, WebSocketDenialResponse
from minifast.websockets import WebSocketDisconnect
from tests.support import FRAMEWORKS, framework


@functools.cache
def build(name: str) -> Any:
    """A chat-like app with path, query, header and `yield` dependency parameters.

    minifast's TestClient drives it on either framework.
    """
    fw = framework(name)
    app = fw.FastAPI()
    log: list[str] = []
    app.state.log = log

    async def session() -> AsyncIterator[str]:
        log.append("open")
        yield "session"
        log.append("close")

    @app.websocket("/rooms/{room}")
    async def room(
        websocket: fw.WebSocket,
        room: int,
        nick: str,
        session: Annotated[str, fw.Depends(session)],
        x_client: Annotated[str, fw.Header()] = "none",
    ) -> None:
        await websocket.accept()
        await websocket.send_json({"room": room, "nick": nick, "client": x_client, "s": session})
        async for text in websocket.iter_text():
            await websocket.send_text(f"{nick}: {text}")

    return app


def converse(name: str, url: str, **kwargs: Any) -> tuple[list[Any], list[str]]:
    """Connect, read the greeting, send two lines, read their echoes; the app's log after."""
    app = build(name)
    app.state.log.clear()
    with TestClient(app).websocket_connect(url, **kwargs) as websocket:
        heard = [websocket.receive_json()]
        for line in ("hi", "bye"):
            websocket.send_text(line)
            heard.append(websocket.receive_text())
    return heard, list(app.state.log)


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_websocket_parameters_and_dependencies(name: str) -> None:
    heard, log = converse(name, "/rooms/7?nick=ann", headers={"x-client": "cli"})
    assert heard == [
        {"room": 7, "nick": "ann", "client": "cli", "s": "session"},
        "ann: hi",
        "ann: bye",
    ]
    assert log == ["open", "close"]


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_invalid_websocket_parameters_close_with_policy_violation(name: str) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as raised,
        TestClient(build(name)).websocket_connect("/rooms/x"),
    ):
        pass  # pragma: no cover - the handshake is refused
    assert raised.value.code == 1008
    # FastAPI sends the error list itself as the close reason; minifast sends it as JSON text,
    # since ASGI wants a string there.
    reason = raised.value.reason
    errors = reason if name == "fastapi" else json.loads(reason)
    assert [(error["type"], error["loc"]) for error in errors] == [
        ("int_parsing", ["path", "room"]),
        ("missing", ["query", "nick"]),
    ]


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_unknown_websocket_path_is_closed(name: str) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as raised,
        TestClient(build(name)).websocket_connect("/nowhere"),
    ):
        pass  # pragma: no cover - the handshake is refused
    assert raised.value.code == 1000


def test_router_prefix_and_dependencies_reach_websockets() -> None:
    seen: list[str] = []

    def audit(x_user: Annotated[str, Header()]) -> None:
        seen.append(x_user)

    router = APIRouter(prefix="/ws", dependencies=[Depends(audit)])

    @router.websocket("/echo", name="echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())

    async def plain(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("plain")
        await websocket.close()

    router.add_websocket_route("/plain", plain, name="plain")
    app = FastAPI()
    app.include_router(router, prefix="/v1", dependencies=[Depends(audit)])
    client = TestClient(app)
    with client.websocket_connect("/v1/ws/echo", headers={"x-user": "ann"}) as websocket:
        websocket.send_text("ping")
        assert websocket.receive_text() == "ping"
    assert seen == ["ann"]  # cached: the same dependency twice is called once
    with client.websocket_connect("/v1/plain") as websocket:
        assert websocket.receive_text() == "plain"
    assert app.url_path_for("echo") == "/v1/ws/echo"
    assert app.url_path_for("echo").protocol == "websocket"
    assert app.url_path_for("plain").protocol == "websocket"
    kinds = {type(route) for route in app.routes}
    assert {APIWebSocketRoute, WebSocketRoute} <= kinds


def test_app_level_websocket_helpers() -> None:
    app = FastAPI()

    async def hello(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    app.add_websocket_route("/hello", hello)
    app.add_api_websocket_route("/api-hello", hello, name="api_hello")
    client = TestClient(app)
    for path in ("/hello", "/api-hello"):
        with client.websocket_connect(path) as websocket:
            assert websocket.receive_text() == "hello"
    with pytest.raises(NoMatchFound):
        app.url_path_for("api_hello", extra="x")


def test_websocket_dependency_overrides() -> None:
    app = FastAPI()

    def user() -> str:
        return "real"

    @app.websocket("/me")
    async def me(websocket: WebSocket, who: Annotated[str, Depends(user)]) -> None:
        await websocket.accept()
        await websocket.send_text(who)

    app.dependency_overrides[user] = lambda: "fake"
    with TestClient(app).websocket_connect("/me") as websocket:
        assert websocket.receive_text() == "fake"


def test_websocket_may_not_read_a_body() -> None:
    from pydantic import BaseModel

    class Item(BaseModel):
        name: str

    app = FastAPI()
    with pytest.raises(FastAPIError, match="cannot read a request body"):

        @app.websocket("/items")
        async def items(websocket: WebSocket, item: Item) -> None:
            pass  # pragma: no cover - refused at registration


def test_websocket_path_is_not_an_http_route() -> None:
    app = FastAPI()

    @app.websocket("/only-ws")
    async def only(websocket: WebSocket) -> None:
        await websocket.accept()  # pragma: no cover - never reached over http

    assert TestClient(app).get("/only-ws").status_code == 404


def test_disconnect_reaches_the_endpoint() -> None:
    app = FastAPI()
    codes: list[int] = []

    @app.websocket("/wait")
    async def wait(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            await websocket.receive_text()
        except WebSocketDisconnect as gone:
            codes.append(gone.code)

    with TestClient(app).websocket_connect("/wait") as websocket:
        websocket.close(1001)
    assert codes == [1001]


def test_a_misspelt_route_option_is_refused() -> None:
    app = FastAPI()
    with pytest.raises(TypeError, match="unknown route options respones_model"):
        app.get("/", respones_model=int)(lambda: 1)  # type: ignore[call-arg]


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_websocket_can_be_refused_with_an_http_response(name: str) -> None:
    fw = framework(name)
    responses = importlib.import_module(f"{name}.responses")
    app = fw.FastAPI()

    @app.websocket("/private")
    async def private(websocket: fw.WebSocket, token: str = "") -> None:
        if token != "secret":
            refusal = responses.JSONResponse({"detail": "forbidden"}, status_code=403)
            await websocket.send_denial_response(refusal)
            return
        await websocket.accept()
        await websocket.send_text("welcome")

    client = TestClient(app)
    with pytest.raises(WebSocketDenialResponse) as refused, client.websocket_connect("/private"):
        pass  # pragma: no cover - the handshake is refused
    assert (refused.value.status_code, refused.value.json()) == (403, {"detail": "forbidden"})
    with client.websocket_connect("/private?token=secret") as websocket:
        assert websocket.receive_text() == "welcome"


def test_denial_needs_the_servers_extension() -> None:
    scope = {"type": "websocket", "path": "/", "headers": [], "query_string": b""}
    websocket = WebSocket(scope, None, None)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="denial response extension"):
        anyio.run(websocket.send_denial_response, JSONResponse({}))


def test_plain_route_decorators_on_app_and_router() -> None:
    app = FastAPI()
    router = APIRouter()

    @app.websocket_route("/hello", name="hello")
    async def hello(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    @router.route("/plain", methods=["POST"])
    async def plain(request: Any) -> JSONResponse:
        return JSONResponse({"method": request.method})

    app.include_router(router)
    client = TestClient(app)
    with client.websocket_connect("/hello") as websocket:
        assert websocket.receive_text() == "hello"
    assert client.post("/plain").json() == {"method": "POST"}
    assert app.url_path_for("hello") == "/hello"


def test_an_http_exception_refuses_a_websocket_with_its_answer() -> None:
    app = FastAPI()

    def deny() -> None:
        raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})

    @app.websocket("/private", dependencies=[Depends(deny)])
    async def private(websocket: WebSocket) -> None:  # pragma: no cover - refused first
        await websocket.accept()

    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        TestClient(app).websocket_connect("/private"),
    ):
        pass  # pragma: no cover - refused first
    assert refused.value.status_code == 401
    assert refused.value.json() == {"detail": "Not authenticated"}
    assert refused.value.headers["www-authenticate"] == "Bearer"


def test_router_route_class_is_kept_through_inclusion() -> None:
    class TaggedRoute(APIRoute):
        tag = "tagged"

    router = APIRouter(route_class=TaggedRoute)

    @router.get("/item")
    def item() -> int:
        return 1

    app = FastAPI()
    app.include_router(router, prefix="/api")

    found = [route for route in app.routes if getattr(route, "path", "") == "/api/item"]
    assert [type(route) for route in found] == [TaggedRoute]
    assert TestClient(app).get("/api/item").json() == 1


async def _answer(request: Any) -> JSONResponse:
    return JSONResponse(None)  # pragma: no cover - only matched, never called


def _scope(kind: str, path: str, method: str = "GET") -> dict[str, Any]:
    return {"type": kind, "path": path, "method": method, "path_params": {"outer": 1}}


@pytest.mark.parametrize(
    ("route", "scope", "match", "params"),
    [
        (Route("/items/{item_id:int}", _answer), _scope("http", "/items/3"), Match.FULL,
         {"outer": 1, "item_id": 3}),
        (Route("/items/{item_id:int}", _answer), _scope("http", "/items/3", "POST"),
         Match.PARTIAL, {"outer": 1, "item_id": 3}),
        (Route("/items/{item_id:int}", _answer), _scope("http", "/items/x"), Match.NONE, None),
        (Route("/items/{item_id:int}", _answer), _scope("websocket", "/items/3"), Match.NONE,
         None),
        (WebSocketRoute("/ws", JSONResponse), _scope("websocket", "/ws"), Match.FULL,
         {"outer": 1}),
        (Mount("/static/{version}", JSONResponse), _scope("http", "/static/v1/a/b"), Match.FULL,
         {"outer": 1, "version": "v1"}),
        (Mount("/static", JSONResponse), _scope("http", "/other/a"), Match.NONE, None),
    ],
    ids=["full", "partial", "no-path", "wrong-type", "websocket", "mount", "mount-miss"],
)  # fmt: skip
def test_a_single_route_answers_starlettes_matches(
    route: Any, scope: dict[str, Any], match: Match, params: dict[str, Any] | None
) -> None:
    found, child = route.matches(scope)

    assert found is match
    assert child.get("path_params") == params


def _wrapping_app(name: str, log: list[str]) -> Any:
    """An app whose routes go through a route class that wraps the handler (FastAPI's hook)."""
    fw = framework(name)
    routing = importlib.import_module(f"{name}.routing")

    class ShoutingRequest(fw.Request):  # "hi" in the body read as "HI", cached as Starlette
        async def body(self) -> bytes:
            if not hasattr(self, "_body"):
                self._body = (await super().body()).replace(b"hi", b"HI")
            return self._body

    class WrappingRoute(routing.APIRoute):
        def get_route_handler(self) -> Any:
            handler = super().get_route_handler()

            async def wrapped(request: Any) -> Any:
                log.append("handler in")
                request = ShoutingRequest(request.scope, request.receive)
                try:
                    response = await handler(request)
                except fw.exceptions.RequestValidationError as error:
                    body = (await request.body()).decode()
                    raise fw.HTTPException(422, {"body": body, "n": len(error.errors())}) from None
                log.append("handler out")
                response.headers["x-wrapped"] = type(self).__name__
                return response

            return wrapped

    def dependency() -> Any:
        log.append("enter")
        yield "original"
        log.append("exit")

    router = fw.APIRouter(route_class=WrappingRoute)

    @router.post("/echo")
    def echo(
        request: fw.Request, text: Annotated[str, fw.Body(embed=True)], value: Any = None
    ) -> dict[str, str]:
        return {"class": type(request).__name__, "text": text}

    @router.get("/value")
    def value(value: Annotated[str, fw.Depends(dependency)]) -> str:
        log.append("endpoint")
        return value

    app = fw.FastAPI()
    app.include_router(router, prefix="/api")
    app.state.dependency = dependency
    return app


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_route_class_wraps_the_request_handler(name: str) -> None:
    log: list[str] = []
    client = TestClient(_wrapping_app(name, log))
    answer = client.post("/api/echo", json={"text": "hi"})
    assert (answer.status_code, answer.json()) == (200, {"class": "ShoutingRequest", "text": "HI"})
    assert answer.headers["x-wrapped"] == "WrappingRoute"
    refused = client.post("/api/echo", json={"other": "hi"})
    assert (refused.status_code, refused.json()) == (
        422, {"detail": {"body": '{"other":"HI"}', "n": 1}},
    )  # fmt: skip


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_wrapped_handler_keeps_yield_exits_and_live_overrides(name: str) -> None:
    log: list[str] = []
    app = _wrapping_app(name, log)
    client = TestClient(app)
    assert client.get("/api/value").json() == "original"
    # The request-scope exit runs after the wrapped handler returned, once the answer is sent.
    assert log == ["handler in", "enter", "endpoint", "handler out", "exit"]
    app.dependency_overrides[app.state.dependency] = lambda: "overridden"
    assert client.get("/api/value").json() == "overridden"


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_wrapped_handler_with_function_scope_exits_before_sending(name: str) -> None:
    fw = framework(name)
    log: list[str] = []

    class LoggedRoute(importlib.import_module(f"{name}.routing").APIRoute):
        def get_route_handler(self) -> Any:
            handler = super().get_route_handler()

            async def wrapped(request: Any) -> Any:
                response = await handler(request)
                log.append("returned")
                return response

            return wrapped

    def dependency() -> Any:
        yield
        log.append("exit")

    def swallowing() -> Any:
        try:
            yield
        except ValueError:
            log.append("swallowed")

    app = fw.FastAPI()
    app.router.route_class = LoggedRoute

    @app.get("/", dependencies=[fw.Depends(dependency, scope="function")])
    def read() -> int:
        return 1

    @app.get("/fails", dependencies=[fw.Depends(swallowing)])
    def fails() -> int:
        raise ValueError

    assert TestClient(app).get("/").json() == 1
    assert log == ["returned", "exit"]  # COMPAT: FastAPI exits after the wrapper returns
    with pytest.raises(fw.exceptions.FastAPIError, match="dependency with yield"):
        TestClient(app).get("/fails")
    assert log[-1] == "swallowed"


def test_a_path_operations_app_is_its_handler_and_can_be_wrapped() -> None:
    """The routing protocol's `route.app`; a wrapper set there handles the requests."""
    from minifast import FastAPI
    from tests.support import request as send_request

    app = FastAPI()

    @app.get("/")
    async def home() -> str:
        return "home"

    route = app.routes[-1]
    assert route.app == route.handle
    assert "app" not in vars(route)  # no bound method of its own kept: no reference cycle
    seen: list[str] = []
    inner = route.app

    async def wrapper(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await inner(scope, receive, send)

    route.app = wrapper
    assert send_request(app, "GET", "/").body == b'"home"'
    assert seen == ["/"]
