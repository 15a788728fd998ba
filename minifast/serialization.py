# How an endpoint's return value becomes a response: a Response returned as-is is sent as-is.
# Anything else is checked against the response model (the `response_model=` option, else the
# return annotation): validated, so a wrong shape is a server error (ResponseValidationError,
# a 500) rather than a leak, and filtered, so fields the model lacks (a password hash) never
# leave. With a model and no response class chosen, pydantic-core writes the JSON bytes in one
# pass; with no model, `jsonable_encoder` prepares the value for the response class. Status
# and headers set on an injected `Response` are applied last. A generator endpoint streams:
# each item as a JSON line, or as an SSE event with `response_class=EventSourceResponse`, each
# validated and written by the item type its annotation gives (`-> AsyncIterable[Item]`).
"""Response models, serialization, and the choice of response class."""

from __future__ import annotations

import dataclasses
import inspect
import json
import typing
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from typing import TYPE_CHECKING, Any, Literal

import anyio  # PERF: its `lowlevel` loads on first use (see concurrency.py)
from pydantic import TypeAdapter, ValidationError
from pydantic_core import SchemaSerializer, SchemaValidator

from minifast._decorators import ResponseDeclaration
from minifast._types_util import call_target, uses_pydantic_v1
from minifast.background import BackgroundTasks
from minifast.concurrency import iterate_in_threadpool, run_in_threadpool
from minifast.encoders import _finite, jsonable_encoder
from minifast.exception_handlers import is_body_allowed_for_status_code
from minifast.exceptions import (
    FastAPIError,
    PydanticV1NotSupportedError,
    ResponseValidationError,
)
from minifast.responses import Response, StreamingResponse, _json_bytes_response
from minifast.types import Receive, Scope, Send
from minifast.validation import endpoint_context, located_errors

if TYPE_CHECKING:
    from minifast.requests import Request

# Annotations whose argument is the type of each item a generator endpoint yields.
_STREAMS = frozenset({AsyncIterable, AsyncIterator, AsyncGenerator, Iterable, Iterator, Generator})
# What sends those items as JSON lines or SSE events: (items, dump, status_code, background).
_StreamType = Callable[
    [AsyncGenerator[Any, None], Callable[[Any], bytes], int, BackgroundTasks | None], Response
]


# PERF: eq=False: nothing compares or hashes plans, so no __eq__ and __hash__ to compile
# (see plan.py): -0.15 ms of start-up per class.
@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class StreamPlan:
    """How a generator endpoint's items are sent."""

    format: Literal["jsonl", "sse", "raw"]  # raw: a chosen response class streams them as is
    response_type: _StreamType | None  # what sends jsonl or sse items; None for raw
    is_async: bool
    adapter: TypeAdapter[Any] | None  # the item type, when the annotation gives one
    dump_options: dict[str, Any]
    validator: SchemaValidator | None = None  # PERF: the adapter's halves, as in ResponsePlan
    serializer: SchemaSerializer | None = None

    def dump(self, item: Any) -> bytes:
        """One item as JSON: checked and written by the item type, else by `json.dumps`.

        COMPAT: untyped items are written as FastAPI writes them: `json.dumps` of the
        `jsonable_encoder` result (with spaces), NaN and infinities as null.
        """
        if self.adapter is None:
            return json.dumps(_finite(jsonable_encoder(item))).encode()
        value = _validated(self.validator, self.adapter, item)
        serializer = self.serializer or self.adapter.serializer
        return serializer.to_json(value, **self.dump_options)


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class ResponsePlan:
    """How a route turns its endpoint's return value into a Response."""

    status_code: int | None
    response_class: type[Response]
    adapter: TypeAdapter[Any] | None  # the response model, if any
    dumps_json: bool  # a model and no explicit response class: pydantic writes the bytes
    dump_options: dict[str, Any]  # include, exclude, by_alias, exclude_unset, ... when set
    # PERF: the adapter's pydantic-core halves, called without TypeAdapter's wrappers and with
    # only the options that differ from pydantic's defaults: (c) 2.4 -> 1.1 µs per response.
    validator: SchemaValidator | None = None
    serializer: SchemaSerializer | None = None
    stream: StreamPlan | None = None  # set for a generator endpoint
    # The `responses={code: {"model": ...}}` models: built here so a wrong one fails at
    # registration, as in FastAPI; only OpenAPI reads them.
    extras: dict[int | str, TypeAdapter[Any]] = dataclasses.field(default_factory=dict)
    endpoint: Callable[..., Any] | None = None  # named by a ResponseValidationError


def compile_response(
    route: ResponseDeclaration,
    endpoint: Callable[..., Any],
    generator: Literal["async", "sync"] | None = None,
) -> ResponsePlan:
    """Decide the response model and class once, from the route's options and annotation.

    `generator` says the endpoint is a generator function (which kind): it streams.
    """
    options = route.options
    stream = None
    if generator is not None:
        stream = _compile_stream(route, endpoint, generator == "async")
    model = _response_model(route, endpoint, stream)
    adapter = None
    if model is not None:
        if not is_body_allowed_for_status_code(route.status_code):
            raise FastAPIError(f"Status code {route.status_code} must not have a response body")
        adapter = _adapter(model, route.path)
    extras = {
        code: _adapter(response["model"], route.path)
        for code, response in route.responses.items()
        if "model" in response
    }
    if stream is not None:
        # The model only shows in OpenAPI's components, as in FastAPI: items are the answer.
        return ResponsePlan(
            route.status_code, route.response_class, adapter, False, stream.dump_options,
            stream=stream, extras=extras, endpoint=endpoint,
        )  # fmt: skip
    dump_options = _dump_options(options)
    # COMPAT: pydantic writes the bytes only when no response class was chosen anywhere (route,
    # router or app); a chosen class, even JSONResponse, renders the dumped data itself.
    explicit_class = "response_class" in options or route.default_response_class is not None
    response_class = route.response_class
    return ResponsePlan(
        route.status_code, response_class, adapter, adapter is not None and not explicit_class,
        dump_options, _core(adapter, "validator"), _core(adapter, "serializer"), extras=extras,
        endpoint=endpoint,
    )  # fmt: skip


