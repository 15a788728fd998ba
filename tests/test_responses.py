"""Responses: bodies, headers, cookies, streaming, background tasks and files, against FastAPI."""

from __future__ import annotations

import hashlib
import inspect
import os
import sys
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timezone
from email.utils import formatdate
from pathlib import Path
from typing import Any

import anyio
import pytest

import minifast.responses
from minifast.background import BackgroundTask, BackgroundTasks
from minifast.datastructures import URL
from minifast.exceptions import FastAPIDeprecationWarning
from minifast.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from tests.support import call_asgi, compare, framework, http_scope, import_from, request

MTIME = 1_700_000_000.25
CONTENT = bytes(range(256)) * 800  # 200 KiB: several 64 KiB chunks
BOUNDARY = "b" * 26


def responses(name: str) -> Any:
    """`fastapi.responses` or `minifast.responses`."""
    return import_from(name, "responses")


def legacy_scope(method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    """A scope from a server older than ASGI 2.4: disconnects arrive through `receive`."""
    scope = http_scope(method, headers=headers)
    del scope["asgi"]
    return scope


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- plain responses, compared with FastAPI -------------------------------------------------

PLAIN_CASES = [
    pytest.param(lambda n: responses(n).Response(b"hi"), id="bytes-no-media-type"),
    pytest.param(lambda n: responses(n).Response("hé", media_type="text/plain"), id="str-text"),
    pytest.param(lambda n: responses(n).Response(memoryview(b"abc")), id="memoryview"),
    pytest.param(lambda n: responses(n).Response(), id="empty"),
    pytest.param(lambda n: responses(n).Response(b"x", media_type="image/png"), id="binary"),
    pytest.param(lambda n: responses(n).HTMLResponse("<b>é</b>"), id="html"),
    pytest.param(lambda n: responses(n).PlainTextResponse("gone", 404), id="plain-404"),
    pytest.param(
        lambda n: responses(n).PlainTextResponse("x", media_type="text/plain; charset=latin-1"),
        id="charset-kept",
    ),
    pytest.param(lambda n: responses(n).JSONResponse({"a": [1, "é"], "b": None}), id="json"),
    pytest.param(lambda n: responses(n).JSONResponse(None), id="json-null"),
    pytest.param(lambda n: responses(n).JSONResponse([1.5, True], 201), id="json-201"),
    pytest.param(lambda n: responses(n).Response(status_code=204), id="204"),
    pytest.param(lambda n: responses(n).Response(b"", status_code=304), id="304"),
    pytest.param(lambda n: responses(n).Response(status_code=101), id="101"),
    pytest.param(
        lambda n: responses(n).Response("x", headers={"X-Custom": "1", "Content-Type": "a/b"}),
        id="custom-headers",
    ),
    pytest.param(
        lambda n: responses(n).HTMLResponse("x", headers={"content-length": "99"}), id="own-length"
    ),
    pytest.param(lambda n: responses(n).RedirectResponse("/a b?q=ü#f"), id="redirect-quoted"),
    pytest.param(
        lambda n: responses(n).RedirectResponse("https://x.org/p;q?a=1&b=%20", 301),
        id="redirect-301",
    ),
    pytest.param(
        lambda n: responses(n).RedirectResponse(import_from(n, "datastructures").URL("/u v")),
        id="redirect-url-object",
    ),
    pytest.param(
        lambda n: responses(n).RedirectResponse("/x", headers={"Location": "/y", "x-a": "1"}),
        id="redirect-location-replaced",
    ),
    pytest.param(
        lambda n: responses(n).StreamingResponse(iter([b"a", "é", memoryview(b"c")])),
        id="stream-sync",
    ),
    pytest.param(
        lambda n: responses(n).StreamingResponse(agen(b"x", "y"), media_type="text/event-stream"),
        id="stream-async",
    ),
    pytest.param(
        lambda n: responses(n).StreamingResponse(agen(b"ab"), headers={"content-length": "2"}),
        id="stream-own-length",
    ),
]


async def agen(*chunks: bytes | str) -> AsyncIterator[bytes | str]:
    for chunk in chunks:
        yield chunk


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("build", PLAIN_CASES)
def test_response_matches_fastapi(build: Callable[[str], Any], method: str) -> None:
    ours = compare(build, method, "/")
    if method == "HEAD":
        assert ours.body == b""


@pytest.mark.parametrize(
    ("response", "headers"),
    [
        pytest.param(
            HTMLResponse("é"),
            [("content-length", "2"), ("content-type", "text/html; charset=utf-8")],
            id="html",
        ),
        pytest.param(Response(status_code=204), [], id="204-no-length"),
        pytest.param(
            PlainTextResponse(status_code=304),
            [("content-type", "text/plain; charset=utf-8")],
            id="304-no-length",
        ),
        pytest.param(
            JSONResponse({"a": 1}),
            [("content-length", "7"), ("content-type", "application/json")],
            id="json",
        ),
        pytest.param(
            StreamingResponse(iter([b"x"]), media_type="text/plain"),
            [("content-type", "text/plain; charset=utf-8")],
            id="stream-no-length",
        ),
    ],
)
def test_default_headers(response: Response, headers: list[tuple[str, str]]) -> None:
    assert request(response).headers == headers


@pytest.mark.parametrize(
    ("content", "body"),
    [
        pytest.param(float("nan"), b"null", id="nan"),
        pytest.param({"a": [1.5, float("inf")], "b": (float("-inf"),)},
                     b'{"a":[1.5,null],"b":[null]}', id="nested-infinity"),
        pytest.param({"\ud800": "x\udfff"}, b'{"\\ud800":"x\\udfff"}', id="lone-surrogates"),
        pytest.param(["\u00e9", "\ud800"], b'["\\u00e9","\\ud800"]', id="escaped-all-through"),
    ],
)  # fmt: skip
def test_json_always_renders(content: Any, body: bytes) -> None:
    """Non-finite floats become null (as in a response model), lone surrogates are escaped."""
    assert JSONResponse(content).body == body


def test_json_circular_content_still_fails() -> None:
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular reference"):
        JSONResponse(looped)


def test_headers_view_writes_through() -> None:
    response = PlainTextResponse("x")
    response.headers["X-A"] = "1"
    response.headers.append("x-b", "2")
    del response.headers["content-type"]
    assert request(response).headers == [("content-length", "1"), ("x-a", "1"), ("x-b", "2")]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"x-a": "v\r\nInjected: 1"}, id="crlf-value"),
        pytest.param({"x-a\n": "v"}, id="lf-name"),
        pytest.param({"x-a": "v\0"}, id="nul-value"),
        pytest.param({"": "v"}, id="empty-name"),
    ],
)
def test_header_injection_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="invalid header"):
        Response("x", headers=headers)
    with pytest.raises(ValueError, match="invalid header"):
        Response("x").headers.update(headers)


