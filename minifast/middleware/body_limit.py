"""`RequestBodyLimitMiddleware`: a cap on the bytes of a request body, answered with 413."""

from __future__ import annotations

from minifast.datastructures import Headers
from minifast.exceptions import HTTPException
from minifast.middleware._watch import Watched
from minifast.responses import PlainTextResponse
from minifast.types import ASGIApp, Message, Receive, Scope, Send

# COMPAT: the scope key under which the limit in force is kept, as Starlette names it, so that
# an inner layer (a mounted app, a router) can tighten or loosen the outer one.
MAX_BODY_SIZE_SCOPE_KEY = "starlette.max_body_size"


class RequestBodyLimitMiddleware:
    """Refuse a body larger than `max_body_size`: by its Content-Length before reading, or
    while it streams in, as soon as the bytes received pass the limit."""

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        if max_body_size < 0:
            raise ValueError("max_body_size must not be negative")
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[MAX_BODY_SIZE_SCOPE_KEY] = self.max_body_size
        declared = Headers(raw=scope["headers"]).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_size:
            await _too_large()(scope, receive, send)  # nothing read, nothing else to run
            return
        watched = Watched(send)
        try:
            await self.app(scope, _counting(receive, scope), watched)
        except _TooLarge:
            if watched.started:
                raise
            await _too_large()(scope, receive, send)


def _too_large() -> PlainTextResponse:
    # A new one each time: middleware may edit a response's header list as it passes.
    return PlainTextResponse("Content Too Large", 413)


class _TooLarge(HTTPException):
    """The body passed the limit while it was read: a 413 wherever it is handled."""

    def __init__(self) -> None:
        super().__init__(413, "Content Too Large")


def _counting(receive: Receive, scope: Scope) -> Receive:
    """`receive`, raising 413 once the body passes the limit the scope holds when it is read
    (an inner layer may have changed it)."""
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > scope[MAX_BODY_SIZE_SCOPE_KEY]:
                raise _TooLarge()
        return message

    return counted
