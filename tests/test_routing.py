"""Routing: matching, 404/405/HEAD, slash redirects, mounts, routers and URLs, against FastAPI.

No `from __future__ import annotations` here: the endpoints are built inside functions for
either framework, and both read their annotations (`fw.Request`) at registration. mypy sees
neither the app (`Any`) nor `fw.Request`, hence the two error codes silenced for this file.
"""
# mypy: disable-error-code="untyped-decorator, name-defined"

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import anyio
import pytest

import minifast
from minifast.exceptions import FastAPIError
from minifast.responses import PlainTextResponse
from minifast.routing import APIRoute, APIRouter, BaseRoute, Mount, NoMatchFound, Route
from minifast.types import Receive, Scope, Send
from tests.support import compare, framework, http_scope, import_from, request

UUID = "01234567-89ab-cdef-0123-456789abcdef"
VERBS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]


def make_app(name: str, **options: Any) -> Any:
    """An app on `name`, without the docs routes (minifast does not serve them yet)."""
    return framework(name).FastAPI(openapi_url=None, docs_url=None, redoc_url=None, **options)


async def echo_scope(scope: Scope, receive: Receive, send: Send) -> None:
    """A bare ASGI app answering with the paths it was given: JSON, or a websocket close."""
    seen = {
        "root_path": scope["root_path"],
        "path": scope["path"],
        "path_params": scope.get("path_params", {}),
        "app_root_path": scope.get("app_root_path"),
    }
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1000, "reason": json.dumps(seen)})
        return
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(seen).encode()})