def test_redirect_location_cannot_inject_headers() -> None:
    response = RedirectResponse("/a\r\nSet-Cookie: x=1")
    assert response.headers["location"] == "/a%0D%0ASet-Cookie:%20x=1"
    assert response.status_code == 307


# --- cookies --------------------------------------------------------------------------------

UTC = timezone.utc
COOKIE_CASES = [
    pytest.param({}, id="defaults"),
    pytest.param({"value": 'a b;c"d'}, id="quoted-value"),
    pytest.param({"value": "x\r\nSet-Cookie: y"}, id="crlf-value"),
    pytest.param({"max_age": 60}, id="max-age"),
    pytest.param({"expires": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)}, id="expires-datetime"),
    pytest.param({"expires": "Wed, 01 Jan 2031 00:00:00 GMT"}, id="expires-str"),
    pytest.param({"expires": 3600}, id="expires-seconds"),
    pytest.param({"path": None}, id="no-path"),
    pytest.param({"path": "/sub", "domain": "example.com"}, id="path-domain"),
    pytest.param({"secure": True, "httponly": True}, id="secure-httponly"),
    pytest.param({"samesite": "strict"}, id="strict"),
    pytest.param({"samesite": "none", "secure": True}, id="none"),
    pytest.param({"samesite": None}, id="no-samesite"),
    pytest.param(
        {
            "value": "v",
            "max_age": 5,
            "expires": 10,
            "path": "/p",
            "domain": "d.org",
            "secure": True,
            "httponly": True,
            "samesite": "strict",
        },
        id="everything",
    ),
]


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """http.cookies computes integer `expires` from time.time(); pin it for both frameworks."""
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.0)


