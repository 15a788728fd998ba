"""GZipMiddleware: which responses are compressed, and how, compared with FastAPI's."""

# No `from __future__ import annotations`: apps are built inside functions for two frameworks.

import functools
import gzip
import io
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from tests.support import FRAMEWORKS, compare, framework, import_from, request

LARGE = "x" * 2000


def build(name: str, **options: Any) -> Any:
    """One route per kind of response the middleware must tell apart."""
    fw = framework(name)
    responses = import_from(name, "responses")
    app = fw.FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(import_from(name, "middleware.gzip").GZipMiddleware, **options)
    fixed = {
        "/small": lambda: responses.PlainTextResponse("x" * 10),
        "/large": lambda: responses.PlainTextResponse(LARGE, headers={"vary": "Origin"}),
        "/encoded": lambda: responses.Response(LARGE, headers={"content-encoding": "br"}),
        "/events": lambda: responses.StreamingResponse(chunks(300), media_type="text/event-stream"),
        "/image": lambda: responses.Response(LARGE, media_type="image/PNG; q=1"),
        "/video": lambda: responses.Response(LARGE, media_type="video/mp4"),
    }
    for path, answer in fixed.items():
        app.add_api_route(path, answer, methods=["GET", "HEAD"])

    @app.get("/json")
    async def json_list() -> list[int]:
        return list(range(1000))

    @app.get("/stream/{size}")
    async def stream(size: int) -> Any:
        return responses.StreamingResponse(chunks(size), media_type="text/plain")

    return app


async def chunks(size: int) -> AsyncIterator[str]:
    for index in range(3):
        yield f"{index}" * size


GZIP = [(b"accept-encoding", b"gzip, deflate, br")]
CASES = [
    ("small", {}, "/small", GZIP, False),
    ("large", {}, "/large", GZIP, True),
    ("json", {}, "/json", GZIP, True),
    ("at-minimum-size", {"minimum_size": 2000}, "/large", GZIP, True),
    ("under-minimum-size", {"minimum_size": 2001}, "/large", GZIP, False),
    ("compresslevel", {"compresslevel": 1}, "/large", GZIP, True),
    ("in-a-thread", {"thread_minimum_size": 100}, "/large", GZIP, True),
    ("no-accept-encoding", {}, "/large", [], False),
    ("identity-only", {}, "/large", [(b"accept-encoding", b"identity")], False),
    ("accept-is-case-sensitive", {}, "/large", [(b"accept-encoding", b"GZIP")], False),
    ("x-gzip", {}, "/large", [(b"accept-encoding", b"x-gzip")], True),
    ("no-accept-small", {}, "/small", [], False),
    ("stream", {}, "/stream/300", GZIP, True),
    ("stream-tiny-chunks", {}, "/stream/1", GZIP, True),
    ("stream-no-accept", {}, "/stream/300", [], False),
    ("already-encoded", {}, "/encoded", GZIP, False),
    ("event-stream", {}, "/events", GZIP, False),
    ("excluded-type-with-parameters", {}, "/image", GZIP, False),
    ("excluded-major-type", {}, "/video", GZIP, False),
    ("exclusions-replaced", {"exclude_content_types": ("image/*",)}, "/events", GZIP, True),
    ("not-found", {"minimum_size": 1}, "/nowhere", GZIP, True),
]


@pytest.mark.parametrize(("options", "path", "headers", "compressed"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])  # fmt: skip
def test_answers_as_fastapi(
    options: dict[str, Any], path: str, headers: Any, compressed: bool
) -> None:
    # The bodies compared are the compressed bytes: the gzip header's mtime is 0 on both.
    answer = compare(functools.partial(build, **options), "GET", path, headers=headers)
    assert (answer.header("content-encoding") == "gzip") is compressed
    if compressed:
        plain = request(build("minifast", **options), "GET", path)
        assert gzip.decompress(answer.body) == plain.body


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_streamed_bodies_are_compressed_chunk_by_chunk(name: str) -> None:
    answer = request(build(name), "GET", "/stream/300", headers=GZIP)
    bodies = [m for m in answer.messages if m["type"] == "http.response.body"]
    assert [m["more_body"] for m in bodies] == [True, True, True, False]
    assert answer.header("content-length") is None
    # Each chunk is flushed, so the first one already decompresses on its own.
    first = gzip.GzipFile(fileobj=io.BytesIO(bodies[0]["body"]))
    assert first.read1(1000) == b"0" * 300


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_stream_is_not_buffered(name: str) -> None:
    gzip_middleware = import_from(name, "middleware.gzip").GZipMiddleware
    sent: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a" * 100, "more_body": True})
        # The first chunk has reached the server before the app produces the next one.
        assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def collect(message: Any) -> None:
        sent.append(message)

    anyio.run(
        gzip_middleware(app), {"type": "http", "method": "GET", "headers": GZIP}, None, collect
    )
    assert gzip.decompress(b"".join(m["body"] for m in sent[1:])) == b"a" * 100


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_other_response_messages_pass_untouched(name: str) -> None:
    gzip_middleware = import_from(name, "middleware.gzip").GZipMiddleware
    start = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"9")]}
    path_send = {"type": "http.response.pathsend", "path": "/srv/file"}
    sent: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(start)
        await send(path_send)

    async def collect(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "headers": GZIP}
    anyio.run(gzip_middleware(app), scope, None, collect)
    assert sent == [start, path_send]


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/large", []), ("/small", GZIP), ("/encoded", GZIP)],
    ids=["large-no-accept-encoding", "small", "already-encoded"],
)
def test_head_answers_as_fastapi(path: str, headers: Any) -> None:
    answer = compare(build, "HEAD", path, headers=headers)
    assert answer.header("content-encoding") != "gzip"


def test_head_announces_gzip_without_its_length() -> None:
    # COMPAT: FastAPI renders a HEAD body and compresses it, to announce its gzip length;
    # minifast renders none, so its HEAD answer has the same headers but no Content-Length.
    reference = request(build("fastapi"), "HEAD", "/large", headers=GZIP)
    ours = request(build("minifast"), "HEAD", "/large", headers=GZIP)
    assert (ours.status, ours.body, ours.header("content-encoding")) == (200, b"", "gzip")
    assert ours.header("content-length") is None
    assert sorted(ours.headers) == sorted(
        (key, value) for key, value in reference.headers if key != "content-length"
    )


@pytest.mark.parametrize("name", FRAMEWORKS)
@pytest.mark.parametrize("scope_type", ["websocket", "lifespan"])
def test_other_scopes_pass_through(name: str, scope_type: str) -> None:
    seen: list[Any] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope["type"], send))

    layer = import_from(name, "middleware.gzip").GZipMiddleware(inner)
    anyio.run(layer, {"type": scope_type, "headers": GZIP}, None, print)
    assert seen == [(scope_type, print)]
