# How an endpoint's return value becomes a response: a Response returned as-is is sent as-is.
# Anything else is checked against the response model (the `response_model=` option, else the
# return annotation): validated, so a wrong shape is a server error (ResponseValidationError,
# a 500) rather than a leak, and filtered, so fields the model lacks (a password hash) never
# leave. With a model and no response class chosen, pydantic-core writes the JSON bytes in one
# pass; with no model, `jsonable_encoder` prepares the value for the response class. Status
# and headers set on an injected `Response` are applied last.
"""Response models, serialization, and the choice of response class."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import SchemaSerializer, SchemaValidator

from minifast._types_util import call_target
from minifast.background import BackgroundTasks
from minifast.encoders import jsonable_encoder
from minifast.exception_handlers import is_body_allowed_for_status_code
from minifast.exceptions import FastAPIError, ResponseValidationError
from minifast.responses import Response
from minifast.validation import located_errors

if TYPE_CHECKING:
    from minifast.routes import APIRoute


@dataclasses.dataclass(frozen=True, slots=True)
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


def compile_response(route: APIRoute, endpoint: Callable[..., Any]) -> ResponsePlan:
    """Decide the response model and class once, from the route's options and annotation."""
    options = route.options
    model = options["response_model"] if "response_model" in options else _returned(endpoint)
    adapter = None
    if model is not None:
        if not is_body_allowed_for_status_code(route.status_code):
            raise FastAPIError(f"Status code {route.status_code} must not have a response body")
        try:
            adapter = TypeAdapter(model)
        except Exception as error:
            raise FastAPIError(f"invalid response model {model!r} for {route.path}") from error
    dump_options = {
        "include": options.get("response_model_include"),
        "exclude": options.get("response_model_exclude"),
        "by_alias": options.get("response_model_by_alias", True),  # None would mean the config's
        "exclude_unset": options.get("response_model_exclude_unset", False),
        "exclude_defaults": options.get("response_model_exclude_defaults", False),
        "exclude_none": options.get("response_model_exclude_none", False),
    }
    dump_options = {
        key: value
        for key, value in dump_options.items()
        if key == "by_alias" or value not in (None, False)
    }
    # COMPAT: pydantic writes the bytes only when no response class was chosen anywhere (route,
    # router or app); a chosen class, even JSONResponse, renders the dumped data itself.
    explicit_class = "response_class" in options or route.default_response_class is not None
    response_class = route.response_class
    return ResponsePlan(
        route.status_code, response_class, adapter, adapter is not None and not explicit_class,
        dump_options, _core(adapter, "validator"), _core(adapter, "serializer"),
    )  # fmt: skip


def _core(adapter: TypeAdapter[Any] | None, half: str) -> Any:
    """The adapter's validator or serializer; None when it is not built yet.

    pydantic defers building for a model whose forward references are not resolved yet; its
    adapter then holds a stand-in that builds the real one on use, so the adapter is asked.
    """
    if adapter is None:
        return None
    core = getattr(adapter, half)
    return core if isinstance(core, SchemaValidator | SchemaSerializer) else None


def _returned(endpoint: Callable[..., Any]) -> Any:
    """The return annotation as a response model; COMPAT: none for `-> Response` or `-> None`."""
    annotation = typing.get_type_hints(call_target(endpoint), include_extras=True).get("return")
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
) -> Response:
    """The Response for a return value; `sub_response` is the endpoint's injected Response."""
    if isinstance(content, Response):
        if content.background is None:
            content.background = background
        return content
    status_code = plan.status_code
    if sub_response is not None and sub_response.status_code:
        status_code = sub_response.status_code
    if plan.dumps_json:
        assert plan.adapter is not None
        serializer = plan.serializer or plan.adapter.serializer
        body = serializer.to_json(_validated(plan, content), **plan.dump_options)
        response = Response(
            body, status_code or 200, media_type="application/json", background=background
        )
    else:
        response = _rendered(plan, content, status_code, background)
    if not is_body_allowed_for_status_code(response.status_code):
        response.body = b""
    if sub_response is not None:
        response.raw_headers.extend(sub_response.raw_headers)
    return response


def _rendered(
    plan: ResponsePlan, content: Any, status_code: int | None, background: BackgroundTasks | None
) -> Response:
    """The response class renders the value: dumped by the response model, if there is one."""
    arguments: dict[str, Any] = {"background": background}
    if status_code is not None:
        arguments["status_code"] = status_code
    if plan.adapter is None:
        return plan.response_class(jsonable_encoder(content), **arguments)
    serializer = plan.serializer or plan.adapter.serializer
    data = serializer.to_python(_validated(plan, content), mode="json", **plan.dump_options)
    return plan.response_class(data, **arguments)


def _validated(plan: ResponsePlan, content: Any) -> Any:
    assert plan.adapter is not None
    validator = plan.validator or plan.adapter.validator
    try:
        return validator.validate_python(content, from_attributes=True)
    except ValidationError as error:
        raise ResponseValidationError(
            located_errors(error, ("response",), of_parameters=False), body=content
        ) from None


def injected_response() -> Response:
    """The `response: Response` an endpoint may set status, headers and cookies on."""
    response = Response()
    response.raw_headers.clear()  # only what the endpoint sets is copied to the real answer
    response.status_code = None  # type: ignore[assignment]
    return response
