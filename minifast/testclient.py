"""`TestClient`: call an ASGI app in-process through httpx, with lifespan and websockets."""

# How the test client works: httpx builds each request on the test's thread and hands it to
# `_TestClientTransport`, which turns it into an ASGI scope and runs the app as a task in an
# anyio blocking portal (an event loop on a helper thread). The body reaches the app through
# `receive`; the response comes back through a zero-size memory stream, so the app produces
# each chunk only when httpx reads it. `with TestClient(app)` keeps one portal open for the
# client's lifetime and runs the lifespan protocol in it; otherwise each request and websocket
# session opens a short-lived portal of its own.

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from typing import Any, Literal, TypeVar, cast

import anyio

try:
    import httpx
except ModuleNotFoundError as missing:  # pragma: no cover - tested in a subprocess without it
    raise ModuleNotFoundError(
        'minifast.testclient needs httpx: pip install "minifast[standard]" (or httpx alone)',
        name="httpx",
    ) from missing
from anyio.from_thread import BlockingPortal, start_blocking_portal

from minifast.types import ASGIApp, Message, RawHeaders, Scope
from minifast.websockets import WebSocketDisconnect

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_WEBSOCKET_SCHEMES = {"http": "ws", "https": "wss"}
_HANDSHAKE_HEADERS = {
    "connection": "upgrade",
    "sec-websocket-key": "testserver==",
    "sec-websocket-version": "13",
}
_PortalFactory = Callable[[], AbstractContextManager[BlockingPortal]]
_Cookies = httpx.Cookies | CookieJar | dict[str, str] | list[tuple[str, str]]
_Client = TypeVar("_Client", bound="TestClient")
_Session = TypeVar("_Session", bound="WebSocketTestSession")


@dataclass(frozen=True)
class _ClientSettings:
    """What every connection one client opens has in common."""

    app: ASGIApp
    root_path: str
    client: tuple[str, int]
    state: dict[str, Any]  # filled by the lifespan; each connection gets a shallow copy
    raise_server_exceptions: bool


def _connection_scope(settings: _ClientSettings, request: httpx.Request) -> Scope:
    """The scope keys http and websocket connections share, read from an httpx request."""
    url = request.url
    return {
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": url.scheme,
        "server": (url.host, url.port or _DEFAULT_PORTS[url.scheme]),
        "client": settings.client,
        "path": url.path,  # httpx has percent-decoded it once, as a server would
        "raw_path": url.raw_path.split(b"?", 1)[0],
        "query_string": url.query,
        "root_path": settings.root_path,
        "headers": [(key.lower(), value) for key, value in request.headers.raw],
        # ASGI: lifespan state extension; a request may add keys without leaking them.
        "state": dict(settings.state),
    }


class _HTTPExchange:
    """One request and its response, as the app sees them inside the portal's event loop."""

    def __init__(self, request: httpx.Request) -> None:
        # Built through portal.call: anyio events and cancel scopes need the running loop.
        assert isinstance(request.stream, httpx.SyncByteStream)  # httpx.Client streams are sync
        self.is_head = request.method == "HEAD"
        self.request_chunks = iter(request.stream)
        self.next_chunk: bytes | None = next(self.request_chunks, b"")
        self.status: int | None = None
        self.headers: RawHeaders = []
        self.response_started = anyio.Event()
        self.response_complete = anyio.Event()
        self.app_done = anyio.Event()
        self.body_sender, self.body_receiver = anyio.create_memory_object_stream[bytes](0)
        self.cancel_scope = anyio.CancelScope()

    async def run(self, app: ASGIApp, scope: Scope) -> None:
        """Call the app; closing the body stream tells the reader the app has returned."""
        try:
            with self.cancel_scope:
                async with self.body_sender:
                    await app(scope, self.receive, self.send)
        finally:
            self.response_started.set()  # wake the test thread even if no response started
            self.app_done.set()

    async def receive(self) -> Message:
        """Stream the request body, then report the disconnect once the response is read."""
        if self.next_chunk is None:
            # ASGI: the client stays connected until it has the whole response; block until then.
            await self.response_complete.wait()
            return {"type": "http.disconnect"}
        body = self.next_chunk
        self.next_chunk = next(self.request_chunks, None)
        return {"type": "http.request", "body": body, "more_body": self.next_chunk is not None}

    async def send(self, message: Message) -> None:
        """Record the response start, and pass each body chunk on to the test's thread."""
        if message["type"] == "http.response.start":
            assert self.status is None, 'Received multiple "http.response.start" messages.'
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
            self.response_started.set()
        elif message["type"] == "http.response.body":
            assert self.status is not None, 'Received "http.response.body" before the start.'
            assert not self.response_complete.is_set(), 'Received "http.response.body" after end.'
            # COMPAT: Starlette's TestClient drops HEAD bodies, as a server would.
            body = b"" if self.is_head else bytes(message.get("body", b""))
            await self.body_sender.send(body)
            if not message.get("more_body", False):
                self.response_complete.set()
        # Other messages belong to extensions (trailers, debug info) this client does not offer.

    async def stop(self) -> None:
        """Cancel the app if its response was abandoned half-way, then release the stream."""
        if not self.response_complete.is_set():
            self.cancel_scope.cancel()
        await self.app_done.wait()
        self.body_receiver.close()


