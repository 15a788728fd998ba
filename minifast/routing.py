# How routing works: each path template was compiled at registration into one index (see
# _paths.py), so a lookup costs the path's depth, not the number of routes. COMPAT: where two
# templates match, the one registered first wins, as in FastAPI; a path that matches only with
# another method answers 405 with that route's `Allow`. A path that matches nothing answers 404,
# unless the same path with the trailing slash added or removed would match: then a 307 to it.
# The matched route's path parameters go into scope["path_params"], then the route takes over
# (see routes.py).
"""Routers: registration, include_router, and dispatch to the matching route."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from minifast import params
from minifast._decorators import Inherit, PathOperations, RouteOptions
from minifast._paths import PathIndex
from minifast.datastructures import URL, URLPath
from minifast.exceptions import FastAPIError, HTTPException
from minifast.lifespan import Lifespan, compile_lifespan, nest_lifespans
from minifast.responses import PlainTextResponse, RedirectResponse, Response
from minifast.routes import (
    APIRoute,
    APIWebSocketRoute,
    BaseRoute,
    Mount,
    NoMatchFound,
    Route,
    WebSocketRoute,
    generate_unique_id,
    route_path,
)
from minifast.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from typing_extensions import Unpack

F = TypeVar("F", bound=Callable[..., Any])


class APIRouter(PathOperations):
    """A group of routes; an ASGI app of its own, and what `include_router` copies from."""

    def __init__(
        self,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        dependencies: Sequence[params.Depends] | None = None,
        default_response_class: type[Response] | None = None,
        responses: dict[int | str, dict[str, Any]] | None = None,
        callbacks: list[BaseRoute] | None = None,
        routes: list[BaseRoute] | None = None,
        redirect_slashes: bool = True,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] = generate_unique_id,
        max_body_size: int | Inherit | None = Inherit.INHERIT,
        strict_content_type: bool | Inherit = Inherit.INHERIT,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan | None = None,
    ) -> None:
        _check_prefix(prefix)
        self.prefix = prefix
        self.tags = list(tags or [])
        self.dependencies = list(dependencies or [])
        self.default_response_class = default_response_class
        self.responses = dict(responses or {})
        self.callbacks = list(callbacks or [])
        self.redirect_slashes = redirect_slashes
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        self.generate_unique_id_function = generate_unique_id_function
        self.max_body_size = max_body_size
        self.strict_content_type = strict_content_type
        self.on_startup, self.on_shutdown = list(on_startup or []), list(on_shutdown or [])
        self.lifespan_context = compile_lifespan(lifespan, self.on_startup, self.on_shutdown)
        self.routes: list[BaseRoute] = []
        self._index: PathIndex[BaseRoute] = PathIndex()
        for route in routes or []:
            self.add_route_object(route)

    def add_route_object(self, route: BaseRoute) -> None:
        """Register an already built route: keep it in order and index its template."""
        self.routes.append(route)
        self._index.add(route.path, route, prefix_only=isinstance(route, Mount))

    # -- registration -------------------------------------------------------------------

    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Sequence[str] | None = None,
        **options: Unpack[RouteOptions],
    ) -> None:
        """Add a path operation, folding in this router's prefix, tags, dependencies, ..."""
        self._add_api_route(path, endpoint, methods, options, self.default_response_class)

    def _add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Sequence[str] | None,
        options: RouteOptions,
        default_response_class: type[Response] | None,
    ) -> None:
        merged: RouteOptions = {
            **options,
            "tags": [*self.tags, *(options.get("tags") or [])],
            "dependencies": [*self.dependencies, *(options.get("dependencies") or [])],
            "responses": {**self.responses, **(options.get("responses") or {})},
            "callbacks": [*self.callbacks, *(options.get("callbacks") or [])] or None,
            "deprecated": options.get("deprecated") or self.deprecated,  # COMPAT: `or`, as FastAPI
            "include_in_schema": self.include_in_schema and options.get("include_in_schema", True),
        }
        # COMPAT: only a router's own id function is kept; included, the route takes its parent's.
        if self.generate_unique_id_function is not generate_unique_id:
            merged.setdefault("generate_unique_id_function", self.generate_unique_id_function)
        # The route's own limit wins, then the innermost router's that set one, then the app's.
        if not isinstance(self.max_body_size, Inherit):
            merged.setdefault("max_body_size", self.max_body_size)
        if not isinstance(self.strict_content_type, Inherit):
            merged.setdefault("strict_content_type", self.strict_content_type)
        route = APIRoute(
            self.prefix + path, endpoint, methods=methods,
            default_response_class=default_response_class, **merged,
        )  # fmt: skip
        self.add_route_object(route)

    def api_route(
        self, path: str, *, methods: Sequence[str] | None = None, **options: Unpack[RouteOptions]
    ) -> Callable[[F], F]:
        def decorator(endpoint: F) -> F:
            self.add_api_route(path, endpoint, methods=methods, **options)
            return endpoint

        return decorator

    def add_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Sequence[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        """Add a plain route. COMPAT: as in FastAPI, this router's prefix is not applied."""
        route = Route(
            path, endpoint, methods=methods, name=name, include_in_schema=include_in_schema
        )
        self.add_route_object(route)

    def add_api_websocket_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        name: str | None = None,
        *,
        dependencies: Sequence[params.Depends] | None = None,
    ) -> None:
        """Add a websocket endpoint, under this router's prefix and dependencies."""
        merged = [*self.dependencies, *(dependencies or [])]
        route = APIWebSocketRoute(self.prefix + path, endpoint, name=name, dependencies=merged)
        self.add_route_object(route)

    def websocket(
        self,
        path: str,
        name: str | None = None,
        *,
        dependencies: Sequence[params.Depends] | None = None,
    ) -> Callable[[F], F]:
        def decorator(endpoint: F) -> F:
            self.add_api_websocket_route(path, endpoint, name, dependencies=dependencies)
            return endpoint

        return decorator

    def add_websocket_route(
        self, path: str, endpoint: Callable[..., Any], name: str | None = None
    ) -> None:
        """Add a plain websocket route. COMPAT: as add_route, without this router's prefix."""
        self.add_route_object(WebSocketRoute(path, endpoint, name=name))

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        """Mount an ASGI app. COMPAT: as in FastAPI, this router's prefix is not applied."""
        self.add_route_object(Mount(path, app, name=name))

    def include_router(
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        dependencies: Sequence[params.Depends] | None = None,
        default_response_class: type[Response] | None = None,
        responses: dict[int | str, dict[str, Any]] | None = None,
        callbacks: list[BaseRoute] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] | None = None,
    ) -> None:
        """Copy `router`'s routes in, under `prefix`, with these options added in front.

        The router's lifespan (or its start-up and shut-down handlers) runs inside this one's.
        """
        self._check_include(router, prefix)
        self.lifespan_context = nest_lifespans(self.lifespan_context, router.lifespan_context)
        added: RouteOptions = {
            "tags": tags or [], "dependencies": dependencies or [], "responses": responses or {},
            "callbacks": callbacks or [], "deprecated": deprecated,
            "include_in_schema": include_in_schema,
        }  # fmt: skip
        if generate_unique_id_function is not None:
            added["generate_unique_id_function"] = generate_unique_id_function
        for route in router.routes:
            if isinstance(route, APIRoute):
                # COMPAT: a response class chosen by the route's own router beats this one.
                chosen = route.default_response_class or default_response_class
                chosen = chosen or self.default_response_class
                methods = sorted(route.methods)
                options = _included_options(route, added)
                self._add_api_route(prefix + route.path, route.endpoint, methods, options, chosen)
            elif isinstance(route, APIWebSocketRoute):
                merged = [*(dependencies or []), *route.dependencies]
                self.add_api_websocket_route(
                    prefix + route.path, route.endpoint, route.name, dependencies=merged
                )
            else:
                self.add_route_object(_with_prefix(route, self.prefix + prefix))

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        """A start-up or shut-down handler; ignored when a `lifespan=` was given."""
        handlers = {"startup": self.on_startup, "shutdown": self.on_shutdown}
        handlers[event_type].append(func)

    def on_event(self, event_type: str) -> Callable[[F], F]:
        """`@router.on_event("startup")`: FastAPI keeps it, deprecated, beside `lifespan=`."""

        def decorator(func: F) -> F:
            self.add_event_handler(event_type, func)
            return func

        return decorator

    def _check_include(self, router: APIRouter, prefix: str) -> None:
        if router is self:  # what FastAPI refuses in include_router, refused at import time
            raise ValueError("a router cannot include itself")
        _check_prefix(prefix)
        empty = next((route for route in router.routes if not route.path), None)
        if not prefix and empty is not None:
            message = f"Prefix and path cannot be both empty (path operation: {empty.name})"
            raise FastAPIError(message)

    # -- the ASGI side ------------------------------------------------------------------

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # COMPAT: the outermost router stays scope["router"], even inside a mounted app.
        scope.setdefault("router", self)
        path = route_path(scope)
        kind = scope["type"]
        matched, partial = self._select(path, kind, scope.get("method"))
        if matched is not None:
            route, path_params = matched
            scope["path_params"] = {**scope.get("path_params", {}), **path_params}
            scope["route"] = route
            scope["endpoint"] = getattr(route, "endpoint", None) or getattr(route, "app", None)
            await route.handle(scope, receive, send)
        elif partial is not None:
            allowed = ", ".join(sorted(partial.methods or ()))
            await refuse(scope, receive, send, 405, {"Allow": allowed})
        elif kind == "http" and self._slash_twin(path):
            await _redirect_to_twin(scope, receive, send)
        else:
            await refuse(scope, receive, send, 404, None)

    def _select(
        self, route_path: str, kind: str, method: str | None
    ) -> tuple[tuple[BaseRoute, dict[str, Any]] | None, BaseRoute | None]:
        """The first route matching path and method; else the first matching the path only."""
        partial: BaseRoute | None = None
        for _, route, path_params in self._index.find(route_path):
            if kind not in route.scope_types:
                continue
            if route.methods is None or method in route.methods:
                return (route, path_params), None
            partial = partial or route
        return None, partial

    def _slash_twin(self, route_path: str) -> bool:
        """Whether the path with its trailing slash toggled would match some route."""
        if not self.redirect_slashes or route_path == "/":
            return False
        twin = route_path.rstrip("/") if route_path.endswith("/") else route_path + "/"
        return any("http" in route.scope_types for _, route, _ in self._index.find(twin))


