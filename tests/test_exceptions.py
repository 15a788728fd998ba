"""Exceptions and their default answers, compared with FastAPI, and the lesson's Part 9 handlers."""

# No `from __future__ import annotations`: apps built inside functions for both frameworks
# annotate with local names, which string annotations could not resolve.

from typing import Any

import httpx
import pytest

from minifast import FastAPI, HTTPException, Request, Response, WebSocket, WebSocketException
from minifast.exceptions import (
    FastAPIError,
    RequestValidationError,
    ResponseValidationError,
    ValidationException,
    WebSocketRequestValidationError,
)
from minifast.status import is_body_allowed_for_status_code
from minifast.testclient import TestClient
from minifast.validation import endpoint_context
from minifast.websockets import WebSocketDisconnect
from tests.support import compare, framework, import_from


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def exceptions(name: str) -> Any:
    """`fastapi.exceptions` or `minifast.exceptions`."""
    return import_from(name, "exceptions")


# --- the exception objects ------------------------------------------------------------------

HTTP_EXCEPTION_CASES = {
    "default-detail": ((404,), {}),
    "unknown-status-empty-detail": ((499,), {}),
    "string-detail": ((400, "Bad item"), {}),
    "dict-detail": ((409,), {"detail": {"field": "name", "problem": "taken"}}),
    "empty-detail-kept": ((418, ""), {}),
    "headers": ((401,), {"headers": {"WWW-Authenticate": "Bearer"}}),
}


