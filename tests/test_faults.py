"""Faults in the app's own code: each answered or logged, its resources released, and the
requests after it unaffected.

One app holds a route per fault. Every test makes the faulty request, then a healthy one on
the same client, and checks what was cleaned up: `yield` dependencies exited, uploaded files
closed, generators finished.
"""

# No `from __future__ import annotations`: the endpoints' annotations are read at runtime.

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from minifast import BackgroundTasks, Depends, FastAPI, Request, UploadFile
from minifast.responses import PlainTextResponse, Response, StreamingResponse
from minifast.testclient import TestClient


class Fault(Exception):
    """What the app's code raises on purpose."""


class Named(BaseModel):
    name: str


def faulty_app(events: list[str]) -> FastAPI:
    """Routes that each fail in one place; `events` records what ran and what was released."""
    app = FastAPI()

    async def resource() -> AsyncIterator[str]:
        events.append("resource opened")
        try:
            yield "resource"
        finally:
            events.append("resource released")

    async def failing_exit() -> AsyncIterator[None]:
        yield
        raise Fault("in a dependency's exit code")

    Resource = Annotated[str, Depends(resource)]
    add_failing_endpoints(app, Resource, failing_exit)
    add_failing_steps(app, Resource, events)
    return app


def add_failing_endpoints(app: FastAPI, Resource: Any, failing_exit: Any) -> None:
    @app.get("/healthy")
    async def healthy(held: Resource) -> str:
        return "ok"

    @app.get("/handler")
    async def handler(held: Resource) -> str:
        raise Fault("in the handler")

    @app.get("/exit", dependencies=[Depends(failing_exit)])
    async def exit_code(held: Resource) -> str:
        return "answered before the exit code ran"

    @app.get("/model", response_model=Named)
    async def model(held: Resource) -> Any:
        return {"title": "no name"}


def add_failing_steps(app: FastAPI, Resource: Any, events: list[str]) -> None:
    """Faults after the endpoint returned: in a stream, a background task; and a middleware's."""

    @app.get("/stream")
    async def stream(held: Resource) -> StreamingResponse:
        def chunks() -> Iterator[bytes]:
            try:
                yield b"first,"
                raise Fault("in a streaming generator")
            finally:
                events.append("generator finished")

        return StreamingResponse(chunks())

    @app.get("/background")
    async def background(tasks: BackgroundTasks, held: Resource) -> str:
        def fail() -> None:
            raise Fault("in a background task")

        tasks.add_task(fail)
        tasks.add_task(events.append, "next task ran")
        return "answered"

    @app.post("/upload")
    async def upload(file: UploadFile, held: Resource) -> str:
        app.state.upload = file
        raise Fault("with an upload open")

    @app.middleware("http")
    async def failing_middleware(request: Request, call_next: Any) -> Response:
        if request.url.path == "/middleware":
            raise Fault("in a middleware")
        response: Response = await call_next(request)
        return response


@pytest.fixture
def events() -> list[str]:
    return []


@pytest.fixture
def client(events: list[str]) -> TestClient:
    return TestClient(faulty_app(events), raise_server_exceptions=False)


def still_healthy(client: TestClient, events: list[str]) -> None:
    """The next request is answered, and releases what it took."""
    del events[:]
    answer = client.get("/healthy")
    assert (answer.status_code, answer.json()) == (200, "ok")
    assert events == ["resource opened", "resource released"]


@pytest.mark.parametrize("path", ["/handler", "/model"], ids=["handler", "response-model"])
def test_a_failing_endpoint_is_a_plain_500(client: TestClient, events: list[str], path: str):
    answer = client.get(path)
    assert (answer.status_code, answer.text) == (500, "Internal Server Error")
    assert "Traceback" not in answer.text
    assert events == ["resource opened", "resource released"]
    still_healthy(client, events)


def test_the_failure_reaches_the_server(events: list[str]) -> None:
    """The server logs it: the error is re-raised once the 500 is sent."""
    with pytest.raises(Fault, match="in the handler"):
        TestClient(faulty_app(events)).get("/handler")
    assert events == ["resource opened", "resource released"]


@pytest.mark.parametrize(
    ("path", "body", "released"),
    [
        pytest.param("/exit", b'"answered before the exit code ran"', [], id="exit-code"),
        pytest.param("/stream", b"first,", ["generator finished"], id="stream"),
    ],
)
def test_a_fault_after_the_answer_started(
    events: list[str], path: str, body: bytes, released: list[str]
) -> None:
    """The status went out first: the answer stands (a stream is cut short), the other
    resources are released, and the fault reaches the server's log."""
    client = TestClient(faulty_app(events), raise_server_exceptions=False)
    answer = client.get(path)
    assert (answer.status_code, answer.content) == (200, body)
    assert events == ["resource opened", *released, "resource released"]
    still_healthy(client, events)
    with pytest.raises(Fault):
        TestClient(faulty_app(events)).get(path)


def test_a_failing_background_task_is_logged(
    client: TestClient, events: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="minifast.background"):
        answer = client.get("/background")
    assert (answer.status_code, answer.json()) == (200, "answered")
    assert "next task ran" in events and "resource released" in events
    (record,) = caplog.records
    assert record.exc_info is not None and record.exc_info[0] is Fault
    still_healthy(client, events)


def test_a_failing_handler_closes_the_uploaded_file(client: TestClient, events: list[str]):
    answer = client.post("/upload", files={"file": ("a.txt", b"data")})
    assert answer.status_code == 500
    assert client.app.state.upload.file.closed  # type: ignore[attr-defined]
    assert events == ["resource opened", "resource released"]
    still_healthy(client, events)


def test_a_failing_middleware_is_a_plain_500(client: TestClient, events: list[str]) -> None:
    answer = client.get("/middleware")
    assert (answer.status_code, answer.text) == (500, "Internal Server Error")
    assert events == []  # the route never ran
    still_healthy(client, events)


def test_a_custom_500_handler_answers_a_fault(events: list[str]) -> None:
    app = faulty_app(events)

    @app.exception_handler(Fault)
    async def explain(request: Request, exc: Exception) -> PlainTextResponse:
        return PlainTextResponse(f"failed {exc}", status_code=503)

    client = TestClient(app, raise_server_exceptions=False)
    answer = client.get("/handler")
    assert (answer.status_code, answer.text) == (503, "failed in the handler")
    still_healthy(client, events)
