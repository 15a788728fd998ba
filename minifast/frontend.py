# How a frontend is served: `router.frontend("/app", directory="dist")` adds a frontend route to
# the router's low-priority routes, which the router asks only once no route, no 405 and no
# trailing-slash redirect answered: a lookup that finds a route never reaches them. Of the
# frontends whose path prefix holds the request path, the longest prefix wins. A GET or HEAD is
# served the file below that prefix (a directory its index.html, after a redirect adding the
# slash); a missing file serves the fallback: 404.html with status 404, or index.html for a
# browser navigation (an Accept naming HTML). Other methods answer 405 if the file exists, else
# 404. The router's dependencies run first, as for a path operation: a guard route runs them,
# and its endpoint is the file lookup, so their headers, cookies and background tasks apply.
"""Static frontend builds served behind every other route: `APIRouter.frontend()`."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from minifast import params
from minifast._paths import route_path
from minifast.api_routes import APIRoute
from minifast.datastructures import URLPath
from minifast.exceptions import HTTPException
from minifast.plain_routes import BaseRoute, Match, NoMatchFound
from minifast.requests import Request
from minifast.responses import Response
from minifast.types import Receive, Scope, Send

if TYPE_CHECKING:
    from minifast._frontend_files import FrontendFiles

Fallback = Literal["auto", "index.html", "404.html"] | None
_FALLBACKS = ("auto", "index.html", "404.html", None)
# COMPAT: FastAPI's own namespace in the scope; the chosen file's path and the frontend's
# prefix length travel from `matches()` to `handle()` there, as Starlette's protocol wants.
SCOPE_KEY = "fastapi"


class FrontendRoute(BaseRoute):
    """One frontend: a path prefix and the build served below it."""

    methods = {"GET", "HEAD"}  # noqa: RUF012 - BaseRoute's attribute, read-only by use

    def __init__(
        self,
        path: str,
        *,
        directory: str | os.PathLike[str],
        fallback: Fallback = "auto",
        check_dir: bool = True,
    ) -> None:
        if fallback not in _FALLBACKS:
            raise AssertionError("fallback must be 'auto', 'index.html', '404.html', or None")
        # PERF: the file serving (StaticFiles, FileResponse, worker threads) loads with the
        # first frontend, not with minifast, as sse.py with the first generator endpoint.
        from minifast._frontend_files import FrontendFiles

        self.path = normalize_path(path)
        self.name = None
        self.app: FrontendFiles = FrontendFiles(
            directory=directory, fallback=fallback, check_dir=check_dir
        )

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return self.matches_with_path(scope, self.path)

    def matches_with_path(self, scope: Scope, path: str) -> tuple[Match, Scope]:
        """As `matches`, with the frontend served at `path` (its path under a prefix)."""
        if scope["type"] != "http":
            return Match.NONE, {}
        relative = _below(path, route_path(scope))
        if relative is None:
            return Match.NONE, {}
        specificity = 0 if path == "/" else len(path)
        child = {SCOPE_KEY: {"frontend_path": relative, "frontend_specificity": specificity}}
        return (Match.FULL if scope["method"] in self.methods else Match.PARTIAL), child

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        relative = scope.get(SCOPE_KEY, {}).get("frontend_path", "")
        response = await self.app.respond_to(relative, scope)
        await response(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)  # files have no names to build URLs from


class FrontendGroup(BaseRoute):
    """A router's frontends, under the prefix and dependencies of where it was included."""

    methods = None
    path = ""
    name = None

    def __init__(
        self,
        *,
        prefix: str = "",
        dependencies: Sequence[params.Depends] = (),
        routes: list[FrontendRoute] | None = None,
    ) -> None:
        # Shared with the copies include_router makes: a frontend added later shows in them.
        self.routes: list[FrontendRoute] = [] if routes is None else routes
        self.prefix = prefix
        self.dependencies = list(dependencies)
        self._guard: APIRoute | None = None
        if self.dependencies:
            self._guard = APIRoute(
                "", self._serve, dependencies=self.dependencies, include_in_schema=False
            )

    def included(self, prefix: str, dependencies: Sequence[params.Depends]) -> FrontendGroup:
        """This group as include_router places it: under `prefix`, behind `dependencies`."""
        return FrontendGroup(
            prefix=prefix + self.prefix,
            dependencies=[*dependencies, *self.dependencies],
            routes=self.routes,
        )

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child, _ = self._match(scope, self.prefix)
        return match, child

    def matches_with_prefix(self, scope: Scope, prefix: str) -> tuple[Match, Scope]:
        match, child, _ = self._match(scope, prefix)
        return match, child

    def _match(self, scope: Scope, prefix: str) -> tuple[Match, Scope, FrontendRoute | None]:
        """A full match beats a partial one; among equals the longest path prefix wins."""
        best: tuple[tuple[int, int], Scope, FrontendRoute] | None = None
        for route in self.routes:
            path = join_paths(prefix, route.path)
            match, child = route.matches_with_path(scope, path)
            rank = (match.value, child.get(SCOPE_KEY, {}).get("frontend_specificity", 0))
            if match is not Match.NONE and (best is None or rank > best[0]):
                best = (rank, child, route)
        if best is None:
            return Match.NONE, {}, None
        return Match(best[0][0]), best[1], best[2]

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        match, child, route = self._match(scope, self.prefix)
        if route is None:
            raise HTTPException(404)
        merge_scope(scope, child)
        if match is Match.FULL and self._guard is not None:
            await self._guard.handle(scope, receive, send)  # dependencies, then _serve
        else:
            await route.handle(scope, receive, send)

    async def _serve(self, request: Request, response: Response) -> Response:
        """The guard's endpoint: the file, with what the dependencies set on `response`."""
        _, _, route = self._match(request.scope, self.prefix)
        assert route is not None, "the guard runs only for a matched frontend"
        relative = request.scope[SCOPE_KEY]["frontend_path"]
        served = await route.app.respond_to(relative, request.scope)
        served.raw_headers.extend(response.raw_headers)
        return served

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)


