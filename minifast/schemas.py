"""An OpenAPI document from routes and their docstrings, Starlette's schema generator.

Each endpoint describes its own operation in YAML, after a `---` line in its docstring; the
generator walks the routes (into mounts and hosts, with their path prefixes), and files each
docstring under its path and method. pyyaml is needed only once a docstring is read or a
document rendered, so it stays an optional dependency. Routes are read by duck typing: a
route has `path`, `endpoint`, `methods` and `include_in_schema`; a mount or host has `routes`.
This is the toolkit's hand-written schema; MiniFast's /openapi.json comes from openapi/.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from minifast.requests import Request
from minifast.responses import Response

# COMPAT: the operations Starlette reads from an endpoint class, in its order. A function
# route's methods (a set) are listed in this order too, then any other alphabetically.
_CLASS_OPERATIONS = ("get", "post", "put", "patch", "delete", "options")
_OPERATION_ORDER = {name.upper(): index for index, name in enumerate(_CLASS_OPERATIONS)}
# `{id:int}` → `{id}`: OpenAPI paths name parameters without minifast's convertors.
_CONVERTOR = re.compile(r"\{(\w+):\w+\}")


def _yaml(feature: str) -> Any:
    """The pyyaml module, imported on first use: it is optional."""
    try:
        return importlib.import_module("yaml")
    except ImportError:
        raise RuntimeError(f"pyyaml must be installed to use {feature}") from None


class OpenAPIResponse(Response):
    """A schema dict, sent as YAML."""

    media_type = "application/vnd.oai.openapi"

    def render(self, content: Any) -> bytes:
        assert isinstance(content, dict), (
            "The schema passed to OpenAPIResponse should be a dictionary."
        )
        document: str = _yaml("OpenAPIResponse").dump(content, default_flow_style=False)
        return document.encode("utf-8")


class EndpointInfo(NamedTuple):
    """One operation: its path (convertors removed), lowercase method, and handler."""

    path: str
    http_method: str
    func: Callable[..., Any]


class BaseSchemaGenerator:
    """Finds the endpoints behind routes; subclasses decide what a schema holds."""

    def get_schema(self, routes: Iterable[Any]) -> dict[str, Any]:
        raise NotImplementedError()

    def get_endpoints(self, routes: Iterable[Any]) -> list[EndpointInfo]:
        """Every operation the routes serve, mounts and hosts followed, in route order."""
        endpoints: list[EndpointInfo] = []
        for route in routes:
            if hasattr(route, "routes"):
                endpoints.extend(self._endpoints_below(route))
            elif _is_documented_http_route(route):
                endpoints.extend(_endpoints_of(route))
        return endpoints

    def _endpoints_below(self, container: Any) -> list[EndpointInfo]:
        # A host matches on the domain, adding nothing to the path; a mount adds its prefix.
        prefix = "" if hasattr(container, "host") else _without_convertors(container.path)
        below = self.get_endpoints(container.routes or [])
        return [endpoint._replace(path=prefix + endpoint.path) for endpoint in below]

    def parse_docstring(self, func_or_method: Callable[..., Any]) -> dict[str, Any]:
        """The YAML after the last `---` of the docstring, or {} if it is not a mapping."""
        docstring = func_or_method.__doc__
        if not docstring:
            return {}
        parsed = _yaml("parse_docstring").safe_load(docstring.split("---")[-1])
        return parsed if isinstance(parsed, dict) else {}

    def OpenAPIResponse(self, request: Request) -> Response:
        """The schema of the app serving `request`, as a YAML response; use it as an endpoint."""
        return OpenAPIResponse(self.get_schema(routes=request.app.routes))


class SchemaGenerator(BaseSchemaGenerator):
    """`base_schema` (openapi, info...) with a path item for each documented endpoint."""

    def __init__(self, base_schema: dict[str, Any]) -> None:
        self.base_schema = base_schema

    def get_schema(self, routes: Iterable[Any]) -> dict[str, Any]:
        schema = dict(self.base_schema)
        # Copied, so that building the schema twice never edits `base_schema`'s own paths.
        paths = {path: dict(item) for path, item in schema.get("paths", {}).items()}
        for endpoint in self.get_endpoints(routes):
            operation = self.parse_docstring(endpoint.func)
            if operation:
                paths.setdefault(endpoint.path, {})[endpoint.http_method] = operation
        schema["paths"] = paths
        return schema


def _is_documented_http_route(route: Any) -> bool:
    # Starlette's websocket routes have no `include_in_schema`; minifast's say their scope types.
    return (
        bool(getattr(route, "include_in_schema", False))
        and hasattr(route, "endpoint")
        and "http" in getattr(route, "scope_types", ("http",))
    )


def _endpoints_of(route: Any) -> list[EndpointInfo]:
    path = _without_convertors(route.path)
    endpoint = route.endpoint
    if inspect.isfunction(endpoint) or inspect.ismethod(endpoint):
        # A HEAD is the GET without its body: nothing of its own to document.
        methods = sorted(set(route.methods or ["GET"]) - {"HEAD"}, key=_operation_rank)
        return [EndpointInfo(path, method.lower(), endpoint) for method in methods]
    # An endpoint class (HTTPEndpoint): one operation per handler method it defines.
    return [
        EndpointInfo(path, name, getattr(endpoint, name))
        for name in _CLASS_OPERATIONS
        if hasattr(endpoint, name)
    ]


def _operation_rank(method: str) -> tuple[int, str]:
    return _OPERATION_ORDER.get(method, len(_OPERATION_ORDER)), method


def _without_convertors(path: str) -> str:
    return _CONVERTOR.sub(r"{\1}", path)
