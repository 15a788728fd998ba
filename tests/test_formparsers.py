"""The form parsers: urlencoded and multipart, fed chunk by chunk, with their bounds."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest
from pydantic import TypeAdapter

from minifast import FastAPI, Request, UploadFile
from minifast import formparsers as formparsers_module
from minifast.datastructures import FormData, FormLimits, Headers, spooled_file
from minifast.exceptions import HTTPException
from minifast.formparsers import parse_form, parse_options
from minifast.testclient import TestClient
from tests.support import multipart, part

MULTIPART = "multipart/form-data; boundary=XX"
URLENCODED = "application/x-www-form-urlencoded"


async def _chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in parts:
        yield chunk
    yield b""  # as Request.stream() ends


def parse(
    body: bytes | list[bytes], content_type: str | None = MULTIPART, **limits: int
) -> list[tuple[str, Any]]:
    """Parse `body` (one chunk, or the chunks given) and describe each item comparably."""

    async def run() -> list[tuple[str, Any]]:
        chunks = [body] if isinstance(body, bytes) else body
        form = await parse_form(content_type, _chunks(chunks), FormLimits(**limits))
        items = [(key, await _describe(value)) for key, value in form.multi_items()]
        await form.close()
        return items

    return anyio.run(run)


async def _describe(value: Any) -> Any:
    if isinstance(value, str):
        return value
    content = await value.read()
    return (value.filename, value.content_type, value.size, content)


def refusal(body: bytes | list[bytes], content_type: str = MULTIPART, **limits: int) -> Any:
    with pytest.raises(HTTPException) as caught:
        parse(body, content_type, **limits)
    return caught.value.status_code, caught.value.detail


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text/plain", ("text/plain", {})),
        ('form-data; name="a;b"; filename="x.txt"',
         ("form-data", {"name": "a;b", "filename": "x.txt"})),
        ('form-data; NAME=plain ; other="q\\"uote"',
         ("form-data", {"name": "plain", "other": 'q"uote'})),
        ("Multipart/Form-Data; boundary=abc", ("multipart/form-data", {"boundary": "abc"})),
    ],
    ids=["no-options", "quoted", "plain-and-escaped", "case"],
)  # fmt: skip
def test_parse_options(value: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_options(value) == expected


# -- urlencoded ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"a=1&b=2&a=3", [("a", "1"), ("b", "2"), ("a", "3")]),
        (b"a=x+y%21&c&d=&=e&f=1=2", [("a", "x y!"), ("c", ""), ("d", ""), ("", "e"), ("f", "1=2")]),
        (b"&&a=1&", [("a", "1")]),
        (b"%zz=%C3%A9%ff", [("%zz", "\u00e9\ufffd")]),
        (b"", []),
    ],
    ids=["repeats", "edge-pairs", "empty-pairs", "bad-escapes", "empty"],
)  # fmt: skip
def test_urlencoded_parses_alike_at_every_split(body: bytes, expected: list[Any]) -> None:
    assert parse(body, URLENCODED) == expected
    for cut in range(len(body) + 1):
        assert parse([body[:cut], body[cut:]], URLENCODED) == expected


@pytest.mark.parametrize(
    ("body", "limits", "detail"),
    [
        (b"a=1&b=2&c=3", {"max_fields": 2}, "Too many fields. Maximum number of fields is 2."),
        (b"a=" + b"x" * 2048, {"max_part_size": 1024}, "Part exceeded maximum size of 1KB."),
        (b"a=" + b"x" * 2048 + b"&b=1", {"max_part_size": 1024},
         "Part exceeded maximum size of 1KB."),
    ],
    ids=["too-many-fields", "last-field-too-large", "field-too-large"],
)  # fmt: skip
def test_urlencoded_bounds(body: bytes, limits: dict[str, int], detail: str) -> None:
    assert refusal(body, URLENCODED, **limits) == (400, detail)


def test_a_long_field_is_refused_before_the_body_ends() -> None:
    chunks = [b"a=" + b"x" * 600, b"x" * 600]
    assert refusal(chunks, URLENCODED, max_part_size=1024)[0] == 400


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain"])
def test_other_content_types_read_as_an_empty_form(content_type: str | None) -> None:
    assert parse(b"a=1", content_type) == []


# -- multipart -------------------------------------------------------------------------------


def test_multipart_fields_and_files() -> None:
    body = multipart(
        part("note", "caf\u00e9".encode()),
        part("file", b"hello\r\n--X", filename="a.txt", type_="text/plain"),
        part("path", b"1", filename="C:\\\\dir\\\\b.bin"),
        part("none", b"", filename=""),
    )
    assert parse(body) == [
        ("note", "caf\u00e9"),
        ("file", ("a.txt", "text/plain", 10, b"hello\r\n--X")),
        ("path", ("b.bin", None, 1, b"1")),
        ("none", ("", None, 0, b"")),  # an empty file input: a form parameter reads it as absent
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", []),
        (b"--XX--", []),
        (b"--XX--\r\nepilogue --XX\r\n", []),
        (b"--XX  \t\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XX--", [("a", "1")]),
        (b'--XX\r\nContent-Disposition: form-data; name="a"\r\nX-Other: y\r\n\r\n\r\n--XX--',
         [("a", "")]),
    ],
    ids=["empty-body", "no-parts", "epilogue", "padded-boundary", "extra-header"],
)  # fmt: skip
def test_multipart_edges(body: bytes, expected: list[Any]) -> None:
    assert parse(body) == expected


def test_part_headers_are_kept() -> None:
    async def run() -> Headers:
        body = multipart(part("f", b"x", filename="n", type_="image/png"))
        form = await parse_form(MULTIPART, _chunks([body]), FormLimits())
        upload = form["f"]
        await form.close()
        return upload.headers

    headers = anyio.run(run)
    assert headers["content-type"] == "image/png"
    assert headers["Content-Disposition"] == 'form-data; name="f"; filename="n"'


OPENED = b"--XX\r\nContent-Disposition: form-data; name=a\r\n\r\n"
_NO_NAME = 'The Content-Disposition header field "name" must be provided.'


@pytest.mark.parametrize(
    ("body", "content_type", "detail"),
    [
        (b"garbage", MULTIPART, "Invalid multipart data."),
        (b"preamble\r\n" + multipart(part("a", b"1")), MULTIPART, "Invalid multipart data."),
        (OPENED + b"1", MULTIPART, "Invalid multipart data."),
        (OPENED + b"1\r\n--XX", MULTIPART, "Invalid multipart data."),
        (b"--XXjunk\r\n", MULTIPART, "Invalid multipart data."),
        (b"--XX\r\nbad header\r\n\r\n1\r\n--XX--", MULTIPART, "Invalid multipart data."),
        (b"--XX\r\nno colon\r\n\r\n1\r\n--XX--", MULTIPART, "Invalid multipart data."),
        (b"--XX\r\n\r\n1\r\n--XX--", MULTIPART, _NO_NAME),
        (b"--XX\r\nContent-Disposition: form-data\r\n\r\n1\r\n--XX--", MULTIPART, _NO_NAME),
        (multipart(part("a", b"1")), "multipart/form-data", "Missing boundary in multipart."),
    ],
    ids=[
        "garbage", "preamble", "truncated-content", "no-final-dashes", "junk-after-boundary",
        "space-in-header-name", "header-without-colon", "no-headers", "no-name", "no-boundary",
    ],
)  # fmt: skip
def test_malformed_multipart_is_400(body: bytes, content_type: str, detail: str) -> None:
    assert refusal(body, content_type) == (400, detail)


def test_header_block_is_bounded() -> None:
    endless = b"--XX\r\nX-Long: " + b"a" * 20_000
    assert refusal(endless) == (400, "Invalid multipart data.")
    complete = endless + b"\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XX--"
    assert refusal(complete) == (400, "Invalid multipart data.")


@pytest.mark.parametrize(
    ("parts", "limits", "status", "detail"),
    [
        ([part("a", b"1"), part("b", b"2")], {"max_fields": 1}, 400,
         "Too many fields. Maximum number of fields is 1."),
        ([part("a", b"1", "f"), part("b", b"2", "g")], {"max_files": 1}, 400,
         "Too many files. Maximum number of files is 1."),
        ([part("a", b"x" * 1025)], {"max_part_size": 1024}, 400,
         "Part exceeded maximum size of 1KB."),
        ([part("a", b"x" * 2049, "f")], {"max_file_size": 2048}, 413,
         "File exceeded maximum size of 2KB."),
    ],
    ids=["fields", "files", "field-size", "file-size"],
)  # fmt: skip
def test_multipart_bounds(
    parts: list[bytes], limits: dict[str, int], status: int, detail: str
) -> None:
    assert refusal(multipart(*parts), **limits) == (status, detail)


def test_limits_are_inclusive() -> None:
    body = multipart(part("a", b"x" * 1024), part("f", b"y" * 2048, "f"))
    assert len(parse(body, max_fields=1, max_files=1, max_part_size=1024, max_file_size=2048)) == 2


def test_files_of_a_refused_form_are_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Any] = []

    def recording() -> Any:
        made.append(spooled_file())
        return made[-1]

    monkeypatch.setattr(formparsers_module, "spooled_file", recording)
    done = part("a", b"1", "f")
    assert refusal(multipart(done, part("b", b"x" * 10, "g")), max_file_size=5)[0] == 413
    assert refusal(done + b"--XX\r\nbroken\r\n\r\n")[0] == 400
    assert len(made) == 3
    assert all(file.closed for file in made)


# -- fuzz ------------------------------------------------------------------------------------

_ALPHABET = [b"\r", b"\n", b"-", b"X", b"--XX", b"\r\n--X", b"\r\n--XX-", b"a", b"\x00", b"\xff"]


def _random_body(rng: random.Random) -> bytes:
    parts = []
    for index in range(rng.randint(0, 4)):
        content = b"".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12)))
        while b"\r\n--XX" in content:  # a valid part cannot hold its delimiter
            content = content.replace(b"\r\n--XX", b"\r\n--XY")
        filename = rng.choice([None, f"f{index}.bin"])
        parts.append(part(f"p{index}", content, filename, rng.choice([None, "a/b"])))
    return multipart(*parts)


@pytest.mark.parametrize("seed", range(12))
def test_fuzz_every_split_parses_alike(seed: int) -> None:
    rng = random.Random(seed)
    body = _random_body(rng)
    whole = parse(body)
    assert len(whole) == body.count(b"Content-Disposition")
    for cut in range(len(body) + 1):
        assert parse([body[:cut], body[cut:]]) == whole, cut
    assert parse([body[i : i + 1] for i in range(len(body))]) == whole


@pytest.mark.parametrize("seed", range(40))
def test_fuzz_garbage_is_400_or_a_form(seed: int) -> None:
    rng = random.Random(1000 + seed)
    body = _random_body(rng)
    for _ in range(rng.randint(1, 4)):  # corrupt it: cut, insert or flip some bytes
        at = rng.randrange(len(body) + 1)
        noise = bytes(rng.randrange(256) for _ in range(rng.randint(0, 4)))
        body = (
            body[:at] + rng.choice([noise, b"\r\n", b"--XX", b""]) + body[at + rng.randint(0, 3) :]
        )
    chunks = [body[i : i + 3] for i in range(0, len(body), 3)]
    try:
        parse(chunks, max_fields=3, max_files=3)
    except HTTPException as error:
        assert error.status_code == 400


# -- UploadFile, FormData, Request.form() ------------------------------------------------------


@pytest.mark.parametrize("size", [10, 2 * 1024 * 1024], ids=["in-memory", "rolled-to-disk"])
def test_upload_file_reads_writes_and_seeks(size: int) -> None:
    async def run() -> tuple[bytes, bytes, int | None, bool]:
        upload = UploadFile(spooled_file(), filename="f")
        await upload.write(b"x" * (size - 5))
        await upload.write(b"x" * 5)  # once rolled to disk, written in a thread
        await upload.seek(0)
        head = await upload.read(3)
        await upload.seek(size - 2)
        tail = await upload.read()
        await upload.close()
        return head, tail, upload.size, upload.file.closed

    assert anyio.run(run) == (b"xxx", b"xx", size, True)


def test_upload_file_of_any_file_object() -> None:
    async def run() -> bytes:
        with open(__file__, "rb") as handle:
            upload = UploadFile(handle, headers=Headers({"content-type": "text/x-python"}))
            assert (upload.content_type, upload.filename, upload.size) == (
                "text/x-python",
                None,
                None,
            )
            return await upload.read(3)

    assert anyio.run(run) == b'"""'


