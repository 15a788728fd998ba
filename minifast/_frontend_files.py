"""The files of a frontend build and its fallback rules (see frontend.py)."""

from __future__ import annotations

import errno
import os
import stat

import anyio.to_thread

from minifast.datastructures import URL, Headers
from minifast.exceptions import HTTPException
from minifast.responses import FileResponse, RedirectResponse, Response
from minifast.staticfiles import StaticFiles, file_response
from minifast.types import Scope

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


class FrontendFiles(StaticFiles):
    """The files of one frontend build, with its fallback rules."""

    def __init__(self, *, directory: str | os.PathLike[str], fallback: str | None, check_dir: bool):
        if check_dir and not os.path.isdir(directory):
            raise RuntimeError(
                f"Frontend directory '{directory}' does not exist. "
                f"Resolved absolute path: '{os.path.realpath(directory)}'"
            )
        super().__init__(directory=directory, html=True, check_dir=check_dir)
        self.fallback = fallback
        if check_dir and fallback in ("index.html", "404.html"):
            self._fallback_page(fallback)  # a missing page fails now, not on the first miss

    async def respond_to(self, relative: str, scope: Scope) -> Response:
        """The answer for `relative`, the path below the prefix; the disk is read in a thread."""
        return await anyio.to_thread.run_sync(self._choose, relative, scope)

    def _choose(self, relative: str, scope: Scope) -> Response:
        found = self._resource(relative)
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(405 if found is not None else 404)
        if found is not None:
            full_path, stat_result, is_index = found
            if is_index and not scope["path"].endswith("/"):
                # Relative links in index.html must resolve inside the directory.
                return RedirectResponse(str(URL(scope={**scope, "path": scope["path"] + "/"})))
            return file_response((full_path, stat_result), Headers(scope=scope))
        if self._falls_back_to("404.html"):
            return self._fallback_page("404.html", 404)
        if self._falls_back_to("index.html") and is_navigation(Headers(scope=scope)):
            return self._fallback_page("index.html", 200)
        raise HTTPException(404)

    def _resource(self, relative: str) -> tuple[str, os.stat_result, bool] | None:
        """The file for `relative`, or its directory's index.html (then True), or None."""
        full_path, stat_result = self._checked_lookup(relative)
        if stat_result is not None and stat.S_ISREG(stat_result.st_mode):
            return full_path, stat_result, False
        if stat_result is not None and stat.S_ISDIR(stat_result.st_mode):
            full_path, stat_result = self._checked_lookup(relative + "/index.html")
            if stat_result is not None and stat.S_ISREG(stat_result.st_mode):
                return full_path, stat_result, True
        return None

    def _checked_lookup(self, relative: str) -> tuple[str, os.stat_result | None]:
        """COMPAT: as FastAPI, an unreadable file answers 401 and a refused name 404."""
        try:
            return self.lookup_path(relative)
        except PermissionError:
            raise HTTPException(401) from None
        except OSError as error:
            if error.errno == errno.ENAMETOOLONG:
                raise HTTPException(404) from None
            raise
        except ValueError:
            raise HTTPException(404) from None

    def _falls_back_to(self, page: str) -> bool:
        if self.fallback == "auto":
            _, stat_result = self.lookup_path(page)
            return stat_result is not None and stat.S_ISREG(stat_result.st_mode)
        return self.fallback == page

    def _fallback_page(self, page: str, status_code: int = 200) -> Response:
        full_path, stat_result = self.lookup_path(page)
        if stat_result is None or not stat.S_ISREG(stat_result.st_mode):
            directory = os.fspath(self.directory or "")
            raise RuntimeError(
                f"Frontend fallback file '{page}' does not exist in directory '{directory}'. "
                f"Resolved absolute directory: '{os.path.realpath(directory)}'"
            )
        return FileResponse(full_path, status_code, stat_result=stat_result)


def is_navigation(headers: Headers) -> bool:
    """Whether the request is a browser navigation: its Accept names HTML with a q above 0.

    A bare `*/*` does not count: a script fetching a missing file must get the 404.
    """
    for item in headers.get("accept", "").split(","):
        media_type, _, parameters = item.partition(";")
        if media_type.strip().lower() in _HTML_TYPES and _quality(parameters) != 0:
            return True
    return False


def _quality(parameters: str) -> float:
    """The `q` of one Accept item; COMPAT: an unreadable one counts as 1, as in FastAPI."""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip().strip('"'))
            except ValueError:
                return 1.0
    return 1.0
