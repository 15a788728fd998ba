"""CORSMiddleware: preflights, simple requests and the lesson's middleware stack, vs FastAPI."""

# No `from __future__ import annotations`: apps are built inside functions for two frameworks.

import functools
import gzip
import itertools
import json
import re
from typing import Any

import anyio
import pytest

from tests.support import FRAMEWORKS, compare, framework, import_from, request

A = "https://a.example"
B = "https://b.example"


def build(name: str, **options: Any) -> Any:
    """An app with a plain route, an OPTIONS route and one that already sets Vary."""
    fw = framework(name)
    responses = import_from(name, "responses")
    app = fw.FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(import_from(name, "middleware.cors").CORSMiddleware, **options)

    @app.api_route("/", methods=["GET", "POST", "OPTIONS"])
    async def root() -> Any:
        return responses.PlainTextResponse("hi", headers={"x-custom": "1"})

    @app.get("/vary")
    async def vary() -> Any:
        # The app's own CORS headers are replaced, its Vary values kept.
        headers = {"vary": "Accept-Encoding", "access-control-allow-origin": "https://app"}
        return responses.PlainTextResponse("hi", headers=headers)

    return app


def preflight(
    origin: str = A, method: str = "GET", asked: str | None = None, *extra: tuple[str, str]
) -> list[tuple[bytes, bytes]]:
    headers = [("origin", origin), ("access-control-request-method", method), *extra]
    if asked is not None:
        headers.append(("access-control-request-headers", asked))
    return [(key.encode(), value.encode()) for key, value in headers]


LISTED = {"allow_origins": [A]}
ANY = {"allow_origins": ["*"], "allow_methods": ["*"], "allow_headers": ["*"]}
REGEX = {"allow_origin_regex": r"https://\w+\.example"}
PRIVATE = ("access-control-request-private-network", "true")

OK = "OK"
NO = "Disallowed CORS "
PREFLIGHTS = [
    ("listed", LISTED, preflight(), OK),
    ("no-options", {}, preflight(), NO + "origin"),
    ("refused-origin", {"allow_origins": [B]}, preflight(), NO + "origin"),
    ("refused-method", LISTED, preflight(A, "PUT"), NO + "method"),
    ("method-is-case-sensitive", LISTED, preflight(A, "get"), NO + "method"),
    ("empty-method", LISTED, preflight(A, ""), NO + "method"),
    ("methods-as-given", {**LISTED, "allow_methods": ["post", "GET", "GET"]}, preflight(), OK),
    ("refused-header", {**LISTED, "allow_headers": ["X-B"]}, preflight(A, "GET", "X-A, x-b"),
     NO + "headers"),
    ("listed-headers", {**LISTED, "allow_headers": ["x-b", "X-A"]},
     preflight(A, "GET", "X-A, x-b"), OK),
    ("safelisted-headers", LISTED, preflight(A, "GET", "accept, content-type"), OK),
    ("empty-header-item", {**LISTED, "allow_headers": ["x-b"]}, preflight(A, "GET", "x-b,"),
     NO + "headers"),
    ("empty-headers", {**LISTED, "allow_headers": ["x-b"]}, preflight(A, "GET", ""),
     NO + "headers"),
    ("all-refused", {"allow_origins": [B]}, preflight(A, "PUT", "x-a", PRIVATE),
     NO + "origin, method, headers, private-network"),
    ("wildcard", ANY, preflight(A, "DELETE", "X-Foo,  x-bar"), OK),
    ("wildcard-no-headers-asked", ANY, preflight(A, "PATCH"), OK),
    ("wildcard-unknown-method", ANY, preflight(A, "FOO"), NO + "method"),
    ("listed-credentials", {**LISTED, "allow_credentials": True}, preflight(), OK),
    ("refused-credentials", {**LISTED, "allow_credentials": True}, preflight(B), NO + "origin"),
    ("expose-and-max-age", {**LISTED, "expose_headers": ["X-Custom"], "max_age": 5},
     preflight(), OK),
    ("regex", REGEX, preflight("https://x.example"), OK),
    ("regex-matches-in-full", REGEX, preflight("https://x.example.evil"), NO + "origin"),
    ("regex-and-list", {**LISTED, **REGEX}, preflight("https://x.example"), OK),
    ("private-refused", LISTED, preflight(A, "GET", None, PRIVATE), NO + "private-network"),
    ("private-allowed", {**LISTED, "allow_private_network": True},
     preflight(A, "GET", None, PRIVATE), OK),
    ("private-not-asked", {**LISTED, "allow_private_network": True}, preflight(), OK),
    ("empty-origin", {"allow_origins": ["*"]}, preflight(""), OK),
]  # fmt: skip


@pytest.mark.parametrize(("options", "headers", "expected"), [case[1:] for case in PREFLIGHTS],
                         ids=[case[0] for case in PREFLIGHTS])  # fmt: skip
