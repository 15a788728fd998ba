# How a plan runs for one request: the request is given the route's body limit, then the body is
# read and parsed (as JSON, or as a form) if any callable of the tree has body parameters. Then
# each callable, dependencies before their dependents: its dependencies are resolved (from the
# per-request cache when already called), each source of its parameters is validated in one
# call, and if nothing failed it is called. Errors from all callables are gathered and raised
# together (→ 422). Exit code of `yield` dependencies is entered on one of two exit stacks:
# "function" scope closes when the endpoint returns, "request" scope after the response has been
# sent; an exception is thrown into the generators innermost first, so a dependency can roll
# back. Uploaded files are closed once the response has been sent. A generator endpoint is
# called but not stepped: its response streams it, so "request" exit code runs after the stream.
"""Runs an EndpointPlan for one request."""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import anyio
from pydantic import ValidationError
from pydantic_core import PydanticUndefined

from minifast._json_body import parse_json_body
from minifast._parameters import Source, SourcePlan
from minifast._read_inputs import resolve_form, resolve_group, validate_one
from minifast.background import BackgroundTasks
from minifast.concurrency import contextmanager_in_threadpool, run_in_threadpool
from minifast.datastructures import DEFAULT_MAX_FILE_SIZE
from minifast.exceptions import (
    FastAPIError,
    RequestValidationError,
    WebSocketRequestValidationError,
)
from minifast.plan import (
    BodyPlan,
    CallablePlan,
    CallKind,
    DependencyPlan,
    EndpointPlan,
)
from minifast.requests import HTTPConnection, Request
from minifast.responses import Response
from minifast.security.oauth2 import SecurityScopes
from minifast.serialization import build_response, build_stream, injected_response
from minifast.types import Send
from minifast.validation import (
    ErrorList,
    endpoint_context,
    located_errors,
    missing,
)
from minifast.websockets import WebSocket


@dataclass(slots=True, eq=False)  # PERF: never compared (see plan.py)
class _Context:
    """What one request's resolution shares across the callables of its plan."""

    request: Request | WebSocket  # the connection: a websocket for websocket routes
    body: Any
    function_stack: AsyncExitStack | None
    request_stack: AsyncExitStack | None
    cache: dict[Any, Any] = field(default_factory=dict)
    response: Response | None = None  # the injected Response, made on first use
    background: BackgroundTasks | None = None
    cleanup_scope: anyio.CancelScope | None = None  # see _cleanup_scope()


async def respond(plan: EndpointPlan, request: Request, send: Send) -> None:
    """Resolve, call, serialize, send; `yield` dependencies exit as their scope says."""
    request.max_body_size = plan.max_body_size
    try:
        if not plan.has_cleanup:
            # PERF: without `yield` dependencies there is nothing to exit: no stacks to build.
            response = await produce(plan, _Context(request, None, None, None))
            await response(request.scope, request.receive, send)
            return
        sent = False
        async with AsyncExitStack() as request_stack:
            context = _Context(request, None, None, request_stack)
            if plan.exits_before_response:
                async with AsyncExitStack() as function_stack:
                    context.function_stack = function_stack
                    response = await produce(plan, context)
            else:
                response = await produce(plan, context)  # PERF: no empty stack to exit, -0.9 µs
            await response(request.scope, request.receive, send)
            sent = True
    finally:
        await request.close()  # the files of a form, after background tasks ran too
    if not sent:
        # A dependency's exit code swallowed the endpoint's exception: nothing can answer.
        raise FastAPIError(_SWALLOWED)


# COMPAT: the words tests look for ("raising an exception and a dependency with yield").
_SWALLOWED = (
    "No response was sent: most likely the application code is raising an exception and a "
    "dependency with yield catches it (a bare `except:` or `except Exception:`) without "
    "raising it again. See https://fastapi.tiangolo.com/tutorial/dependencies/"
    "dependencies-with-yield/#dependencies-with-yield-and-except"
)

# The exit stacks of the request a route handler is answering (see APIRoute.get_route_handler):
# the handler is given only a request, which it may replace, so the stacks travel beside it.
# COMPAT: as in FastAPI, "function" scope exits when the (wrapped) handler returns.
_Stacks = tuple[AsyncExitStack | None, AsyncExitStack | None]
_handler_stacks: ContextVar[_Stacks] = ContextVar("_handler_stacks", default=(None, None))


