"""`@app.middleware("http")`: call_next, response changes, streaming, errors, order."""

# No `from __future__ import annotations`: apps are built inside functions for two frameworks.

import functools
import itertools
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import pytest

from tests.support import Captured, compare, framework, http_scope, import_from, request


@functools.cache
def build(name: str) -> Any:  # noqa: C901 - one app exercising every middleware path
    fw = framework(name)
    responses = import_from(name, "responses")
    app = fw.FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    ids = itertools.count(1)

    @app.middleware("http")
    async def add_request_id(request: Any, call_next: Any) -> Any:
        request.state.request_id = str(next(ids))
        if request.url.path == "/short-circuit":
            return responses.JSONResponse({"short": True}, status_code=202)
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    @app.middleware("http")
    async def read_body_first(request: Any, call_next: Any) -> Any:
        if request.method == "POST":
            request.state.length = len(await request.body())
        response = await call_next(request)
        response.headers["X-Seen-Status"] = str(response.status_code)
        return response

    @app.get("/items/{item_id}")
    async def item(item_id: int, request: fw.Request) -> dict[str, Any]:
        return {"item_id": item_id, "request_id": request.state.request_id}

    @app.post("/echo")
    async def echo(request: fw.Request) -> dict[str, Any]:
        return {"body": (await request.body()).decode(), "length": request.state.length}

    @app.get("/stream")
    async def stream() -> Any:
        async def chunks() -> AsyncIterator[bytes]:
            for index in range(3):
                yield f"chunk{index};".encode()

        return responses.StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/missing")
    async def missing() -> None:
        raise fw.HTTPException(404, "nope")

    @app.get("/replaced")
    async def replaced() -> Any:
        async def never_read() -> AsyncIterator[bytes]:
            for _ in range(50):  # more than call_next holds: the inner stream is abandoned
                yield b"never read"

        return responses.StreamingResponse(never_read())

    @app.middleware("http")
    async def replace_answer(request: Any, call_next: Any) -> Any:
        response = await call_next(request)
        if request.url.path == "/replaced":
            return responses.PlainTextResponse("replaced", status_code=203)
        return response

    return app


JSON = [(b"content-type", b"application/json")]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/items/3", b""),
        ("GET", "/items/x", b""),
        ("POST", "/echo", b'{"a":1}'),
        ("GET", "/stream", b""),
        ("GET", "/missing", b""),
        ("GET", "/nowhere", b""),
        ("GET", "/short-circuit", b""),
        ("GET", "/replaced", b""),
        ("HEAD", "/stream", b""),
    ],
    ids=["path", "path-422", "body-read-twice", "stream", "http-404", "router-404",
         "short-circuit", "replaced", "head"],
)  # fmt: skip
def test_same_answer_as_fastapi(method: str, path: str, body: bytes) -> None:
    build.cache_clear()  # request ids count from 1 on both frameworks
    compare(build, method, path, body=body, headers=JSON)


def body_messages(answer: Captured) -> list[bytes]:
    return [m["body"] for m in answer.messages if m["type"] == "http.response.body"]


def test_streams_pass_through_chunk_by_chunk() -> None:
    answer = request(build("minifast"), "GET", "/stream")
    assert body_messages(answer) == [b"chunk0;", b"chunk1;", b"chunk2;", b""]


def test_a_long_stream_runs_only_a_few_chunks_ahead_of_the_client() -> None:
    fw = framework("minifast")
    responses = import_from("minifast", "responses")
    app = fw.FastAPI()
    produced: list[int] = []
    ahead: list[int] = []

    @app.middleware("http")
    async def passthrough(request: Any, call_next: Any) -> Any:
        return await call_next(request)

    @app.get("/long")
    async def long() -> Any:
        async def chunks() -> AsyncIterator[bytes]:
            for index in range(200):
                produced.append(index)
                yield b"x"

        return responses.StreamingResponse(chunks())

    async def send(message: Any) -> None:
        if message["type"] == "http.response.body" and message.get("more_body"):
            ahead.append(len(produced) - (len(ahead) + 1))  # produced, not yet sent

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    anyio.run(app, http_scope("GET", "/long"), receive, send)
    assert len(ahead) == 200
    assert max(ahead) <= 10  # a few messages wait in between, never the whole stream


