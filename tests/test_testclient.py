"""TestClient drives raw ASGI apps: scopes, bodies, errors, lifespan and websockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest

from minifast.testclient import TestClient, WebSocketDenialResponse
from minifast.types import Message, Receive, Scope, Send
from minifast.websockets import WebSocketDisconnect

App = Callable[[Scope, Receive, Send], Any]


def _jsonable(value: Any) -> Any:
    return value.decode("latin-1") if isinstance(value, bytes) else repr(value)


async def respond(send: Send, status: int = 200, body: bytes = b"", headers: Any = ()) -> None:
    await send({"type": "http.response.start", "status": status, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})


async def read_messages(receive: Receive) -> list[Message]:
    messages = [await receive()]
    while messages[-1].get("more_body"):
        messages.append(await receive())
    return messages


async def echo_scope(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer with the scope (bytes as latin-1) and the request messages, as JSON."""
    messages = await read_messages(receive)
    data = {key: value for key, value in scope.items() if key != "asgi"}
    data["asgi"] = scope["asgi"]
    data["messages"] = messages
    body = json.dumps(data, default=_jsonable).encode()
    await respond(send, body=body, headers=[(b"content-type", b"application/json")])


def client_headers(host: str) -> list[list[str]]:
    return [
        ["host", host],
        ["accept", "*/*"],
        ["accept-encoding", "gzip, deflate"],
        ["connection", "keep-alive"],
        ["user-agent", "testclient"],
    ]


SCOPE_CASES = {
    "defaults": ({}, "/", ("/", "/", "", "http", ["testserver", 80], "")),
    "query-and-encoded-path": (
        {},
        "/a%2520b/c%2Fd?x=1&y=%20z",
        ("/a%20b/c/d", "/a%2520b/c%2Fd", "x=1&y=%20z", "http", ["testserver", 80], ""),
    ),
    "https-default-port": (
        {"base_url": "https://example.com"},
        "/p",
        ("/p", "/p", "", "https", ["example.com", 443], ""),
    ),
    "explicit-port-and-root-path": (
        {"base_url": "http://example.com:8080", "root_path": "/api"},
        "/p",
        ("/p", "/p", "", "http", ["example.com", 8080], "/api"),
    ),
}


@pytest.mark.parametrize(("options", "url", "expected"), SCOPE_CASES.values(), ids=SCOPE_CASES)
def test_http_scope(options: dict[str, Any], url: str, expected: tuple[Any, ...]) -> None:
    path, raw_path, query, scheme, server, root_path = expected
    host = server[0] if server[1] in (80, 443) else f"{server[0]}:{server[1]}"
    response = TestClient(echo_scope, **options).get(url, headers={"X-Foo": "bar"})
    assert response.status_code == 200
    assert response.json() == {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": scheme,
        "server": server,
        "client": ["testclient", 50000],
        "path": path,
        "raw_path": raw_path,
        "query_string": query,
        "root_path": root_path,
        "headers": [*client_headers(host), ["x-foo", "bar"]],
        "state": {},
        "messages": [{"type": "http.request", "body": "", "more_body": False}],
    }


def test_client_options_shape_the_scope() -> None:
    headers = {"User-Agent": "custom", "X-Default": "1"}
    client = TestClient(echo_scope, headers=headers, client=("1.2.3.4", 123))
    data = client.get("/").json()
    assert data["client"] == ["1.2.3.4", 123]
    assert data["headers"][-2:] == [["user-agent", "custom"], ["x-default", "1"]]
    assert headers == {"User-Agent": "custom", "X-Default": "1"}


def chunks() -> Iterator[bytes]:
    yield b"ab"
    yield b"cd"


BODY_CASES = {
    "no-body": ({}, [("", False)]),
    "bytes": ({"content": b"xyz"}, [("xyz", False)]),
    "json": ({"json": {"a": 1}}, [('{"a":1}', False)]),
    "chunked": ({"content": chunks()}, [("ab", True), ("cd", False)]),
    "empty-iterator": ({"content": iter([])}, [("", False)]),
}


@pytest.mark.parametrize(("kwargs", "expected"), BODY_CASES.values(), ids=BODY_CASES)
def test_request_body_is_streamed(kwargs: dict[str, Any], expected: list[Any]) -> None:
    response = TestClient(echo_scope).post("/", **kwargs)
    messages = [{"type": "http.request", "body": b, "more_body": m} for b, m in expected]
    assert response.json()["messages"] == messages