class _ResponseStream(httpx.SyncByteStream):
    """A response body pulled from the app chunk by chunk as httpx reads it."""

    def __init__(
        self, portal: BlockingPortal, exchange: _HTTPExchange, on_close: ExitStack
    ) -> None:
        self._portal = portal
        self._exchange = exchange
        self._on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                yield self._portal.call(self._exchange.body_receiver.receive)
            except anyio.EndOfStream:
                break
        self.close()  # here, not later, so an error the app raised fails the read

    def close(self) -> None:
        self._on_close.close()


class _TestClientTransport(httpx.BaseTransport):
    """Turns each httpx request into one ASGI http call run in a portal."""

    def __init__(self, settings: _ClientSettings, portal_factory: _PortalFactory) -> None:
        self._settings = settings
        self._portal_factory = portal_factory
        self._open_responses: set[ExitStack] = set()  # each closes one streamed response

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        scope = {**_connection_scope(self._settings, request), "type": "http"}
        scope["method"] = request.method
        with ExitStack() as stack:
            portal = stack.enter_context(self._portal_factory())
            exchange = portal.call(_HTTPExchange, request)
            task = portal.start_task_soon(exchange.run, self._settings.app, scope)
            stack.callback(self._finish, portal, exchange, task)
            portal.call(exchange.response_started.wait)
            if exchange.status is not None:
                on_close = stack.pop_all()
                self._open_responses.add(on_close)
                on_close.callback(self._open_responses.discard, on_close)
                stream = _ResponseStream(portal, exchange, on_close)
                return httpx.Response(
                    exchange.status, headers=exchange.headers, stream=stream, request=request
                )
        # COMPAT: Starlette's TestClient, when the app ended without starting a response.
        if self._settings.raise_server_exceptions:
            raise AssertionError("TestClient did not receive any response.")
        return httpx.Response(500, request=request)

    def close(self) -> None:
        """Abandon responses still being streamed, so their apps stop."""
        for on_close in list(self._open_responses):
            on_close.close()

    def _finish(self, portal: BlockingPortal, exchange: _HTTPExchange, task: Future[None]) -> None:
        """Stop the app if need be, wait for it, and re-raise what it raised."""
        portal.call(exchange.stop)
        error = task.exception()
        if error is not None and self._settings.raise_server_exceptions:
            raise error


class _Channel:
    """Unbounded message streams between the test's thread and an app's cancellable task."""

    def __init__(self) -> None:
        # Built through portal.call: a cancel scope needs the running loop.
        self.to_app, self.app_inbox = anyio.create_memory_object_stream[Message](math.inf)
        self.app_outbox, self.from_app = anyio.create_memory_object_stream[Message](math.inf)
        self.cancel_scope = anyio.CancelScope()

    async def run(self, app: ASGIApp, scope: Scope) -> None:
        """Call the app; closing its outbox tells the test's thread the app has returned."""
        with self.cancel_scope:
            async with self.app_outbox:
                await app(scope, self.app_inbox.receive, self.app_outbox.send)

    def close(self) -> None:
        for stream in (self.to_app, self.app_inbox, self.app_outbox, self.from_app):
            stream.close()


