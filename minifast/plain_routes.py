# How a route handles a request: the router found it and put the path parameters in
# scope["path_params"] (see router.py). A Route hands the request to its endpoint: a function
# of the request returning a Response (wrapped by `request_response`), or any ASGI app such as
# an HTTPEndpoint class. A WebSocketRoute does the same for a websocket. Nothing here knows
# parameters, validation or OpenAPI: the typed layer's APIRoute builds on BaseRoute.
"""The toolkit's kinds of route, the routing protocol (`Match`), and how URLs are built back."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import Enum
from typing import Any

from minifast._paths import PathTemplate, compile_template, route_path
from minifast.concurrency import is_async_callable, run_in_threadpool
from minifast.convertors import Convertor
from minifast.datastructures import URLPath
from minifast.exceptions import HTTPException
from minifast.requests import Request
from minifast.responses import PlainTextResponse, Response
from minifast.types import ASGIApp, Receive, Scope, Send
from minifast.websockets import WebSocket


class NoMatchFound(Exception):
    """`url_path_for` found no route with that name and those parameters."""

    def __init__(self, name: str, path_params: dict[str, Any]) -> None:
        names = ", ".join(path_params)
        super().__init__(f'No route exists for name "{name}" and params "{names}".')


class Match(Enum):
    """How a route matches a scope, in the routing protocol (see BaseRoute.matches)."""

    NONE = 0
    PARTIAL = 1  # the path matches, the method does not
    FULL = 2


def match_template(template: PathTemplate, text: str) -> dict[str, Any] | None:
    """The converted parameters if `text` (a path, or a host) fits `template`, else None."""
    matched = template.regex.match(text)
    if matched is None:
        return None
    convertors = template.convertors
    return {name: convertors[name].convert(value) for name, value in matched.groupdict().items()}


def get_name(endpoint: Callable[..., Any]) -> str:
    """A route's default name: the function's or the class's name."""
    return getattr(endpoint, "__name__", type(endpoint).__name__)


def compile_path(path: str) -> tuple[re.Pattern[str], str, dict[str, Convertor[Any]]]:
    """ "/users/{id:int}" → (its regex, "/users/{id}", {"id": IntegerConvertor()}).

    The routing protocol's form of a template, for code that matches paths itself; routers
    use the index in _paths.py instead.
    """
    template = compile_template(path)
    return template.regex, template.format, dict(template.convertors)


def request_response(func: Callable[[Request], Awaitable[Response] | Response]) -> ASGIApp:
    """An ASGI app from `func(request) -> Response`; a sync function runs in the thread pool."""
    is_async = is_async_callable(func)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        if is_async:
            response = await func(request)  # type: ignore[misc]
        else:
            response = await run_in_threadpool(func, request)
        await response(scope, receive, send)

    return app


