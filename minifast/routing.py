# How the typed layer routes: APIRouter is the toolkit's Router (router.py: the index, 404,
# 405, slash redirects, the lifespan) plus path operations. `@router.get(...)` compiles an
# APIRoute (api_routes.py) with this router's prefix, tags and dependencies folded in;
# `include_router` copies another router's routes in under a prefix. What no route takes may
# still reach a low-priority route (a frontend, see frontend.py) before the 404.
# The rule: a router holds routes; each route compiles its own plan, from its own spec.
"""APIRouter: path operations, include_router; and every routing name, toolkit and typed."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar

from minifast import params
from minifast._decorators import Inherit, PathOperations, RouteOptions
from minifast._paths import get_route_path
from minifast.api_routes import APIRoute, APIWebSocketRoute, current_plan, generate_unique_id
from minifast.datastructures import DefaultPlaceholder
from minifast.exceptions import FastAPIError
from minifast.frontend import (
    Fallback,
    FrontendGroup,
    FrontendRoute,
    check_directory,
    join_paths,
    merge_scope,
    normalize_path,
    select_low_priority,
)
from minifast.lifespan import Lifespan, compile_lifespan, nest_lifespans
from minifast.lifespan_dependencies import lifespan_scoped
from minifast.plain_routes import (
    BaseRoute,
    Match,
    NoMatchFound,
    Route,
    WebSocketRoute,
    compile_path,
    get_name,
    refuse,
    request_response,
    websocket_session,
)
from minifast.responses import JSONResponse, Response
from minifast.router import Host, Mount, Router
from minifast.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from typing_extensions import Unpack

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


_ON_EVENT_DEPRECATED = "on_event is deprecated, use lifespan event handlers instead."
_SELF_INCLUDED = (
    "Cannot include the same APIRouter instance into itself. "
    "Did you mean to include a different router?"
)


class APIRouter(Router, PathOperations):
    """A Router with path operations: what `include_router` copies from."""

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
        default: ASGIApp | None = None,
        dependency_overrides_provider: Any | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] = generate_unique_id,
        route_class: type[APIRoute] = APIRoute,
        max_body_size: int | Inherit | None = Inherit.INHERIT,
        strict_content_type: bool | Inherit = Inherit.INHERIT,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan | None = None,
    ) -> None:
        _check_prefix(prefix)
        # Asked only when no route answered (FastAPI's names): frontends, in the main.
        self._low_priority_routes: list[BaseRoute] = []
        self._frontend_routes: FrontendGroup | None = None
        super().__init__(routes, redirect_slashes=redirect_slashes, default=default)
        self.prefix = prefix
        self.tags = list(tags or [])
        self.dependencies = list(dependencies or [])
        self.default_response_class = _unless_placeholder(default_response_class)
        self.responses = dict(responses or {})
        self.callbacks = list(callbacks or [])
        # COMPAT: kept for code that reads it; overrides come from the app serving the request,
        # the provider FastAPI gives its own router (see routes.current_plan).
        self.dependency_overrides_provider = dependency_overrides_provider
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        self.generate_unique_id_function = _placeholder_value(generate_unique_id_function)
        self.route_class = route_class
        self.max_body_size = max_body_size
        self.strict_content_type = strict_content_type
        self.on_startup, self.on_shutdown = list(on_startup or []), list(on_shutdown or [])
        self.lifespan_context = compile_lifespan(lifespan, self.on_startup, self.on_shutdown)

    # -- registration -------------------------------------------------------------------

    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Sequence[str] | None = None,
        route_class_override: type[APIRoute] | None = None,
        **options: Unpack[RouteOptions],
    ) -> None:
        """Add a path operation, folding in this router's prefix, tags, dependencies, ..."""
        made = _Made(self.default_response_class, route_class_override or self.route_class)
        self._add_api_route(path, endpoint, methods, options, made)

    def _add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Sequence[str] | None,
        options: RouteOptions,
        made: _Made,
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
        route = made.route_class(
            self.prefix + path, endpoint, methods=methods,
            default_response_class=made.default_response_class, **merged,
        )  # fmt: skip
        self.add_route_object(route)

    def api_route(
        self, path: str, *, methods: Sequence[str] | None = None, **options: Unpack[RouteOptions]
    ) -> Callable[[F], F]:
        def decorator(endpoint: F) -> F:
            self.add_api_route(path, endpoint, methods=methods, **options)
            return endpoint

        return decorator

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

    def frontend(
        self,
        path: str,
        *,
        directory: str | os.PathLike[str],
        fallback: Fallback = "auto",
        check_dir: bool | Literal["auto"] = "auto",
    ) -> None:
        """Serve a static frontend build under `path`, behind every other route (frontend.py)."""
        checked = check_directory(directory, check_dir)
        if self._frontend_routes is None:
            self._frontend_routes = FrontendGroup(dependencies=self.dependencies)
            self._low_priority_routes.append(self._frontend_routes)
        full_path = join_paths(self.prefix, normalize_path(path))
        route = FrontendRoute(full_path, directory=directory, fallback=fallback, check_dir=checked)
        self._frontend_routes.routes.append(route)

    def _mark_routes_changed(self) -> None:
        """COMPAT: FastAPI's hook after its low-priority routes are edited by hand.

        Nothing to refresh: minifast reads that list whenever no route answered.
        """

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
                made = _Made(chosen, type(route))  # COMPAT: the route keeps its own class
                self._add_api_route(prefix + route.path, route.endpoint, methods, options, made)
            elif isinstance(route, APIWebSocketRoute):
                merged = [*(dependencies or []), *route.dependencies]
                self.add_api_websocket_route(
                    prefix + route.path, route.endpoint, route.name, dependencies=merged
                )
            else:
                self.add_route_object(_with_prefix(route, self.prefix + prefix))
        self._include_low_priority(router, prefix, [*self.dependencies, *(dependencies or [])])

    def _include_low_priority(
        self, router: APIRouter, prefix: str, dependencies: list[params.Depends]
    ) -> None:
        """Copy the included router's low-priority routes into ours, under the same prefix."""
        for route in router._low_priority_routes:
            if isinstance(route, FrontendGroup):
                self._low_priority_routes.append(route.included(self.prefix + prefix, dependencies))
            elif isinstance(route, APIRoute):
                options: RouteOptions = {
                    **route.options,
                    "dependencies": [*dependencies, *route.dependencies],
                }
                copy = APIRoute(self.prefix + prefix + route.path, route.endpoint,
                                methods=sorted(route.methods), **options)  # fmt: skip
                self._low_priority_routes.append(copy)
            else:
                self._low_priority_routes.append(_with_prefix(route, self.prefix + prefix))

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        """A start-up or shut-down handler; ignored when a `lifespan=` was given."""
        handlers = {"startup": self.on_startup, "shutdown": self.on_shutdown}
        handlers[event_type].append(func)

    def on_event(self, event_type: str) -> Callable[[F], F]:
        """`@router.on_event("startup")`: FastAPI keeps it, deprecated, beside `lifespan=`."""
        warnings.warn(_ON_EVENT_DEPRECATED, DeprecationWarning, stacklevel=2)

        def decorator(func: F) -> F:
            self.add_event_handler(event_type, func)
            return func

        return decorator

    def _check_include(self, router: APIRouter, prefix: str) -> None:
        if router is self:  # COMPAT: FastAPI's assertion, its words
            raise AssertionError(_SELF_INCLUDED)
        _check_prefix(prefix)
        empty = next((route for route in router.routes if not route.path), None)
        if not prefix and empty is not None:
            message = f"Prefix and path cannot be both empty (path operation: {empty.name})"
            raise FastAPIError(message)

    # -- the ASGI side ------------------------------------------------------------------

    async def _unmatched(self, scope: Scope, receive: Receive, send: Send) -> None:
        """No route: the slash redirect, then a low-priority route, then the default."""
        if scope["type"] == "http" and self._slash_twin_matches(scope):
            await super()._unmatched(scope, receive, send)
        elif not (self._low_priority_routes and await self._low_priority(scope, receive, send)):
            await self.default(scope, receive, send)

    async def _low_priority(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer with a low-priority route (a frontend) if one takes the request."""
        chosen = select_low_priority(self._low_priority_routes, scope)
        if chosen is None:
            return False
        route, child = chosen
        if route.methods is not None and scope.get("method") not in route.methods:
            allowed = ", ".join(sorted(route.methods))
            await refuse(scope, receive, send, 405, {"Allow": allowed})
            return True
        merge_scope(scope, child)
        scope["route"] = route
        await route.handle(scope, receive, send)
        return True

    @contextlib.asynccontextmanager
    async def serving(self, app: Any) -> AsyncIterator[None]:
        """While the app serves: its lifespan-scoped dependencies, started and closed."""
        store = getattr(app, "lifespan_dependencies", None)
        if store is None:
            yield
            return
        await store.start(self._lifespan_scoped_plans(app))
        try:
            yield
        finally:
            await store.close()

    def _lifespan_scoped_plans(self, app: Any) -> Iterator[Any]:
        """Every lifespan-scoped dependency the routes use, under the app's overrides."""
        for route in self.routes:
            if isinstance(route, (APIRoute, APIWebSocketRoute)):
                yield from lifespan_scoped(current_plan(route, app).endpoint)


class _Made(NamedTuple):
    """How an APIRoute is made: the response class it falls back on, and its class."""

    default_response_class: type[Response] | None
    route_class: type[APIRoute]


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


def _unless_placeholder(response_class: type[Response] | None) -> type[Response] | None:
    """A response class, None when given as FastAPI's `Default(JSONResponse)`: not chosen.

    COMPAT: extensions (Strawberry's GraphQLRouter) pass FastAPI's own defaults, wrapped.
    """
    chosen = _placeholder_value(response_class)
    return None if chosen is JSONResponse and chosen is not response_class else chosen


def _placeholder_value(value: T) -> T:
    """The value inside FastAPI's `Default(value)`, or the value given."""
    return value.value if isinstance(value, DefaultPlaceholder) else value


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


__all__ = [
    "APIRoute",
    "APIRouter",
    "APIWebSocketRoute",
    "BaseRoute",
    "Host",
    "Match",
    "Mount",
    "NoMatchFound",
    "Route",
    "Router",
    "WebSocketRoute",
    "compile_path",
    "generate_unique_id",
    "get_name",
    "get_route_path",
    "request_response",
    "websocket_session",
]
