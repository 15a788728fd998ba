"""What a client can send to break an app: each gets a 4xx with a JSON `detail`, never a 500.

Each case is a request an attacker could make. TestClient re-raises any exception the app lets
escape, so a case that reached a 500 would fail here with the exception itself. Where FastAPI
answers differently, a case also runs on FastAPI to show the difference (docs/compatibility.md
lists them; docs/reliability.md runs all of them on both).
"""

# No `from __future__ import annotations`: endpoints are built inside functions for two
# frameworks, and string annotations could not resolve their local names.

import json
from pathlib import Path
from typing import Annotated, Any

import anyio
import pytest
from pydantic import BaseModel

from minifast import Body, FastAPI, File, Request, WebSocket
from minifast._json_body import LONE_SURROGATE, MAX_DEPTH, NOT_A_NUMBER, TOO_DEEP
from minifast.plain_routes import Route
from minifast.responses import FileResponse, PlainTextResponse, StreamingResponse
from minifast.router import Router
from minifast.testclient import TestClient
from minifast.toolkit import Starlette
from minifast.websockets import WebSocketDisconnect
from tests.support import call_asgi, framework, http_scope

JSON = {"content-type": "application/json"}


class Item(BaseModel):
    name: str
    price: float = 0


def body_app() -> FastAPI:
    """Endpoints that take a JSON body and keep the last one, as a store would."""
    app = FastAPI()
    stored: list[Any] = []

    @app.post("/any")
    async def take_any(body: Annotated[Any, Body()]) -> dict[str, str]:
        stored.append(body)
        return {"kind": type(body).__name__}

    @app.get("/last")
    async def last():  # type: ignore[no-untyped-def]  # no model: written by JSONResponse
        return stored[-1]

    @app.post("/items")
    async def take_item(item: Item) -> Item:
        return item

    @app.post("/upload")
    async def upload(data: Annotated[bytes, File(max_length=4)]) -> int:
        return len(data)

    return app


def nested(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.fixture
def client() -> TestClient:
    return TestClient(body_app())


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("/any", nested(100_000, "array"), id="array-100k"),
        pytest.param("/any", nested(100_000, "object"), id="object-100k"),
        pytest.param("/any", nested(MAX_DEPTH + 100, "array"), id="array-past-limit"),
        pytest.param("/items", nested(500, "array"), id="to-a-model-500"),
        pytest.param("/items", b"[" + nested(500, "object") + b"]", id="inside-a-list"),
        pytest.param("/any", nested(300, "array").decode().encode("utf-16"), id="utf16-300"),
        pytest.param("/any", nested(300, "object") + b"x", id="deep-and-malformed"),
        pytest.param("/any", nested(100_000, "array").decode().encode("utf-16"), id="utf16-100k"),
    ],
)
def test_deep_json_is_refused_with_its_own_error(client: TestClient, path: str, body: bytes):
    answer = client.post(path, content=body, headers=JSON)
    assert (answer.status_code, answer.json()) == (400, {"detail": TOO_DEEP})


@pytest.mark.parametrize("kind", ["array", "object"])
def test_json_at_the_depth_limit_is_read(client: TestClient, kind: str) -> None:
    answer = client.post("/any", content=nested(MAX_DEPTH, kind), headers=JSON)
    assert answer.json() == {"kind": "list" if kind == "array" else "dict"}
    deep = client.get("/last").content
    assert deep.count(b"[" if kind == "array" else b"{") == MAX_DEPTH


def test_the_422_of_a_deep_input_is_rendered(client: TestClient) -> None:
    """Rendering an error walks the rejected input: the depth limit bounds that walk."""
    body = b"[" + nested(MAX_DEPTH - 1, "array") + b"]"
    answer = client.post("/items", content=body, headers=JSON)
    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert error["type"] == "model_attributes_type"
    assert json.dumps(error["input"], separators=(",", ":")).encode() == body


@pytest.mark.parametrize(
    "body",
    [b"NaN", b"[Infinity]", b'{"name":"x","price":-Infinity}'],
    ids=["nan", "infinity", "minus-infinity"],
)
def test_nan_and_infinity_are_refused(client: TestClient, body: bytes) -> None:
    answer = client.post("/any", content=body, headers=JSON)
    assert (answer.status_code, answer.json()) == (400, {"detail": NOT_A_NUMBER})


def test_a_number_past_float_range_is_answered_as_null(client: TestClient) -> None:
    """`1e400` is valid JSON and reads as infinity: stored, it is answered as `null`."""
    assert client.post("/any", content=b'{"x":[1e400,-1e400,2.5]}', headers=JSON).is_success
    assert client.get("/last").json() == {"x": [None, None, 2.5]}


