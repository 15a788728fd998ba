"""HTTPEndpoint and WebSocketEndpoint: the same classes on minifast and on Starlette/FastAPI."""

# No `from __future__ import annotations`: classes are built inside functions for two frameworks.

import importlib
import threading
from typing import Any

import anyio
import pytest

from tests.support import FRAMEWORKS, compare, framework, import_from, request


def toolkit(name: str, module: str) -> Any:
    """`minifast.<module>`, or Starlette's for the "fastapi" side (FastAPI reuses them)."""
    framework(name)
    return importlib.import_module(f"{'starlette' if name == 'fastapi' else 'minifast'}.{module}")


def items_endpoint(name: str, threads: list[str] | None = None) -> Any:
    """An endpoint class with an async GET, a sync POST and a HEAD of its own on /items."""
    responses = import_from(name, "responses")

    class Items(toolkit(name, "endpoints").HTTPEndpoint):
        async def get(self, request: Any) -> Any:
            return responses.JSONResponse(
                {"method": request.method, "q": dict(request.query_params)}
            )

        def post(self, request: Any) -> Any:
            if threads is not None:
                threads.append(threading.current_thread().name)
            return responses.PlainTextResponse("created", status_code=201)

    return Items


def build(name: str) -> Any:
    app = framework(name).FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.mount("/items", items_endpoint(name))
    return app


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/items/"),
        ("POST", "/items/"),
        ("HEAD", "/items/"),
        ("DELETE", "/items/"),
        ("PROPFIND", "/items/"),
    ],
    ids=["async-get", "sync-post", "head-is-get", "405-through-app", "unknown-method"],
)
def test_an_endpoint_class_answers_as_on_fastapi(method: str, path: str) -> None:
    ours = compare(build, method, path, query=b"a=1")
    if method in ("DELETE", "PROPFIND"):
        # Raised as HTTPException, so the app's handler shaped it: FastAPI's JSON, and Allow.
        assert (ours.status, ours.body) == (405, b'{"detail":"Method Not Allowed"}')
        assert ours.header("allow") == "GET, HEAD, POST"


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_without_an_app_a_405_is_plain_text(name: str) -> None:
    reply = request(items_endpoint(name), "PUT", "/")  # no "app" in the scope
    assert (reply.status, reply.body) == (405, b"Method Not Allowed")
    assert reply.header("allow") == "GET, HEAD, POST"
    assert reply.header("content-type") == "text/plain; charset=utf-8"


def test_a_sync_handler_runs_in_a_worker_thread() -> None:
    threads: list[str] = []
    reply = request(items_endpoint("minifast", threads), "POST", "/")
    assert (reply.status, reply.body) == (201, b"created")
    assert threads and threads[0] != threading.main_thread().name


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_head_method_of_its_own_is_preferred_to_get(name: str) -> None:
    responses = import_from(name, "responses")

    class WithHead(toolkit(name, "endpoints").HTTPEndpoint):
        def get(self, request: Any) -> Any:
            raise AssertionError("HEAD must not use get")  # pragma: no cover

        def head(self, request: Any) -> Any:
            return responses.Response(headers={"x-head": "1"})

        def query(self, request: Any) -> Any:
            return responses.Response()  # pragma: no cover

    reply = request(WithHead, "HEAD", "/")
    assert (reply.status, reply.header("x-head")) == (200, "1")
    assert request(WithHead, "DELETE", "/").header("allow") == "GET, HEAD, QUERY"


@pytest.mark.parametrize("method", ["DISPATCH", "SEND", "__INIT__"], ids=str.lower)
def test_the_class_machinery_is_not_a_handler(method: str) -> None:
    # Starlette would call these attributes with the request; minifast answers 405.
    reply = request(items_endpoint("minifast"), method, "/")
    assert (reply.status, reply.header("allow")) == (405, "GET, HEAD, POST")


