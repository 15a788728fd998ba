"""compile_response(): what a route declares about its answer → a frozen ResponsePlan.

The response model is `response_model=`, else the return annotation; its adapter is built now,
so a type pydantic cannot handle fails at registration, as in FastAPI. A generator endpoint
streams: JSON Lines, SSE for an EventSourceResponse, or raw for another chosen class.
Compiling reads the EndpointSpec and the endpoint only; serialization.py runs the plan.
"""

from __future__ import annotations

import inspect
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
from typing import Any, Literal

from pydantic import TypeAdapter
from pydantic_core import SchemaSerializer, SchemaValidator

from minifast._types_util import call_target, uses_pydantic_v1
from minifast.contract import (
    FROM_ANNOTATION,
    EndpointSpec,
    ResponsePlan,
    StreamFormat,
    StreamPlan,
)
from minifast.exceptions import FastAPIError, PydanticV1NotSupportedError
from minifast.responses import JSONResponse, Response
from minifast.status import is_body_allowed_for_status_code

# Annotations whose argument is the type of each item a generator endpoint yields.
_STREAMS = frozenset({AsyncIterable, AsyncIterator, AsyncGenerator, Iterable, Iterator, Generator})


def compile_response(
    spec: EndpointSpec, generator: Literal["async", "sync"] | None = None
) -> ResponsePlan:
    """Decide the response model and class once, from the spec and the return annotation.

    `generator` says the endpoint is a generator function (which kind): it streams.
    """
    response_class = spec.response_class or spec.default_response_class or JSONResponse
    stream = None
    if generator is not None:
        stream = _compile_stream(spec, response_class, generator == "async")
    model = _response_model(spec, stream)
    adapter = None
    if model is not None:
        if not is_body_allowed_for_status_code(spec.status_code):
            raise FastAPIError(f"Status code {spec.status_code} must not have a response body")
        adapter = _adapter(model, spec.path)
    extras = {
        code: _adapter(response["model"], spec.path)
        for code, response in spec.responses.items()
        if "model" in response
    }
    if stream is not None:
        # The model only shows in OpenAPI's components, as in FastAPI: items are the answer.
        return ResponsePlan(
            status_code=spec.status_code, response_class=response_class, adapter=adapter,
            dumps_json=False, dump_options=stream.dump_options, stream=stream, extras=extras,
            endpoint=spec.endpoint,
        )  # fmt: skip
    # COMPAT: pydantic writes the bytes only when no response class was chosen anywhere (route,
    # router or app); a chosen class, even JSONResponse, renders the dumped data itself.
    chosen = spec.response_class is not None or spec.default_response_class is not None
    return ResponsePlan(
        status_code=spec.status_code, response_class=response_class, adapter=adapter,
        dumps_json=adapter is not None and not chosen, dump_options=_dump_options(spec),
        validator=_core(adapter, "validator"), serializer=_core(adapter, "serializer"),
        extras=extras, endpoint=spec.endpoint,
    )  # fmt: skip


def _response_model(spec: EndpointSpec, stream: StreamPlan | None) -> Any:
    """`response_model=`, else the return annotation, unless a stream's annotation names items."""
    if spec.response_model is not FROM_ANNOTATION:
        return spec.response_model
    if stream is not None and typing.get_origin(_annotation(spec.endpoint)) in _STREAMS:
        return None
    return _returned(spec.endpoint)


def _dump_options(spec: EndpointSpec) -> dict[str, Any]:
    """The `response_model_*` options that differ from pydantic's defaults (and by_alias)."""
    dump_options = {
        "include": spec.response_model_include,
        "exclude": spec.response_model_exclude,
        "by_alias": spec.response_model_by_alias,  # None would mean the model config's
        "exclude_unset": spec.response_model_exclude_unset,
        "exclude_defaults": spec.response_model_exclude_defaults,
        "exclude_none": spec.response_model_exclude_none,
    }
    return {
        key: value
        for key, value in dump_options.items()
        if key == "by_alias" or value not in (None, False)
    }


def _compile_stream(
    spec: EndpointSpec, response_class: type[Response], is_async: bool
) -> StreamPlan:
    """JSON Lines by default, SSE for an EventSourceResponse, raw for any other chosen class.

    COMPAT: as in FastAPI, the item type comes from the annotation only, not from
    `response_model=`; `ServerSentEvent` items and raw streams have none.
    """
    # PERF: sse.py and the anyio streams it uses are imported by the first generator endpoint,
    # not with minifast: -4 ms of start-up.
    from minifast.sse import EventSourceResponse

    format_: StreamFormat = "jsonl"
    if issubclass(response_class, EventSourceResponse):
        format_ = "sse"
    elif spec.response_class is not None:
        format_ = "raw"
    item = None
    if format_ != "raw" and spec.response_model is FROM_ANNOTATION:
        item = _stream_item(_annotation(spec.endpoint))
    adapter = None if item is None else _adapter(item, spec.path)
    return StreamPlan(
        format=format_, is_async=is_async, adapter=adapter, dump_options=_dump_options(spec),
        validator=_core(adapter, "validator"), serializer=_core(adapter, "serializer"),
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