def websocket_session(func: Callable[[WebSocket], Awaitable[None]]) -> ASGIApp:
    """An ASGI app from `async func(websocket)`."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await func(WebSocket(scope, receive, send))

    return app


class BaseRoute:
    """What a router needs from a route: a template, the methods it takes, a handler.

    `matches(scope)` is the routing protocol, for code that asks one route whether it takes
    a request. A router asks its index instead (see router.py): the same answer, at a cost
    that does not grow with the number of routes.
    """

    path: str
    name: str | None
    endpoint: Any  # what the route hands the request to (a mount's or host's app)
    template: PathTemplate
    methods: set[str] | None = None  # None: every method (mounts, websockets, ASGI apps)
    scope_types: frozenset[str] = frozenset({"http"})
    include_in_schema = True

    @property
    def path_format(self) -> str:
        return self.template.format

    @property
    def path_regex(self) -> re.Pattern[str]:
        return self.template.regex

    @property
    def param_convertors(self) -> dict[str, Convertor[Any]]:
        return self.template.convertors

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError  # pragma: no cover - every route kind defines it

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Whether this route takes `scope`, and the keys it would add to it."""
        if scope["type"] not in self.scope_types:
            return Match.NONE, {}
        path_params = self.match_path(route_path(scope))
        if path_params is None:
            return Match.NONE, {}
        child = self.child_scope(scope, path_params)
        if self.methods is not None and scope.get("method") not in self.methods:
            return Match.PARTIAL, child
        return Match.FULL, child

    def match_path(self, path: str) -> dict[str, Any] | None:
        """The converted path parameters if `path` fits this route's template."""
        return match_template(self.template, path)

    def child_scope(self, scope: Scope, path_params: Mapping[str, Any]) -> Scope:
        """What a match adds to the scope before `handle` runs."""
        # A new dict each time: the index may hand the same one out for every request.
        return {
            "endpoint": self.endpoint,
            "path_params": {**scope.get("path_params", {}), **path_params},
        }

    def enter(self, scope: Scope, path_params: Mapping[str, Any]) -> None:
        """Write what a match adds (child_scope's keys) into the scope, for the router.

        PERF: no child dict built and merged per request: fewer objects made, so fewer garbage
        collections, whose cost grows with the app: (f1000) 97,310 -> 94,166 instructions.
        """
        outer = scope.get("path_params")
        # A new dict each time: the index may hand the same one out for every request.
        scope["path_params"] = {**outer, **path_params} if outer else dict(path_params)
        scope["endpoint"] = self.endpoint

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if name != self.name or set(path_params) != self.template.param_names:
            raise NoMatchFound(name, path_params)
        protocol = "websocket" if "websocket" in self.scope_types else "http"
        return URLPath(self.template.url_path(path_params), protocol)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A route used alone as an ASGI app: it answers what it matches, 404 otherwise."""
        match, child = self.matches(scope)
        if match is Match.NONE:
            await refuse(scope, receive, send, 404, None)
            return
        scope.update(child)
        await self.handle(scope, receive, send)


class Route(BaseRoute):
    """A plain route: `endpoint(request)` returns a Response, or the endpoint is an ASGI app.

    COMPAT: a route with GET also answers HEAD; an ASGI app endpoint with no `methods` takes
    every method.
    """

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Sequence[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
        middleware: Sequence[Any] | None = None,
    ) -> None:
        _declare(self, path, endpoint, name)
        self.include_in_schema = include_in_schema
        app = _endpoint_app(endpoint, request_response)
        if methods is None and app is not endpoint:
            methods = ["GET"]  # a function endpoint; an ASGI app takes every method
        self.methods = None if methods is None else {method.upper() for method in methods}
        if self.methods is not None and "GET" in self.methods:
            self.methods.add("HEAD")
        self.app = _wrapped(app, middleware)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods is not None and scope["method"] not in self.methods:
            allowed = ", ".join(sorted(self.methods))
            await refuse(scope, receive, send, 405, {"Allow": allowed})
            return
        await self.app(scope, receive, send)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Route) and (self.path, self.endpoint, self.methods) == (
            other.path,
            other.endpoint,
            other.methods,
        )

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        methods = sorted(self.methods or [])
        return f"{type(self).__name__}(path={self.path!r}, name={self.name!r}, methods={methods!r})"


class WebSocketRoute(BaseRoute):
    """A plain websocket route: `async endpoint(websocket)`, or an ASGI app such as a
    WebSocketEndpoint class."""

    scope_types = frozenset({"websocket"})

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        name: str | None = None,
        middleware: Sequence[Any] | None = None,
    ) -> None:
        _declare(self, path, endpoint, name)
        self.app = _wrapped(_endpoint_app(endpoint, websocket_session), middleware)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WebSocketRoute) and (self.path, self.endpoint) == (
            other.path,
            other.endpoint,
        )

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={self.path!r}, name={self.name!r})"


def _declare(route: BaseRoute, path: str, endpoint: Callable[..., Any], name: str | None) -> None:
    """What every plain route holds: its path, compiled, its endpoint and its name."""
    if not path.startswith("/"):
        raise ValueError("a route path must start with '/'")
    route.path = path
    route.endpoint = endpoint
    route.template = compile_template(path)
    route.name = get_name(endpoint) if name is None else name


def _wrapped(app: ASGIApp, middleware: Sequence[Any] | None) -> ASGIApp:
    """The app inside the route's own middleware, the first listed outermost."""
    for cls, args, kwargs in reversed(middleware or []):
        app = cls(app, *args, **kwargs)
    return app


def _endpoint_app(endpoint: Callable[..., Any], wrap: Callable[[Any], ASGIApp]) -> ASGIApp:
    """A function or method endpoint wrapped into an ASGI app; a class or app as it is."""
    unwrapped = endpoint
    while isinstance(unwrapped, functools.partial):
        unwrapped = unwrapped.func
    if inspect.isfunction(unwrapped) or inspect.ismethod(unwrapped):
        return wrap(endpoint)
    return endpoint


async def refuse(
    scope: Scope, receive: Receive, send: Send, status: int, headers: dict[str, str] | None
) -> None:
    """404 or 405: through the app's exception handlers when there is an app around us."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1000, "reason": ""})
    elif "app" in scope:
        raise HTTPException(status, headers=headers)
    else:
        phrase = "Not Found" if status == 404 else "Method Not Allowed"
        await PlainTextResponse(phrase, status, headers)(scope, receive, send)
