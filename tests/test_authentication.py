"""Authentication: users, `requires` and AuthenticationMiddleware, vs Starlette under FastAPI."""

# No `from __future__ import annotations`: apps are built inside functions for two frameworks.

import functools
import importlib
from typing import Any

import anyio
import pytest

from tests.support import FRAMEWORKS, compare, connection_messages, framework, import_from


def toolkit(name: str, module: str) -> Any:
    """`minifast.<module>`, or Starlette's for the "fastapi" side (FastAPI reuses them)."""
    framework(name)
    return importlib.import_module(f"{'starlette' if name == 'fastapi' else 'minifast'}.{module}")


def build(name: str, toolkit_app: bool = False, **middleware_options: Any) -> Any:
    """An app whose backend reads a token header: "admin" has scopes read and write, "reader"
    only read, "bad" is refused, none is anonymous."""
    auth = toolkit(name, "authentication")
    responses = import_from(name, "responses")
    grants = {"admin": ["read", "write"], "reader": ["read"]}

    class TokenBackend(auth.AuthenticationBackend):
        async def authenticate(self, conn: Any) -> Any:
            token = conn.headers.get("token")
            if token == "bad":
                raise auth.AuthenticationError("invalid token")
            if token is None:
                return None
            return auth.AuthCredentials(grants[token]), auth.SimpleUser(token)

    def who(request: Any) -> Any:
        user, credentials = request.scope["user"], request.scope["auth"]
        return responses.JSONResponse(
            {
                "user": user.display_name,
                "identity": user.identity,
                "authenticated": user.is_authenticated,
                "scopes": credentials.scopes,
            }
        )

    @auth.requires("read")
    async def read(request: Any) -> Any:
        return who(request)

    @auth.requires(["read", "write"], status_code=404)
    def write(request: Any) -> Any:
        return who(request)

    @auth.requires("write", redirect="login")
    def admin(request: Any) -> Any:
        return who(request)

    @auth.requires("read")
    async def feed(websocket: Any) -> None:
        await websocket.accept()
        await websocket.send_text(websocket.scope["user"].display_name)
        await websocket.close()

    routing = toolkit(name, "routing")
    routes = [
        routing.Route("/", who),
        routing.Route("/read", read),
        routing.Route("/write", write, methods=["POST"]),
        routing.Route("/admin", admin),
        routing.Route("/login", who, name="login"),
        routing.WebSocketRoute("/feed", feed),
    ]
    authentication = toolkit(name, "middleware.authentication").AuthenticationMiddleware
    if toolkit_app:  # Starlette's role: its HTTPException answers are plain text
        middleware = toolkit(name, "middleware").Middleware
        stack = [middleware(authentication, backend=TokenBackend(), **middleware_options)]
        return toolkit(name, "applications").Starlette(routes=routes, middleware=stack)
    app = framework(name).FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(authentication, backend=TokenBackend(), **middleware_options)
    app.router.routes.extend(routes)
    return app


@pytest.mark.parametrize("toolkit_app", [False, True], ids=["fastapi", "starlette"])
@pytest.mark.parametrize(
    ("method", "path", "token"),
    [
        ("GET", "/", None),
        ("GET", "/", "reader"),
        ("GET", "/", "bad"),
        ("GET", "/read", "reader"),
        ("GET", "/read", None),
        ("POST", "/write", "admin"),
        ("POST", "/write", "reader"),
        ("GET", "/admin", "reader"),
        ("GET", "/admin", "admin"),
    ],
    ids=[
        "anonymous",
        "authenticated",
        "bad-credentials-400",
        "async-granted",
        "async-refused-403",
        "sync-granted",
        "custom-status-404",
        "redirect-to-login",
        "redirect-not-needed",
    ],
)
def test_requests_are_authenticated_as_on_fastapi(
    method: str, path: str, token: str | None, toolkit_app: bool
) -> None:
    headers = [] if token is None else [(b"token", token.encode())]
    app = functools.partial(build, toolkit_app=toolkit_app)
    compare(app, method, path, headers=headers, query=b"x=1")


