# How an endpoint's return value becomes a response: a Response returned as-is is sent as-is.
# Anything else is checked against the response model (the `response_model=` option, else the
# return annotation): validated, so a wrong shape is a server error (ResponseValidationError,
# a 500) rather than a leak, and filtered, so fields the model lacks (a password hash) never
# leave. With a model and no response class chosen, pydantic-core writes the JSON bytes in one
# pass; with no model, `jsonable_encoder` prepares the value for the response class. Status
# and headers set on an injected `Response` are applied last. A generator endpoint streams:
# each item as a JSON line, or as an SSE event with `response_class=EventSourceResponse`, each
# validated and written by the item type its annotation gives (`-> AsyncIterable[Item]`).
# The rule: it runs a ResponsePlan (compiled in _response_plan.py) and never sees a route.
"""Runs a ResponsePlan: an endpoint's return value (or its stream of items) as a Response."""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator
from typing import TYPE_CHECKING, Any

import anyio  # PERF: its `lowlevel` loads on first use (see concurrency.py)
from pydantic import TypeAdapter, ValidationError
from pydantic_core import SchemaValidator

from minifast._json_text import finite_json
from minifast.background import BackgroundTasks
from minifast.concurrency import iterate_in_threadpool, run_in_threadpool
from minifast.contract import ResponsePlan, StreamPlan
from minifast.encoders import jsonable_encoder
from minifast.exceptions import ResponseValidationError
from minifast.responses import Response, StreamingResponse, json_bytes_response
from minifast.status import is_body_allowed_for_status_code
from minifast.types import Receive, Scope, Send
from minifast.validation import endpoint_context, located_errors

if TYPE_CHECKING:
    from minifast.requests import Request


def build_response(
    plan: ResponsePlan,
    content: Any,
    sub_response: Response | None,
    background: BackgroundTasks | None,
    request: Request | None = None,
) -> Response:
    """The Response for a return value; `sub_response` is the endpoint's injected Response.

    The request only names the route in a ResponseValidationError.
    """
    if isinstance(content, Response):
        if content.background is None:
            content.background = background
        return content
    status_code = _status_code(plan, sub_response)
    if plan.dumps_json:
        assert plan.adapter is not None
        serializer = plan.serializer or plan.adapter.serializer
        validated = _validated(plan.validator, plan.adapter, content, plan, request)
        body = serializer.to_json(validated, **plan.dump_options)
        response = json_bytes_response(body, status_code or 200, background)
    else:
        response = _rendered(plan, content, status_code, background, request)
    if not is_body_allowed_for_status_code(response.status_code):
        response.body = b""
    if sub_response is not None:
        response.raw_headers.extend(sub_response.raw_headers)
    return response


def _status_code(plan: ResponsePlan, sub_response: Response | None) -> int | None:
    """The route's status code, unless the injected Response set one."""
    if sub_response is not None and sub_response.status_code:
        return sub_response.status_code
    return plan.status_code


def build_stream(
    plan: ResponsePlan,
    items: Any,
    sub_response: Response | None,
    background: BackgroundTasks | None,
) -> Response:
    """The streaming Response for the generator a generator endpoint returned.

    A sync generator is stepped in the thread pool. COMPAT: the generator has not run yet, so
    status and headers it sets on an injected Response come too late, as in FastAPI.
    """
    stream = plan.stream
    assert stream is not None, "only generator endpoints stream"
    status_code = _status_code(plan, sub_response)
    response: Response
    if stream.format == "raw":
        response = _rendered_raw(plan, items, status_code, background)
    else:
        source = items if stream.is_async else _in_threads(items)
        dump = functools.partial(dump_item, stream)
        response = _stream_type(stream)(source, dump, status_code or 200, background)
    if sub_response is not None:
        response.raw_headers.extend(sub_response.raw_headers)
    return response


def dump_item(stream: StreamPlan, item: Any) -> bytes:
    """One streamed item as JSON: checked and written by the item type, else by `json.dumps`.

    COMPAT: untyped items are written as FastAPI writes them: `json.dumps` of the
    `jsonable_encoder` result (with spaces), NaN and infinities as null.
    """
    if stream.adapter is None:
        return json.dumps(finite_json(jsonable_encoder(item))).encode()
    value = _validated(stream.validator, stream.adapter, item)
    serializer = stream.serializer or stream.adapter.serializer
    return serializer.to_json(value, **stream.dump_options)


