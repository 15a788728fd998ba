"""The requestBody of a form that holds models of form fields (see _form_plan.py).

COMPAT: FastAPI documents such a body as one `Body_<operationId>` object. Plain form fields
are its `properties`; each model of form fields (or union of them) is one `allOf` condition,
since its fields sit at the top level of the form, beside the others. An optional model may be
left out: its condition then also accepts a form without its fields ("absent"). The condition
of a model whose fields accept several names lists each name, and requires any one of them.
"""

from __future__ import annotations

import copy
import functools
import typing
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    GetPydanticSchema,
    create_model,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from minifast._parameters import is_model, unwrapped
from minifast.contract import CallablePlan, FormMember, FormModel
from minifast.openapi._params import marker_with_default


def form_members(plan: CallablePlan) -> Iterator[FormMember]:
    """Every form parameter of the tree, depth first, a repeated dependency's every time.

    COMPAT: FastAPI lists a dependency's body parameters again each time it is used.
    """
    if plan.body is not None and plan.body.form is not None:
        yield from plan.body.form.members
    for dependency in plan.dependencies:
        yield from form_members(dependency.plan)


def is_embedded(members: list[FormMember]) -> bool:
    """Whether the form is documented as an object keyed by parameter, not as the first one.

    COMPAT: FastAPI's rule: so it is with two parameter names or more, with one name given
    two annotations (even equal ones, written twice: `Profile | None` makes a new union each
    time), or with one plain field; one model of form fields (or union of them) is the body.
    """
    first = members[0]
    if len({member.param.name for member in members}) > 1:
        return True
    annotation = unwrapped(first.param.annotation)
    if first.models and any(
        not member.models or unwrapped(member.param.annotation) is not annotation
        for member in members[1:]
    ):
        return True
    return not first.models and not is_model(annotation)


def body_model(members: list[FormMember], name: str) -> type[BaseModel]:
    """A model of one field per parameter, whose schema is rewritten as the module says."""
    fields: dict[str, Any] = {
        f"field_{index}": _field(member) for index, member in enumerate(members)
    }
    config = ConfigDict(json_schema_extra=functools.partial(_document_fields, members))
    model: type[BaseModel] = create_model(name, __config__=config, **fields)
    return model


def _field(member: FormMember) -> tuple[Any, FieldInfo]:
    param = member.param
    info = copy.copy(marker_with_default(param))
    # The field is read as field_<index>, whatever the parameter's alias.
    info.alias = info.validation_alias = info.serialization_alias = None
    info.alias_priority = None
    info.title = info.title or param.name.replace("_", " ").title()
    annotation = param.annotation
    if len(member.models) == 1:
        model = member.models[0].model
        hook = GetPydanticSchema(
            get_pydantic_json_schema=functools.partial(_model_schema, member.models[0])
        )
        annotation = Annotated[model, hook]
        if member.is_optional:
            annotation = typing.Optional[annotation]  # noqa: UP045
    return annotation, info


def _document_fields(members: list[FormMember], schema: dict[str, Any]) -> None:
    """Turn the body model's field_<index> properties into fields and conditions."""
    by_index = schema.pop("properties")
    schema.pop("required", None)
    properties: dict[str, Any] = {}
    required: list[str] = []
    conditions: list[dict[str, Any]] = []
    for index, member in enumerate(members):
        field_schema = by_index[f"field_{index}"]
        if member.models:
            conditions.extend(_model_conditions(member, field_schema))
            continue
        key = member.param.key
        if key in properties:  # COMPAT: a second field of that name only adds a condition
            conditions.append({"properties": {key: field_schema}})
        else:
            properties[key] = field_schema
        if member.param.required and key not in required:
            required.append(key)
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = required
    schema["allOf"] = conditions


def _model_conditions(member: FormMember, field_schema: dict[str, Any]) -> list[dict[str, Any]]:
    """COMPAT: an optional model is left out by sending none of its fields, not a null."""
    field_schema.pop("default", None)
    if not member.is_optional:
        return [field_schema]
    choices = field_schema.get("anyOf", [])
    field_schema["anyOf"] = [choice for choice in choices if choice.get("type") != "null"]
    absent = _absent(member.models)
    if member.param.required:
        return [{"not": absent}, field_schema]
    return [{"anyOf": [absent, field_schema]}]


def _absent(models: tuple[FormModel, ...]) -> dict[str, Any]:
    """The schema of a form without the models: no key at all if one of them reads extras."""
    if any(model.counts_extras for model in models):
        return {"maxProperties": 0}
    names = sorted({key for model in models for key in model.own_keys})
    return {"not": {"anyOf": [{"required": [name]} for name in names]}} if names else {}


def _model_schema(
    form_model: FormModel, core_schema: CoreSchema, handler: GetJsonSchemaHandler
) -> JsonSchemaValue:
    """The model's own schema (a `$ref`), or a copy naming its fields as the form sends them.

    COMPAT: a field sent under another name than its schema's gets that name; a required one
    with several names requires any one of them. The shared definition is left as it is.
    """
    reference = handler(core_schema)
    definition = handler.resolve_ref_schema(reference)
    names = _form_names(form_model, definition)
    if not names:
        return reference
    renamed = copy.deepcopy(definition)
    renamed["properties"] = {
        names.get(name, [name])[0]: value for name, value in renamed["properties"].items()
    }
    renamed["required"] = []
    for name in definition.get("required", []):
        choices = names.get(name, [name])
        if len(choices) == 1:
            renamed["required"].append(choices[0])
        else:
            any_of = {"anyOf": [{"required": [choice]} for choice in choices]}
            renamed.setdefault("allOf", []).append(any_of)
    return renamed


def _form_names(form_model: FormModel, definition: JsonSchemaValue) -> dict[str, list[str]]:
    """For each property whose form names differ from the schema's: the names, preferred first."""
    properties = definition.get("properties", {})
    required = definition.get("required", [])
    found: dict[str, list[str]] = {}
    infos = form_model.model.model_fields.values()
    for info, keys in zip(infos, form_model.fields, strict=True):
        name = _schema_name(keys.name, info)
        names = [alias for alias, _ in keys.pairs]
        if not isinstance(name, str) or name not in properties:
            continue
        if names[0] != name or (len(names) > 1 and name in required):
            found[name] = names
    return found


def _schema_name(field_name: str, info: FieldInfo) -> Any:
    """The name pydantic's schema gives a field: a string, unless an AliasPath comes first."""
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return alias.choices[0]
    if isinstance(alias, str) and alias:
        return alias
    return info.alias or field_name
