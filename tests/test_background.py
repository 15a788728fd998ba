"""Background tasks: order, threads, failures, and running after the response is sent."""

# No `from __future__ import annotations`: the app's endpoints annotate with BackgroundTasks,
# which both frameworks read from the annotation object itself.

import functools
import logging
import threading
from typing import Any

import pytest

from minifast import BackgroundTasks, MiniFast
from minifast.background import BackgroundTask
from minifast.types import Message
from tests.support import call_asgi, http_scope

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_task_passes_arguments_to_async_function() -> None:
    seen: list[Any] = []

    async def record(a: int, *, b: str) -> None:
        seen.append((a, b, threading.get_ident()))

    task = BackgroundTask(record, 1, b="x")
    assert task.is_async
    await task()
    assert seen == [(1, "x", threading.get_ident())]  # awaited on the event loop


async def test_sync_task_runs_in_a_worker_thread() -> None:
    seen: list[Any] = []

    def record(a: int, *, b: str) -> None:
        seen.append((a, b, threading.get_ident()))

    task = BackgroundTask(record, 2, b="y")
    assert not task.is_async
    await task()
    [(a, b, thread)] = seen
    assert (a, b) == (2, "y")
    assert thread != threading.get_ident()


async def test_tasks_run_in_the_order_added() -> None:
    log: list[str] = []

    async def append_async(value: str) -> None:
        log.append(value)

    tasks = BackgroundTasks([BackgroundTask(log.append, "given")])
    tasks.add_task(append_async, "first")
    tasks.add_task(log.append, "second")
    tasks.add_task(append_async, value="third")
    await tasks()
    assert log == ["given", "first", "second", "third"]


def fail_named() -> None:
    raise ValueError("task boom")


async def fail_async(reason: str) -> None:
    raise ValueError(reason)


@pytest.mark.parametrize(
    ("func", "name"),
    [
        (fail_named, "'fail_named'"),
        (functools.partial(fail_async, "task boom"), "functools.partial("),
    ],
    ids=["sync-function", "nameless-partial"],
)
async def test_failing_task_is_logged_and_later_tasks_run(
    func: Any, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    log: list[str] = []
    tasks = BackgroundTasks()
    tasks.add_task(log.append, "before")
    tasks.add_task(func)
    tasks.add_task(log.append, "after")
    with caplog.at_level(logging.ERROR, logger="minifast.background"):
        await tasks()
    assert log == ["before", "after"]
    [record] = caplog.records
    assert record.name == "minifast.background"
    assert record.getMessage().startswith(f"background task {name}")
    assert record.getMessage().endswith(" failed")
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ValueError)
    assert "task boom" in caplog.text


def build_app(log: list[str]) -> MiniFast:
    app = MiniFast()

    def write_audit(entry: str) -> None:
        log.append(f"audit:{entry}")

    async def notify(email: str, subject: str = "hi") -> None:
        log.append(f"notify:{email}:{subject}")

    @app.post("/users/{name}")
    async def create_user(name: str, tasks: BackgroundTasks) -> dict[str, str]:
        tasks.add_task(notify, f"{name}@example.com", subject="welcome")
        tasks.add_task(write_audit, f"created {name}")
        return {"name": name}

    @app.post("/flaky")
    def flaky(tasks: BackgroundTasks) -> dict[str, bool]:
        tasks.add_task(fail_named)
        tasks.add_task(write_audit, "still written")
        return {"ok": True}

    return app


def logging_send(log: list[str]) -> Any:
    """Collects the response and notes each message in `log`, next to the tasks' entries."""

    async def send(message: Message) -> None:
        log.append(message["type"])

    return send


async def test_endpoint_tasks_run_after_the_body() -> None:
    log: list[str] = []
    captured = await call_asgi(build_app(log), http_scope("POST", "/users/ada"))
    assert (captured.status, captured.body) == (200, b'{"name":"ada"}')
    assert log == ["notify:ada@example.com:welcome", "audit:created ada"]

    ordered: list[str] = []
    app = build_app(ordered)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    await app(http_scope("POST", "/users/bo"), receive, logging_send(ordered))
    assert ordered == [
        "http.response.start",
        "http.response.body",
        "notify:bo@example.com:welcome",
        "audit:created bo",
    ]


async def test_endpoint_task_failure_does_not_reach_the_client(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log: list[str] = []
    with caplog.at_level(logging.ERROR, logger="minifast.background"):
        captured = await call_asgi(build_app(log), http_scope("POST", "/flaky"))
    assert (captured.status, captured.body) == (200, b'{"ok":true}')
    assert log == ["audit:still written"]
    assert "background task 'fail_named' failed" in caplog.text
