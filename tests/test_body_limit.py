"""The request body limit: app-wide, per router, per route, and where the body is read."""

from typing import Annotated, Any

import anyio
import pytest
from pydantic import BaseModel

from minifast import APIRouter, FastAPI, Form, Request, UploadFile
from tests.support import Captured, http_scope

MiB = 1024 * 1024
TOO_LARGE = (413, b'{"detail":"Request body too large"}')


class Item(BaseModel):
    name: str


async def _send_chunks(
    app: Any, path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]
) -> tuple[Captured, int]:
    """POST `chunks` one receive() at a time; also answer how many body bytes were handed out."""
    handed_out = 0
    pending = list(chunks)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal handed_out
        if not pending:
            await anyio.sleep_forever()
        chunk = pending.pop(0)
        handed_out += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await app(http_scope("POST", path, headers=headers), receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Captured(start["status"], [], body, sent), handed_out


def post(
    app: Any,
    path: str,
    body: bytes,
    *,
    content_type: bytes = b"application/json",
    declared: int | None = -1,
) -> tuple[int, bytes, int]:
    """POST `body` in 64 KiB chunks, with Content-Length `declared`.

    `declared=-1` sends the true length, None sends none. Answers status, body, bytes handed out.
    """
    headers = [(b"content-type", content_type)]
    if declared is not None:
        length = len(body) if declared == -1 else declared
        headers.append((b"content-length", str(length).encode()))
    chunks = [body[i : i + 64 * 1024] for i in range(0, len(body), 64 * 1024)] or [b""]

    async def run() -> tuple[Captured, int]:
        return await _send_chunks(app, path, chunks, headers)

    captured, handed_out = anyio.run(run)
    return captured.status, captured.body, handed_out


def _app(**options: Any) -> FastAPI:
    app = FastAPI(**options)

    @app.post("/json")
    async def json_body(item: Item) -> dict[str, str]:
        return {"name": item.name}

    @app.post("/small", max_body_size=100)
    async def small(item: Item) -> dict[str, str]:
        return {"name": item.name}

    @app.post("/unlimited", max_body_size=None)
    async def unlimited(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.post("/body")
    async def raw_body(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.post("/stream")
    async def stream(request: Request) -> dict[str, int]:
        return {"size": sum([len(chunk) async for chunk in request.stream()])}

    @app.post("/form")
    async def form(name: Annotated[str, Form()]) -> dict[str, int]:
        return {"size": len(name)}

    @app.post("/upload", max_body_size=None)
    async def upload(file: UploadFile) -> dict[str, int | None]:
        return {"size": file.size}

    return app


APP = _app()
NAME = b'{"name": "' + b"x" * 200 + b'"}'


@pytest.mark.parametrize("path", ["/json", "/body", "/stream", "/unlimited"])
def test_bodies_under_the_limit_are_read(path: str) -> None:
    assert post(APP, path, NAME)[0] == 200


@pytest.mark.parametrize(
    "declared", [-1, None, 50], ids=["content-length", "no-content-length", "lying-length"]
)
def test_a_route_limit(declared: int | None) -> None:
    status, body, _ = post(APP, "/small", NAME, declared=declared)
    assert (status, body) == TOO_LARGE


def test_content_length_is_refused_before_reading() -> None:
    status, body, handed_out = post(APP, "/json", b"x" * (11 * MiB))
    assert ((status, body), handed_out) == (TOO_LARGE, 0)


FILE_HEAD = b'--XX\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n'
MULTIPART = b"multipart/form-data; boundary=XX"


@pytest.mark.parametrize("path", ["/json", "/body", "/stream", "/form"])
def test_fifty_megabytes_without_content_length_stop_near_the_limit(path: str) -> None:
    body = FILE_HEAD + b"x" * (50 * 1000 * 1000)  # a file: a text field stops at 1 MiB
    status, answer, handed_out = post(APP, path, body, content_type=MULTIPART, declared=None)
    assert (status, answer) == TOO_LARGE
    assert 10 * MiB < handed_out <= 10 * MiB + 64 * 1024  # the limit, plus the chunk past it


def test_uploads_are_limited_and_lifted() -> None:
    body = FILE_HEAD + b"x" * (12 * MiB) + b"\r\n--XX--\r\n"
    assert post(APP, "/upload", body, content_type=MULTIPART)[:2] == (200, b'{"size":12582912}')
    limited = _app(max_body_size=MiB)

    @limited.post("/limited-upload")
    async def limited_upload(file: UploadFile) -> dict[str, int | None]:
        return {"size": file.size}  # pragma: no cover - never reached, refused first

    assert post(limited, "/limited-upload", body, content_type=MULTIPART)[:2] == TOO_LARGE


@pytest.mark.parametrize(
    ("app_limit", "router_limit", "route_limit", "expected"),
    [
        (MiB, None, 100, 413),
        (100, None, None, 413),
        (MiB, 100, None, 413),
        (100, 10_000, None, 200),
        (100, None, 10_000, 200),
        (100, 100, 10_000, 200),
        (MiB, None, None, 200),
    ],
    ids=[
        "route", "app", "router", "router-over-app", "route-over-app", "route-over-router",
        "app-allows",
    ],
)  # fmt: skip
def test_limits_nest(
    app_limit: int, router_limit: int | None, route_limit: int | None, expected: int
) -> None:
    router = APIRouter() if router_limit is None else APIRouter(max_body_size=router_limit)
    options = {} if route_limit is None else {"max_body_size": route_limit}

    @router.post("/item", **options)
    async def item(value: Item) -> dict[str, str]:
        return {"name": value.name[:3]}

    app = FastAPI(max_body_size=app_limit)
    app.include_router(router, prefix="/r")
    assert post(app, "/r/item", NAME)[0] == expected


def test_nested_routers_take_the_innermost_limit() -> None:
    inner, outer = APIRouter(), APIRouter(max_body_size=100)

    @inner.post("/item")
    async def item(value: Item) -> dict[str, str]:
        return {"name": value.name[:3]}  # pragma: no cover - refused first

    outer.include_router(inner)
    app = FastAPI(max_body_size=None)
    app.include_router(outer)
    assert post(app, "/item", NAME)[:2] == TOO_LARGE


def test_none_lifts_the_limit_app_wide() -> None:
    app = _app(max_body_size=None)
    assert post(app, "/body", b"x" * (11 * MiB), declared=None)[:2] == (200, b'{"size":11534336}')


def test_a_bare_request_has_no_limit() -> None:
    assert Request(http_scope()).max_body_size is None
