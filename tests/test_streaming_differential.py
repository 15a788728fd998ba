"""Generator endpoints streamed as JSON Lines or Server-Sent Events, on both frameworks."""

import importlib
import inspect
import time
import typing
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Annotated, Any

import anyio
import pytest
from pydantic import BaseModel, ValidationError

import minifast.sse
from tests.support import FRAMEWORKS, Captured, compare, framework, http_scope, request


class Item(BaseModel):
    name: str
    price: float = 1.5


def build(name: str) -> Any:
    """One app with a streaming route of each kind, written against `name`."""
    fw = framework(name)
    sse = importlib.import_module(f"{name}.sse")
    responses = importlib.import_module(f"{name}.responses")
    app = fw.FastAPI()
    _typed_routes(app)
    _untyped_routes(app)
    _sse_routes(app, fw, sse)

    @app.get("/raw", response_class=responses.StreamingResponse)
    async def raw() -> AsyncIterable[str]:
        yield "plain "
        yield "chunks"

    def tagged(response: fw.Response) -> None:
        response.headers["x-tag"] = "from-dependency"
        response.status_code = 203

    @app.get("/tagged", dependencies=[fw.Depends(tagged)])
    def tagged_stream(response: fw.Response) -> Iterator[int]:
        response.headers["x-late"] = "too late: the response has started"
        yield 1

    return app


def _typed_routes(app: Any) -> None:
    @app.get("/items/async")
    async def items_async() -> AsyncIterable[Item]:
        yield Item(name="a")
        yield {"name": "b", "price": 2}  # validated into an Item

    @app.get("/items/sync")
    def items_sync() -> Iterator[Item]:
        yield Item(name="a", price=3)

    @app.get("/filtered", response_model_exclude={"price"})
    async def filtered() -> AsyncIterable[Item]:
        yield Item(name="a")


def _untyped_routes(app: Any) -> None:
    @app.get("/untyped/async")
    async def untyped_async():  # type: ignore[no-untyped-def]
        yield {"name": "café", "values": [1, 2.5, float("nan"), float("inf")]}
        yield Item(name="model")
        yield "text"
        yield None

    @app.get("/untyped/sync")
    def untyped_sync():  # type: ignore[no-untyped-def]
        yield from ({"n": n} for n in range(3))

    @app.get("/scalars", status_code=201)
    async def scalars() -> AsyncGenerator[int, None]:
        for n in range(3):
            yield n

    @app.get("/dicts")
    def dicts() -> Iterable[dict[str, int]]:
        yield {"a": 1}

    @app.get("/any")
    async def any_items() -> AsyncIterator[Any]:
        yield {"compact": [1, 2]}

    @app.get("/model-option", response_model=Item)
    async def model_option():  # type: ignore[no-untyped-def]
        yield {"not": "checked"}  # COMPAT: response_model= gives no item type


def _sse_routes(app: Any, fw: Any, sse: Any) -> None:
    @app.get("/sse/items", response_class=sse.EventSourceResponse)
    async def sse_items() -> AsyncIterable[Item]:
        yield Item(name="a")
        yield {"name": "b"}

    @app.get("/sse/untyped", response_class=sse.EventSourceResponse)
    def sse_untyped():  # type: ignore[no-untyped-def]
        yield {"a": 1}
        yield "text"

    @app.get("/sse/events", response_class=sse.EventSourceResponse)
    async def sse_events() -> AsyncIterable[Any]:
        yield sse.ServerSentEvent(data={"k": "v"}, event="update", id="7", retry=3000)
        yield sse.ServerSentEvent(comment="two\nlines", data="quoted")
        yield sse.ServerSentEvent(raw_data="line 1\nline 2\r\nline 3\rline 4")
        yield sse.ServerSentEvent(data=Item(name="model"), id="8")
        yield sse.ServerSentEvent()
        yield sse.ServerSentEvent(data=[float("nan")])

    @app.get("/sse/mixed", response_class=sse.EventSourceResponse)
    async def sse_mixed() -> AsyncIterable[Item]:
        yield Item(name="a")
        yield sse.ServerSentEvent(data={"not": "an item"}, event="other")  # not validated

    @app.get("/sse/only-events", response_class=sse.EventSourceResponse)
    def sse_only_events() -> Iterator[sse.ServerSentEvent]:
        yield sse.ServerSentEvent(data=1)

    @app.post("/sse/echo", response_class=sse.EventSourceResponse)
    async def sse_echo(item: Item, times: int = 2) -> AsyncIterable[Item]:
        for _ in range(times):
            yield item


PATHS = [
    "/items/async", "/items/sync", "/untyped/async", "/untyped/sync", "/scalars", "/dicts",
    "/any", "/filtered", "/model-option", "/sse/items", "/sse/untyped", "/sse/events",
    "/sse/mixed", "/sse/only-events", "/raw", "/tagged",
]  # fmt: skip


