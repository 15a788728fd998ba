"""One parameter's source, key and checks; the validator of one source's parameters.

The rules are FastAPI's: a marker (`Query()`, `Header()`, ...) decides the source; else a name
in the path template is a path parameter; else a scalar is a query parameter and anything else
(a model, a list, a dict) is the body. All of it runs once, when a route is registered.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import types
import typing
from collections.abc import Set as AbstractSet
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    AliasPath,
    BaseModel,
    ConfigDict,
    Field,
    Json,
    TypeAdapter,
    create_model,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined, SchemaValidator

from minifast import params
from minifast._extract import FieldKeys
from minifast._types_util import annotate, is_scalar, is_sequence, uses_pydantic_v1
from minifast.contract import ParamPlan, Source, SourcePlan
from minifast.datastructures import UploadFile
from minifast.exceptions import FastAPIError, PydanticV1NotSupportedError


def compile_param(
    name: str, annotation: Any, marker: Any, default: Any, path_names: AbstractSet[str]
) -> ParamPlan:
    """Decide one parameter's source, the key it is read under, and its default."""
    if uses_pydantic_v1(annotation):
        # Before any validator is built: pydantic warns on mixing its v1 and v2 models.
        raise PydanticV1NotSupportedError(
            f"{name!r} is declared with a pydantic.v1 model: only pydantic v2 models are "
            "supported; use `pydantic.BaseModel`"
        )
    _check_marker(name, annotation, marker, default, path_names)
    if isinstance(marker, params.Param):
        # COMPAT: a bare `Param()` (no subclass) is a query parameter, as in FastAPI.
        source = Source(getattr(marker, "in_", params.ParamTypes.query).value)
    elif isinstance(marker, params.Body):
        source = Source.BODY
    else:  # no marker, or a plain pydantic Field() whose settings go onto the source's marker
        source, kind = _implied_source(name, annotation, path_names)
        marker = kind() if marker is None else _with_settings(kind, marker)
    if default is inspect.Parameter.empty:
        default = marker.default
    if source is Source.PATH:
        default = PydanticUndefined  # COMPAT: a path parameter is always required
    key, *other_keys = _keys(marker, source, path_names) or [_key(name, marker, source)]
    repeats = source in (Source.QUERY, Source.HEADER) or isinstance(marker, params.Form)
    sequence = repeats and _repeats(annotation, marker)
    return ParamPlan(
        name=name, source=source, key=key, annotation=annotation, marker=marker,
        default=default, is_sequence=sequence, other_keys=tuple(other_keys),
    )  # fmt: skip


def declared_marker(name: str, markers: list[Any], default: Any) -> tuple[Any, Any]:
    """A parameter's one marker and its default, from `Annotated[...]` markers and the `=`.

    COMPAT: FastAPI's rules, refused as it refuses them (with an AssertionError): a marker in
    `Annotated` takes its default from `=`, not its own; `= Query()` or `= Depends()` cannot
    add to a `Query()`, `Body()` or `Depends()` already in `Annotated` (a plain `Field()`
    there merges with it).
    """
    sourced = [item for item in markers if isinstance(item, _SOURCED)]
    last = sourced[-1] if sourced else None
    if isinstance(last, FieldInfo) and all(last.default is not no for no in _NO_DEFAULT):
        raise params.DeclarationError(
            f"`{type(last).__name__}` default value cannot be set in `Annotated` for "
            f"{name!r}. Set the default value with `=` instead."
        )
    if not isinstance(default, FieldInfo | params.Depends):
        return merged_marker(markers), default
    if last is not None:
        raise params.DeclarationError(_twice(name, last, default))
    if isinstance(default, params.Depends):
        return default, inspect.Parameter.empty
    return merged_marker([*markers, default]), default.default


_SOURCED = (params.Param, params.Body, params.Depends)


def _twice(name: str, annotated: Any, default: Any) -> str:
    """COMPAT: FastAPI's wording, which tests match."""
    if isinstance(default, FieldInfo):
        return (
            "Cannot specify FastAPI annotations in `Annotated` and default value together "
            f"for {name!r}"
        )
    if isinstance(annotated, params.Depends):
        return f"Cannot specify `Depends` in `Annotated` and default value together for {name!r}"
    return (
        "Cannot specify a FastAPI annotation in `Annotated` and `Depends` as a default value "
        f"together for {name!r}"
    )