def websocket_messages(app: Any, path: str) -> list[dict[str, Any]]:
    """Open a websocket on `path` and collect what the app sends back."""
    scope = {**http_scope("GET", path), "type": "websocket", "scheme": "ws", "subprotocols": []}
    del scope["method"]
    incoming: list[dict[str, Any]] = [{"type": "websocket.connect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    anyio.run(app, scope, receive, send)
    return sent


def plain_text(name: str, text: str, is_async: bool = True) -> Callable[[Any], Any]:
    """A plain-route endpoint, `endpoint(request)`, answering `text` and the method."""
    response_class = import_from(name, "responses").PlainTextResponse

    async def endpoint(request: Any) -> Any:
        return response_class(f"{text} {request.method}")

    def sync_endpoint(request: Any) -> Any:
        return response_class(f"{text} {request.method} in a thread")

    return endpoint if is_async else sync_endpoint


# --- matching, 404, 405 and HEAD, compared with FastAPI ------------------------------------

CONVERTOR_TEMPLATES = [
    "/str/{value}",
    "/int/{value:int}",
    "/float/{value:float}",
    "/uuid/{value:uuid}",
    "/path/{value:path}",
    "/docs/{value:path}/meta",
    "/files/{value}.txt",
    "/v{value:int}/items",
]


def build_routes(name: str, **options: Any) -> Any:
    """One app with every kind of template, shadowed routes, HEAD routes and plain routes."""
    app = make_app(name, **options)
    add_template_routes(app)
    add_method_routes(app, name)
    return app


def echo_value(value: Any) -> dict[str, Any]:
    """Answer with the path parameter as the convertor made it (`Any`: no validation)."""
    return {"value": value}


def add_template_routes(app: Any) -> None:
    """Routes where a static path and a template overlap, and one route per convertor."""

    @app.get("/users/me")
    def read_me() -> dict[str, Any]:
        return {"route": "me"}

    @app.get("/users/{user_id}")
    def read_user(user_id: str) -> dict[str, Any]:
        return {"route": "user", "user_id": user_id}

    @app.get("/orders/{order_id}")
    def read_order(order_id: str) -> dict[str, Any]:
        return {"route": "order", "order_id": order_id}

    @app.get("/orders/latest")
    def read_latest_order() -> dict[str, Any]:  # shadowed: the template above came first
        return {"route": "latest"}

    for template in CONVERTOR_TEMPLATES:
        app.add_api_route(template, echo_value)

    @app.get("/items/")
    def read_items() -> list[str]:
        return ["a", "b"]


def add_method_routes(app: Any, name: str) -> None:
    """Two routes on one path, HEAD routes, and plain routes (async, sync, POST only)."""

    @app.get("/same")
    def same_get() -> dict[str, Any]:
        return {"method": "GET"}

    @app.post("/same")
    def same_post() -> dict[str, Any]:
        return {"method": "POST"}

    @app.head("/head-only")
    def head_only() -> None:
        return None

    @app.api_route("/get-and-head", methods=["GET", "HEAD"])
    def get_and_head() -> dict[str, Any]:
        return {"method": "GET or HEAD"}

    app.add_route("/plain", plain_text(name, "plain"))
    app.add_route("/plain-post", plain_text(name, "posted"), methods=["POST"])
    app.add_route("/plain-sync", plain_text(name, "sync", is_async=False))


ROUTE_CASES = [
    # convertors: what each passes to the endpoint, and what it refuses
    pytest.param("GET", "/str/a b", {}, id="str"),
    pytest.param("GET", "/str/", {}, id="str-empty-404"),
    pytest.param("GET", "/int/007", {}, id="int"),
    pytest.param("GET", "/int/x", {}, id="int-refused-404"),
    pytest.param("GET", "/int/-1", {}, id="int-negative-404"),
    pytest.param("GET", "/float/2.50", {}, id="float"),
    pytest.param("GET", "/float/3", {}, id="float-from-int"),
    pytest.param("GET", "/float/1.", {}, id="float-refused-404"),
    pytest.param("GET", f"/uuid/{UUID}", {}, id="uuid"),
    pytest.param("GET", "/uuid/0123456789ABCDEF0123456789abcdef", {}, id="uuid-no-dashes"),
    pytest.param("GET", "/uuid/0123", {}, id="uuid-refused-404"),
    pytest.param("GET", "/path/a/b/c.txt", {}, id="path"),
    pytest.param("GET", "/path/", {}, id="path-empty"),
    pytest.param("GET", "/path", {}, id="path-needs-slash-307"),
    pytest.param("GET", "/docs/a/b/meta", {}, id="path-in-the-middle"),
    pytest.param("GET", "/docs//meta", {}, id="path-in-the-middle-empty"),
    pytest.param("GET", "/files/notes.v2.txt", {}, id="partial-segment-suffix"),
    pytest.param("GET", "/files/notes.md", {}, id="partial-segment-refused-404"),
    pytest.param("GET", "/v2/items", {}, id="partial-segment-int"),
    pytest.param("GET", "/vx/items", {}, id="partial-segment-int-refused-404"),
    # first registered wins
    pytest.param("GET", "/users/me", {}, id="static-registered-first"),
    pytest.param("GET", "/users/42", {}, id="template-after-static"),
    pytest.param("GET", "/orders/latest", {}, id="template-registered-first"),
    # 404 and 405
    pytest.param("GET", "/nope", {}, id="404"),
    pytest.param("POST", "/nope/deeper", {}, id="404-post"),
    pytest.param("POST", "/users/me", {}, id="405-allow-get"),
    pytest.param("DELETE", "/users/42", {}, id="405-template"),
    pytest.param("POST", "/same", {}, id="second-route-same-path"),
    pytest.param("PUT", "/same", {}, id="405-allow-of-first-route-only"),
    pytest.param("GET", "/plain-post", {}, id="405-plain-route"),
    pytest.param("POST", "/plain-post", {}, id="plain-route-post"),
    # HEAD
    pytest.param("HEAD", "/users/me", {}, id="head-undeclared-405"),
    pytest.param("HEAD", "/head-only", {}, id="head-declared"),
    pytest.param("GET", "/head-only", {}, id="head-only-get-405"),
    pytest.param("HEAD", "/get-and-head", {}, id="head-with-get"),
    pytest.param("GET", "/plain", {}, id="plain-route-get"),
    pytest.param("HEAD", "/plain", {}, id="plain-route-head"),
    pytest.param("GET", "/plain-sync", {}, id="plain-route-sync"),
    # trailing-slash redirects
    pytest.param("GET", "/items", {}, id="redirect-add-slash"),
    pytest.param("GET", "/items", {"query": b"a=1&b=%20"}, id="redirect-keeps-query"),
    pytest.param("POST", "/items", {}, id="redirect-any-method"),
    pytest.param("GET", "/users/me/", {}, id="redirect-remove-slash"),
    pytest.param("GET", "/same/", {"query": b"x=1"}, id="redirect-remove-slash-query"),
    pytest.param("GET", "/items//", {}, id="slashes-stripped-no-match-404"),
    pytest.param("GET", "/", {}, id="root-never-redirects-404"),
    pytest.param("GET", "/api/users/me/", {"root_path": "/api"}, id="redirect-root-path"),
    pytest.param("GET", "/api/items", {"root_path": "/api"}, id="redirect-root-path-add"),
    pytest.param("GET", "/api/users/me", {"root_path": "/api"}, id="root-path-stripped"),
    pytest.param("GET", "/users/me", {"root_path": "/api"}, id="root-path-absent-from-path"),
    pytest.param("GET", "/apiusers/me", {"root_path": "/api"}, id="root-path-not-a-prefix"),
]


@pytest.mark.parametrize(("method", "path", "options"), ROUTE_CASES)
def test_routes_answer_as_fastapi(method: str, path: str, options: dict[str, Any]) -> None:
    compare(build_routes, method, path, **options)


@pytest.mark.parametrize(
    ("method", "path", "options", "status", "headers", "body"),
    [
        ("GET", "/int/007", {}, 200, {}, {"value": 7}),
        ("GET", "/uuid/0123456789ABCDEF0123456789abcdef", {}, 200, {}, {"value": UUID}),
        ("GET", "/docs//meta", {}, 200, {}, {"value": ""}),
        ("GET", "/files/notes.v2.txt", {}, 200, {}, {"value": "notes.v2"}),
        ("GET", "/orders/latest", {}, 200, {}, {"route": "order", "order_id": "latest"}),
        ("GET", "/nope", {}, 404, {}, {"detail": "Not Found"}),
        ("PUT", "/same", {}, 405, {"allow": "GET"}, {"detail": "Method Not Allowed"}),
        ("HEAD", "/users/me", {}, 405, {"allow": "GET"}, None),
        ("GET", "/plain-sync", {}, 200, {}, "sync GET in a thread"),
        ("GET", "/items", {}, 307, {"location": "http://testserver/items/"}, None),
        ("GET", "/same/", {"query": b"x=1"}, 307, {"location": "http://testserver/same?x=1"}, None),
        (
            "GET", "/api/items", {"root_path": "/api"},
            307, {"location": "http://testserver/api/items/"}, None,
        ),
    ],
    ids=[
        "int", "uuid-no-dashes", "path-empty", "partial-segment", "first-wins", "404", "405",
        "head-405", "sync-plain-route", "redirect", "redirect-query", "redirect-root-path",
    ],
)  # fmt: skip
def test_routes_answer(
    method: str,
    path: str,
    options: dict[str, Any],
    status: int,
    headers: dict[str, str],
    body: Any,
) -> None:
    """A few of the cases above spelled out, so that the expected answers are readable here."""
    answer = request(build_routes("minifast"), method, path, **options)
    assert answer.status == status
    assert {key: answer.header(key) for key in headers} == headers
    if isinstance(body, str):
        assert answer.body == body.encode()
    elif body is not None:
        assert json.loads(answer.body) == body
    else:
        assert answer.body == b""


def test_plain_route_allows_get_and_head() -> None:
    answer = request(build_routes("minifast"), "POST", "/plain")
    assert (answer.status, answer.header("allow")) == (405, "GET, HEAD")
    # FastAPI joins a set, so its order varies between runs: compare as sets.
    reference = request(build_routes("fastapi"), "POST", "/plain")
    assert set((reference.header("allow") or "").split(", ")) == {"GET", "HEAD"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/items"), ("GET", "/users/me/"), ("GET", "/users/me")],
    ids=["no-add-slash", "no-remove-slash", "exact-still-matches"],
)
def test_redirect_slashes_off(method: str, path: str) -> None:
    compare(partial(build_routes, redirect_slashes=False), method, path)


def test_first_registered_wins_static_after_template() -> None:
    app = minifast.FastAPI()

    @app.get("/things/{thing}")
    def by_template(thing: str) -> dict[str, Any]:
        return {"thing": thing}

    @app.get("/things/special")
    def special() -> dict[str, Any]:
        return {"special": True}

    answer = request(app, "GET", "/things/special")
    assert (answer.status, json.loads(answer.body)) == (200, {"thing": "special"})


def test_a_thousand_routes_resolve_the_last() -> None:
    def which(item_id: int, request: minifast.Request) -> dict[str, Any]:
        return {"route": request.scope["route"].name, "item_id": item_id}

    app = minifast.FastAPI(openapi_url=None)  # no built-in routes
    for number in range(1000):
        app.add_api_route(f"/r{number}/{{item_id:int}}", which, name=f"r{number}")
    assert len(app.routes) == 1000
    answer = request(app, "GET", "/r999/7")
    assert (answer.status, json.loads(answer.body)) == (200, {"route": "r999", "item_id": 7})
    assert request(app, "GET", "/r1000/7").status == 404


def test_scope_gets_route_endpoint_and_outermost_router() -> None:
    def build(name: str) -> Any:
        fw = framework(name)
        app, sub = make_app(name), make_app(name)

        @app.get("/here/{x}")
        def here(x: str, request: fw.Request) -> dict[str, Any]:
            scope = request.scope
            return {
                "route": scope["route"].path,
                "endpoint": scope["endpoint"] is here,
                "own_router": scope["router"] is request.app.router,
            }

        @sub.get("/there")
        def there(request: fw.Request) -> dict[str, Any]:
            return {"own_router": request.scope["router"] is request.app.router}

        app.mount("/sub", sub)
        return app

    here = compare(build, "GET", "/here/1")
    assert json.loads(here.body) == {"route": "/here/{x}", "endpoint": True, "own_router": True}
    there = compare(build, "GET", "/sub/there")
    assert json.loads(there.body) == {"own_router": False}


# --- websockets with no route --------------------------------------------------------------


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
@pytest.mark.parametrize("path", ["/nope", "/users/me"], ids=["no-route", "http-only-route"])
def test_websocket_without_route_is_closed(name: str, path: str) -> None:
    closed = {"type": "websocket.close", "code": 1000, "reason": ""}
    assert websocket_messages(build_routes(name), path) == [closed]
    assert websocket_messages(build_mounts(name), "/sub" + path) == [closed]


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
def test_websocket_reaches_a_mounted_app(name: str) -> None:
    (closed,) = websocket_messages(build_mounts(name), "/t/acme/socket")
    assert json.loads(closed["reason"]) == {
        "root_path": "/t/acme",
        "path": "/t/acme/socket",
        "path_params": {"tenant": "acme"},
        "app_root_path": "",
    }


# --- mounts --------------------------------------------------------------------------------


def build_mounts(name: str, root_mount: bool = False) -> Any:
    """An app with a mounted app, a mounted router, bare ASGI apps and, maybe, a root mount."""
    fw = framework(name)
    app, sub, outer = make_app(name), make_app(name), make_app(name)

    @sub.get("/items/{item_id}")
    def sub_item(item_id: str, request: fw.Request) -> dict[str, Any]:
        scope = request.scope
        return {
            "item_id": item_id,
            "root_path": scope["root_path"],
            "path": scope["path"],
            "path_params": request.path_params,
            "url": str(request.url),
        }

    router = fw.APIRouter()

    @router.get("/ping")
    def ping() -> dict[str, Any]:
        return {"ping": True}

    @app.get("/main")
    def main() -> dict[str, Any]:
        return {"main": True}

    outer.mount("/inner", echo_scope)
    app.mount("/sub", sub, name="sub")
    app.mount("/t/{tenant}", echo_scope, name="tenant")
    app.mount("/outer", outer)
    app.mount("/router", router)
    if root_mount:
        app.mount("", echo_scope, name="root")
    return app


MOUNT_CASES = [
    pytest.param("GET", "/sub/items/3", {}, id="sub-app"),
    pytest.param("GET", "/api/sub/items/3", {"root_path": "/api"}, id="sub-app-root-path"),
    pytest.param("GET", "/sub/items/3/", {}, id="sub-app-redirect"),
    pytest.param("GET", "/sub/", {}, id="sub-app-404"),
    pytest.param("POST", "/sub/items/3", {}, id="sub-app-405"),
    pytest.param("GET", "/sub", {"query": b"q=1"}, id="mount-prefix-redirect"),
    pytest.param("GET", "/api/sub", {"root_path": "/api"}, id="mount-prefix-redirect-root"),
    pytest.param("GET", "/t/acme/x/y", {}, id="asgi-app-with-prefix-params"),
    pytest.param("GET", "/t/acme/", {}, id="asgi-app-empty-rest"),
    pytest.param("GET", "/t/acme", {}, id="asgi-app-prefix-redirect"),
    pytest.param("GET", "/outer/inner/deep/er", {}, id="nested-mounts"),
    pytest.param("GET", "/api/outer/inner/x", {"root_path": "/api"}, id="nested-root-path"),
    pytest.param("GET", "/router/ping", {}, id="mounted-router"),
    pytest.param("GET", "/router/nope", {}, id="mounted-router-404-json"),
    pytest.param("POST", "/router/ping", {}, id="mounted-router-405-json"),
    pytest.param("GET", "/main", {}, id="route-beside-mounts"),
    pytest.param("GET", "/nope", {}, id="404-beside-mounts"),
]


@pytest.mark.parametrize(("method", "path", "options"), MOUNT_CASES)
def test_mounts_answer_as_fastapi(method: str, path: str, options: dict[str, Any]) -> None:
    compare(build_mounts, method, path, **options)


@pytest.mark.parametrize(
    "path", ["/anything/else", "/sub", "/", "/main"], ids=["any", "prefix-alone", "root", "route"]
)
def test_root_mount_answers_as_fastapi(path: str) -> None:
    compare(partial(build_mounts, root_mount=True), "GET", path)


def test_mounted_apps_see_the_prefix_in_root_path() -> None:
    app = build_mounts("minifast")
    answer = request(app, "GET", "/api/sub/items/3", root_path="/api")
    assert json.loads(answer.body) == {
        "item_id": "3",
        "root_path": "/api/sub",
        "path": "/api/sub/items/3",
        "path_params": {"item_id": "3"},
        "url": "http://testserver/api/sub/items/3",
    }
    answer = request(app, "GET", "/api/t/acme/x/y", root_path="/api")
    assert json.loads(answer.body) == {
        "root_path": "/api/t/acme",
        "path": "/api/t/acme/x/y",
        "path_params": {"tenant": "acme"},
        "app_root_path": "/api",
    }
    redirect = request(app, "GET", "/sub", query=b"q=1")
    assert (redirect.status, redirect.header("location")) == (307, "http://testserver/sub/?q=1")


def test_mount_path_must_start_with_slash() -> None:
    with pytest.raises(ValueError, match="a mount path must start with '/'"):
        Mount("sub", echo_scope)
    assert Mount("/sub/", echo_scope).path == "/sub"
    assert Mount("/sub", echo_scope).routes == []


# --- a router on its own -------------------------------------------------------------------


def build_router(name: str) -> Any:
    """An APIRouter used directly as the ASGI app: no `app` in the scope."""
    router = framework(name).APIRouter()

    @router.get("/items/{item_id}")
    def read_item(item_id: int) -> dict[str, Any]:
        return {"item_id": item_id}

    @router.post("/items/")
    def create_item() -> dict[str, Any]:
        return {"created": True}

    router.add_route("/plain", plain_text(name, "plain"))
    return router


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("DELETE", "/items/3"),
        ("GET", "/items"),
        ("GET", "/plain"),
        ("HEAD", "/plain"),
    ],
    ids=["404-plain-text", "405-plain-text", "redirect", "plain-route", "plain-route-head"],
)
def test_router_alone_answers_as_fastapi(method: str, path: str) -> None:
    compare(build_router, method, path)


