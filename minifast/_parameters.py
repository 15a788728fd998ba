"""One parameter's source, key and checks; the validator of one source's parameters.

The rules are FastAPI's: a marker (`Query()`, `Header()`, ...) decides the source; else a name
in the path template is a path parameter; else a scalar is a query parameter and anything else
(a model, a list, a dict) is the body. All of it runs once, when a route is registered.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Set as AbstractSet
from enum import Enum
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, Field, TypeAdapter, create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined, SchemaValidator

from minifast import params
from minifast._types_util import annotate, is_scalar, is_sequence
from minifast.datastructures import UploadFile
from minifast.exceptions import FastAPIError


class Source(Enum):
    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    COOKIE = "cookie"
    BODY = "body"


# PERF: never compared or hashed, so no __eq__ and __hash__ to compile (see plan.py): -0.15 ms
# of start-up per class.
@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class ParamPlan:
    """One validated parameter: where it is read from and how it is declared."""

    name: str  # keyword passed to the callable
    source: Source
    key: str  # alias looked up in that source
    annotation: Any
    marker: FieldInfo  # constraints and docs, as declared (Query(...), Body(...), ...)
    default: Any  # PydanticUndefined when required
    is_sequence: bool  # read every value of a repeated key
    other_keys: tuple[str, ...] = ()  # AliasChoices after the first, also accepted

    @property
    def required(self) -> bool:
        return self.default is PydanticUndefined and self.marker.default_factory is None

    def default_value(self) -> Any:
        if self.default is PydanticUndefined:
            return self.marker.get_default(call_default_factory=True)
        return self.default


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class SourcePlan:
    """The parameters of one source of one callable, validated together in one call."""

    source: Source
    params: tuple[ParamPlan, ...]
    validator: SchemaValidator  # of a model whose field `p<i>` is params[i], or the group's
    group: tuple[GroupField, ...] | None = None  # set when params[0] is a model of parameters
    group_keys: frozenset[str] = frozenset()  # its fields' keys and aliases: never extra keys


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class GroupField:
    """One field of a pydantic model used as a group of query, header or cookie parameters."""

    key: str  # what the source calls it ("x-token" for a header field `x_token`)
    alias: str  # what the model reads it as
    is_sequence: bool


def compile_param(
    name: str, annotation: Any, marker: Any, default: Any, path_names: AbstractSet[str]
) -> ParamPlan:
    """Decide one parameter's source, the key it is read under, and its default."""
    _check_marker(name, annotation, marker, default, path_names)
    if isinstance(marker, params.Param):
        source = Source(marker.in_.value)
    elif isinstance(marker, params.Body):
        source = Source.BODY
    else:  # no marker, or a plain pydantic Field() whose settings go onto the source's marker
        source, kind = _implied_source(name, annotation, path_names)
        marker = kind() if marker is None else _with_settings(kind, marker)
    if default is inspect.Parameter.empty:
        default = marker.default
    if source is Source.PATH:
        default = PydanticUndefined  # COMPAT: a path parameter is always required
    key, *other_keys = _keys(name, marker) or [marker.alias or name]
    if source is Source.HEADER and key == name and marker.convert_underscores:
        key = name.replace("_", "-")
    repeats = source in (Source.QUERY, Source.HEADER) or isinstance(marker, params.Form)
    sequence = repeats and is_sequence(annotation)
    return ParamPlan(name, source, key, annotation, marker, default, sequence, tuple(other_keys))


def _implied_source(
    name: str, annotation: Any, path_names: AbstractSet[str]
) -> tuple[Source, type[FieldInfo]]:
    """Where a parameter without a marker comes from, and the marker it is given."""
    if name in path_names:
        return Source.PATH, params.Path
    if holds(annotation, UploadFile):
        return Source.BODY, params.File  # COMPAT: an UploadFile needs no File()
    if is_scalar(annotation):
        return Source.QUERY, params.Query
    return Source.BODY, params.Body


def _with_settings(kind: type[FieldInfo], field: FieldInfo) -> FieldInfo:
    """COMPAT: as in FastAPI, `Annotated[int, Field(gt=5)]` reads as `Query(gt=5)`, or Path..."""
    merged = FieldInfo.merge_field_infos(kind(), field)
    marker = kind()
    for slot in FieldInfo.__slots__:  # pydantic's settings, keeping the marker's own class
        setattr(marker, slot, getattr(merged, slot))
    return marker