def merged_marker(markers: list[Any]) -> Any:
    """The one marker of a parameter declared with several in `Annotated[...]`, or None.

    COMPAT: as in FastAPI, the last `Query()`, `Body()`... (or `Depends()`) decides; the
    settings of every FieldInfo among them merge onto it, later ones winning, as pydantic
    merges them: `Annotated[int, Field(alias="wire"), Query()]` reads the key "wire".
    """
    if len(markers) < 2:
        return markers[0] if markers else None
    chosen = next(
        (item for item in reversed(markers) if isinstance(item, _SOURCED)),
        markers[-1],
    )
    fields = [item for item in markers if isinstance(item, FieldInfo)]
    if not isinstance(chosen, FieldInfo) or len(fields) < 2:
        return chosen
    merged = FieldInfo.merge_field_infos(*fields)
    marker = copy.copy(chosen)
    for slot in FieldInfo.__slots__:  # pydantic's settings; the marker's own attributes stay
        setattr(marker, slot, getattr(merged, slot))
    if "json_schema_extra" in chosen._attributes_set and chosen.json_schema_extra is None:
        marker.json_schema_extra = None  # COMPAT: an explicit None clears it; pydantic merges
    return marker


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
    if name in path_names and not is_scalar(annotation):
        # COMPAT: an AssertionError, as FastAPI raises: one path segment holds one value.
        raise AssertionError(f"path parameter {name!r} must be a scalar, not {annotation!r}")
    if isinstance(marker, params.Path) and all(default is not no for no in _NO_DEFAULT):
        raise params.DeclarationError(
            f"Path parameters cannot have a default value: {name!r} is always given"
        )
    if isinstance(marker, params.Query) and not _is_query_type(annotation):
        raise UnsupportedParameterError(
            f"Query parameter {name!r} must be one of the supported types: a scalar, a list "
            "of scalars or a model"
        )


class UnsupportedParameterError(params.DeclarationError):
    """A query parameter of a type no query string can carry."""


def _is_query_type(annotation: Any) -> bool:
    """COMPAT: as in FastAPI, only query parameters are checked: headers and cookies are not."""
    base = unwrapped(annotation)
    if base is None:  # Json[...]: read as one text value
        base = typing.get_args(annotation)[0]
    return is_scalar(base) or _is_scalar_sequence(base) or optional_model(base) is not None


