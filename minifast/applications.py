# How a request enters: the server calls `app(scope, receive, send)`. A "lifespan" scope runs
# start-up and shut-down (the `lifespan=` context manager, or on_startup/on_shutdown). Any other
# scope gets `scope["app"]` and enters the middleware stack, which is built on the first call
# and reused: server-error layer → user middleware → handled-exception layer → router → route.
# Everything here is registration: decorators add routes to the router, handlers and middleware
# to lists read when the stack is built. Nothing is parsed or inspected per request.
"""MiniFast (alias FastAPI): the application object and the ASGI entry."""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import AsyncIterator, Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from minifast import params
from minifast.concurrency import is_async_callable
from minifast.datastructures import State, URLPath
from minifast.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
    websocket_request_validation_exception_handler,
)
from minifast.exceptions import (
    HTTPException,
    RequestValidationError,
    WebSocketRequestValidationError,
)
from minifast.middleware import ExceptionMiddleware, Middleware, ServerErrorMiddleware, build_stack
from minifast.responses import Response
from minifast.routing import (
    APIRoute,
    APIRouter,
    BaseRoute,
    PathOperations,
    RouteOptions,
    generate_unique_id,
)
from minifast.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from typing_extensions import Unpack

F = TypeVar("F", bound=Callable[..., Any])
Lifespan = Callable[[Any], contextlib.AbstractAsyncContextManager[Any]]


class MiniFast(PathOperations):
    """The application: routes, middleware, exception handlers, lifespan, state."""

    def __init__(
        self,
        *,
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
        generate_unique_id_function: Callable[[APIRoute], str] = generate_unique_id,
        **extra: Any,
    ) -> None:
        self.debug = debug
        self.title, self.summary, self.description, self.version = (
            title,
            summary,
            description,
            version,
        )
        self.openapi_url, self.openapi_tags, self.servers = openapi_url, openapi_tags, servers or []
        self.docs_url, self.redoc_url = docs_url, redoc_url
        self.terms_of_service, self.contact, self.license_info = (
            terms_of_service,
            contact,
            license_info,
        )
        self.root_path = root_path
        self.extra = extra
        self.state = State()
        self.dependency_overrides: dict[Callable[..., Any], Callable[..., Any]] = {}
        self.router = APIRouter(
            routes=routes, redirect_slashes=redirect_slashes, dependencies=dependencies,
            default_response_class=default_response_class, responses=responses,
            deprecated=deprecated, include_in_schema=include_in_schema,
            generate_unique_id_function=generate_unique_id_function,
        )  # fmt: skip
        self.exception_handlers: dict[Any, Callable[..., Any]] = {
            HTTPException: http_exception_handler,
            RequestValidationError: request_validation_exception_handler,
            WebSocketRequestValidationError: websocket_request_validation_exception_handler,
            **(exception_handlers or {}),
        }
        self.user_middleware: list[Middleware] = list(middleware or [])
        self.middleware_stack: ASGIApp | None = None
        self.on_startup, self.on_shutdown = list(on_startup or []), list(on_shutdown or [])
        self.lifespan_context: Lifespan = lifespan or _handlers_lifespan

    # -- the ASGI entry -----------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        scope["app"] = self
        if self.root_path:
            scope["root_path"] = self.root_path
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        """Server errors outermost, user middleware, handled exceptions, then the router."""
        error_handler = None
        handled: dict[Any, Callable[..., Any]] = {}
        for key, handler in self.exception_handlers.items():
            if key in (500, Exception):
                error_handler = handler
            else:
                handled[key] = handler
        layers = [
            Middleware(ServerErrorMiddleware, handler=error_handler, debug=self.debug),
            *self.user_middleware,
            Middleware(ExceptionMiddleware, handlers=handled, debug=self.debug),
        ]
        return build_stack(self.router, layers)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI lifespan: start-up, wait for shut-down; failures are reported, then raised."""
        started = False
        await receive()  # ASGI: "lifespan.startup"
        try:
            async with self.lifespan_context(self) as state:
                if state is not None:
                    if "state" not in scope:
                        raise RuntimeError("the ASGI server does not support lifespan state")
                    scope["state"].update(state)
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()  # ASGI: "lifespan.shutdown"
        except BaseException:
            failed = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
            await send({"type": failed, "message": traceback.format_exc()})
            raise
        await send({"type": "lifespan.shutdown.complete"})

    # -- registration -------------------------------------------------------------------

    @property
    def routes(self) -> list[BaseRoute]:
        return self.router.routes

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

    def add_route(
        self,
        path: str,
        route: Callable[..., Any],
        methods: Sequence[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        self.router.add_route(path, route, methods, name, include_in_schema)

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
    ) -> None:
        self.router.include_router(
            router, prefix=prefix, tags=tags, dependencies=dependencies,
            default_response_class=default_response_class, responses=responses,
            deprecated=deprecated, include_in_schema=include_in_schema,
        )  # fmt: skip

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        self.router.mount(path, app, name)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return self.router.url_path_for(name, **path_params)

    def add_exception_handler(
        self, key: int | type[Exception], handler: Callable[..., Any]
    ) -> None:
        self.exception_handlers[key] = handler

    def exception_handler(self, key: int | type[Exception]) -> Callable[[F], F]:
        def decorator(handler: F) -> F:
            self.add_exception_handler(key, handler)
            return handler

        return decorator

    def add_middleware(self, cls: Callable[..., ASGIApp], *args: Any, **kwargs: Any) -> None:
        """Add a middleware layer; the last added is the outermost."""
        if self.middleware_stack is not None:
            raise RuntimeError("cannot add middleware after the application has started")
        self.user_middleware.insert(0, Middleware(cls, *args, **kwargs))

    def add_event_handler(self, event: str, func: Callable[[], Any]) -> None:
        handlers = {"startup": self.on_startup, "shutdown": self.on_shutdown}
        handlers[event].append(func)


@contextlib.asynccontextmanager
async def _handlers_lifespan(app: MiniFast) -> AsyncIterator[None]:
    """The lifespan when none is given: on_startup handlers, then on_shutdown ones."""
    for handler in app.on_startup:
        result = handler()
        if is_async_callable(handler):
            await result
    yield
    for handler in app.on_shutdown:
        result = handler()
        if is_async_callable(handler):
            await result


FastAPI = MiniFast
