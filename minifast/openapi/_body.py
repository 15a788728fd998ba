"""An operation's requestBody, read from its compiled plan."""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import create_model

from minifast import params
from minifast._parameters import ParamPlan
from minifast.encoders import jsonable_encoder
from minifast.openapi._params import marker_with_default, walk, with_default
from minifast.openapi._schemas import SchemaField, Schemas, default_title, schema_field
from minifast.plan import EndpointPlan


@dataclasses.dataclass
class RequestBody:
    field: SchemaField
    media_type: str
    required: bool
    examples: dict[str, Any] | None  # openapi_examples of a body that is one parameter


def compile_request_body(plan: EndpointPlan, unique_id: str) -> RequestBody | None:
    """The body as one field: the parameter itself, or a `Body_<operationId>` model of them."""
    body_params = plan.body_params
    if not body_params:
        return None
    if not _is_embedded(plan):
        param = body_params[0]
        title = param.marker.title or default_title(param.key)
        media_type = getattr(param.marker, "media_type", "application/json")
        examples = getattr(param.marker, "openapi_examples", None)
        return RequestBody(
            schema_field(with_default(param), title), media_type, param.required, examples
        )
    name = f"Body_{unique_id}"
    fields: dict[str, Any] = {
        param.name: (param.annotation, marker_with_default(param)) for param in body_params
    }
    model = create_model(name, **fields)
    required = any(param.required for param in body_params)
    return RequestBody(
        schema_field(model, default_title(name)), _media_type(body_params), required, None
    )


def _is_embedded(plan: EndpointPlan) -> bool:
    """Whether the plan reads the body as an object keyed by parameter."""
    return any(part.body.embedded for part in walk(plan.endpoint) if part.body is not None)


def _media_type(body_params: tuple[ParamPlan, ...]) -> str:
    """COMPAT: any file makes the body multipart, else any form field makes it a form;
    a media type all the parameters declare alike wins over both."""
    markers = [param.marker for param in body_params]
    if any(isinstance(marker, params.File) for marker in markers):
        default = "multipart/form-data"
    elif any(isinstance(marker, params.Form) for marker in markers):
        default = "application/x-www-form-urlencoded"
    else:
        default = "application/json"
    declared = {marker.media_type for marker in markers if isinstance(marker, params.Body)}
    return declared.pop() if len(declared) == 1 else default


def render_request_body(body: RequestBody, schemas: Schemas) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": schemas.schema(body.field)}
    if body.examples:
        content["examples"] = jsonable_encoder(body.examples)
    # COMPAT: FastAPI's insertion order, "required" first: it survives in the path items that
    # _order.py leaves as plain dicts, as FastAPI's models do.
    rendered: dict[str, Any] = {"required": True} if body.required else {}
    rendered["content"] = {body.media_type: content}
    return rendered