def cookie_headers(name: str, method: str, **options: Any) -> list[tuple[bytes, bytes]]:
    response = responses(name).Response()
    getattr(response, method)("session", **options)
    return [header for header in response.raw_headers if header[0] == b"set-cookie"]


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("options", COOKIE_CASES)
def test_set_cookie_matches_fastapi(options: dict[str, Any]) -> None:
    ours = cookie_headers("minifast", "set_cookie", **options)
    assert ours == cookie_headers("fastapi", "set_cookie", **options)
    assert b"\r" not in ours[0][1] and b"\n" not in ours[0][1]


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize(
    "options",
    [
        pytest.param({}, id="defaults"),
        pytest.param({"path": "/p", "domain": "d.org"}, id="path-domain"),
        pytest.param({"secure": True, "httponly": True, "samesite": None}, id="flags"),
    ],
)
def test_delete_cookie_matches_fastapi(options: dict[str, Any]) -> None:
    ours = cookie_headers("minifast", "delete_cookie", **options)
    assert ours == cookie_headers("fastapi", "delete_cookie", **options)
    assert b"Max-Age=0" in ours[0][1]


@pytest.mark.parametrize("method", ["set_cookie", "delete_cookie"])
def test_partitioned_cookie(method: str) -> None:
    if sys.version_info >= (3, 14):  # pragma: no cover - http.cookies knows the attribute
        assert cookie_headers("minifast", method, partitioned=True) == cookie_headers(
            "fastapi", method, partitioned=True
        )
        return
    for name in ("minifast", "fastapi"):
        with pytest.raises(ValueError, match=r"Python 3\.14"):
            cookie_headers(name, method, partitioned=True)


def test_cookies_are_sent() -> None:
    response = Response("x")
    response.set_cookie("a", "1")
    response.set_cookie("b", "2", httponly=True)
    cookies = [value for key, value in request(response).headers if key == "set-cookie"]
    assert cookies == ["a=1; Path=/; SameSite=lax", "b=2; HttpOnly; Path=/; SameSite=lax"]


# --- background tasks -----------------------------------------------------------------------


def recording_send(log: list[str]) -> Callable[[Any], Any]:
    async def send(message: Any) -> None:
        log.append(f"{message['type']}:{message.get('body', b'')!r}")

    return send


async def no_receive() -> Any:
    await anyio.sleep_forever()


@pytest.mark.anyio
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda task: Response(b"a", background=task), id="response"),
        pytest.param(lambda task: StreamingResponse(agen(b"a"), background=task), id="stream"),
    ],
)
async def test_background_runs_after_body(make: Callable[[BackgroundTask], Response]) -> None:
    log: list[str] = []
    tasks = BackgroundTasks()
    tasks.add_task(log.append, "sync-task")

    async def async_task() -> None:
        log.append("async-task")

    tasks.add_task(async_task)
    await make(tasks)(http_scope(), no_receive, recording_send(log))
    assert log[-2:] == ["sync-task", "async-task"]
    assert "http.response.body:b'a'" in log[:-2]


# --- streaming ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_stream_messages_and_thread_pool() -> None:
    threads: list[int] = []

    def chunks() -> Iterator[str | bytes]:
        threads.append(threading.get_ident())
        yield "é"
        yield b"b"

    captured = await call_asgi(StreamingResponse(chunks()), http_scope())
    bodies = [(m["body"], m["more_body"]) for m in captured.messages[1:]]
    assert bodies == [("é".encode(), True), (b"b", True), (b"", False)]
    assert threads != [threading.get_ident()]  # a blocking iterator runs off the loop


