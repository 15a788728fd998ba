"""`RequestBodyLimitMiddleware`: a cap on the bytes of a request body, answered with 413."""

from __future__ import annotations

from minifast.datastructures import Headers
from minifast.exceptions import HTTPException
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
            await _too_large(scope, receive, send)
            return
        await self.app(scope, _counting(receive, scope), send)


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
                raise HTTPException(413, "Content Too Large")
        return message

    return counted


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    # COMPAT: inside an application the exception handlers answer, as for a 404.
    if "app" in scope:
        raise HTTPException(413, "Content Too Large")
    await PlainTextResponse("Content Too Large", 413)(scope, receive, send)