@pytest.mark.parametrize("path", PATHS, ids=PATHS)
def test_stream_is_fastapis(path: str) -> None:
    ours = compare(build, "GET", path)
    assert ours.body  # every route streams something
    assert ours.header("content-length") is None


@pytest.mark.parametrize(
    ("query", "body", "status"),
    [(b"", b'{"name": "x"}', 200), (b"times=3", b'{"name": "x"}', 200), (b"", b"{}", 422)],
    ids=["two", "three", "invalid-body"],
)
def test_post_sse_reads_its_input_first(query: bytes, body: bytes, status: int) -> None:
    headers = [(b"content-type", b"application/json")]
    ours = compare(build, "POST", "/sse/echo", query=query, body=body, headers=headers)
    assert ours.status == status


def test_jsonl_wire_format() -> None:
    ours = request(build("minifast"), "GET", "/items/async")
    assert ours.header("content-type") == "application/jsonl"
    assert ours.body == b'{"name":"a","price":1.5}\n{"name":"b","price":2.0}\n'


def test_sse_wire_format() -> None:
    ours = request(build("minifast"), "GET", "/sse/mixed")
    assert ours.header("content-type") == "text/event-stream; charset=utf-8"
    assert (ours.header("cache-control"), ours.header("x-accel-buffering")) == ("no-cache", "no")
    assert (
        ours.body == b'data: {"name":"a","price":1.5}\n\nevent: other\ndata: {"not": "an item"}\n\n'
    )


class Receipt(BaseModel):
    total: int


class Problem(BaseModel):
    message: str


def _documented(name: str) -> Any:
    """Streams whose documents have a twist: an unused model, extra responses, no body."""
    fw = framework(name)
    sse = importlib.import_module(f"{name}.sse")
    app = fw.FastAPI()

    @app.get("/model-option", response_model=Receipt)
    async def model_option():  # type: ignore[no-untyped-def]
        yield 1  # pragma: no cover - only documented

    @app.get("/extras", responses={404: {"model": Problem}}, status_code=202)
    async def extras() -> AsyncIterable[int]:
        yield 1  # pragma: no cover - only documented

    @app.post("/no-content", response_class=sse.EventSourceResponse, status_code=204)
    async def no_content(item: Item) -> AsyncIterable[Item]:
        yield item  # pragma: no cover - only documented

    return app


@pytest.mark.parametrize("builder", [build, _documented], ids=["streams", "twists"])
def test_openapi_describes_streams_as_fastapi(builder: Any) -> None:
    ours = compare(builder, "GET", "/openapi.json")
    assert b'"itemSchema"' in ours.body


def _failing(name: str) -> Any:
    fw = framework(name)
    sse = importlib.import_module(f"{name}.sse")
    app = fw.FastAPI()

    @app.get("/jsonl")
    async def jsonl() -> AsyncIterable[Item]:
        yield Item(name="fine")
        yield {"price": 1}

    @app.get("/sse", response_class=sse.EventSourceResponse)
    def events() -> Iterator[Item]:
        yield Item(name="fine")
        yield {"price": 1}

    return app


