# How routes are observed: the first time an app observes a request (and again whenever its
# route list grew), every route it can reach (through mounts too) gets an observing `handle` in
# front of its own. Routes are shared by nothing else, and a route reached by a request nobody
# observes hands it straight to its own `handle`; an app never observed keeps its routes as
# they are. An observing handle names the server span after the route's template (mount
# templates in front), then for path operations runs the plan as resolve.py does, with the
# steps FastAPI traces wrapped in operation spans: dependencies (with parameter validation),
# the endpoint (in the worker thread when it is sync), serialization, and each background
# task. The request's TelemetryData is filled on the way.
"""Observing handles for routes: the route template, operation spans and request data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AsyncExitStack
from typing import Any

from pydantic_core import PydanticUndefined

from minifast._read_inputs import read_body
from minifast.api_routes import APIRoute, APIWebSocketRoute, current_plan
from minifast.background import BackgroundTask, BackgroundTasks, run_logged
from minifast.concurrency import run_in_threadpool
from minifast.contract import CallablePlan, CallKind, EndpointPlan
from minifast.datastructures import DEFAULT_MAX_FILE_SIZE
from minifast.exceptions import (
    FastAPIError,
    RequestValidationError,
    WebSocketRequestValidationError,
)
from minifast.frontend import FrontendGroup, join_paths
from minifast.plain_routes import BaseRoute
from minifast.requests import Request
from minifast.resolve import ResolveContext, call_plan, resolve_callable
from minifast.responses import Response
from minifast.router import Mount
from minifast.serialization import build_response, build_stream
from minifast.telemetry._api import (
    Exchange,
    exception_raised,
    operation,
    validation_failed,
)
from minifast.telemetry._data import SCOPE_KEY, TelemetryData
from minifast.types import ASGIApp, Receive, Scope, Send
from minifast.websockets import WebSocket

Handle = Callable[[Scope, Receive, Send], Any]
_Observed = tuple[Exchange, TelemetryData]  # the request's exchange and the data it shows


def observe_routes(routes: Iterable[BaseRoute]) -> None:
    """Put an observing handle in front of each route's own, through mounted apps too."""
    for route in routes:
        if "handle" in vars(route):
            continue  # observed already (an app mounted twice, or a second stack build)
        route.handle = _observing_handle(route, route.handle)  # type: ignore[method-assign,assignment]
        if isinstance(route, Mount):
            observe_routes(route.routes)


def _observing_handle(route: BaseRoute, handle: Handle) -> Handle:
    if isinstance(route, APIRoute):
        return _api_route_handle(route, handle)
    if isinstance(route, APIWebSocketRoute):
        return _websocket_route_handle(route, handle)
    if isinstance(route, Mount):
        return _mount_handle(route, handle)
    if isinstance(route, FrontendGroup):
        return _frontend_handle(route, handle)

    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        exchange = scope.get(SCOPE_KEY)
        if exchange is not None:
            exchange.route_selected(route.path_format)
        await handle(scope, receive, send)

    return observed


def _mount_handle(mount: Mount, handle: Handle) -> Handle:
    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        exchange = scope.get(SCOPE_KEY)
        if exchange is not None:
            # The mounted app may not route further (static files): its template ends here.
            exchange.prefix += mount.path_format
            exchange.route_selected("/{path}", mount=True)
        await handle(scope, receive, send)

    return observed


def _frontend_handle(group: FrontendGroup, handle: Handle) -> Handle:
    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        exchange: Any = scope.get(SCOPE_KEY)
        route = group._match(scope, group.prefix)[2] if exchange is not None else None
        if route is not None:  # COMPAT: FastAPI's template: the frontend's path + /{path}
            exchange.route_selected(join_paths(group.prefix, route.path).rstrip("/") + "/{path}")
        await handle(scope, receive, send)

    return observed


def _api_route_handle(route: APIRoute, handle: Handle) -> Handle:
    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        exchange: Exchange | None = scope.get(SCOPE_KEY)
        if exchange is None:
            await handle(scope, receive, send)
            return
        exchange.route_selected(route.path_format)
        request = Request(scope, receive, send)
        data = TelemetryData(request=request)
        exchange.data = data
        await _respond(current_plan(route, scope.get("app")), request, send, (exchange, data))

    return observed


def _websocket_route_handle(route: APIWebSocketRoute, handle: Handle) -> Handle:
    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        exchange: Exchange | None = scope.get(SCOPE_KEY)
        if exchange is None:
            await handle(scope, receive, send)
            return
        exchange.route_selected(route.path_format)
        websocket = WebSocket(scope, receive, send)
        data = TelemetryData(websocket=websocket)
        exchange.data = data
        await _respond_websocket(current_plan(route, scope.get("app")), websocket, (exchange, data))

    return observed