def test_preflight_answers_as_fastapi(options: dict[str, Any], headers: Any, expected: str) -> None:
    answer = compare(functools.partial(build, **options), "OPTIONS", "/", headers=headers)
    assert (answer.status, answer.body.decode()) == (200 if expected == OK else 400, expected)


def origin(value: str, *extra: tuple[str, str]) -> list[tuple[bytes, bytes]]:
    return [(key.encode(), text.encode()) for key, text in [("origin", value), *extra]]


SIMPLE = [
    ("no-origin", LISTED, "GET", "/", [], None),
    ("no-origin-wildcard", {"allow_origins": ["*"]}, "GET", "/", [], None),
    ("no-origin-credentials", {**LISTED, "allow_credentials": True, "expose_headers": ["x-a"]},
     "GET", "/", [], None),
    ("listed", LISTED, "GET", "/", origin(A), A),
    ("refused", LISTED, "GET", "/", origin(B), None),
    ("origin-is-case-sensitive", LISTED, "GET", "/", origin(A.upper()), None),
    ("wildcard", {"allow_origins": ["*"]}, "GET", "/", origin(B), "*"),
    ("wildcard-and-list", {"allow_origins": [A, "*"]}, "POST", "/", origin(B), "*"),
    ("wildcard-cookie", {"allow_origins": ["*"]}, "GET", "/", origin(B, ("cookie", "a=1")), "*"),
    ("listed-credentials", {**LISTED, "allow_credentials": True}, "GET", "/", origin(A), A),
    ("refused-credentials", {**LISTED, "allow_credentials": True,
     "expose_headers": ["x-a", "X-B"]}, "GET", "/", origin(B), None),
    ("expose", {**LISTED, "expose_headers": ["x-a", "X-B"]}, "GET", "/", origin(A), A),
    ("regex", REGEX, "GET", "/", origin("https://x.example"), "https://x.example"),
    ("regex-refused", REGEX, "GET", "/", origin("http://x.example"), None),
    ("options-without-request-method", LISTED, "OPTIONS", "/", origin(A), A),
    ("request-method-without-origin", LISTED, "OPTIONS", "/",
     [(b"access-control-request-method", b"GET")], None),
    ("app-headers-listed", LISTED, "GET", "/vary", origin(A), A),
    ("app-headers-wildcard", {"allow_origins": ["*"]}, "GET", "/vary", origin(A), "*"),
    ("app-headers-no-origin", {"allow_origins": ["*"]}, "GET", "/vary", [], "https://app"),
    ("not-found", LISTED, "GET", "/nowhere", origin(A), A),
]  # fmt: skip


@pytest.mark.parametrize(
    ("options", "method", "path", "headers", "allowed"),
    [case[1:] for case in SIMPLE],
    ids=[case[0] for case in SIMPLE],
)
def test_simple_request_answers_as_fastapi(
    options: dict[str, Any], method: str, path: str, headers: Any, allowed: str | None
) -> None:
    answer = compare(functools.partial(build, **options), method, path, headers=headers)
    assert answer.header("access-control-allow-origin") == allowed
    assert (answer.header("vary") or "").endswith("Origin")


WILDCARD_WITH_CREDENTIALS = [
    ("preflight", "OPTIONS", preflight(B, "GET", "x-a")),
    ("simple", "GET", origin(B)),
    ("empty-origin", "GET", origin("")),
]


@pytest.mark.parametrize(
    ("method", "headers"),
    [case[1:] for case in WILDCARD_WITH_CREDENTIALS],
    ids=[case[0] for case in WILDCARD_WITH_CREDENTIALS],
)
def test_credentials_never_go_with_a_wildcard_origin(method: str, headers: Any) -> None:
    """minifast answers "*" without credentials; FastAPI echoes any origin with them.

    A deliberate difference (docs/compatibility.md): with FastAPI's answer, any site can read
    what a signed-in user's browser fetches from the app.
    """
    options = {"allow_origins": ["*"], "allow_credentials": True, "allow_headers": ["*"]}
    ours = request(build("minifast", **options), method, "/", headers=headers)
    theirs = request(build("fastapi", **options), method, "/", headers=headers)
    assert (ours.status, ours.header("access-control-allow-origin")) == (200, "*")
    assert ours.header("access-control-allow-credentials") is None
    echoed = dict(headers)[b"origin"].decode()
    assert theirs.header("access-control-allow-origin") == echoed
    assert theirs.header("access-control-allow-credentials") == "true"


