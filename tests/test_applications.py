"""The application object: lifespan, state, root_path, registration and middleware order."""

# No `from __future__ import annotations`: apps built inside functions for both frameworks
# annotate with local names, which string annotations could not resolve.

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import pytest

from minifast import APIRouter, FastAPI, MiniFast, Request
from minifast.exceptions import FastAPIDeprecationWarning
from minifast.middleware import Middleware
from minifast.responses import PlainTextResponse, Response
from minifast.testclient import TestClient
from minifast.types import ASGIApp, Message, Receive, Scope, Send
from tests.support import compare, framework, request

# --- helpers --------------------------------------------------------------------------------


def run_lifespan(app: ASGIApp, sent: list[Message], state: dict[str, Any] | None = None) -> Scope:
    """Drive one lifespan (start-up, then shut-down) with raw ASGI messages, as a server does."""
    incoming: list[Message] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    scope: Scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
    if state is not None:
        scope["state"] = state

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    anyio.run(app, scope, receive, send)
    return scope


def message_types(sent: list[Message]) -> list[str]:
    return [message["type"] for message in sent]


class Recorder:
    """A pure ASGI middleware that notes its name in `log` on the way in."""

    def __init__(self, app: ASGIApp, name: str, log: list[str]) -> None:
        self.app = app
        self.name = name
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.log.append(self.name)
        await self.app(scope, receive, send)


def hello_app() -> MiniFast:
    app = MiniFast()

    @app.get("/")
    async def root() -> str:
        return "hello"

    return app


# --- lifespan ---------------------------------------------------------------------------------


def test_fastapi_is_minifast() -> None:
    assert FastAPI is MiniFast


def test_lifespan_state_reaches_requests() -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: MiniFast) -> AsyncIterator[dict[str, Any]]:
        events.append(f"start:{app.title}")
        yield {"pool": "db-pool"}
        events.append("stop")

    app = MiniFast(title="svc", lifespan=lifespan)

    @app.get("/pool")
    async def pool(request: Request) -> dict[str, Any]:
        return {"pool": request.state.pool}

    with TestClient(app) as client:
        assert events == ["start:svc"]
        assert client.get("/pool").json() == {"pool": "db-pool"}
    assert events == ["start:svc", "stop"]


def test_lifespan_state_fills_server_state() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: MiniFast) -> AsyncIterator[dict[str, int]]:
        yield {"answer": 42}

    sent: list[Message] = []
    state: dict[str, Any] = {"kept": True}
    run_lifespan(MiniFast(lifespan=lifespan), sent, state)
    assert message_types(sent) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert state == {"kept": True, "answer": 42}


def test_lifespan_state_needs_server_support() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: MiniFast) -> AsyncIterator[dict[str, int]]:
        yield {"answer": 42}

    sent: list[Message] = []
    with pytest.raises(RuntimeError, match="does not support lifespan state"):
        run_lifespan(MiniFast(lifespan=lifespan), sent)
    assert message_types(sent) == ["lifespan.startup.failed"]
    assert "does not support lifespan state" in sent[0]["message"]


def async_generator_lifespan(log: list[str]) -> Callable[[Any], Any]:
    async def lifespan(app: Any) -> AsyncIterator[dict[str, str]]:
        log.append("start")
        yield {"kind": "async"}
        log.append("stop")

    return lifespan


def sync_generator_lifespan(log: list[str]) -> Callable[[Any], Any]:
    def lifespan(app: Any) -> Iterator[dict[str, str]]:
        log.append("start")
        yield {"kind": "sync"}
        log.append("stop")

    return lifespan


@pytest.mark.parametrize(
    ("make", "kind"),
    [(async_generator_lifespan, "async"), (sync_generator_lifespan, "sync")],
    ids=["async-generator", "sync-generator"],
)
def test_lifespan_bare_generator(make: Callable[[list[str]], Any], kind: str) -> None:
    """COMPAT: FastAPI wraps a lifespan generator that lacks @asynccontextmanager."""
    log: list[str] = []
    sent: list[Message] = []
    state: dict[str, Any] = {}
    run_lifespan(MiniFast(lifespan=make(log)), sent, state)
    assert message_types(sent) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert (log, state) == (["start", "stop"], {"kind": kind})


def test_lifespan_replaces_event_handlers() -> None:
    """With `lifespan=`, on_startup handlers are not run, as in FastAPI."""
    log: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: MiniFast) -> AsyncIterator[None]:
        log.append("lifespan")
        yield

    app = MiniFast(lifespan=lifespan, on_startup=[lambda: log.append("handler")])
    run_lifespan(app, [])
    assert log == ["lifespan"]


def register_by_constructor(log: list[str]) -> MiniFast:
    async def start_async() -> None:
        log.append("startup-async")

    async def stop_async() -> None:
        log.append("shutdown-async")

    return MiniFast(
        on_startup=[lambda: log.append("startup-sync"), start_async],
        on_shutdown=[stop_async, lambda: log.append("shutdown-sync")],
    )