def test_upload_file_repr_and_validation() -> None:
    upload = UploadFile(spooled_file(), size=0, filename="a.txt")
    assert repr(upload) == "UploadFile(filename='a.txt', size=0, headers=Headers([]))"
    adapter: TypeAdapter[UploadFile] = TypeAdapter(UploadFile)
    assert adapter.validate_python(upload) is upload
    with pytest.raises(ValueError, match="Expected UploadFile, received: <class 'str'>"):
        adapter.validate_python("text")
    assert adapter.json_schema() == {
        "type": "string",
        "contentMediaType": "application/octet-stream",
    }
    upload.file.close()


def test_form_data_close_closes_its_files() -> None:
    files = [UploadFile(spooled_file()), UploadFile(spooled_file())]
    form = FormData([("a", files[0]), ("b", "text"), ("a", files[1])])
    anyio.run(form.close)
    assert all(upload.file.closed for upload in files)


def _form_app(record: Callable[[Any], None]) -> FastAPI:
    app = FastAPI()

    @app.post("/awaited")
    async def awaited(request: Request) -> dict[str, Any]:
        form = await request.form(max_fields=2)
        assert await request.form() is form  # parsed once
        record(form["f"])
        return {"closed": form["f"].file.closed, "items": len(form.multi_items())}

    @app.post("/with")
    async def with_block(request: Request) -> dict[str, Any]:
        async with request.form() as form:
            upload = form["f"]
            assert not upload.file.closed
        return {"closed": upload.file.closed}

    return app


def test_request_form_files_close_after_the_response_or_the_block() -> None:
    seen: list[Any] = []
    client = TestClient(_form_app(seen.append))
    files = {"f": ("a.txt", b"data", "text/plain")}
    response = client.post("/awaited", files=files, data={"x": "1"})
    assert response.json() == {"closed": False, "items": 2}
    assert seen[0].file.closed
    assert client.post("/with", files=files).json() == {"closed": True}
    too_many = client.post("/awaited", data={"a": "1", "b": "2", "c": "3"})
    assert too_many.status_code == 400
