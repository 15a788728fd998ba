# How the middleware stack works: it is built once, on the application's first call, as
# nested ASGI apps: the server-error layer outermost, then the user's middleware (the last
# added is outermost, as in FastAPI), then the handled-exception layer, then the router. The
# inner layer turns exceptions that have a handler (HTTPException, validation errors, your
# own) into responses, so user middleware sees them as ordinary answers. The outer layer
# catches everything else: it answers 500 "Internal Server Error" if nothing was sent yet and
# re-raises, so the server logs the traceback and it never reaches the client.
"""The middleware stack, its two built-in layers, and the `@app.middleware("http")` adapter."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import anyio

from minifast.concurrency import is_async_callable, run_in_threadpool
from minifast.exceptions import HTTPException, WebSocketException
from minifast.requests import Request
from minifast.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from minifast.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    # PERF: annotations only; anyio loads these on the first `call_next`: -3 ms of start-up.
    from anyio.abc import TaskGroup
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

Handler = Callable[..., Any]  # (request, exc) -> Response, sync or async
logger = logging.getLogger("minifast.error")


class Middleware:
    """A middleware class with its options, instantiated when the stack is built."""

    def __init__(self, cls: Callable[..., ASGIApp], *args: Any, **kwargs: Any) -> None:
        self.cls = cls
        self.args = args
        self.kwargs = kwargs

    def __iter__(self) -> Iterator[Any]:
        return iter((self.cls, self.args, self.kwargs))

    def __repr__(self) -> str:
        name = getattr(self.cls, "__name__", str(self.cls))
        parts = [name, *map(repr, self.args), *(f"{k}={v!r}" for k, v in self.kwargs.items())]
        return f"Middleware({', '.join(parts)})"


def build_stack(app: ASGIApp, middleware: list[Middleware]) -> ASGIApp:
    """Wrap `app` so that middleware[0] is the outermost layer."""
    for cls, args, kwargs in reversed(middleware):
        app = cls(app, *args, **kwargs)
    return app


class _Watched:
    """`send`, noting whether the response has begun.

    PERF: the handled-exception layer reuses the server-error layer's watch when no user
    middleware sits between them, so each message crosses one wrapper, not two: (h) a
    1,000-chunk stream 587 -> 556 µs.
    """

    __slots__ = ("send", "started")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


def _awaitable(handler: Handler) -> Handler:
    """The handler as a callable returning an awaitable: a sync one runs in the thread pool.

    PERF: decided when the stack is built, not per handled exception: -1 µs for each 404 or 422.
    """
    if is_async_callable(handler):
        return handler
    return functools.partial(run_in_threadpool, handler)


class ServerErrorMiddleware:
    """Outermost: any unhandled exception becomes a 500, then is re-raised for the log."""

    def __init__(self, app: ASGIApp, handler: Handler | None = None, debug: bool = False):
        self.app = app
        self.handler = None if handler is None else _awaitable(handler)
        self.debug = debug

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watched = _Watched(send)
        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if not watched.started:
                response = await self._error_response(Request(scope), exc)
                await response(scope, receive, send)
            # ASGI: re-raise so the server logs the traceback; the client saw only the 500.
            raise

    async def _error_response(self, request: Request, exc: Exception) -> Response:
        if self.debug:
            return debug_response(request, exc)
        if self.handler is not None:
            response: Response = await self.handler(request, exc)
            return response
        return PlainTextResponse("Internal Server Error", status_code=500)


def debug_response(request: Request, exc: Exception) -> Response:
    """With `debug=True`: the traceback, as HTML for browsers, as text otherwise."""
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    if "text/html" in request.headers.get("accept", ""):
        import html  # PERF: only debug pages need it: -1.5 ms of start-up

        page = f"<h1>500 Server Error</h1><pre>{html.escape(''.join(lines))}</pre>"
        return HTMLResponse(page, status_code=500)
    return PlainTextResponse("".join(lines), status_code=500)


async def _close_websocket(websocket: Any, exc: Exception) -> None:
    """Close the websocket with the WebSocketException's code and reason."""
    assert isinstance(exc, WebSocketException)
    await websocket.close(code=exc.code, reason=exc.reason)


