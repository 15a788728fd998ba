# How a path operation handles a request: the router found the route and put the path
# parameters in scope["path_params"]. An APIRoute runs its endpoint plan (compiled when it was
# added, or once more under the app's dependency overrides: see current_plan): inputs read and
# validated, dependencies called, the endpoint's return value serialised (see resolve.py). An
# APIWebSocketRoute does the same for a websocket. Both are toolkit routes underneath.
"""The typed layer's routes: APIRoute and APIWebSocketRoute, and FastAPI's default operationId."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from minifast._decorators import RouteOptions
from minifast._paths import compile_template
from minifast.plan import EndpointPlan, compile_endpoint
from minifast.requests import Request
from minifast.resolve import produce_response, respond, respond_through, respond_websocket
from minifast.responses import JSONResponse, Response
from minifast.routes import Route, WebSocketRoute
from minifast.types import ASGIApp, Receive, Scope, Send
from minifast.websockets import WebSocket

if TYPE_CHECKING:
    from typing_extensions import Unpack


def generate_unique_id(route: APIRoute) -> str:
    """FastAPI's default operationId: name, path and first method, non-word characters as `_`."""
    operation_id = re.sub(r"\W", "_", f"{route.name}{route.path_format}")
    return f"{operation_id}_{next(iter(route.methods)).lower()}"


class APIRoute(Route):
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

    # The routing protocol's `route.app`: the route itself, as an ASGI app. A property, not an
    # attribute holding `self.handle`: that would tie every route into a reference cycle.
    @property
    def app(self) -> ASGIApp:
        return self.handle

    @app.setter
    def app(self, wrapped: ASGIApp) -> None:
        # An extension that wraps `route.app` (in middleware, say) is then what handles.
        self.handle = wrapped  # type: ignore[assignment, method-assign]

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


def current_plan(route: APIRoute | APIWebSocketRoute, app: Any) -> EndpointPlan:
    """The route's plan, or the one compiled under the app's dependency overrides while set.

    PERF: with no overrides set, one attribute read and a truth test is all they cost.
    """
    overrides = getattr(app, "dependency_overrides", None)
    return overrides.plan_for(route) if overrides else route.plan


class APIWebSocketRoute(WebSocketRoute):
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

    # The routing protocol's `route.app`: the route itself, as an ASGI app. A property, not an
    # attribute holding `self.handle`: that would tie every route into a reference cycle.
    @property
    def app(self) -> ASGIApp:
        return self.handle

    @app.setter
    def app(self, wrapped: ASGIApp) -> None:
        # An extension that wraps `route.app` (in middleware, say) is then what handles.
        self.handle = wrapped  # type: ignore[assignment, method-assign]

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await respond_websocket(
            current_plan(self, scope.get("app")), WebSocket(scope, receive, send)
        )
