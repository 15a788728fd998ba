"""Form() and File() parameters, checked against FastAPI: same status, headers and body."""

import inspect
import typing
from typing import Annotated, Any

import pytest
from annotated_types import MinLen
from pydantic import BaseModel, ConfigDict

from tests.support import compare, framework, multipart, part, request

pytest.importorskip("multipart")  # FastAPI reads forms with python-multipart

URLENCODED = [(b"content-type", b"application/x-www-form-urlencoded")]
MULTIPART = [(b"content-type", b"multipart/form-data; boundary=XX")]


class Profile(BaseModel):
    name: str
    age: int = 0
    tags: list[str] = []


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


def build(name: str) -> Any:  # noqa: C901 - one small endpoint per case
    fw = framework(name)
    app = fw.FastAPI()
    Form, File, UploadFile = fw.Form, fw.File, fw.UploadFile

    @app.post("/login")
    async def login(
        username: Annotated[str, Form()],
        password: Annotated[str, Form(min_length=3)],
        remember: Annotated[bool, Form()] = False,
        user_agent: Annotated[str | None, Form(alias="user-agent")] = None,
    ) -> dict[str, Any]:
        return {"username": username, "remember": remember, "agent": user_agent}

    @app.post("/lists")
    async def lists(
        tags: Annotated[list[str], Form()],
        scores: Annotated[list[int], Form()] = [],  # noqa: B006 - copied per request
    ) -> dict[str, Any]:
        return {"tags": tags, "scores": scores}

    @app.post("/upload")
    async def upload(file: UploadFile, note: Annotated[str, Form()] = "") -> dict[str, Any]:
        content = await file.read()
        return {
            "filename": file.filename, "content_type": file.content_type, "size": file.size,
            "content": content.decode(), "note": note,
        }  # fmt: skip

    @app.post("/bytes")
    async def raw_bytes(data: Annotated[bytes, File()]) -> dict[str, int]:
        return {"size": len(data)}

    @app.post("/many")
    async def many(
        files: list[UploadFile],
        blobs: Annotated[list[bytes], File()] = [],  # noqa: B006 - copied per request
    ) -> dict[str, Any]:
        return {"names": [f.filename for f in files], "blobs": [len(b) for b in blobs]}

    @app.post("/pair")
    async def pair(files: Annotated[list[UploadFile], File(), MinLen(2)]) -> dict[str, int]:
        return {"count": len(files)}

    @app.post("/optional")
    async def optional(
        file: UploadFile | None = None, data: Annotated[bytes | None, File()] = None
    ) -> dict[str, Any]:
        return {"file": file.filename if file else None, "data": data is not None}

    @app.post("/profile")
    async def profile(profile: Annotated[Profile, Form()]) -> Profile:
        return profile

    @app.post("/strict")
    async def strict(model: Annotated[Strict, Form()]) -> Strict:
        return model

    @app.post("/raw")
    async def raw(request: fw.Request) -> dict[str, Any]:
        form = await request.form()
        return {key: str(value) for key, value in form.multi_items()}

    return app


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/login", b"username=ann&password=secret&remember=on&user-agent=x"),
        ("/login", b"username=ann"),
        ("/login", b"username=ann&password=ab&remember=maybe"),
        ("/login", b"username=&password="),
        ("/login", b""),
        ("/login", b"username=a&username=b&password=xyz"),
        ("/lists", b"tags=a&tags=&tags=c&scores=1&scores=2"),
        ("/lists", b"scores=1&scores=x"),
        ("/profile", b"name=ann&age=3&tags=x&tags=y"),
        ("/profile", b"age=x&tags=z"),
        ("/profile", b"name=ann&age=&other=1"),
        ("/profile", b""),
        ("/strict", b"name=a&extra=1"),
        ("/raw", b"a=1&b=%20+x&c&=e&a=3"),
    ],
    ids=[
        "login", "login-missing", "login-bad-values", "login-empty-values", "login-empty-body",
        "login-repeated", "lists", "lists-bad-item", "model", "model-errors",
        "model-empty-and-extra", "model-empty-body", "model-extra-forbidden", "request-form",
    ],
)  # fmt: skip
def test_urlencoded(path: str, body: bytes) -> None:
    compare(build, "POST", path, headers=URLENCODED, body=body)


