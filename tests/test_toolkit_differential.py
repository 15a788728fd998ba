"""The toolkit half against Starlette: the same small app on both, every ASGI message compared.

Each builder gets a module loader for "starlette" or "minifast" and writes the app with that
framework's own names, as code ported by changing its imports would.
"""

# No `from __future__ import annotations`: endpoints are built inside functions for both
# frameworks, and string annotations could not resolve their local names.

import contextlib
import types
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest

from tests.support import Captured, call_asgi, http_scope, import_from

FRAMEWORKS = ["starlette", "minifast"]
Loader = Callable[[str], types.ModuleType]


def loader(name: str) -> Loader:
    return lambda module: import_from(name, module)


def run(
    build: Callable[[Loader], Any], method: str, path: str, **options: Any
) -> dict[str, Captured | BaseException]:
    """The request on the app built for each framework: what it sent, or what it raised."""
    outcomes: dict[str, Captured | BaseException] = {}
    for name in FRAMEWORKS:
        app = build(loader(name))
        headers = options.get("headers")
        scope = http_scope(method, path, headers=headers)

        async def once(app: Any = app, scope: dict[str, Any] = scope) -> Captured:
            return await call_asgi(app, scope, options.get("body", b""))

        try:
            outcomes[name] = anyio.run(once)
        except Exception as error:
            outcomes[name] = error
    return outcomes


def same(build: Callable[[Loader], Any], method: str, path: str, **options: Any) -> Captured:
    """Assert both frameworks answered alike: status, headers, body, message by message."""
    outcomes = run(build, method, path, **options)
    theirs, ours = outcomes["starlette"], outcomes["minifast"]
    assert isinstance(theirs, Captured) and isinstance(ours, Captured), outcomes
    assert comparable(ours.headers) == comparable(theirs.headers)
    if method == "HEAD":  # COMPAT: Starlette sends a HEAD body that servers drop; minifast none
        assert (ours.status, ours.body) == (theirs.status, b"")
        return ours
    assert (ours.status, ours.body) == (theirs.status, theirs.body)
    assert shapes(ours.messages) == shapes(theirs.messages)
    return ours


