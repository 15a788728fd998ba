"""Response classes: a body and headers, sent as ASGI messages."""

from __future__ import annotations

import functools
import importlib
import json  # noqa: F401 - COMPAT: code written for FastAPI patches responses.json.dumps
import os
import stat
import sys
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from email.utils import format_datetime, formatdate
from typing import Any, Literal
from urllib.parse import quote

import anyio

from minifast import _file_logic as file_logic
from minifast._disconnect import run_until_disconnect, server_reports_disconnect
from minifast._file_logic import Piece, RangeError, Span, parse_range
from minifast._json_text import json_text
from minifast.background import BackgroundTask
from minifast.concurrency import iterate_in_threadpool
from minifast.datastructures import URL, Headers, MutableHeaders, encode_header
from minifast.exceptions import FastAPIDeprecationWarning, HTTPException
from minifast.types import RawHeaders, Receive, Scope, Send

# HTTP: these statuses never carry a body, so they never carry a content-length either.
_BODILESS = frozenset({204, 304})


class Response:
    """Bytes with a status and headers; subclasses decide how `content` becomes bytes."""

    media_type: str | None = None
    charset = "utf-8"

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body = self.render(content)
        self.init_headers(headers)

    def render(self, content: Any) -> bytes:
        if content is None:
            return b""
        if isinstance(content, bytes | memoryview):
            return bytes(content)
        return str(content).encode(self.charset)

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        """Encode the given headers, then add content-length and content-type if absent."""
        raw = [encode_header(key, value) for key, value in headers.items()] if headers else []
        names = {key for key, _ in raw} if raw else _NO_NAMES
        length = self._content_length()
        if b"content-length" not in names and length is not None:
            raw.append((b"content-length", str(length).encode("latin-1")))
        if b"content-type" not in names and self.media_type is not None:
            raw.append((b"content-type", _content_type(self.media_type, self.charset)))
        self.raw_headers: RawHeaders = raw

    def _content_length(self) -> int | None:
        """The length to announce when the caller gave none; None sends no content-length."""
        if self.status_code < 200 or self.status_code in _BODILESS:
            return None
        # COMPAT: a subclass that streams may call init_headers without ever setting a body.
        body = getattr(self, "body", None)
        return None if body is None else len(body)

    @property
    def headers(self) -> MutableHeaders:
        """A live view: changing it changes the headers this response will send."""
        return MutableHeaders(raw=self.raw_headers)

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | str | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        if partitioned and sys.version_info < (3, 14):
            # COMPAT: FastAPI's error; http.cookies learnt the attribute in Python 3.14.
            raise ValueError("Partitioned cookies are only supported in Python 3.14 and above.")
        import http.cookies  # PERF: loaded by the first cookie set, not with minifast: -1 ms

        cookie: http.cookies.BaseCookie[str] = http.cookies.SimpleCookie()
        cookie[key] = value
        morsel = cookie[key]
        attributes: dict[str, Any] = {
            "max-age": max_age,
            "expires": format_datetime(expires, usegmt=True)
            if isinstance(expires, datetime)
            else expires,
            "path": path,
            "domain": domain,
            "secure": secure or None,
            "httponly": httponly or None,
            "samesite": samesite,
            "partitioned": partitioned or None,
        }
        for name, attribute in attributes.items():
            if attribute is not None:
                morsel[name] = attribute
        self.raw_headers.append(encode_header("set-cookie", cookie.output(header="").strip()))

    def delete_cookie(
        self,
        key: str,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        self.set_cookie(key, "", 0, 0, path, domain, secure, httponly, samesite, partitioned)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})  # fmt: skip
        # HTTP: a HEAD answer has the GET answer's headers and no body.
        body = b"" if scope.get("method") == "HEAD" else self.body
        await send({"type": "http.response.body", "body": body, "more_body": False})
        if self.background is not None:
            await self.background()


_NO_NAMES: frozenset[bytes] = frozenset()


def json_bytes_response(
    body: bytes, status_code: int, background: BackgroundTask | None
) -> Response:
    """A Response for JSON bytes already written (by pydantic-core), with its two headers.

    PERF: a status that carries a body needs none of render()'s and init_headers()' checks:
    -0.8 µs per response.
    """
    if status_code < 200 or status_code in _BODILESS:
        return Response(body, status_code, media_type="application/json", background=background)
    response = Response.__new__(Response)
    response.status_code, response.background, response.body = status_code, background, body
    response.media_type = "application/json"
    response.raw_headers = [
        (b"content-length", str(len(body)).encode("latin-1")),
        (b"content-type", b"application/json"),
    ]
    return response


@functools.lru_cache(maxsize=64)
def _content_type(media_type: str, charset: str) -> bytes:
    """The Content-Type header value; a text type gets its charset if it names none.

    PERF: cached, since few media types are ever sent: 0.2 -> 0.1 µs per response.
    """
    if media_type.startswith("text/") and "charset=" not in media_type.lower():
        media_type += f"; charset={charset}"
    return media_type.encode("latin-1")


class HTMLResponse(Response):
    media_type = "text/html"


