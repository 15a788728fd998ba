"""An operation's `responses`: the route's own answer, the declared extras, and 422."""

from __future__ import annotations

import copy
import dataclasses
import inspect
from typing import TYPE_CHECKING, Any

from minifast.exceptions import REASON_PHRASES
from minifast.openapi._schemas import REF_PREFIX, SchemaField, Schemas, default_title
from minifast.responses import JSONResponse
from minifast.status import is_body_allowed_for_status_code

if TYPE_CHECKING:
    from minifast.api_routes import APIRoute

# What a response declared for a range of codes is called when it has no description.
_RANGES = {
    "1XX": "Information",
    "2XX": "Success",
    "3XX": "Redirection",
    "4XX": "Client Error",
    "5XX": "Server Error",
    "DEFAULT": "Default Response",
}

# An SSE event's fields, as OpenAPI 3.2 describes a `text/event-stream` item.
_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "data": {"type": "string"},
        "event": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    },
}

_VALIDATION_ERROR_RESPONSE = {
    "description": "Validation Error",
    "content": {"application/json": {"schema": {"$ref": f"{REF_PREFIX}HTTPValidationError"}}},
}


@dataclasses.dataclass
class ResponseFields:
    """The schemas of what a route answers: its response model and the `responses=` models."""

    model: SchemaField | None
    extras: dict[int | str, SchemaField]
    stream_item: SchemaField | None = None  # what each item of a stream is


def compile_responses(route: APIRoute) -> ResponseFields:
    """COMPAT: FastAPI titles: `Response_<id>`, `Response_<code>_<id>`, `StreamItem_<id>`."""
    response_plan = route.plan.response
    assert response_plan is not None, "an APIRoute always has a response plan"
    model = stream_item = None
    if response_plan.adapter is not None:
        title = default_title(f"Response_{route.unique_id}")
        core_schema = response_plan.adapter.core_schema
        model = SchemaField(title, core_schema, "serialization")
    stream = response_plan.stream
    if stream is not None and stream.adapter is not None:
        title = default_title(f"StreamItem_{route.unique_id}")
        stream_item = SchemaField(title, stream.adapter.core_schema, "serialization")
    extras = {
        code: SchemaField(
            default_title(f"Response_{code}_{route.unique_id}"), adapter.core_schema,
            "serialization",
        )
        for code, adapter in response_plan.extras.items()
    }  # fmt: skip
    return ResponseFields(model, extras, stream_item)


def render_responses(route: APIRoute, fields: ResponseFields, schemas: Schemas) -> dict[str, Any]:
    """The operation's `responses`: its own, then those `responses=` declares."""
    responses: dict[str, Any] = {}
    status_code = _status_code(route)
    own = responses.setdefault(status_code, {})
    own["description"] = route.response_description
    media_type = route.response_class.media_type
    stream = route.plan.response.stream if route.plan.response else None
    has_body = is_body_allowed_for_status_code(route.status_code)
    if has_body and stream is not None and stream.format != "raw":
        own["content"] = _stream_content(stream.format, fields, schemas)
    elif has_body and media_type:
        own["content"] = {media_type: {"schema": _own_schema(route, fields, schemas)}}
    for code, extra in route.responses.items():
        _merge_extra(responses, code, extra, fields.extras.get(code), schemas, media_type)
    return responses


def add_validation_error(responses: dict[str, Any]) -> bool:
    """Add the 422 of a route that reads input, unless a response already covers it."""
    if {"422", "4XX", "default"} & responses.keys():
        return False
    responses["422"] = copy.deepcopy(_VALIDATION_ERROR_RESPONSE)
    return True


def _status_code(route: APIRoute) -> str:
    """The route's status code, else the default of its response class's constructor."""
    if route.status_code is not None:
        return str(route.status_code)
    parameter = inspect.signature(route.response_class.__init__).parameters.get("status_code")
    if parameter is not None and isinstance(parameter.default, int):
        return str(parameter.default)
    return "200"


def _stream_content(format_: str, fields: ResponseFields, schemas: Schemas) -> dict[str, Any]:
    """COMPAT: a stream is described by its items (`itemSchema`), as FastAPI 0.163 does."""
    item = schemas.schema(fields.stream_item) if fields.stream_item is not None else None
    if format_ == "jsonl":
        return {"application/jsonl": {"itemSchema": item or {}}}
    event = copy.deepcopy(_EVENT_SCHEMA)
    if item is not None:
        data = {"type": "string", "contentMediaType": "application/json", "contentSchema": item}
        event["properties"]["data"] = data
        event["required"] = ["data"]
    return {"text/event-stream": {"itemSchema": event}}


def _own_schema(route: APIRoute, fields: ResponseFields, schemas: Schemas) -> dict[str, Any]:
    """COMPAT: a JSON response shows its model (or `{}`); any other is a string."""
    if not issubclass(route.response_class, JSONResponse):
        return {"type": "string"}
    return schemas.schema(fields.model) if fields.model is not None else {}


def _merge_extra(
    responses: dict[str, Any],
    code: int | str,
    extra: dict[str, Any],
    field: SchemaField | None,
    schemas: Schemas,
    media_type: str | None,
) -> None:
    """Fold one `responses=` entry in, its model as the schema of its content."""
    declared = copy.deepcopy({key: value for key, value in extra.items() if key != "model"})
    key = str(code).upper()
    key = "default" if key == "DEFAULT" else key
    response = responses.setdefault(key, {})
    if field is not None:
        content = declared.setdefault("content", {})
        media = content.setdefault(media_type or "application/json", {})
        deep_update(media.setdefault("schema", {}), schemas.schema(field))
    status_text = _status_text(str(code).upper())  # COMPAT: checked even when described
    description = declared.get("description") or response.get("description") or status_text
    deep_update(response, declared)
    response["description"] = description or "Additional Response"


def _status_text(key: str) -> str | None:
    """The phrase for a code ("404": "Not Found") or a range ("4XX": "Client Error")."""
    if key in _RANGES:
        return _RANGES[key]
    try:
        code = int(key)
    except ValueError:
        message = f"responses: {key!r} is not a status code, a range like '4XX', nor 'default'"
        raise ValueError(message) from None
    return REASON_PHRASES.get(code)


def deep_update(target: dict[str, Any], update: dict[str, Any]) -> None:
    """Merge `update` into `target`: dicts merge key by key, lists extend, the rest replace."""
    for key, value in update.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            deep_update(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            target[key] = current + value
        else:
            target[key] = value