FILE = part("file", b"hello", "a.txt", "text/plain")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/upload", multipart(FILE, part("note", "caf\u00e9".encode()))),
        ("/upload", multipart(part("note", b"x"))),
        ("/upload", multipart(part("file", b"not a file"))),
        ("/bytes", multipart(part("data", b"abc", "d.bin"))),
        ("/bytes", multipart(part("data", b"text"))),
        ("/bytes", multipart()),
        ("/many", multipart(part("files", b"1", "a"), part("files", b"22", "b"),
                            part("blobs", b"333", "c"), part("blobs", b"4444", "d"))),
        ("/many", multipart(part("blobs", b"1", "a"))),
        ("/pair", multipart(part("files", b"1", "a"), part("files", b"2", "b"))),
        ("/optional", multipart()),
        ("/optional", multipart(part("file", b"", ""), part("data", b"", ""))),
        ("/optional", multipart(part("file", b"1", "f"), part("data", b"1", "g"))),
        ("/profile", multipart(part("name", b"ann"), part("tags", b"a"), part("tags", b"b"))),
        ("/login", multipart(part("username", b"ann"), part("password", b"secret"))),
        ("/raw", multipart(part("a", b"1"), part("a", b"2"))),
    ],
    ids=[
        "upload", "upload-missing-file", "text-for-a-file", "bytes", "bytes-from-text",
        "bytes-missing", "lists-of-files", "list-of-files-missing", "pair", "optional-absent",
        "optional-empty-inputs", "optional-given", "model", "fields", "request-form",
    ],
)  # fmt: skip
def test_multipart(path: str, body: bytes) -> None:
    compare(build, "POST", path, headers=MULTIPART, body=body)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (MULTIPART, b"garbage"),
        (MULTIPART, b"--XX\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XX--\r\n"),
        (MULTIPART, b"--XX\r\nContent-Type: text/plain\r\n\r\nx\r\n--XX--\r\n"),
        (MULTIPART, b"--XX\r\nbad header\r\n\r\nx\r\n--XX--\r\n"),
        ([(b"content-type", b"multipart/form-data")], multipart(FILE)),
        (MULTIPART, multipart(*[part(f"f{i}", b"x") for i in range(1001)])),
        (MULTIPART, multipart(*[part(f"f{i}", b"x", "n") for i in range(1001)])),
        (MULTIPART, multipart(part("big", b"x" * (1024 * 1024 + 1)))),
        (URLENCODED, b"&".join(b"a=1" for _ in range(1001))),
        ([(b"content-type", b"application/json")], b'{"username": "ann"}'),
        (MULTIPART, b""),
    ],
    ids=[
        "garbage", "no-name", "no-disposition", "bad-header", "no-boundary", "too-many-fields",
        "too-many-files", "part-too-large", "too-many-urlencoded-fields", "json-to-a-form",
        "empty-multipart",
    ],
)  # fmt: skip
def test_refusals(headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    compare(build, "POST", "/login", headers=headers, body=body)
    compare(build, "POST", "/raw", headers=headers, body=body)


def test_a_split_boundary_reads_the_same() -> None:
    body = multipart(FILE, part("note", b"x"))
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
    compare(build, "POST", "/upload", headers=MULTIPART, body=b"", chunks=chunks)


def test_form_requests_do_no_introspection(monkeypatch: pytest.MonkeyPatch) -> None:
    app = build("minifast")

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("introspection on the request path")

    monkeypatch.setattr(inspect, "signature", forbidden)
    monkeypatch.setattr(typing, "get_type_hints", forbidden)
    body = multipart(FILE, part("note", b"x"))
    assert request(app, "POST", "/upload", headers=MULTIPART, body=body).status == 200
    assert request(app, "POST", "/profile", headers=URLENCODED, body=b"name=a").status == 200