def _included_options(route: APIRoute, added: RouteOptions) -> RouteOptions:
    """An included route's options: what include_router adds goes in front of the route's."""
    options: RouteOptions = {
        **route.options,
        "tags": [*(added.get("tags") or []), *route.tags],
        "dependencies": [*(added.get("dependencies") or []), *route.dependencies],
        "responses": {**(added.get("responses") or {}), **route.responses},
        "callbacks": [*(added.get("callbacks") or []), *(route.callbacks or [])] or None,
        "deprecated": route.deprecated or added.get("deprecated"),  # COMPAT: `or`, as FastAPI
        "include_in_schema": added.get("include_in_schema", True) and route.include_in_schema,
    }
    # COMPAT: an id function set on the route or its own router wins over this inclusion's.
    if "generate_unique_id_function" in added:
        options.setdefault("generate_unique_id_function", added["generate_unique_id_function"])
    return options


def _check_prefix(prefix: str) -> None:
    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        raise ValueError("a prefix must start with '/' and not end with '/'")


def _with_prefix(route: BaseRoute, prefix: str) -> BaseRoute:
    if isinstance(route, Mount):
        return Mount(prefix + route.path, route.app, name=route.name)
    if isinstance(route, Route):
        return Route(
            prefix + route.path, route.endpoint, methods=sorted(route.methods or ()),
            name=route.name, include_in_schema=route.include_in_schema,
        )  # fmt: skip
    if isinstance(route, WebSocketRoute):
        return WebSocketRoute(prefix + route.path, route.endpoint, name=route.name)
    raise TypeError(f"cannot include a route of type {type(route).__name__}")


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


async def _redirect_to_twin(scope: Scope, receive: Receive, send: Send) -> None:
    path: str = scope["path"]
    twin = path.rstrip("/") if path.endswith("/") else path + "/"
    url = URL(scope={**scope, "path": twin})
    await RedirectResponse(url=str(url))(scope, receive, send)


__all__ = [
    "APIRoute",
    "APIRouter",
    "APIWebSocketRoute",
    "BaseRoute",
    "Mount",
    "NoMatchFound",
    "Route",
    "WebSocketRoute",
    "generate_unique_id",
]