@pytest.mark.anyio
async def test_stream_head_does_not_iterate() -> None:
    started: list[bool] = []

    async def chunks() -> AsyncIterator[bytes]:
        started.append(True)
        yield b"x"

    captured = await call_asgi(StreamingResponse(chunks()), http_scope("HEAD"))
    assert (captured.status, captured.body, started) == (200, b"", [])


async def endless(produced: list[int]) -> AsyncIterator[bytes]:
    while True:
        produced.append(1)
        yield b"x"
        await anyio.sleep(0)


@pytest.mark.anyio
async def test_stream_stops_when_send_raises_oserror() -> None:
    """ASGI 2.4: the server raises OSError from `send` once the client has gone."""
    produced: list[int] = []
    sent: list[Any] = []

    async def send(message: Any) -> None:
        if len(sent) == 3:
            raise OSError("client disconnected")
        sent.append(message)

    ran: list[str] = []
    response = StreamingResponse(endless(produced), background=BackgroundTask(ran.append, "x"))
    await response(http_scope(), no_receive, send)
    assert len(produced) == 3
    assert ran == []  # like FastAPI, tasks don't run for a response the client never got


@pytest.mark.anyio
async def test_stream_stops_on_disconnect_message() -> None:
    """Before ASGI 2.4: the server reports the disconnect through `receive`."""
    produced: list[int] = []
    sent = anyio.Event()

    async def receive() -> Any:
        await sent.wait()
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        if message.get("body"):
            sent.set()

    ran: list[str] = []
    response = StreamingResponse(endless(produced), background=BackgroundTask(ran.append, "x"))
    with anyio.fail_after(5):
        await response(legacy_scope(), receive, send)
    assert 1 <= len(produced) < 10
    assert ran == ["x"]


@pytest.mark.anyio
async def test_stream_ignores_request_messages_and_finishes() -> None:
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Any:
        if messages:
            return messages.pop()
        await anyio.sleep_forever()

    captured: list[Any] = []

    async def send(message: Any) -> None:
        captured.append(message)

    with anyio.fail_after(5):
        await StreamingResponse(agen(b"a", b"b"))(legacy_scope(), receive, send)
    assert b"".join(m.get("body", b"") for m in captured) == b"ab"


async def failing() -> AsyncIterator[bytes]:
    yield b"a"
    raise KeyError("boom")


@pytest.mark.anyio
@pytest.mark.parametrize("legacy", [False, True], ids=["asgi-2.4", "asgi-2.0"])
async def test_stream_error_is_raised_unwrapped(legacy: bool) -> None:
    scope = legacy_scope() if legacy else http_scope()
    with pytest.raises(KeyError, match="boom"):
        await call_asgi(StreamingResponse(failing()), scope)


# --- files ----------------------------------------------------------------------------------


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.txt"
    path.write_bytes(CONTENT)
    os.utime(path, (MTIME, MTIME))
    return path


@pytest.fixture
def fixed_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Multipart boundaries are random; pin them so both frameworks' bodies compare equal."""
    pytest.importorskip("starlette")
    monkeypatch.setattr("starlette.responses.token_hex", lambda _: BOUNDARY)
    monkeypatch.setattr("secrets.token_hex", lambda _: BOUNDARY)


