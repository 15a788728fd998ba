"""The options every route decorator takes, declared once, and the decorators built on them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from minifast import params
from minifast.responses import Response

if TYPE_CHECKING:
    from typing_extensions import Unpack

F = TypeVar("F", bound=Callable[..., Any])


class Inherit(Enum):
    """A router option left unset (`max_body_size`, ...): its routes take the including router's."""

    INHERIT = "inherit"


class RouteOptions(TypedDict, total=False):
    """The options every route decorator takes, declared once and forwarded."""

    response_model: Any
    status_code: int | None
    tags: list[str | Enum] | None
    dependencies: Sequence[params.Depends] | None
    summary: str | None
    description: str | None
    response_description: str
    responses: dict[int | str, dict[str, Any]] | None
    deprecated: bool | None
    operation_id: str | None
    response_model_include: Any
    response_model_exclude: Any
    response_model_by_alias: bool
    response_model_exclude_unset: bool
    response_model_exclude_defaults: bool
    response_model_exclude_none: bool
    include_in_schema: bool
    response_class: type[Response]
    name: str | None
    callbacks: list[Any] | None
    openapi_extra: dict[str, Any] | None
    generate_unique_id_function: Callable[[Any], str]  # gets the APIRoute
    max_body_size: int | None  # not in FastAPI: past it, 413; None lifts the limit
    strict_content_type: bool  # False: a body with no Content-Type is read as JSON


class PathOperations:
    """The verb decorators and the plain-route ones, written once for APIRouter and MiniFast."""

    def api_route(
        self, path: str, *, methods: Sequence[str] | None = None, **options: Unpack[RouteOptions]
    ) -> Callable[[F], F]:
        raise NotImplementedError  # pragma: no cover - each class defines it

    def add_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Sequence[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        raise NotImplementedError  # pragma: no cover - each class defines it

    def add_websocket_route(
        self, path: str, endpoint: Callable[..., Any], name: str | None = None
    ) -> None:
        raise NotImplementedError  # pragma: no cover - each class defines it

    def route(
        self,
        path: str,
        methods: Sequence[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> Callable[[F], F]:
        """`@app.route(path)`: a plain route, as `add_route` adds it."""

        def decorator(endpoint: F) -> F:
            self.add_route(path, endpoint, methods, name, include_in_schema)
            return endpoint

        return decorator

    def websocket_route(self, path: str, name: str | None = None) -> Callable[[F], F]:
        """`@app.websocket_route(path)`: a plain websocket route, as `add_websocket_route`."""

        def decorator(endpoint: F) -> F:
            self.add_websocket_route(path, endpoint, name)
            return endpoint

        return decorator

    def get(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["GET"], **options)

    def put(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["PUT"], **options)

    def post(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["POST"], **options)

    def delete(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["DELETE"], **options)

    def options(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["OPTIONS"], **options)

    def head(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["HEAD"], **options)

    def patch(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["PATCH"], **options)

    def trace(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["TRACE"], **options)
