"""Requests: the lazy scope view, the body, disconnects and url_for, against Starlette's Request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
import starlette.datastructures as reference
from starlette.requests import Request as StarletteRequest
from starlette.requests import cookie_parser

from minifast.datastructures import URL, Address, Headers, QueryParams, State, URLPath
from minifast.requests import ClientDisconnect, HTTPConnection, Request, parse_cookies
from tests.support import http_scope

Messages = list[dict[str, Any]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def scripted(messages: Messages, calls: list[int] | None = None) -> Callable[[], Awaitable[Any]]:
    """A `receive` that hands out `messages` in order, then waits forever."""

    async def receive() -> Any:
        if calls is not None:
            calls.append(1)
        if messages:
            return messages.pop(0)
        await anyio.sleep_forever()

    return receive


def chunks(*parts: bytes) -> Messages:
    """`http.request` messages carrying `parts`, the last one ending the body."""
    return [
        {"type": "http.request", "body": part, "more_body": index < len(parts) - 1}
        for index, part in enumerate(parts)
    ]


# --- the scope as a mapping -----------------------------------------------------------------


def test_method_app_and_mapping_access() -> None:
    scope = http_scope("PATCH", "/p")
    scope["app"] = app = object()
    request = Request(scope)
    assert (request.method, request.app) == ("PATCH", app)
    assert (request["path"], request["type"]) == ("/p", "http")
    assert list(request) == list(scope)
    assert len(request) == len(scope)
    assert "method" in request
    assert request.get("missing") is None


def test_connections_compare_by_identity() -> None:
    scope = http_scope()
    first, second = Request(scope), Request(scope)
    assert first == first
    assert first != second  # same scope, still two requests
    assert len({first, second, first}) == 2


def test_websocket_scope_is_a_connection_too() -> None:
    scope = {**http_scope(), "type": "websocket", "scheme": "ws"}
    connection = HTTPConnection(scope)
    assert connection.url == "ws://testserver/"
    assert connection.base_url == "ws://testserver/"


# --- url, base_url --------------------------------------------------------------------------


def scope_with(**changes: Any) -> dict[str, Any]:
    """`http_scope()` with keys replaced, and `host=None` dropping the Host header."""
    host = changes.pop("host", b"testserver")
    scope = {**http_scope(), **changes}
    scope["headers"] = [(b"host", host)] if host is not None else []
    return scope


URLS: dict[str, tuple[dict[str, Any], str]] = {
    "host-header": ({}, "http://testserver/"),
    "host-header-port": ({"host": b"example.com:8080"}, "http://example.com:8080/"),
    "host-header-wins": ({"host": b"a.test", "server": ("b.test", 81)}, "http://a.test/"),
    "server-default-port": ({"host": None}, "http://testserver/"),
    "server-other-port": ({"host": None, "server": ("10.1.2.3", 8000)}, "http://10.1.2.3:8000/"),
    "server-https-default": ({"host": None, "scheme": "https", "server": ("h", 443)}, "https://h/"),
    "server-https-80": ({"host": None, "scheme": "https", "server": ("h", 80)}, "https://h:80/"),
    "server-ipv6": ({"host": None, "server": ("::1", 8000)}, "http://[::1]:8000/"),
    "server-ipv6-default": ({"host": None, "server": ("fe80::1", 80)}, "http://[fe80::1]/"),
    "host-ipv6": ({"host": b"[::1]:8443", "scheme": "https"}, "https://[::1]:8443/"),
    "no-host-no-server": ({"host": None, "server": None}, "/"),
    "invalid-host": ({"host": b"evil.test/x?"}, "http://testserver/"),
    "path-query": (
        {"path": "/a/b", "query_string": b"x=1&y=%20"},
        "http://testserver/a/b?x=1&y=%20",
    ),
    "path-special-chars": ({"path": "/a?b#c"}, "http://testserver/a%3Fb%23c"),
    "path-decoded-space": ({"path": "/a b"}, "http://testserver/a b"),
}


@pytest.mark.parametrize(("changes", "expected"), URLS.values(), ids=URLS)
def test_url(changes: dict[str, Any], expected: str) -> None:
    url = Request(scope_with(**changes)).url
    assert isinstance(url, URL)
    assert url == expected


def test_url_components() -> None:
    request = Request(scope_with(path="/a?b", query_string=b"q=1", host=b"Example.com:8080"))
    url = request.url
    assert (url.scheme, url.hostname, url.port) == ("http", "example.com", 8080)
    # COMPAT: `url.path` keeps the re-escaped "?", as Starlette's does.
    assert (url.path, url.query, url.netloc) == ("/a%3Fb", "q=1", "Example.com:8080")
    assert not url.is_secure


BASE_URLS: dict[str, tuple[dict[str, Any], str]] = {
    "no-root": ({}, "http://testserver/"),
    "root-path": ({"root_path": "/api"}, "http://testserver/api/"),
    "root-path-slash": ({"root_path": "/api/"}, "http://testserver/api/"),
    "app-root-path-wins": (
        {"root_path": "/api/v1", "app_root_path": "/api"},
        "http://testserver/api/",
    ),
    "empty-app-root-path": ({"root_path": "/mount", "app_root_path": ""}, "http://testserver/"),
    "query-dropped": ({"query_string": b"a=1", "path": "/x"}, "http://testserver/"),
    "server-fallback": (
        {"host": None, "server": ("h", 8000), "root_path": "/r"},
        "http://h:8000/r/",
    ),
}


@pytest.mark.parametrize(("changes", "expected"), BASE_URLS.values(), ids=BASE_URLS)
def test_base_url(changes: dict[str, Any], expected: str) -> None:
    scope = scope_with(**changes)
    before = dict(scope)
    assert Request(scope).base_url == expected
    assert scope == before  # the request's own scope is left alone


# --- headers, query parameters, path parameters ---------------------------------------------


def test_headers() -> None:
    raw = [(b"x-multi", b"1"), (b"content-type", b"text/plain"), (b"x-multi", b"2")]
    request = Request(http_scope(headers=[*raw, (b"x-latin", b"caf\xe9")]))
    headers = request.headers
    assert isinstance(headers, Headers)
    assert headers["Content-Type"] == headers["content-type"] == "text/plain"
    assert headers["X-Multi"] == "1"
    assert headers.getlist("x-MULTI") == ["1", "2"]
    assert headers["x-latin"] == "café"
    assert "HOST" in headers
    assert headers.get("absent") is None


def test_query_params() -> None:
    params = Request(http_scope(query=b"a=1&a=2&blank=&bare&sp=x+y%21")).query_params
    assert isinstance(params, QueryParams)
    assert params["a"] == "2"  # COMPAT: a plain lookup answers the last value
    assert params.getlist("a") == ["1", "2"]
    assert (params["blank"], params["bare"], params["sp"]) == ("", "", "x y!")
    assert params.multi_items()[:2] == [("a", "1"), ("a", "2")]


def test_query_params_without_query_string() -> None:
    scope = http_scope()
    del scope["query_string"]
    assert Request(scope).query_params == QueryParams()


def test_path_params() -> None:
    assert Request(http_scope()).path_params == {}
    scope = {**http_scope(), "path_params": {"item_id": 3}}
    assert Request(scope).path_params == {"item_id": 3}


# --- cookies --------------------------------------------------------------------------------

COOKIE_HEADERS = {
    "empty": "",
    "simple": "a=1",
    "several": "a=1; b=2;c=3",
    "quoted": 'a="1"',
    "quoted-escape": 'a="x\\"y"',
    "quoted-octal": 'a="\\101\\073"',
    "unterminated-quote": 'a="open',
    "quoted-name": '"a"=1',
    "no-equals": "novalue",
    "no-equals-among-others": "a=1; flag; b=2",
    "only-equals": "=",
    "empty-name": "=v",
    "empty-value": "a=; b",
    "only-separators": ";; ;",
    "spaces": "  a  =  b  ;  c = d ",
    "tabs": "\ta\t=\tb\t",
    "duplicate-names": "a=1; a=2",
    "equals-in-value": "a=b=c",
    "comma": "a=1,b=2",
    "percent": "a=%20",
    "colon-name": "key:x=1",
    "non-ascii": "é=ü",
    "trailing-separator": "a=1;",
}


@pytest.mark.parametrize("header", COOKIE_HEADERS.values(), ids=COOKIE_HEADERS)
def test_parse_cookies_matches_starlette(header: str) -> None:
    assert parse_cookies(header) == cookie_parser(header)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], {}),
        ([(b"cookie", b"a=1; b=2")], {"a": "1", "b": "2"}),
        ([(b"cookie", b"a=1; b=2"), (b"cookie", b"b=3; c=4")], {"a": "1", "b": "3", "c": "4"}),
    ],
    ids=["none", "one-header", "split-headers"],
)
def test_request_cookies(headers: list[tuple[bytes, bytes]], expected: dict[str, str]) -> None:
    scope = http_scope(headers=headers)
    assert Request(scope).cookies == expected == StarletteRequest(scope).cookies


# --- client, state, url_for -----------------------------------------------------------------


def test_client() -> None:
    client = Request(http_scope()).client
    assert isinstance(client, Address)
    assert (client.host, client.port) == ("127.0.0.1", 50000)
    assert Request({**http_scope(), "client": None}).client is None
    scope = http_scope()
    del scope["client"]
    assert Request(scope).client is None


def test_state_is_shared_through_the_scope() -> None:
    scope = http_scope()
    first = Request(scope)
    assert isinstance(first.state, State)
    first.state.user = "ann"
    assert scope["state"] == {"user": "ann"}
    assert Request(scope).state.user == "ann"
    shared = {"db": "pool"}
    assert Request({**http_scope(), "state": shared}).state.db == "pool"


class FakeApp:
    """Just enough of an app for `url_for`: named paths with a protocol."""

    def __init__(self, url_path: Callable[..., Any] = URLPath) -> None:
        self.url_path = url_path  # minifast's URLPath, or Starlette's for the reference run

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        protocol = "websocket" if name == "feed" else "http"
        return self.url_path(f"/{name}/{path_params.get('item_id', '')}", protocol)


URL_FORS: dict[str, tuple[dict[str, Any], str, str]] = {
    "http": ({}, "item", "http://testserver/item/3"),
    "root-path": ({"root_path": "/api"}, "item", "http://testserver/api/item/3"),
    "app-root-path": (
        {"root_path": "/api/sub", "app_root_path": "/api"},
        "item",
        "http://testserver/api/item/3",
    ),
    "websocket-route": ({}, "feed", "ws://testserver/feed/3"),
    "websocket-route-secure": (
        {"scheme": "https", "host": b"h:8443"},
        "feed",
        "wss://h:8443/feed/3",
    ),
    "http-route-from-websocket": (
        {"type": "websocket", "scheme": "ws"},
        "item",
        "http://testserver/item/3",
    ),
}


@pytest.mark.parametrize(("changes", "name", "expected"), URL_FORS.values(), ids=URL_FORS)
def test_url_for(changes: dict[str, Any], name: str, expected: str) -> None:
    scope = scope_with(**changes, app=FakeApp())
    url = HTTPConnection(scope).url_for(name, item_id=3)
    assert isinstance(url, URL)
    assert url == expected
    theirs = {**scope, "type": "http", "app": FakeApp(reference.URLPath)}
    assert str(url) == str(StarletteRequest(theirs).url_for(name, item_id=3))


# --- laziness -------------------------------------------------------------------------------


class RecordingScope(dict[str, Any]):
    """A scope that notes every key read from it."""

    def __init__(self, scope: dict[str, Any]) -> None:
        super().__init__(scope)
        self.read: list[str] = []

    def __getitem__(self, key: str) -> Any:
        self.read.append(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.append(key)
        return super().get(key, default)


def test_nothing_is_parsed_until_asked() -> None:
    scope = RecordingScope(http_scope(query=b"a=1", headers=[(b"cookie", b"c=1")]))
    request = Request(scope, scripted([]))
    assert scope.read == []
    assert (request._headers, request._query_params, request._cookies, request._url) == (
        None,
        None,
        None,
        None,
    )
    assert not hasattr(request, "_body")  # COMPAT: Starlette's subclasses test for it


@pytest.mark.parametrize(
    ("attribute", "cache", "value"),
    [
        ("headers", "_headers", Headers(raw=[(b"host", b"testserver"), (b"cookie", b"c=1")])),
        ("query_params", "_query_params", QueryParams("a=1")),
        ("cookies", "_cookies", {"c": "1"}),
        ("url", "_url", URL("http://testserver/?a=1")),
    ],
    ids=["headers", "query-params", "cookies", "url"],
)
def test_each_view_is_built_once(attribute: str, cache: str, value: Any) -> None:
    scope = RecordingScope(http_scope(query=b"a=1", headers=[(b"cookie", b"c=1")]))
    request = Request(scope)
    first = getattr(request, attribute)
    assert first == value
    assert getattr(request, cache) is first
    reads = list(scope.read)
    assert getattr(request, attribute) is first  # reused, not rebuilt
    assert scope.read == reads


# --- differential: the same scope through Starlette's Request -------------------------------

DIFFERENTIAL_SCOPES: dict[str, dict[str, Any]] = {
    "plain": http_scope(),
    "query-and-cookies": http_scope(
        "POST", "/items/1", b"a=1&a=2&b=&c", [(b"cookie", b'x=1; y="q"; flag; x=3')]
    ),
    "root-path": http_scope(path="/api/x", root_path="/api"),
    "app-root-path": {**http_scope(path="/api/v1/x", root_path="/api/v1"), "app_root_path": "/api"},
    "no-host-header": scope_with(host=None, server=("10.0.0.1", 8080)),
    "no-host-https-default": scope_with(host=None, scheme="https", server=("h", 443)),
    "ipv6-server": scope_with(host=None, server=("::1", 8000)),
    "ipv6-host": scope_with(host=b"[2001:db8::1]:80"),
    "invalid-host": scope_with(host=b"a.test@b.test"),
    "no-client-no-server": scope_with(host=None, server=None, client=None),
    "special-path": http_scope(path="/a?b#c\\d//e"),
    "encoded-query": http_scope(query=b"q=%E2%82%AC+x&k=%3D"),
    "latin-1-headers": http_scope(headers=[(b"x-name", b"caf\xe9"), (b"x-name", b"two")]),
    "websocket-scheme": scope_with(scheme="wss", host=None, server=("h", 443)),
}


@pytest.mark.parametrize("scope", DIFFERENTIAL_SCOPES.values(), ids=DIFFERENTIAL_SCOPES)
def test_request_matches_starlette(scope: dict[str, Any]) -> None:
    ours, theirs = Request(scope), StarletteRequest(scope)
    assert str(ours.url) == str(theirs.url)
    assert str(ours.base_url) == str(theirs.base_url)
    assert ours.headers.items() == theirs.headers.items()
    assert dict(ours.headers) == dict(theirs.headers)
    assert ours.query_params.multi_items() == theirs.query_params.multi_items()
    assert dict(ours.query_params) == dict(theirs.query_params)
    assert ours.cookies == theirs.cookies
    assert repr(ours.client) == repr(theirs.client)  # Address(host=..., port=...) or None
    assert (ours.method, ours.path_params) == (theirs.method, theirs.path_params)


# --- the body -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_stream_yields_chunks_as_delivered() -> None:
    messages = [*chunks(b"ab", b"", b"cd"), {"type": "http.request"}]
    request = Request(http_scope("POST"), scripted(messages))
    assert [chunk async for chunk in request.stream()] == [b"ab", b"cd", b""]
    assert messages == [{"type": "http.request"}]  # nothing read past the last chunk


@pytest.mark.anyio
async def test_stream_twice_is_an_error() -> None:
    request = Request(http_scope("POST"), scripted(chunks(b"x")))
    assert [chunk async for chunk in request.stream()] == [b"x", b""]
    with pytest.raises(RuntimeError, match="already streamed"):
        [chunk async for chunk in request.stream()]
    with pytest.raises(RuntimeError):
        await request.body()


@pytest.mark.anyio
async def test_body_is_cached_and_stream_replays_it() -> None:
    calls: list[int] = []
    request = Request(http_scope("POST"), scripted(chunks(b"a", b"b", b"c"), calls))
    assert request.receive is request._receive
    body = await request.body()
    assert body == b"abc"
    assert await request.body() is body
    assert [chunk async for chunk in request.stream()] == [b"abc", b""]
    assert [chunk async for chunk in request.stream()] == [b"abc", b""]
    assert len(calls) == 3


@pytest.mark.anyio
async def test_message_without_body_key_ends_an_empty_body() -> None:
    request = Request(http_scope("POST"), scripted([{"type": "http.request"}]))
    assert await request.body() == b""


@pytest.mark.anyio
async def test_json_is_parsed_once() -> None:
    request = Request(http_scope("POST"), scripted(chunks(b'{"a": [1, ', b'"\xc3\xa9"]}')))
    data = await request.json()
    assert data == {"a": [1, "é"]}
    assert await request.json() is data


@pytest.mark.anyio
async def test_json_error() -> None:
    request = Request(http_scope("POST"), scripted(chunks(b"{nope")))
    with pytest.raises(ValueError):
        await request.json()


@pytest.mark.anyio
@pytest.mark.parametrize("reader", ["body", "stream"], ids=["body", "stream"])
async def test_disconnect_while_reading(reader: str) -> None:
    calls: list[int] = []
    messages = [*chunks(b"a", b"b")[:1], {"type": "http.disconnect"}]
    request = Request(http_scope("POST"), scripted(messages, calls))
    with pytest.raises(ClientDisconnect):
        if reader == "body":
            await request.body()
        else:
            [chunk async for chunk in request.stream()]
    assert await request.is_disconnected()
    assert len(calls) == 2  # known now: receive is not asked again


@pytest.mark.anyio
async def test_without_receive_and_send() -> None:
    request = Request(http_scope("POST"))
    with pytest.raises(RuntimeError, match="no body to receive"):
        await request.body()
    with pytest.raises(RuntimeError, match="cannot send"):
        await request._send({"type": "http.response.start"})


# --- is_disconnected ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_is_disconnected_does_not_wait_for_a_message() -> None:
    calls: list[int] = []
    request = Request(http_scope(), scripted([], calls))
    with anyio.fail_after(1):
        assert await request.is_disconnected() is False
        assert await request.is_disconnected() is False
    assert len(calls) == 2


@pytest.mark.anyio
async def test_is_disconnected_sees_a_pending_disconnect() -> None:
    calls: list[int] = []
    # ASGI: once the client has gone, every receive() answers http.disconnect.
    gone = [{"type": "http.disconnect"}, {"type": "http.disconnect"}]
    request = Request(http_scope(), scripted(gone, calls))
    assert await request.is_disconnected() is True
    assert await request.is_disconnected() is True
    assert len(calls) == 1
    with pytest.raises(ClientDisconnect):
        await request.body()


@pytest.mark.anyio
async def test_is_disconnected_keeps_a_pending_body_chunk() -> None:
    """Starlette drops the body message it peeks at; minifast hands it to the body reader."""
    request = Request(http_scope("POST"), scripted(chunks(b"first", b"second")))
    assert await request.is_disconnected() is False
    assert await request.is_disconnected() is False  # peeks at the next chunk too
    assert await request.body() == b"firstsecond"
    assert await request.is_disconnected() is False


@pytest.mark.anyio
async def test_is_disconnected_after_the_body() -> None:
    request = Request(http_scope("POST"), scripted([*chunks(b"x"), {"type": "http.disconnect"}]))
    assert await request.body() == b"x"
    assert await request.is_disconnected() is True


@pytest.mark.parametrize("name", ["session", "auth", "user"])
def test_scope_values_set_by_middleware_need_that_middleware(name: str) -> None:
    """request.session/.auth/.user read the scope; without the middleware, Starlette's words."""
    messages = []
    for request_class in (StarletteRequest, Request):
        with pytest.raises(AssertionError) as raised:
            getattr(request_class(http_scope()), name)
        messages.append(str(raised.value))
        assert getattr(request_class({**http_scope(), name: {"v": 1}}), name) == {"v": 1}
    assert messages[0] == messages[1]


def test_a_connection_takes_receive_and_ignores_it() -> None:
    """COMPAT: middleware (starsessions) builds HTTPConnection(scope, receive)."""

    async def receive() -> Any:
        raise AssertionError("not called")  # pragma: no cover

    connection = HTTPConnection(http_scope(path="/x"), receive)
    assert connection.url.path == "/x"