def test_disconnect_waits_for_the_whole_response() -> None:
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()

        async def listen() -> None:
            events.append((await receive())["type"])

        async with anyio.create_task_group() as group:
            group.start_soon(listen)
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for _ in range(5):
                await anyio.sleep(0)
            await send({"type": "http.response.body", "body": b"a", "more_body": True})
            events.append("first-chunk")
            await send({"type": "http.response.body", "body": b"b"})
            events.append("last-chunk")

    assert TestClient(app).get("/").content == b"ab"
    assert events == ["first-chunk", "last-chunk", "http.disconnect"]


async def cookie_app(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    if scope["path"] == "/set":
        await respond(send, headers=[(b"set-cookie", b"session=abc; Path=/")])
    else:
        cookie = dict(scope["headers"]).get(b"cookie", b"")
        await respond(send, body=cookie)


def test_cookies_persist_across_requests() -> None:
    client = TestClient(cookie_app, cookies={"preset": "1"})
    assert client.get("/read").content == b"preset=1"
    client.get("/set")
    assert client.cookies["session"] == "abc"
    assert client.get("/read").content == b"preset=1; session=abc"


async def redirect_app(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    if scope["path"] == "/old":
        await respond(send, status=307, headers=[(b"location", b"/new")])
    else:
        await respond(send, body=scope["path"].encode())


@pytest.mark.parametrize(
    ("follow", "status", "body", "hops"),
    [(True, 200, b"/new", 1), (False, 307, b"", 0)],
    ids=["followed", "not-followed"],
)
def test_redirects(follow: bool, status: int, body: bytes, hops: int) -> None:
    response = TestClient(redirect_app, follow_redirects=follow).get("/old")
    assert (response.status_code, response.content, len(response.history)) == (status, body, hops)


async def raises_before_start(scope: Scope, receive: Receive, send: Send) -> None:
    raise ValueError("before start")


async def returns_without_response(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()


async def raises_after_start(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 201, "headers": [(b"x-a", b"1")]})
    await send({"type": "http.response.body", "body": b"part", "more_body": True})
    raise ValueError("after start")


async def starts_twice(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.start", "status": 200, "headers": []})


async def body_before_start(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.body", "body": b"x"})


async def body_after_end(scope: Scope, receive: Receive, send: Send) -> None:
    await respond(send, body=b"x")
    await send({"type": "http.response.body", "body": b"y"})


async def never_ends_body(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"x", "more_body": True})


SERVER_ERROR_CASES = {
    "raise-before-start": (raises_before_start, ValueError, (500, {}, b"")),
    "no-response": (returns_without_response, AssertionError, (500, {}, b"")),
    "raise-after-start": (raises_after_start, ValueError, (201, {"x-a": "1"}, b"part")),
    "start-twice": (starts_twice, AssertionError, (200, {}, b"")),
    "body-before-start": (body_before_start, AssertionError, (500, {}, b"")),
    "body-after-end": (body_after_end, AssertionError, (200, {}, b"x")),
    "body-never-ends": (never_ends_body, None, (200, {}, b"x")),
}


@pytest.mark.parametrize(
    ("app", "error", "fallback"), SERVER_ERROR_CASES.values(), ids=SERVER_ERROR_CASES
)
def test_raise_server_exceptions(app: App, error: Any, fallback: tuple[Any, ...]) -> None:
    if error is not None:
        with pytest.raises(error):
            TestClient(app).get("/")
    response = TestClient(app, raise_server_exceptions=False).get("/")
    assert (response.status_code, dict(response.headers), response.content) == fallback


def test_unknown_response_messages_are_ignored() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.debug", "info": {}})
        await send({"type": "http.response.body", "body": b"ok"})

    assert TestClient(app).get("/").content == b"ok"


async def body_app(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await respond(send, body=b"hello", headers=[(b"content-length", b"5")])


@pytest.mark.parametrize(("method", "body"), [("GET", b"hello"), ("HEAD", b"")], ids=str)
def test_head_drops_the_body(method: str, body: bytes) -> None:
    response = TestClient(body_app).request(method, "/")
    assert (response.status_code, response.headers["content-length"]) == (200, "5")
    assert response.content == body


def endless_app(events: list[str]) -> App:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            while True:
                await send({"type": "http.response.body", "body": b"x", "more_body": True})
        finally:
            events.append("stopped")

    return app


def test_abandoned_stream_cancels_the_app() -> None:
    events: list[str] = []
    with TestClient(endless_app(events)).stream("GET", "/") as response:
        assert next(response.iter_raw()) == b"x"
    assert events == ["stopped"]


def test_leaving_the_client_cancels_open_streams() -> None:
    events: list[str] = []
    with TestClient(endless_app(events)) as client:
        response = client.send(client.build_request("GET", "/"), stream=True)
        assert next(response.iter_raw()) == b"x"
    assert events == ["stopped"]


def lifespan_app(events: list[str], startup: str = "ok", shutdown: str = "ok") -> App:
    """An app whose lifespan answers as told: "ok", "fail", "fail-raise" or "raise-after"."""

    async def answer(send: Send, event: str, behaviour: str) -> None:
        if behaviour.startswith("fail"):
            await send({"type": f"{event}.failed", "message": f"{event} went wrong"})
            if behaviour == "fail-raise":
                raise ValueError(f"{event} exception")
            return
        await send({"type": f"{event}.complete"})
        if behaviour == "raise-after":
            raise ValueError(f"after {event}")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            events.append((await receive())["type"])
            scope["state"]["db"] = "connected"
            await answer(send, "lifespan.startup", startup)
            events.append((await receive())["type"])
            await answer(send, "lifespan.shutdown", shutdown)
            return
        await receive()
        state = scope["state"]
        events.append(f"request {sorted(state.items())}")
        state["request_only"] = True  # must not leak into the next request's copy
        await respond(send, body=json.dumps(state).encode())

    return app


def test_lifespan_runs_around_requests_and_shares_state() -> None:
    events: list[str] = []
    client = TestClient(lifespan_app(events))
    with client:
        assert client.get("/").json() == {"db": "connected", "request_only": True}
        client.get("/")
    assert events == [
        "lifespan.startup",
        "request [('db', 'connected')]",
        "request [('db', 'connected')]",
        "lifespan.shutdown",
    ]
    with client:  # like Starlette's, the client may be entered again
        pass
    assert events[-2:] == ["lifespan.startup", "lifespan.shutdown"]


LIFESPAN_FAILURES = {
    "startup-failed-raise": ({"startup": "fail-raise"}, ValueError, "lifespan.startup exception"),
    "startup-failed": ({"startup": "fail"}, RuntimeError, "lifespan.startup went wrong"),
    "shutdown-failed-raise": ({"shutdown": "fail-raise"}, ValueError, "shutdown exception"),
    "shutdown-failed": ({"shutdown": "fail"}, RuntimeError, "lifespan.shutdown went wrong"),
    "raise-after-startup": ({"startup": "raise-after"}, ValueError, "after lifespan.startup"),
    "raise-after-shutdown": ({"shutdown": "raise-after"}, ValueError, "after lifespan.shutdown"),
}


@pytest.mark.parametrize(
    ("behaviour", "error", "text"), LIFESPAN_FAILURES.values(), ids=LIFESPAN_FAILURES
)
def test_lifespan_failures_are_raised(behaviour: dict[str, str], error: Any, text: str) -> None:
    with pytest.raises(error, match=text), TestClient(lifespan_app([], **behaviour)):
        pass


def test_failed_lifespan_message_type_is_reported() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed"})

    with pytest.raises(RuntimeError, match=r"^lifespan\.startup\.failed$"), TestClient(app):
        pass


async def rejects_lifespan(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        raise RuntimeError("lifespan unsupported")
    await body_app(scope, receive, send)


def test_app_raising_on_lifespan_fails_startup() -> None:
    with pytest.raises(RuntimeError, match="lifespan unsupported"), TestClient(rejects_lifespan):
        pass


def test_app_returning_on_lifespan_has_no_lifespan() -> None:
    with TestClient(endless_app([])) as client, client.stream("GET", "/") as response:
        assert next(response.iter_raw()) == b"x"


def test_requests_share_the_lifespan_event_loop_only_inside_with() -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        loops.append(asyncio.get_running_loop())
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        await respond(send)

    client = TestClient(app)
    client.get("/")
    client.get("/")
    assert loops[0] is not loops[1]
    with client:
        client.get("/")
    assert loops[2] is loops[3]


def test_backend_options_reach_the_event_loop() -> None:
    made: list[asyncio.AbstractEventLoop] = []

    def loop_factory() -> asyncio.AbstractEventLoop:
        made.append(asyncio.new_event_loop())
        return made[-1]

    client = TestClient(body_app, backend_options={"loop_factory": loop_factory})
    assert client.get("/").content == b"hello"
    assert len(made) == 1


@pytest.mark.anyio
async def test_same_app_runs_on_httpx_asgi_transport() -> None:
    # httpx types ASGI messages as MutableMapping, minifast (read-only use) as Mapping.
    transport = httpx.ASGITransport(app=echo_scope)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        data = (await client.get("/a%20b?q=1")).json()
    assert (data["path"], data["raw_path"], data["query_string"]) == ("/a b", "/a%20b", "q=1")
    assert TestClient(echo_scope).get("/a%20b?q=1").json()["path"] == data["path"]


def websocket_echo(received: list[Message]) -> App:
    """Accept, echo every message back, and record what arrived (the scope first)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        received.append(json.loads(json.dumps(scope, default=_jsonable)))
        received.append(await receive())
        accept = {"type": "websocket.accept", "subprotocol": "b", "headers": [(b"x-h", b"1")]}
        await send(accept)
        while (message := await receive())["type"] == "websocket.receive":
            await send({**message, "type": "websocket.send"})
        received.append(message)

    return app


def test_websocket_session_echoes_messages() -> None:
    received: list[Message] = []
    client = TestClient(websocket_echo(received), base_url="https://testserver")
    with client.websocket_connect("/ws?q=1", subprotocols=["a", "b"], headers={"X-Y": "z"}) as ws:
        assert (ws.accepted_subprotocol, ws.extra_headers) == ("b", [(b"x-h", b"1")])
        ws.send_text("hi")
        assert ws.receive_text() == "hi"
        ws.send_bytes(b"\x00")
        assert ws.receive_bytes() == b"\x00"
        ws.send_json({"a": "é"})
        assert ws.receive_json() == {"a": "é"}
        ws.send_json([1], mode="binary")
        assert ws.receive_json(mode="binary") == [1]
        ws.close(1001, "bye")
    scope, connect, disconnect = received
    assert scope["type"] == "websocket"
    assert (scope["scheme"], scope["server"], scope["path"]) == ("wss", ["testserver", 443], "/ws")
    assert (scope["query_string"], scope["subprotocols"]) == ("q=1", ["a", "b"])
    assert scope["headers"][-4:] == [
        ["connection", "upgrade"],
        ["sec-websocket-key", "testserver=="],
        ["sec-websocket-version", "13"],
        ["sec-websocket-protocol", "a, b"],
    ]
    assert (scope["state"], scope["extensions"]) == ({}, {"websocket.http.response": {}})
    assert connect == {"type": "websocket.connect"}
    assert disconnect == {"type": "websocket.disconnect", "code": 1001, "reason": "bye"}


def test_leaving_a_websocket_session_disconnects_the_app() -> None:
    received: list[Message] = []
    with TestClient(websocket_echo(received)) as client, client.websocket_connect("/") as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "hi"
    assert received[-1] == {"type": "websocket.disconnect", "code": 1000, "reason": None}


async def closes_before_accept(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "websocket.close", "code": 4001, "reason": "nope"})


async def closes_after_accept(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": 1001})


async def returns_after_accept(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "websocket.accept"})


@pytest.mark.parametrize(
    ("app", "code", "reason"),
    [(closes_before_accept, 4001, "nope"), (returns_after_accept, 1006, "")],
    ids=["close-before-accept", "return-after-accept"],
)
def test_websocket_closed_by_app(app: App, code: int, reason: str) -> None:
    with pytest.raises(WebSocketDisconnect) as caught, TestClient(app).websocket_connect("/") as ws:
        ws.receive_text()
    assert (caught.value.code, caught.value.reason) == (code, reason)


def test_websocket_close_after_accept() -> None:
    with TestClient(closes_after_accept).websocket_connect("/") as ws:
        with pytest.raises(WebSocketDisconnect) as caught:
            ws.receive_text()
        assert (caught.value.code, caught.value.reason) == (1001, "")


async def denies_with_http(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    start = {"type": "websocket.http.response.start", "status": 403, "headers": [(b"x-d", b"1")]}
    await send(start)
    await send({"type": "websocket.http.response.body", "body": b"no", "more_body": True})
    await send({"type": "websocket.http.response.body", "body": b"pe"})


def test_websocket_denial_response() -> None:
    client = TestClient(denies_with_http)
    with pytest.raises(WebSocketDenialResponse) as caught, client.websocket_connect("/"):
        pass
    assert isinstance(caught.value, WebSocketDisconnect)
    assert (caught.value.status_code, caught.value.content) == (403, b"nope")
    assert caught.value.headers["x-d"] == "1"


async def raises_before_accept(scope: Scope, receive: Receive, send: Send) -> None:
    raise ValueError("before accept")


async def raises_on_message(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await receive()
    raise ValueError("on message")


async def raises_on_disconnect(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await receive()
    raise ValueError("on disconnect")


@pytest.mark.parametrize(
    ("app", "send_first"),
    [(raises_before_accept, False), (raises_on_message, True), (raises_on_disconnect, False)],
    ids=["before-accept", "while-receiving", "on-disconnect"],
)
def test_websocket_app_errors_are_raised(app: App, send_first: bool) -> None:
    with pytest.raises(ValueError), TestClient(app).websocket_connect("/") as ws:
        if send_first:
            ws.send_text("x")
            ws.receive_text()


def test_test_failure_wins_over_websocket_app_error() -> None:
    with pytest.raises(KeyError), TestClient(raises_on_message).websocket_connect("/") as ws:
        ws.send_text("x")
        raise KeyError("test failed first")