def test_router_alone_serves_path_operations() -> None:
    """FastAPI's APIRouter alone cannot run path operations (it asserts); minifast's can."""
    answer = request(build_router("minifast"), "GET", "/items/3")
    assert (answer.status, json.loads(answer.body)) == (200, {"item_id": 3})
    refused = request(build_router("minifast"), "DELETE", "/items/3")
    assert (refused.status, refused.header("allow"), refused.body) == (
        405,
        "GET",
        b"Method Not Allowed",
    )


# --- verbs and registration ----------------------------------------------------------------


def build_verb(name: str, verb: str, target: str) -> Any:
    """One route registered with the `verb` decorator on the app, or on an included router."""
    app = make_app(name)
    router = framework(name).APIRouter(prefix="/r" if target == "router-prefix" else "")
    registrar = app if target == "app" else router

    @getattr(registrar, verb)("/thing")
    def thing() -> dict[str, Any]:
        return {"verb": verb}

    if target != "app":
        app.include_router(router)
    return app


@pytest.mark.parametrize("target", ["app", "router", "router-prefix"])
@pytest.mark.parametrize("verb", VERBS)
def test_verb_decorators(verb: str, target: str) -> None:
    path = "/r/thing" if target == "router-prefix" else "/thing"
    build = partial(build_verb, verb=verb, target=target)
    answer = compare(build, verb.upper(), path)
    assert answer.status == 200
    other = "PATCH" if verb == "get" else "GET"
    refused = compare(build, other, path)
    assert (refused.status, refused.header("allow")) == (405, verb.upper())
    (route,) = build("minifast").routes
    assert (type(route), route.path, route.methods) == (APIRoute, path, {verb.upper()})


