"""The toolkit's Router, Mount and Host, and the route kinds alone: each against Starlette."""

import functools
from typing import Any

import anyio
import pytest

from minifast.applications import Starlette
from minifast.convertors import Convertor, register_url_convertor
from minifast.middleware import Middleware
from minifast.middleware.base import BaseHTTPMiddleware
from minifast.middleware.body_limit import RequestBodyLimitMiddleware
from minifast.plain_routes import (
    BaseRoute,
    Match,
    NoMatchFound,
    Route,
    WebSocketRoute,
    compile_path,
)
from minifast.responses import PlainTextResponse, Response
from minifast.router import Host, Mount, Router
from minifast.types import Receive, Scope, Send
from minifast.websockets import WebSocket, WebSocketClose
from tests.support import call_asgi, http_scope, request

starlette_routing = pytest.importorskip("starlette.routing")


async def hello(request: Any) -> Response:
    return PlainTextResponse(f"hello {request.path_params}")


def tagged(text: str) -> Any:
    async def endpoint(request: Any) -> Response:
        return PlainTextResponse(text)

    return endpoint


class Tag:
    """A pure ASGI middleware that adds a header, to show where it was applied."""

    def __init__(self, app: Any, value: str) -> None:
        self.app, self.value = app, value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def tagged(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message["headers"], (b"x-tag", self.value.encode())],
                }
            await send(message)

        await self.app(scope, receive, tagged)


# --- a router alone (no app around it) -----------------------------------------------------


def test_a_bare_router_answers_404_and_405_in_plain_text() -> None:
    router = Router([Route("/only-post", hello, methods=["POST"])])
    assert (request(router, "GET", "/nowhere").status, request(router).body) == (404, b"Not Found")
    refused = request(router, "GET", "/only-post")
    assert (refused.status, refused.header("allow")) == (405, "POST")


def test_router_middleware_and_body_limit_wrap_its_dispatch() -> None:
    async def echo(request: Any) -> Response:
        return PlainTextResponse(await request.body())

    router = Router(
        [Route("/", echo, methods=["POST"])],
        middleware=[Middleware(Tag, value="router")],
        max_body_size=3,
    )
    answer = request(router, "POST", "/", body=b"abc")
    assert (answer.status, answer.body, answer.header("x-tag")) == (200, b"abc", "router")
    assert request(router, "POST", "/", body=b"abcd").status == 413


def test_routes_appended_by_hand_are_found_and_removed_ones_are_not() -> None:
    router = Router([Route("/a", tagged("a"))])
    router.routes.append(Route("/b", tagged("b")))
    assert request(router, "GET", "/b").body == b"b"
    router.routes.pop(0)
    router.routes.pop(0)
    router.routes.append(Route("/c", tagged("c")))
    assert [request(router, "GET", p).status for p in ("/a", "/b", "/c")] == [404, 404, 200]


def test_routers_compare_by_their_routes() -> None:
    assert Router([Route("/", hello)]) == Router([Route("/", hello)])
    assert Router([Route("/", hello)]) != Router([Route("/x", hello)])


# --- hosts make a router ask each route ----------------------------------------------------


def hosted() -> Router:
    api = Router([Route("/users/{id:int}", hello, name="user")])
    return Router(
        [
            Host("api.{domain}", api, name="api"),
            Mount("/static", app=PlainTextResponse("static"), name="static"),
            Route("/page/", tagged("page")),
            Route("/partial", hello, methods=["POST"]),
        ]
    )


@pytest.mark.parametrize(
    ("host", "method", "path", "status", "body"),
    [
        ("api.example.org", "GET", "/users/3", 200, b"hello {'domain': 'example.org', 'id': 3}"),
        ("API.example.org:8080", "GET", "/users/3", 200, None),
        ("www.example.org", "GET", "/page/", 200, b"page"),
        ("www.example.org", "GET", "/page", 307, b""),
        ("www.example.org", "GET", "/partial", 405, b"Method Not Allowed"),
        ("www.example.org", "GET", "/static/x", 200, b"static"),
        ("[::1]:8000", "GET", "/users/3", 404, b"Not Found"),
    ],
)
def test_a_router_with_a_host_asks_each_route(
    host: str, method: str, path: str, status: int, body: bytes | None
) -> None:
    scope = http_scope(method, path)
    scope["headers"] = [(b"host", host.encode())]
    answer = anyio.run(call_asgi, hosted(), scope)
    assert answer.status == status
    assert body is None or answer.body == body