@pytest.mark.parametrize(
    "body",
    [b'"\\ud800"', b'{"\\udfff":1}', b'["ok", {"a": "x\\ud83d"}]', '"\\udc00"'.encode("utf-16")],
    ids=["string", "key", "nested", "utf16-body"],
)
def test_a_lone_surrogate_is_refused(client: TestClient, body: bytes) -> None:
    answer = client.post("/any", content=body, headers=JSON)
    assert (answer.status_code, answer.json()) == (400, {"detail": LONE_SURROGATE})


def test_a_surrogate_pair_is_text(client: TestClient) -> None:
    assert client.post("/any", content=b'"\\ud83d\\ude00"', headers=JSON).is_success
    assert client.get("/last").json() == "\U0001f600"


@pytest.mark.parametrize(
    "headers", [{"content-type": "text/plain"}, {}], ids=["text-plain", "no-content-type"]
)
def test_a_body_that_is_not_utf8_gets_its_422(client: TestClient, headers: Any) -> None:
    answer = client.post("/items", content=b"\xff\xfe\xfa", headers=headers)
    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert (error["type"], error["input"]) == ("model_attributes_type", "\ufffd" * 3)


def test_a_binary_upload_past_its_limit_gets_its_422(client: TestClient) -> None:
    answer = client.post("/upload", files={"data": ("a.bin", b"\x80\x81\xff\xfe\x00")})
    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert (error["type"], error["input"]) == ("bytes_too_long", "\ufffd" * 4 + "\x00")


def path_app(name: str) -> Any:
    app = framework(name).FastAPI()

    @app.get("/text/{word}")
    async def text(word: str) -> str:
        return word

    @app.get("/numbers/{number:int}")
    async def number(number: int) -> int:
        return number % 10

    @app.get("/ratios/{ratio:float}")
    async def ratio(ratio: float) -> float:
        return ratio

    return app


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/text/%ff", 400, id="percent-ff"),
        pytest.param("/text/a%c3", 400, id="cut-sequence"),
        pytest.param("/text/%ed%a0%80", 400, id="encoded-surrogate"),
        pytest.param("/nowhere/%ff", 400, id="no-route"),
        pytest.param("/text/%ef%bf%bd", 200, id="real-replacement-character"),
        pytest.param("/text/%c3%a9", 200, id="utf8"),
    ],
)
def test_a_path_that_is_not_utf8_is_refused(path: str, status: int) -> None:
    answer = TestClient(path_app("minifast")).get(path)
    assert answer.status_code == status
    if status == 400:
        assert answer.json() == {"detail": "Invalid path: its percent-encoded bytes are not UTF-8"}


def test_fastapi_routes_a_path_that_is_not_utf8() -> None:
    """The difference: FastAPI hands the endpoint U+FFFD in place of the byte."""
    answer = TestClient(path_app("fastapi")).get("/text/%ff")
    assert (answer.status_code, answer.json()) == (200, "\ufffd")


@pytest.mark.parametrize("decoded", ["/text/\udcff", "/text/\ufffd"], ids=["surrogate", "fffd"])
def test_a_path_decoded_with_surrogates_is_refused(decoded: str) -> None:
    """A server may keep undecodable bytes as surrogates; no answer could carry them back."""
    scope = http_scope("GET", "/")
    scope.update(path=decoded, raw_path=b"/text/%ff")
    answer = anyio.run(call_asgi, path_app("minifast"), scope)
    assert (answer.status, json.loads(answer.body)["detail"]) == (
        400,
        "Invalid path: its percent-encoded bytes are not UTF-8",
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/numbers/" + "7" * 5000, 404, id="int-5000-digits"),
        pytest.param("/numbers/" + "7" * 5000 + "/more", 404, id="int-5000-digits-no-route"),
        pytest.param("/numbers/" + "7" * 4300, 200, id="int-4300-digits"),
        pytest.param("/ratios/" + "9" * 309, 404, id="float-309-digits"),
        pytest.param("/ratios/" + "9" * 308 + ".5", 200, id="float-308-digits"),
    ],
)
def test_a_huge_number_in_the_path_matches_no_route(path: str, status: int) -> None:
    assert TestClient(path_app("minifast")).get(path).status_code == status


def test_fastapi_fails_on_a_huge_int_path_segment() -> None:
    with pytest.raises(ValueError, match="4300 digits"):
        TestClient(path_app("fastapi")).get("/numbers/" + "7" * 5000)


@pytest.mark.parametrize("target", ["missing.txt", "folder"], ids=["missing", "directory"])
def test_a_file_response_without_a_file_is_a_404(tmp_path: Path, target: str) -> None:
    (tmp_path / "folder").mkdir()
    app = FastAPI()

    @app.get("/files/{name}")
    async def serve(name: str) -> FileResponse:
        return FileResponse(tmp_path / name)

    answer = TestClient(app).get(f"/files/{target}")
    assert (answer.status_code, answer.json()) == (404, {"detail": "Not Found"})