async def respond_through(
    handler: Callable[[Request], Awaitable[Response]], request: Request, send: Send
) -> None:
    """`respond` for a route whose handler a custom route class wrapped: call it, then send."""
    sent = False
    try:
        async with AsyncExitStack() as request_stack:
            async with AsyncExitStack() as function_stack:
                token = _handler_stacks.set((request_stack, function_stack))
                try:
                    response = await handler(request)
                finally:
                    _handler_stacks.reset(token)
            await response(request.scope, request.receive, send)
            sent = True
    finally:
        await request.close()
    if not sent:
        raise FastAPIError(_SWALLOWED)


async def produce_response(plan: EndpointPlan, request: Request) -> Response:
    """The response of a route handler, on the stacks respond_through opened."""
    request.max_body_size = plan.max_body_size
    request_stack, function_stack = _handler_stacks.get()
    return await produce(plan, _Context(request, None, function_stack, request_stack))


async def respond_websocket(plan: EndpointPlan, websocket: WebSocket) -> None:
    """Resolve and call a websocket endpoint; its `yield` dependencies exit when it returns."""
    async with AsyncExitStack() as request_stack, AsyncExitStack() as function_stack:
        context = _Context(websocket, PydanticUndefined, function_stack, request_stack)
        values, errors = await resolve_callable(plan.endpoint, context)
        if errors:
            where = functools.partial(endpoint_context, plan.endpoint.call, websocket.scope, "WS")
            raise WebSocketRequestValidationError(errors, locate=where)
        await call(plan.endpoint, values)


async def produce(plan: EndpointPlan, context: _Context) -> Response:
    assert isinstance(context.request, Request) and plan.response is not None
    if plan.reads_form:
        # A file cannot outgrow the body, so the route's body limit is the file limit too.
        limit = plan.max_body_size if plan.max_body_size is not None else DEFAULT_MAX_FILE_SIZE
        context.body = await context.request.form(max_file_size=limit)
    elif plan.reads_body:
        context.body = await read_body(context.request, plan.json_without_content_type)
    values, errors = await resolve_callable(plan.endpoint, context)
    if errors:
        body = None if context.body is PydanticUndefined else context.body
        request = context.request
        where = functools.partial(
            endpoint_context, plan.endpoint.call, request.scope, request.method
        )
        raise RequestValidationError(errors, body=body, locate=where)
    if plan.response.stream is not None:
        # Calling a generator function runs none of its code: the response will step it.
        items = plan.endpoint.call(**values)
        return build_stream(plan.response, items, context.response, context.background)
    content = await call(plan.endpoint, values)
    return build_response(
        plan.response, content, context.response, context.background, context.request
    )


async def read_body(request: Request, json_without_content_type: bool = False) -> Any:
    """The body as parsed JSON, or as bytes when not declared JSON, or Undefined when empty.

    COMPAT: with `strict_content_type=False` (FastAPI 0.163), a body with no Content-Type at
    all is read as JSON too.
    """
    raw = await request.body()
    if not raw:
        return PydanticUndefined
    content_type = request.headers.get("content-type")
    declared_json = _is_json(content_type) if content_type else json_without_content_type
    if not declared_json:
        return raw  # COMPAT: validated as bytes, so a model reports the wrong type
    return parse_json_body(raw)  # bounded: see _json_body.py