@pytest.mark.parametrize("target", ["app", "router"])
def test_add_api_route_and_api_route_take_methods(target: str) -> None:
    def build(name: str) -> Any:
        app = make_app(name)
        registrar = app if target == "app" else framework(name).APIRouter()

        def created() -> dict[str, Any]:
            return {"created": True}

        registrar.add_api_route("/added", created, methods=["post", "Put"])

        @registrar.api_route("/decorated", methods=["DELETE", "PATCH"], status_code=202)
        def changed() -> dict[str, Any]:
            return {"changed": True}

        registrar.add_api_route("/default", created)
        if target == "router":
            app.include_router(registrar)
        return app

    for method, path in [("PUT", "/added"), ("PATCH", "/decorated"), ("GET", "/default")]:
        compare(build, method, path)
    assert compare(build, "POST", "/default").header("allow") == "GET"
    methods = [(route.path, route.methods) for route in build("minifast").routes]
    assert methods == [
        ("/added", {"POST", "PUT"}),
        ("/decorated", {"DELETE", "PATCH"}),
        ("/default", {"GET"}),
    ]
    answer = request(build("minifast"), "GET", "/added")
    assert (answer.status, answer.header("allow")) == (405, "POST, PUT")


def test_routes_given_to_the_constructor() -> None:
    def build(name: str) -> Any:
        routing = import_from(name, "routing")
        routes = [
            routing.APIRoute("/given", lambda: {"given": True}, methods=["POST"]),
            routing.Mount("/mounted", echo_scope),
        ]
        return make_app(name, routes=routes)

    assert json.loads(compare(build, "POST", "/given").body) == {"given": True}
    assert compare(build, "GET", "/given").header("allow") == "POST"
    assert compare(build, "GET", "/mounted/x").status == 200
    assert [route.path for route in APIRouter(routes=build("minifast").routes).routes] == [
        "/given",
        "/mounted",
    ]