def disconnecting(chunks: int) -> Any:
    """`receive` for a client that sends `chunks` body chunks, then goes away."""
    messages = [{"type": "http.request", "body": b"{", "more_body": True}] * chunks

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    return receive


@pytest.mark.parametrize("chunks", [0, 2], ids=["before-the-body", "mid-body"])
def test_a_client_gone_mid_body_is_no_server_error(chunks: int) -> None:
    app = body_app()
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = http_scope("POST", "/items", headers=[(b"content-type", b"application/json")])
    anyio.run(app, scope, disconnecting(chunks), send)  # nothing raised
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"]) == {"detail": "Client disconnected"}


def test_a_client_gone_after_the_answer_started_is_quiet() -> None:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> StreamingResponse:
        async def chunks() -> Any:
            yield b"start"
            async for chunk in request.stream():
                yield chunk  # pragma: no cover - the client is gone first

        return StreamingResponse(chunks())

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    anyio.run(app, http_scope("POST", "/echo"), disconnecting(0), send)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]


def socket_app() -> FastAPI:
    app = FastAPI()

    @app.websocket("/text")
    async def text(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())

    @app.websocket("/bytes")
    async def binary(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_bytes(await websocket.receive_bytes())

    @app.websocket("/json")
    async def as_json(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(await websocket.receive_json(mode="binary"))

    return app


@pytest.mark.parametrize(
    ("path", "frame", "code", "reason"),
    [
        pytest.param("/text", b"\x01", 1003, "Expected a text frame", id="binary-to-text"),
        pytest.param("/bytes", "hi", 1003, "Expected a binary frame", id="text-to-bytes"),
        pytest.param("/json", "{}", 1003, "Expected a binary frame", id="text-to-binary-json"),
        pytest.param("/json", b"\xff", 1007, "Expected UTF-8 JSON", id="binary-json-not-utf8"),
    ],
)
def test_a_websocket_frame_of_the_wrong_kind_closes_it(
    path: str, frame: str | bytes, code: int, reason: str
) -> None:
    with TestClient(socket_app()).websocket_connect(path) as websocket:
        if isinstance(frame, bytes):
            websocket.send_bytes(frame)
        else:
            websocket.send_text(frame)
        with pytest.raises(WebSocketDisconnect) as closed:
            websocket.receive_text()
    assert (closed.value.code, closed.value.reason) == (code, reason)


def test_the_right_frames_still_echo() -> None:
    client = TestClient(socket_app())
    with client.websocket_connect("/text") as websocket:
        websocket.send_text("hi")
        assert websocket.receive_text() == "hi"
    with client.websocket_connect("/json") as websocket:
        websocket.send_bytes(b'{"a":1}')
        assert websocket.receive_json() == {"a": 1}


TWO_HOSTS = [(b"host", b"testserver"), (b"host", b"evil.example")]


def test_two_host_headers_are_refused() -> None:
    scope = http_scope("GET", "/text/a")
    scope["headers"] = TWO_HOSTS
    answer = anyio.run(call_asgi, path_app("minifast"), scope)
    assert (answer.status, json.loads(answer.body)) == (
        400,
        {"detail": "More than one Host header"},
    )


@pytest.mark.parametrize("kind", ["app", "bare-router"])
def test_two_host_headers_are_refused_by_the_toolkit_too(kind: str) -> None:
    async def home(request: Any) -> Any:
        return PlainTextResponse("home")  # pragma: no cover - refused before routing

    routes = [Route("/", home)]
    app = Starlette(routes=routes) if kind == "app" else Router(routes)
    scope = http_scope("GET", "/")
    scope["headers"] = TWO_HOSTS
    answer = anyio.run(call_asgi, app, scope)
    assert (answer.status, answer.body) == (400, b"More than one Host header")


def test_a_websocket_with_two_host_headers_is_closed() -> None:
    sent: list[Any] = []

    async def receive() -> Any:
        return {"type": "websocket.connect"}  # pragma: no cover - refused before reading

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {**http_scope("GET", "/text"), "type": "websocket", "headers": TWO_HOSTS}
    anyio.run(socket_app(), scope, receive, send)
    assert sent == [
        {"type": "websocket.close", "code": 1008, "reason": "More than one Host header"}
    ]


def test_fastapi_accepts_two_host_headers() -> None:
    scope = http_scope("GET", "/text/a")
    scope["headers"] = TWO_HOSTS
    assert anyio.run(call_asgi, path_app("fastapi"), scope).status == 200
