# How validation errors are shaped: pydantic reports each failure as a dict with `type`, `loc`,
# `msg`, `input` and sometimes `ctx`. A plan validates one source at a time, so pydantic's `loc`
# starts at the parameter's key; this layer puts the source in front ("query", "q") exactly as
# FastAPI does, so clients see the same list. COMPAT: a missing parameter reports `input: null`
# (pydantic would show the whole source), and malformed JSON is reported as FastAPI reports it.
# The errors of every source are gathered and raised together as one RequestValidationError,
# which the default handler answers with a 422.
# The rule: errors are plain data made from pydantic's report, never from a route or plan.
"""pydantic errors → FastAPI's error list."""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from minifast.exceptions import EndpointContext, RequestValidationError

ErrorList = list[dict[str, Any]]


def located_errors(
    error: ValidationError, prefix: tuple[str | int, ...], of_parameters: bool
) -> ErrorList:
    """pydantic's errors with `prefix` in front of each location.

    `of_parameters`: the validated object was the plan's container of parameters, so an
    error at its top level concerns one parameter.
    """
    errors: ErrorList = []
    for item in error.errors(include_url=False):
        absent = of_parameters and item["type"] == "missing" and len(item["loc"]) == 1
        entry: dict[str, Any] = {
            "type": item["type"],
            "loc": (*prefix, *item["loc"]),
            "msg": item["msg"],
            # COMPAT: a parameter missing altogether has no input to show.
            "input": None if absent else _printable(item["input"]),
        }
        if "ctx" in item:
            entry["ctx"] = item["ctx"]
        errors.append(entry)
    return errors


def _printable(value: Any) -> Any:
    """The input as the 422 will show it: bytes that are not UTF-8 as text, U+FFFD for each
    undecodable byte, so that a binary body or upload can always be answered.

    FastAPI decodes such bytes strictly when answering, and fails with a 500.
    """
    if type(value) is bytes:
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("utf-8", "replace")
    return value


def missing(loc: tuple[str | int, ...]) -> dict[str, Any]:
    """The error for a required value that is absent altogether (an empty body, say)."""
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


def json_invalid(error: json.JSONDecodeError) -> RequestValidationError:
    """COMPAT: FastAPI locates a JSON syntax error by character offset, with an empty input."""
    detail = {
        "type": "json_invalid",
        "loc": ("body", error.pos),
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": error.msg},
    }
    return RequestValidationError([detail], body=error.doc)


def endpoint_context(endpoint: Any, scope: Mapping[str, Any], method: str) -> EndpointContext:
    """Where a failing endpoint is, for `str()` of its validation error.

    Built only when validation has failed: the function's name, file and first line (read
    once per endpoint), and the route as `GET /mount/items/{id}`.
    """
    try:
        location = _locations[endpoint]
    except KeyError:
        location = _locations[endpoint] = _location(endpoint)
    except TypeError:  # an unhashable callable object
        location = _location(endpoint)
    route = scope.get("route")
    if route is None:
        return location.copy()
    mount = scope.get("root_path", "").rstrip("/")
    return {**location, "path": f"{method} {mount}{route.path}"}


# PERF: each endpoint's place, read once: a 422 is an answer clients cause at will.
_locations: dict[Any, EndpointContext] = {}


def _location(endpoint: Any) -> EndpointContext:
    context = EndpointContext()
    function = inspect.unwrap(endpoint)
    code = getattr(function, "__code__", None)
    if code is not None:
        context["file"], context["line"] = code.co_filename, code.co_firstlineno
    name = getattr(function, "__name__", None)
    if name is not None:
        context["function"] = name
    return context
