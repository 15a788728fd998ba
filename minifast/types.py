"""The ASGI vocabulary: scope, messages and the three callables every layer speaks."""

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, TypedDict, TypeVar

# ASGI: the scope is a plain dict the server builds; layers may add keys for inner layers.
Scope = MutableMapping[str, Any]
# ASGI: messages are dicts; the TypedDicts below describe the ones minifast sends.
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
RawHeaders = list[tuple[bytes, bytes]]
AppType = TypeVar("AppType")  # COMPAT: the application's type, in typed extension code


class HTTPResponseStart(TypedDict):
    type: str  # "http.response.start"
    status: int
    headers: RawHeaders


class HTTPResponseBody(TypedDict):
    type: str  # "http.response.body"
    body: bytes
    more_body: bool


class WebSocketAccept(TypedDict):
    type: str  # "websocket.accept"
    subprotocol: str | None
    headers: RawHeaders


class WebSocketClose(TypedDict):
    type: str  # "websocket.close"
    code: int
    reason: str


class LifespanEvent(TypedDict):
    type: str  # "lifespan.startup.complete", "lifespan.shutdown.failed", ...


class LifespanFailed(TypedDict):
    type: str  # "lifespan.startup.failed" or "lifespan.shutdown.failed"
    message: str
