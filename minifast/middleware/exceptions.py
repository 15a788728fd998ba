"""The innermost layer: exceptions with a registered handler become that handler's answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minifast.exceptions import HTTPException, WebSocketException
from minifast.middleware._watch import Handler, Watched, awaitable
from minifast.requests import ClientDisconnect, Request
from minifast.responses import PlainTextResponse, Response
from minifast.types import ASGIApp, Receive, Scope, Send


async def _plain_http_exception(request: Request, exc: Exception) -> Response:
    """The toolkit's answer to an HTTPException: its detail as text (none for 204 and 304)."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return PlainTextResponse(exc.detail, exc.status_code, exc.headers)


async def _client_gone(request: Request, exc: Exception) -> Response | None:
    """A client that left mid-body gets the app's answer to a 400, not a server error.

    Starlette lets ClientDisconnect escape as a 500, with a traceback in the log. The answer
    likely reaches nobody (a server drops what is sent after a disconnect); the point is that
    nothing is raised, and that the app's own 400 handler (JSON in MiniFast) gives it.
    """
    class_handlers, status_handlers = request.scope["starlette.exception_handlers"]
    handler = status_handlers.get(400) or class_handlers[HTTPException]
    response: Response | None = await awaitable(handler)(
        request, HTTPException(400, "Client disconnected")
    )
    return response


async def _close_websocket(websocket: Any, exc: Exception) -> None:
    """Close the websocket with the WebSocketException's code and reason."""
    assert isinstance(exc, WebSocketException)
    await websocket.close(code=exc.code, reason=exc.reason)


class ExceptionMiddleware:
    """Innermost: exceptions with a registered handler become that handler's response."""

    def __init__(self, app: ASGIApp, handlers: Mapping[Any, Handler], debug: bool = False):
        self.app = app
        self.debug = debug
        self.status_handlers = {key: h for key, h in handlers.items() if isinstance(key, int)}
        # COMPAT: as Starlette's, this layer answers an HTTPException in plain text and closes
        # a socket on WebSocketException unless the app registered handlers of its own.
        self.class_handlers: dict[Any, Handler] = {
            HTTPException: _plain_http_exception,
            WebSocketException: _close_websocket,
            ClientDisconnect: _client_gone,
        }
        self.class_handlers.update((k, h) for k, h in handlers.items() if isinstance(k, type))
        # PERF: whether each handler is sync is decided once, not per handled exception: -1 µs
        # for each 404 or 422. Handlers added during a request are decided at each use (kept,
        # a closure added per request would grow this table without end).
        self._tables = (
            self.class_handlers,
            self.status_handlers,
        )  # PERF: one tuple, not one per request
        self._callers = {h: awaitable(h) for h in (*self.status_handlers.values(),
                                                     *self.class_handlers.values())}  # fmt: skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # COMPAT: the live handler tables, under Starlette's key: extensions (authx) add their
        # defaults there during a request when the app registered none.
        scope["starlette.exception_handlers"] = self._tables
        watched = send if isinstance(send, Watched) else Watched(send)
        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            handler = self.lookup(exc)
            if handler is None:
                raise
            if watched.started:
                if isinstance(exc, ClientDisconnect):
                    return  # nobody is left to answer, and nothing went wrong here
                raise RuntimeError("caught a handled exception after the response started") from exc
            await self._answer(self._caller(handler), exc, scope, receive, send)

    def lookup(self, exc: Exception) -> Handler | None:
        """A handler for the status of an HTTPException first, then for the nearest class."""
        if isinstance(exc, HTTPException) and exc.status_code in self.status_handlers:
            return self.status_handlers[exc.status_code]
        for cls in type(exc).__mro__:
            if cls in self.class_handlers:
                return self.class_handlers[cls]
        return None

    def _caller(self, handler: Handler) -> Handler:
        """The handler as a callable returning an awaitable (a sync one runs in a thread)."""
        return self._callers.get(handler) or awaitable(handler)

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
