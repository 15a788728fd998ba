"""A finished document, its keys put in FastAPI's order, so /openapi.json matches byte for byte.

COMPAT: FastAPI validates its document into pydantic models of the OpenAPI objects and dumps
them. So each object's keys come out in its model's field order, unknown keys after them as they
came; a few values are coerced on the way (an integer in a float field becomes a float, a URL is
normalized); and where a model keeps a plain dict (a map of names, an `Any` field, an unknown
key), insertion order survives. One surprise: path items and responses are declared
`PathItem | Any` and `Response | Any`, and pydantic's smart union prefers `Any` to a model that
needed a lax coercion: a string made into an enum (a parameter's `"in": "query"`) or into a URL.
So a path item with a parameter stays the plain dict FastAPI built, and so does all it holds.
"""

from __future__ import annotations

from typing import Any

from pydantic import AnyUrl, TypeAdapter

# For each OpenAPI object: its keys in FastAPI's order, and what each value is. "" a plain value;
# "Kind" an object; "[Kind]" a list and "{Kind}" a map of them; "Kind?" a `Kind | Any` union, kept
# as a plain dict if "url" or "enum" values inside need a lax coercion; "float" a value made a
# float. Read off `fastapi.openapi.models` in FastAPI 0.163.
_KINDS: dict[str, dict[str, str]] = {
    "OpenAPI": {
        "openapi": "", "info": "Info", "jsonSchemaDialect": "", "servers": "[Server]",
        "paths": "{PathItem?}", "webhooks": "{PathItem}", "components": "Components",
        "security": "", "tags": "[Tag]", "externalDocs": "ExternalDocumentation",
    },
    "Info": {
        "title": "", "summary": "", "description": "", "termsOfService": "",
        "contact": "Contact", "license": "License", "version": "",
    },
    "Contact": {"name": "", "url": "url", "email": ""},
    "License": {"name": "", "identifier": "", "url": "url"},
    "Server": {"url": "", "description": "", "variables": "{ServerVariable}"},
    "ServerVariable": {"enum": "", "default": "", "description": ""},
    "Tag": {"name": "", "description": "", "externalDocs": "ExternalDocumentation"},
    "ExternalDocumentation": {"description": "", "url": "url"},
    "PathItem": {
        "$ref": "", "summary": "", "description": "", "get": "Operation", "put": "Operation",
        "post": "Operation", "delete": "Operation", "options": "Operation", "head": "Operation",
        "patch": "Operation", "trace": "Operation", "servers": "[Server]",
        "parameters": "[Parameter]",
    },
    "Operation": {
        "tags": "", "summary": "", "description": "", "externalDocs": "ExternalDocumentation",
        "operationId": "", "parameters": "[Parameter]", "requestBody": "RequestBody",
        "responses": "{Response?}", "callbacks": "{{PathItem}}", "deprecated": "",
        "security": "", "servers": "[Server]",
    },
    "Parameter": {
        "description": "", "required": "", "deprecated": "", "style": "", "explode": "",
        "allowReserved": "", "schema": "Schema", "example": "", "examples": "{Example}",
        "content": "{MediaType}", "name": "", "in": "enum",
    },
    "Header": {
        "description": "", "required": "", "deprecated": "", "style": "", "explode": "",
        "allowReserved": "", "schema": "Schema", "example": "", "examples": "{Example}",
        "content": "{MediaType}",
    },
    "RequestBody": {"description": "", "content": "{MediaType}", "required": ""},
    "MediaType": {
        "schema": "Schema", "example": "", "examples": "{Example}", "encoding": "{Encoding}",
    },
    "Encoding": {
        "contentType": "", "headers": "{Header}", "style": "", "explode": "", "allowReserved": "",
    },
    "Example": {"summary": "", "description": "", "value": "", "externalValue": "url"},
    "Response": {
        "description": "", "headers": "{Header}", "content": "{MediaType}", "links": "{Link}",
    },
    "Link": {
        "operationRef": "", "operationId": "", "parameters": "", "requestBody": "",
        "description": "", "server": "Server",
    },
    "Reference": {"$ref": ""},
    "Components": {
        "schemas": "{Schema}", "responses": "{Response}", "parameters": "{Parameter}",
        "examples": "{Example}", "requestBodies": "{RequestBody}", "headers": "{Header}",
        "securitySchemes": "{SecurityScheme}", "links": "{Link}",
        "callbacks": "{{PathItem}?}", "pathItems": "{PathItem}",
    },
    # Security schemes, each under its "type".
    "apiKey": {"type": "enum", "description": "", "in": "enum", "name": ""},
    # COMPAT: HTTPBearer's fields are HTTPBase's plus "bearerFormat", in the same order.
    "http": {"type": "enum", "description": "", "scheme": "", "bearerFormat": ""},
    "oauth2": {"type": "enum", "description": "", "flows": "OAuthFlows"},
    "openIdConnect": {"type": "enum", "description": "", "openIdConnectUrl": ""},
    "OAuthFlows": {
        "implicit": "OAuthFlow", "password": "OAuthFlow", "clientCredentials": "OAuthFlow",
        "authorizationCode": "OAuthFlow",
    },
    # The four flow models share this order; each has only some of the URLs.
    "OAuthFlow": {"refreshUrl": "", "scopes": "", "authorizationUrl": "", "tokenUrl": ""},
    "Schema": {
        "$schema": "", "$vocabulary": "", "$id": "", "$anchor": "", "$dynamicAnchor": "",
        "$ref": "", "$dynamicRef": "", "$defs": "{Schema}", "$comment": "",
        "allOf": "[Schema]", "anyOf": "[Schema]", "oneOf": "[Schema]", "not": "Schema",
        "if": "Schema", "then": "Schema", "else": "Schema", "dependentSchemas": "{Schema}",
        "prefixItems": "[Schema]", "items": "Schema", "contains": "Schema",
        "properties": "{Schema}", "patternProperties": "{Schema}",
        "additionalProperties": "Schema", "propertyNames": "Schema",
        "unevaluatedItems": "Schema", "unevaluatedProperties": "Schema",
        "type": "", "enum": "", "const": "", "multipleOf": "float", "maximum": "float",
        "exclusiveMaximum": "float", "minimum": "float", "exclusiveMinimum": "float",
        "maxLength": "", "minLength": "", "pattern": "", "maxItems": "", "minItems": "",
        "uniqueItems": "", "maxContains": "", "minContains": "", "maxProperties": "",
        "minProperties": "", "required": "", "dependentRequired": "", "format": "",
        "contentEncoding": "", "contentMediaType": "", "contentSchema": "Schema",
        "title": "", "description": "", "default": "", "deprecated": "", "readOnly": "",
        "writeOnly": "", "examples": "", "discriminator": "Discriminator", "xml": "XML",
        "externalDocs": "ExternalDocumentation", "example": "",
    },
    "Discriminator": {"propertyName": "", "mapping": ""},
    "XML": {"name": "", "namespace": "", "prefix": "", "attribute": "", "wrapped": ""},
}  # fmt: skip

