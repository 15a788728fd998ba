# How a form is read: the Content-Type header picks the parser; the body arrives as the chunks
# `request.stream()` yields, and neither parser holds more than one field (or a file's current
# chunk) at a time. An urlencoded body is split on `&` as chunks come. A multipart body is a
# small state machine over a byte buffer: the opening boundary, a part's headers, its content
# up to the next boundary, then either another part or the end. Content is handed on as soon as
# it cannot be the start of a boundary, so a boundary split across chunks is still found. File
# parts go to spooled files (memory first, disk past 1 MiB); text parts stay in memory. Every
# count and size is bounded (FormLimits), and malformed input ends in a 400 with a JSON detail.
"""Streaming parsers for application/x-www-form-urlencoded and multipart/form-data."""

from __future__ import annotations

import enum
import re
from collections.abc import AsyncIterator
from urllib.parse import unquote_to_bytes

import anyio

from minifast.datastructures import FormData, FormLimits, Headers, UploadFile, spooled_file
from minifast.exceptions import HTTPException
from minifast.types import RawHeaders

_MAX_HEADER_BYTES = 16 * 1024  # a part's header block; browsers send a few hundred bytes
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 header field name
_PARAMETER = re.compile(r';\s*([^\s;=]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))')
_ESCAPED = re.compile(r"\\(.)")


def _refuse(detail: str, status_code: int = 400) -> HTTPException:
    return HTTPException(status_code, detail=detail)


def parse_options(value: str) -> tuple[str, dict[str, str]]:
    """`form-data; name="a"` → ("form-data", {"name": "a"}); quoted values unescaped."""
    main, _, rest = value.partition(";")
    options: dict[str, str] = {}
    for match in _PARAMETER.finditer(";" + rest):
        key, quoted, plain = match.groups()
        found = _ESCAPED.sub(r"\1", quoted) if quoted is not None else plain.strip()
        options[key.lower()] = found
    return main.strip().lower(), options


async def parse_form(
    content_type: str | None, stream: AsyncIterator[bytes], limits: FormLimits
) -> FormData:
    """The form a body holds; COMPAT: any other content type reads as an empty form."""
    media_type, options = parse_options(content_type or "")
    if media_type == "application/x-www-form-urlencoded":
        return await _parse_urlencoded(stream, limits)
    if media_type != "multipart/form-data":
        return FormData()
    boundary = options.get("boundary")
    if not boundary:
        raise _refuse("Missing boundary in multipart.")
    parser = _MultipartParser(boundary.encode("latin-1", "replace"), limits)
    try:
        async for chunk in stream:
            await parser.feed(chunk)
        return parser.result()
    except BaseException:
        with anyio.CancelScope(shield=True):  # a cancelled request still closes its files
            await parser.close()
        raise


async def _parse_urlencoded(stream: AsyncIterator[bytes], limits: FormLimits) -> FormData:
    """`a=1&b=x+y`; only the pair being read is held, never the whole body."""
    items: list[tuple[str, str]] = []
    pending = bytearray()  # the pair being read; only each new chunk is split, never it again
    async for chunk in stream:
        first, *rest = chunk.split(b"&")
        pending += first
        for pair in rest:
            _add_pair(items, bytes(pending), limits)
            pending = bytearray(pair)
        if len(pending) > limits.max_part_size:
            raise _part_too_large(limits)
    _add_pair(items, bytes(pending), limits)
    return FormData(items)


def _add_pair(items: list[tuple[str, str]], pair: bytes, limits: FormLimits) -> None:
    if not pair:
        return
    if len(pair) > limits.max_part_size:
        raise _part_too_large(limits)
    if len(items) >= limits.max_fields:
        raise _too_many("fields", limits.max_fields)
    key, _, value = pair.partition(b"=")
    items.append((_unquote(key), _unquote(value)))


def _unquote(raw: bytes) -> str:
    # COMPAT: an invalid escape (`%zz`) stays as written and bad UTF-8 becomes U+FFFD.
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


def _part_too_large(limits: FormLimits) -> HTTPException:
    return _refuse(f"Part exceeded maximum size of {limits.max_part_size // 1024}KB.")


def _too_many(what: str, limit: int) -> HTTPException:
    return _refuse(f"Too many {what}. Maximum number of {what} is {limit}.")


_INVALID = "Invalid multipart data."


class _State(enum.Enum):
    START = "the opening boundary"
    AFTER_BOUNDARY = "`--` (the end) or CRLF (a part follows)"
    HEADERS = "a part's headers, up to an empty line"
    CONTENT = "a part's content, up to the next boundary"
    END = "the epilogue, ignored"