RANGES = {
    "first-10": b"bytes=0-9",
    "open-end": b"bytes=10-",
    "suffix": b"bytes=-5",
    "suffix-zero": b"bytes=-0",
    "suffix-too-long": b"bytes=-999999",
    "end-past-size": b"bytes=204790-999999",
    "start-at-size": b"bytes=204800-",
    "last-byte": b"bytes=204799-204799",
    "across-chunks": b"bytes=65530-131080",
    "reversed": b"bytes=5-2",
    "no-dash": b"bytes=abc",
    "start-not-a-number": b"bytes=x-5",
    "end-not-a-number": b"bytes=0-x",
    "underscored-number": b"bytes=1_0-2_0",
    "no-equals": b"bytes",
    "other-unit": b"items=0-5",
    "empty": b"bytes=",
    "lone-dash": b"bytes=-",
    "spaces": b"bytes = 3 - 4 ",
    "upper-unit": b"BYTES=0-5",
    "bad-part-skipped": b"bytes=0-9,abc",
    "one-unsatisfiable": b"bytes=300000-,0-1",
    "unsatisfiable-before-reversed": b"bytes=5-2,300000-",
    "multi": b"bytes=0-1,5-6",
    "multi-unsorted-across-chunks": b"bytes=100000-100009,0-5,65530-",
    "multi-suffix": b"bytes=0-9,-5",
    "overlapping-merged": b"bytes=0-5,3-8",
    "adjacent-merged": b"bytes=0-9,10-19",
    "duplicate-merged": b"bytes=0-9,0-9",
    "multi-reversed": b"bytes=0-9,5-2",
    "100-ranges": b"bytes=" + b",".join([b"0-1"] * 100),
    "101-ranges-ignored": b"bytes=" + b",".join([b"0-1"] * 101),
    "negative-end": b"bytes=5--3",
}


@pytest.mark.usefixtures("fixed_boundary")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("header", list(RANGES.values()), ids=list(RANGES))
def test_file_range_matches_fastapi(data_file: Path, header: bytes, method: str) -> None:
    build = lambda name: responses(name).FileResponse(data_file)  # noqa: E731
    ours = compare(build, method, "/", headers=[(b"range", header)])
    if method == "HEAD":
        assert ours.body == b""


RANGE_0_9 = (b"range", b"bytes=0-9")
LAST_MODIFIED = formatdate(MTIME, usegmt=True)
FILE_CASES = {
    "plain": ({}, [], "GET"),
    "post-ignores-range": ({}, [(b"range", b"bytes=0-9")], "POST"),
    "status-201-ignores-range": ({"status_code": 201}, [(b"range", b"bytes=0-9")], "GET"),
    "status-204": ({"status_code": 204}, [], "GET"),
    "filename": ({"filename": "report.csv"}, [], "GET"),
    "filename-space": ({"filename": "a b.txt"}, [], "GET"),
    "filename-unicode": ({"filename": "résumé.pdf"}, [], "GET"),
    "filename-quote": ({"filename": 'q"x.txt'}, [], "GET"),
    "filename-slash": ({"filename": "dir/x.txt"}, [], "GET"),
    "inline": ({"filename": "x.png", "content_disposition_type": "inline"}, [], "GET"),
    "tar-gz": ({"filename": "x.tar.gz"}, [], "GET"),
    "unknown-type": ({"filename": "x.unknownext"}, [], "GET"),
    "media-type": ({"media_type": "text/html"}, [], "GET"),
    "empty-media-type": ({"media_type": ""}, [], "GET"),
    "own-headers": ({"headers": {"ETag": '"mine"', "content-length": "3"}}, [], "GET"),
    "own-disposition": ({"headers": {"content-disposition": "inline"}, "filename": "a"}, [], "GET"),
    "range-replaces-content-range": (
        {"headers": {"content-range": "zzz"}}, [(b"range", b"bytes=0-9")], "GET"
    ),
    "multi-own-type": ({"headers": {"content-type": "a/b"}}, [(b"range", b"bytes=0-1,4-5")], "GET"),
    "if-range-date": ({}, [RANGE_0_9, (b"if-range", LAST_MODIFIED.encode())], "GET"),
    "if-range-stale": ({}, [RANGE_0_9, (b"if-range", b"Mon, 01 Jan 2001 00:00:00 GMT")], "GET"),
    "if-range-weak": ({}, [RANGE_0_9, (b"if-range", b'W/"x"')], "GET"),
    "if-range-own-etag": (
        {"headers": {"etag": '"x"'}}, [(b"range", b"bytes=0-9"), (b"if-range", b'"x"')], "GET"
    ),
}  # fmt: skip


