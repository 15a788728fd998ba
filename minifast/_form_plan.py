"""How one callable's body parameters are read from a form: compiled when a route is registered.

COMPAT: the rules are FastAPI's. Each body parameter is validated on its own. A plain field is
read under the first of its keys the form has and reported under that key. A `Form()` model
(or `Model | None`, or a union of models) is a group of form fields: it is given the whole
form, keys it does not declare included (so `extra="forbid"` can refuse them), and reports its
errors under ("body", field). An optional one is left out (its default applies) unless the
form has one of its keys, or any key at all when the model allows or forbids extra keys.
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Tag, TypeAdapter
from pydantic_core import SchemaValidator

from minifast import params
from minifast._extract import FieldKeys, normalize_branch
from minifast._parameters import holds, model_field_keys, optional_model, unwrapped
from minifast._types_util import annotate
from minifast.contract import FormMember, FormModel, FormPlan, ParamPlan

_UNIONS = (typing.Union, types.UnionType)


def compile_form(found: tuple[ParamPlan, ...]) -> FormPlan:
    return FormPlan(members=tuple(_member(param) for param in found))


def _member(param: ParamPlan) -> FormMember:
    pairs = tuple((key, key) for key in (param.key, *param.other_keys))
    reads_bytes = isinstance(param.marker, params.File) and holds(param.annotation, bytes)
    keys = FieldKeys(param.name, pairs, param.is_sequence, reads_bytes)
    models = _form_models(param)
    annotation = param.annotation
    if len(models) > 1:
        annotation = _normalizing_union(annotation)
    validator = _validator(annotate(annotation, param.marker))
    if not models:
        return FormMember(param=param, keys=keys, validator=validator)
    return FormMember(
        param=param, keys=keys, validator=validator,
        models=tuple(_form_model(model) for model in models),
        is_optional=type(None) in typing.get_args(unwrapped(param.annotation)),
    )  # fmt: skip


def _validator(annotation: Any) -> SchemaValidator:
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    return adapter.validator  # type: ignore[return-value]


def _form_model(model: type[BaseModel]) -> FormModel:
    fields = model_field_keys(model)
    own_keys = frozenset(alias for field in fields for alias, _ in field.pairs)
    counts_extras = model.model_config.get("extra") in ("allow", "forbid")
    return FormModel(fields=fields, own_keys=own_keys, counts_extras=counts_extras, model=model)


def _form_models(param: ParamPlan) -> list[type[BaseModel]]:
    """The models a Form() parameter groups fields into: none for a plain field."""
    if not isinstance(param.marker, params.Form):
        return []
    annotation = unwrapped(param.annotation)
    model = optional_model(annotation)
    if model is not None:
        return [model]
    return _union_models(annotation)


def _union_models(annotation: Any) -> list[type[BaseModel]]:
    """The branches of a union of two models or more (None aside), else none."""
    if typing.get_origin(annotation) not in _UNIONS:
        return []
    models = []
    for choice in typing.get_args(annotation):
        if choice is type(None):
            continue
        if typing.get_origin(choice) is Annotated:
            choice = typing.get_args(choice)[0]
        if optional_model(choice) is None:
            return []
        models.append(choice)
    return models if len(models) > 1 else []


def _normalizing_union(annotation: Any) -> Any:
    """Each branch reads the form's raw values by its own fields before validating them.

    COMPAT: each branch is tagged with its model's name (or the Tag it has), as FastAPI's
    errors name the branch: ("body", "TextForm", "value").
    """
    if typing.get_origin(annotation) is Annotated:
        union, *metadata = typing.get_args(annotation)
        return annotate(_normalizing_union(union), *metadata)
    choices: list[Any] = []
    for choice in typing.get_args(annotation):
        if choice is type(None):
            choices.append(choice)
            continue
        model, *metadata = typing.get_args(choice) or (choice,)
        if typing.get_origin(choice) is not Annotated:
            model, metadata = choice, []
        fields = model_field_keys(model)
        normalize = BeforeValidator(functools.partial(normalize_branch, fields=fields))
        tag = next((item for item in reversed(metadata) if isinstance(item, Tag)), None)
        choices.append(Annotated[choice, normalize, tag or Tag(model.__name__)])
    return typing.Union[tuple(choices)]  # noqa: UP007
