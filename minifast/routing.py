# How routing works: each path template was compiled at registration into one index (see
# _paths.py), so a lookup costs the path's depth, not the number of routes. COMPAT: where two
# templates match, the one registered first wins, as in FastAPI; a path that matches only with
# another method answers 405 with that route's `Allow`. A path that matches nothing answers 404,
# unless the same path with the trailing slash added or removed would match: then a 307 to it.
# The matched route's path parameters go into scope["path_params"], then the route takes over:
# an APIRoute runs its compiled endpoint plan, a Mount hands the request to another ASGI app.
"""Routes, routers and URL building."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from minifast import params
from minifast._decorators import PathOperations, RouteOptions
from minifast._paths import PathIndex, PathTemplate, compile_template
from minifast.concurrency import is_async_callable, run_in_threadpool
from minifast.datastructures import URL, URLPath
from minifast.exceptions import FastAPIError, HTTPException
from minifast.plan import EndpointPlan, compile_endpoint
from minifast.requests import Request
from minifast.resolve import respond
from minifast.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from minifast.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from typing_extensions import Unpack

F = TypeVar("F", bound=Callable[..., Any])


class NoMatchFound(Exception):
    """`url_path_for` found no route with that name and those parameters."""

    def __init__(self, name: str, path_params: dict[str, Any]) -> None:
        names = ", ".join(path_params)
        super().__init__(f'No route exists for name "{name}" and params "{names}".')


def generate_unique_id(route: APIRoute) -> str:
    """FastAPI's default operationId: name, path and first method, non-word characters as `_`."""
    operation_id = re.sub(r"\W", "_", f"{route.name}{route.path_format}")
    return f"{operation_id}_{next(iter(route.methods)).lower()}"


class BaseRoute:
    """What the router needs from a route: a template, the methods it takes, a handler."""

    path: str
    name: str | None
    template: PathTemplate
    methods: set[str] | None = None  # None: every method (mounts, websockets)
    scope_types: frozenset[str] = frozenset({"http"})
    include_in_schema = True

    @property
    def path_format(self) -> str:
        return self.template.format

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError  # pragma: no cover - every route kind defines it

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if name != self.name or set(path_params) != self.template.param_names:
            raise NoMatchFound(name, path_params)
        return URLPath(self.template.url_path(path_params), "http")


