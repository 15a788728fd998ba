"""What FileResponse decides without touching the file: byte ranges (a `Range: bytes=...`
header read into spans, and the pieces of a multipart/byteranges body), the etag and the
content-disposition value. Pure functions of text and sizes: FileResponse (responses.py)
decides when a range applies, reads the file and sends the pieces."""

from __future__ import annotations

import os
from urllib.parse import quote

Span = tuple[int, int]  # [start, end) byte offsets in the file
Piece = bytes | Span  # a body is literal bytes (multipart framing) and file spans


class RangeError(Exception):
    """A Range header answered with an error (400, or 416 for a range past the end)."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers


def parse_range(header: str, size: int, max_ranges: int) -> list[Span]:
    """The spans a `Range: bytes=...` header asks for, sorted and merged.

    An empty list means "ignore the header"; a header FastAPI refuses raises RangeError.
    """
    unit, equals, specs = header.partition("=")
    if not equals:
        raise RangeError(400, "Malformed range header.")
    if unit.strip().lower() != "bytes":
        raise RangeError(400, "Only support bytes range")
    parts = specs.split(",")
    if len(parts) > max_ranges:
        return []
    # COMPAT: like FastAPI, parts that aren't "a-b", "a-" or "-n" are skipped, not refused.
    spans = [span for span in (_parse_spec(part, size) for part in parts) if span is not None]
    if not spans:
        raise RangeError(400, "Range header: range must be requested")
    if any(not 0 <= start < size for start, _ in spans):
        raise RangeError(416, "", {"content-range": f"bytes */{size}"})
    if any(start >= end for start, end in spans):
        raise RangeError(400, "Range header: start must be less than end")
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


def multipart(spans: list[Span], size: int, boundary: str, content_type: str) -> list[Piece]:
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


def length(pieces: list[Piece]) -> int:
    return sum(len(piece) if isinstance(piece, bytes) else piece[1] - piece[0] for piece in pieces)


def content_disposition(filename: str, disposition_type: str) -> str:
    quoted = quote(filename)
    if quoted != filename:
        # RFC 6266: a name that needs escaping goes in the RFC 5987 extended form.
        return f"{disposition_type}; filename*=utf-8''{quoted}"
    return f'{disposition_type}; filename="{filename}"'


def etag(stat_result: os.stat_result) -> str:
    """COMPAT: FastAPI's etag, the MD5 of "<mtime>-<size>", so caches survive a switch."""
    import hashlib  # PERF: with the first file, as mimetypes

    base = f"{stat_result.st_mtime}-{stat_result.st_size}"
    return f'"{hashlib.md5(base.encode(), usedforsecurity=False).hexdigest()}"'