def test_on_the_toolkit_app_a_refusal_is_plain_text() -> None:
    app = functools.partial(build, toolkit_app=True)
    ours = compare(app, "GET", "/read")
    assert (ours.status, ours.body) == (403, b"Forbidden")


def test_the_redirect_carries_the_refused_url_as_next() -> None:
    ours = compare(build, "GET", "/admin", headers=[(b"token", b"reader")], query=b"x=1")
    assert ours.status == 303
    expected = "http://testserver/login?next=http%3A%2F%2Ftestserver%2Fadmin%3Fx%3D1"
    assert ours.header("location") == expected


def test_an_authentication_error_answers_400_with_its_message() -> None:
    ours = compare(build, "GET", "/", headers=[(b"token", b"bad")])
    assert (ours.status, ours.body) == (400, b"invalid token")


def test_on_error_builds_the_refusal() -> None:
    def on_error(name: str) -> Any:
        responses = import_from(name, "responses")
        return lambda conn, exc: responses.JSONResponse({"error": str(exc)}, status_code=401)

    ours = compare(
        lambda name: build(name, on_error=on_error(name)), "GET", "/", headers=[(b"token", b"bad")]
    )
    assert (ours.status, ours.body) == (401, b'{"error":"invalid token"}')


def websocket_scope(token: str | None) -> dict[str, Any]:
    headers = [(b"host", b"testserver")] + ([] if token is None else [(b"token", token.encode())])
    return {
        "type": "websocket",
        "path": "/feed",
        "raw_path": b"/feed",
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "subprotocols": [],
    }


ACCEPTED = [{"type": "websocket.accept"}, {"type": "websocket.send", "text": "reader"}]
# COMPAT: a refused websocket is closed with a normal closure (1000), as Starlette does.
CLOSED = [{"type": "websocket.close", "code": 1000}]


@pytest.mark.parametrize(
    ("token", "expected"),
    [("reader", ACCEPTED + CLOSED), (None, CLOSED), ("bad", CLOSED)],
    ids=["granted", "refused", "bad-credentials"],
)
def test_websockets_are_authenticated_as_on_fastapi(token: str | None, expected: Any) -> None:
    framework("fastapi")
    theirs, ours = (
        without_empty_reasons(connection_messages(build(name), websocket_scope(token)))
        for name in ("fastapi", "minifast")
    )
    assert ours == theirs == expected


def without_empty_reasons(messages: list[Any]) -> list[Any]:
    """ASGI: an absent key and an empty one (reason "", no headers) mean the same."""
    return [{k: v for k, v in m.items() if v not in ("", [])} for m in messages]


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_lifespan_passes_through_untouched(name: str) -> None:
    middleware = toolkit(name, "middleware.authentication").AuthenticationMiddleware
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(dict(scope))

    backend = toolkit(name, "authentication").AuthenticationBackend()
    anyio.run(middleware(app, backend), {"type": "lifespan"}, None, None)
    assert seen == [{"type": "lifespan"}]


def starlette_and_minifast(module: str) -> list[Any]:
    framework("fastapi")
    return [toolkit("fastapi", module), toolkit("minifast", module)]


def test_users_and_credentials_answer_as_on_starlette() -> None:
    def describe(auth: Any) -> Any:
        users = [auth.SimpleUser("ann"), auth.UnauthenticatedUser()]
        return (
            [(u.is_authenticated, u.display_name, u.identity) for u in users],
            auth.AuthCredentials().scopes,
            auth.AuthCredentials(("a", "b")).scopes,
            users[0].username,
        )

    theirs, ours = (describe(module) for module in starlette_and_minifast("authentication"))
    assert ours == theirs == ([(True, "ann", "ann"), (False, "", "")], [], ["a", "b"], "ann")


