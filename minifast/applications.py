# How a request enters: MiniFast is the toolkit's application (toolkit.py: scope["app"], the
# middleware stack built on the first call, the router, the lifespan) with the typed layer on
# top. What it adds is registration: path operations compiled into plans when decorated, the
# OpenAPI document and the docs pages as plain routes, dependency overrides, FastAPI's default
# exception handlers, and telemetry around the stack once OpenTelemetry is configured.
# Nothing is parsed or inspected per request.
# The rule: the app registers and assembles; it never runs a plan or reads a request itself.
"""MiniFast (alias FastAPI): the toolkit's Starlette plus path operations and OpenAPI."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from minifast import params
from minifast._decorators import PathOperations, RouteOptions
from minifast.contract import DEFAULT_MAX_BODY_SIZE, DependencyOverrides
from minifast.datastructures import State
from minifast.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
    websocket_request_validation_exception_handler,
)
from minifast.exceptions import (
    FastAPIDeprecationWarning,
    HTTPException,
    RequestValidationError,
    WebSocketRequestValidationError,
)
from minifast.lifespan import Lifespan
from minifast.lifespan_dependencies import LifespanDependencies
from minifast.middleware import Middleware
from minifast.middleware.base import BaseHTTPMiddleware
from minifast.requests import Request
from minifast.responses import JSONResponse, Response
from minifast.routing import (
    APIRoute,
    APIRouter,
    BaseRoute,
    generate_unique_id,
)
from minifast.telemetry._data import TelemetryConfig, telemetry_config
from minifast.telemetry._gate import is_observed, make_observer, require_opentelemetry
from minifast.telemetry._gate import lifespan as telemetry_lifespan
from minifast.toolkit import Starlette as Starlette  # COMPAT: starlette.applications' name
from minifast.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    import os
    from typing import Literal

    from typing_extensions import Unpack

    from minifast.frontend import Fallback
    from minifast.openapi.docs import SwaggerUIAssets

F = TypeVar("F", bound=Callable[..., Any])


class MiniFast(Starlette, PathOperations):
    """The application: the toolkit's Starlette, with path operations and OpenAPI."""

    router: APIRouter

    def __init__(
        self,
        *,
        telemetry: TelemetryConfig | None = None,
        debug: bool = False,
        routes: list[BaseRoute] | None = None,
        title: str = "FastAPI",
        summary: str | None = None,
        description: str = "",
        version: str = "0.1.0",
        openapi_url: str | None = "/openapi.json",
        openapi_tags: list[dict[str, Any]] | None = None,
        servers: list[dict[str, Any]] | None = None,
        dependencies: Sequence[params.Depends] | None = None,
        default_response_class: type[Response] | None = None,
        redirect_slashes: bool = True,
        docs_url: str | None = "/docs",
        redoc_url: str | None = "/redoc",
        middleware: Sequence[Middleware] | None = None,
        exception_handlers: dict[Any, Callable[..., Any]] | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan | None = None,
        terms_of_service: str | None = None,
        contact: dict[str, Any] | None = None,
        license_info: dict[str, Any] | None = None,
        root_path: str = "",
        responses: dict[int | str, dict[str, Any]] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        callbacks: list[BaseRoute] | None = None,
        openapi_external_docs: dict[str, Any] | None = None,
        generate_unique_id_function: Callable[[APIRoute], str] = generate_unique_id,
        swagger_ui_oauth2_redirect_url: str | None = "/docs/oauth2-redirect",
        swagger_ui_init_oauth: dict[str, Any] | None = None,
        swagger_ui_parameters: dict[str, Any] | None = None,
        swagger_ui_assets: SwaggerUIAssets = "auto",  # not in FastAPI: see openapi/docs.py
        max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,  # not in FastAPI; None: no limit
        strict_content_type: bool = True,
        webhooks: APIRouter | None = None,
        separate_input_output_schemas: bool = True,
        root_path_in_servers: bool = True,
        **extra: Any,
    ) -> None:
        self.debug = debug
        # The document's metadata, read when it is first built (FastAPI's attribute names).
        self.title, self.summary, self.description = title, summary, description
        self.version, self.terms_of_service = version, terms_of_service
        self.contact, self.license_info = contact, license_info
        self.openapi_url, self.openapi_tags, self.servers = openapi_url, openapi_tags, servers or []
        self.openapi_external_docs = openapi_external_docs
        self.docs_url, self.redoc_url = docs_url, redoc_url
        self.swagger_ui_oauth2_redirect_url = swagger_ui_oauth2_redirect_url
        self.swagger_ui_init_oauth = swagger_ui_init_oauth
        self.swagger_ui_parameters = swagger_ui_parameters
        if root_path:
            # COMPAT: FastAPI 0.163 deprecates it: the server knows the path it is mounted at.
            message = "The `root_path` parameter is deprecated: set the root path in the server"
            message += " instead (`uvicorn --root-path /api/v1`, or `fastapi run --root-path`)."
            warnings.warn(message, FastAPIDeprecationWarning, stacklevel=2)
        self.root_path = root_path
        self.extra = extra
        # The toolkit's attributes (see toolkit.Starlette), set here as the router differs.
        self.state = State()
        self.max_body_size = None  # no app-wide layer: each route enforces its own limit
        self.dependency_overrides = DependencyOverrides()
        self.lifespan_dependencies = LifespanDependencies()
        self.router = APIRouter(
            routes=routes, redirect_slashes=redirect_slashes, dependencies=dependencies,
            default_response_class=default_response_class, responses=responses,
            deprecated=deprecated, include_in_schema=include_in_schema,
            generate_unique_id_function=generate_unique_id_function,
            max_body_size=max_body_size, strict_content_type=strict_content_type,
            on_startup=on_startup, on_shutdown=on_shutdown, lifespan=lifespan, callbacks=callbacks,
        )  # fmt: skip
        self.exception_handlers: dict[Any, Callable[..., Any]] = {
            HTTPException: http_exception_handler,
            RequestValidationError: request_validation_exception_handler,
            WebSocketRequestValidationError: websocket_request_validation_exception_handler,
            **(exception_handlers or {}),
        }
        self.user_middleware = list(middleware or [])
        self.middleware_stack = None
        self.on_startup, self.on_shutdown = self.router.on_startup, self.router.on_shutdown
        self.openapi_version = "3.1.0"
        self.openapi_schema: dict[str, Any] | None = None
        self.webhooks = webhooks or APIRouter()
        self.separate_input_output_schemas = separate_input_output_schemas
        self.root_path_in_servers = root_path_in_servers
        self._add_openapi_route()
        self._add_docs_routes(swagger_ui_assets)  # after it, in FastAPI's order
        # COMPAT: observed once OpenTelemetry has a provider (given, or set globally at any
        # time); the observing layers are made by the first observed request (telemetry/_gate).
        self._telemetry = telemetry_config(telemetry)
        self._observer: ASGIApp | None = None
        if telemetry is not None:
            require_opentelemetry()

    # -- the OpenAPI document ---------------------------------------------------------------

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document, built on first use and kept in `openapi_schema`."""
        if not self.openapi_schema:
            # PERF: the generator is imported by the first request for the document, not with
            # minifast: -3 ms of start-up.
            from minifast.openapi.utils import get_openapi

            self.openapi_schema = get_openapi(
                title=self.title, version=self.version, openapi_version=self.openapi_version,
                summary=self.summary, description=self.description,
                terms_of_service=self.terms_of_service, contact=self.contact,
                license_info=self.license_info, routes=self.routes,
                webhooks=self.webhooks.routes, tags=self.openapi_tags, servers=self.servers,
                separate_input_output_schemas=self.separate_input_output_schemas,
                external_docs=self.openapi_external_docs,
            )  # fmt: skip
        return self.openapi_schema

    def _add_openapi_route(self) -> None:
        """Serve the document at `openapi_url` (None: not at all), as a plain route."""
        if not self.openapi_url:  # COMPAT: "" turns the document off, as None does
            return

        async def openapi(request: Request) -> JSONResponse:
            # COMPAT: a root path the servers do not list yet is listed first, in this answer
            # only (the cached document stays as built), as in FastAPI.
            document = self.openapi()
            root_path = request.scope.get("root_path", "").rstrip("/")
            servers = document.get("servers", [])
            urls = {server.get("url") for server in servers}
            if root_path and self.root_path_in_servers and root_path not in urls:
                document = {**document, "servers": [{"url": root_path}, *servers]}
            return JSONResponse(document)

        self.router.add_route(self.openapi_url, openapi, include_in_schema=False)

    def _add_docs_routes(self, assets: SwaggerUIAssets) -> None:
        """/docs, its OAuth2 redirect page and /redoc: plain routes, left out of the schema.

        COMPAT: as in FastAPI, a URL set to None turns its page off, and so does no openapi_url.
        """
        if not self.openapi_url:
            return
        from minifast.openapi import docs  # PERF: only apps that serve docs import it: -1 ms

        docs_url, redirect_url = self.docs_url, self.swagger_ui_oauth2_redirect_url
        # The local files (ReDoc's script too) are served below /docs: with no /docs, the CDN.
        plan = docs.compile_swagger_ui_assets(assets if docs_url else "cdn", docs_url or "/")
        if docs_url:
            self.add_route(
                docs_url, docs.swagger_ui_endpoint(self, plan), None, "swagger_ui_html", False
            )
            if redirect_url:
                self.add_route(
                    redirect_url, docs.swagger_ui_redirect, None, "swagger_ui_redirect", False
                )
            if plan.is_local:
                endpoint = docs.swagger_ui_assets_endpoint(plan)
                self.add_route(plan.files_url, endpoint, None, "swagger_ui_assets", False)
        if self.redoc_url:
            self.add_route(
                self.redoc_url, docs.redoc_endpoint(self, plan), None, "redoc_html", False
            )

    # -- the ASGI entry -----------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.root_path:
            scope["root_path"] = self.root_path
        if scope["type"] == "lifespan":  # telemetry may add exporters at start-up
            await telemetry_lifespan(config=self._telemetry, app=super().__call__, scope=scope,
                                     receive=receive, send=send)  # fmt: skip
            return
        # What Starlette.__call__ does, written out: one call frame fewer per request.
        scope["app"] = self
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        # PERF: until OpenTelemetry is imported no provider can be configured: one dict lookup.
        if sys.modules.get("opentelemetry") is not None and is_observed(self._telemetry, scope):
            if self._observer is None:
                self._observer = make_observer(self, self._telemetry)
            await self._observer(scope, receive, send)
            return
        await self.middleware_stack(scope, receive, send)

    # -- registration -------------------------------------------------------------------

    @property
    def dependency_overrides(self) -> DependencyOverrides:
        """Dependencies to call instead of others, e.g. a test database for the real one."""
        return self._dependency_overrides

    @dependency_overrides.setter
    def dependency_overrides(
        self, overrides: Mapping[Callable[..., Any], Callable[..., Any]]
    ) -> None:
        self._dependency_overrides = DependencyOverrides(overrides)

    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Sequence[str] | None = None,
        **options: Unpack[RouteOptions],
    ) -> None:
        self.router.add_api_route(path, endpoint, methods=methods, **options)

    def api_route(
        self, path: str, *, methods: Sequence[str] | None = None, **options: Unpack[RouteOptions]
    ) -> Callable[[F], F]:
        return self.router.api_route(path, methods=methods, **options)

    def include_router(
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        dependencies: Sequence[params.Depends] | None = None,
        default_response_class: type[Response] | None = None,
        responses: dict[int | str, dict[str, Any]] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        callbacks: list[BaseRoute] | None = None,
        generate_unique_id_function: Callable[[APIRoute], str] | None = None,
    ) -> None:
        self.router.include_router(
            router, prefix=prefix, tags=tags, dependencies=dependencies,
            default_response_class=default_response_class, responses=responses,
            deprecated=deprecated, include_in_schema=include_in_schema, callbacks=callbacks,
            generate_unique_id_function=generate_unique_id_function,
        )  # fmt: skip

    def add_api_websocket_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        name: str | None = None,
        *,
        dependencies: Sequence[params.Depends] | None = None,
    ) -> None:
        self.router.add_api_websocket_route(path, endpoint, name, dependencies=dependencies)

    def websocket(
        self,
        path: str,
        name: str | None = None,
        *,
        dependencies: Sequence[params.Depends] | None = None,
    ) -> Callable[[F], F]:
        return self.router.websocket(path, name, dependencies=dependencies)

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        self.router.mount(path, app, name)

    def frontend(
        self,
        path: str,
        *,
        directory: str | os.PathLike[str],
        fallback: Fallback = "auto",
        check_dir: bool | Literal["auto"] = "auto",
    ) -> None:
        self.router.frontend(path, directory=directory, fallback=fallback, check_dir=check_dir)

    def exception_handler(self, key: int | type[Exception]) -> Callable[[F], F]:
        def decorator(handler: F) -> F:
            self.add_exception_handler(key, handler)
            return handler

        return decorator

    def middleware(self, middleware_type: str) -> Callable[[F], F]:
        """`@app.middleware("http")`: `async def f(request, call_next) -> Response`."""
        if middleware_type != "http":
            raise ValueError('only "http" middleware functions are supported')

        def decorator(dispatch: F) -> F:
            self.add_middleware(BaseHTTPMiddleware, dispatch=dispatch)
            return dispatch

        return decorator

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        self.router.add_event_handler(event_type, func)

    def on_event(self, event_type: str) -> Callable[[F], F]:
        return self.router.on_event(event_type)


FastAPI = MiniFast
