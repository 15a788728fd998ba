"""HTTPSRedirectMiddleware: http -> https and ws -> wss, ports and hosts, vs FastAPI."""

# No `from __future__ import annotations`: apps are built inside functions for two frameworks.

from typing import Any

import anyio
import pytest

from tests.support import FRAMEWORKS, connection_messages, framework, http_scope, import_from


def build(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(import_from(name, "middleware.httpsredirect").HTTPSRedirectMiddleware)

    @app.get("/{path:path}")
    async def page(path: str) -> dict[str, str]:
        return {"path": path}

    @app.websocket("/ws")
    async def socket(websocket: fw.WebSocket) -> None:
        await websocket.accept()
        await websocket.close()

    return app


def connect(app: Any, scheme: str, host: bytes | None, **scope: Any) -> list[Any]:
    """Every message `app` sends for one connection, comparable across frameworks."""
    is_http = scheme.startswith("http")
    base = http_scope("GET", "/a b/ü" if is_http else "/ws", b"x=%20&y")
    base["headers"] = [] if host is None else [(b"host", host)]
    base.update(type="http" if is_http else "websocket", scheme=scheme, subprotocols=[], **scope)
    return connection_messages(app, base)


PATH = b"/a%20b/%C3%BC?x=%20&y"
CASES = [
    ("http", "http", b"example.com", {}, b"https://example.com" + PATH),
    ("port-80-dropped", "http", b"Example.com:80", {}, b"https://example.com" + PATH),
    ("port-443-dropped", "http", b"example.com:443", {}, b"https://example.com" + PATH),
    ("other-port-kept", "http", b"Example.com:8080", {}, b"https://Example.com:8080" + PATH),
    ("server-address", "http", None, {"server": ("10.0.0.1", 8080)},
     b"https://10.0.0.1:8080" + PATH),
    ("server-default-port", "http", None, {"server": ("10.0.0.1", 80)},
     b"https://10.0.0.1" + PATH),
    ("malformed-host", "http", b"u@evil.com", {}, b"https://testserver" + PATH),
    ("ipv6-other-port", "http", b"[::1]:8080", {}, b"https://[::1]:8080" + PATH),
    ("websocket", "ws", b"example.com", {}, b"wss://example.com/ws?x=%20&y"),
    ("websocket-port-80", "ws", b"example.com:80", {}, b"wss://example.com/ws?x=%20&y"),
]  # fmt: skip


@pytest.mark.parametrize(("scheme", "host", "scope", "location"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])  # fmt: skip
def test_redirects_as_fastapi(scheme: str, host: bytes, scope: Any, location: bytes) -> None:
    sent = connect(build("minifast"), scheme, host, **scope)
    assert sent == connect(build("fastapi"), scheme, host, **scope)
    assert (sent[0]["status"], dict(sent[0]["headers"])[b"location"]) == (307, location)
    prefix = "" if scheme == "http" else "websocket."
    assert [m["type"] for m in sent] == [
        f"{prefix}http.response.start",
        f"{prefix}http.response.body",
    ]


@pytest.mark.parametrize(
    ("scheme", "first"),
    [("https", "http.response.start"), ("wss", "websocket.accept")],
    ids=["https", "wss"],
)
def test_secure_connections_reach_the_app(scheme: str, first: str) -> None:
    sent = connect(build("minifast"), scheme, b"example.com")
    assert sent == connect(build("fastapi"), scheme, b"example.com")
    assert sent[0]["type"] == first
    assert sent[0].get("status", 200) == 200


@pytest.mark.parametrize("scheme", ["http", "ws"])
def test_no_host_at_all_is_a_400(scheme: str) -> None:
    sent = connect(build("minifast"), scheme, None, server=None)
    assert sent == connect(build("fastapi"), scheme, None, server=None)
    assert (sent[0]["status"], sent[1]["body"]) == (400, b"Invalid host header")


def test_an_ipv6_host_keeps_its_brackets() -> None:
    # Differs from FastAPI on purpose: it writes "https://::1/...", which is no URL.
    sent = connect(build("minifast"), "http", b"[::1]:80")
    assert dict(sent[0]["headers"])[b"location"] == b"https://[::1]" + PATH


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_lifespan_passes_through(name: str) -> None:
    seen: list[Any] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope["type"], send))

    layer = import_from(name, "middleware.httpsredirect").HTTPSRedirectMiddleware(inner)
    anyio.run(layer, {"type": "lifespan"}, None, print)
    assert seen == [("lifespan", print)]