def _response_model(
    route: ResponseDeclaration, endpoint: Callable[..., Any], stream: StreamPlan | None
) -> Any:
    """`response_model=`, else the return annotation, unless a stream's annotation names items."""
    if "response_model" in route.options:
        return route.options["response_model"]
    if stream is not None and typing.get_origin(_annotation(endpoint)) in _STREAMS:
        return None
    return _returned(endpoint)


def _dump_options(options: Any) -> dict[str, Any]:
    """The `response_model_*` options that differ from pydantic's defaults (and by_alias)."""
    dump_options = {
        "include": options.get("response_model_include"),
        "exclude": options.get("response_model_exclude"),
        "by_alias": options.get("response_model_by_alias", True),  # None would mean the config's
        "exclude_unset": options.get("response_model_exclude_unset", False),
        "exclude_defaults": options.get("response_model_exclude_defaults", False),
        "exclude_none": options.get("response_model_exclude_none", False),
    }
    return {
        key: value
        for key, value in dump_options.items()
        if key == "by_alias" or value not in (None, False)
    }


def _compile_stream(
    route: ResponseDeclaration, endpoint: Callable[..., Any], is_async: bool
) -> StreamPlan:
    """JSON Lines by default, SSE for an EventSourceResponse, raw for any other chosen class.

    COMPAT: as in FastAPI, the item type comes from the annotation only, not from
    `response_model=`; `ServerSentEvent` items and raw streams have none.
    """
    # PERF: sse.py and the anyio streams it uses are imported by the first generator endpoint,
    # not with minifast: -4 ms of start-up.
    from minifast.sse import EventSourceResponse, _EventStream

    options = route.options
    format_: Literal["jsonl", "sse", "raw"] = "jsonl"
    response_type: _StreamType | None = _JSONLines
    if issubclass(route.response_class, EventSourceResponse):
        format_, response_type = "sse", _EventStream
    elif "response_class" in options:
        format_, response_type = "raw", None
    item = None
    if format_ != "raw" and "response_model" not in options:
        item = _stream_item(_annotation(endpoint))
    adapter = None if item is None else _adapter(item, route.path)
    return StreamPlan(
        format_, response_type, is_async, adapter, _dump_options(options),
        _core(adapter, "validator"), _core(adapter, "serializer"),
    )  # fmt: skip


def _stream_item(annotation: Any) -> Any:
    """The item type of `AsyncIterable[Item]` and its kin (`Any` if bare); None otherwise."""
    from minifast.sse import ServerSentEvent  # loaded by _compile_stream, its caller

    if typing.get_origin(annotation) not in _STREAMS:
        return None
    item = next(iter(typing.get_args(annotation)), Any)
    if inspect.isclass(item) and issubclass(item, ServerSentEvent):
        return None
    return item


def _adapter(model: Any, path: str) -> TypeAdapter[Any]:
    """The model's adapter; a type pydantic cannot handle fails the route's registration."""
    if uses_pydantic_v1(model):
        raise PydanticV1NotSupportedError(
            f"{path}: the response model {model!r} is a pydantic.v1 model, which minifast "
            "does not support; port it to pydantic v2."
        )
    try:
        return TypeAdapter(model)
    except Exception as error:
        raise FastAPIError(_INVALID_MODEL.format(model=model, path=path)) from error


# COMPAT: FastAPI's hint names "valid Pydantic field type" and "parameter response_model=None".
_INVALID_MODEL = (
    "{path}: invalid response model {model!r}; check that it is a valid Pydantic field type. "
    "A return annotation that is not one (`Response | dict | None`) can be left out of "
    "response checking with the path operation parameter response_model=None."
)


def _core(adapter: TypeAdapter[Any] | None, half: str) -> Any:
    """The adapter's validator or serializer; None when it is not built yet.

    pydantic defers building for a model whose forward references are not resolved yet; its
    adapter then holds a stand-in that builds the real one on use, so the adapter is asked.
    """
    if adapter is None:
        return None
    core = getattr(adapter, half)
    return core if isinstance(core, SchemaValidator | SchemaSerializer) else None


def _annotation(endpoint: Callable[..., Any]) -> Any:
    return typing.get_type_hints(call_target(endpoint), include_extras=True).get("return")


def _returned(endpoint: Callable[..., Any]) -> Any:
    """The return annotation as a response model; COMPAT: none for `-> Response` or `-> None`."""
    annotation = _annotation(endpoint)
    if annotation is None or annotation is type(None):
        return None
    if inspect.isclass(annotation) and issubclass(annotation, Response):
        return None
    return annotation


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
        response = _json_bytes_response(body, status_code or 200, background)
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
    if stream.response_type is None:
        response = _rendered_raw(plan, items, status_code, background)
    else:
        source = items if stream.is_async else _in_threads(items)
        response = stream.response_type(source, stream.dump, status_code or 200, background)
    if sub_response is not None:
        response.raw_headers.extend(sub_response.raw_headers)
    return response


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