class PlainTextResponse(Response):
    media_type = "text/plain"


class JSONResponse(Response):
    """Content serialized with the standard library's json, compact, UTF-8 (see _json_text.py)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_text(content)


class ORJSONResponse(JSONResponse):
    """JSON written by the `orjson` package, which must be installed.

    Deprecated, as in FastAPI 0.163: a response model or return type is already written to
    JSON bytes by pydantic-core, with no custom class.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _warn_deprecated(type(self))
        super().__init__(*args, **kwargs)

    def render(self, content: Any) -> bytes:
        orjson = _json_library("orjson", type(self))
        data: bytes = orjson.dumps(
            content, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
        )
        return data


class UJSONResponse(JSONResponse):
    """JSON written by the `ujson` package, which must be installed. Deprecated, as ORJSON's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _warn_deprecated(type(self))
        super().__init__(*args, **kwargs)

    def render(self, content: Any) -> bytes:
        ujson = _json_library("ujson", type(self))
        return str(ujson.dumps(content, ensure_ascii=False)).encode("utf-8")


def _warn_deprecated(kind: type[Response]) -> None:
    message = (
        f"{kind.__name__} is deprecated: with a response model or return type, the JSON bytes "
        "are already written by pydantic-core, faster, with no custom response class"
    )
    warnings.warn(message, FastAPIDeprecationWarning, stacklevel=3)


def _json_library(name: str, kind: type[Response]) -> Any:
    """The optional JSON package, imported on first use (not by importing minifast)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise RuntimeError(f"{name} must be installed to use {kind.__name__}") from None