def test_routes_keep_registration_order() -> None:
    app = minifast.FastAPI(openapi_url=None)  # no built-in routes
    router = APIRouter(prefix="/r")

    @app.get("/first")
    def first() -> None: ...

    @router.get("/second")
    def second() -> None: ...

    app.include_router(router)
    app.mount("/third", echo_scope, name="third")
    app.add_route("/fourth", plain_text("minifast", "fourth"), name="fourth")

    @router.get("/late")  # added after the include: FastAPI 0.163 would see it, minifast not
    def late() -> None: ...

    assert [(type(route), route.path, route.name) for route in app.routes] == [
        (APIRoute, "/first", "first"),
        (APIRoute, "/r/second", "second"),
        (Mount, "/third", "third"),
        (Route, "/fourth", "fourth"),
    ]
    assert repr(app.routes[1]) == "APIRoute(path='/r/second', name='second', methods=['GET'])"


def test_route_names_come_from_the_endpoint() -> None:
    class Endpoint:
        def __call__(self) -> dict[str, Any]:
            return {"called": True}

    app = minifast.FastAPI(openapi_url=None)  # no built-in routes
    app.add_api_route("/instance", Endpoint())
    app.add_api_route("/named", Endpoint(), name="chosen")
    app.add_route("/plain", plain_text("minifast", "plain"))
    assert [route.name for route in app.routes] == ["Endpoint", "chosen", "endpoint"]
    assert json.loads(request(app, "GET", "/instance").body) == {"called": True}


# --- routers: prefixes and what include_router merges --------------------------------------


@pytest.mark.parametrize(
    "prefix", ["items", "/items/", "/"], ids=["no-slash", "slash-end", "slash"]
)
def test_router_prefix_is_validated(prefix: str) -> None:
    message = "a prefix must start with '/' and not end with '/'"
    with pytest.raises(ValueError, match=message):
        APIRouter(prefix=prefix)
    with pytest.raises(ValueError, match=message):
        minifast.FastAPI().include_router(APIRouter(), prefix=prefix)


def test_include_router_refuses_what_fastapi_refuses() -> None:
    router = APIRouter()

    @router.get("")
    def nameless() -> dict[str, Any]:
        return {"empty": True}

    with pytest.raises(AssertionError, match="Cannot include the same APIRouter instance"):
        router.include_router(router)
    with pytest.raises(FastAPIError) as caught:
        minifast.FastAPI().include_router(router)
    assert str(caught.value) == "Prefix and path cannot be both empty (path operation: nameless)"
    app = minifast.FastAPI()
    app.include_router(router, prefix="/items")
    answer = request(app, "GET", "/items")
    assert (answer.status, json.loads(answer.body)) == (200, {"empty": True})


def test_include_router_refuses_unknown_route_kinds() -> None:
    class Custom(BaseRoute):
        path = "/custom"

    router = APIRouter()
    router.routes.append(Custom())
    with pytest.raises(TypeError, match="cannot include a route of type Custom"):
        minifast.FastAPI().include_router(router, prefix="/p")


def test_route_path_must_start_with_slash() -> None:
    with pytest.raises(ValueError, match="a route path must start with '/'"):
        minifast.FastAPI().add_route("plain", plain_text("minifast", "plain"))


def test_path_operation_without_leading_slash_never_matches() -> None:
    """COMPAT: FastAPI accepts @app.get("items"); no request path can reach it."""

    def build(name: str) -> Any:
        app = make_app(name)
        app.get("items")(lambda: {"hit": True})
        return app

    for path in ("/items", "/tems"):
        assert compare(build, "GET", path).status == 404


