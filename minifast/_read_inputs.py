"""Per request: the body parsed, a source's raw values, models of parameters, form fields.

All follow the plans compiled at registration (_parameters.py, _form_plan.py); see
_extract.py for how one field's value is found.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticUndefined

from minifast._extract import FieldKeys, chosen_pair, extras, form_items, value_of
from minifast._json_body import parse_json_body
from minifast.contract import FormMember, FormModel, FormPlan, ParamPlan, SourcePlan
from minifast.datastructures import FormData, Headers, UploadFile
from minifast.requests import Request
from minifast.validation import ErrorList, located_errors, missing


async def read_body(request: Request, json_without_content_type: bool = False) -> Any:
    """The body as parsed JSON, or as bytes when not declared JSON, or Undefined when empty.

    COMPAT: with `strict_content_type=False` (FastAPI 0.163), a body with no Content-Type at
    all is read as JSON too.
    """
    raw = await request.body()
    if not raw:
        return PydanticUndefined
    content_type = request.headers.get("content-type")
    declared_json = _is_json(content_type) if content_type else json_without_content_type
    if not declared_json:
        return raw  # COMPAT: validated as bytes, so a model reports the wrong type
    return parse_json_body(raw)  # bounded: see _json_body.py


@functools.lru_cache(maxsize=64)
def _is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON: `application/json` or `application/<x>+json`.

    COMPAT: read as the standard library's email parser reads it (as FastAPI does): the part
    before `;`, trimmed, lower-cased; anything but one `/` in it counts as text/plain.
    PERF: no parser object per request, and a request's header value is usually the last
    one's: cached (64 values at most), 2.9 -> 0.1 µs per JSON body.
    """
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type.count("/") != 1:
        return False
    main_type, subtype = media_type.split("/")
    return main_type == "application" and (subtype == "json" or subtype.endswith("+json"))


def resolve_group(source: SourcePlan, container: Any, values: dict[str, Any]) -> ErrorList:
    """A model of parameters: its fields read from the source, the other keys passed on too.

    COMPAT: keys the model does not read reach it, so `extra="forbid"` can refuse them; an
    optional model is left out unless one of its keys (or, if it allows or forbids extra keys,
    any key) was sent; header fields are reported under their header names.
    """
    assert source.group is not None and source.model is not None
    is_headers = isinstance(container, Headers)
    data: dict[str, Any] = {}
    processed: set[str] = set()
    renamed: dict[str, str] = {}
    own_keys: set[str] = set()
    for field in source.group:
        own_keys.update(key.lower() if is_headers else key for _, key in field.pairs)
        alias, key = chosen_pair(field, container)
        value = value_of(container, key, field.is_sequence)
        if value is not PydanticUndefined:
            data[alias] = value
        processed.add(key.lower() if is_headers else key)
        if is_headers:  # an unconverted field name is no extra header
            processed.update(name.lower() for name, header in field.pairs if name != header)
            if alias != key:
                renamed[field.name] = key
    data.update(extras(container, processed))
    param = source.params[0]
    sent = own_keys.intersection(container) or (_counts_extras(source) and data)
    value = data if sent or not source.is_optional else PydanticUndefined
    errors = validate_one(param, source.validator, value, (source.source.value,), values)
    if renamed and source.model.model_config.get("loc_by_alias", True):
        for entry in errors:
            where, *rest = entry["loc"][1:] or (None,)
            if where in renamed:
                entry["loc"] = (entry["loc"][0], renamed[where], *rest)
    return errors


def _counts_extras(source: SourcePlan) -> bool:
    assert source.model is not None
    return source.model.model_config.get("extra") in ("allow", "forbid")


def validate_one(
    param: ParamPlan, validator: Any, value: Any, loc: tuple[str, ...], values: dict[str, Any]
) -> ErrorList:
    """One parameter validated on its own; an absent one is missing, or takes its default.

    COMPAT: as in FastAPI, a default is a deep copy, checked only with `validate_default=True`.
    """
    if value is PydanticUndefined:
        if param.required:
            return [missing(loc)]
        value = copy.deepcopy(param.default_value())
        if not param.marker.validate_default:
            values[param.name] = value
            return []
    try:
        values[param.name] = validator.validate_python(value, from_attributes=True)
    except ValidationError as error:
        return located_errors(error, loc, of_parameters=False)
    return []


async def resolve_form(form_plan: FormPlan, form: FormData, values: dict[str, Any]) -> ErrorList:
    """Each body parameter read from the form and validated on its own, in declaration order."""
    errors: ErrorList = []
    for member in form_plan.members:
        if member.models:
            value = await _model_value(member, form)
            loc: tuple[str, ...] = ("body",)
        else:
            alias, value = _field_value(member.keys, form)
            if member.keys.reads_bytes:
                value = await _content_of(value)
            loc = ("body", alias)
        errors.extend(validate_one(member.param, member.validator, value, loc, values))
    return errors


def _field_value(field: FieldKeys, form: FormData) -> tuple[str, Any]:
    """The name a form field was found under (its first, if absent) and its value."""
    for alias, key in field.pairs:
        value = value_of(form, key, field.is_sequence)
        if value is not PydanticUndefined:
            return alias, value
    return field.alias, PydanticUndefined


async def _model_value(member: FormMember, form: FormData) -> Any:
    """What a model of form fields is given: the whole form, or Undefined when left out."""
    if member.is_optional and not any(_is_sent(model, form) for model in member.models):
        return PydanticUndefined
    if len(member.models) > 1:  # each branch reads the raw values its own way
        return dict(extras(form, set()))
    data: dict[str, Any] = {}
    for alias, value, field in form_items(member.models[0].fields, form):
        data[alias] = await _content_of(value) if field and field.reads_bytes else value
    return data


def _is_sent(model: FormModel, form: FormData) -> bool:
    return bool(model.own_keys.intersection(form) or (model.counts_extras and len(form)))


async def _content_of(found: Any) -> Any:
    """A `bytes` File() is given each uploaded file's content instead of the file.

    The file's position is restored: another parameter may be given the same file.
    """
    if isinstance(found, list):
        return [await _content_of(item) for item in found]
    if not isinstance(found, UploadFile):
        return found
    position = found.file.tell()
    try:
        return await found.read()
    finally:
        await found.seek(position)