_NO_DEFAULT = (inspect.Parameter.empty, PydanticUndefined, Ellipsis)


def _check_marker(
    name: str, annotation: Any, marker: Any, default: Any, path_names: AbstractSet[str]
) -> None:
    """Refuse, at registration as FastAPI does, a marker that cannot mean what it says."""
    sourced = isinstance(marker, params.Param | params.Body)
    if name in path_names and sourced and not isinstance(marker, params.Path):
        raise FastAPIError(f"{name!r} is in the path: it cannot be a {type(marker).__name__}")
    if isinstance(marker, params.Path) and all(default is not no for no in _NO_DEFAULT):
        raise FastAPIError(f"path parameter {name!r} cannot have a default: it is always given")
    if isinstance(marker, params.Param) and not isinstance(marker, params.Path):
        structured = not (is_scalar(annotation) or is_sequence(annotation))
        if structured and not is_model(annotation):
            kind = type(marker).__name__
            raise FastAPIError(f"{kind} parameter {name!r} must be a scalar, a list or a model")


def _keys(name: str, marker: FieldInfo) -> list[str]:
    """The keys a `validation_alias` accepts: one string, or AliasChoices of plain strings.

    COMPAT: as in FastAPI, the first choice names the parameter (in a "missing" error and in
    OpenAPI); whichever choice the request has is read and reported.
    """
    alias = marker.validation_alias
    if isinstance(alias, str):
        return [alias]
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str)]
    return []


def compile_sources(source: Source, found: tuple[ParamPlan, ...]) -> list[SourcePlan]:
    """One validator for the plain parameters of a source, one per model of parameters.

    COMPAT: a pydantic model in a source is a group of parameters, one per field; it also
    sees the source's other keys, so `extra="forbid"` refuses them, as in FastAPI.
    """
    plain = tuple(param for param in found if not is_model(param.annotation))
    plans: list[SourcePlan] = []
    for param in found:  # in declaration order, which is the order errors are reported in
        if is_model(param.annotation):
            plans.append(_group_plan(source, param))
        elif param is plain[0]:
            plans.append(SourcePlan(source, plain, compile_container(source.value, plain)))
    return plans


def is_model(annotation: Any) -> bool:
    return inspect.isclass(annotation) and issubclass(annotation, BaseModel)


def _group_plan(source: Source, param: ParamPlan) -> SourcePlan:
    model = param.annotation
    adapter: TypeAdapter[Any] = TypeAdapter(annotate(model, param.marker))
    group = tuple(
        group_field(source, param, name, info) for name, info in model.model_fields.items()
    )
    keys = frozenset(name for field in group for name in (field.key, field.alias))
    return SourcePlan(source, (param,), adapter.validator, group, keys)  # type: ignore[arg-type]


def group_field(source: Source, param: ParamPlan, name: str, info: FieldInfo) -> GroupField:
    alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias or name
    key = alias
    converts = getattr(param.marker, "convert_underscores", True)
    if source is Source.HEADER and converts and alias == name:
        key = name.replace("_", "-")
    return GroupField(key, alias, is_sequence(info.annotation))


def compile_container(label: str, found: tuple[ParamPlan, ...]) -> SchemaValidator:
    """A pydantic model with one field per parameter, read by the parameter's key.

    One validator call then checks a whole source. Fields are named p0, p1, ...: a
    parameter's own name may be anything Python allows, which a model field may not be.
    """
    fields: dict[str, Any] = {}
    for index, param in enumerate(found):
        alias = AliasChoices(param.key, *param.other_keys) if param.other_keys else param.key
        annotated = annotate(param.annotation, param.marker, Field(validation_alias=alias))
        has_default = param.default is not PydanticUndefined
        fields[f"p{index}"] = (annotated, param.default) if has_default else annotated
    model: type[BaseModel] = create_model(f"{label}_parameters", **fields)
    return model.__pydantic_validator__  # type: ignore[return-value]


def holds(annotation: Any, kind: type[Any]) -> bool:
    """Whether `annotation` is `kind`, or an Optional, a union or a sequence of it."""
    if inspect.isclass(annotation) and issubclass(annotation, kind):
        return True
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return holds(arguments[0], kind)
    if origin in (typing.Union, types.UnionType) or is_sequence(annotation):
        return any(holds(argument, kind) for argument in arguments)
    return False