def build_nested(name: str) -> Any:
    """Routers three deep, each level adding prefix, tags, dependencies and responses."""
    fw = framework(name)
    calls: list[str] = []

    def depends_on(label: str) -> Any:
        def dependency() -> None:
            calls.append(label)

        dependency.__name__ = label
        return fw.Depends(dependency)

    def described(label: str, *codes: int) -> dict[int | str, dict[str, Any]]:
        return {code: {"description": label} for code in codes}

    app = make_app(name, dependencies=[depends_on("app")], responses=described("app", 500))
    outer = fw.APIRouter(
        prefix="/outer", tags=["outer"], dependencies=[depends_on("outer")],
        responses=described("outer", 404, 418),
    )  # fmt: skip
    inner = fw.APIRouter(
        prefix="/inner", tags=["inner"], dependencies=[depends_on("inner")],
        responses=described("inner", 404), deprecated=True,
    )  # fmt: skip

    @inner.get(
        "/items/{item_id:int}", tags=["route"], dependencies=[depends_on("route")],
        responses=described("route", 200),
    )  # fmt: skip
    def read_item(item_id: int) -> dict[str, Any]:
        return {"item_id": item_id, "calls": calls}

    @inner.post("/items", status_code=201, include_in_schema=False, operation_id="create_item")
    def create_item() -> dict[str, Any]:
        return {"calls": calls}

    @inner.api_route("/multi", methods=["PUT"], name="multi_route", deprecated=False)
    def multi() -> dict[str, Any]:
        return {"calls": calls}

    inner.add_route("/plain", plain_text(name, "plain"), name="plain")
    inner.mount("/static", echo_scope, name="static")
    outer.include_router(
        inner, prefix="/mid", tags=["mid"], dependencies=[depends_on("mid")],
        responses=described("mid", 418),
    )  # fmt: skip

    @outer.get("/own")
    def own() -> dict[str, Any]:
        return {"calls": calls}

    app.include_router(
        outer, prefix="/v1", tags=["v1"], dependencies=[depends_on("v1")],
        responses=described("v1", 404, 409), include_in_schema=True,
    )  # fmt: skip

    @app.get("/health", tags=["health"])
    def health() -> dict[str, Any]:
        return {"calls": calls}

    return app


def route_table(name: str, app: Any) -> list[dict[str, Any]]:
    """What each route of `app` became; FastAPI 0.163 keeps included routers as one entry."""
    routes: Any = app.routes
    if name == "fastapi":
        from fastapi.routing import iter_route_contexts

        routes = iter_route_contexts(app.routes)
    return [describe(route) for route in routes]


def describe(route: Any) -> dict[str, Any]:
    if getattr(route, "unique_id", None) is None:  # a plain route or a mount
        return {"path": route.path, "name": route.name}
    return {
        "path": route.path,
        "name": route.name,
        "methods": sorted(route.methods),
        "tags": list(route.tags),
        "dependencies": [depends.dependency.__name__ for depends in route.dependencies],
        "responses": list(route.responses.items()),
        "deprecated": route.deprecated,
        "include_in_schema": route.include_in_schema,
        "status_code": route.status_code,
        "unique_id": route.unique_id,
    }


NESTED_PREFIX = "/v1/outer/mid"
NESTED_TAGS = ["v1", "outer", "mid", "inner"]
NESTED_DEPENDENCIES = ["app", "v1", "outer", "mid", "inner"]
NESTED_RESPONSES = [
    (500, {"description": "app"}),
    (404, {"description": "inner"}),
    (409, {"description": "v1"}),
    (418, {"description": "mid"}),
]
NESTED_ROUTES = [
    {
        "path": NESTED_PREFIX + "/inner/items/{item_id:int}",
        "name": "read_item",
        "methods": ["GET"],
        "tags": [*NESTED_TAGS, "route"],
        "dependencies": [*NESTED_DEPENDENCIES, "route"],
        "responses": [*NESTED_RESPONSES, (200, {"description": "route"})],
        "deprecated": True,
        "include_in_schema": True,
        "status_code": None,
        "unique_id": "read_item_v1_outer_mid_inner_items__item_id__get",
    },
    {
        "path": NESTED_PREFIX + "/inner/items",
        "name": "create_item",
        "methods": ["POST"],
        "tags": NESTED_TAGS,
        "dependencies": NESTED_DEPENDENCIES,
        "responses": NESTED_RESPONSES,
        "deprecated": True,
        "include_in_schema": False,
        "status_code": 201,
        "unique_id": "create_item",
    },
    {
        "path": NESTED_PREFIX + "/inner/multi",
        "name": "multi_route",
        "methods": ["PUT"],
        "tags": NESTED_TAGS,
        "dependencies": NESTED_DEPENDENCIES,
        "responses": NESTED_RESPONSES,
        "deprecated": True,  # COMPAT: a deprecated router beats the route's deprecated=False
        "include_in_schema": True,
        "status_code": None,
        "unique_id": "multi_route_v1_outer_mid_inner_multi_put",
    },
    {"path": NESTED_PREFIX + "/plain", "name": "plain"},  # COMPAT: no "/inner": add_route
    {"path": NESTED_PREFIX + "/static", "name": "static"},  # and mount skip the prefix
    {
        "path": "/v1/outer/own",
        "name": "own",
        "methods": ["GET"],
        "tags": ["v1", "outer"],
        "dependencies": ["app", "v1", "outer"],
        "responses": [
            (500, {"description": "app"}),
            (404, {"description": "outer"}),
            (409, {"description": "v1"}),
            (418, {"description": "outer"}),
        ],
        "deprecated": None,
        "include_in_schema": True,
        "status_code": None,
        "unique_id": "own_v1_outer_own_get",
    },
    {
        "path": "/health",
        "name": "health",
        "methods": ["GET"],
        "tags": ["health"],
        "dependencies": ["app"],
        "responses": [(500, {"description": "app"})],
        "deprecated": None,
        "include_in_schema": True,
        "status_code": None,
        "unique_id": "health_health_get",
    },
]  # fmt: skip


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
def test_include_router_merges_like_fastapi(name: str) -> None:
    assert route_table(name, build_nested(name)) == NESTED_ROUTES


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", NESTED_PREFIX + "/inner/items/5"),
        ("POST", NESTED_PREFIX + "/inner/items"),
        ("PUT", NESTED_PREFIX + "/inner/multi"),
        ("GET", NESTED_PREFIX + "/plain"),
        ("GET", NESTED_PREFIX + "/static/x"),
        ("GET", "/v1/outer/own"),
        ("GET", "/health"),
        ("GET", NESTED_PREFIX + "/inner/plain"),
    ],
    ids=["get", "post-201", "put", "plain-route", "mount", "outer-own", "app-own", "no-prefix"],
)
def test_included_routes_answer_as_fastapi(method: str, path: str) -> None:
    compare(build_nested, method, path)


