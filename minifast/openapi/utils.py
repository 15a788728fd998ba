# How the OpenAPI document is built: on its first request (the app caches it), from the plans
# compiled when each route was registered, never from signatures again. Pass one compiles every
# documented route into an _Operation: its parameters (the plan's sources, dependencies'
# included), its body, its response models. Pass two generates every JSON schema in one pydantic
# call, so models are named once and `$ref`s agree. Pass three renders each operation per
# method and gathers components (schemas, securitySchemes). Last, _order.py puts every object's
# keys in the order FastAPI's OpenAPI models give them, so the served bytes match FastAPI's.
"""get_openapi(): the app's routes as an OpenAPI 3.1 document (a JSON-ready dict)."""

from __future__ import annotations

import dataclasses
import inspect
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from minifast.api_routes import APIRoute
from minifast.encoders import jsonable_encoder
from minifast.openapi._body import RequestBody, compile_request_body, render_request_body
from minifast.openapi._order import order_like_fastapi
from minifast.openapi._params import (
    Parameter,
    compile_parameters,
    compile_security,
    has_parameters,
    render_parameters,
)
from minifast.openapi._responses import (
    ResponseFields,
    add_validation_error,
    compile_responses,
    deep_update,
    render_responses,
)
from minifast.openapi._schemas import (
    HTTP_VALIDATION_ERROR,
    VALIDATION_ERROR,
    SchemaField,
    Schemas,
)
from minifast.openapi.models import Contact
from minifast.plain_routes import BaseRoute

# COMPAT: FastAPI documents a body for GET too, and not for OPTIONS or TRACE.
_METHODS_WITH_BODY = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"})


@dataclasses.dataclass
class _Operation:
    """What one documented route needs rendered, schemas aside."""

    route: APIRoute
    parameters: list[Parameter]
    body: RequestBody | None
    responses: ResponseFields
    callbacks: list[_Operation]

    def fields(self) -> Iterator[SchemaField]:
        yield from (parameter.field for parameter in self.parameters)
        if self.body is not None:
            yield self.body.field
        if self.responses.model is not None:
            yield self.responses.model
        yield from self.responses.extras.values()
        if self.responses.stream_item is not None:
            yield self.responses.stream_item
        for callback in self.callbacks:
            yield from callback.fields()


def _compile_operations(routes: Sequence[BaseRoute] | None) -> list[_Operation]:
    return [
        _Operation(
            route,
            compile_parameters(route.plan.endpoint),
            compile_request_body(route.plan, route.unique_id),
            compile_responses(route),
            _compile_operations(route.callbacks),
        )
        for route in routes or ()
        if isinstance(route, APIRoute) and route.include_in_schema
    ]