class _Lifespan:
    """The app's lifespan task, driven from the test's thread through the client's portal."""

    def __init__(self, app: ASGIApp, state: dict[str, Any], portal: BlockingPortal) -> None:
        self._portal = portal
        self._channel = portal.call(_Channel)
        self._has_ended = False
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        scope["state"] = state  # ASGI: the app fills it at startup; requests get copies
        self._task = portal.start_task_soon(self._channel.run, app, scope)

    def startup(self) -> None:
        self._signal("lifespan.startup")

    def shutdown(self) -> None:
        self._signal("lifespan.shutdown")
        self._task.result()  # an error raised after shutdown.complete still fails the test

    def close(self) -> None:
        self._portal.call(self._channel.close)

    def _signal(self, event: str) -> None:
        """Send `event` and wait for `<event>.complete`; raise on `.failed` or an app error."""
        if self._has_ended:
            return
        self._portal.call(self._channel.to_app.send, {"type": event})
        try:
            message = self._portal.call(self._channel.from_app.receive)
        except anyio.EndOfStream:
            # COMPAT: an app that raises fails, as in Starlette's TestClient; one that just
            # returns does not use lifespan, as uvicorn treats it.
            self._task.result()
            self._has_ended = True
            return
        if message["type"] != f"{event}.complete":
            # Apps re-raise right after `.failed`; one that waits on instead is stopped.
            self._portal.call(self._channel.cancel_scope.cancel)
            self._task.result()  # prefer the app's own exception to the message
            raise RuntimeError(message.get("message") or message["type"])


# Both bases define __setstate__; the class is never pickled, so the clash is harmless.
class WebSocketDenialResponse(httpx.Response, WebSocketDisconnect):  # type: ignore[misc]
    """The app refused the websocket handshake with an HTTP response."""


class WebSocketTestSession:
    """A websocket connection to the app: `with` runs the handshake, leaving it disconnects."""

    def __init__(self, app: ASGIApp, scope: Scope, portal_factory: _PortalFactory) -> None:
        self.app = app
        self.scope = scope
        self.accepted_subprotocol: str | None = None
        self.extra_headers: RawHeaders | None = None
        self._portal_factory = portal_factory

    def __enter__(self: _Session) -> _Session:
        with ExitStack() as stack:
            self._portal = stack.enter_context(self._portal_factory())
            self._channel = self._portal.call(_Channel)
            self._task = self._portal.start_task_soon(self._channel.run, self.app, self.scope)
            stack.push(self._stop)
            self.send({"type": "websocket.connect"})
            accept = self._receive_open()
            self.accepted_subprotocol = accept.get("subprotocol")
            self.extra_headers = accept.get("headers")
            self._exit_stack = stack.pop_all()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._exit_stack.__exit__(*exc_info)

    def _stop(self, exc_type: type[BaseException] | None, *_: object) -> None:
        """Disconnect and stop a running app; re-raise its error unless the test failed first."""
        if not self._task.done():
            # COMPAT: like Starlette's TestClient, the app sees the disconnect, then is cancelled.
            self.close(1000)
            self._portal.call(self._channel.cancel_scope.cancel)
        error = self._task.exception()
        self._portal.call(self._channel.close)
        if error is not None and exc_type is None:
            raise error

    def _receive_open(self) -> Message:
        """The next message, raising if the app closed the connection or refused it."""
        message = self.receive()
        if message["type"] == "websocket.close":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        if message["type"] == "websocket.http.response.start":
            raise self._denial(message)
        return message

    def _denial(self, start: Message) -> WebSocketDenialResponse:
        """Read the rest of the HTTP response the app sent instead of accepting."""
        body, more_body = b"", True
        while more_body:
            message = self.receive()
            body += message.get("body", b"")
            more_body = message.get("more_body", False)
        headers = start.get("headers", [])
        return WebSocketDenialResponse(start["status"], headers=headers, content=body)

    def send(self, message: Message) -> None:
        self._portal.call(self._channel.to_app.send, message)

    def send_text(self, data: str) -> None:
        self.send({"type": "websocket.receive", "text": data})

    def send_bytes(self, data: bytes) -> None:
        self.send({"type": "websocket.receive", "bytes": data})

    def send_json(self, data: Any, mode: Literal["text", "binary"] = "text") -> None:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "text":
            self.send_text(text)
        else:
            self.send_bytes(text.encode())

    def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.send({"type": "websocket.disconnect", "code": code, "reason": reason})

    def receive(self) -> Message:
        """The next message the app sent; once the app has returned, its error or a close."""
        try:
            return self._portal.call(self._channel.from_app.receive)
        except anyio.EndOfStream:
            self._task.result()
            # ASGI: an app that returns without websocket.close drops the connection (1006).
            return {"type": "websocket.close", "code": 1006, "reason": ""}

    def receive_text(self) -> str:
        return cast(str, self._receive_open()["text"])

    def receive_bytes(self) -> bytes:
        return cast(bytes, self._receive_open()["bytes"])

    def receive_json(self, mode: Literal["text", "binary"] = "text") -> Any:
        if mode == "text":
            return json.loads(self.receive_text())
        return json.loads(self.receive_bytes())