def test_credentials_still_go_to_listed_origins() -> None:
    options = {"allow_origins": [A], "allow_credentials": True}
    for method, headers in [("GET", origin(A)), ("OPTIONS", preflight(A))]:
        answer = request(build("minifast", **options), method, "/", headers=headers)
        assert answer.header("access-control-allow-origin") == A
        assert answer.header("access-control-allow-credentials") == "true"


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_subclass_can_decide_origins_per_request(name: str) -> None:
    cors = import_from(name, "middleware.cors")

    class DynamicCORS(cors.CORSMiddleware):
        def is_allowed_origin(self, origin: str) -> bool:
            return origin.endswith(".trusted")

    app = framework(name).FastAPI()
    app.add_middleware(DynamicCORS)
    for method, headers in [
        ("GET", origin("https://x.trusted")),
        ("OPTIONS", preflight("https://x.trusted")),
    ]:
        answer = request(app, method, "/", headers=headers)
        assert answer.header("access-control-allow-origin") == "https://x.trusted"
    assert request(app, "OPTIONS", "/", headers=preflight(A)).status == 400


def test_options_are_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    app = build("minifast", allow_origin_regex=r"https://\w+\.example")
    request(app, "GET", "/")  # builds the middleware stack

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled per request")

    monkeypatch.setattr(re, "compile", refuse)
    answer = request(app, "GET", "/", headers=origin("https://x.example"))
    assert answer.header("access-control-allow-origin") == "https://x.example"


@pytest.mark.parametrize("name", FRAMEWORKS)
@pytest.mark.parametrize("scope_type", ["websocket", "lifespan"])
def test_other_scopes_pass_through(name: str, scope_type: str) -> None:
    seen: list[Any] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope["type"], send))

    layer = import_from(name, "middleware.cors").CORSMiddleware(inner, allow_origins=["*"])
    anyio.run(layer, {"type": scope_type, "headers": origin(A)}, None, print)
    assert seen == [(scope_type, print)]


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_bad_regex_fails_at_start_up(name: str) -> None:
    cors = import_from(name, "middleware.cors")
    with pytest.raises(re.error):
        cors.CORSMiddleware(None, allow_origin_regex="(")


def build_lesson_app(name: str) -> Any:
    """The lesson's Part 10 stack, with counted request ids so both frameworks agree."""
    fw = framework(name)
    gzip_middleware = import_from(name, "middleware.gzip").GZipMiddleware
    app = fw.FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    ids = itertools.count(1)
    app.state.log = []

    @app.middleware("http")
    async def add_request_id(request: Any, call_next: Any) -> Any:
        request_id = str(next(ids))
        request.state.request_id = request_id
        response = await call_next(request)
        response.headers["X-Request-ID"] = request_id
        return response

    @app.middleware("http")
    async def log_requests(request: Any, call_next: Any) -> Any:
        response = await call_next(request)
        app.state.log.append(f"{request.method} {request.url.path} {response.status_code}")
        return response

    app.add_middleware(
        import_from(name, "middleware.cors").CORSMiddleware,
        allow_origins=["https://app.example.com"],
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    app.add_middleware(gzip_middleware, minimum_size=1000)

    @app.get("/items")
    async def items() -> list[dict[str, Any]]:
        return [{"id": index, "name": f"item {index}"} for index in range(100)]

    @app.get("/item")
    async def item(request: fw.Request) -> dict[str, Any]:
        return {"id": 1, "request_id": request.state.request_id}

    return app


APP_ORIGIN = "https://app.example.com"
GZIP = ("accept-encoding", "gzip, deflate")
LESSON = [
    ("large-gzipped", "GET", "/items", origin(APP_ORIGIN, GZIP)),
    ("large-no-gzip", "GET", "/items", origin(APP_ORIGIN)),
    ("small", "GET", "/item", origin(APP_ORIGIN, GZIP)),
    ("other-origin", "GET", "/items", origin(B, GZIP)),
    ("no-origin", "GET", "/item", []),
    ("preflight", "OPTIONS", "/items", preflight(APP_ORIGIN, "DELETE", "X-Token", GZIP)),
    ("preflight-refused", "OPTIONS", "/items", preflight(B, "DELETE")),
    ("not-found", "GET", "/nowhere", origin(APP_ORIGIN, GZIP)),
]


@pytest.mark.parametrize(("method", "path", "headers"), [case[1:] for case in LESSON],
                         ids=[case[0] for case in LESSON])  # fmt: skip
def test_lesson_stack_answers_as_fastapi(method: str, path: str, headers: Any) -> None:
    compare(build_lesson_app, method, path, headers=headers)


def test_lesson_stack_compresses_and_counts() -> None:
    app = build_lesson_app("minifast")
    answer = request(app, "GET", "/items", headers=origin(APP_ORIGIN, GZIP))
    assert answer.header("content-encoding") == "gzip"
    assert json.loads(gzip.decompress(answer.body))[99] == {"id": 99, "name": "item 99"}
    assert answer.header("x-request-id") == "1"
    assert answer.header("vary") == "Origin, Accept-Encoding"
    assert app.state.log == ["GET /items 200"]
