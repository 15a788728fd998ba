"""TrustedHostMiddleware: allowed, wildcard and refused hosts, www redirects, vs FastAPI."""

# No `from __future__ import annotations`: apps are built inside functions for two frameworks.

import functools
from typing import Any

import anyio
import pytest

from tests.support import FRAMEWORKS, connection_messages, framework, http_scope, import_from


def build(name: str, **options: Any) -> Any:
    fw = framework(name)
    app = fw.FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(import_from(name, "middleware.trustedhost").TrustedHostMiddleware, **options)

    @app.get("/path")
    async def path() -> dict[str, str]:
        return {"reached": "app"}

    @app.websocket("/path")
    async def socket(websocket: fw.WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("reached")
        await websocket.close()

    return app


def connect(app: Any, host: bytes | None, scope_type: str = "http", **scope: Any) -> list[Any]:
    """Every message `app` sends for one connection with this Host header, comparable."""
    base = http_scope("GET", "/path", b"q=1")
    base["headers"] = [] if host is None else [(b"host", host)]
    base.update(type=scope_type, subprotocols=[], **scope)
    return connection_messages(app, base)


def connect_both(build_app: Any, host: bytes | None, **scope: Any) -> list[Any]:
    ours = connect(build_app("minifast"), host, **scope)
    assert ours == connect(build_app("fastapi"), host, **scope)
    return ours


ALLOWED = {"allowed_hosts": ["example.com", "*.example.org", "[::1]"]}
WWW = {"allowed_hosts": ["www.example.com", "*.example.org"]}
CASES = [
    ("exact", ALLOWED, b"example.com", 200),
    ("with-port", ALLOWED, b"example.com:8000", 200),
    ("case-insensitive", ALLOWED, b"EXAMPLE.Com", 200),
    ("wildcard-subdomain", ALLOWED, b"a.example.org", 200),
    ("wildcard-deep", ALLOWED, b"a.b.example.org", 200),
    ("wildcard-not-the-domain", ALLOWED, b"example.org", 400),
    ("wildcard-not-a-suffix", ALLOWED, b"badexample.org", 400),
    ("ipv6", ALLOWED, b"[::1]:8000", 200),
    ("untrusted", ALLOWED, b"evil.com", 400),
    ("missing", ALLOWED, None, 400),
    ("empty", ALLOWED, b"", 400),
    ("empty-port", ALLOWED, b"example.com:", 400),
    ("bad-port", ALLOWED, b"example.com:http", 400),
    ("userinfo", ALLOWED, b"u@example.com", 400),
    ("www-redirect", WWW, b"example.com", 307),
    ("www-redirect-keeps-port-and-case", WWW, b"Example.COM:8000", 307),
    ("www-itself", WWW, b"www.example.com", 200),
    ("www-redirect-off", {**WWW, "www_redirect": False}, b"example.com", 400),
    ("no-www-for-wildcards", WWW, b"example.org", 400),
    ("any-host", {"allowed_hosts": ["*"]}, b"evil.com", 200),
    ("default-any-host", {}, None, 200),
]


@pytest.mark.parametrize(("options", "host", "status"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])  # fmt: skip
def test_http_answers_as_fastapi(options: dict[str, Any], host: bytes | None, status: int) -> None:
    sent = connect_both(functools.partial(build, **options), host)
    assert sent[0]["status"] == status
    if status == 400:
        assert sent[1]["body"] == b"Invalid host header"
    if status == 307:
        location = dict(sent[0]["headers"])[b"location"]
        assert location == b"http://www." + host + b"/path?q=1"  # type: ignore[operator]


WEBSOCKETS = [
    ("allowed", ALLOWED, b"example.com", "websocket.accept"),
    ("refused", ALLOWED, b"evil.com", "websocket.http.response.start"),
    ("www-redirect", WWW, b"example.com", "websocket.http.response.start"),
]


@pytest.mark.parametrize(("options", "host", "first"), [case[1:] for case in WEBSOCKETS],
                         ids=[case[0] for case in WEBSOCKETS])  # fmt: skip
def test_websockets_answer_as_fastapi(options: dict[str, Any], host: bytes, first: str) -> None:
    sent = connect_both(functools.partial(build, **options), host, scope_type="websocket")
    assert sent[0]["type"] == first


@pytest.mark.parametrize("host", [b"[1:2]", b"[::zz]"], ids=["not-an-address", "not-hex"])
def test_an_invalid_ipv6_literal_is_refused_even_if_listed(host: bytes) -> None:
    build_app = functools.partial(build, allowed_hosts=[host.decode()])
    assert connect_both(build_app, host)[0]["status"] == 400


def test_no_www_redirect_for_a_host_the_url_cannot_use() -> None:
    # Differs from FastAPI on purpose: with a port out of range the URL falls back to the
    # server's own name, and FastAPI redirects to "www.testserver", a host nobody allowed.
    app = build("minifast", allowed_hosts=["www.example.com"])
    assert connect(app, b"example.com:99999")[0]["status"] == 400


@pytest.mark.parametrize("name", FRAMEWORKS)
@pytest.mark.parametrize(
    "pattern", ["a.*.com", "*example.com", "*.*.com", "example.*"], ids=lambda p: p
)
def test_bad_wildcards_fail_at_start_up(name: str, pattern: str) -> None:
    trustedhost = import_from(name, "middleware.trustedhost")
    with pytest.raises(AssertionError, match=r"like '\*\.example\.com'"):
        trustedhost.TrustedHostMiddleware(None, allowed_hosts=["a.com", pattern])


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_lifespan_passes_through(name: str) -> None:
    seen: list[Any] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope["type"], send))

    trustedhost = import_from(name, "middleware.trustedhost")
    layer = trustedhost.TrustedHostMiddleware(inner, allowed_hosts=["example.com"])
    anyio.run(layer, {"type": "lifespan"}, None, print)
    assert seen == [("lifespan", print)]
