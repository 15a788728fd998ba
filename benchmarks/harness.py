"""Calling an ASGI app in-process: no sockets, no server, just `await app(scope, receive, send)`.

`call` records one whole answer for checking; `time_sequential` and `time_concurrent` replay
the same request many times with a `send` that drops every message, so what is timed is the
framework's own work. Each replay gets a fresh copy of the scope, as a server would send.
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from benchmarks.scenarios import Reply, Scenario

Scope = dict[str, Any]
Message = dict[str, Any]


def http_scope(scenario: Scenario) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": scenario.method,
        "scheme": "http",
        "path": scenario.path,
        "raw_path": scenario.path.encode(),
        "query_string": scenario.query,
        "root_path": "",
        "headers": [(b"host", b"bench"), *scenario.headers],
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }


async def call(app: Any, scenario: Scenario) -> Reply:
    """Send the scenario's request once and record the whole answer."""
    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    await app(http_scope(scenario), _receive(scenario), send)
    start = messages[0]
    headers: dict[str, str] = {}
    for name, value in start.get("headers", []):
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    body = b"".join(message.get("body", b"") for message in messages[1:])
    return Reply(start["status"], headers, body)


async def time_sequential(app: Any, scenario: Scenario, count: int) -> float:
    """Seconds per request over `count` requests, one after the other."""
    scope, receive = http_scope(scenario), _receive(scenario)
    started = time.perf_counter()
    for _ in range(count):
        await app(dict(scope), receive, _discard)
    return (time.perf_counter() - started) / count


async def time_concurrent(app: Any, scenario: Scenario, count: int) -> float:
    """Seconds per request over `count` batches of `scenario.concurrency` requests at once."""
    scope, receive = http_scope(scenario), _receive(scenario)
    started = time.perf_counter()
    for _ in range(count):
        async with anyio.create_task_group() as group:
            for _ in range(scenario.concurrency):
                group.start_soon(app, dict(scope), receive, _discard)
    return (time.perf_counter() - started) / (count * scenario.concurrency)


def _receive(scenario: Scenario) -> Any:
    message = {"type": "http.request", "body": scenario.body, "more_body": False}

    async def receive() -> Message:
        return message

    return receive


async def _discard(message: Message) -> None:
    return None