def test_an_http_endpoint_takes_only_http() -> None:
    endpoints = toolkit("minifast", "endpoints")
    with pytest.raises(AssertionError):
        endpoints.HTTPEndpoint({"type": "websocket"}, None, None)
    with pytest.raises(AssertionError):
        endpoints.WebSocketEndpoint({"type": "http"}, None, None)


# WebSocketEndpoint: the endpoint is run on scripted client messages on both frameworks; what
# it sends, the close code its on_disconnect sees and the error it raises must agree.

ECHO_ENCODINGS = [None, "text", "bytes", "json"]


def websocket_endpoint(name: str, encoding: str | None, seen: list[Any]) -> Any:
    class Echo(toolkit(name, "endpoints").WebSocketEndpoint):
        async def on_receive(self, websocket: Any, data: Any) -> None:
            seen.append(data)
            if isinstance(data, bytes):
                await websocket.send_bytes(data)
            elif isinstance(data, str):
                await websocket.send_text(data)
            else:
                await websocket.send_json(data)

        async def on_disconnect(self, websocket: Any, close_code: int) -> None:
            seen.append(("disconnect", close_code))

    Echo.encoding = encoding
    return Echo


def run_websocket(endpoint: Any, incoming: list[dict[str, Any]]) -> tuple[list[Any], Any]:
    """What `endpoint` sent for these client messages, and the error it raised (or None)."""
    scope = {"type": "websocket", "path": "/", "headers": [], "query_string": b""}
    pending = [{"type": "websocket.connect"}, *incoming]
    sent: list[Any] = []

    async def receive() -> Any:
        return pending.pop(0)

    async def send(message: Any) -> None:
        # ASGI: an absent key and its empty default mean the same.
        sent.append({key: value for key, value in message.items() if value not in (None, "", [])})

    try:
        anyio.run(endpoint, scope, receive, send)
    except RuntimeError as error:
        return sent, str(error)
    return sent, None


TEXT = {"type": "websocket.receive", "text": '{"a": 1}'}
BYTES = {"type": "websocket.receive", "bytes": b'{"a": 2}'}
BYTES_WITH_NULL_TEXT = {"type": "websocket.receive", "bytes": b"x", "text": None}
BAD_JSON = {"type": "websocket.receive", "text": "{"}
BYE = {"type": "websocket.disconnect", "code": 1001}
BYE_WITHOUT_CODE = {"type": "websocket.disconnect"}


@pytest.mark.parametrize("encoding", ECHO_ENCODINGS, ids=str)
@pytest.mark.parametrize(
    "incoming",
    [[TEXT, BYE], [BYTES, BYE_WITHOUT_CODE], [BAD_JSON, BYE]],
    ids=["text", "bytes", "bad-json"],
)
def test_a_websocket_endpoint_decodes_as_on_starlette(
    encoding: str | None, incoming: list[dict[str, Any]]
) -> None:
    framework("fastapi")
    results = []
    for name in ("fastapi", "minifast"):
        seen: list[Any] = []
        sent, error = run_websocket(websocket_endpoint(name, encoding, seen), incoming)
        results.append((sent, error, seen))
    assert results[1] == results[0]


@pytest.mark.parametrize(
    ("encoding", "message", "data"),
    [("text", TEXT, '{"a": 1}'), ("bytes", BYTES, b'{"a": 2}'), ("json", BYTES, {"a": 2})],
    ids=["text", "bytes", "json-from-bytes"],
)
def test_each_encoding_hands_on_receive_its_kind(
    encoding: str, message: dict[str, Any], data: Any
) -> None:
    seen: list[Any] = []
    sent, error = run_websocket(websocket_endpoint("minifast", encoding, seen), [message, BYE])
    assert error is None
    assert seen == [data, ("disconnect", 1001)]
    assert sent[0] == {"type": "websocket.accept"}