def get_openapi(
    *,
    title: str,
    version: str,
    openapi_version: str = "3.1.0",
    summary: str | None = None,
    description: str | None = None,
    routes: Sequence[BaseRoute],
    webhooks: Sequence[BaseRoute] | None = None,
    tags: list[dict[str, Any]] | None = None,
    servers: list[dict[str, Any]] | None = None,
    terms_of_service: str | None = None,
    contact: dict[str, Any] | None = None,
    license_info: dict[str, Any] | None = None,
    separate_input_output_schemas: bool = True,
    external_docs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The document for these routes (and webhooks), as FastAPI's `get_openapi` builds it."""
    if contact is not None:  # COMPAT: a malformed email fails here, as FastAPI's document does
        Contact.model_validate(contact)
    operations, hooks = _compile_operations(routes), _compile_operations(webhooks)
    fields = [field for operation in (*operations, *hooks) for field in operation.fields()]
    document = _Document(Schemas(fields, separate_input_output_schemas))
    info = {
        "title": title, "summary": summary, "description": description or None,
        "termsOfService": terms_of_service, "contact": contact, "license": license_info,
        "version": version,
    }  # fmt: skip
    output: dict[str, Any] = {"openapi": openapi_version, "info": info, "servers": servers or None}
    paths, webhook_paths = document.paths(operations), document.paths(hooks)
    output["components"] = document.components() or None
    output["paths"] = paths
    output["webhooks"] = webhook_paths or None
    output["tags"] = tags or None
    output["externalDocs"] = external_docs
    return order_like_fastapi(jsonable_encoder(output, exclude_none=True))


class _Document:
    """Renders operations, gathering the components they use."""

    def __init__(self, schemas: Schemas) -> None:
        self.schemas = schemas
        self.definitions = dict(schemas.definitions)
        self.security_schemes: dict[str, Any] = {}
        self.operation_ids: set[str] = set()

    def paths(self, operations: list[_Operation]) -> dict[str, Any]:
        paths: dict[str, Any] = {}
        for operation in operations:
            path = paths.setdefault(operation.route.path_format, {})
            for method in operation.route.methods:
                path[method.lower()] = self.operation(operation, method)
        return paths

    def components(self) -> dict[str, Any]:
        components: dict[str, Any] = {}
        if self.definitions:
            components["schemas"] = dict(sorted(self.definitions.items()))
        if self.security_schemes:
            components["securitySchemes"] = self.security_schemes
        return components

    def operation(self, operation: _Operation, method: str) -> dict[str, Any]:
        """One method of one route, as the document's operation object."""
        route = operation.route
        rendered = _metadata(route)
        self._check_unique(route)
        self._add_security(route, rendered)
        parameters = render_parameters(operation.parameters, self.schemas)
        if parameters:
            rendered["parameters"] = parameters
        if operation.body is not None and method in _METHODS_WITH_BODY:
            rendered["requestBody"] = render_request_body(operation.body, self.schemas)
        if operation.callbacks:
            rendered["callbacks"] = self._callbacks(operation.callbacks)
        rendered["responses"] = render_responses(route, operation.responses, self.schemas)
        takes_input = has_parameters(route.plan.endpoint) or operation.body is not None
        added = takes_input and add_validation_error(rendered["responses"])
        if added and "ValidationError" not in self.definitions:
            self.definitions["ValidationError"] = VALIDATION_ERROR
            self.definitions["HTTPValidationError"] = HTTP_VALIDATION_ERROR
        if route.openapi_extra:
            deep_update(rendered, route.openapi_extra)
        return rendered

    def _check_unique(self, route: APIRoute) -> None:
        if route.unique_id in self.operation_ids:
            source = inspect.getsourcefile(route.endpoint) or "?"
            function = getattr(route.endpoint, "__name__", route.name)
            message = (
                f"Duplicate Operation ID {route.unique_id} for function {function} at {source}"
            )
            warnings.warn(message, stacklevel=1)
        self.operation_ids.add(route.unique_id)

    def _add_security(self, route: APIRoute, rendered: dict[str, Any]) -> None:
        scopes, schemes = compile_security(route.plan.endpoint)
        if scopes:
            rendered["security"] = [{name: names} for name, names in scopes.items()]
        self.security_schemes.update(schemes)

    def _callbacks(self, callbacks: list[_Operation]) -> dict[str, Any]:
        rendered: dict[str, Any] = {}
        for callback in callbacks:
            route = callback.route
            methods = {method.lower(): self.operation(callback, method) for method in route.methods}
            rendered[route.name or ""] = {route.path: methods}
        return rendered


def _metadata(route: APIRoute) -> dict[str, Any]:
    """tags, summary, description, operationId, deprecated."""
    rendered: dict[str, Any] = {}
    if route.tags:
        rendered["tags"] = list(route.tags)
    rendered["summary"] = route.summary or (route.name or "").replace("_", " ").title()
    description = route.description or inspect.cleandoc(route.endpoint.__doc__ or "")
    # COMPAT: what follows a form feed is kept for the code's readers, out of the document.
    description = description.split("\f")[0].strip()
    if description:
        rendered["description"] = description
    rendered["operationId"] = route.unique_id
    if route.deprecated:
        rendered["deprecated"] = route.deprecated
    return rendered
