# How routing works: each path template is compiled at registration into one index (see
# _paths.py), so a lookup costs the path's depth, not the number of routes. COMPAT: where two
# templates match, the one registered first wins; a path that matches only with another method
# answers 405 with that route's `Allow`. A path that matches nothing answers 404, unless the
# same path with the trailing slash added or removed would match: then a 307 to it. The match
# adds the path parameters (and, for a mount, the root path) to the scope; the route takes over.
# A route the index cannot answer for (a Host, or a class with its own `matches`) switches the
# router to asking each route in turn, the routing protocol's way.
# The rule: the router knows paths and routes, never a plan, a parameter or a response model.
"""The toolkit's Router, and the routes that contain other apps: Mount and Host."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from minifast._paths import PathIndex, compile_template, route_path
from minifast.datastructures import URL, Headers, URLPath
from minifast.exceptions import HTTPException
from minifast.lifespan import Lifespan, compile_lifespan
from minifast.middleware.body_limit import RequestBodyLimitMiddleware
from minifast.plain_routes import (
    BaseRoute,
    Match,
    NoMatchFound,
    Route,
    WebSocketRoute,
    match_template,
    refuse,
)
from minifast.requests import unreadable
from minifast.responses import PlainTextResponse, RedirectResponse
from minifast.types import ASGIApp, Receive, Scope, Send

# The route chosen, what it adds to the scope (see Router._choose), and whether the method
# matched too (full).
# PERF: a bool, not Match: an enum member costs a lookup on each use.
Chosen = tuple[BaseRoute | None, Mapping[str, Any], bool]
_NO_ROUTE: Chosen = (None, {}, False)


class Router:
    """Routes in order, found by path; an ASGI app of its own, and the lifespan's owner."""

    def __init__(
        self,
        routes: Sequence[BaseRoute] | None = None,
        redirect_slashes: bool = True,
        default: ASGIApp | None = None,
        lifespan: Lifespan | None = None,
        *,
        middleware: Sequence[Any] | None = None,
        max_body_size: int | None = None,
    ) -> None:
        self.routes: list[BaseRoute] = []
        self.redirect_slashes = redirect_slashes
        # What answers a request no route takes, after the slash redirect.
        self.default: ASGIApp = self.not_found if default is None else default
        self.lifespan_context: Lifespan = compile_lifespan(lifespan, [], [])
        self._index: PathIndex[BaseRoute] = PathIndex()
        self._indexed = 0  # how many of self.routes the index holds
        self._by_matching = False  # True once a route needs asking (see _indexable)
        for route in routes or []:
            self.add_route_object(route)
        # PERF: the app's stack calls this directly, one call fewer per request than __call__.
        self.middleware_stack: ASGIApp = self.app
        for cls, args, kwargs in reversed(middleware or []):
            self.middleware_stack = cls(self.middleware_stack, *args, **kwargs)
        if max_body_size is not None:
            self.middleware_stack = RequestBodyLimitMiddleware(self.middleware_stack, max_body_size)

    # -- registration -------------------------------------------------------------------

    def add_route_object(self, route: BaseRoute) -> None:
        """Register an already built route: keep it in order and index it."""
        self.routes.append(route)
        self._reindex()

    def add_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Sequence[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        route = Route(
            path, endpoint, methods=methods, name=name, include_in_schema=include_in_schema
        )
        self.add_route_object(route)

    def add_websocket_route(
        self, path: str, endpoint: Callable[..., Any], name: str | None = None
    ) -> None:
        self.add_route_object(WebSocketRoute(path, endpoint, name=name))

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        self.add_route_object(Mount(path, app, name=name))

    def host(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        self.add_route_object(Host(host, app, name=name))

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)

    def _reindex(self) -> None:
        """Index the routes not indexed yet (all of them again if the list was edited)."""
        if len(self.routes) < self._indexed:
            self._index, self._indexed, self._by_matching = PathIndex(), 0, False
        for route in self.routes[self._indexed :]:
            if _indexable(route):
                self._index.add(route.path, route, prefix_only=isinstance(route, Mount))
            else:
                self._by_matching = True
        self._indexed = len(self.routes)

    # -- the ASGI side ------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.middleware_stack(scope, receive, send)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch: the lifespan, or the route that takes this request."""
        if scope["type"] == "lifespan":
            await self.lifespan(scope, receive, send)
            return
        # COMPAT: the outermost router stays scope["router"], even inside a mounted app.
        if "router" not in scope:
            scope["router"] = self
            problem = unreadable(scope)  # checked once, by the outermost router
            if problem is not None:
                await _refuse_unreadable(scope, receive, send, problem)
                return
        if self._indexed != len(self.routes):  # routes appended to the list by hand
            self._reindex()
        route, found, full = self._choose(scope)
        if route is None:
            await self._unmatched(scope, receive, send)
            return
        if self._by_matching:
            scope.update(found)  # the child scope the route's `matches` gave
        else:
            route.enter(scope, found)  # the path parameters the index found
        scope["route"] = route
        if not full and route.methods is not None:
            await refuse(scope, receive, send, 405, {"Allow": ", ".join(sorted(route.methods))})
        else:
            await route.handle(scope, receive, send)

    def _choose(self, scope: Scope) -> Chosen:
        """The first route taking path and method; else the first taking the path only.

        By the index: the route and its path parameters. By asking each route: the route and
        the child scope its `matches` gave.
        """
        if self._by_matching:
            return _ask_each(self.routes, scope)
        kind, method = scope["type"], scope.get("method")
        partial: Chosen = _NO_ROUTE
        for _, route, path_params in self._index.find(route_path(scope)):
            if kind not in route.scope_types:
                continue
            if route.methods is None or method in route.methods:
                return route, path_params, True
            if partial[0] is None:
                partial = (route, path_params, False)
        return partial

    async def _unmatched(self, scope: Scope, receive: Receive, send: Send) -> None:
        """No route: a redirect to the path's slash twin if that one matches, else default."""
        if scope["type"] == "http" and self._slash_twin_matches(scope):
            await _redirect_to_twin(scope, receive, send)
        else:
            await self.default(scope, receive, send)

    async def not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The default answer when no route matched: 404, or a websocket closed."""
        await refuse(scope, receive, send, 404, None)

    def _slash_twin_matches(self, scope: Scope) -> bool:
        path = route_path(scope)
        if not self.redirect_slashes or path == "/":
            return False
        twin = path.rstrip("/") if path.endswith("/") else path + "/"
        if self._by_matching:
            twin_scope = {**scope, "path": scope["path"][: len(scope["path"]) - len(path)] + twin}
            return _ask_each(self.routes, twin_scope)[0] is not None
        return any("http" in route.scope_types for _, route, _ in self._index.find(twin))

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI lifespan: start-up, wait for shut-down; failures are reported, then raised."""
        app = scope.get("app")
        started = False
        await receive()  # ASGI: "lifespan.startup"
        try:
            async with self.lifespan_context(app) as state, self.serving(app):
                if state is not None:
                    if "state" not in scope:
                        raise RuntimeError("the ASGI server does not support lifespan state")
                    scope["state"].update(state)
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()  # ASGI: "lifespan.shutdown"
        except BaseException:
            import traceback  # PERF: only a failed start-up or shut-down needs it

            failed = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
            await send({"type": failed, "message": traceback.format_exc()})
            raise
        await send({"type": "lifespan.shutdown.complete"})

    def serving(self, app: Any) -> AbstractAsyncContextManager[Any]:
        """What runs while the app serves, inside the lifespan: nothing, in the toolkit.

        The typed layer's APIRouter starts its lifespan-scoped dependencies here.
        """
        return nullcontext()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Router) and self.routes == other.routes

    __hash__ = object.__hash__