# Objects that have a `$ref` field of their own; any other object with one is a Reference.
_WITH_OWN_REF = frozenset({"Schema", "PathItem"})

_URL: TypeAdapter[AnyUrl] = TypeAdapter(AnyUrl)


class _LaxCoercion(Exception):
    """A value the model coerces from a string, so the enclosing `Kind | Any` stays a dict."""


def order_like_fastapi(document: dict[str, Any]) -> dict[str, Any]:
    """The document with FastAPI's key order (and its models' coercions), recursively."""
    ordered: dict[str, Any] = _object("OpenAPI", document, in_any_union=False)
    return ordered


def _value(spec: str, value: Any, in_any_union: bool) -> Any:
    """`value` read as `spec` says (see _KINDS)."""
    if spec.endswith("?"):
        try:
            return _value(spec[:-1], value, in_any_union=True)
        except _LaxCoercion:
            return value
    if spec.startswith("[") and isinstance(value, list):
        return [_value(spec[1:-1], item, in_any_union) for item in value]
    if spec.startswith("{") and isinstance(value, dict):
        return {key: _value(spec[1:-1], item, in_any_union) for key, item in value.items()}
    if spec == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if spec in ("url", "enum") and in_any_union:
        raise _LaxCoercion(value)
    if spec == "url" and isinstance(value, str):
        return str(_URL.validate_python(value))
    if spec in _KINDS or spec == "SecurityScheme":
        return _object(spec, value, in_any_union)
    return value


def _object(kind: str, node: Any, in_any_union: bool) -> Any:
    """The object's known keys in its model's order, then the others as they came."""
    if not isinstance(node, dict):
        return node  # `true` or `false` where a schema may be a boolean
    if kind == "SecurityScheme":
        kind = node.get("type", "")
    elif "$ref" in node and kind not in _WITH_OWN_REF:
        kind = "Reference"
    fields = _KINDS.get(kind, {})
    ordered = {
        key: _value(spec, node[key], in_any_union) for key, spec in fields.items() if key in node
    }
    ordered.update((key, value) for key, value in node.items() if key not in fields)
    return ordered
