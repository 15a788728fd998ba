"""Test helpers: drive any ASGI app with raw messages, and build one app on two frameworks."""

from __future__ import annotations

import importlib
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

import minifast


@dataclass
class Captured:
    """What an ASGI app sent back for one request."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    messages: list[dict[str, Any]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


def http_scope(
    method: str = "GET",
    path: str = "/",
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    root_path: str = "",
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": root_path,
        # A Host among `headers` replaces the default one: two are refused with a 400.
        "headers": [*_default_host(headers or []), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def _default_host(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [] if any(name == b"host" for name, _ in headers) else [(b"host", b"testserver")]


async def call_asgi(
    app: Any, scope: dict[str, Any], body: bytes = b"", chunks: list[bytes] | None = None
) -> Captured:
    """Send one request to `app` and collect every message it sends back."""
    pending = [{"type": "http.request", "body": c, "more_body": True} for c in (chunks or [])]
    pending.append({"type": "http.request", "body": body, "more_body": False})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body_bytes = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    raw_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
    return Captured(start["status"], raw_headers, body_bytes, sent)


def request(app: Any, method: str = "GET", path: str = "/", **kwargs: Any) -> Captured:
    """Synchronous form of `call_asgi` for tests that don't need an event loop of their own."""
    query = kwargs.pop("query", b"")
    headers = kwargs.pop("headers", None)
    root_path = kwargs.pop("root_path", "")
    scope = http_scope(method, path, query, headers, root_path)
    return anyio.run(lambda: call_asgi(app, scope, **kwargs))


def framework(name: str) -> types.ModuleType:
    """`minifast`, or `fastapi` when installed (the test is skipped otherwise)."""
    if name == "minifast":
        return minifast
    return pytest.importorskip(name)


def import_from(name: str, module: str) -> types.ModuleType:
    """`fastapi.responses` or `minifast.responses`: the same path on either framework."""
    framework(name)
    return importlib.import_module(f"{name}.{module}")


FRAMEWORKS = ["minifast", "fastapi"]
Builder = Callable[[str], Any]


def compare(build: Builder, method: str, path: str, **kwargs: Any) -> Captured:
    """Run the same request against the app built on each framework; assert they agree.

    `build(name)` returns the app written against `name` ("fastapi" or "minifast").
    Status, content-type, every header but `date`/`server` and the body must be equal.
    """
    reference = request(build("fastapi"), method, path, **dict(kwargs))
    ours = request(build("minifast"), method, path, **kwargs)
    # COMPAT: FastAPI sends a HEAD body that servers then drop; minifast sends none.
    body, expected_body = (b"", b"") if method == "HEAD" else (ours.body, reference.body)
    assert (ours.status, body) == (reference.status, expected_body)
    assert _comparable(ours.headers) == _comparable(reference.headers)
    return ours


def _comparable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in headers if k not in {"date", "server"})


def same_security_scheme(build: Callable[[Any], Any], module: str) -> tuple[Any, dict[str, Any]]:
    """Build a scheme from `<framework>.<module>` on both; assert their OpenAPI model and name
    agree, key order included. Returns minifast's scheme and FastAPI's model as JSON data."""
    reference = build(import_from("fastapi", module))
    ours = build(import_from("minifast", module))
    expected = reference.model.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert list(ours.model.items()) == list(expected.items())
    assert ours.scheme_name == reference.scheme_name
    return ours, expected


def part(name: str, value: bytes, filename: str | None = None, type_: str | None = None) -> bytes:
    """One part of a multipart body with boundary "XX"; `multipart()` closes the body."""
    disposition = f'Content-Disposition: form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    lines = [disposition] + ([f"Content-Type: {type_}"] if type_ else [])
    return b"--XX\r\n" + "\r\n".join(lines).encode() + b"\r\n\r\n" + value + b"\r\n"


def multipart(*parts: bytes) -> bytes:
    return b"".join(parts) + b"--XX--\r\n"


def connection_messages(app: Any, scope: dict[str, Any]) -> list[Any]:
    """Every message `app` sends for one http or websocket connection, comparable across
    frameworks: keys at their ASGI default dropped, headers sorted, date and server left out."""
    is_http = scope["type"] == "http"
    incoming = [{"type": "http.request"} if is_http else {"type": "websocket.connect"}]
    sent: list[Any] = []

    async def receive() -> Any:
        return incoming.pop() if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Any) -> None:
        # ASGI: an absent key and its default (None, more_body False) mean the same.
        normalized = {key: value for key, value in message.items() if value not in (None, False)}
        headers = sorted(message.get("headers", []))
        normalized["headers"] = [h for h in headers if h[0] not in (b"date", b"server")]
        sent.append(normalized)

    anyio.run(app, scope, receive, send)
    return sent