@pytest.mark.parametrize(
    ("args", "kwargs"), HTTP_EXCEPTION_CASES.values(), ids=HTTP_EXCEPTION_CASES
)
def test_http_exception_matches_fastapi(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    theirs = framework("fastapi").HTTPException(*args, **kwargs)
    ours = HTTPException(*args, **kwargs)
    assert (ours.status_code, ours.detail, ours.headers) == (
        theirs.status_code,
        theirs.detail,
        theirs.headers,
    )
    assert (str(ours), repr(ours)) == (str(theirs), repr(theirs))


def test_http_exception_subclass_repr_uses_its_name() -> None:
    class ItemMissing(HTTPException):
        pass

    assert repr(ItemMissing(404)) == "ItemMissing(status_code=404, detail='Not Found')"


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((1008,), {}), ((1008, "policy"), {}), ((4000,), {"reason": None})],
    ids=["no-reason", "reason", "reason-none"],
)
def test_websocket_exception_matches_fastapi(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    theirs = framework("fastapi").WebSocketException(*args, **kwargs)
    ours = WebSocketException(*args, **kwargs)
    assert (ours.code, ours.reason) == (theirs.code, theirs.reason)
    assert (str(ours), repr(ours)) == (str(theirs), repr(theirs))


ERRORS = [
    {"type": "missing", "loc": ("query", "q"), "msg": "Field required", "input": None},
    {"type": "int_parsing", "loc": ("path", "id"), "msg": "Input should be...", "input": "x"},
]


@pytest.mark.parametrize(
    "cls", ["RequestValidationError", "WebSocketRequestValidationError", "ResponseValidationError"]
)
@pytest.mark.parametrize("count", [0, 1, 2], ids=["no-errors", "one-error", "two-errors"])
def test_validation_error_str_matches_fastapi(cls: str, count: int) -> None:
    theirs = getattr(exceptions("fastapi"), cls)(ERRORS[:count])
    ours = getattr(exceptions("minifast"), cls)(ERRORS[:count])
    assert str(ours) == str(theirs)
    assert ours.errors() == theirs.errors() == ERRORS[:count]


@pytest.mark.parametrize(
    "cls", [RequestValidationError, ResponseValidationError], ids=["request", "response"]
)
def test_validation_error_keeps_body(cls: type[RequestValidationError]) -> None:
    error = cls(ERRORS, body={"raw": 1})
    assert error.body == {"raw": 1}
    assert cls(ERRORS).body is None


def test_exception_hierarchy() -> None:
    for cls in (RequestValidationError, WebSocketRequestValidationError, ResponseValidationError):
        assert issubclass(cls, ValidationException)
    assert issubclass(FastAPIError, RuntimeError)


BODY_ALLOWED = [None, "default", "1XX", "2XX", 100, 199, 200, 204, 205, 304, 404, "404", "204"]


@pytest.mark.parametrize("status", BODY_ALLOWED, ids=[repr(code) for code in BODY_ALLOWED])
def test_is_body_allowed_for_status_code(status: int | str | None) -> None:
    reference = pytest.importorskip("fastapi.utils").is_body_allowed_for_status_code
    assert is_body_allowed_for_status_code(status) == reference(status)


# --- default answers, compared with FastAPI ------------------------------------------------

RAISED = {
    "404-default-detail": lambda fw: fw.HTTPException(404),
    "400-string-detail": lambda fw: fw.HTTPException(400, detail="Bad item"),
    "409-dict-detail": lambda fw: fw.HTTPException(409, detail={"field": "name"}),
    "422-list-detail": lambda fw: fw.HTTPException(422, detail=[1, "two", None]),
    "401-with-headers": lambda fw: fw.HTTPException(
        401, detail="Not authenticated", headers={"WWW-Authenticate": "Bearer"}
    ),
    "499-unknown-status": lambda fw: fw.HTTPException(499),
    "204-no-body": lambda fw: fw.HTTPException(204),
    "205-no-body": lambda fw: fw.HTTPException(205),
    "304-no-body-with-headers": lambda fw: fw.HTTPException(304, headers={"ETag": '"v1"'}),
}


def build_raising(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI()

    @app.get("/raise/{case}")
    async def raise_case(case: str) -> None:
        raise RAISED[case](fw)

    @app.get("/sync-raise/{case}")
    def sync_raise_case(case: str) -> None:
        raise RAISED[case](fw)

    @app.get("/items/{item_id}")
    async def item(item_id: int, q: int = 0) -> dict[str, int]:
        return {"item_id": item_id, "q": q}

    return app


@pytest.mark.parametrize("case", RAISED, ids=RAISED)
@pytest.mark.parametrize("prefix", ["/raise", "/sync-raise"], ids=["async", "sync"])
def test_http_exception_answers_match_fastapi(case: str, prefix: str) -> None:
    response = compare(build_raising, "GET", f"{prefix}/{case}")
    if "no-body" in case:
        assert response.body == b""
        assert response.header("content-type") is None


def test_http_exception_headers_reach_the_client() -> None:
    response = compare(build_raising, "GET", "/raise/401-with-headers")
    assert response.status == 401
    assert response.header("www-authenticate") == "Bearer"
    assert response.body == b'{"detail":"Not authenticated"}'


@pytest.mark.parametrize(
    ("path", "query"),
    [("/items/x", b""), ("/items/1", b"q=abc"), ("/nowhere", b""), ("/items/1", b"q=2")],
    ids=["path-422", "query-422", "route-404", "valid-200"],
)
def test_default_handlers_match_fastapi(path: str, query: bytes) -> None:
    compare(build_raising, "GET", path, query=query)


# --- the lesson, Part 9: its handlers run unchanged -------------------------------------------

ITEMS = {1: {"id": 1, "name": "widget"}}


async def fetch_item(item_id: int) -> dict[str, Any] | None:
    return ITEMS.get(item_id)


def build_lesson(name: str) -> Any:
    """Part 9 as printed; only the imports name one framework or the other."""
    fw = framework(name)
    FastAPI, Request, status = fw.FastAPI, fw.Request, fw.status
    RequestValidationError = exceptions(name).RequestValidationError
    JSONResponse = import_from(name, "responses").JSONResponse

    app = FastAPI()

    # Custom exception class
    class ItemNotFoundError(Exception):
        def __init__(self, item_id: int):
            self.item_id = item_id

    # Register handler for your custom exception
    @app.exception_handler(ItemNotFoundError)
    async def item_not_found_handler(request: Request, exc: ItemNotFoundError) -> JSONResponse:
        return JSONResponse(
            status_code=status.HTTP_404_NOT_FOUND,
            content={"error": "item_not_found", "item_id": exc.item_id},
        )

    # Override the default 422 validation error format
    @app.exception_handler(RequestValidationError)
    async def validation_exception_handler(
        request: Request, exc: RequestValidationError
    ) -> JSONResponse:
        errors = [
            {"field": " → ".join(str(loc) for loc in err["loc"]), "message": err["msg"]}
            for err in exc.errors()
        ]
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
            content={"errors": errors},
        )

    @app.get("/items/{item_id}")
    async def get_item(item_id: int) -> dict:
        item = await fetch_item(item_id)
        if not item:
            raise ItemNotFoundError(item_id=item_id)  # custom exception
        return item

    return app


PARSE_ERROR = "Input should be a valid integer, unable to parse string as an integer"
LESSON_CASES = {
    "found": ("/items/1", 200, {"id": 1, "name": "widget"}),
    "item-not-found-handler": ("/items/7", 404, {"error": "item_not_found", "item_id": 7}),
    "validation-handler": (
        "/items/abc",
        422,
        {"errors": [{"field": "path → item_id", "message": PARSE_ERROR}]},
    ),
}


@pytest.mark.parametrize(("path", "status", "body"), LESSON_CASES.values(), ids=LESSON_CASES)
def test_lesson_part9_handlers(path: str, status: int, body: dict[str, Any]) -> None:
    if status == 422:
        # COMPAT: both warn that HTTP_422_UNPROCESSABLE_ENTITY is deprecated (once each).
        with pytest.warns(UserWarning, match="HTTP_422_UNPROCESSABLE_ENTITY") as warned:
            response = compare(build_lesson, "GET", path)
        assert len(warned) == 2
    else:
        response = compare(build_lesson, "GET", path)
    assert response.status == status
    assert httpx.Response(status, content=response.body).json() == body


@pytest.mark.anyio
async def test_lesson_part9_with_async_client() -> None:
    """Part 12's AsyncClient pattern, on the Part 9 app."""
    transport = httpx.ASGITransport(app=build_lesson("minifast"))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        found = await client.get("/items/1")
        missing = await client.get("/items/2")
        with pytest.warns(UserWarning, match="HTTP_422_UNPROCESSABLE_ENTITY"):  # as FastAPI
            invalid = await client.get("/items/abc")
    assert (found.status_code, found.json()) == (200, {"id": 1, "name": "widget"})
    assert missing.json() == {"error": "item_not_found", "item_id": 2}
    assert invalid.json()["errors"][0]["field"] == "path → item_id"


def test_custom_handler_can_reuse_the_default() -> None:
    """A handler that logs, then defers to FastAPI's default answer."""
    seen: list[int] = []
    handlers = import_from("minifast", "exception_handlers")
    app = build_raising("minifast")

    @app.exception_handler(HTTPException)
    async def logged(request: Any, exc: HTTPException) -> Any:
        seen.append(exc.status_code)
        return await handlers.http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def logged_validation(request: Any, exc: RequestValidationError) -> Any:
        seen.append(422)
        return await handlers.request_validation_exception_handler(request, exc)

    client = import_from("minifast", "testclient").TestClient(app)
    assert client.get("/raise/404-default-detail").json() == {"detail": "Not Found"}
    assert client.get("/items/x").status_code == 422
    assert seen == [404, 422]


def test_a_request_validation_error_names_the_endpoint_and_its_route() -> None:
    """str() of the error points at the endpoint, so a log line leads to the code."""
    captured: list[Exception] = []
    app, sub_app = FastAPI(), FastAPI()
    app.mount("/sub", sub_app)

    @sub_app.get("/users/{user_id}")
    def get_user(user_id: int) -> int:
        raise AssertionError("not called")  # pragma: no cover

    @sub_app.websocket("/ws/{item_id}")
    async def socket(websocket: WebSocket, item_id: int) -> None:
        raise AssertionError("not called")  # pragma: no cover

    async def capture(request: Request, exc: Exception) -> Response:
        captured.append(exc)
        return Response(status_code=422)

    sub_app.add_exception_handler(RequestValidationError, capture)
    sub_app.add_exception_handler(WebSocketRequestValidationError, capture)
    client = TestClient(app)
    assert client.get("/sub/users/x").status_code == 422
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/sub/ws/x"):
        pass  # pragma: no cover
    http, websocket = (str(error) for error in captured)
    line = get_user.__code__.co_firstlineno
    assert f'File "{__file__}", line {line}, in get_user\n    GET /sub/users/{{user_id}}' in http
    assert "in socket\n    WS /sub/ws/{item_id}" in websocket


@pytest.mark.parametrize(
    ("context", "tail"),
    [
        ({"path": "GET /api/test"}, "\n  Endpoint: GET /api/test"),
        ({}, ""),
        (None, ""),
        ({"function": "f", "file": "app.py", "line": 3}, '\n  File "app.py", line 3, in f'),
    ],
    ids=["path-only", "empty", "none", "no-path"],
)
def test_validation_error_text_with_partial_context(context: Any, tail: str) -> None:
    error = RequestValidationError([{"type": "missing"}], endpoint_ctx=context)
    assert str(error) == "1 validation error:\n  {'type': 'missing'}" + tail
    assert error.endpoint_path == (context or {}).get("path")


def test_an_unhashable_endpoint_is_located_too() -> None:
    class Endpoint:
        __hash__ = None  # type: ignore[assignment]

        def __call__(self) -> None:
            raise AssertionError("not called")  # pragma: no cover

    where = endpoint_context(Endpoint(), {}, "GET")
    assert where == {}


@pytest.mark.parametrize(
    "old", ["HTTP_413_REQUEST_ENTITY_TOO_LARGE", "HTTP_414_REQUEST_URI_TOO_LONG",
            "HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE", "HTTP_422_UNPROCESSABLE_ENTITY"],
)  # fmt: skip
def test_old_status_names_work_with_starlettes_warning(old: str) -> None:
    import starlette.status as reference

    from minifast import status as ours

    messages = []
    for module in (reference, ours):
        with pytest.warns(UserWarning) as warned:
            code = getattr(module, old)
        messages.append((code, str(warned[0].message)))
    assert messages[0] == messages[1]
    with pytest.raises(AttributeError):
        ours.HTTP_999_NOTHING  # noqa: B018
