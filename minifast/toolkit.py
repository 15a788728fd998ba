# How a request enters the toolkit's application: the server calls `app(scope, receive, send)`.
# The app puts itself in scope["app"] and hands the connection to its middleware stack, built
# on the first call and reused: server-error layer → (body limit) → user middleware →
# handled-exception layer → router. The lifespan scope takes the same way down: the router
# runs the `lifespan=` context. Nothing here knows parameters, validation or OpenAPI; that is
# the typed layer's, which builds MiniFast (applications.py) on this class.
# The rule: the toolkit imports nothing typed and no pydantic (tests/test_layers.py checks).
"""`Starlette`: the ASGI toolkit's application: routes, middleware, exception handlers, state."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from minifast.datastructures import State, URLPath
from minifast.lifespan import Lifespan
from minifast.middleware import Middleware, build_stack
from minifast.middleware.body_limit import RequestBodyLimitMiddleware
from minifast.middleware.errors import ServerErrorMiddleware
from minifast.middleware.exceptions import ExceptionMiddleware
from minifast.plain_routes import BaseRoute
from minifast.router import Router
from minifast.types import ASGIApp, Receive, Scope, Send

ExceptionHandler = Callable[..., Any]  # (request, exc) -> Response, sync or async


class Starlette:
    """The toolkit's application. COMPAT: named as the class FastAPI builds on, so that code
    written for it (and `isinstance` checks in extensions) works unchanged."""

    def __init__(
        self,
        debug: bool = False,
        routes: Sequence[BaseRoute] | None = None,
        middleware: Sequence[Middleware] | None = None,
        exception_handlers: Mapping[Any, ExceptionHandler] | None = None,
        lifespan: Lifespan | None = None,
        *,
        max_body_size: int | None = None,
    ) -> None:
        self.debug = debug
        self.state = State()
        self.router: Router = Router(routes, lifespan=lifespan)
        self.max_body_size = max_body_size
        self.exception_handlers: dict[Any, ExceptionHandler] = dict(exception_handlers or {})
        self.user_middleware: list[Middleware] = list(middleware or [])
        self.middleware_stack: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        if self.middleware_stack is None:
            # COMPAT: built by the first call (the lifespan's, under a server), so that
            # add_middleware after start-up raises.
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        """The layers around the router (see middleware_layers), built once."""
        return build_stack(self.router.middleware_stack, self.middleware_layers())

    def middleware_layers(self) -> list[Middleware]:
        """Server errors outermost, the body limit, user middleware, handled exceptions."""
        error_handler = None
        handled: dict[Any, ExceptionHandler] = {}
        for key, handler in self.exception_handlers.items():
            if key in (500, Exception):
                error_handler = handler
            else:
                handled[key] = handler
        layers = [Middleware(ServerErrorMiddleware, handler=error_handler, debug=self.debug)]
        if self.max_body_size is not None:
            layers.append(Middleware(RequestBodyLimitMiddleware, max_body_size=self.max_body_size))
        layers += self.user_middleware
        layers.append(Middleware(ExceptionMiddleware, handlers=handled, debug=self.debug))
        return layers

    # -- registration -------------------------------------------------------------------

    @property
    def routes(self) -> list[BaseRoute]:
        return self.router.routes

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return self.router.url_path_for(name, **path_params)

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        self.router.mount(path, app, name)

    def host(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        self.router.host(host, app, name)

    def add_middleware(self, cls: Callable[..., ASGIApp], *args: Any, **kwargs: Any) -> None:
        """Add a middleware layer; the last added is the outermost."""
        if self.middleware_stack is not None:
            raise RuntimeError("Cannot add middleware after an application has started")
        self.user_middleware.insert(0, Middleware(cls, *args, **kwargs))

    def add_exception_handler(self, key: int | type[Exception], handler: ExceptionHandler) -> None:
        self.exception_handlers[key] = handler

    def add_route(
        self,
        path: str,
        route: Callable[..., Any],
        methods: Sequence[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        self.router.add_route(path, route, methods, name, include_in_schema)

    def add_websocket_route(
        self, path: str, route: Callable[..., Any], name: str | None = None
    ) -> None:
        self.router.add_websocket_route(path, route, name)
