"""`BaseHTTPMiddleware`: middleware as a function of the request and `call_next`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

import anyio

from minifast.requests import Request
from minifast.responses import Response, StreamingResponse
from minifast.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    # PERF: annotations only; anyio loads these on the first `call_next`: -3 ms of start-up.
    from anyio.abc import TaskGroup
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream


RequestResponseEndpoint = Callable[[Request], Awaitable[Response]]  # what `call_next` is
DispatchFunction = Callable[[Request, RequestResponseEndpoint], Awaitable[Response]]


class BaseHTTPMiddleware:
    """`@app.middleware("http")`: a function that gets the request and `call_next`.

    Either pass the function as `dispatch=`, or subclass and define `dispatch`. `call_next`
    runs the rest of the stack in a task and returns as soon as the response has started: its
    body streams through as the function's returned response is sent, a few messages at most
    held in between. An exception inside reaches `call_next`'s caller unwrapped.
    """

    def __init__(self, app: ASGIApp, dispatch: DispatchFunction | None = None) -> None:
        self.app = app
        self.dispatch_func = self.dispatch if dispatch is None else dispatch

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        raise NotImplementedError("pass `dispatch=` or define `dispatch` in a subclass")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        failure: Exception | None = None
        async with anyio.create_task_group() as group:
            downstream = _Downstream(self.app, scope, group)
            try:
                response = await self.dispatch_func(request, downstream)
                await response(scope, receive, send)
            except Exception as error:
                # Raised here, anyio would wrap it in an ExceptionGroup: raise it after.
                failure = error
                group.cancel_scope.cancel()
            finally:
                downstream.close()  # an answer the function replaced must not wait to be read
        # COMPAT: as in Starlette, what the inner app raised after its answer was taken (exit
        # code, a background task) is raised here too, so that the server logs it.
        failure = failure or downstream.error
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
                raise self._delivered() from None
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
            raise self._delivered()

    def _delivered(self) -> Exception:
        """The inner app's error, now raised to the function, so not raised again after."""
        assert self.error is not None
        error, self.error = self.error, None
        return error

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
