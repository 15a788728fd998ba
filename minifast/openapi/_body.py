"""An operation's requestBody, read from its compiled plan."""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import create_model
from pydantic.fields import FieldInfo

from minifast import params
from minifast.contract import EndpointPlan, FormMember, ParamPlan
from minifast.openapi._form_body import body_model, form_members, is_embedded
from minifast.openapi._params import marker_with_default, render_examples, walk, with_default
from minifast.openapi._schemas import SchemaField, Schemas, default_title, schema_field

_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


@dataclasses.dataclass
class RequestBody:
    field: SchemaField
    media_type: str
    required: bool
    marker: FieldInfo | None  # of a body that is one parameter: its examples are shown


def compile_request_body(plan: EndpointPlan, unique_id: str) -> RequestBody | None:
    """The body as one field: the parameter itself, or a `Body_<operationId>` model of them."""
    body_params = plan.body_params
    if not body_params:
        return None
    members = list(form_members(plan.endpoint)) if plan.reads_form else []
    if any(member.models for member in members):
        return _form_with_models(members, f"Body_{unique_id}")
    if not _is_embedded(plan):
        return _single(body_params[0])
    name = f"Body_{unique_id}"
    fields: dict[str, Any] = {
        param.name: (param.annotation, marker_with_default(param)) for param in body_params
    }
    model = create_model(name, **fields)
    required = any(param.required for param in body_params)
    return RequestBody(
        schema_field(model, default_title(name)), _media_type(body_params), required, None
    )


def _single(param: ParamPlan) -> RequestBody:
    """The one body parameter, which is the body."""
    title = param.marker.title or default_title(param.key)
    media_type = getattr(param.marker, "media_type", "application/json")
    field = schema_field(with_default(param), title)
    return RequestBody(field, media_type, param.required, param.marker)


def _form_with_models(members: list[FormMember], name: str) -> RequestBody:
    """COMPAT: as FastAPI, a form with an optional model is a `Body_` object even alone;
    one that is not embedded takes the first parameter's media type and requiredness."""
    first = members[0].param
    embedded = is_embedded(members)
    if not embedded and not any(member.models and member.is_optional for member in members):
        return _single(first)
    field = schema_field(body_model(members, name), default_title(name))
    if not embedded:
        return RequestBody(
            field, getattr(first.marker, "media_type", _FORM), first.required, first.marker
        )
    required = any(member.param.required for member in members)
    media_type = _media_type(tuple(member.param for member in members))
    return RequestBody(field, media_type, required, None)


def _is_embedded(plan: EndpointPlan) -> bool:
    """Whether the plan reads the body as an object keyed by parameter."""
    return any(part.body.embedded for part in walk(plan.endpoint) if part.body is not None)


def _media_type(body_params: tuple[ParamPlan, ...]) -> str:
    """COMPAT: FastAPI's rule: any file makes the body multipart; else a media type all the
    form fields (or, without any, all the body parameters) declare alike wins, and a form any
    of whose fields declares multipart is multipart."""
    markers = [param.marker for param in body_params]
    if any(isinstance(marker, params.File) for marker in markers):
        return _MULTIPART
    kind = (
        params.Form if any(isinstance(marker, params.Form) for marker in markers) else params.Body
    )
    declared = [marker.media_type for marker in markers if isinstance(marker, kind)]
    if kind is params.Form and _MULTIPART in declared:
        return _MULTIPART
    if len(set(declared)) == 1:
        return declared[0]
    return _FORM if kind is params.Form else "application/json"


def render_request_body(body: RequestBody, schemas: Schemas) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": schemas.schema(body.field)}
    if body.marker is not None:
        content.update(render_examples(body.marker))
    # COMPAT: FastAPI's insertion order, "required" first: it survives in the path items that
    # _order.py leaves as plain dicts, as FastAPI's models do.
    rendered: dict[str, Any] = {"required": True} if body.required else {}
    rendered["content"] = {body.media_type: content}
    return rendered