def _until_error(app: Any, path: str) -> tuple[list[bytes], BaseException]:
    """The body chunks sent before the app raised, and what it raised."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(message: Any) -> None:
        sent.append(message)

    with pytest.raises(Exception) as raised:
        anyio.run(app, http_scope("GET", path), receive, send)
    assert sent[0]["status"] == 200
    return [message["body"] for message in sent[1:]], raised.value


@pytest.mark.parametrize("path", ["/jsonl", "/sse"], ids=["jsonl", "sse"])
def test_an_invalid_item_ends_the_stream_with_an_error(path: str) -> None:
    """Both frameworks send the items before it, then raise ResponseValidationError.

    COMPAT, with a difference for SSE: FastAPI's producer task fails apart from the response,
    so it ends the body cleanly (an empty last chunk), then raises the error inside an
    ExceptionGroup. minifast raises the error itself from the body, as for JSON Lines in
    both: the body never ends cleanly, so a client can tell a failed stream from a finished one.
    """
    expected_chunks, expected = _until_error(_failing("fastapi"), path)
    chunks, error = _until_error(_failing("minifast"), path)
    grouped = getattr(expected, "exceptions", None)  # an ExceptionGroup (Python 3.10 too)
    if grouped is not None:
        (expected,) = grouped
        assert expected_chunks.pop() == b""  # FastAPI's clean end
    assert chunks == expected_chunks
    assert chunks[0].startswith((b'{"name":"fine"', b'data: {"name":"fine"'))
    assert type(error).__name__ == type(expected).__name__ == "ResponseValidationError"
    assert error.errors() == expected.errors()  # type: ignore[attr-defined]
    assert error.errors()[0]["loc"] == ("response", "name")  # type: ignore[attr-defined]


def _with_dependency(name: str, log: list[str]) -> Any:
    fw = framework(name)
    sse = importlib.import_module(f"{name}.sse")
    app = fw.FastAPI()

    async def session() -> AsyncIterator[str]:
        log.append("session open")
        try:
            yield "session"
        except Exception as error:
            log.append(f"session saw {type(error).__name__}")
            raise
        finally:
            log.append("session closed")

    def lock() -> Iterator[str]:
        log.append("lock taken")
        yield "lock"
        log.append("lock released")

    Session = Annotated[str, fw.Depends(session)]
    Lock = Annotated[str, fw.Depends(lock, scope="function")]

    @app.get("/jsonl")
    async def jsonl(session: Session, lock: Lock) -> AsyncIterable[str]:
        log.append("streaming")
        yield session
        yield lock
        log.append("stream done")

    @app.get("/sse", response_class=sse.EventSourceResponse)
    def events(session: Session) -> Iterator[str]:
        yield session
        log.append("stream done")

    @app.get("/failing")
    async def failing(session: Session) -> AsyncIterable[str]:
        yield session
        raise ValueError("mid-stream")

    return app


@pytest.mark.parametrize("path", ["/jsonl", "/sse", "/failing"], ids=["jsonl", "sse", "failing"])
def test_yield_dependencies_exit_around_the_stream_as_in_fastapi(path: str) -> None:
    """ "request" exit code runs after the stream; "function" exit code before it starts."""
    logs: dict[str, list[str]] = {}
    for name in FRAMEWORKS:
        logs[name] = []
        try:
            request(_with_dependency(name, logs[name]), "GET", path)
        except ValueError:
            logs[name].append("raised")
    assert logs["minifast"] == logs["fastapi"]
    assert logs["minifast"][-1] in ("session closed", "raised")


def _slow(name: str) -> Any:
    fw = framework(name)
    sse = importlib.import_module(f"{name}.sse")
    app = fw.FastAPI()

    @app.get("/async", response_class=sse.EventSourceResponse)
    async def slow_async() -> AsyncIterable[int]:
        yield 1
        await anyio.sleep(0.25)
        yield 2

    @app.get("/sync", response_class=sse.EventSourceResponse)
    def slow_sync() -> Iterator[int]:
        yield 1
        time.sleep(0.25)  # in a worker thread: the pings still go out
        yield 2

    return app


@pytest.mark.parametrize("path", ["/async", "/sync"], ids=["async", "sync"])
def test_an_idle_sse_stream_is_kept_alive_with_pings(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FastAPI's routing reads the interval it imported from fastapi.sse.
    monkeypatch.setattr(importlib.import_module("fastapi.routing"), "_PING_INTERVAL", 0.1)
    monkeypatch.setattr(minifast.sse, "_PING_INTERVAL", 0.1)
    ours = compare(_slow, "GET", path)
    assert ours.body == b"data: 1\n\n: ping\n\n: ping\n\ndata: 2\n\n"


def _endless(name: str, closed: list[str]) -> Any:
    fw = framework(name)
    sse = importlib.import_module(f"{name}.sse")
    app = fw.FastAPI()

    async def numbers() -> AsyncIterator[int]:
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.append("closed")

    def sync_numbers() -> Iterator[int]:
        try:
            yield from range(1, 10**9)
        finally:
            closed.append("closed")

    app.get("/sse", response_class=sse.EventSourceResponse)(numbers)
    app.get("/jsonl")(numbers)
    app.get("/sync-sse", response_class=sse.EventSourceResponse)(sync_numbers)
    app.get("/sync-jsonl")(sync_numbers)
    return app


async def _disconnect_after(app: Any, path: str, chunks: int, spec_version: str) -> Captured:
    """Read `chunks` messages, then the client goes: `http.disconnect`, or (ASGI 2.4) OSError."""
    scope = http_scope("GET", path)
    scope["asgi"]["spec_version"] = spec_version
    sent: list[dict[str, Any]] = []
    gone = anyio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        if gone.is_set() and spec_version == "2.4":
            raise OSError("client gone")
        sent.append(message)
        if len(sent) > chunks:
            gone.set()

    with anyio.fail_after(5):
        await app(scope, receive, send)
    body = b"".join(message.get("body", b"") for message in sent)
    return Captured(sent[0]["status"], [], body, sent)


PATHS_ENDLESS = ["/sse", "/jsonl", "/sync-sse", "/sync-jsonl"]


@pytest.mark.parametrize("path", PATHS_ENDLESS, ids=PATHS_ENDLESS)
def test_a_client_that_goes_stops_the_generator(path: str) -> None:
    """The same events reach the client; minifast has closed the generator when it returns.

    COMPAT, with a difference: FastAPI leaves a sync JSON Lines generator to the collector.
    """
    results, closed = {}, {}
    for name in FRAMEWORKS:
        closed[name] = []
        captured = anyio.run(_disconnect_after, _endless(name, closed[name]), path, 3, "2.3")
        results[name] = (captured.status, captured.body)
    assert results["minifast"] == results["fastapi"]
    assert closed["minifast"] == ["closed"]


@pytest.mark.parametrize("path", PATHS_ENDLESS, ids=PATHS_ENDLESS)
def test_a_send_that_fails_stops_the_generator_quietly(path: str) -> None:
    """ASGI 2.4: `send` raises once the client is gone. COMPAT, with a difference: Starlette
    turns it into ClientDisconnect (or a group of it), minifast's StreamingResponse returns."""
    closed: list[str] = []
    captured = anyio.run(_disconnect_after, _endless("minifast", closed), path, 2, "2.4")
    assert captured.body in (b"data: 1\n\ndata: 2\n\n", b"1\n2\n")
    assert closed == ["closed"]


