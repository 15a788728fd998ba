# How gzip works: the app runs with `send` wrapped. The response start is held back until the
# first body message shows whether the body is worth compressing: a whole body shorter than
# `minimum_size` passes as it came, as does a response that already has a Content-Encoding
# or an excluded content type (event streams, images...). A body worth compressing gains
# `Vary: Accept-Encoding`; if the client accepts gzip it is compressed: a whole body in one
# piece with a new Content-Length, a streamed one chunk by chunk (each flushed, so the client
# gets it at once, never buffered) without a Content-Length. COMPAT: the output is the bytes
# Starlette sends (gzip header with mtime 0), and the Accept-Encoding test is a plain
# case-sensitive "gzip" in the header, as there.
"""`GZipMiddleware`: gzip responses for clients that accept it."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import anyio  # PERF: its `to_thread` loads on first use (see concurrency.py)

from minifast.datastructures import Headers, MutableHeaders
from minifast.types import ASGIApp, Message, Receive, Scope, Send

# COMPAT: Starlette's defaults: already compressed formats, and event streams, which must
# reach the client event by event.
_EXCLUDED_CONTENT_TYPES = (
    "application/grpc",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "audio/*",
    "font/woff",
    "font/woff2",
    "image/avif",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/event-stream",
    "video/*",
)
_GZIP_WINDOW_BITS = 16 + zlib.MAX_WBITS  # zlib: write a gzip header and trailer


@dataclass(frozen=True, slots=True, eq=False)  # PERF: never compared (see plan.py)
class _GzipPlan:
    """The options, compiled once and shared by every response."""

    minimum_size: int
    compresslevel: int
    thread_minimum_size: int
    excluded_types: frozenset[str]
    excluded_majors: frozenset[str]  # "audio" for "audio/*"

    def is_excluded(self, content_type: str) -> bool:
        media_type = content_type.partition(";")[0].strip().lower()
        return (
            media_type in self.excluded_types
            or media_type.partition("/")[0] in self.excluded_majors
        )


class GZipMiddleware:
    """Compress response bodies of at least `minimum_size` bytes."""

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int = 500,
        compresslevel: int = 9,
        thread_minimum_size: int = 128 * 1024,
        *,
        exclude_content_types: tuple[str, ...] = _EXCLUDED_CONTENT_TYPES,
    ) -> None:
        self.app = app
        patterns = [pattern.lower() for pattern in exclude_content_types]
        self._plan = _GzipPlan(
            minimum_size,
            compresslevel,
            thread_minimum_size,
            frozenset(pattern for pattern in patterns if not pattern.endswith("/*")),
            frozenset(pattern[:-2] for pattern in patterns if pattern.endswith("/*")),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accepts_gzip = "gzip" in Headers(scope=scope).get("accept-encoding", "")
        sender = _GzipSender(self._plan, send, accepts_gzip, scope["method"] == "HEAD")
        await self.app(scope, receive, sender.send)


class _GzipSender:
    """The `send` of one response: holds the start, then passes or compresses the body."""

    def __init__(self, plan: _GzipPlan, send: Send, accepts_gzip: bool, is_head: bool) -> None:
        self.plan, self.inner_send = plan, send
        self.accepts_gzip, self.is_head = accepts_gzip, is_head
        self.start: Message | None = None  # held until the first body message
        self.compressor: zlib._Compress | None = None  # set once compressing

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self._hold_or_pass(message)
        elif self.compressor is not None and message["type"] == "http.response.body":
            await self.inner_send(await self._compressed(self.compressor, message))
        elif self.start is None:
            await self.inner_send(message)  # passing through, or after the start was sent
        elif message["type"] == "http.response.body":
            await self._first_body(self.start, message)
        else:
            # ASGI: another way to send the body (http.response.pathsend...): pass it untouched.
            await self._flush_start(self.start)
            await self.inner_send(message)

    async def _hold_or_pass(self, start: Message) -> None:
        headers = Headers(raw=start["headers"])
        if "content-encoding" in headers or self.plan.is_excluded(headers.get("content-type", "")):
            await self.inner_send(start)
        else:
            self.start = start

    async def _flush_start(self, start: Message) -> None:
        self.start = None
        await self.inner_send(start)

    async def _first_body(self, start: Message, message: Message) -> None:
        body: bytes = message.get("body", b"")
        streams = message.get("more_body", False)
        headers = MutableHeaders(raw=list(start["headers"]))
        # COMPAT: minifast sends no HEAD body, so the declared length stands in for it: a HEAD
        # answer gets the GET answer's headers, but for the gzip length, unknown unread.
        is_bodiless_head = self.is_head and not body and not streams
        size = _declared_length(headers) if is_bodiless_head else len(body)
        if not streams and size < self.plan.minimum_size:
            await self._flush_start(start)
            await self.inner_send(message)
            return
        headers.add_vary_header("Accept-Encoding")
        if self.accepts_gzip:
            headers["content-encoding"] = "gzip"
            message = await self._start_compressing(headers, message, is_bodiless_head)
        await self._flush_start({**start, "headers": headers.raw})
        await self.inner_send(message)

    async def _start_compressing(
        self, headers: MutableHeaders, message: Message, is_bodiless_head: bool
    ) -> Message:
        """The first body message compressed; Content-Length is the gzip one, if known yet."""
        del headers["content-length"]
        if is_bodiless_head:
            return message
        level = self.plan.compresslevel
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, _GZIP_WINDOW_BITS)
        message = await self._compressed(self.compressor, message)
        if not message["more_body"]:
            headers["content-length"] = str(len(message["body"]))
        return message

    async def _compressed(self, compressor: zlib._Compress, message: Message) -> Message:
        """The body message with its chunk compressed; the last one closes the gzip stream."""
        more_body = message.get("more_body", False)
        body: bytes = message.get("body", b"")
        if len(body) >= self.plan.thread_minimum_size:
            # PERF: a large chunk is compressed in a worker thread, not on the event loop.
            data = await anyio.to_thread.run_sync(_compress, compressor, body, more_body)
        else:
            data = _compress(compressor, body, more_body)
        return {**message, "body": data, "more_body": more_body}


def _declared_length(headers: Headers) -> int:
    length = headers.get("content-length", "")
    return int(length) if length.isascii() and length.isdigit() else 0


def _compress(compressor: zlib._Compress, body: bytes, more_body: bool) -> bytes:
    # Flushing every chunk lets a streamed response reach the client as it is produced.
    flush_mode = zlib.Z_SYNC_FLUSH if more_body else zlib.Z_FINISH
    return compressor.compress(body) + compressor.flush(flush_mode)