class _MultipartParser:
    """Fed chunk by chunk; each step consumes what the buffer can decide and waits otherwise."""

    def __init__(self, boundary: bytes, limits: FormLimits) -> None:
        self.delimiter = b"\r\n--" + boundary
        # The body starts with `--boundary`: with a CRLF in front it reads like every other.
        self.buffer = bytearray(b"\r\n")
        self.state = _State.START
        self.limits = limits
        self.items: list[tuple[str, str | UploadFile]] = []
        self.fields = self.files = 0
        self.name = ""  # the current part's field name
        self.text = bytearray()  # the current text part's content
        self.file: UploadFile | None = None  # the current file part
        self.received = 0

    async def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        self.buffer += chunk
        while await self._step():
            pass

    async def _step(self) -> bool:
        """Advance one state if the buffer allows it; False when more bytes are needed."""
        if self.state is _State.CONTENT:
            return await self._content()
        if self.state is _State.HEADERS:
            return self._headers()
        if self.state is _State.AFTER_BOUNDARY:
            return self._after_boundary()
        if self.state is _State.START:
            return self._start()
        self.buffer.clear()  # the epilogue: read (the body limit bounds it), never kept
        return False

    def _start(self) -> bool:
        size = len(self.delimiter)
        if not self.delimiter.startswith(self.buffer[:size]):
            # COMPAT: FastAPI refuses a preamble too, though RFC 2046 would allow one.
            raise _refuse(_INVALID)
        if len(self.buffer) < size:
            return False
        del self.buffer[:size]
        self.state = _State.AFTER_BOUNDARY
        return True

    def _after_boundary(self) -> bool:
        while self.buffer and self.buffer[0] in b" \t":
            del self.buffer[:1]  # RFC 2046: whitespace may pad a boundary line
        if len(self.buffer) < 2:
            return False
        ending = bytes(self.buffer[:2])
        del self.buffer[:2]
        if ending == b"--":
            self.state = _State.END
        elif ending == b"\r\n":
            self.state = _State.HEADERS
        else:
            raise _refuse(_INVALID)
        return True

    def _headers(self) -> bool:
        if self.buffer.startswith(b"\r\n"):
            block, skip = b"", 2  # a part with no headers at all
        else:
            block_end = self.buffer.find(b"\r\n\r\n")
            if block_end < 0:
                if len(self.buffer) > _MAX_HEADER_BYTES:
                    raise _refuse(_INVALID)
                return False
            block, skip = bytes(self.buffer[:block_end]), block_end + 4
        if skip > _MAX_HEADER_BYTES:
            raise _refuse(_INVALID)
        del self.buffer[:skip]
        self._start_part(_header_lines(block))
        self.state = _State.CONTENT
        return True

    def _start_part(self, raw: RawHeaders) -> None:
        headers = Headers(raw=raw)
        disposition = next((value for key, value in raw if key == b"content-disposition"), b"")
        _, options = parse_options(disposition.decode("utf-8", "replace"))
        if "name" not in options:
            raise _refuse('The Content-Disposition header field "name" must be provided.')
        self.name = options["name"]
        # COMPAT: a file input left empty comes as `filename=""`: an empty file, as in Starlette
        # (a form parameter then reads it as absent).
        if "filename" in options:
            self.files += 1
            if self.files > self.limits.max_files:
                raise _too_many("files", self.limits.max_files)
            filename = options["filename"].rpartition("\\")[2].rpartition("/")[2]
            self.file = UploadFile(spooled_file(), size=0, filename=filename, headers=headers)
        else:
            self.fields += 1
            if self.fields > self.limits.max_fields:
                raise _too_many("fields", self.limits.max_fields)
            self.text.clear()

    async def _content(self) -> bool:
        found = self.buffer.find(self.delimiter)
        if found < 0:
            # Hold back what could be the start of a delimiter split across chunks.
            safe = len(self.buffer) - len(self.delimiter) + 1
            if safe > 0:
                await self._keep(bytes(self.buffer[:safe]))
                del self.buffer[:safe]
            return False
        await self._keep(bytes(self.buffer[:found]))
        del self.buffer[: found + len(self.delimiter)]
        await self._end_part()
        self.state = _State.AFTER_BOUNDARY
        return True

    async def _keep(self, data: bytes) -> None:
        if self.file is None:
            if len(self.text) + len(data) > self.limits.max_part_size:
                raise _part_too_large(self.limits)
            self.text += data
            return
        if (self.file.size or 0) + len(data) > self.limits.max_file_size:
            limit = self.limits.max_file_size // 1024
            raise _refuse(f"File exceeded maximum size of {limit}KB.", 413)
        await self.file.write(data)

    async def _end_part(self) -> None:
        if self.file is None:
            self.items.append((self.name, self.text.decode("utf-8", "replace")))
            return
        await self.file.seek(0)
        self.items.append((self.name, self.file))
        self.file = None

    def result(self) -> FormData:
        if self.state is not _State.END and self.received:
            raise _refuse(_INVALID)  # the body ended inside a part or before the last boundary
        return FormData(self.items)

    async def close(self) -> None:
        """Remove the files of a form that was refused half-way."""
        if self.file is not None:
            await self.file.close()
        await FormData(self.items).close()


def _header_lines(block: bytes) -> RawHeaders:
    raw: RawHeaders = []
    for line in block.split(b"\r\n") if block else ():
        name, colon, value = line.partition(b":")
        if not colon or _TOKEN.fullmatch(name) is None:
            raise _refuse(_INVALID)
        raw.append((name.lower(), value.strip()))
    return raw
