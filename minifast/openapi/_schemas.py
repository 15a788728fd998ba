"""JSON schemas for every value a document describes, generated together in one pass.

Generating them together is what makes the `$ref`s agree: pydantic names each model once
for the whole document, and gives a model two definitions (`Item-Input`, `Item-Output`)
only where its validation and serialization schemas differ and both are used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

REF_TEMPLATE = "#/components/schemas/{model}"
REF_PREFIX = "#/components/schemas/"


@dataclasses.dataclass(eq=False)
class SchemaField:
    """A parameter, a request body or a response: one JSON schema in the document.

    Compared by identity: two parameters with equal types are still two fields.
    """

    title: str  # set on the schema unless it is a bare `$ref`
    core_schema: CoreSchema
    mode: JsonSchemaMode  # "validation" for what comes in, "serialization" for what goes out


def schema_field(annotation: Any, title: str, mode: JsonSchemaMode = "validation") -> SchemaField:
    """The field for an annotation (which may carry a FieldInfo in `Annotated`)."""
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    return SchemaField(title, adapter.core_schema, mode)


def default_title(alias: str) -> str:
    """COMPAT: FastAPI titles an untitled field after its alias: "item_id" -> "Item Id"."""
    return alias.title().replace("_", " ")


class _Generator(GenerateJsonSchema):
    def bytes_schema(self, schema: core_schema.BytesSchema) -> JsonSchemaValue:
        """COMPAT: FastAPI describes bytes as an octet stream, not `format: binary`.

        A model that reads or writes bytes as base64 in JSON (`val_json_bytes` in validation
        mode, `ser_json_bytes` in serialization mode) says so with `contentEncoding`.
        """
        described = {"type": "string", "contentMediaType": "application/octet-stream"}
        setting = "val_json_bytes" if self.mode == "validation" else "ser_json_bytes"
        if getattr(self._config, setting, None) == "base64":
            described["contentEncoding"] = "base64"
        return described


class Schemas:
    """The schema of each field, and the definitions they refer to (components/schemas)."""

    def __init__(self, fields: Iterable[SchemaField], separate_input_output: bool) -> None:
        unique = list(dict.fromkeys(fields))
        inputs = [
            (field, self._mode(field, separate_input_output), field.core_schema) for field in unique
        ]
        self._separate = separate_input_output
        generator = _Generator(ref_template=REF_TEMPLATE)
        self._mapping, definitions = generator.generate_definitions(inputs)
        self.definitions: dict[str, Any] = {
            name: _cut_description(definition) for name, definition in definitions.items()
        }

    @staticmethod
    def _mode(field: SchemaField, separate_input_output: bool) -> JsonSchemaMode:
        """COMPAT: one schema per model when not separated, except for output with computed
        fields, which FastAPI still shows in serialization mode (else they would be lost)."""
        if separate_input_output or field.mode == "validation":
            return field.mode
        return "serialization" if _has_computed_fields(field.core_schema) else "validation"

    def schema(self, field: SchemaField) -> dict[str, Any]:
        """The field's schema, titled unless it only refers to a definition."""
        schema = dict(self._mapping[(field, self._mode(field, self._separate))])
        if "$ref" not in schema:
            schema["title"] = field.title
        return schema


def _has_computed_fields(schema: Any) -> bool:
    """Whether a core schema holds a model with a computed field, however deeply."""
    if isinstance(schema, dict):
        return bool(schema.get("computed_fields")) or any(
            _has_computed_fields(value) for value in schema.values()
        )
    if isinstance(schema, list | tuple):
        return any(_has_computed_fields(value) for value in schema)
    return False


def _cut_description(definition: JsonSchemaValue) -> JsonSchemaValue:
    """COMPAT: as for endpoints, a model's description stops at a form feed."""
    description = definition.get("description")
    if isinstance(description, str) and "\f" in description:
        return {**definition, "description": description.split("\f")[0]}
    return definition


VALIDATION_ERROR: dict[str, Any] = {
    "title": "ValidationError",
    "type": "object",
    "properties": {
        "loc": {
            "title": "Location",
            "type": "array",
            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        },
        "msg": {"title": "Message", "type": "string"},
        "type": {"title": "Error Type", "type": "string"},
        "input": {"title": "Input"},
        "ctx": {"title": "Context", "type": "object"},
    },
    "required": ["loc", "msg", "type"],
}

HTTP_VALIDATION_ERROR: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
        "detail": {
            "title": "Detail",
            "type": "array",
            "items": {"$ref": f"{REF_PREFIX}ValidationError"},
        }
    },
}