async def _respond(plan: EndpointPlan, request: Request, send: Send, observed: _Observed) -> None:
    """resolve.serve_http, observed: the same stacks, the same order of exits."""
    request.max_body_size = plan.max_body_size
    sent = False
    try:
        async with AsyncExitStack() as request_stack:
            context = ResolveContext(request=request, request_stack=request_stack)
            if plan.exits_before_response:
                async with AsyncExitStack() as function_stack:
                    context.function_stack = function_stack
                    response = await _produce(plan, context, observed)
            else:
                response = await _produce(plan, context, observed)
            await response(request.scope, request.receive, send)
            sent = True
    finally:
        await request.close()
    if not sent:
        raise FastAPIError("response not sent: a `yield` dependency swallowed an exception")


async def _read(plan: EndpointPlan, context: ResolveContext, observed: _Observed) -> None:
    """The body, as resolve.endpoint_response reads it; bad JSON is a validation failure."""
    assert isinstance(context.request, Request)
    try:
        if plan.reads_form:
            limit = plan.max_body_size if plan.max_body_size is not None else DEFAULT_MAX_FILE_SIZE
            context.body = await context.request.form(max_file_size=limit)
        elif plan.reads_body:
            context.body = await read_body(context.request, plan.json_without_content_type)
    except RequestValidationError as exc:
        validation_failed(*observed, exc)
        raise


async def _produce(plan: EndpointPlan, context: ResolveContext, observed: _Observed) -> Response:
    """resolve.endpoint_response, observed."""
    assert plan.response is not None
    await _read(plan, context, observed)
    body = None if context.body is PydanticUndefined else context.body
    data = observed[1]
    data.body = body
    with operation("dependencies", plan.endpoint.call):
        values, errors = await resolve_callable(plan.endpoint, context)
    data.values, data.errors = values, errors
    if errors:
        failure = RequestValidationError(errors, body=body)
        validation_failed(*observed, failure)
        raise failure
    if plan.response.stream is not None:
        items = plan.endpoint.call(**values)
        return build_stream(plan.response, items, context.response, context.background)
    content = await _call_endpoint(plan.endpoint, values)
    if isinstance(content, Response):  # COMPAT: a Response is sent as is: nothing serialized
        response = build_response(plan.response, content, context.response, context.background)
    else:
        with operation("serialization", plan.endpoint.call):
            response = build_response(plan.response, content, context.response, context.background)
    if isinstance(response.background, BackgroundTasks):
        response.background = _ObservedTasks(response.background, observed[0])
    return response


async def _call_endpoint(plan: CallablePlan, values: dict[str, Any]) -> Any:
    if plan.kind is CallKind.SYNC:
        # The span opens in the worker thread, where the endpoint runs.
        return await run_in_threadpool(_call_sync, plan.call, values)
    with operation("endpoint", plan.call):
        return await call_plan(plan, values)


def _call_sync(function: Callable[..., Any], values: dict[str, Any]) -> Any:
    with operation("endpoint", function):
        return function(**values)


async def _respond_websocket(plan: EndpointPlan, websocket: WebSocket, observed: _Observed) -> None:
    """resolve.serve_websocket, observed."""
    async with AsyncExitStack() as request_stack, AsyncExitStack() as function_stack:
        context = ResolveContext(
            request=websocket, function_stack=function_stack, request_stack=request_stack
        )
        with operation("dependencies", plan.endpoint.call):
            values, errors = await resolve_callable(plan.endpoint, context)
        observed[1].values, observed[1].errors = values, errors
        if errors:
            failure = WebSocketRequestValidationError(errors)
            validation_failed(*observed, failure)
            raise failure
        with operation("endpoint", plan.endpoint.call):
            await call_plan(plan.endpoint, values)


class _ObservedTasks(BackgroundTask):
    """A response's BackgroundTasks, each task in a span; the list itself is left as it is."""

    def __init__(self, tasks: BackgroundTasks, exchange: Exchange) -> None:
        self.tasks, self.exchange = tasks, exchange

    async def __call__(self) -> None:
        self.exchange.answered()  # the response is complete: its span ends before the tasks
        for task in self.tasks.tasks:
            await run_logged(_ObservedTask(task, self.exchange))


class _ObservedTask(BackgroundTask):
    """One task in a `fastapi.background_task` span; a failure is logged with the trace."""

    def __init__(self, task: BackgroundTask, exchange: Exchange) -> None:
        self.task, self.func, self.exchange = task, task.func, exchange

    async def __call__(self) -> None:
        try:
            with operation("background_task", self.func):
                await self.task()
        except Exception as exc:
            exception_raised(self.exchange, exc, websocket=False)
            raise


def route_count(app: ASGIApp) -> int:
    """How many routes `observe(app)` starts from: when it grows, observe again."""
    return len(getattr(app, "routes", ())) + len(getattr(app, "_low_priority_routes", ()))


def observe(app: ASGIApp) -> None:
    """Observe the routes of `app` (a MiniFast or a router) and of the apps mounted in it,
    its frontends (asked only when no route answered) included."""
    observe_routes(getattr(app, "routes", ()))
    observe_routes(getattr(app, "_low_priority_routes", ()))