@functools.lru_cache(maxsize=64)
def _is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON: `application/json` or `application/<x>+json`.

    COMPAT: read as the standard library's email parser reads it (as FastAPI does): the part
    before `;`, trimmed, lower-cased; anything but one `/` in it counts as text/plain.
    PERF: no parser object per request, and a request's header value is usually the last
    one's: cached (64 values at most), 2.9 -> 0.1 µs per JSON body.
    """
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type.count("/") != 1:
        return False
    main_type, subtype = media_type.split("/")
    return main_type == "application" and (subtype == "json" or subtype.endswith("+json"))


async def resolve_callable(
    plan: CallablePlan, context: _Context
) -> tuple[dict[str, Any], ErrorList]:
    """The keyword arguments for one callable, and the validation errors met on the way."""
    values: dict[str, Any] = {}
    errors: ErrorList = []
    for dependency in plan.dependencies:
        value, failed = await resolve_dependency(dependency, context)
        if failed:
            errors.extend(failed)
        elif dependency.name is not None:
            values[dependency.name] = value
    for source in plan.sources:
        errors.extend(resolve_source(source, context.request, values))
    if plan.body is not None and plan.body.form is not None:
        errors.extend(await resolve_form(plan.body.form, context.body, values))
    elif plan.body is not None:
        errors.extend(resolve_body(plan.body, context.body, values))
    for name, what in plan.injected:
        values[name] = _injected(what, plan, context)
    return values, errors


def resolve_source(
    source: SourcePlan, request: HTTPConnection, values: dict[str, Any]
) -> ErrorList:
    """The parameters of one source (path, query, header or cookie), validated in one call."""
    if source.group is not None:
        return resolve_group(source, _container_of(source.source, request), values)
    data = _read_source(source.source, source.params, request)
    try:
        validated = source.validator.validate_python(data, from_attributes=True)
    except ValidationError as error:
        return _named_by_key(
            located_errors(error, (source.source.value,), of_parameters=True), source
        )
    for param, value in zip(source.params, validated.__dict__.values(), strict=True):
        values[param.name] = value
    return []


def _named_by_key(errors: ErrorList, source: SourcePlan) -> ErrorList:
    """Errors located by the parameter's key, also where pydantic names the field `p<i>`.

    It does so for a default checked with `validate_default=True`: no key was read for it.
    """
    fields = {f"p{index}": param.key for index, param in enumerate(source.params)}
    for entry in errors:
        where, *rest = entry["loc"][1:] or (None,)
        if where in fields:
            entry["loc"] = (entry["loc"][0], fields[where], *rest)
    return errors


async def resolve_dependency(
    dependency: DependencyPlan, context: _Context
) -> tuple[Any, ErrorList]:
    if dependency.scope == "lifespan":
        return await context.request.app.lifespan_dependencies.value_of(dependency.plan), []
    key = dependency.cache_key
    if dependency.use_cache and key in context.cache:
        return context.cache[key], []
    values, errors = await resolve_callable(dependency.plan, context)
    if errors:
        return None, errors
    if dependency.plan.exit_factory is not None:
        value = await _enter(dependency, values, context)
    elif dependency.limit is None:
        value = await call(dependency.plan, values)
    else:
        async with dependency.limit.get_semaphore():  # Depends(max_concurrency=...)
            value = await call(dependency.plan, values)
    context.cache.setdefault(key, value)  # COMPAT: a `use_cache=False` call leaves it as it was
    return value, []


async def _enter(dependency: DependencyPlan, values: dict[str, Any], context: _Context) -> Any:
    """Run a `yield` dependency up to its `yield`; its exit code goes on its scope's stack."""
    stack = context.function_stack if dependency.scope == "function" else context.request_stack
    assert stack is not None, "plans with yield dependencies always run with exit stacks"
    manager = exit_manager(dependency.plan, values)
    if dependency.plan.kind is CallKind.ASYNC_GENERATOR and _scopes_may_cancel():
        manager = _ShieldedExit(manager, _cleanup_scope(context))
    if dependency.limit is not None:
        manager = _holding(dependency.limit.get_semaphore(), manager)
    return await stack.enter_async_context(manager)


def _scopes_may_cancel() -> bool:
    """Whether a cancel scope encloses this task, so a cancellation may strike exit code too.

    A scope (anyio's, trio's) that is cancelled cancels every checkpoint inside it, exit code's
    included, until it is left: exit code needs a shield there. A plain asyncio task that no
    anyio scope encloses (a request under uvicorn) can only be cancelled by `Task.cancel()`,
    which no scope can shield, so it needs none.

    PERF: the shield is an anyio scope per request, +9 µs on (d): paid only where it works.
    """
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no asyncio loop: trio, where every task runs inside scopes
        return True
    backend = sys.modules.get("anyio._backends._asyncio")
    if backend is None:  # anyio never ran on asyncio here: none of its scopes exists
        return False
    # anyio's record of the tasks that entered one of its scopes; if a release renames it,
    # every task is taken as enclosed, and shielded.
    states = getattr(backend, "_task_states", None)
    return task is None or states is None or task in states


def _cleanup_scope(context: _Context) -> anyio.CancelScope:
    """The request's cancel scope that shields exit code, entered before the first generator.

    A fresh shielded scope around one exit would not do: the exit code may close a scope it
    opened on entry (a task group's), and scopes must close in the reverse order they opened.
    One scope entered before every generator encloses all their scopes, so raising its shield
    protects their exits without breaking that order. The request stack exits last.
    """
    if context.cleanup_scope is None:
        assert context.request_stack is not None
        context.cleanup_scope = context.request_stack.enter_context(anyio.CancelScope())
    return context.cleanup_scope


