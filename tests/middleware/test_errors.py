"""The two built-in layers: server errors (outermost) and handled exceptions (innermost)."""

# No `from __future__ import annotations`: apps built inside functions for both frameworks
# annotate with local names, which string annotations could not resolve.

import functools
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from minifast import HTTPException, MiniFast
from minifast.exceptions import WebSocketRequestValidationError
from minifast.middleware import Middleware, build_stack
from minifast.middleware.errors import ServerErrorMiddleware
from minifast.middleware.exceptions import ExceptionMiddleware
from minifast.responses import PlainTextResponse
from minifast.types import ASGIApp, Message, Receive, Scope, Send
from tests.support import framework, http_scope, import_from

# --- driving an app that may raise --------------------------------------------------------


@dataclass
class Outcome:
    """Every message an app sent for one connection, and what it raised to the server."""

    messages: list[Message]
    error: BaseException | None

    @property
    def statuses(self) -> list[int]:
        return [m["status"] for m in self.messages if m["type"] == "http.response.start"]

    @property
    def headers(self) -> list[tuple[str, str]]:
        start = next(m for m in self.messages if m["type"] == "http.response.start")
        return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]

    @property
    def body(self) -> bytes:
        chunks = [m.get("body", b"") for m in self.messages if m["type"] == "http.response.body"]
        return b"".join(chunks)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    def comparable(self) -> tuple[Any, ...]:
        """What must agree between frameworks: messages (minus date/server) and error type."""
        messages = []
        for message in self.messages:
            message = dict(message)
            if message["type"] == "http.response.body":  # ASGI: absent more_body means False
                message["more_body"] = message.get("more_body", False)
            if "headers" in message:
                message["headers"] = sorted(
                    (k, v) for k, v in message["headers"] if k not in (b"date", b"server")
                )
            messages.append(message)
        return messages, type(self.error).__name__


def serve(app: ASGIApp, scope: Scope, first: Message) -> Outcome:
    """Run `app` for one connection whose client sends `first`, then waits."""
    incoming = [first]
    sent: list[Message] = []

    async def receive() -> Message:
        if incoming:
            return incoming.pop(0)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(dict(message))

    async def main() -> BaseException | None:
        try:
            await app(scope, receive, send)
        except Exception as exc:
            return exc
        return None

    return Outcome(sent, anyio.run(main))


def http(app: ASGIApp, path: str = "/", accept: str | None = None) -> Outcome:
    headers = [(b"accept", accept.encode())] if accept else []
    scope = http_scope("GET", path, headers=headers)
    return serve(app, scope, {"type": "http.request", "body": b"", "more_body": False})


def websocket(app: ASGIApp, path: str) -> Outcome:
    scope = {**http_scope("GET", path), "type": "websocket", "scheme": "ws", "subprotocols": []}
    return serve(app, scope, {"type": "websocket.connect"})


Builder = Callable[[str], Any]


def differ(build: Builder, run: Callable[[ASGIApp], Outcome]) -> Outcome:
    """Run the same connection against both frameworks; they must send and raise alike."""
    theirs = run(build("fastapi"))
    ours = run(build("minifast"))
    assert ours.comparable() == theirs.comparable()
    return ours


def responses(name: str) -> Any:
    return import_from(name, "responses")


async def stream_then_fail(error: Exception) -> AsyncIterator[bytes]:
    yield b"partial"
    raise error


class AppError(Exception):
    """Base of the test's own errors."""


class OutOfStock(AppError):
    pass


class Unanswered(Exception):
    """Its handler returns None."""


# --- server errors: 500 ---------------------------------------------------------------------