def test_included_dependencies_run_outermost_first() -> None:
    answer = request(build_nested("minifast"), "GET", NESTED_PREFIX + "/inner/items/5")
    assert json.loads(answer.body) == {"item_id": 5, "calls": [*NESTED_DEPENDENCIES, "route"]}


def custom_id(route: Any) -> str:
    return f"app-{route.name}"


def router_id(route: Any) -> str:
    return f"router-{route.name}"


def build_unique_ids(name: str) -> Any:
    """Who names the operation: the route, its router, or the app that includes it."""
    app = make_app(name, generate_unique_id_function=custom_id)
    plain, chosen = (
        framework(name).APIRouter(),
        framework(name).APIRouter(generate_unique_id_function=router_id),
    )
    for router, label in ((plain, "plain"), (chosen, "chosen")):
        router.add_api_route(f"/{label}/default", lambda: None, name=f"{label}_default")
        router.add_api_route(
            f"/{label}/own", lambda: None, name=f"{label}_own",
            generate_unique_id_function=lambda route: f"own-{route.name}",
        )  # fmt: skip
        router.add_api_route(f"/{label}/op", lambda: None, operation_id=f"{label}-op")
        app.include_router(router, prefix="/p")
    app.add_api_route("/direct", lambda: None, name="direct")
    return app


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
def test_unique_id_function_precedence(name: str) -> None:
    ids = [
        (route["path"], route["unique_id"]) for route in route_table(name, build_unique_ids(name))
    ]
    assert ids == [
        ("/p/plain/default", "app-plain_default"),
        ("/p/plain/own", "own-plain_own"),
        ("/p/plain/op", "plain-op"),
        ("/p/chosen/default", "router-chosen_default"),
        ("/p/chosen/own", "own-chosen_own"),
        ("/p/chosen/op", "chosen-op"),
        ("/direct", "app-direct"),
    ]


def build_response_classes(name: str) -> Any:
    """Who picks the response class: the route, its router, the include, or the app."""
    responses = import_from(name, "responses")
    fw = framework(name)
    app = make_app(name, default_response_class=responses.HTMLResponse)
    text_router = fw.APIRouter(default_response_class=responses.PlainTextResponse)
    bare_router = fw.APIRouter()
    for router, label in ((text_router, "router"), (bare_router, "bare")):
        router.add_api_route(f"/{label}", lambda: "<b>hi</b>")
        router.add_api_route(
            f"/{label}/json", lambda: "<b>hi</b>", response_class=responses.JSONResponse
        )
    app.include_router(text_router, default_response_class=responses.HTMLResponse)
    app.include_router(bare_router, prefix="/include", default_response_class=responses.Response)
    app.include_router(bare_router, prefix="/app")
    app.add_api_route("/direct", lambda: "<b>hi</b>")
    return app


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/router", "text/plain; charset=utf-8"),
        ("/router/json", "application/json"),
        ("/include/bare", None),
        ("/include/bare/json", "application/json"),
        ("/app/bare", "text/html; charset=utf-8"),
        ("/direct", "text/html; charset=utf-8"),
    ],
    ids=[
        "router-beats-include", "route-beats-router", "include-beats-app",
        "route-beats-include", "app-default", "app-route",
    ],
)  # fmt: skip
def test_response_class_precedence(path: str, content_type: str | None) -> None:
    answer = compare(build_response_classes, "GET", path)
    assert answer.header("content-type") == content_type


# --- URLs ----------------------------------------------------------------------------------


def build_urls(name: str) -> Any:
    """An app whose endpoint answers with request.url_for for routes, mounts and children."""
    fw = framework(name)
    app, sub, outer = make_app(name), make_app(name), make_app(name)

    @sub.get("/items/{item_id:int}")
    def sub_item(item_id: int) -> dict[str, Any]:
        return {"item_id": item_id}

    @sub.get("/back")
    def back(request: fw.Request) -> dict[str, Any]:
        # From inside the mount, names are still looked up from the outermost router.
        return {
            "sibling": str(request.url_for("sub:sub_item", item_id=9)),
            "parent": str(request.url_for("links", x="up")),
        }

    @outer.get("/deep/{name}.txt")
    def deep(name: str) -> dict[str, Any]:
        return {"name": name}

    @app.get("/links/{x}")
    def links(x: str, request: fw.Request) -> dict[str, Any]:
        return {
            "self": str(request.url_for("links", x="other")),
            "child": str(request.url_for("sub:sub_item", item_id=3)),
            "child-from-str": str(request.url_for("sub:sub_item", item_id="4")),
            "mount": str(request.url_for("sub", path="/a/b")),
            "mount-params": str(request.url_for("tenant", tenant="acme", path="x/y")),
            "unnamed-mount-child": str(request.url_for("deep", name="notes")),
            "float": str(request.url_for("price", value=2.5)),
            "plain": str(request.url_for("plain")),
        }

    app.mount("/t/{tenant}", echo_scope, name="tenant")
    app.mount("/sub", sub, name="sub")
    app.mount("/outer", outer)

    @app.get("/price/{value:float}")
    def price(value: float) -> dict[str, Any]:
        return {"value": value}

    app.add_route("/plain", plain_text(name, "plain"), name="plain")
    return app