class TestClient(httpx.Client):
    """An httpx client whose requests are handled in-process by an ASGI app."""

    __test__ = False  # not a test class, whatever pytest infers from the name

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        backend: Literal["asyncio", "trio"] = "asyncio",
        backend_options: dict[str, Any] | None = None,
        cookies: _Cookies | None = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
        client: tuple[str, int] = ("testclient", 50000),
    ) -> None:
        self.app = app
        self.app_state: dict[str, Any] = {}
        self._settings = _ClientSettings(
            app, root_path, client, self.app_state, raise_server_exceptions
        )
        self._backend = backend
        self._backend_options = backend_options
        self._portal: BlockingPortal | None = None
        default_headers = httpx.Headers(headers)
        default_headers.setdefault("user-agent", "testclient")
        super().__init__(
            base_url=base_url,
            headers=default_headers,
            transport=_TestClientTransport(self._settings, self._portal_for_connection),
            follow_redirects=follow_redirects,
            cookies=cookies,
        )

    @contextmanager
    def _portal_for_connection(self) -> Iterator[BlockingPortal]:
        """The portal `with client:` keeps open, or else one for this connection alone."""
        if self._portal is not None:
            yield self._portal
        else:
            with start_blocking_portal(self._backend, self._backend_options) as portal:
                yield portal

    def websocket_connect(
        self,
        url: str,
        subprotocols: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> WebSocketTestSession:
        """A websocket session to `url`; enter it to run the handshake."""
        request_headers = httpx.Headers(headers)
        for name, value in _HANDSHAKE_HEADERS.items():
            request_headers.setdefault(name, value)
        if subprotocols:
            request_headers.setdefault("sec-websocket-protocol", ", ".join(subprotocols))
        request = self.build_request("GET", url, headers=request_headers)
        scheme = _WEBSOCKET_SCHEMES.get(request.url.scheme, request.url.scheme)
        request.url = request.url.copy_with(scheme=scheme)
        scope = {**_connection_scope(self._settings, request), "type": "websocket"}
        scope["subprotocols"] = list(subprotocols or [])
        scope["extensions"] = {"websocket.http.response": {}}  # lets the app deny with HTTP
        return WebSocketTestSession(self.app, scope, self._portal_for_connection)

    def __enter__(self: _Client) -> _Client:
        with ExitStack() as stack:
            portal = stack.enter_context(
                start_blocking_portal(self._backend, self._backend_options)
            )
            self._portal = portal
            stack.callback(setattr, self, "_portal", None)
            lifespan = _Lifespan(self.app, self.app_state, portal)
            stack.callback(lifespan.close)
            lifespan.startup()
            stack.callback(lifespan.shutdown)
            stack.callback(self._transport.close)
            self._exit_stack = stack.pop_all()
        return self

    def __exit__(self, *exc_info: object) -> None:
        # The client stays open, as in Starlette: it may be used, or entered, again.
        self._exit_stack.close()
