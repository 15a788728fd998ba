"""The request as an endpoint sees it: a lazy view over the ASGI scope and `receive`.

Nothing is parsed until asked for: headers, query parameters, cookies and the URL are each
built on first access and kept, so an endpoint that reads none of them pays for none of them.
The body is read only as far as `max_body_size` allows (the route's limit): a declared
Content-Length over it is refused before anything is read, and counted chunks past it stop the
reading, so a lying or absent Content-Length cannot make the app hold more.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

import anyio

from minifast.datastructures import (
    DEFAULT_MAX_FILE_SIZE,
    URL,
    Address,
    FormData,
    FormLimits,
    Headers,
    QueryParams,
    State,
    URLPath,
)
from minifast.exceptions import HTTPException
from minifast.types import Message, Receive, Scope, Send


class ClientDisconnect(Exception):
    """The client went away before the request body was read in full."""


class HTTPConnection(Mapping[str, Any]):
    """What HTTP requests and websockets share: scope-derived, read-only, lazy."""

    # PERF: what is parsed on first use starts out as these class attributes; an instance
    # stores only what it has parsed, (a) -0.3 µs per request.
    _headers: Headers | None = None
    _query_params: QueryParams | None = None
    _cookies: dict[str, str] | None = None
    _url: URL | None = None

    def __init__(self, scope: Scope, receive: Receive | None = None) -> None:
        # COMPAT: `receive` is accepted and unused, as Starlette's is: middleware written for
        # it builds a connection from (scope, receive) whatever the scope's type.
        self.scope = scope

    def __getitem__(self, key: str) -> Any:
        return self.scope[key]

    def __iter__(self) -> Any:
        return iter(self.scope)

    def __len__(self) -> int:
        return len(self.scope)

    # Identity, not scope equality: two requests over one scope are still two objects.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    @property
    def app(self) -> Any:
        return self.scope["app"]

    @property
    def url(self) -> URL:
        if self._url is None:
            self._url = URL(scope=self.scope)
        return self._url

    @property
    def base_url(self) -> URL:
        """The URL of the application root, `/` included, with no query."""
        root = self.scope.get("app_root_path", self.scope.get("root_path", ""))
        scope = {**self.scope, "path": root if root.endswith("/") else root + "/"}
        scope["query_string"] = b""
        return URL(scope=scope)

    @property
    def headers(self) -> Headers:
        if self._headers is None:
            self._headers = Headers(raw=self.scope["headers"])
        return self._headers

    @property
    def query_params(self) -> QueryParams:
        if self._query_params is None:
            self._query_params = QueryParams(self.scope.get("query_string", b""))
        return self._query_params

    @property
    def path_params(self) -> dict[str, Any]:
        params: dict[str, Any] = self.scope.get("path_params", {})
        return params

    @property
    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            # COMPAT: every Cookie header counts (HTTP/2 may split them); later names win.
            self._cookies = parse_cookies("; ".join(self.headers.getlist("cookie")))
        return self._cookies

    @property
    def client(self) -> Address | None:
        client = self.scope.get("client")
        return Address(*client) if client is not None else None

    @property
    def state(self) -> State:
        # ASGI: the lifespan `state` extension is a dict per request, shared by every layer.
        return State(self.scope.setdefault("state", {}))

    # What scope-setting middleware put there (sessions, authentication). COMPAT: without the
    # middleware, Starlette's assertion and words.
    @property
    def session(self) -> dict[str, Any]:
        assert "session" in self.scope, _MISSING.format("SessionMiddleware", "session")
        session: dict[str, Any] = self.scope["session"]
        mark_accessed = getattr(session, "mark_accessed", None)
        if mark_accessed is not None:  # a session read answers with `Vary: Cookie`
            mark_accessed()
        return session

    @property
    def auth(self) -> Any:
        assert "auth" in self.scope, _MISSING.format("AuthenticationMiddleware", "auth")
        return self.scope["auth"]

    @property
    def user(self) -> Any:
        assert "user" in self.scope, _MISSING.format("AuthenticationMiddleware", "user")
        return self.scope["user"]

    def url_for(self, name: str, /, **path_params: Any) -> URL:
        """The absolute URL of the route called `name`.

        Names are looked up from the outermost router, so code in a mounted app names its own
        routes "mount:route" and reaches the parent's routes too, as in FastAPI.
        """
        router = self.scope.get("router") or self.app
        path: URLPath = router.url_path_for(name, **path_params)
        return path.make_absolute_url(self.base_url)  # a websocket route gets ws:// or wss://


_MISSING = "{} must be installed to access request.{}"


def unreadable(scope: Scope) -> str | None:
    """Why this request cannot be read as its client meant it, or None for almost all.

    HTTP: a request with two Host headers is refused (RFC 9112, section 3.2), since two parts
    of a system may each believe a different one. A path whose percent-escapes are no UTF-8
    (`%ff`) is refused rather than routed with U+FFFD in place of the bytes, as servers decode
    it, or with surrogates that no answer could carry back.
    PERF: a non-ASCII path is rare and the only one looked at further; the Host count is one
    pass over the header names, 0.2 µs.
    """
    path: str = scope["path"]
    if not path.isascii() and not _is_utf8_path(path, scope.get("raw_path")):
        return "Invalid path: its percent-encoded bytes are not UTF-8"
    if [name for name, _ in scope["headers"]].count(b"host") > 1:
        return "More than one Host header"
    return None


def _is_utf8_path(path: str, raw_path: bytes | None) -> bool:
    try:
        path.encode("utf-8")  # a server that decoded with surrogateescape
    except UnicodeEncodeError:
        return False
    if "\ufffd" not in path or raw_path is None:
        return True
    try:
        unquote_to_bytes(raw_path).decode("utf-8")  # U+FFFD sent as such, or made by the server
    except UnicodeDecodeError:
        return False
    return True


def parse_cookies(header: str) -> dict[str, str]:
    """Parse a Cookie header leniently, as browsers send it, not as RFC 6265 would like."""
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        key, separator, value = chunk.partition("=")
        if not separator:  # COMPAT: a bare value is kept under the empty name.
            key, value = "", key
        key, value = key.strip(), value.strip()
        if key or value:
            cookies[key] = _unquoted(value) if value.startswith('"') else value
    return cookies


def _unquoted(value: str) -> str:
    """A value in double quotes, its escapes undone as http.cookies does.

    PERF: http.cookies is imported by the first quoted value, not with minifast: -1 ms of
    start-up (with Response.set_cookie's import).
    """
    from http.cookies import _unquote

    return _unquote(value)


async def _no_receive() -> Message:
    raise RuntimeError("this request has no body to receive")


async def _no_send(message: Message) -> None:
    raise RuntimeError("this request cannot send")


# COMPAT: Starlette's names for these helpers, which extensions import.
empty_receive, empty_send, cookie_parser = _no_receive, _no_send, parse_cookies


class Request(HTTPConnection):
    """An HTTP request: the connection plus method and body."""

    # Set on first use, as HTTPConnection's are. COMPAT: `_body` only exists once read, as in
    # Starlette, so a subclass may wrap reading it behind `hasattr(self, "_body")`.
    _body: bytes
    _json: Any = None
    _form: FormData | None = None
    _stream_consumed = False
    _is_disconnected = False
    _received = 0  # body bytes read so far, counted against max_body_size
    # The most body bytes this request may read; a route sets its own before its endpoint
    # runs. None: no limit (a plain Route, or a route that lifted it), as in Starlette.
    max_body_size: int | None = None

    def __init__(self, scope: Scope, receive: Receive = _no_receive, send: Send = _no_send):
        super().__init__(scope)
        self._receive = receive
        self._send = send
        self._early: list[Message] = []  # messages is_disconnected() took before stream() ran

    @property
    def method(self) -> str:
        method: str = self.scope["method"]
        return method

    @property
    def receive(self) -> Receive:
        return self._receive

    async def stream(self) -> AsyncIterator[bytes]:
        """The body chunk by chunk, as the server delivers it; once only, unless cached."""
        body = self.__dict__.get("_body")
        if body is not None:
            yield body
            yield b""
            return
        self._start_reading()
        more = True
        while more:
            chunk, more = await self._next_chunk()
            if chunk:
                yield chunk
        yield b""

    def _start_reading(self) -> None:
        """Mark the body as being read; refuse one declared larger than the limit up front."""
        if self._stream_consumed:
            raise RuntimeError("the request body was already streamed")
        self._stream_consumed = True
        limit = self.max_body_size
        if limit is not None:
            declared = self.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _body_too_large()

    async def _next_chunk(self) -> tuple[bytes, bool]:
        """The next body bytes and whether more follow, counted against the limit."""
        message = self._early.pop(0) if self._early else await self._receive()
        if message["type"] == "http.disconnect":
            self._is_disconnected = True
            raise ClientDisconnect
        chunk: bytes = message.get("body", b"")
        self._received += len(chunk)
        if self.max_body_size is not None and self._received > self.max_body_size:
            raise _body_too_large()  # Content-Length was absent or lied
        return chunk, message.get("more_body", False)

    async def body(self) -> bytes:
        if "_body" not in self.__dict__:
            # PERF: read here, not through stream(): no async generator per request, -1 µs.
            self._start_reading()
            chunks, more = [], True
            while more:
                chunk, more = await self._next_chunk()
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        if self._json is None:
            self._json = json.loads(await self.body())
        return self._json

    def form(
        self,
        *,
        max_files: int = 1000,
        max_fields: int = 1000,
        max_part_size: int = 1024 * 1024,
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    ) -> _FormReader:
        """The body as a form: `await request.form()`, or `async with request.form() as form:`.

        Parsed once, with the limits of the first call; the files it holds are closed after
        the response is sent, or at the end of the `async with` block.
        """
        limits = FormLimits(max_files, max_fields, max_part_size, max_file_size)
        return _FormReader(self, limits)

    async def _read_form(self, limits: FormLimits) -> FormData:
        if self._form is None:
            content_type = self.headers.get("content-type")
            self._form = await _form_parser()(content_type, self.stream(), limits)
        return self._form

    async def close(self) -> None:
        """Close the files of the form, if one was read."""
        if self._form is not None:
            await self._form.close()

    async def is_disconnected(self) -> bool:
        """Whether the client has gone; looks at a pending message without waiting for one."""
        if not self._is_disconnected:
            with anyio.CancelScope() as scope:
                scope.cancel()  # ASGI: receive() returns at once only if a message is queued.
                message = await self._receive()
                if message.get("type") == "http.disconnect":
                    self._is_disconnected = True
                else:
                    self._early.append(message)  # a body chunk: keep it for stream()
        return self._is_disconnected


@functools.cache
def _form_parser() -> Callable[[str | None, AsyncIterator[bytes], FormLimits], Awaitable[FormData]]:
    """formparsers.parse_form, imported by the first form read.

    PERF: formparsers loads with the first form, not with minifast: -1 ms of start-up. Later
    reads find the function in this cache (+0.05 µs), not through an import statement (0.8 µs).
    """
    from minifast.formparsers import parse_form

    return parse_form


def _body_too_large() -> HTTPException:
    return HTTPException(413, detail="Request body too large")


class _FormReader:
    """What `request.form()` returns: an awaitable that is also an async context manager."""

    def __init__(self, request: Request, limits: FormLimits) -> None:
        self._request = request
        self._limits = limits

    def __await__(self) -> Generator[Any, None, FormData]:
        return self._request._read_form(self._limits).__await__()

    async def __aenter__(self) -> FormData:
        return await self._request._read_form(self._limits)

    async def __aexit__(self, *exc_info: object) -> None:
        await self._request.close()