@pytest.mark.parametrize(
    "fields",
    [
        {"event": "two\nlines"},
        {"event": "carriage\rreturn"},
        {"id": "nul\0"},
        {"id": "two\r\nlines"},
        {"retry": -1},
        {"data": 1, "raw_data": "1"},
    ],
    ids=["event-newline", "event-cr", "id-nul", "id-crlf", "retry-negative", "data-and-raw"],
)
def test_server_sent_event_refuses_what_fastapi_refuses(fields: dict[str, Any]) -> None:
    errors = []
    for name in FRAMEWORKS:
        with pytest.raises(ValidationError) as raised:
            importlib.import_module(f"{name}.sse").ServerSentEvent(**fields)
        errors.append([{**error, "ctx": None} for error in raised.value.errors(include_url=False)])
    assert errors[0] == errors[1]


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"data_str": "a\nb", "event": "e", "id": "1", "retry": 5, "comment": "c"},
        {"comment": "x\r\ny"},
        {"data_str": ""},
    ],
    ids=["empty", "all", "comment-crlf", "empty-data"],
)
def test_format_sse_event_is_fastapis(fields: dict[str, Any]) -> None:
    reference = importlib.import_module("fastapi.sse")
    assert minifast.sse.format_sse_event(**fields) == reference.format_sse_event(**fields)


def test_public_names_are_fastapis() -> None:
    reference = importlib.import_module("fastapi.sse")
    public = {
        name
        for name, value in vars(reference).items()
        if not name.startswith("_") and getattr(value, "__module__", "fastapi.sse") == "fastapi.sse"
    }
    assert set(minifast.sse.__all__) == public
    assert minifast.sse.KEEPALIVE_COMMENT == reference.KEEPALIVE_COMMENT


def test_streams_do_no_introspection(monkeypatch: pytest.MonkeyPatch) -> None:
    app = build("minifast")

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("introspection on the request path")

    monkeypatch.setattr(inspect, "signature", forbidden)
    monkeypatch.setattr(typing, "get_type_hints", forbidden)
    for path in ("/items/async", "/untyped/sync", "/sse/items", "/sse/events"):
        assert request(app, "GET", path).status == 200


class NotAModel:
    """A class pydantic has no schema for."""


@pytest.mark.parametrize("name", FRAMEWORKS, ids=FRAMEWORKS)
def test_an_item_type_pydantic_cannot_handle_fails_at_registration(name: str) -> None:
    fw = framework(name)
    app = fw.FastAPI()
    errors = importlib.import_module(f"{name}.exceptions")

    async def stream() -> AsyncIterable[NotAModel]:
        yield NotAModel()  # pragma: no cover - never registered, so never called

    with pytest.raises(errors.FastAPIError):
        app.get("/stream")(stream)


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_raw_stream_that_never_awaits_can_still_be_cancelled(name: str) -> None:
    """Each item is a chance to cancel, so a stream whose client waits forever can be stopped."""
    fw = framework(name)
    responses = importlib.import_module(f"{name}.responses")
    app = fw.FastAPI()

    @app.get("/raw", response_class=responses.StreamingResponse)
    async def raw() -> AsyncIterable[str]:
        while True:
            yield "item\n"

    async def receive() -> dict[str, Any]:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(message: dict[str, Any]) -> None:
        pass

    async def main() -> bool:
        with anyio.move_on_after(0.2) as scope:
            await app(http_scope(path="/raw"), receive, send)
        return scope.cancelled_caught

    assert anyio.run(main) is True


def test_event_source_response_is_a_response_class() -> None:
    """`minifast.responses` names EventSourceResponse without loading the SSE machinery."""
    import minifast.responses

    assert minifast.responses.EventSourceResponse is minifast.sse.EventSourceResponse
    assert "EventSourceResponse" in minifast.responses.__all__