@pytest.mark.usefixtures("fixed_boundary")
@pytest.mark.parametrize(
    ("options", "headers", "method"), FILE_CASES.values(), ids=list(FILE_CASES)
)
def test_file_matches_fastapi(
    data_file: Path, options: dict[str, Any], headers: list[tuple[bytes, bytes]], method: str
) -> None:
    build = lambda name: responses(name).FileResponse(data_file, **options)  # noqa: E731
    compare(build, method, "/", headers=headers)


@pytest.mark.parametrize("use_stat", [False, True], ids=["stat-on-call", "stat-given"])
def test_file_headers(data_file: Path, use_stat: bool) -> None:
    stat_result = os.stat(data_file) if use_stat else None
    response = FileResponse(str(data_file), stat_result=stat_result, filename="résumé.txt")
    etag = '"' + hashlib.md5(f"{MTIME}-{len(CONTENT)}".encode()).hexdigest() + '"'
    captured = request(response)
    assert captured.status == 200
    assert captured.body == CONTENT
    assert dict(captured.headers) == {
        "content-type": "text/plain; charset=utf-8",
        "accept-ranges": "bytes",
        "content-disposition": "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt",
        "content-length": str(len(CONTENT)),
        "last-modified": "Tue, 14 Nov 2023 22:13:20 GMT",
        "etag": etag,
    }
    assert [len(m["body"]) for m in captured.messages[1:]] == [65536, 65536, 65536, 8192, 0]


def test_file_etag_from_given_stat_result(data_file: Path) -> None:
    """COMPAT: the etag hashes str(st_mtime), which is "1700000000" for an integer mtime."""
    stat_result = os.stat_result((0o100644, 0, 0, 0, 0, 0, 10, 0, 1_700_000_000, 0))
    response = FileResponse(data_file, stat_result=stat_result)
    assert response.headers["etag"] == '"' + hashlib.md5(b"1700000000-10").hexdigest() + '"'
    captured = request(response)
    assert (captured.status, captured.body) == (200, CONTENT[:10])


@pytest.mark.parametrize(
    ("header", "status", "content_range", "body"),
    [
        pytest.param(b"bytes=0-9", 206, "bytes 0-9/204800", CONTENT[:10], id="first"),
        pytest.param(b"bytes=-5", 206, "bytes 204795-204799/204800", CONTENT[-5:], id="suffix"),
        pytest.param(b"bytes=204800-", 416, "bytes */204800", b"", id="unsatisfiable"),
        pytest.param(b"bytes=5-2", 400, None, b"Range header: start must be less than end",
                     id="reversed"),
        pytest.param(b"items=1-2", 400, None, b"Only support bytes range", id="unit"),
        pytest.param(b"bytes", 400, None, b"Malformed range header.", id="malformed"),
        pytest.param(b"bytes=x", 400, None, b"Range header: range must be requested", id="empty"),
    ],
)  # fmt: skip
def test_file_range_answers(
    data_file: Path, header: bytes, status: int, content_range: str | None, body: bytes
) -> None:
    captured = request(FileResponse(data_file), headers=[(b"range", header)])
    assert (captured.status, captured.header("content-range"), captured.body) == (
        status,
        content_range,
        body,
    )
    assert captured.header("content-length") == str(len(body))


def test_file_multiple_ranges(data_file: Path, fixed_boundary: None) -> None:
    captured = request(FileResponse(data_file), headers=[(b"range", b"bytes=5-6,0-1")])
    assert captured.header("content-type") == f"multipart/byteranges; boundary={BOUNDARY}"
    part = "--{}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes {}/204800"
    part += "\r\n\r\n"
    expected = (
        part.format(BOUNDARY, "0-1").encode() + CONTENT[0:2] + b"\r\n"
        + part.format(BOUNDARY, "5-6").encode() + CONTENT[5:7] + b"\r\n"
        + f"--{BOUNDARY}--".encode()
    )  # fmt: skip
    assert (captured.status, captured.body) == (206, expected)
    assert captured.header("content-length") == str(len(expected))