def comparable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers sorted; an Allow list as a set (Starlette's order follows set iteration)."""
    return sorted((k, ", ".join(sorted(v.split(", "))) if k == "allow" else v) for k, v in headers)


def shapes(messages: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """Each message's type and body, headers set aside (compared sorted above)."""
    return [(m["type"], m.get("body"), m.get("more_body", False)) for m in messages]


# --- routing: routes, mounts, hosts, 404/405, slashes -----------------------------------------


def routed_app(load: Loader) -> Any:
    routing, responses = load("routing"), load("responses")
    Route, Mount, Host = routing.Route, routing.Mount, routing.Host

    def item(request: Any) -> Any:
        params = request.path_params
        return responses.JSONResponse(
            {"item": params["item_id"], "type": type(params["item_id"]).__name__}
        )

    async def where(request: Any) -> Any:
        url = request.url_for("api:item", item_id=3)
        return responses.PlainTextResponse(f"{request.scope['root_path']} {url}")

    async def host_page(request: Any) -> Any:
        return responses.PlainTextResponse(f"tenant {request.path_params['tenant']}")

    api = [
        Route("/items/{item_id:int}", item, name="item"),
        Route("/where", where, methods=["GET", "POST"]),
    ]
    routes = [
        Host("{tenant}.example.org", routing.Router([Route("/", host_page)]), name="tenants"),
        Mount("/api", routes=api, name="api"),
        Route("/plain/", where),
    ]
    return load("applications").Starlette(routes=routes)


@pytest.mark.parametrize(
    ("method", "path", "host"),
    [
        ("GET", "/api/items/7", "testserver"),
        ("GET", "/api/items/x", "testserver"),
        ("DELETE", "/api/where", "testserver"),
        ("POST", "/api/where", "testserver"),
        ("HEAD", "/api/items/7", "testserver"),
        ("GET", "/plain", "testserver"),
        ("GET", "/", "acme.example.org"),
        ("GET", "/", "acme.example.org:8000"),
        ("GET", "/nowhere", "testserver"),
    ],
)
def test_routing_answers_alike(method: str, path: str, host: str) -> None:
    same(routed_app, method, path, headers=[(b"host", host.encode())])


def test_url_path_for_through_mounts_and_hosts() -> None:
    for name in FRAMEWORKS:
        app = routed_app(loader(name))
        assert app.url_path_for("api:item", item_id=4) == "/api/items/4"
        url = app.url_path_for("tenants", path="/", tenant="acme")
        assert (str(url), url.host) == ("/", "acme.example.org")
        assert str(url.make_absolute_url("http://testserver")) == "http://acme.example.org/"


def scope_for(kind: str, path: str, method: str = "GET", host: bytes = b"testserver") -> Any:
    scope = http_scope(method, path, headers=[(b"host", host)])
    scope["type"] = kind
    return scope


@pytest.mark.parametrize(
    ("index", "scope"),
    [
        (1, scope_for("http", "/api/items/3")),
        (1, scope_for("websocket", "/api/items/3")),
        (1, scope_for("http", "/other")),
        (2, scope_for("http", "/plain/", "POST")),
        (2, scope_for("http", "/plain/")),
        (0, scope_for("http", "/", host=b"acme.example.org")),
        (0, scope_for("http", "/", host=b"example.org")),
    ],
    ids=["mount", "mount-ws", "mount-miss", "partial", "full", "host", "host-miss"],
)
def test_matches_gives_the_same_match_and_child_scope(index: int, scope: Any) -> None:
    """The routing protocol: Match and the child scope, the endpoint compared by kind."""
    answers = []
    for name in FRAMEWORKS:
        route = routed_app(loader(name)).routes[index]
        match, child = route.matches(dict(scope))
        answers.append((match.name, {k: v for k, v in child.items() if k != "endpoint"}))
        assert ("endpoint" in child) == (match.name != "NONE")
    assert answers[0] == answers[1]


# --- BaseHTTPMiddleware ---------------------------------------------------------------------


def middleware_app(load: Loader, log: list[str] | None = None) -> Any:
    responses, routing = load("responses"), load("routing")
    base, background = load("middleware.base"), load("background")

    class Stamp(base.BaseHTTPMiddleware):
        async def dispatch(self, request: Any, call_next: Any) -> Any:
            if request.url.path == "/refused":
                return responses.PlainTextResponse("refused", status_code=403)
            response = await call_next(request)
            response.headers["x-stamp"] = "yes"
            return response

    async def stream(request: Any) -> Any:
        async def chunks() -> AsyncIterator[bytes]:
            for part in (b"a", b"b", b"c"):
                yield part

        def note() -> None:
            (log if log is not None else []).append("background ran")

        return responses.StreamingResponse(chunks(), background=background.BackgroundTask(note))

    async def boom(request: Any) -> Any:
        raise ValueError("boom")

    async def echo(request: Any) -> Any:
        return responses.PlainTextResponse(await request.body())

    routes = [
        routing.Route("/stream", stream),
        routing.Route("/boom", boom),
        routing.Route("/echo", echo, methods=["POST"]),
    ]
    middleware = [load("middleware").Middleware(Stamp)]
    return load("applications").Starlette(routes=routes, middleware=middleware)


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/stream"), ("GET", "/refused"), ("GET", "/nowhere")]
)
def test_base_http_middleware_passes_responses_alike(method: str, path: str) -> None:
    same(middleware_app, method, path)


def test_base_http_middleware_streams_unbuffered_and_runs_background_tasks() -> None:
    log: list[str] = []
    answer = same(lambda load: middleware_app(load, log), "GET", "/stream")
    bodies = [m["body"] for m in answer.messages if m["type"] == "http.response.body"]
    assert bodies[:3] == [b"a", b"b", b"c"]  # each chunk passed on as its own message
    assert log == ["background ran", "background ran"]  # once per framework


def test_base_http_middleware_hands_the_body_down() -> None:
    answer = same(middleware_app, "POST", "/echo", body=b"payload")
    assert answer.body == b"payload"


def test_an_endpoint_error_reaches_the_error_layer_through_the_middleware() -> None:
    outcomes = run(middleware_app, "GET", "/boom")
    assert all(isinstance(outcome, ValueError) for outcome in outcomes.values()), outcomes


def test_call_next_sees_the_client_leave() -> None:
    """A client gone while the endpoint reads the body: ClientDisconnect on both."""
    seen: dict[str, bool] = {}
    for name in FRAMEWORKS:
        load = loader(name)
        base, responses = load("middleware.base"), load("responses")

        requests = load("requests")

        async def endpoint(
            request: Any, name: str = name, requests: Any = requests, responses: Any = responses
        ) -> Any:
            try:
                await request.body()
            except requests.ClientDisconnect:
                seen[name] = True
            return responses.PlainTextResponse("late")

        async def dispatch(request: Any, call_next: Any) -> Any:
            return await call_next(request)

        app = load("applications").Starlette(
            routes=[load("routing").Route("/", endpoint)],
            middleware=[load("middleware").Middleware(base.BaseHTTPMiddleware, dispatch=dispatch)],
        )

        async def gone(app: Any = app) -> None:
            messages: list[Any] = [{"type": "http.request", "body": b"x", "more_body": True}]

            async def receive() -> Any:
                return messages.pop(0) if messages else {"type": "http.disconnect"}

            async def send(message: Any) -> None:
                pass

            await app(http_scope(), receive, send)

        anyio.run(gone)
    assert seen == {"starlette": True, "minifast": True}


# --- pure ASGI middleware with MutableHeaders writing through ------------------------------


def header_rewriting_app(load: Loader) -> Any:
    datastructures, responses, routing = load("datastructures"), load("responses"), load("routing")

    class Rewrite:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            datastructures.MutableHeaders(scope=scope)["x-user"] = "rewritten"

            async def stamped(message: Any) -> None:
                if message["type"] == "http.response.start":
                    headers = datastructures.MutableHeaders(scope=message)
                    headers.append("x-request-id", "42")
                await send(message)

            await self.app(scope, receive, stamped)

    async def whoami(request: Any) -> Any:
        return responses.PlainTextResponse(request.headers["x-user"])

    middleware = [load("middleware").Middleware(Rewrite)]
    return load("applications").Starlette(
        routes=[routing.Route("/", whoami)], middleware=middleware
    )


def test_mutable_headers_write_through_to_scope_and_message() -> None:
    answer = same(header_rewriting_app, "GET", "/", headers=[(b"x-user", b"original")])
    assert (answer.body, answer.header("x-request-id")) == (b"rewritten", "42")


# --- the lifespan, down the middleware stack ----------------------------------------------


def test_lifespan_state_and_middleware_see_it_alike() -> None:
    results = {}
    for name in FRAMEWORKS:
        load = loader(name)
        seen: list[str] = []

        class Note:
            def __init__(self, app: Any, seen: list[str] = seen) -> None:
                self.app, self.seen = app, seen

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                self.seen.append(scope["type"])
                await self.app(scope, receive, send)

        @contextlib.asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[dict[str, str]]:
            yield {"db": "open"}

        app = load("applications").Starlette(
            lifespan=lifespan, middleware=[load("middleware").Middleware(Note)]
        )
        sent: list[Any] = []
        state: dict[str, Any] = {}

        async def cycle(
            app: Any = app, state: dict[str, Any] = state, sent: list[Any] = sent
        ) -> None:
            incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

            async def receive() -> Any:
                return incoming.pop(0)

            async def send(message: Any) -> None:
                sent.append(message["type"])

            await app({"type": "lifespan", "state": state}, receive, send)

        anyio.run(cycle)
        results[name] = (sent, state, seen)
    assert results["minifast"] == results["starlette"]
    assert results["minifast"][1] == {"db": "open"}