class _ShieldedExit:
    """An async `yield` dependency whose exit code runs to its end though the request is cancelled.

    A cancelled request (client gone, server shutting down, an outer cancel scope) still
    releases what its dependencies hold. The cancellation is delivered after the exit code,
    at the next checkpoint, so exit code may still time itself out with a scope of its own.
    """

    __slots__ = ("manager", "scope")

    def __init__(self, manager: AbstractAsyncContextManager[Any], scope: anyio.CancelScope) -> None:
        self.manager = manager
        self.scope = scope

    async def __aenter__(self) -> Any:
        return await self.manager.__aenter__()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> bool:
        was_shielded = self.scope.shield
        self.scope.shield = True
        try:
            suppressed = await self.manager.__aexit__(kind, error, trace)
        finally:
            self.scope.shield = was_shielded
        if error is None or suppressed:
            # A task group closed while shielded may have swallowed the cancellation: deliver
            # it now. An exception on its way out goes on unchanged.
            await anyio.lowlevel.checkpoint_if_cancelled()
        return bool(suppressed)


@asynccontextmanager
async def _holding(semaphore: anyio.Semaphore, manager: Any) -> Any:
    """A `yield` dependency with a concurrency limit holds its place until its exit code ends."""
    async with semaphore, manager as value:
        yield value


def exit_manager(plan: CallablePlan, values: dict[str, Any]) -> Any:
    """A `yield` dependency as an async context manager; a sync one steps in the thread pool."""
    assert plan.exit_factory is not None, "only `yield` dependencies have exit code"
    manager = plan.exit_factory(**values)
    if plan.kind is CallKind.ASYNC_GENERATOR:
        return manager
    return contextmanager_in_threadpool(manager)


def call(plan: CallablePlan, values: dict[str, Any]) -> Awaitable[Any]:
    """Call an endpoint or dependency; a sync one runs in the thread pool. Await the result.

    A sync one that only moves values (an `__init__` storing its arguments) runs right here.

    PERF: a plain function handing back the callable's own coroutine: awaiting it costs no
    extra frame (the endpoint runs 7 frames below the ASGI entry, not 8), -0.3 µs a call.
    """
    if plan.kind is CallKind.ASYNC:
        return plan.call(**values)  # type: ignore[no-any-return]
    if plan.kind is CallKind.INLINE:
        return _returning(plan.call(**values))
    return run_in_threadpool(plan.call, **values)


async def _returning(value: Any) -> Any:
    """The value of a call that ran on the event loop, as an awaitable like the others."""
    return value


def _read_source(source: Source, params: Any, request: HTTPConnection) -> Any:
    """The raw values of one source, keyed as the plan's validator reads them."""
    container = _container_of(source, request)
    if source in (Source.PATH, Source.COOKIE):
        return container
    data: dict[str, Any] = {}
    for param in params:
        found = _lookup(container, param.key, param.is_sequence)
        if found is not None:
            data[param.key] = found
        for key in param.other_keys:  # AliasChoices: the validator picks among them
            found = _lookup(container, key, param.is_sequence)
            if found is not None:
                data[key] = found
    return data


def _container_of(source: Source, request: HTTPConnection) -> Any:
    if source is Source.PATH:
        return request.scope.get("path_params", {})
    if source is Source.QUERY:
        return request.query_params
    if source is Source.HEADER:
        return request.headers
    return request.cookies


def _lookup(container: Any, key: str, is_sequence: bool) -> Any:
    """One value, or every value of a repeated key (a list), or None when absent."""
    if not is_sequence:
        return container.get(key)  # no source holds None: None means absent
    if key not in container:
        return None
    return container.getlist(key) if hasattr(container, "getlist") else [container[key]]


def resolve_body(body: BodyPlan, parsed: Any, values: dict[str, Any]) -> ErrorList:
    """Body parameters from the parsed JSON (or bytes) body."""
    if body.embedded:
        if parsed is not PydanticUndefined and not isinstance(parsed, dict):
            # COMPAT: a body that is not an object misses every parameter, even optional ones.
            return [missing(("body", param.key)) for param in body.params]
        data = {} if parsed is PydanticUndefined else parsed
        try:
            validated = body.validator.validate_python(data, from_attributes=True)
        except ValidationError as error:
            return located_errors(error, ("body",), of_parameters=True)
        for param, value in zip(body.params, validated.__dict__.values(), strict=True):
            values[param.name] = value
        return []
    param = body.params[0]
    if parsed is PydanticUndefined:  # missing, or its default (checked if validate_default)
        return validate_one(param, body.validator, parsed, ("body",), values)
    try:
        values[param.name] = body.validator.validate_python(parsed, from_attributes=True)
    except ValidationError as error:
        return located_errors(error, ("body",), of_parameters=False)
    return []


def _injected(what: str, plan: CallablePlan, context: _Context) -> Any:
    if what == "security_scopes":
        return SecurityScopes(plan.security_scopes)
    if what == "response":
        if context.response is None:
            context.response = injected_response()
        return context.response
    if what == "background_tasks":
        if context.background is None:
            context.background = BackgroundTasks()
        return context.background
    return context.request