class APIRoute(BaseRoute):
    """A path operation: an endpoint whose parameters and answer come from its signature."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Sequence[str] | None = None,
        default_response_class: type[Response] | None = None,
        **options: Unpack[RouteOptions],
    ) -> None:
        self.path = path
        self.endpoint = endpoint
        self.default_response_class = default_response_class
        self.template = compile_template(path)
        self.methods: set[str] = {method.upper() for method in methods or ["GET"]}
        self.name = options.get("name") or getattr(endpoint, "__name__", type(endpoint).__name__)
        self.options = options
        self.tags: list[str | Enum] = list(options.get("tags") or [])
        self.dependencies = list(options.get("dependencies") or [])
        self.responses = dict(options.get("responses") or {})
        self.summary = options.get("summary")
        self.description = options.get("description")
        self.response_description = options.get("response_description", "Successful Response")
        self.deprecated = options.get("deprecated")
        self.operation_id = options.get("operation_id")
        self.include_in_schema = options.get("include_in_schema", True)
        self.response_class = (
            options.get("response_class") or default_response_class or JSONResponse
        )
        self.status_code = options.get("status_code")
        self.callbacks = options.get("callbacks")
        self.openapi_extra = options.get("openapi_extra")
        self.generate_unique_id_function = options.get(
            "generate_unique_id_function", generate_unique_id
        )
        self.unique_id = self.operation_id or self.generate_unique_id_function(self)
        self.plan: EndpointPlan = compile_endpoint(self)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        plan = self.plan
        overrides = getattr(scope.get("app"), "dependency_overrides", None)
        if overrides:  # PERF: with no overrides set, this check is all they cost
            plan = overrides.plan_for(self)
        await respond(plan, Request(scope, receive, send), send)

    def __repr__(self) -> str:
        methods = sorted(self.methods)
        return f"APIRoute(path={self.path!r}, name={self.name!r}, methods={methods!r})"


class Route(BaseRoute):
    """A plain route: `endpoint(request)` returns a Response; nothing is validated.

    minifast serves /openapi.json and /docs with these. COMPAT: a plain route with GET also
    answers HEAD, while an APIRoute answers HEAD only when it declares it.
    """

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Sequence[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        if not path.startswith("/"):
            raise ValueError("a route path must start with '/'")
        self.path = path
        self.endpoint = endpoint
        self.template = compile_template(path)
        self.methods = {method.upper() for method in methods or ["GET"]}
        if "GET" in self.methods:
            self.methods.add("HEAD")
        self.name = name or getattr(endpoint, "__name__", None)
        self.include_in_schema = include_in_schema
        self._is_async = is_async_callable(endpoint)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        if self._is_async:
            response = await self.endpoint(request)
        else:
            response = await run_in_threadpool(self.endpoint, request)
        await response(scope, receive, send)


class Mount(BaseRoute):
    """Any ASGI app under a path prefix; it sees the prefix moved into `root_path`."""

    scope_types = frozenset({"http", "websocket"})

    def __init__(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        if path and not path.startswith("/"):
            raise ValueError("a mount path must start with '/'")
        self.path = path.rstrip("/")
        self.app = app
        self.name = name
        self.template = compile_template(self.path)

    @property
    def routes(self) -> list[BaseRoute]:
        return list(getattr(self.app, "routes", []))

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The index matched "<prefix>/{path:path}"; what the prefix consumed joins root_path.
        remaining = "/" + scope["path_params"].pop("path")
        route_path = _route_path(scope)
        consumed = route_path[: len(route_path) - len(remaining)]
        scope["app_root_path"] = scope.get("app_root_path", scope.get("root_path", ""))
        scope["root_path"] = scope.get("root_path", "") + consumed
        await self.app(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if not self.template.param_names <= path_params.keys():
            raise NoMatchFound(name, path_params)
        prefix_params = {key: path_params.pop(key) for key in self.template.param_names}
        prefix = self.template.url_path(prefix_params)
        if name == self.name and set(path_params) == {"path"}:
            return URLPath(prefix + "/" + str(path_params["path"]).lstrip("/"), "http")
        child_name = name.removeprefix(f"{self.name}:") if self.name else name
        if self.name is not None and child_name == name:
            raise NoMatchFound(name, path_params)
        for route in self.routes:
            try:
                child = route.url_path_for(child_name, **path_params)
            except NoMatchFound:
                continue
            return URLPath(prefix + str(child), child.protocol)
        raise NoMatchFound(name, path_params)


def _route_path(scope: Scope) -> str:
    """The path below the application's root: `path` with `root_path` taken off."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        rest = path[len(root_path) :]
        if not rest or rest.startswith("/"):
            return rest
    return path


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
        routes: list[BaseRoute] | None = None,
        redirect_slashes: bool = True,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] = generate_unique_id,
    ) -> None:
        _check_prefix(prefix)
        self.prefix = prefix
        self.tags = list(tags or [])
        self.dependencies = list(dependencies or [])
        self.default_response_class = default_response_class
        self.responses = dict(responses or {})
        self.redirect_slashes = redirect_slashes
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        self.generate_unique_id_function = generate_unique_id_function
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
            "deprecated": options.get("deprecated") or self.deprecated,  # COMPAT: `or`, as FastAPI
            "include_in_schema": self.include_in_schema and options.get("include_in_schema", True),
        }
        # COMPAT: only a router's own id function is kept; included, the route takes its parent's.
        if self.generate_unique_id_function is not generate_unique_id:
            merged.setdefault("generate_unique_id_function", self.generate_unique_id_function)
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
        deprecated: bool | None = None,
        include_in_schema: bool = True,
    ) -> None:
        """Copy `router`'s routes in, under `prefix`, with these options added in front."""
        self._check_include(router, prefix)
        for route in router.routes:
            if isinstance(route, APIRoute):
                options: RouteOptions = {
                    **route.options,
                    "tags": [*(tags or []), *route.tags],
                    "dependencies": [*(dependencies or []), *route.dependencies],
                    "responses": {**(responses or {}), **route.responses},
                    "deprecated": route.deprecated or deprecated,  # COMPAT: `or`, as FastAPI
                    "include_in_schema": include_in_schema and route.include_in_schema,
                }
                # COMPAT: a response class chosen by the route's own router beats this one.
                chosen = route.default_response_class or default_response_class
                chosen = chosen or self.default_response_class
                methods = sorted(route.methods)
                self._add_api_route(prefix + route.path, route.endpoint, methods, options, chosen)
            else:
                self.add_route_object(_with_prefix(route, self.prefix + prefix))

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
        route_path = _route_path(scope)
        kind = scope["type"]
        matched, partial = self._select(route_path, kind, scope.get("method"))
        if matched is not None:
            route, path_params = matched
            scope["path_params"] = {**scope.get("path_params", {}), **path_params}
            scope["route"] = route
            scope["endpoint"] = getattr(route, "endpoint", None) or getattr(route, "app", None)
            await route.handle(scope, receive, send)
        elif partial is not None:
            allowed = ", ".join(sorted(partial.methods or ()))
            await _refuse(scope, receive, send, 405, {"Allow": allowed})
        elif kind == "http" and self._slash_twin(route_path):
            await _redirect_to_twin(scope, receive, send)
        else:
            await _refuse(scope, receive, send, 404, None)

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
    raise TypeError(f"cannot include a route of type {type(route).__name__}")


async def _refuse(
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