# What sends a stream's items: (items, dump, status_code, background) -> the Response.
_StreamType = Callable[
    [AsyncGenerator[Any, None], Callable[[Any], bytes], int, BackgroundTasks | None], Response
]


def _stream_type(stream: StreamPlan) -> _StreamType:
    """JSON lines, or SSE events: sse.py was loaded when the plan chose SSE."""
    if stream.format == "sse":
        from minifast.sse import EventStream

        return EventStream
    return _JSONLines


async def _in_threads(items: Generator[Any, None, None]) -> AsyncGenerator[Any, None]:
    """A sync generator stepped in the thread pool, and closed there once the stream ends.

    Closed explicitly: an idle worker thread may still hold it, so it would not be collected.
    """
    try:
        async for item in iterate_in_threadpool(items):
            yield item
    finally:
        with anyio.CancelScope(shield=True):  # also when the stream ends by cancellation
            await run_in_threadpool(items.close)


class _JSONLines(StreamingResponse):
    """One JSON line per item; the generator is closed as the response ends, however it ends.

    Closed here, not left to the collector: a client gone mid-stream stops the generator now.
    """

    media_type = "application/jsonl"

    def __init__(
        self,
        items: AsyncGenerator[Any, None],
        dump: Callable[[Any], bytes],
        status_code: int,
        background: BackgroundTasks | None,
    ) -> None:
        self._items = items
        super().__init__(self._lines(dump), status_code, background=background)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._items.aclose()

    async def _lines(self, dump: Callable[[Any], bytes]) -> AsyncIterator[bytes]:
        async for item in self._items:
            yield dump(item) + b"\n"
            # A generator that never awaits, sent to a server that never waits, could not be
            # cancelled when its client goes: each line is a chance to.
            await anyio.lowlevel.checkpoint()


def _rendered_raw(
    plan: ResponsePlan, items: Any, status_code: int | None, background: BackgroundTasks | None
) -> Response:
    """The chosen response class is handed the generator itself, to stream as it is."""
    if inspect.isasyncgen(items):
        items = _checkpointed(items)
    return plan.response_class(items, **_arguments(status_code, background))


async def _checkpointed(items: AsyncGenerator[Any, Any]) -> AsyncGenerator[Any, None]:
    """The items, with a chance to be cancelled after each (see _JSONLines._lines)."""
    try:
        async for item in items:
            yield item
            await anyio.lowlevel.checkpoint()
    finally:
        await items.aclose()


def _arguments(status_code: int | None, background: BackgroundTasks | None) -> dict[str, Any]:
    """COMPAT: without a status code, the response class's own default applies."""
    arguments: dict[str, Any] = {"background": background}
    if status_code is not None:
        arguments["status_code"] = status_code
    return arguments


def _rendered(
    plan: ResponsePlan,
    content: Any,
    status_code: int | None,
    background: BackgroundTasks | None,
    request: Request | None,
) -> Response:
    """The response class renders the value: dumped by the response model, if there is one."""
    arguments = _arguments(status_code, background)
    if plan.adapter is None:
        return plan.response_class(jsonable_encoder(content), **arguments)
    serializer = plan.serializer or plan.adapter.serializer
    validated = _validated(plan.validator, plan.adapter, content, plan, request)
    data = serializer.to_python(validated, mode="json", **plan.dump_options)
    return plan.response_class(data, **arguments)


def _validated(
    validator: SchemaValidator | None,
    adapter: TypeAdapter[Any],
    content: Any,
    plan: ResponsePlan | None = None,
    request: Request | None = None,
) -> Any:
    """The content checked against the response model; a mismatch is a server error.

    The error names the endpoint and its route when the request is known (not for the
    items of a stream, which are dumped after the endpoint returned).
    """
    try:
        return (validator or adapter.validator).validate_python(content, from_attributes=True)
    except ValidationError as error:
        where = None
        if plan is not None and plan.endpoint is not None and request is not None:
            where = endpoint_context(plan.endpoint, request.scope, request.method)
        raise ResponseValidationError(
            located_errors(error, ("response",), of_parameters=False),
            body=content,
            endpoint_ctx=where,
        ) from None


def injected_response() -> Response:
    """The `response: Response` an endpoint may set status, headers and cookies on."""
    response = Response()
    response.raw_headers.clear()  # only what the endpoint sets is copied to the real answer
    response.status_code = None  # type: ignore[assignment]
    return response