def register_by_method(log: list[str]) -> MiniFast:
    async def start_async() -> None:
        log.append("startup-async")

    async def stop_async() -> None:
        log.append("shutdown-async")

    app = MiniFast()
    app.add_event_handler("startup", lambda: log.append("startup-sync"))
    app.add_event_handler("startup", start_async)
    app.add_event_handler("shutdown", stop_async)
    app.add_event_handler("shutdown", lambda: log.append("shutdown-sync"))
    return app


@pytest.mark.parametrize(
    "register", [register_by_constructor, register_by_method], ids=["constructor", "method"]
)
def test_event_handlers_run_in_order(register: Callable[[list[str]], MiniFast]) -> None:
    log: list[str] = []
    sent: list[Message] = []
    run_lifespan(register(log), sent)
    assert log == ["startup-sync", "startup-async", "shutdown-async", "shutdown-sync"]
    assert message_types(sent) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_event_handlers_under_test_client() -> None:
    log: list[str] = []
    app = register_by_method(log)
    with TestClient(app):
        assert log == ["startup-sync", "startup-async"]
    assert log[2:] == ["shutdown-async", "shutdown-sync"]


def test_unknown_event_is_refused() -> None:
    with pytest.raises(KeyError):
        MiniFast().add_event_handler("restart", lambda: None)


def fail_in_startup_handler() -> MiniFast:
    def boom() -> None:
        raise ValueError("startup boom")

    return MiniFast(on_startup=[boom])


def fail_in_lifespan_enter() -> MiniFast:
    @contextlib.asynccontextmanager
    async def lifespan(app: MiniFast) -> AsyncIterator[None]:
        raise ValueError("startup boom")
        yield  # pragma: no cover - makes this a generator; never reached

    return MiniFast(lifespan=lifespan)


@pytest.mark.parametrize(
    "build", [fail_in_startup_handler, fail_in_lifespan_enter], ids=["on_startup", "lifespan"]
)
def test_startup_failure_is_reported_then_raised(build: Callable[[], MiniFast]) -> None:
    sent: list[Message] = []
    with pytest.raises(ValueError, match="startup boom"):
        run_lifespan(build(), sent)
    assert message_types(sent) == ["lifespan.startup.failed"]
    assert "Traceback" in sent[0]["message"]
    assert "ValueError: startup boom" in sent[0]["message"]


def fail_in_shutdown_handler() -> MiniFast:
    async def boom() -> None:
        raise ValueError("shutdown boom")

    return MiniFast(on_shutdown=[boom])


def fail_in_lifespan_exit() -> MiniFast:
    @contextlib.asynccontextmanager
    async def lifespan(app: MiniFast) -> AsyncIterator[None]:
        yield
        raise ValueError("shutdown boom")

    return MiniFast(lifespan=lifespan)


@pytest.mark.parametrize(
    "build", [fail_in_shutdown_handler, fail_in_lifespan_exit], ids=["on_shutdown", "lifespan"]
)
def test_shutdown_failure_is_reported_then_raised(build: Callable[[], MiniFast]) -> None:
    sent: list[Message] = []
    with pytest.raises(ValueError, match="shutdown boom"):
        run_lifespan(build(), sent)
    assert message_types(sent) == ["lifespan.startup.complete", "lifespan.shutdown.failed"]
    assert "ValueError: shutdown boom" in sent[1]["message"]


def test_lifespan_travels_through_user_middleware() -> None:
    """As in FastAPI, the lifespan scope passes down the middleware stack to the router."""
    log: list[str] = []
    app = hello_app()
    app.add_middleware(Recorder, name="outer", log=log)
    run_lifespan(app, [])
    assert log == ["outer"]
    assert request(app).body == b'"hello"'
    assert log == ["outer", "outer"]


# --- state, scope and root_path ---------------------------------------------------------------


def test_app_state_is_shared_with_requests() -> None:
    app = MiniFast()
    app.state.greeting = "hi"

    @app.get("/")
    async def read(request: Request) -> dict[str, Any]:
        return {"greeting": request.app.state.greeting, "same": request.scope["app"] is app}

    assert TestClient(app).get("/").json() == {"greeting": "hi", "same": True}


