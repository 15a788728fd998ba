# How authentication works: for each HTTP request or websocket, the backend reads the
# connection (headers, cookies, session) and returns credentials and a user, or None for an
# anonymous caller, who gets no scopes and an UnauthenticatedUser. Both go into scope["auth"]
# and scope["user"] for the endpoint and `requires` to read. A backend that raises
# AuthenticationError stops the connection here: a request gets `on_error`'s response (400
# with the message by default), a websocket is closed. Lifespan events pass straight through.
"""`AuthenticationMiddleware`: who is calling, decided once per connection."""

from __future__ import annotations

from collections.abc import Callable

from minifast import status
from minifast.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    UnauthenticatedUser,
)
from minifast.requests import HTTPConnection
from minifast.responses import PlainTextResponse, Response
from minifast.types import ASGIApp, Receive, Scope, Send

ErrorHandler = Callable[[HTTPConnection, AuthenticationError], Response]


class AuthenticationMiddleware:
    """Sets scope["auth"] and scope["user"] from `backend` before the app runs."""

    def __init__(
        self,
        app: ASGIApp,
        backend: AuthenticationBackend,
        on_error: ErrorHandler | None = None,
    ) -> None:
        self.app = app
        self.backend = backend
        self.on_error: ErrorHandler = on_error or self.default_on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        try:
            found = await self.backend.authenticate(connection)
        except AuthenticationError as error:
            response = self.on_error(connection, error)
            if scope["type"] == "websocket":
                # COMPAT: as in Starlette, `on_error` runs (it may log) and the websocket is
                # closed with a normal closure; its response is not sent.
                code = status.WS_1000_NORMAL_CLOSURE
                await send({"type": "websocket.close", "code": code, "reason": ""})
            else:
                await response(scope, receive, send)
            return
        scope["auth"], scope["user"] = found or (AuthCredentials(), UnauthenticatedUser())
        await self.app(scope, receive, send)

    @staticmethod
    def default_on_error(conn: HTTPConnection, exc: Exception) -> Response:
        return PlainTextResponse(str(exc), status_code=400)