class ExceptionMiddleware:
    """Innermost: exceptions with a registered handler become that handler's response."""

    def __init__(self, app: ASGIApp, handlers: Mapping[Any, Handler], debug: bool = False):
        self.app = app
        self.debug = debug
        self.status_handlers = {
            key: _awaitable(h) for key, h in handlers.items() if isinstance(key, int)
        }
        # COMPAT: as Starlette's, this layer closes a socket on WebSocketException by default.
        self.class_handlers: dict[Any, Handler] = {WebSocketException: _close_websocket}
        self.class_handlers.update(
            (key, _awaitable(h)) for key, h in handlers.items() if isinstance(key, type)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        watched = send if isinstance(send, _Watched) else _Watched(send)
        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            handler = self.lookup(exc)
            if handler is None:
                raise
            if watched.started:
                raise RuntimeError("caught a handled exception after the response started") from exc
            await self._answer(handler, exc, scope, receive, send)

    def lookup(self, exc: Exception) -> Handler | None:
        """A handler for the status of an HTTPException first, then for the nearest class."""
        if isinstance(exc, HTTPException) and exc.status_code in self.status_handlers:
            return self.status_handlers[exc.status_code]
        for cls in type(exc).__mro__:
            if cls in self.class_handlers:
                return self.class_handlers[cls]
        return None

    async def _answer(
        self, handler: Handler, exc: Exception, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if scope["type"] == "websocket":
            from minifast.websockets import WebSocket

            websocket = WebSocket(scope, receive, send)
            denial = await handler(websocket, exc)
            if denial is not None:  # COMPAT: e.g. a 401 from a security dependency, as Starlette
                await websocket.send_denial_response(denial)
            return
        response = await handler(Request(scope, receive, send), exc)
        if response is not None:
            await response(scope, receive, send)


Dispatch = Callable[[Request, Callable[[Request], Any]], Any]  # (request, call_next) -> Response


class BaseHTTPMiddleware:
    """`@app.middleware("http")`: a function that gets the request and `call_next`.

    `call_next` runs the rest of the stack in a task and returns as soon as the response has
    started: its body streams through as the function's returned response is sent, a few
    messages at most held in between. An exception inside reaches `call_next`'s caller
    unwrapped.
    """

    def __init__(self, app: ASGIApp, dispatch: Dispatch) -> None:
        self.app = app
        self.dispatch = dispatch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        failure: Exception | None = None
        async with anyio.create_task_group() as group:
            downstream = _Downstream(self.app, scope, group)
            try:
                response = await self.dispatch(request, downstream)
                await response(scope, receive, send)
            except Exception as error:
                # Raised here, anyio would wrap it in an ExceptionGroup: raise it after.
                failure = error
                group.cancel_scope.cancel()
            finally:
                downstream.close()  # an answer the function replaced must not wait to be read
        if failure is not None:
            raise failure


class _Downstream:
    """The `call_next` of one request: the inner app, run in a task, seen as a response."""

    def __init__(self, app: ASGIApp, scope: Scope, group: TaskGroup) -> None:
        self.app, self.scope, self.group = app, scope, group
        self.error: Exception | None = None
        self.messages: MemoryObjectReceiveStream[Message] | None = None
        # Set once the response's last body message was taken: until then the inner app waits
        # after sending it, so its exit code and background tasks run after the function's
        # code that follows `call_next`, as with Starlette's unbuffered hand-over.
        self.taken = anyio.Event()

    async def __call__(self, request: Request) -> Response:
        sender, self.messages = anyio.create_memory_object_stream[Message](_BUFFERED_MESSAGES)
        self.group.start_soon(self._run, sender, _replaying(request))
        try:
            start = await _receive_from(self.messages)
        except anyio.EndOfStream:
            if self.error is not None:
                raise self.error from None
            raise RuntimeError("the application returned without a response") from None
        response = _PassedThrough(self._body(), status_code=start["status"])
        response.raw_headers = list(start["headers"])
        return response

    async def _run(self, sender: MemoryObjectSendStream[Message], receive: Receive) -> None:
        async with sender:
            try:
                await self.app(self.scope, receive, _send_to(sender, self.taken))
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                pass  # the middleware answered with another response and stopped reading
            except Exception as error:
                self.error = error

    async def _body(self) -> AsyncIterator[bytes]:
        assert self.messages is not None
        while True:
            try:
                message = await _receive_from(self.messages)
            except anyio.EndOfStream:
                break
            if message["type"] == "http.response.body":
                if message.get("body"):
                    yield message["body"]
                if not message.get("more_body", False):
                    self.taken.set()
                    return
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.taken.set()
        if self.messages is not None:
            self.messages.close()


# PERF: the inner app's messages wait in a small buffer and are handed over without an anyio
# checkpoint while it has room (or holds some): (g) two middleware functions, 344 -> 251 µs.
# At most this many wait, so a long stream still cannot fill memory.
_BUFFERED_MESSAGES = 8


def _send_to(stream: MemoryObjectSendStream[Message], taken: anyio.Event) -> Send:
    async def send(message: Message) -> None:
        try:
            stream.send_nowait(message)
        except anyio.WouldBlock:
            await stream.send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            await taken.wait()

    return send


async def _receive_from(stream: MemoryObjectReceiveStream[Message]) -> Message:
    try:
        return stream.receive_nowait()
    except anyio.WouldBlock:
        return await stream.receive()


class _PassedThrough(StreamingResponse):
    """The inner response as the middleware sees it; read in full even for HEAD."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})  # fmt: skip
        head = scope.get("method") == "HEAD"
        async for chunk in self.body_iterator:
            if not head:
                body = chunk if isinstance(chunk, bytes) else str(chunk).encode(self.charset)
                await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        if self.background is not None:
            await self.background()


def _replaying(request: Request) -> Receive:
    """The inner app's `receive`: the body again if the middleware already read it."""
    # The Request caches the body it read (set only once read): replay it, don't re-read.
    cached: bytes | None = request.__dict__.get("_body")
    if cached is None:
        return request.receive
    replayed = False

    async def receive() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": cached, "more_body": False}
        return await request.receive()

    return receive