class RedirectResponse(Response):
    """A redirect to `url`, by default a 307 so the method and body are kept."""

    def __init__(
        self,
        url: str | URL,
        status_code: int = 307,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(b"", status_code, headers, None, background)
        # Replaces a location passed in `headers`, so the response never carries two.
        self.headers["location"] = quote(str(url), safe=":/%#?=@[]!$&'()*+,;")


Content = str | bytes | memoryview
ContentStream = AsyncIterable[Content] | Iterable[Content]


class StreamingResponse(Response):
    """A body produced chunk by chunk; sync iterables are read in the thread pool."""

    def __init__(
        self,
        content: ContentStream,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body_iterator: AsyncIterable[Content] = (
            content if isinstance(content, AsyncIterable) else iterate_in_threadpool(content)
        )
        self.body = b""
        self.init_headers(headers)

    def _content_length(self) -> int | None:
        # The length is unknown until the stream ends: let the server pick chunked framing.
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if server_reports_disconnect(scope):
            try:
                await self._stream(scope, send)
            except OSError:
                return  # ASGI 2.4: send raises once the client has gone; stop producing.
        else:
            await run_until_disconnect(receive, lambda: self._stream(scope, send))
        if self.background is not None:
            await self.background()

    async def _stream(self, scope: Scope, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})  # fmt: skip
        if scope.get("method") != "HEAD":
            async for chunk in self.body_iterator:
                data = chunk if isinstance(chunk, bytes) else _to_bytes(chunk, self.charset)
                await send({"type": "http.response.body", "body": data, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class EventSourceResponse(StreamingResponse):
    """`response_class=EventSourceResponse` on a generator endpoint streams its items as SSE.

    The class chooses the format; the route does the encoding (see sse.py), so it also works
    with POST. It lives here so that `responses` can name it without loading sse.py.
    """

    media_type = "text/event-stream"


def _to_bytes(chunk: str | memoryview, charset: str) -> bytes:
    return chunk.encode(charset) if isinstance(chunk, str) else bytes(chunk)


# -- files ----------------------------------------------------------------------------
# How a file is sent: the file is stat'ed once per request (unless a stat_result was given) to
# fill content-length, last-modified and etag. A `Range` header on a 200 GET/HEAD, when any
# `If-Range` still matches, picks a 206 answer: one range is sent as is, several as a
# multipart/byteranges body (see _file_logic.py); a bad header answers 400 or 416 instead. The
# body is read 64 KiB at a time in worker threads, so memory stays flat however large the file.


def _no_file(scope: Scope, message: str) -> Exception:
    return HTTPException(404) if "app" in scope else RuntimeError(message)


class FileResponse(Response):
    """The file at `path`; `filename` makes browsers save it under that name."""

    chunk_size = 64 * 1024
    # COMPAT: with more ranges than this FastAPI ignores the header and sends the whole file.
    max_ranges = 100

    def __init__(
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        filename: str | None = None,
        stat_result: os.stat_result | None = None,
        content_disposition_type: str = "attachment",
    ) -> None:
        self.path = path
        self.status_code = status_code
        self.filename = filename
        if media_type is None:
            from mimetypes import guess_type  # PERF: with the first file: -0.8 ms of start-up

            media_type = guess_type(filename or path)[0] or "application/octet-stream"
        self.media_type = media_type
        self.background = background
        self.init_headers(headers)
        self.headers.setdefault("accept-ranges", "bytes")
        if filename is not None:
            disposition = file_logic.content_disposition(filename, content_disposition_type)
            self.headers.setdefault("content-disposition", disposition)
        self.stat_result = stat_result
        if stat_result is not None:
            self.set_stat_headers(stat_result)

    def _content_length(self) -> int | None:
        return None  # known only once the file is stat'ed: see set_stat_headers

    def set_stat_headers(self, stat_result: os.stat_result) -> None:
        """Fill content-length, last-modified and etag, unless the caller set them."""
        headers = self.headers
        headers.setdefault("content-length", str(stat_result.st_size))
        headers.setdefault("last-modified", formatdate(stat_result.st_mtime, usegmt=True))
        headers.setdefault("etag", file_logic.etag(stat_result))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = (self.stat_result or await self._stat(scope)).st_size
        try:
            status, headers, pieces = self._plan_body(scope, size)
        except RangeError as error:
            # COMPAT: FastAPI answers with the error response alone; background tasks don't run.
            refusal = PlainTextResponse(error.detail, error.status, error.headers)
            await refusal(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        body = pieces or [(0, size)]
        if scope.get("method") == "HEAD":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        elif pieces is None and "http.response.pathsend" in scope.get("extensions", {}):
            await send({"type": "http.response.pathsend", "path": str(self.path)})
        elif server_reports_disconnect(scope):
            await self._send_pieces(send, body)
        else:
            await run_until_disconnect(receive, lambda: self._send_pieces(send, body))
        if self.background is not None:
            await self.background()

    async def _stat(self, scope: Scope) -> os.stat_result:
        """The file's stat; in an app, no file there is a 404, through its handlers.

        FastAPI answers a missing file or a directory with a 500 in an app too; the path is
        often the client's choice, and the answer does not tell where it was looked for.
        Used bare, as in Starlette, the error is raised.
        """
        try:
            stat_result = await anyio.to_thread.run_sync(os.stat, self.path)
        except (FileNotFoundError, NotADirectoryError) as error:
            raise _no_file(scope, f"File at path {self.path} does not exist.") from error
        if not stat.S_ISREG(stat_result.st_mode):
            raise _no_file(scope, f"File at path {self.path} is not a file.")
        self.set_stat_headers(stat_result)
        return stat_result

    def _plan_body(self, scope: Scope, size: int) -> tuple[int, RawHeaders, list[Piece] | None]:
        """Status, headers and body pieces for this request; None pieces means the whole file."""
        http_range = self._usable_range(scope)
        ranges = [] if http_range is None else parse_range(http_range, size, self.max_ranges)
        if not ranges:
            return self.status_code, self.raw_headers, None
        headers = MutableHeaders(raw=list(self.raw_headers))
        if len(ranges) == 1:
            start, end = ranges[0]
            headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
            pieces: list[Piece] = [ranges[0]]
        else:
            import secrets  # PERF: only a multi-range answer needs it

            boundary = secrets.token_hex(13)
            headers["content-type"] = f"multipart/byteranges; boundary={boundary}"
            pieces = file_logic.multipart(ranges, size, boundary, self.headers["content-type"])
        headers["content-length"] = str(file_logic.length(pieces))
        return 206, headers.raw, pieces

    def _usable_range(self, scope: Scope) -> str | None:
        """The Range header, if this request may be answered with part of the file."""
        if self.status_code != 200 or scope.get("method") not in ("GET", "HEAD"):
            return None
        request_headers = Headers(scope=scope)
        http_range = request_headers.get("range")
        if_range = request_headers.get("if-range")
        if if_range is not None and not self._if_range_matches(if_range):
            return None  # HTTP: the file changed since the client's copy: send all of it.
        return http_range

    def _if_range_matches(self, if_range: str) -> bool:
        # HTTP: If-Range needs a strong validator, so a weak etag never matches.
        if if_range.startswith("W/"):
            return False
        return if_range in (self.headers.get("last-modified"), self.headers.get("etag"))

    async def _send_pieces(self, send: Send, pieces: list[Piece]) -> None:
        async with _open_file(self.path) as file:
            for piece in pieces:
                if isinstance(piece, bytes):
                    await send({"type": "http.response.body", "body": piece, "more_body": True})
                else:
                    await self._send_span(send, file, piece)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _send_span(self, send: Send, file: anyio.AsyncFile[bytes], span: Span) -> None:
        start, end = span
        await file.seek(start)
        while start < end:
            chunk = await file.read(min(self.chunk_size, end - start))
            if not chunk:
                raise RuntimeError(f"File at path {self.path} is shorter than expected.")
            start += len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})


@asynccontextmanager
async def _open_file(path: str | os.PathLike[str]) -> AsyncIterator[anyio.AsyncFile[bytes]]:
    file = await anyio.open_file(path, "rb")
    try:
        yield file
    finally:
        # Close even when the client went away mid-file and this task is being cancelled.
        with anyio.CancelScope(shield=True):
            await file.aclose()


__all__ = [
    "EventSourceResponse",
    "FileResponse",
    "HTMLResponse",
    "JSONResponse",
    "ORJSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
    "UJSONResponse",
]
