# How a path operation handles a request: the router found the route and put the path
# parameters in scope["path_params"]. When it was added, an APIRoute turned its options into an
# EndpointSpec and compiled that into its plan (plan.py); the route owns the plan, and the
# plan compiled under the app's dependency overrides while they are set (see current_plan).
# Per request it runs the plan (resolve.py): inputs read and validated, dependencies called,
# the return value serialised. An APIWebSocketRoute does the same for a websocket. Both are
# toolkit routes underneath. The rule: a route knows its spec and plan; the plan knows no route.
"""The typed layer's routes: APIRoute and APIWebSocketRoute, and FastAPI's default operationId."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from minifast._decorators import RouteOptions
from minifast._paths import PathTemplate, compile_template
from minifast.contract import (
    DEFAULT_MAX_BODY_SIZE,
    FROM_ANNOTATION,
    DependencyOverrides,
    EndpointPlan,
    EndpointSpec,
)
from minifast.plain_routes import Route, WebSocketRoute
from minifast.plan import compile_endpoint
from minifast.requests import Request
from minifast.resolve import handler_response, serve_http, serve_http_through, serve_websocket
from minifast.responses import JSONResponse, Response
from minifast.types import ASGIApp, Receive, Scope, Send
from minifast.websockets import WebSocket

if TYPE_CHECKING:
    from typing_extensions import Unpack


def generate_unique_id(route: APIRoute) -> str:
    """FastAPI's default operationId: name, path and first method, non-word characters as `_`."""
    operation_id = re.sub(r"\W", "_", f"{route.name}{route.path_format}")
    return f"{operation_id}_{next(iter(route.methods)).lower()}"


class _SelfHandling:
    """The routing protocol's `route.app` for a route that is its own ASGI app: its `handle`.

    A property, not an attribute holding `self.handle`: that would tie every route into a
    reference cycle. An extension that wraps `route.app` (in middleware, say) is then what
    handles.
    """

    handle: ASGIApp

    @property
    def app(self) -> ASGIApp:
        return self.handle

    @app.setter
    def app(self, wrapped: ASGIApp) -> None:
        self.handle = wrapped


class APIRoute(_SelfHandling, Route):
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
        self.spec = http_spec(self.template, endpoint, default_response_class, options)
        self.plan: EndpointPlan = compile_endpoint(self.spec)
        self._override_plan: tuple[object, EndpointPlan] | None = None
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
            return await handler_response(current_plan(self, request.scope.get("app")), request)

        return handler

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await serve_http(current_plan(self, scope.get("app")), Request(scope, receive, send), send)

    async def _handle_through(self, scope: Scope, receive: Receive, send: Send) -> None:
        await serve_http_through(self._route_handler, Request(scope, receive, send), send)

    def __repr__(self) -> str:
        methods = sorted(self.methods)
        return f"APIRoute(path={self.path!r}, name={self.name!r}, methods={methods!r})"


def http_spec(
    template: PathTemplate,
    endpoint: Callable[..., Any],
    default_response_class: type[Response] | None,
    options: RouteOptions,
) -> EndpointSpec:
    """What a path operation's options declare, for compiling."""
    return EndpointSpec(
        path=template.template,
        endpoint=endpoint,
        path_names=frozenset(template.param_names),
        dependencies=tuple(options.get("dependencies") or ()),
        status_code=options.get("status_code"),
        response_model=options.get("response_model", FROM_ANNOTATION),
        response_class=options.get("response_class"),
        default_response_class=default_response_class,
        responses=dict(options.get("responses") or {}),
        response_model_include=options.get("response_model_include"),
        response_model_exclude=options.get("response_model_exclude"),
        response_model_by_alias=options.get("response_model_by_alias", True),
        response_model_exclude_unset=options.get("response_model_exclude_unset", False),
        response_model_exclude_defaults=options.get("response_model_exclude_defaults", False),
        response_model_exclude_none=options.get("response_model_exclude_none", False),
        max_body_size=options.get("max_body_size", DEFAULT_MAX_BODY_SIZE),
        strict_content_type=options.get("strict_content_type", True),
    )


def current_plan(route: APIRoute | APIWebSocketRoute, app: Any) -> EndpointPlan:
    """The route's plan, or the one compiled under the app's dependency overrides while set.

    PERF: with no overrides set, one attribute read and a truth test is all they cost.
    """
    overrides = getattr(app, "dependency_overrides", None)
    return _plan_under(route, overrides) if overrides else route.plan


def _plan_under(
    route: APIRoute | APIWebSocketRoute, overrides: DependencyOverrides
) -> EndpointPlan:
    """The first request after the overrides change compiles a plan; the next ones reuse it.

    The route keeps one such plan, stamped with the overrides' version (a plain mapping has
    none: its plan is compiled each time, as its changes cannot be seen).
    """
    version = getattr(overrides, "version", None)
    kept = route._override_plan
    if kept is not None and version is not None and kept[0] is version:
        return kept[1]
    plan = compile_endpoint(route.spec, overrides)
    route._override_plan = (version, plan)
    return plan


class APIWebSocketRoute(_SelfHandling, WebSocketRoute):
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
        self.spec = EndpointSpec(
            path=path, endpoint=endpoint, path_names=frozenset(self.template.param_names),
            dependencies=tuple(self.dependencies), websocket=True,
        )  # fmt: skip
        self.plan: EndpointPlan = compile_endpoint(self.spec)
        self._override_plan: tuple[object, EndpointPlan] | None = None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await serve_websocket(current_plan(self, scope.get("app")), WebSocket(scope, receive, send))
