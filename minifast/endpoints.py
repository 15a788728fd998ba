# How class endpoints work: the class itself is the ASGI app. A route calls it with
# (scope, receive, send), which builds one instance per connection, and awaits the instance.
# An HTTPEndpoint answers with the method named after the request's method (`get` for GET,
# and for HEAD when the class has no `head`); a sync method runs in the thread pool. A method
# the class lacks answers 405 with an Allow header: raised as an HTTPException when an app is
# around to turn it into a response, sent as plain text otherwise. A WebSocketEndpoint runs
# `on_connect`, then hands every message, decoded as its `encoding` says, to `on_receive`,
# and calls `on_disconnect` with the close code however the connection ends.
"""`HTTPEndpoint` and `WebSocketEndpoint`: one class per path, one method per verb or event."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from typing import Any, ClassVar

from minifast import status
from minifast.concurrency import is_async_callable, run_in_threadpool
from minifast.exceptions import HTTPException
from minifast.requests import Request
from minifast.responses import PlainTextResponse, Response
from minifast.types import Message, Receive, Scope, Send
from minifast.websockets import WebSocket

# COMPAT: the methods Starlette lists in Allow, in its order, when the class defines them.
_LISTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY")


class HTTPEndpoint:
    """Subclass it and define `get`, `post`...: each takes the request, returns a Response."""

    # Computed once per class, when it is defined: what a 405 announces.
    _allowed_methods: ClassVar[list[str]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._allowed_methods = [name for name in _LISTED_METHODS if _answers(cls, name)]

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        self.scope = scope
        self.receive = receive
        self.send = send

    def __await__(self) -> Generator[Any, None, None]:
        return self.dispatch().__await__()

    async def dispatch(self) -> None:
        request = Request(self.scope, self.receive, self.send)
        handler = self._handler_for(request.method)
        if is_async_callable(handler):
            response = await handler(request)
        else:
            response = await run_in_threadpool(handler, request)
        await response(self.scope, self.receive, self.send)

    def _handler_for(self, method: str) -> Callable[[Request], Any]:
        name = "get" if method == "HEAD" and not hasattr(self, "head") else method.lower()
        # Unlike Starlette, a method named like this class's own machinery ("DISPATCH",
        # "SEND") is not a handler: it answers 405 instead of calling that attribute.
        if name.startswith("_") or name in _MACHINERY:
            return self.method_not_allowed
        handler: Callable[[Request], Any] = getattr(self, name, self.method_not_allowed)
        return handler

    async def method_not_allowed(self, request: Request) -> Response:
        headers = {"Allow": ", ".join(self._allowed_methods)}
        if "app" in self.scope:
            # The app's exception handlers shape the answer, as they do for a router's 405.
            raise HTTPException(status.HTTP_405_METHOD_NOT_ALLOWED, headers=headers)
        return PlainTextResponse("Method Not Allowed", 405, headers)


def _answers(cls: type[HTTPEndpoint], method: str) -> bool:
    if method == "HEAD":
        return hasattr(cls, "head") or hasattr(cls, "get")
    return hasattr(cls, method.lower())


# The attributes every endpoint has that are not request handlers.
_MACHINERY = frozenset(vars(HTTPEndpoint)) | {"scope", "receive", "send"}


class WebSocketEndpoint:
    """Subclass it, set `encoding` and override `on_connect`, `on_receive`, `on_disconnect`."""

    # None: the message's text or bytes as they came; "text", "bytes" or "json": only that.
    encoding: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Unlike Starlette, which fails on the first message, a typo fails when the class is.
        if cls.encoding not in _DECODERS:
            raise ValueError(f"Unsupported 'encoding' attribute {cls.encoding!r}")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "websocket"
        self.scope = scope
        self.receive = receive
        self.send = send

    def __await__(self) -> Generator[Any, None, None]:
        return self.dispatch().__await__()

    async def dispatch(self) -> None:
        websocket = WebSocket(self.scope, self.receive, self.send)
        await self.on_connect(websocket)
        close_code = status.WS_1000_NORMAL_CLOSURE
        try:
            close_code = await self._serve(websocket)
        except Exception:
            close_code = status.WS_1011_INTERNAL_ERROR
            raise
        finally:
            await self.on_disconnect(websocket, close_code)

    async def _serve(self, websocket: WebSocket) -> int:
        """Hand each message to `on_receive` until the client leaves; return its close code."""
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.receive":
                await self.on_receive(websocket, await self.decode(websocket, message))
            elif message["type"] == "websocket.disconnect":
                return int(message.get("code") or status.WS_1000_NORMAL_CLOSURE)

    async def decode(self, websocket: WebSocket, message: Message) -> Any:
        """The message's data as `encoding` asks; data of another kind closes with 1003."""
        try:
            return _DECODERS[self.encoding](message)
        except _UnsupportedDataError as error:
            await websocket.close(code=status.WS_1003_UNSUPPORTED_DATA)
            raise RuntimeError(str(error)) from None

    async def on_connect(self, websocket: WebSocket) -> None:
        await websocket.accept()

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        """Override to handle one message."""

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        """Override to clean up; runs however the connection ends."""


class _UnsupportedDataError(Exception):
    pass


# ASGI: a message holds either `text` or `bytes`; the other key may be absent or None.
def _as_received(message: Message) -> Any:
    text = message.get("text")
    return text if text is not None else message.get("bytes")


def _text(message: Message) -> str:
    if message.get("text") is None:
        # COMPAT: Starlette's error messages, word for word, as code may match on them.
        raise _UnsupportedDataError("Expected text websocket messages, but got bytes")
    return str(message["text"])


def _bytes(message: Message) -> bytes:
    if message.get("bytes") is None:
        raise _UnsupportedDataError("Expected bytes websocket messages, but got text")
    return bytes(message["bytes"])


def _json(message: Message) -> Any:
    text = message.get("text")
    try:
        return json.loads(text if text is not None else message["bytes"].decode("utf-8"))
    except ValueError:  # malformed JSON, or bytes that are not UTF-8
        raise _UnsupportedDataError("Malformed JSON data received.") from None


_DECODERS: dict[str | None, Callable[[Message], Any]] = {
    None: _as_received,
    "text": _text,
    "bytes": _bytes,
    "json": _json,
}
