# How a file is sent: the file is stat'ed once per request (unless a stat_result was given) to
# fill content-length, last-modified and etag. A `Range` header on a 200 GET/HEAD, when any
# `If-Range` still matches, picks a 206 answer: one range is sent as is, several as a
# multipart/byteranges body; a bad header answers 400 or 416 instead. The body is a list of
# pieces, literal bytes or (start, end) spans of the file, read 64 KiB at a time in worker
# threads, so memory stays flat however large the file.
"""FileResponse: a file on disk, streamed in chunks, whole or in byte ranges."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from email.utils import formatdate
from mimetypes import guess_type
from secrets import token_hex
from urllib.parse import quote

import anyio

from minifast.background import BackgroundTask
from minifast.datastructures import Headers, MutableHeaders
from minifast.responses import (
    PlainTextResponse,
    Response,
    _run_until_disconnect,
    _server_reports_disconnect,
)
from minifast.types import RawHeaders, Receive, Scope, Send

Span = tuple[int, int]  # [start, end) byte offsets in the file
Piece = bytes | Span  # a body is literal bytes (multipart framing) and file spans


class _RangeError(Exception):
    """A Range header answered with an error response instead of the file."""

    def __init__(self, response: Response) -> None:
        self.response = response


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
            media_type = guess_type(filename or path)[0] or "application/octet-stream"
        self.media_type = media_type
        self.background = background
        self.init_headers(headers)
        self.headers.setdefault("accept-ranges", "bytes")
        if filename is not None:
            disposition = _content_disposition(filename, content_disposition_type)
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
        headers.setdefault("etag", _etag(stat_result))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = (self.stat_result or await self._stat()).st_size
        try:
            status, headers, pieces = self._plan_body(scope, size)
        except _RangeError as error:
            # COMPAT: FastAPI answers with the error response alone; background tasks don't run.
            await error.response(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        body = pieces or [(0, size)]
        if scope.get("method") == "HEAD":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        elif pieces is None and "http.response.pathsend" in scope.get("extensions", {}):
            await send({"type": "http.response.pathsend", "path": str(self.path)})
        elif _server_reports_disconnect(scope):
            await self._send_pieces(send, body)
        else:
            await _run_until_disconnect(receive, lambda: self._send_pieces(send, body))
        if self.background is not None:
            await self.background()

    async def _stat(self) -> os.stat_result:
        try:
            stat_result = await anyio.to_thread.run_sync(os.stat, self.path)
        except FileNotFoundError as error:
            raise RuntimeError(f"File at path {self.path} does not exist.") from error
        if not stat.S_ISREG(stat_result.st_mode):
            raise RuntimeError(f"File at path {self.path} is not a file.")
        self.set_stat_headers(stat_result)
        return stat_result

    def _plan_body(self, scope: Scope, size: int) -> tuple[int, RawHeaders, list[Piece] | None]:
        """Status, headers and body pieces for this request; None pieces means the whole file."""
        http_range = self._usable_range(scope)
        ranges = [] if http_range is None else _parse_range(http_range, size, self.max_ranges)
        if not ranges:
            return self.status_code, self.raw_headers, None
        headers = MutableHeaders(raw=list(self.raw_headers))
        if len(ranges) == 1:
            start, end = ranges[0]
            headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
            pieces: list[Piece] = [ranges[0]]
        else:
            boundary = token_hex(13)
            headers["content-type"] = f"multipart/byteranges; boundary={boundary}"
            pieces = _multipart(ranges, size, boundary, self.headers["content-type"])
        headers["content-length"] = str(_length(pieces))
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


def _content_disposition(filename: str, disposition_type: str) -> str:
    quoted = quote(filename)
    if quoted != filename:
        # RFC 6266: a name that needs escaping goes in the RFC 5987 extended form.
        return f"{disposition_type}; filename*=utf-8''{quoted}"
    return f'{disposition_type}; filename="{filename}"'


def _etag(stat_result: os.stat_result) -> str:
    """COMPAT: FastAPI's etag, the MD5 of "<mtime>-<size>", so caches survive a switch."""
    base = f"{stat_result.st_mtime}-{stat_result.st_size}"
    return f'"{hashlib.md5(base.encode(), usedforsecurity=False).hexdigest()}"'


def _parse_range(header: str, size: int, max_ranges: int) -> list[Span]:
    """The spans a `Range: bytes=...` header asks for, sorted and merged.

    An empty list means "ignore the header"; a header FastAPI refuses raises _RangeError.
    """
    unit, equals, specs = header.partition("=")
    if not equals:
        raise _RangeError(PlainTextResponse("Malformed range header.", 400))
    if unit.strip().lower() != "bytes":
        raise _RangeError(PlainTextResponse("Only support bytes range", 400))
    parts = specs.split(",")
    if len(parts) > max_ranges:
        return []
    # COMPAT: like FastAPI, parts that aren't "a-b", "a-" or "-n" are skipped, not refused.
    spans = [span for span in (_parse_spec(part, size) for part in parts) if span is not None]
    if not spans:
        raise _RangeError(PlainTextResponse("Range header: range must be requested", 400))
    if any(not 0 <= start < size for start, _ in spans):
        headers = {"content-range": f"bytes */{size}"}
        raise _RangeError(PlainTextResponse(status_code=416, headers=headers))
    if any(start >= end for start, end in spans):
        raise _RangeError(PlainTextResponse("Range header: start must be less than end", 400))
    return _merge(spans)


def _parse_spec(spec: str, size: int) -> Span | None:
    """One `a-b`, `a-` or `-n` part as a span; None for a part to skip."""
    first, dash, last = spec.strip().partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not (first or last):
        return None
    try:
        if not first:
            return max(size - int(last), 0), size  # the last n bytes
        return int(first), (min(int(last) + 1, size) if last else size)
    except ValueError:
        return None


def _merge(spans: list[Span]) -> list[Span]:
    """The spans sorted, with overlapping or adjacent ones joined."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _multipart(spans: list[Span], size: int, boundary: str, content_type: str) -> list[Piece]:
    """Each span framed as one part of a multipart/byteranges body (RFC 9110, 14.6)."""
    pieces: list[Piece] = []
    for start, end in spans:
        head = (
            f"--{boundary}\r\nContent-Type: {content_type}\r\n"
            f"Content-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
        )
        pieces += [head.encode("latin-1"), (start, end), b"\r\n"]
    pieces.append(f"--{boundary}--".encode("latin-1"))
    return pieces


def _length(pieces: list[Piece]) -> int:
    return sum(len(piece) if isinstance(piece, bytes) else piece[1] - piece[0] for piece in pieces)