@pytest.mark.parametrize(
    ("filename", "media_type"),
    [
        pytest.param("a.json", "application/json", id="json"),
        pytest.param("a.html", "text/html; charset=utf-8", id="html"),
        pytest.param("a.tar.gz", "application/x-tar", id="tar-gz"),
        pytest.param("a", "application/octet-stream", id="no-suffix"),
    ],
)
def test_file_media_type_from_path(tmp_path: Path, filename: str, media_type: str) -> None:
    path = tmp_path / filename
    path.write_bytes(b"{}")
    assert request(FileResponse(path)).header("content-type") == media_type


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
def test_file_missing_or_not_a_file(tmp_path: Path, name: str) -> None:
    file_response = responses(name).FileResponse
    with pytest.raises(RuntimeError, match=r"File at path .*missing\.txt does not exist\."):
        request(file_response(tmp_path / "missing.txt"))
    with pytest.raises(RuntimeError, match=r"File at path .* is not a file\."):
        request(file_response(tmp_path))
    stat_result = os.stat(tmp_path)
    with pytest.raises(FileNotFoundError):
        request(file_response(tmp_path / "missing.txt", stat_result=stat_result))


def test_file_shorter_than_its_stat_result(data_file: Path) -> None:
    stat_result = os.stat(data_file)
    data_file.write_bytes(b"short")
    with pytest.raises(RuntimeError, match="shorter than expected"):
        request(FileResponse(data_file, stat_result=stat_result))


def test_file_signature_matches_fastapi() -> None:
    fastapi_responses = responses("fastapi")
    expected = inspect.signature(fastapi_responses.FileResponse).parameters
    assert list(inspect.signature(FileResponse).parameters) == list(expected)
    assert (FileResponse.chunk_size, FileResponse.max_ranges) == (65536, 100)


class SmallChunks(FileResponse):
    chunk_size = 3


def test_file_chunk_size_is_honoured(data_file: Path) -> None:
    captured = request(SmallChunks(data_file), headers=[(b"range", b"bytes=2-9")])
    assert [m["body"] for m in captured.messages[1:]] == [
        CONTENT[2:5], CONTENT[5:8], CONTENT[8:10], b""
    ]  # fmt: skip


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["minifast", "fastapi"])
async def test_file_pathsend(data_file: Path, name: str) -> None:
    scope = http_scope()
    scope["extensions"] = {"http.response.pathsend": {}}
    captured = await call_asgi(responses(name).FileResponse(data_file), scope)
    assert captured.messages[1] == {"type": "http.response.pathsend", "path": str(data_file)}
    scope["headers"].append((b"range", b"bytes=0-1"))
    captured = await call_asgi(responses(name).FileResponse(data_file), scope)
    assert (captured.status, captured.body) == (206, CONTENT[:2])


@pytest.mark.anyio
async def test_file_background_runs_after_body(data_file: Path) -> None:
    log: list[str] = []
    response = SmallChunks(data_file, background=BackgroundTask(log.append, "task"))
    await response(http_scope(headers=[(b"range", b"bytes=0-1")]), no_receive, recording_send(log))
    assert log == [
        "http.response.start:b''",
        f"http.response.body:{CONTENT[:2]!r}",
        "http.response.body:b''",
        "task",
    ]


@pytest.mark.anyio
@pytest.mark.parametrize("header", [b"bytes=999999-", b"bytes=x"], ids=["416", "400"])
async def test_file_range_error_skips_background(data_file: Path, header: bytes) -> None:
    """COMPAT: FastAPI answers a bad Range with the error alone; background tasks don't run."""
    log: list[str] = []
    response = FileResponse(data_file, background=BackgroundTask(log.append, "task"))
    await response(http_scope(headers=[(b"range", header)]), no_receive, recording_send(log))
    assert "task" not in log


@pytest.mark.anyio
async def test_file_legacy_server_completes(data_file: Path) -> None:
    with anyio.fail_after(5):
        captured = await call_asgi(FileResponse(data_file), legacy_scope())
    assert captured.body == CONTENT