def _is_scalar_sequence(annotation: Any) -> bool:
    annotation = unwrapped(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = typing.get_args(annotation)
        sequences = [member for member in members if _is_scalar_sequence(member)]
        others = [member for member in members if member not in sequences]
        return bool(sequences) and all(is_scalar(member) for member in others)
    arguments = [item for item in typing.get_args(annotation) if item is not Ellipsis]
    return is_sequence(annotation) and all(is_scalar(item) for item in arguments)


def _keys(marker: FieldInfo, source: Source, path_names: AbstractSet[str]) -> list[str]:
    """The keys a `validation_alias` names: one string, or AliasChoices of plain strings.

    COMPAT: as in FastAPI, the first choice names the parameter (in a "missing" error and in
    OpenAPI); whichever choice the request has is read and reported. A path parameter takes,
    per route, the first choice its path template names. Choices holding an AliasPath (or an
    AliasPath alone) are not followed: the parameter is read by its alias or its name.
    """
    alias = marker.validation_alias
    if isinstance(alias, str) and alias:
        return [alias]
    if not isinstance(alias, AliasChoices):
        return []
    choices = [choice for choice in alias.choices if isinstance(choice, str)]
    if len(choices) < len(alias.choices):
        return []
    if source is Source.PATH:
        return [choice for choice in choices if choice in path_names][:1]
    return choices


def _key(name: str, marker: FieldInfo, source: Source) -> str:
    """The key of a parameter without a usable `validation_alias`.

    COMPAT: a header named by its parameter (no alias) has its underscores sent as dashes.
    """
    if marker.alias:
        return marker.alias
    if source is Source.HEADER and getattr(marker, "convert_underscores", False):
        return name.replace("_", "-")
    return name


def compile_sources(source: Source, found: tuple[ParamPlan, ...]) -> list[SourcePlan]:
    """One validator for the plain parameters of a source, one per model of parameters.

    COMPAT: a pydantic model in a source is a group of parameters, one per field; it also
    sees the source's other keys, so `extra="forbid"` refuses them, as in FastAPI.
    """
    plain = tuple(param for param in found if param_model(param) is None)
    plans: list[SourcePlan] = []
    for param in found:  # in declaration order, which is the order errors are reported in
        if (model := param_model(param)) is not None:
            plans.append(_group_plan(source, param, model))
        elif param is plain[0]:
            validator = compile_container(source.value, plain)
            plans.append(SourcePlan(source=source, params=plain, validator=validator))
    return plans


def is_model(annotation: Any) -> bool:
    return inspect.isclass(annotation) and issubclass(annotation, BaseModel)


def optional_model(annotation: Any) -> type[BaseModel] | None:
    """The model of `Model` or `Model | None`, else None."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        arguments = typing.get_args(annotation)
        if len(arguments) == 2 and type(None) in arguments:
            annotation = next(item for item in arguments if item is not type(None))
    return annotation if is_model(annotation) else None


def param_model(param: ParamPlan) -> type[BaseModel] | None:
    """The model whose fields are this query, header or cookie parameter's group, if any."""
    if param.source is Source.PATH:
        return param.annotation if is_model(param.annotation) else None
    return optional_model(unwrapped(param.annotation))


def unwrapped(annotation: Any) -> Any:
    """The type under `Annotated[...]`; None for a `Json[...]` one, which is read as text."""
    if typing.get_origin(annotation) is not Annotated:
        return annotation
    base, *metadata = typing.get_args(annotation)
    return None if any(type(item) is Json for item in metadata) else base


def _group_plan(source: Source, param: ParamPlan, model: type[BaseModel]) -> SourcePlan:
    adapter: TypeAdapter[Any] = TypeAdapter(annotate(param.annotation, param.marker))
    converts = getattr(param.marker, "convert_underscores", True)
    group = model_field_keys(model, converts if source is Source.HEADER else None)
    optional = unwrapped(param.annotation) is not model
    validator: SchemaValidator = adapter.validator  # type: ignore[assignment]
    return SourcePlan(
        source=source, params=(param,), validator=validator, group=group, model=model,
        is_optional=optional,
    )  # fmt: skip


def model_field_keys(model: type[BaseModel], converts: bool | None = None) -> tuple[FieldKeys, ...]:
    """Where each field of a model of parameters (or of form fields) is read.

    `converts`: None but for headers, where it says whether a field's underscores become
    dashes unless the field's own Header() says otherwise.
    """
    fields = []
    for name, info in model.model_fields.items():
        # COMPAT: as in FastAPI, a field holding a model or a dict ignores the model's config.
        config = None if _is_structured(info.annotation) else model.model_config
        convert = converts is not None and getattr(info, "convert_underscores", converts)
        reads_bytes = isinstance(info, params.File) and holds(info.annotation, bytes)
        pairs = key_pairs(name, info, config, convert)
        fields.append(FieldKeys(name, pairs, _repeats(info.annotation, info), reads_bytes))
    return tuple(fields)


def _is_structured(annotation: Any) -> bool:
    model_or_dict = inspect.isclass(annotation) and issubclass(annotation, BaseModel | dict)
    return model_or_dict or dataclasses.is_dataclass(annotation)


def _repeats(annotation: Any, info: FieldInfo) -> bool:
    """COMPAT: a list field reads every value of a repeated key, unless it is `Json`."""
    metadata = [*info.metadata, *typing.get_args(annotation)[1:]]
    if typing.get_origin(annotation) is not Annotated:
        metadata = list(info.metadata)
    return is_sequence(annotation) and not any(type(item) is Json for item in metadata)


def key_pairs(
    name: str, info: FieldInfo, config: ConfigDict | None, convert: bool
) -> tuple[tuple[str, str], ...]:
    """(name the validator reads, key in the request) for each way a field may be given.

    COMPAT: FastAPI's order: the alias (a header's converted to dashes), or each of
    `AliasChoices` taken literally; then the field's name when the model validates by name.
    """
    validation = info.validation_alias
    alias = validation if isinstance(validation, str) and validation else info.alias or name
    key = alias.replace("_", "-") if convert and alias == name else alias
    pairs = [(alias, key)]
    if isinstance(validation, AliasChoices):
        choices = validation.choices
        if any(isinstance(choice, AliasPath) for choice in choices):
            return tuple(pairs)
        pairs = [(choice, choice) for choice in choices if isinstance(choice, str)]
    elif isinstance(validation, AliasPath):
        return tuple(pairs)
    settings = config or {}
    by_alias = settings.get("validate_by_alias") is not False
    by_name = settings.get("validate_by_name", settings.get("populate_by_name", False))
    named = (name, name.replace("_", "-") if convert else name)
    if not by_alias:
        return (named,)
    if by_name and name not in [alias for alias, _ in pairs]:
        pairs.append(named)
    return tuple(pairs)


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
