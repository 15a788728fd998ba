"""An operation's parameters and security requirements, read from its compiled plan."""

from __future__ import annotations

import copy
import dataclasses
import warnings
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic.warnings import UnsupportedFieldAttributeWarning
from pydantic_core import PydanticUndefined

from minifast._types_util import annotate
from minifast.contract import CallablePlan, ParamPlan, Source, SourcePlan
from minifast.encoders import jsonable_encoder
from minifast.openapi._schemas import SchemaField, Schemas, default_title, schema_field
from minifast.security.base import SecurityBase

_LOCATIONS = (Source.PATH, Source.QUERY, Source.HEADER, Source.COOKIE)


@dataclasses.dataclass
class Parameter:
    """One entry of an operation's `parameters`."""

    location: str  # "path", "query", "header" or "cookie"
    name: str
    required: bool
    marker: FieldInfo  # description, deprecated, openapi_examples
    field: SchemaField


def walk(plan: CallablePlan, seen: set[Any] | None = None) -> Iterator[CallablePlan]:
    """The callable and its dependencies, depth first, each (callable, scopes) once.

    COMPAT: FastAPI skips a repeated dependency when it flattens the tree for OpenAPI.
    """
    seen = set() if seen is None else seen
    seen.add(_identity(plan))
    yield plan
    for dependency in plan.dependencies:
        if _identity(dependency.plan) not in seen:
            yield from walk(dependency.plan, seen)


def _identity(plan: CallablePlan) -> tuple[Any, tuple[str, ...]]:
    """What makes two uses of a dependency one in the document: its callable and scopes."""
    return plan.call, tuple(sorted(set(plan.security_scopes)))


def marker_with_default(param: ParamPlan) -> FieldInfo:
    """The parameter's marker, holding the default the signature gave it."""
    marker = param.marker
    if param.default is not PydanticUndefined and marker.default is not param.default:
        marker = copy.copy(marker)
        marker.default = param.default
    return marker


def with_default(param: ParamPlan) -> Any:
    """`Annotated[type, marker]`, what the parameter's schema is generated from."""
    return annotate(param.annotation, marker_with_default(param))


def compile_parameters(plan: CallablePlan) -> list[Parameter]:
    """Every documented parameter of the tree: all path ones first, then query, header, cookie."""
    found: dict[Source, list[Parameter]] = {source: [] for source in _LOCATIONS}
    for callable_plan in walk(plan):
        for source_plan in callable_plan.sources:
            found[source_plan.source].extend(_parameters(source_plan))
    return [parameter for source in _LOCATIONS for parameter in found[source]]


def _parameters(source_plan: SourcePlan) -> Iterator[Parameter]:
    location = source_plan.source.value
    if source_plan.group is not None:
        yield from _group_parameters(source_plan)
        return
    for param in source_plan.params:
        if _is_documented(param):
            title = param.marker.title or default_title(param.key)
            field = schema_field(with_default(param), title)
            # COMPAT: a path parameter is required, even with a default_factory.
            required = param.required or source_plan.source is Source.PATH
            yield Parameter(location, param.key, required, param.marker, field)


def _is_documented(param: ParamPlan) -> bool:
    return getattr(param.marker, "include_in_schema", True) is not False


def _group_parameters(source_plan: SourcePlan) -> Iterator[Parameter]:
    """COMPAT: a model of parameters is documented as one parameter per field.

    A hidden model hides all its fields (their own `include_in_schema` is not read, as in
    FastAPI); an optional model that may be left out makes none of its fields required.
    """
    assert source_plan.group is not None
    group_param = source_plan.params[0]
    if not _is_documented(group_param):
        return
    may_be_absent = source_plan.is_optional and not group_param.required
    model: type[BaseModel] = source_plan.model  # type: ignore[assignment]
    for info, group_field in zip(model.model_fields.values(), source_plan.group, strict=True):
        title = info.title or default_title(group_field.alias)
        with warnings.catch_warnings():
            # The field's alias names the parameter; pydantic warns that it has no use here.
            warnings.simplefilter("ignore", UnsupportedFieldAttributeWarning)
            field = schema_field(annotate(info.annotation, info), title)
        location = source_plan.source.value
        required = info.is_required() and not may_be_absent
        yield Parameter(location, group_field.key, required, info, field)


def has_parameters(plan: CallablePlan) -> bool:
    """Whether anything in the tree reads the path, query, headers or cookies (hidden or not)."""
    return any(callable_plan.sources for callable_plan in walk(plan))


def render_parameters(parameters: list[Parameter], schemas: Schemas) -> list[dict[str, Any]]:
    """COMPAT: one entry per (location, name); a required declaration wins over an optional."""
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    required: dict[tuple[str, str], dict[str, Any]] = {}
    for parameter in parameters:
        key = (parameter.location, parameter.name)
        by_key[key] = _render(parameter, schemas)
        if parameter.required:
            required[key] = by_key[key]
    by_key.update(required)
    return list(by_key.values())


def _render(parameter: Parameter, schemas: Schemas) -> dict[str, Any]:
    marker = parameter.marker
    rendered: dict[str, Any] = {
        "name": parameter.name,
        "in": parameter.location,
        "required": parameter.required,
        "schema": schemas.schema(parameter.field),
    }
    if marker.description:
        rendered["description"] = marker.description
    rendered.update(render_examples(marker))
    if marker.deprecated:
        rendered["deprecated"] = True
    return rendered


def render_examples(marker: FieldInfo) -> dict[str, Any]:
    """`examples` from `openapi_examples`, else the deprecated `example`, if either is given."""
    examples = getattr(marker, "openapi_examples", None)
    if examples:
        return {"examples": jsonable_encoder(examples)}
    example = getattr(marker, "example", PydanticUndefined)
    if example is not PydanticUndefined:
        return {"example": jsonable_encoder(example)}
    return {}


def compile_security(plan: CallablePlan) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The scopes each security scheme of the tree requires, and the schemes' definitions.

    COMPAT: as FastAPI, one requirement per scheme, its scopes merged in order of appearance.
    """
    scopes: dict[str, list[str]] = {}
    schemes: dict[str, Any] = {}
    for callable_plan in walk(plan):
        scheme = callable_plan.call
        if isinstance(scheme, SecurityBase):
            merged = scopes.setdefault(scheme.scheme_name, [])
            merged.extend(
                s for s in dict.fromkeys(callable_plan.security_scopes) if s not in merged
            )
            schemes[scheme.scheme_name] = jsonable_encoder(scheme.model, exclude_none=True)
    return scopes, schemes