def test_url_paths_through_named_hosts_and_mounts() -> None:
    router = hosted()
    url = router.url_path_for("api:user", domain="example.org", id=4)
    assert (str(url), url.host) == ("/users/4", "api.example.org")
    assert router.url_path_for("static", path="/app.css") == "/static/app.css"
    assert router.url_path_for("api", domain="a.org", path="/x").host == "api.a.org"
    with pytest.raises(NoMatchFound):
        router.url_path_for("api:nobody", domain="a.org")
    with pytest.raises(NoMatchFound):
        router.url_path_for("api:user", id=4)  # the host's parameter is missing


def test_hosts_and_mounts_compare_and_show_themselves() -> None:
    app = PlainTextResponse("x")
    assert Host("a.org", app) == Host("a.org", app) and Host("a.org", app) != Host("b.org", app)
    assert Mount("/m", app) == Mount("/m", app) and Mount("/m", app) != Mount("/n", app)
    assert repr(Host("a.org", app, name="a")).startswith("Host(host='a.org', name='a', app=")
    assert repr(Mount("/m", app)).startswith("Mount(path='/m', name=None, app=")
    assert Host("a.org", Router([Route("/", hello)])).routes[0].path == "/"


def test_mount_and_host_refuse_what_they_cannot_route() -> None:
    with pytest.raises(ValueError, match="an app or routes"):
        Mount("/m")
    with pytest.raises(ValueError, match="must not start"):
        Host("/a.org", PlainTextResponse("x"))
    with pytest.raises(ValueError, match="must start"):
        WebSocketRoute("ws", hello)
    host = Host("a.org", PlainTextResponse("x"))
    assert host.matches({"type": "lifespan"}) == (Match.NONE, {})


def test_a_mount_applies_its_middleware() -> None:
    mount = Mount("/m", routes=[Route("/", tagged("in"))], middleware=[Middleware(Tag, value="m")])
    answer = request(Router([mount]), "GET", "/m/")
    assert (answer.body, answer.header("x-tag")) == (b"in", "m")


# --- route kinds --------------------------------------------------------------------------


def test_a_route_alone_is_an_asgi_app() -> None:
    route = Route("/items/{id:int}", hello, middleware=[Middleware(Tag, value="route")])
    answer = request(route, "GET", "/items/2")
    assert (answer.body, answer.header("x-tag")) == (b"hello {'id': 2}", "route")
    assert request(route, "GET", "/other").status == 404
    assert request(route, "DELETE", "/items/2").status == 405


def test_partial_endpoints_are_functions_and_classes_are_apps() -> None:
    route = Route("/p", functools.partial(tagged("p")))  # a partial of a function: GET only
    assert (route.methods, request(Router([route]), "GET", "/p").body) == ({"GET", "HEAD"}, b"p")
    assert Route("/app", PlainTextResponse("x")).methods is None


def test_routes_compare_and_show_themselves() -> None:
    assert Route("/", hello) == Route("/", hello) and Route("/", hello) != Route("/x", hello)
    assert repr(Route("/", hello)) == "Route(path='/', name='hello', methods=['GET', 'HEAD'])"
    assert WebSocketRoute("/ws", hello) == WebSocketRoute("/ws", hello)
    assert repr(WebSocketRoute("/ws", hello)) == "WebSocketRoute(path='/ws', name='hello')"
    route = Route("/u/{id:int}", hello)
    assert route.path_regex.match("/u/3") and set(route.param_convertors) == {"id"}


def test_compile_path_matches_starlettes() -> None:
    ours, theirs = (
        compile_path("/u/{id:int}/{rest:path}"),
        starlette_routing.compile_path("/u/{id:int}/{rest:path}"),
    )
    assert ours[1] == theirs[1]
    assert ours[0].match("/u/3/a/b").groupdict() == theirs[0].match("/u/3/a/b").groupdict()


