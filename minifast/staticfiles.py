# How static files are served: StaticFiles is a plain ASGI app, usually mounted, so the request
# path below the mount names a file under the directory. Each directory's own path is resolved
# once, on the first request. Per request, in a worker thread since it touches the disk, the
# candidate path is resolved by the OS (symlinks and every ".." followed) and must still lie
# inside that directory, or it counts as missing: no spelling of "..", no absolute path and no
# symlink can reach outside. A name the OS refuses (NUL byte, too long) is a plain 404.
# A regular file goes to FileResponse, unless If-None-Match / If-Modified-Since make it a 304.
# With html=True a directory serves its index.html (after a redirect adding the trailing
# slash) and a miss serves 404.html. Misses and refused methods raise HTTPException when an
# app is around, so the app's handlers shape them as they do the router's own 404 and 405.
"""StaticFiles: the files of a directory, and nothing outside it."""

from __future__ import annotations

import calendar
import importlib.util
import os
import stat
from email.utils import parsedate_tz
from typing import TypeGuard

import anyio.to_thread

from minifast._paths import route_path
from minifast.datastructures import URL, Headers
from minifast.plain_routes import refuse
from minifast.responses import FileResponse, RedirectResponse, Response
from minifast.types import Receive, Scope, Send

PathLike = str | os.PathLike[str]
_Found = tuple[str, os.stat_result]  # the checked path on disk and what os.stat said of it
# HTTP (RFC 9110, 15.4.5): a 304 repeats only the headers a cache needs to refresh its copy.
_NOT_MODIFIED_HEADERS = ("cache-control", "content-location", "date", "etag", "expires", "vary")


class StaticFiles:
    """An ASGI app serving the files under `directory`, and/or the `statics` of packages.

    `follow_symlink=True` trusts symlinks found inside the directory, wherever they point;
    `..` still cannot climb out of it.
    """

    def __init__(
        self,
        *,
        directory: PathLike | None = None,
        packages: list[str | tuple[str, str]] | None = None,
        html: bool = False,
        check_dir: bool = True,
        follow_symlink: bool = False,
    ) -> None:
        self.directory = directory
        self.packages = packages
        self.html = html
        self.follow_symlink = follow_symlink
        self.all_directories: list[PathLike] = [
            *([directory] if directory is not None else []),
            *(_package_directory(package) for package in packages or []),
        ]
        if check_dir and directory is not None and not os.path.isdir(directory):
            raise RuntimeError(f"Directory '{directory}' does not exist")
        self._roots: list[str] | None = None  # resolved on the first request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            # ASGI: only HTTP has files; a websocket is closed, as the router closes strays.
            await refuse(scope, receive, send, 404, None)
        elif scope["method"] not in ("GET", "HEAD"):
            await refuse(scope, receive, send, 405, {"Allow": "GET, HEAD"})
        else:
            response = await anyio.to_thread.run_sync(self._choose_response, scope)
            if response is None:
                await refuse(scope, receive, send, 404, None)
            else:
                await response(scope, receive, send)

    def _choose_response(self, scope: Scope) -> Response | None:
        """The answer to a GET or HEAD, or None for a plain 404; runs in a worker thread."""
        relative = route_path(scope)
        try:
            found = self._lookup(relative)
            if found is not None and self.html and stat.S_ISDIR(found[1].st_mode):
                index = self._lookup(relative + "/index.html")
                if _is_file(index) and not relative.endswith("/"):
                    # Relative links in index.html must resolve inside the directory.
                    url = URL(scope={**scope, "path": scope["path"] + "/"})
                    return RedirectResponse(url=str(url))
                found = index
            if _is_file(found):
                return file_response(found, Headers(scope=scope))
            page = self._lookup("404.html") if self.html else None
        except (OSError, ValueError):
            # COMPAT: a name the OS refuses gets a plain 404, without 404.html, as in FastAPI.
            return None
        return FileResponse(page[0], 404, stat_result=page[1]) if _is_file(page) else None

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        """Starlette's name for the lookup: the path on disk and its stat, or ("", None)."""
        return self._lookup(path) or ("", None)

    def _lookup(self, relative: str) -> _Found | None:
        """The first file or directory named `relative` inside one of the roots.

        Raises OSError or ValueError for a name the OS refuses.
        """
        parts = [part for part in relative.split("/") if part not in ("", ".")]
        for root in self._roots if self._roots is not None else self._resolve_roots():
            candidate = os.path.join(root, *parts)
            if self.follow_symlink:
                checked = os.path.normpath(candidate)  # ".." undone by hand, links kept
            else:
                checked = os.path.realpath(candidate)  # ".." and links undone by the OS
            if checked != root and not checked.startswith(os.path.join(root, "")):
                continue  # outside this root: as good as missing
            try:
                return checked, os.stat(checked)
            except (FileNotFoundError, NotADirectoryError):
                continue
        return None

    def _resolve_roots(self) -> list[str]:
        """Each directory's own path, resolved the way `_lookup` resolves candidates."""
        directory = self.directory
        if directory is not None and not os.path.isdir(directory):
            # COMPAT: with check_dir=False a missing directory is reported per request, as a 500.
            problem = "is not a directory" if os.path.exists(directory) else "does not exist"
            raise RuntimeError(f"StaticFiles directory '{directory}' {problem}.")
        resolve = os.path.abspath if self.follow_symlink else os.path.realpath
        self._roots = [resolve(path) for path in self.all_directories]
        return self._roots


def _is_file(found: _Found | None) -> TypeGuard[_Found]:
    return found is not None and stat.S_ISREG(found[1].st_mode)


def file_response(found: _Found, request_headers: Headers) -> Response:
    """The file, or a 304 when the client's copy is still current."""
    response = FileResponse(found[0], stat_result=found[1])
    if not _is_not_modified(response.headers, request_headers):
        return response
    headers = response.headers
    kept = {name: headers[name] for name in _NOT_MODIFIED_HEADERS if name in headers}
    return Response(status_code=304, headers=kept)


def _is_not_modified(response_headers: Headers, request_headers: Headers) -> bool:
    """Whether the request's validators match the file (RFC 9110, 13.1.2 and 13.1.3)."""
    if_none_match = request_headers.get("if-none-match")
    if if_none_match is not None:
        # HTTP: If-None-Match wins over If-Modified-Since, and compares etags weakly.
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or response_headers["etag"] in tags
    since = _http_date(request_headers.get("if-modified-since"))
    modified = _http_date(response_headers.get("last-modified"))
    return since is not None and modified is not None and modified <= since


def _http_date(value: str | None) -> int | None:
    """Seconds since the epoch for an HTTP date; None when absent or unreadable."""
    parsed = parsedate_tz(value) if value else None
    if parsed is None:
        return None
    # HTTP dates are GMT; one that names no zone is read as GMT too.
    return calendar.timegm(parsed[:9]) - (parsed[9] or 0)


def _package_directory(package: str | tuple[str, str]) -> str:
    """The directory of static files shipped inside an installed package."""
    name, subdirectory = (package, "statics") if isinstance(package, str) else package
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"Package {name!r} could not be found.")
    directory = os.path.join(os.path.dirname(spec.origin), subdirectory)
    if not os.path.isdir(directory):
        raise RuntimeError(f"Directory {subdirectory!r} in package {name!r} could not be found.")
    return directory


__all__ = ["StaticFiles"]