def build_failing(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise ValueError("secret <detail>")

    @app.get("/sync-boom")
    def sync_boom() -> None:
        raise KeyError("secret")

    @app.get("/stream-boom")
    async def stream_boom() -> Any:
        return responses(name).StreamingResponse(stream_then_fail(ValueError("late")))

    return app


@pytest.mark.parametrize(
    ("path", "error"), [("/boom", ValueError), ("/sync-boom", KeyError)], ids=["async", "sync"]
)
def test_unhandled_exception_is_500_then_reraised(path: str, error: type[Exception]) -> None:
    outcome = differ(build_failing, lambda app: http(app, path))
    assert outcome.statuses == [500]
    assert outcome.header("content-type") == "text/plain; charset=utf-8"
    assert outcome.body == b"Internal Server Error"
    assert isinstance(outcome.error, error)
    assert b"secret" not in outcome.body


def test_exception_after_response_started_is_only_reraised() -> None:
    outcome = differ(build_failing, lambda app: http(app, "/stream-boom"))
    assert outcome.statuses == [200]
    assert outcome.body == b"partial"
    assert isinstance(outcome.error, ValueError)
    assert str(outcome.error) == "late"


def build_with_error_handler(key: Any, is_async: bool) -> Builder:
    def build(name: str) -> Any:
        fw = framework(name)
        app = fw.FastAPI()

        def answer(request: Any, exc: Exception) -> Any:
            content = {"error": type(exc).__name__, "path": request.url.path}
            return responses(name).JSONResponse(content, status_code=503)

        async def answer_async(request: Any, exc: Exception) -> Any:
            return answer(request, exc)

        app.add_exception_handler(key, answer_async if is_async else answer)

        @app.get("/boom")
        async def boom() -> None:
            raise ValueError("secret")

        return app

    return build


@pytest.mark.parametrize(
    ("key", "is_async"),
    [(500, True), (500, False), (Exception, True), (Exception, False)],
    ids=["status-500-async", "status-500-sync", "exception-async", "exception-sync"],
)
def test_custom_server_error_handler(key: Any, is_async: bool) -> None:
    outcome = differ(build_with_error_handler(key, is_async), lambda app: http(app, "/boom"))
    assert outcome.statuses == [503]
    assert outcome.body == b'{"error":"ValueError","path":"/boom"}'
    assert isinstance(outcome.error, ValueError)  # still re-raised, for the server's log


class RaiseBefore:
    """A user middleware that fails before the app is called."""

    def __init__(self, app: ASGIApp, error: Exception) -> None:
        self.app = app
        self.error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise self.error


def build_failing_middleware(error: Callable[[str], Exception]) -> Builder:
    def build(name: str) -> Any:
        app = framework(name).FastAPI()
        app.add_middleware(RaiseBefore, error=error(name))

        @app.get("/")
        async def root() -> dict[str, str]:
            return {"never": "reached"}

        return app

    return build


@pytest.mark.parametrize(
    "error",
    [lambda name: RuntimeError("mw"), lambda name: framework(name).HTTPException(401)],
    ids=["runtime-error", "http-exception-outside-handled-layer"],
)
def test_failing_user_middleware_is_500(error: Callable[[str], Exception]) -> None:
    outcome = differ(build_failing_middleware(error), http)
    assert (outcome.statuses, outcome.body) == ([500], b"Internal Server Error")
    assert outcome.error is not None


# --- server errors: the debug page -------------------------------------------------------------


def debug_app(**options: Any) -> MiniFast:
    app = MiniFast(debug=True, **options)

    @app.get("/boom")
    async def boom() -> None:
        raise ValueError("secret <detail>")

    return app


@pytest.mark.parametrize(
    ("accept", "media_type", "last_line"),
    [
        ("text/html,application/xhtml+xml", "text/html", "ValueError: secret &lt;detail&gt;"),
        ("application/json", "text/plain", "ValueError: secret <detail>"),
        (None, "text/plain", "ValueError: secret <detail>"),
    ],
    ids=["browser-html", "json-client-text", "no-accept-text"],
)
def test_debug_page(accept: str | None, media_type: str, last_line: str) -> None:
    outcome = http(debug_app(), "/boom", accept=accept)
    assert outcome.statuses == [500]
    assert outcome.header("content-type") == f"{media_type}; charset=utf-8"
    page = outcome.body.decode()
    assert "Traceback (most recent call last)" in page
    assert "in boom" in page
    assert last_line in page
    assert isinstance(outcome.error, ValueError)


def test_debug_page_wins_over_custom_handler() -> None:
    """As in FastAPI, `debug=True` shows the traceback even with a 500 handler."""

    async def unused(request: Any, exc: Exception) -> Any:
        raise AssertionError("not called")  # pragma: no cover

    outcome = http(debug_app(exception_handlers={500: unused}), "/boom")
    assert b"Traceback" in outcome.body


# --- handled exceptions --------------------------------------------------------------------


def build_handled(name: str) -> Any:  # noqa: C901 - one app with a route per case
    fw = framework(name)
    json_response = responses(name).JSONResponse
    app = fw.FastAPI()

    @app.exception_handler(404)
    async def not_found(request: Any, exc: Any) -> Any:
        return json_response({"error": "no such page", "path": request.url.path}, 404)

    @app.exception_handler(418)
    def teapot(request: Any, exc: Any) -> Any:
        return json_response({"teapot": exc.detail}, 418, headers={"x-brew": "tea"})

    @app.exception_handler(fw.HTTPException)
    async def any_http(request: Any, exc: Any) -> Any:
        return json_response({"http": exc.status_code}, exc.status_code)

    @app.exception_handler(LookupError)
    async def lookup(request: Any, exc: Exception) -> Any:
        return json_response({"lookup": type(exc).__name__}, 400)

    @app.exception_handler(IndexError)
    async def index(request: Any, exc: Exception) -> Any:
        return json_response({"index": str(exc)}, 416)

    @app.exception_handler(AppError)
    def app_error(request: Any, exc: Exception) -> Any:
        return json_response({"app_error": type(exc).__name__}, 409)

    @app.exception_handler(Unanswered)
    async def unanswered(request: Any, exc: Exception) -> None:
        return None

    @app.get("/teapot")
    async def brew() -> None:
        raise fw.HTTPException(418, detail="short and stout")

    @app.get("/forbidden")
    async def forbidden() -> None:
        raise fw.HTTPException(403)

    @app.get("/key")
    async def key() -> None:
        raise KeyError("k")

    @app.get("/index")
    def index_route() -> None:
        raise IndexError("out of range")

    @app.get("/stock")
    async def stock() -> None:
        raise OutOfStock()

    @app.get("/unanswered")
    async def no_answer() -> None:
        raise Unanswered()

    @app.get("/late")
    async def late() -> Any:
        return responses(name).StreamingResponse(stream_then_fail(OutOfStock()))

    return app


HANDLED_CASES = {
    "404-status-handler": ("/nowhere", 404, b'{"error":"no such page","path":"/nowhere"}'),
    "418-status-handler-sync": ("/teapot", 418, b'{"teapot":"short and stout"}'),
    "http-exception-class-handler": ("/forbidden", 403, b'{"http":403}'),
    "mro-base-class": ("/key", 400, b'{"lookup":"KeyError"}'),
    "mro-nearest-class": ("/index", 416, b'{"index":"out of range"}'),
    "own-hierarchy-sync": ("/stock", 409, b'{"app_error":"OutOfStock"}'),
}


@pytest.mark.parametrize(("path", "status", "body"), HANDLED_CASES.values(), ids=HANDLED_CASES)
def test_registered_handlers(path: str, status: int, body: bytes) -> None:
    outcome = differ(build_handled, lambda app: http(app, path))
    assert (outcome.statuses, outcome.body, outcome.error) == ([status], body, None)


def test_status_handler_keeps_its_headers() -> None:
    outcome = differ(build_handled, lambda app: http(app, "/teapot"))
    assert outcome.header("x-brew") == "tea"


def test_handler_returning_none_sends_nothing() -> None:
    outcome = differ(build_handled, lambda app: http(app, "/unanswered"))
    assert (outcome.messages, outcome.error) == ([], None)


def test_handled_exception_after_response_started() -> None:
    outcome = differ(build_handled, lambda app: http(app, "/late"))
    assert (outcome.statuses, outcome.body) == ([200], b"partial")
    assert isinstance(outcome.error, RuntimeError)
    assert isinstance(outcome.error.__cause__, OutOfStock)


def test_sync_handler_runs_in_a_worker_thread() -> None:
    threads: list[int] = []
    app = MiniFast()

    @app.exception_handler(AppError)
    def handler(request: Any, exc: Exception) -> Any:
        threads.append(threading.get_ident())
        return responses("minifast").PlainTextResponse("handled", status_code=409)

    @app.get("/")
    async def fail() -> None:
        raise OutOfStock()

    assert http(app).body == b"handled"
    assert threads and threads[0] != threading.get_ident()


def test_failing_handler_becomes_500() -> None:
    app = MiniFast()

    @app.exception_handler(AppError)
    async def handler(request: Any, exc: Exception) -> Any:
        raise RuntimeError("handler bug")

    @app.get("/")
    async def fail() -> None:
        raise OutOfStock()

    outcome = http(app)
    assert (outcome.statuses, outcome.body) == ([500], b"Internal Server Error")
    assert isinstance(outcome.error, RuntimeError)


# --- websockets -------------------------------------------------------------------------------


def build_websocket(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI()

    async def raises(scope: Scope, receive: Receive, send: Send) -> None:
        error = scope["path"].rsplit("/", 1)[-1]
        if error == "policy":
            raise fw.WebSocketException(1008, "policy")
        if error == "own":
            raise OutOfStock()
        raise ValueError("plain")

    @app.exception_handler(OutOfStock)
    async def close_own(websocket: Any, exc: Exception) -> None:
        await websocket.close(code=4009, reason="out of stock")

    app.mount("/ws", raises)
    return app


WEBSOCKET_CASES = {
    "websocket-exception-default": ("/ws/policy", 1008, "policy"),
    "own-handler": ("/ws/own", 4009, "out of stock"),
}


@pytest.mark.parametrize(("path", "code", "reason"), WEBSOCKET_CASES.values(), ids=WEBSOCKET_CASES)
def test_websocket_exceptions_close_the_socket(path: str, code: int, reason: str) -> None:
    outcome = differ(build_websocket, lambda app: websocket(app, path))
    assert outcome.messages == [{"type": "websocket.close", "code": code, "reason": reason}]
    assert outcome.error is None


def test_websocket_unhandled_error_is_only_reraised() -> None:
    outcome = differ(build_websocket, lambda app: websocket(app, "/ws/other"))
    assert outcome.messages == []
    assert isinstance(outcome.error, ValueError)


def test_websocket_validation_error_closes_with_policy_violation() -> None:
    async def invalid(scope: Scope, receive: Receive, send: Send) -> None:
        raise WebSocketRequestValidationError([{"type": "missing", "loc": ("query", "token")}])

    app = MiniFast()
    app.mount("/ws", invalid)
    outcome = websocket(app, "/ws/x")
    [close] = outcome.messages
    assert (close["type"], close["code"]) == ("websocket.close", 1008)
    assert "token" in close["reason"]


# --- the layers on their own --------------------------------------------------------------


async def echo_type(scope: Scope, receive: Receive, send: Send) -> None:
    """Stands for the router: records the scope types that got through."""
    scope["seen"].append(scope["type"])


def test_layers_pass_other_scope_types_through() -> None:
    stack = build_stack(
        echo_type,
        [Middleware(ServerErrorMiddleware), Middleware(ExceptionMiddleware, handlers={})],
    )
    scope: Scope = {"type": "lifespan", "seen": []}
    outcome = serve(stack, scope, {"type": "lifespan.startup"})
    assert (scope["seen"], outcome.messages, outcome.error) == (["lifespan"], [], None)


def test_exception_middleware_without_app_handlers() -> None:
    async def fail(scope: Scope, receive: Receive, send: Send) -> None:
        raise HTTPException(404)

    outcome = http(ExceptionMiddleware(fail, handlers={}))
    # As Starlette's layer: an HTTPException's detail in plain text.
    assert outcome.error is None
    assert outcome.statuses == [404]
    assert outcome.messages[-1]["body"] == b"Not Found"


def test_exception_middleware_answers_bodiless_statuses_without_a_body() -> None:
    async def fail(scope: Scope, receive: Receive, send: Send) -> None:
        raise HTTPException(304, headers={"etag": '"v1"'})

    outcome = http(ExceptionMiddleware(fail, handlers={}))
    assert outcome.statuses == [304]
    assert (b"etag", b'"v1"') in outcome.messages[0]["headers"]


def test_exception_middleware_lookup() -> None:
    async def by_status(request: Any, exc: Exception) -> None: ...
    async def by_class(request: Any, exc: Exception) -> None: ...

    layer = ExceptionMiddleware(echo_type, handlers={404: by_status, LookupError: by_class})
    assert layer.lookup(HTTPException(404)) is by_status
    assert layer.lookup(HTTPException(400)) is not by_status  # the built-in plain answer
    assert layer.lookup(KeyError("k")) is by_class
    assert layer.lookup(ValueError()) is None


class Named:
    """A do-nothing middleware that takes any options."""

    def __init__(self, app: ASGIApp, *args: Any, **kwargs: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)  # pragma: no cover - only stacked, never called


MIDDLEWARE_CASES = {
    "bare": ((), {}),
    "positional": ((1, "two"), {}),
    "keywords": ((), {"allow": ["*"], "max_age": 600}),
    "both": ((1,), {"flag": True}),
}


@pytest.mark.parametrize(("args", "kwargs"), MIDDLEWARE_CASES.values(), ids=MIDDLEWARE_CASES)
def test_middleware_repr_and_iter(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    reference = import_from("fastapi", "middleware").Middleware(Named, *args, **kwargs)
    ours = Middleware(Named, *args, **kwargs)
    assert repr(ours) == repr(reference)
    cls, got_args, got_kwargs = ours
    assert (cls, got_args, got_kwargs) == (Named, args, kwargs)


def test_middleware_repr_of_nameless_factory() -> None:
    layer = Middleware(functools.partial(Named), 1)
    assert repr(layer) == f"Middleware({functools.partial(Named)}, 1)"


def test_build_stack_first_is_outermost() -> None:
    stack = build_stack(echo_type, [Middleware(Named, "outer"), Middleware(Named, "inner")])
    assert isinstance(stack, Named)
    assert isinstance(stack.app, Named)
    assert stack.app.app is echo_type


def test_handlers_added_to_the_scope_table_during_a_request_answer() -> None:
    """COMPAT: extensions add handlers to scope["starlette.exception_handlers"] mid-request."""

    def teapot(request: Any, exc: Exception) -> Any:  # sync: run in the thread pool
        return PlainTextResponse("added late", status_code=418)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        class_handlers, _ = scope["starlette.exception_handlers"]
        class_handlers[LookupError] = teapot
        raise KeyError("k")

    outcome = http(ExceptionMiddleware(app, handlers={}))
    assert outcome.statuses == [418]
    assert outcome.messages[-1]["body"] == b"added late"