def test_a_websocket_route_wraps_its_function_and_middleware() -> None:
    closed: list[Any] = []

    async def endpoint(websocket: WebSocket) -> None:
        await WebSocketClose(code=4001, reason="go away")(
            websocket.scope, websocket.receive, websocket.send
        )

    route = WebSocketRoute("/ws", endpoint, middleware=[Middleware(Tag, value="ws")])

    async def run() -> None:
        scope = {**http_scope(path="/ws"), "type": "websocket"}

        async def receive() -> Any:
            return {"type": "websocket.connect"}

        async def send(message: Any) -> None:
            closed.append(message)

        await Router([route])(scope, receive, send)

    anyio.run(run)
    assert closed == [{"type": "websocket.close", "code": 4001, "reason": "go away"}]


def test_a_registered_convertor_is_usable_in_templates() -> None:
    class Even(Convertor[int]):
        regex = "[0-9]*[02468]"

        def convert(self, value: str) -> int:
            return int(value)

        def to_string(self, value: int) -> str:
            return str(value)

    register_url_convertor("even", Even())
    router = Router([Route("/n/{n:even}", hello, name="n")])
    assert request(router, "GET", "/n/4").body == b"hello {'n': 4}"
    assert request(router, "GET", "/n/3").status == 404
    assert router.url_path_for("n", n=8) == "/n/8"


def test_a_base_route_without_its_own_matching_is_asked_through_the_protocol() -> None:
    class Everything(BaseRoute):
        """A route class of an extension's: it matches any http path."""

        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            return Match.FULL, {"endpoint": None}

        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
            await PlainTextResponse("everything")(scope, receive, send)

    assert request(Router([Everything()]), "GET", "/any/path").body == b"everything"


# --- the toolkit's application ---------------------------------------------------------------


def test_the_toolkit_app_registers_like_starlettes() -> None:
    async def echo(request: Any) -> Response:
        return PlainTextResponse(await request.body())

    app = Starlette(max_body_size=2)
    app.add_route("/r", tagged("r"))
    app.add_route("/echo", echo, methods=["POST"])
    app.add_websocket_route("/ws", hello)
    app.mount("/m", PlainTextResponse("m"), name="m")
    app.host("h.org", PlainTextResponse("h"))
    app.add_exception_handler(418, lambda request, exc: PlainTextResponse("teapot", 418))
    app.add_middleware(BaseHTTPMiddleware, dispatch=lambda request, call_next: call_next(request))
    assert [type(route).__name__ for route in app.routes] == [
        "Route", "Route", "WebSocketRoute", "Mount", "Host",
    ]  # fmt: skip
    assert app.url_path_for("m", path="/x") == "/m/x"
    assert request(app, "GET", "/r").body == b"r"
    assert request(app, "POST", "/echo", body=b"ab").body == b"ab"
    assert request(app, "POST", "/echo", body=b"abc").status == 413
    with pytest.raises(RuntimeError, match="after an application has started"):
        app.add_middleware(Tag, value="late")


def test_base_http_middleware_without_a_dispatch_says_so() -> None:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("not reached")  # pragma: no cover

    with pytest.raises(NotImplementedError, match="dispatch"):
        request(BaseHTTPMiddleware(inner), "GET", "/")


# --- the body limit alone --------------------------------------------------------------------


async def read_all(scope: Scope, receive: Receive, send: Send) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await PlainTextResponse(body)(scope, receive, send)


def test_the_body_limit_refuses_by_declared_length_and_while_reading() -> None:
    limited = RequestBodyLimitMiddleware(read_all, max_body_size=4)
    declared = request(limited, "POST", "/", body=b"12345", headers=[(b"content-length", b"5")])
    assert (declared.status, declared.body) == (413, b"Content Too Large")
    streamed = anyio.run(call_asgi, limited, http_scope("POST"), b"45", [b"123"])
    assert (streamed.status, streamed.body) == (413, b"Content Too Large")
    assert request(limited, "POST", "/", body=b"1234").body == b"1234"
    with pytest.raises(ValueError, match="negative"):
        RequestBodyLimitMiddleware(read_all, max_body_size=-1)


def test_the_body_limit_lets_other_scopes_pass() -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    anyio.run(RequestBodyLimitMiddleware(inner, 1), {"type": "lifespan"}, None, None)
    assert seen == ["lifespan"]
