"""Values read out of a request's containers (query, headers, cookies, a form) by key.

COMPAT: the rules are FastAPI's. A field may be read under several keys (`AliasChoices`, or
its name when the model validates by name): the first key the request has is read, else the
first key names it. A list field reads every value of a repeated key. In a form, an empty
text field or an empty file input counts as absent, so the field's default applies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from pydantic_core import PydanticUndefined

from minifast.datastructures import FormData, Headers, ImmutableMultiDict, UploadFile


# PERF: never compared or hashed (see plan.py): no __eq__ and __hash__ to compile.
@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class FieldKeys:
    """Where one field is read: (name the validator reads it as, key in the request) pairs."""

    name: str  # the parameter's or model field's own name
    pairs: tuple[tuple[str, str], ...]  # preferred first
    is_sequence: bool  # read every value of a repeated key
    reads_bytes: bool = False  # a File() of `bytes`: given the uploaded file's content

    @property
    def key(self) -> str:
        """The key that names the field (in a "missing" error and in OpenAPI)."""
        return self.pairs[0][1]

    @property
    def alias(self) -> str:
        return self.pairs[0][0]


def chosen_pair(field: FieldKeys, container: Any) -> tuple[str, str]:
    """The first pair whose key the request has, else the first pair."""
    for pair in field.pairs:
        if pair[1] in container:
            return pair
    return field.pairs[0]


def is_empty_file(value: Any) -> bool:
    """COMPAT: browsers send a file input left empty as a file with no name and no content."""
    return isinstance(value, UploadFile) and value.filename == "" and value.size == 0


def value_of(container: Any, key: str, is_sequence: bool) -> Any:
    """One value, or every value of a repeated key; PydanticUndefined when absent or empty."""
    is_form = isinstance(container, FormData)
    if is_sequence and isinstance(container, ImmutableMultiDict | Headers):
        value: Any = container.getlist(key)
        if is_form:
            value = [item for item in value if not is_empty_file(item)]
    else:
        value = container.get(key)
    if value is None or (is_sequence and len(value) == 0):
        return PydanticUndefined
    if is_form and ((isinstance(value, str) and value == "") or is_empty_file(value)):
        return PydanticUndefined
    return value


def extras(container: Any, processed: set[str]) -> Iterator[tuple[str, Any]]:
    """The keys no field read: one value, or a list for a repeated key."""
    if isinstance(container, ImmutableMultiDict | Headers):
        grouped: dict[str, list[Any]] = {}
        pairs = container.multi_items() if isinstance(container, ImmutableMultiDict) else None
        for key, value in pairs if pairs is not None else container.items():
            if key not in processed:
                grouped.setdefault(key, []).append(value)
        for key, values in grouped.items():
            yield key, values[0] if len(values) == 1 else values
        return
    for key in container:
        if key not in processed:
            yield key, container.get(key)


def form_items(
    fields: tuple[FieldKeys, ...], form: Any
) -> Iterator[tuple[str, Any, FieldKeys | None]]:
    """(name, value, field) for each field found in a form, then (key, value, None) per extra.

    COMPAT: a field's keys after the one read are not taken from the extras: another field
    (or the model's extra policy) may still use them.
    """
    tried: set[str] = set()
    for field in fields:
        for alias, key in field.pairs:
            tried.add(alias)
            value = value_of(form, key, field.is_sequence)
            if value is not PydanticUndefined:
                yield alias, value, field
                break
    for key, value in extras(form, tried):
        yield key, value, None


def normalize_branch(value: Any, fields: tuple[FieldKeys, ...]) -> Any:
    """A form's raw values read as one branch of a union of form models reads them.

    COMPAT: each branch applies its own list fields and empty-value rules to the same values.
    """
    if not isinstance(value, dict):
        return value
    form = FormData(
        [
            (key, item)
            for key, items in value.items()
            for item in (items if isinstance(items, list) else [items])
        ]
    )
    normalized = {alias: item for alias, item, _ in form_items(fields, form)}
    for key, item in value.items():
        if item is None or (isinstance(item, list) and not item):
            normalized[key] = item  # no form sends these, but a validator before may
    return normalized
