# How a route handles a request: the router found it and put the path parameters in
# scope["path_params"]. An APIRoute runs its endpoint plan (compiled when it was added, or
# once more under the app's dependency overrides); an APIWebSocketRoute does the same for a
# websocket; a plain Route or WebSocketRoute hands the connection to its endpoint as is; a
# Mount moves the matched prefix into scope["root_path"] and calls another ASGI app.
"""The kinds of route, and how each builds its URL back."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from minifast._decorators import RouteOptions
from minifast._paths import PathTemplate, compile_template
from minifast.concurrency import is_async_callable, run_in_threadpool
from minifast.datastructures import URLPath
from minifast.exceptions import HTTPException
from minifast.plan import EndpointPlan, compile_endpoint
from minifast.requests import Request
from minifast.resolve import produce_response, respond, respond_through, respond_websocket
from minifast.responses import JSONResponse, PlainTextResponse, Response
from minifast.types import ASGIApp, Receive, Scope, Send
from minifast.websockets import WebSocket

if TYPE_CHECKING:
    from typing_extensions import Unpack


class NoMatchFound(Exception):
    """`url_path_for` found no route with that name and those parameters."""

    def __init__(self, name: str, path_params: dict[str, Any]) -> None:
        names = ", ".join(path_params)
        super().__init__(f'No route exists for name "{name}" and params "{names}".')


def generate_unique_id(route: APIRoute) -> str:
    """FastAPI's default operationId: name, path and first method, non-word characters as `_`."""
    operation_id = re.sub(r"\W", "_", f"{route.name}{route.path_format}")
    return f"{operation_id}_{next(iter(route.methods)).lower()}"


class Match(Enum):
    """How a route matches a scope, in Starlette's routing protocol (see BaseRoute.matches)."""

    NONE = 0
    PARTIAL = 1  # the path matches, the method does not
    FULL = 2


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

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Whether this one route takes `scope`, and what it would add to it.

        Starlette's protocol, for code that asks a single route. A router does not call it:
        it looks the path up in its index (see _paths.py), whose cost does not grow with the
        number of routes. COMPAT: low-priority routes (see frontend.py) are asked this way.
        """
        if scope["type"] not in self.scope_types:
            return Match.NONE, {}
        path_params = self._match_path(route_path(scope))
        if path_params is None:
            return Match.NONE, {}
        endpoint = getattr(self, "endpoint", None) or getattr(self, "app", None)
        child = {
            "endpoint": endpoint,
            "path_params": {**scope.get("path_params", {}), **path_params},
        }
        if self.methods is not None and scope.get("method") not in self.methods:
            return Match.PARTIAL, child
        return Match.FULL, child

    def _match_path(self, path: str) -> dict[str, Any] | None:
        matched = self.template.regex.match(path)
        if matched is None:
            return None
        convertors = self.template.convertors
        return {
            name: convertors[name].convert(value) for name, value in matched.groupdict().items()
        }

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if name != self.name or set(path_params) != self.template.param_names:
            raise NoMatchFound(name, path_params)
        return URLPath(self.template.url_path(path_params), "http")


class APIRoute(BaseRoute):
    """A path operation: an endpoint whose parameters and answer come from its signature."""

    websocket: Literal[False] = False

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
        unknown = options.keys() - RouteOptions.__optional_keys__
        if unknown:  # a misspelt option would otherwise be ignored in silence
            raise TypeError(f"{path}: unknown route options {', '.join(sorted(unknown))}")
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
        if type(self).get_route_handler is not APIRoute.get_route_handler:
            # PERF: only a route class that wraps the handler pays for the call through it.
            self.handle = self._handle_through  # type: ignore[method-assign]
            self._route_handler = self.get_route_handler()

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        """FastAPI's extension point: what turns a request into this route's response.

        A route class overrides it to wrap the handler (a Request subclass, a timing header,
        an error logged with its body); it is built once, when the route is made. The returned
        handler reads the app's dependency overrides on each call, and exit code of `yield`
        dependencies with scope="request" runs after the response is sent, as without it.
        """

        async def handler(request: Request) -> Response:
            return await produce_response(current_plan(self, request.scope.get("app")), request)

        return handler

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await respond(current_plan(self, scope.get("app")), Request(scope, receive, send), send)

    async def _handle_through(self, scope: Scope, receive: Receive, send: Send) -> None:
        await respond_through(self._route_handler, Request(scope, receive, send), send)

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

    def _match_path(self, path: str) -> dict[str, Any] | None:
        # As the index matches a mount: its template, then "/" and anything, kept as "path".
        matched = compile_template(self.path + "/{path:path}").regex.match(path)
        if matched is None:
            return None
        convertors = self.template.convertors
        values = matched.groupdict()
        return {
            "path": values.pop("path"),
            **{name: convertors[name].convert(value) for name, value in values.items()},
        }

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The index matched "<prefix>/{path:path}"; what the prefix consumed joins root_path.
        remaining = "/" + scope["path_params"].pop("path")
        path = route_path(scope)
        consumed = path[: len(path) - len(remaining)]
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


def current_plan(route: APIRoute | APIWebSocketRoute, app: Any) -> EndpointPlan:
    """The route's plan, or the one compiled under the app's dependency overrides while set.

    PERF: with no overrides set, one attribute read and a truth test is all they cost.
    """
    overrides = getattr(app, "dependency_overrides", None)
    return overrides.plan_for(route) if overrides else route.plan


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


def route_path(scope: Scope) -> str:
    """The path below the application's root: `path` with `root_path` taken off."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        rest = path[len(root_path) :]
        if not rest or rest.startswith("/"):
            return rest
    return path


class APIWebSocketRoute(BaseRoute):
    """A websocket endpoint whose path, query, header and Depends parameters are validated."""

    scope_types = frozenset({"websocket"})
    websocket: Literal[True] = True

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        name: str | None = None,
        dependencies: Sequence[Any] | None = None,
    ) -> None:
        self.path = path
        self.endpoint = endpoint
        self.template = compile_template(path)
        self.name = name or getattr(endpoint, "__name__", type(endpoint).__name__)
        self.dependencies = list(dependencies or [])
        self.plan: EndpointPlan = compile_endpoint(self)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await respond_websocket(
            current_plan(self, scope.get("app")), WebSocket(scope, receive, send)
        )

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return URLPath(super().url_path_for(name, **path_params), "websocket")


class WebSocketRoute(BaseRoute):
    """A plain websocket route: `endpoint(websocket)`, nothing validated."""

    scope_types = frozenset({"websocket"})

    def __init__(self, path: str, endpoint: Callable[..., Any], *, name: str | None = None):
        self.path = path
        self.endpoint = endpoint
        self.template = compile_template(path)
        self.name = name or getattr(endpoint, "__name__", type(endpoint).__name__)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.endpoint(WebSocket(scope, receive, send))

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return URLPath(super().url_path_for(name, **path_params), "websocket")