def _indexable(route: BaseRoute) -> bool:
    """Whether the index answers for this route as its `matches` would: the route keeps the
    protocol's default matching (Mount does too: it only changes match_path and child_scope)."""
    return type(route).matches is BaseRoute.matches and isinstance(
        getattr(route, "path", None), str
    )


def _ask_each(routes: list[BaseRoute], scope: Scope) -> Chosen:
    """The routing protocol: ask each route in order; the first full match wins."""
    partial: Chosen = _NO_ROUTE
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return route, child, True
        if match is Match.PARTIAL and partial[0] is None:
            partial = (route, child, False)
    return partial


async def _refuse_unreadable(scope: Scope, receive: Receive, send: Send, problem: str) -> None:
    """400 through the app's exception handlers when there is an app; a websocket: 1008."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": problem})
    elif "app" in scope:
        raise HTTPException(400, problem)
    else:
        await PlainTextResponse(problem, 400)(scope, receive, send)


async def _redirect_to_twin(scope: Scope, receive: Receive, send: Send) -> None:
    path: str = scope["path"]
    twin = path.rstrip("/") if path.endswith("/") else path + "/"
    url = URL(scope={**scope, "path": twin})
    await RedirectResponse(url=str(url))(scope, receive, send)


class Mount(BaseRoute):
    """Any ASGI app (or a list of routes) under a path prefix; the prefix moves into
    `root_path`, so the app sees the paths below it."""

    scope_types = frozenset({"http", "websocket"})

    def __init__(
        self,
        path: str,
        app: ASGIApp | None = None,
        routes: Sequence[BaseRoute] | None = None,
        name: str | None = None,
        *,
        middleware: Sequence[Any] | None = None,
    ) -> None:
        if path and not path.startswith("/"):
            raise ValueError("a mount path must start with '/'")
        if app is None and routes is None:
            raise ValueError("a mount needs an app or routes")
        self.path = path.rstrip("/")
        self._base_app: ASGIApp = Router(routes) if app is None else app
        self.app = self._base_app
        for cls, args, kwargs in reversed(middleware or []):
            self.app = cls(self.app, *args, **kwargs)
        self.name = name
        self.template = compile_template(self.path)
        self._with_rest = compile_template(self.path + "/{path:path}")

    @property
    def routes(self) -> list[BaseRoute]:
        return list(getattr(self._base_app, "routes", []))

    def match_path(self, path: str) -> dict[str, Any] | None:
        # As the index matches a mount: its template, then "/" and anything, kept as "path".
        return match_template(self._with_rest, path)

    def child_scope(self, scope: Scope, path_params: Mapping[str, Any]) -> Scope:
        # What the prefix consumed joins root_path; the rest of the path is the app's.
        params = dict(path_params)
        remaining = "/" + params.pop("path")
        path = route_path(scope)
        root_path = scope.get("root_path", "")
        return {
            "path_params": {**scope.get("path_params", {}), **params},
            "app_root_path": scope.get("app_root_path", root_path),
            "root_path": root_path + path[: len(path) - len(remaining)],
            "endpoint": self.app,
        }

    def enter(self, scope: Scope, path_params: Mapping[str, Any]) -> None:
        scope.update(self.child_scope(scope, path_params))

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        def under_prefix(prefix: str, path: str, protocol: str, host: str) -> URLPath:
            return URLPath(prefix + "/" + path.lstrip("/"), protocol, host)

        return _contained_url(self, name, path_params, under_prefix)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mount) and (self.path, self.app) == (other.path, other.app)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={self.path!r}, name={self.name!r}, app={self.app!r})"


class Host(BaseRoute):
    """An ASGI app for requests whose Host header fits a template, e.g. "{sub}.example.org"."""

    scope_types = frozenset({"http", "websocket"})

    def __init__(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        if host.startswith("/"):
            raise ValueError("a host must not start with '/'")
        self.host = host
        self.app = app
        self.name = name
        self.path = ""  # a Host matches by host, not by path: routers ask it (see _indexable)
        self.template = compile_template(host)

    @property
    def routes(self) -> list[BaseRoute]:
        return list(getattr(self.app, "routes", []))

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] not in self.scope_types:
            return Match.NONE, {}
        host = _hostname(Headers(raw=scope["headers"]).get("host", ""))
        path_params = self.match_path(host)
        if path_params is None:
            return Match.NONE, {}
        child = {"path_params": {**scope.get("path_params", {}), **path_params}}
        return Match.FULL, {**child, "endpoint": self.app}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        def on_host(host: str, path: str, protocol: str, _: str) -> URLPath:
            return URLPath(path, protocol, host)

        return _contained_url(self, name, path_params, on_host)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Host) and (self.host, self.app) == (other.host, other.app)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"{type(self).__name__}(host={self.host!r}, name={self.name!r}, app={self.app!r})"


def _contained_url(
    container: Mount | Host,
    name: str,
    path_params: dict[str, Any],
    join: Callable[[str, str, str, str], URLPath],
) -> URLPath:
    """A Mount's or Host's url_path_for: its own name with a `path`, or a route inside it
    ("<container name>:<route name>" when the container is named). `join` puts the filled-in
    template (a path prefix, or a host) together with the path, protocol and host found."""
    own = container.template.param_names
    if not own <= path_params.keys():
        raise NoMatchFound(name, path_params)
    filled = container.template.url_path({key: path_params.pop(key) for key in own})
    if name == container.name and set(path_params) == {"path"}:
        return join(filled, str(path_params["path"]), "http", "")
    inner_name = name
    if container.name is not None:
        if not name.startswith(container.name + ":"):
            raise NoMatchFound(name, path_params)
        inner_name = name[len(container.name) + 1 :]
    for route in container.routes:
        try:
            found = route.url_path_for(inner_name, **path_params)
        except NoMatchFound:
            continue
        return join(filled, str(found), found.protocol, found.host)
    raise NoMatchFound(name, path_params)


def _hostname(host: str) -> str:
    """The Host header without its port, lower-cased (an IPv6 literal keeps its brackets)."""
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    return host.rsplit(":", 1)[0].lower()