def select_low_priority(
    routes: Iterable[BaseRoute], scope: Scope
) -> tuple[BaseRoute, Scope] | None:
    """The low-priority route for `scope`: the first full match, else the first partial one.

    Between two frontends, the one with the longer path prefix wins instead of the first.
    """
    full: tuple[BaseRoute, Scope] | None = None
    partial: tuple[BaseRoute, Scope] | None = None
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL and (full is None or _more_specific(child, full[1])):
            full = (route, child)
        elif match is Match.PARTIAL and (partial is None or _more_specific(child, partial[1])):
            partial = (route, child)
    return full or partial


def _more_specific(child: Scope, previous: Scope) -> bool:
    new = child.get(SCOPE_KEY, {}).get("frontend_specificity")
    old = previous.get(SCOPE_KEY, {}).get("frontend_specificity")
    return new is not None and old is not None and new > old


def merge_scope(scope: Scope, child: Scope) -> None:
    """Add a route's child scope to `scope`, merging the `fastapi` namespace key by key."""
    for key, value in child.items():
        if key == SCOPE_KEY:
            scope.setdefault(SCOPE_KEY, {}).update(value)
        else:
            scope[key] = value


def normalize_path(path: str) -> str:
    """A frontend path starts with "/" and, unless it is "/", does not end with one."""
    if not path.startswith("/"):
        # COMPAT: AssertionError, as FastAPI raises for a bad frontend path.
        raise AssertionError("A frontend path must start with '/'")
    return path if path == "/" else path.rstrip("/")


def join_paths(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return prefix if path == "/" else prefix + path


def _below(path: str, requested: str) -> str | None:
    """The part of `requested` below the frontend path, on a segment boundary; else None."""
    if path == "/":
        return requested.lstrip("/")
    if requested == path:
        return ""
    return requested[len(path) + 1 :] if requested.startswith(path + "/") else None


def check_directory(directory: str | os.PathLike[str], check_dir: bool | Literal["auto"]) -> bool:
    """Whether to check the directory now. COMPAT: "auto" checks unless FASTAPI_ENV says
    development (a build may not exist yet while its dev server runs); then a missing one warns.
    """
    if check_dir != "auto":
        return check_dir
    if os.environ.get("FASTAPI_ENV") != "development":
        return True
    if not os.path.isdir(directory):
        message = (
            f"Frontend directory '{directory}' does not exist. "
            f"Resolved absolute path: '{os.path.realpath(directory)}'"
        )
        warnings.warn(message, UserWarning, stacklevel=_caller_level())
    return False


def _caller_level() -> int:
    """The stacklevel of the first frame outside minifast: the user's `frontend()` call."""
    package = os.path.dirname(__file__)
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level