@pytest.mark.parametrize("root_path", ["", "/api"], ids=["plain", "root-path"])
def test_url_for_inside_a_mounted_app_as_fastapi(root_path: str) -> None:
    answer = compare(build_urls, "GET", root_path + "/sub/back", root_path=root_path)
    base = "http://testserver" + root_path
    assert json.loads(answer.body) == {
        "sibling": base + "/sub/items/9",
        "parent": base + "/links/up",
    }


@pytest.mark.parametrize(
    ("path", "root_path"),
    [("/links/1", ""), ("/api/links/1", "/api")],
    ids=["plain", "root-path"],
)
def test_url_for_as_fastapi(path: str, root_path: str) -> None:
    answer = compare(build_urls, "GET", path, root_path=root_path)
    base = "http://testserver" + root_path
    assert json.loads(answer.body) == {
        "self": base + "/links/other",
        "child": base + "/sub/items/3",
        "child-from-str": base + "/sub/items/4",
        "mount": base + "/sub/a/b",
        "mount-params": base + "/t/acme/x/y",
        "unnamed-mount-child": base + "/outer/deep/notes.txt",
        "float": base + "/price/2.5",
        "plain": base + "/plain",
    }


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        ("links", {"x": "a"}, "/links/a"),
        ("sub:sub_item", {"item_id": 7}, "/sub/items/7"),
        ("sub", {"path": "rest"}, "/sub/rest"),
        ("tenant", {"tenant": "t1", "path": "/x"}, "/t/t1/x"),
        ("deep", {"name": "n"}, "/outer/deep/n.txt"),
        ("plain", {}, "/plain"),
    ],
    ids=["route", "mount-child", "mount", "mount-params", "unnamed-mount", "plain-route"],
)
def test_url_path_for(name: str, params: dict[str, Any], expected: str) -> None:
    assert build_urls("minifast").url_path_for(name, **params) == expected


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("nope", {}),
        ("links", {}),
        ("links", {"x": "a", "y": "b"}),
        ("sub", {}),
        ("sub", {"path": "x", "extra": 1}),
        ("sub:nope", {}),
        ("tenant:anything", {"tenant": "t1"}),
        ("tenant", {"path": "x"}),
    ],
    ids=[
        "unknown", "missing-param", "extra-param", "mount-without-path", "mount-extra-param",
        "unknown-child", "child-of-bare-app", "mount-param-missing",
    ],
)  # fmt: skip
def test_url_path_for_no_match(name: str, params: dict[str, Any]) -> None:
    with pytest.raises(NoMatchFound) as caught:
        build_urls("minifast").url_path_for(name, **params)
    names = ", ".join(params)
    assert str(caught.value) == f'No route exists for name "{name}" and params "{names}".'


def test_url_path_for_refuses_values_the_route_cannot_match() -> None:
    with pytest.raises(ValueError, match="-1 cannot be a float path parameter"):
        build_urls("minifast").url_path_for("price", value=-1)


def test_route_objects_build_urls() -> None:
    async def endpoint(request: Any) -> PlainTextResponse:
        return PlainTextResponse("x")

    route = Route("/users/{user_id:int}", endpoint, name="user")
    url = route.url_path_for("user", user_id=3)
    assert (url, url.protocol) == ("/users/3", "http")
    assert route.path_format == "/users/{user_id}"
    assert route.methods == {"GET", "HEAD"}
    with pytest.raises(NoMatchFound):
        route.url_path_for("other", user_id=3)


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
def test_a_router_default_answers_what_no_route_takes(name: str) -> None:
    fw = framework(name)
    router = fw.APIRouter(default=fw.responses.PlainTextResponse("fallback", status_code=418))

    @router.get("/known/")
    def known() -> str:
        return "known"

    assert (request(router, "GET", "/other").status, request(router, "GET", "/other").body) == (
        418, b"fallback",
    )  # fmt: skip
    assert request(router, "GET", "/known").status == 307  # the slash redirect comes first
    assert request(fw.APIRouter(), "GET", "/other").status == 404


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
def test_router_options_given_as_fastapi_defaults_count_as_unset(name: str) -> None:
    fw = framework(name)
    datastructures = import_from(name, "datastructures")
    routing = import_from(name, "routing")
    Default = datastructures.Default
    provider = fw.FastAPI()
    router = fw.APIRouter(
        default_response_class=Default(fw.responses.JSONResponse),
        generate_unique_id_function=Default(routing.generate_unique_id),
        dependency_overrides_provider=provider,
    )

    @router.get("/items")
    def items() -> str:
        return "plain"

    app = make_app(name)
    app.include_router(router, prefix="/api", default_response_class=fw.responses.PlainTextResponse)
    assert router.dependency_overrides_provider is provider
    answer = request(app, "GET", "/api/items")
    assert (answer.status, answer.body) == (200, b"plain")  # the include's class wins


def test_add_api_route_takes_a_route_class_override() -> None:
    class Marked(APIRoute):
        pass

    router = APIRouter()
    router.add_api_route("/a", lambda: 1, route_class_override=Marked)
    router.add_api_route("/b", lambda: 2)
    assert [type(route) for route in router.routes] == [Marked, APIRoute]
