"""Who is calling and what they may do: users, credentials, and the `requires` guard.

AuthenticationMiddleware asks a backend for the connection's credentials and user and puts
them in scope["auth"] and scope["user"]; `requires` reads the scopes granted there before
letting an endpoint run. COMPAT: the names and behaviour are Starlette's.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec
from urllib.parse import urlencode

from minifast import status
from minifast.concurrency import is_async_callable
from minifast.exceptions import HTTPException
from minifast.requests import HTTPConnection, Request
from minifast.responses import RedirectResponse
from minifast.websockets import WebSocket

P = ParamSpec("P")

# COMPAT: Starlette closes a websocket that lacks a scope with a normal closure, not 1008.
_REFUSED_WEBSOCKET_CODE = status.WS_1000_NORMAL_CLOSURE


class AuthenticationError(Exception):
    """Raised by a backend for credentials that are present but wrong; answers 400."""


class AuthCredentials:
    """The scopes (permissions) the connection was granted."""

    def __init__(self, scopes: Sequence[str] | None = None) -> None:
        self.scopes = list(scopes or [])


class BaseUser:
    """What any user object answers; subclasses supply the three properties."""

    @property
    def is_authenticated(self) -> bool:
        raise NotImplementedError()

    @property
    def display_name(self) -> str:
        raise NotImplementedError()

    @property
    def identity(self) -> str:
        raise NotImplementedError()


class SimpleUser(BaseUser):
    """An authenticated user known by a username."""

    def __init__(self, username: str) -> None:
        self.username = username

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.username

    @property
    def identity(self) -> str:
        return self.username


class UnauthenticatedUser(BaseUser):
    """The user of a connection the backend did not authenticate."""

    @property
    def is_authenticated(self) -> bool:
        return False

    @property
    def display_name(self) -> str:
        return ""

    @property
    def identity(self) -> str:
        return ""


class AuthenticationBackend:
    """Reads credentials from a connection: override `authenticate`."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        """The credentials and user, None for an anonymous connection; raise
        AuthenticationError for bad credentials."""
        raise NotImplementedError()


def has_required_scope(conn: HTTPConnection, scopes: Sequence[str]) -> bool:
    """Whether the connection was granted every one of `scopes`."""
    # COMPAT: Starlette's message when the middleware that sets scope["auth"] is missing.
    assert "auth" in conn.scope, "AuthenticationMiddleware must be installed to access request.auth"
    granted = conn.scope["auth"].scopes
    return all(scope in granted for scope in scopes)


def requires(
    scopes: str | Sequence[str],
    status_code: int = 403,
    redirect: str | None = None,
) -> Callable[[Callable[P, Any]], Callable[P, Any]]:
    """Let the endpoint run only for connections granted every one of `scopes`.

    The endpoint takes a parameter named `request` or `websocket` (found by name, as in
    Starlette). A request without the scopes raises HTTPException(status_code), or with
    `redirect` is sent (303) to the route of that name, with its own URL as `next`; a
    websocket without them is closed.
    """
    required = [scopes] if isinstance(scopes, str) else list(scopes)

    def decorator(func: Callable[P, Any]) -> Callable[P, Any]:
        name, position = _connection_parameter(func)
        if name == "websocket":
            return _guard_websocket(func, position, required)
        if is_async_callable(func):
            return _guard_async(func, position, required, status_code, redirect)
        return _guard_sync(func, position, required, status_code, redirect)

    return decorator


def _connection_parameter(func: Callable[..., Any]) -> tuple[str, int]:
    """The name and position of the parameter that receives the request or websocket."""
    for position, name in enumerate(inspect.signature(func).parameters):
        if name in ("request", "websocket"):
            return name, position
    raise TypeError(f'No "request" or "websocket" argument on function "{func}"')


def _argument(name: str, position: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return args[position] if position < len(args) else kwargs.get(name)


def _guard_websocket(
    func: Callable[P, Any], position: int, required: list[str]
) -> Callable[P, Any]:
    @functools.wraps(func)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> Any:
        websocket = _argument("websocket", position, args, kwargs)
        assert isinstance(websocket, WebSocket)
        if not has_required_scope(websocket, required):
            await websocket.close(code=_REFUSED_WEBSOCKET_CODE)
            return None
        return await func(*args, **kwargs)

    return guarded


def _guard_async(
    func: Callable[P, Any],
    position: int,
    required: list[str],
    status_code: int,
    redirect: str | None,
) -> Callable[P, Any]:
    @functools.wraps(func)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> Any:
        request = _argument("request", position, args, kwargs)
        assert isinstance(request, Request)
        if not has_required_scope(request, required):
            return _refuse(request, status_code, redirect)
        return await func(*args, **kwargs)

    return guarded


def _guard_sync(
    func: Callable[P, Any],
    position: int,
    required: list[str],
    status_code: int,
    redirect: str | None,
) -> Callable[P, Any]:
    @functools.wraps(func)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> Any:
        request = _argument("request", position, args, kwargs)
        assert isinstance(request, Request)
        if not has_required_scope(request, required):
            return _refuse(request, status_code, redirect)
        return func(*args, **kwargs)

    return guarded


def _refuse(request: Request, status_code: int, redirect: str | None) -> RedirectResponse:
    """The redirect to the `redirect` route, or raise when there is none."""
    if redirect is None:
        raise HTTPException(status_code)
    # COMPAT: 303, so a refused POST is followed by a GET of the login page, as in Starlette.
    next_query = urlencode({"next": str(request.url)})
    return RedirectResponse(f"{request.url_for(redirect)}?{next_query}", status_code=303)