def build_root_path_app(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI(root_path="/api")

    @app.get("/items/{item_id}")
    async def item(item_id: int, request: fw.Request) -> dict[str, Any]:  # type: ignore[name-defined]
        scope = request.scope
        return {"item_id": item_id, "root_path": scope["root_path"], "path": scope["path"]}

    return app


ROOT_PATH_CASES = {
    "path-with-root": ("/api/items/3", ""),
    "path-without-root": ("/items/3", ""),
    "server-root-replaced": ("/api/items/3", "/ignored"),
}


@pytest.mark.parametrize(("path", "server_root"), ROOT_PATH_CASES.values(), ids=ROOT_PATH_CASES)
def test_root_path_argument(path: str, server_root: str) -> None:
    # COMPAT: FastAPI 0.163 deprecates `root_path=`, and minifast warns as it does.
    with pytest.warns(UserWarning, match="`root_path` parameter is deprecated"):  # both classes
        response = compare(build_root_path_app, "GET", path, root_path=server_root)
    assert response.status == 200
    assert response.body == b'{"item_id":3,"root_path":"/api","path":"%s"}' % path.encode()


def test_root_path_in_lifespan_scope() -> None:
    with pytest.warns(FastAPIDeprecationWarning):
        app = MiniFast(root_path="/api")
    scope = run_lifespan(app, [])
    assert scope["root_path"] == "/api"


# --- registration -----------------------------------------------------------------------------


async def raw_asgi(scope: Scope, receive: Receive, send: Send) -> None:
    body = f"{scope['root_path']}|{scope['path']}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def registered_app() -> MiniFast:
    app = MiniFast(openapi_url=None)  # no built-in /openapi.json and /docs routes

    async def added() -> dict[str, str]:
        return {"via": "add_api_route"}

    app.add_api_route("/added", added, methods=["GET"])

    @app.api_route("/both", methods=["GET", "POST"])
    async def both(request: Request) -> dict[str, str]:
        return {"via": request.method}

    def plain(request: Request) -> Response:
        return PlainTextResponse(f"plain {request.url.path}")

    app.add_route("/plain", plain, methods=["GET"], name="plain-page")
    router = APIRouter()

    @router.get("/inner/{key}", name="inner")
    async def inner(key: str) -> dict[str, str]:
        return {"key": key}

    app.include_router(router, prefix="/v1")
    app.mount("/raw", raw_asgi, name="raw")
    return app


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/added", b'{"via":"add_api_route"}'),
        ("POST", "/both", b'{"via":"POST"}'),
        ("GET", "/plain", b"plain /plain"),
        ("GET", "/v1/inner/k", b'{"key":"k"}'),
        ("GET", "/raw/x/y", b"/raw|/raw/x/y"),
    ],
    ids=["add_api_route", "api_route", "add_route", "include_router", "mount"],
)
def test_registration_methods(method: str, path: str, body: bytes) -> None:
    response = request(registered_app(), method, path)
    assert (response.status, response.body) == (200, body)


def test_routes_and_url_path_for() -> None:
    app = registered_app()
    assert [getattr(route, "path", None) for route in app.routes] == [
        "/added",
        "/both",
        "/plain",
        "/v1/inner/{key}",
        "/raw",
    ]
    assert app.routes is app.router.routes
    assert app.url_path_for("inner", key="k") == "/v1/inner/k"
    assert app.url_path_for("plain-page") == "/plain"
    assert app.url_path_for("raw", path="a/b") == "/raw/a/b"


def test_lifespan_with_every_route_kind() -> None:
    sent: list[Message] = []
    run_lifespan(registered_app(), sent)
    assert message_types(sent) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_exception_handler_registration() -> None:
    class Teapot(Exception):
        pass

    async def by_constructor(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("constructor", status_code=418)

    app = MiniFast(exception_handlers={Teapot: by_constructor})

    @app.exception_handler(404)
    async def by_decorator(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("decorator", status_code=404)

    assert app.exception_handlers[Teapot] is by_constructor
    assert app.exception_handlers[404] is by_decorator


# --- middleware order ---------------------------------------------------------------------


def test_add_middleware_last_added_is_outermost() -> None:
    log: list[str] = []
    app = hello_app()
    app.add_middleware(Recorder, name="first", log=log)
    app.add_middleware(Recorder, name="second", log=log)
    assert request(app).status == 200
    assert log == ["second", "first"]


def test_constructor_middleware_is_in_list_order_inside_added_ones() -> None:
    log: list[str] = []
    app = MiniFast(
        middleware=[Middleware(Recorder, name="a", log=log), Middleware(Recorder, "b", log)]
    )
    app.add_middleware(Recorder, name="added", log=log)

    @app.get("/")
    async def root() -> None:
        log.append("endpoint")

    assert request(app).status == 200
    assert log == ["added", "a", "b", "endpoint"]


def build_order_app(name: str) -> Any:
    """Middleware that tags the response, to compare the stacking order with FastAPI."""

    class Tag:
        def __init__(self, app: ASGIApp, tag: str) -> None:
            self.app, self.tag = app, tag

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def tagged(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = [*message["headers"], (b"x-order", self.tag.encode())]
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, tagged)

    app = framework(name).FastAPI()
    app.add_middleware(Tag, tag="inner")
    app.add_middleware(Tag, tag="outer")

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"ok": "yes"}

    return app


def test_middleware_order_matches_fastapi() -> None:
    response = compare(build_order_app, "GET", "/")
    assert [value for key, value in response.headers if key == "x-order"] == ["inner", "outer"]


def start_with_request(app: MiniFast) -> None:
    request(app)


def start_with_lifespan(app: MiniFast) -> None:
    run_lifespan(app, [])


@pytest.mark.parametrize(
    "start", [start_with_request, start_with_lifespan], ids=["request", "lifespan"]
)
def test_add_middleware_after_start_raises(start: Callable[[MiniFast], None]) -> None:
    app = hello_app()
    start(app)
    with pytest.raises(RuntimeError, match="after an application has started"):
        app.add_middleware(Recorder, name="late", log=[])


def test_middleware_stack_is_built_once() -> None:
    app = hello_app()
    request(app)
    stack = app.middleware_stack
    request(app)
    assert app.middleware_stack is stack