@pytest.mark.parametrize(
    ("encoding", "message", "error"),
    [
        ("text", BYTES_WITH_NULL_TEXT, "Expected text websocket messages, but got bytes"),
        ("bytes", TEXT, "Expected bytes websocket messages, but got text"),
        ("json", {"type": "websocket.receive", "bytes": b"\xff"}, "Malformed JSON data received."),
    ],
    ids=["text-got-bytes", "bytes-got-text", "json-not-utf8"],
)
def test_data_of_another_kind_closes_with_1003(
    encoding: str, message: dict[str, Any], error: str
) -> None:
    seen: list[Any] = []
    endpoint = websocket_endpoint("minifast", encoding, seen)
    sent, raised = run_websocket(endpoint, [message, BYE])
    assert raised == error
    assert sent == [{"type": "websocket.accept"}, {"type": "websocket.close", "code": 1003}]
    assert seen == [("disconnect", 1011)]  # the error ended the connection


def test_without_encoding_either_kind_is_passed_on() -> None:
    seen: list[Any] = []
    endpoint = websocket_endpoint("minifast", None, seen)
    empty_text = {"type": "websocket.receive", "text": ""}
    _, error = run_websocket(endpoint, [BYTES_WITH_NULL_TEXT, empty_text, BYE_WITHOUT_CODE])
    assert error is None
    assert seen == [b"x", "", ("disconnect", 1000)]


def test_the_default_endpoint_accepts_and_ignores_messages() -> None:
    endpoints = toolkit("minifast", "endpoints")
    sent, error = run_websocket(endpoints.WebSocketEndpoint, [TEXT, BYE])
    assert (sent, error) == ([{"type": "websocket.accept"}], None)


def test_an_unknown_encoding_fails_when_the_class_is_defined() -> None:
    endpoints = toolkit("minifast", "endpoints")
    with pytest.raises(ValueError, match="Unsupported 'encoding' attribute 'xml'"):

        class Xml(endpoints.WebSocketEndpoint):
            encoding = "xml"


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_an_endpoint_class_serves_websockets_through_the_app(name: str) -> None:
    seen: list[Any] = []
    app = framework(name).FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.mount("/ws", websocket_endpoint(name, "json", seen))
    client = import_from("minifast", "testclient").TestClient(app)
    with client.websocket_connect("/ws/") as websocket:
        websocket.send_json({"n": 1})
        assert websocket.receive_json() == {"n": 1}
    assert seen == [{"n": 1}, ("disconnect", 1000)]


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_on_connect_may_refuse_the_connection(name: str) -> None:
    seen: list[Any] = []

    class Refusing(websocket_endpoint(name, None, seen)):
        async def on_connect(self, websocket: Any) -> None:
            await websocket.close(code=1008)

    sent, error = run_websocket(Refusing, [BYE])
    assert (sent, error) == ([{"type": "websocket.close", "code": 1008}], None)
    assert seen == [("disconnect", 1001)]


def build_toolkit(name: str) -> Any:
    """The toolkit app (Starlette's role) with endpoint classes as routes' endpoints."""
    routing = toolkit(name, "routing")
    routes = [
        routing.Route("/items/{id:int}", items_endpoint(name)),
        routing.WebSocketRoute("/ws", websocket_endpoint(name, "text", [])),
    ]
    return toolkit(name, "applications").Starlette(routes=routes)


@pytest.mark.parametrize(
    "method", ["GET", "POST", "HEAD", "DELETE"], ids=["get", "post", "head", "405-plain-text"]
)
def test_a_route_to_an_endpoint_class_answers_as_on_starlette(method: str) -> None:
    ours = compare(build_toolkit, method, "/items/3")
    if method == "DELETE":
        # Starlette's own handler shapes the HTTPException: plain text.
        assert (ours.status, ours.body) == (405, b"Method Not Allowed")
        assert ours.header("allow") == "GET, HEAD, POST"


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_websocket_route_to_an_endpoint_class_echoes(name: str) -> None:
    client = import_from("minifast", "testclient").TestClient(build_toolkit(name))
    with client.websocket_connect("/ws") as websocket:
        websocket.send_text("ping")
        assert websocket.receive_text() == "ping"