@pytest.mark.anyio
async def test_file_legacy_server_stops_on_disconnect(data_file: Path) -> None:
    log: list[str] = []
    first_chunk = anyio.Event()

    async def receive() -> Any:
        await first_chunk.wait()
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        log.append(message["type"])
        if message.get("body"):
            first_chunk.set()
            await anyio.sleep_forever()  # a slow client: only the disconnect ends this

    response = FileResponse(data_file, background=BackgroundTask(log.append, "task"))
    with anyio.fail_after(5):
        await response(legacy_scope(), receive, send)
    assert log == ["http.response.start", "http.response.body", "task"]


@pytest.mark.anyio
async def test_file_legacy_server_error_is_unwrapped(data_file: Path) -> None:
    response = FileResponse(data_file.with_name("gone"), stat_result=os.stat(data_file))
    with pytest.raises(FileNotFoundError):
        await call_asgi(response, legacy_scope())


def test_file_head_reads_nothing(data_file: Path) -> None:
    response = FileResponse(data_file, stat_result=os.stat(data_file))
    data_file.unlink()  # HEAD must not open the file: the stat_result answers everything
    captured = request(response, "HEAD")
    assert (captured.status, captured.body) == (200, b"")
    assert captured.header("content-length") == str(len(CONTENT))


def test_file_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.bin"
    path.touch()
    captured = request(FileResponse(path))
    assert (captured.status, captured.body, captured.header("content-length")) == (200, b"", "0")
    captured = request(FileResponse(path), headers=[(b"range", b"bytes=0-")])
    assert (captured.status, captured.header("content-range")) == (416, "bytes */0")


def test_url_object_redirect() -> None:
    response = RedirectResponse(URL("https://example.com/a b"), status_code=302)
    assert (response.status_code, response.headers["location"]) == (
        302,
        "https://example.com/a%20b",
    )


def build_third_party_json(name: str) -> Any:
    """The deprecated ORJSON and UJSON response classes, as the app's default and per route."""
    fw = framework(name)
    responses = import_from(name, "responses")
    app = fw.FastAPI(default_response_class=responses.ORJSONResponse, openapi_url=None)

    @app.get("/orjson")
    def orjson_default() -> Any:
        return {1: "non-string key", "text": "é", "float": 1.5}

    @app.get("/ujson", response_class=responses.UJSONResponse)
    def ujson_route() -> Any:
        return {"text": "é", "list": [1, None, True]}

    return app


@pytest.mark.parametrize("path", ["/orjson", "/ujson"])
def test_third_party_json_responses_as_fastapi(path: str) -> None:
    pytest.importorskip("orjson")
    pytest.importorskip("ujson")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both frameworks warn that the classes are deprecated
        compare(build_third_party_json, "GET", path)


@pytest.mark.parametrize("kind", ["ORJSONResponse", "UJSONResponse"])
def test_third_party_json_responses_are_deprecated(kind: str) -> None:
    response_class = getattr(minifast.responses, kind)
    with pytest.warns(FastAPIDeprecationWarning, match=f"{kind} is deprecated"):
        response_class({"a": 1})


def test_a_missing_json_library_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "orjson", None)  # as if not installed
    with (
        warnings.catch_warnings(),
        pytest.raises(RuntimeError, match="orjson must be installed to use ORJSONResponse"),
    ):
        warnings.simplefilter("ignore")
        minifast.responses.ORJSONResponse({"a": 1})


def test_a_streaming_subclass_may_set_headers_without_a_body() -> None:
    """COMPAT: a subclass that streams calls init_headers and never sets `body` (SSE
    libraries do): no content-length, no error."""

    class Streamed(Response):
        def __init__(self) -> None:
            self.status_code, self.media_type, self.background = 200, "text/event-stream", None
            self.init_headers({"cache-control": "no-store"})

    assert Streamed().raw_headers == [
        (b"cache-control", b"no-store"),
        (b"content-type", b"text/event-stream; charset=utf-8"),
    ]