@pytest.mark.parametrize("attribute", ["is_authenticated", "display_name", "identity"])
def test_a_base_user_leaves_its_properties_to_subclasses(attribute: str) -> None:
    auth = toolkit("minifast", "authentication")
    with pytest.raises(NotImplementedError):
        getattr(auth.BaseUser(), attribute)


def test_a_backend_must_implement_authenticate() -> None:
    auth = toolkit("minifast", "authentication")
    requests = toolkit("minifast", "requests")
    with pytest.raises(NotImplementedError):
        anyio.run(auth.AuthenticationBackend().authenticate, requests.HTTPConnection({}))


def test_scopes_without_the_middleware_fail_as_on_starlette() -> None:
    messages = []
    for auth, requests in zip(
        starlette_and_minifast("authentication"), starlette_and_minifast("requests"), strict=True
    ):
        connection = requests.HTTPConnection({"type": "http", "headers": []})
        with pytest.raises(AssertionError) as raised:
            auth.has_required_scope(connection, ["read"])
        messages.append(str(raised.value))
    assert messages[1] == messages[0]
    assert messages[1] == "AuthenticationMiddleware must be installed to access request.auth"


@pytest.mark.parametrize(
    ("granted", "required", "expected"),
    [(["a", "b"], ["a", "b"], True), (["a"], ["a", "b"], False), ([], [], True)],
    ids=["all", "one-missing", "nothing-required"],
)
def test_has_required_scope(granted: list[str], required: list[str], expected: bool) -> None:
    auth = toolkit("minifast", "authentication")
    requests = toolkit("minifast", "requests")
    connection = requests.HTTPConnection({"type": "http", "auth": auth.AuthCredentials(granted)})
    assert auth.has_required_scope(connection, required) is expected


def test_requires_needs_a_request_or_websocket_parameter() -> None:
    def endpoint(req: Any) -> None:
        """Its parameter is not named request."""

    messages = []
    for auth in starlette_and_minifast("authentication"):
        with pytest.raises(Exception) as raised:  # Starlette raises a bare Exception
            auth.requires("read")(endpoint)
        messages.append(str(raised.value))
    assert messages[1] == messages[0]
    assert messages[1].startswith('No "request" or "websocket" argument on function "<function')


def test_requires_keeps_the_function_name_and_finds_the_request_by_keyword() -> None:
    auth = toolkit("minifast", "authentication")
    requests = toolkit("minifast", "requests")
    exceptions = toolkit("minifast", "exceptions")

    @auth.requires("read", status_code=401)
    def profile(user_id: int, request: Any) -> int:
        """Its request comes second."""
        return user_id

    assert (profile.__name__, profile.__doc__) == ("profile", "Its request comes second.")
    scope = {"type": "http", "auth": auth.AuthCredentials(["read"])}
    assert profile(7, request=requests.Request(scope)) == 7
    assert profile(8, requests.Request(scope)) == 8
    with pytest.raises(exceptions.HTTPException) as raised:
        profile(9, request=requests.Request({**scope, "auth": auth.AuthCredentials()}))
    assert (raised.value.status_code, raised.value.detail) == (401, "Unauthorized")


def test_requires_works_on_endpoint_methods() -> None:
    auth = toolkit("minifast", "authentication")
    endpoints = toolkit("minifast", "endpoints")
    responses = toolkit("minifast", "responses")

    class Secret(endpoints.HTTPEndpoint):
        @auth.requires("read")
        async def get(self, request: Any) -> Any:
            return responses.PlainTextResponse("secret")

    app = framework("minifast").FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(auth_middleware(), backend=GrantAll())
    app.mount("/secret", Secret)
    client = import_from("minifast", "testclient").TestClient(app)
    assert client.get("/secret/").text == "secret"


def auth_middleware() -> Any:
    return toolkit("minifast", "middleware.authentication").AuthenticationMiddleware


class GrantAll(toolkit("minifast", "authentication").AuthenticationBackend):
    async def authenticate(self, conn: Any) -> Any:
        auth = toolkit("minifast", "authentication")
        return auth.AuthCredentials(["read"]), auth.SimpleUser("root")