def test_unhandled_errors_reach_the_server_error_layer_unwrapped() -> None:
    fw = framework("minifast")
    app = fw.FastAPI()

    @app.middleware("http")
    async def passthrough(request: Any, call_next: Any) -> Any:
        return await call_next(request)

    @app.get("/boom")
    async def boom() -> None:
        raise LookupError("deep")

    with pytest.raises(LookupError, match="deep"):
        request(app, "GET", "/boom")


def test_errors_after_the_response_started_are_raised_from_the_body() -> None:
    fw = framework("minifast")
    responses = import_from("minifast", "responses")
    app = fw.FastAPI()

    @app.middleware("http")
    async def passthrough(request: Any, call_next: Any) -> Any:
        return await call_next(request)

    @app.get("/half")
    async def half() -> Any:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first"
            raise LookupError("mid-stream")

        return responses.StreamingResponse(chunks())

    with pytest.raises(LookupError, match="mid-stream"):
        request(app, "GET", "/half")


def test_an_app_that_never_answers_is_an_error() -> None:
    middleware = import_from("minifast", "middleware.base")

    async def silent(scope: Any, receive: Any, send: Any) -> None:
        return None

    async def dispatch(request: Any, call_next: Any) -> Any:
        return await call_next(request)

    with pytest.raises(RuntimeError, match="without a response"):
        request(middleware.BaseHTTPMiddleware(silent, dispatch), "GET", "/")


def test_an_inner_answer_cut_short_ends_with_what_was_sent() -> None:
    middleware = import_from("minifast", "middleware.base")

    async def cut_short(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.trailers", "headers": [], "more_trailers": False})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})

    async def dispatch(request: Any, call_next: Any) -> Any:
        return await call_next(request)

    answer = request(middleware.BaseHTTPMiddleware(cut_short, dispatch), "GET", "/")
    assert (answer.status, body_messages(answer)) == (200, [b"partial", b""])


def test_background_tasks_of_the_inner_response_still_run() -> None:
    fw = framework("minifast")
    app = fw.FastAPI()
    done: list[str] = []

    @app.middleware("http")
    async def passthrough(request: Any, call_next: Any) -> Any:
        return await call_next(request)

    @app.get("/")
    async def endpoint(tasks: fw.BackgroundTasks) -> str:
        tasks.add_task(done.append, "task")
        return "ok"

    assert request(app, "GET", "/").body == b'"ok"'
    assert done == ["task"]


def test_only_http_middleware_functions() -> None:
    app = framework("minifast").FastAPI()
    with pytest.raises(ValueError, match="only"):
        app.middleware("websocket")


def test_websockets_and_lifespan_pass_by() -> None:
    middleware = import_from("minifast", "middleware.base")
    seen: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    async def dispatch(request: Any, call_next: Any) -> Any:
        raise AssertionError("not for websockets")

    layer = middleware.BaseHTTPMiddleware(inner, dispatch)
    import anyio

    anyio.run(layer, {"type": "websocket"}, None, None)
    assert seen == ["websocket"]


def _state_seen_by_middleware(name: str) -> Any:
    fw = framework(name)
    state: dict[str, str] = {}
    app = fw.FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def report_state(request: Any, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers["X-State"] = ",".join(f"{k}={v}" for k, v in sorted(state.items()))
        return response

    async def session() -> AsyncIterator[str]:
        state["session"] = "open"
        yield "s"
        state["session"] = "closed"

    @app.get("/")
    async def read(session: Annotated[Any, fw.Depends(session)], tasks: fw.BackgroundTasks) -> Any:
        tasks.add_task(state.__setitem__, "task", "ran")
        return "ok"

    return app, state


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
def test_exit_code_and_tasks_run_after_the_code_following_call_next(name: str) -> None:
    """The middleware sees the state as the endpoint left it; cleanups come after, as Starlette."""
    app, state = _state_seen_by_middleware(name)
    answer = request(app, "GET", "/")
    assert dict(answer.headers)["x-state"] == "session=open"
    assert state == {"session": "closed", "task": "ran"}
