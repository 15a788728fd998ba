"""SchemaGenerator: endpoints found and documents built as Starlette's generator does."""

# No `from __future__ import annotations`: endpoints are built inside functions for two frameworks.

import importlib
import sys
from typing import Any

import pytest

from minifast import schemas
from tests.support import framework, import_from, request

yaml = pytest.importorskip("yaml")

BASE = {"openapi": "3.0.0", "info": {"title": "Example", "version": "1.0"}}


def toolkit(name: str, module: str) -> Any:
    """`minifast.<module>`, or Starlette's for the "fastapi" side (FastAPI reuses them)."""
    framework(name)
    return importlib.import_module(f"{'starlette' if name == 'fastapi' else 'minifast'}.{module}")


class OpaqueApp:
    """A mounted ASGI app with no routes to document."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the schema never calls the mounted app")  # pragma: no cover


class FakeHost:
    """A host route as the generator reads one: a domain and routes, no path prefix."""

    def __init__(self, host: str, routes: list[Any]) -> None:
        self.host = host
        self.routes = routes


class FakeRoute:
    """Any object with a route's attributes, as another framework might define one."""

    def __init__(self, path: str, endpoint: Any, methods: set[str] | None) -> None:
        self.path = path
        self.endpoint = endpoint
        self.methods = methods
        self.include_in_schema = True


def users(request: Any) -> Any:
    """List users.
    ---
    responses:
      200:
        description: A list of users.
    """


def create_user(request: Any) -> Any:
    """
    responses:
      201:
        description: A user was created.
    """


def user(request: Any) -> Any:
    """---
    parameters:
      - name: id
        in: path
    """


def undocumented(request: Any) -> Any:
    """Just prose, no YAML mapping."""


def no_docstring(request: Any) -> Any:
    pass


def hidden(request: Any) -> Any:
    """---
    description: never listed
    """


async def chat(websocket: Any) -> None:
    """---
    description: websockets are not in the schema
    """


def organisation_endpoint(name: str) -> Any:
    class Organisation(toolkit(name, "endpoints").HTTPEndpoint):
        def get(self, request: Any) -> Any:
            """---
            description: An organisation.
            """

        def head(self, request: Any) -> Any:
            """---
            description: HEAD is never documented.
            """

        def delete(self, request: Any) -> Any:
            """---
            description: Delete an organisation.
            """

        def post(self, request: Any) -> Any:
            """Not documented."""

    return Organisation


def routes(name: str) -> list[Any]:
    """The same route tree on either framework."""
    routing = toolkit(name, "routing")
    api = [
        routing.Route("/users", users, methods=["GET"]),
        routing.Route("/users", create_user, methods=["POST"]),
        routing.Route("/users/{id:int}", user, methods=["GET", "PUT"]),
        routing.Route("/plain", undocumented),
        routing.Route("/bare", no_docstring),
        routing.Route("/hidden", hidden, include_in_schema=False),
        routing.WebSocketRoute("/chat", chat),
    ]
    return [
        routing.Mount("/v{version:int}", routes=api),
        routing.Route("/orgs/{slug}", organisation_endpoint(name)),
        routing.Host("api.example.com", app=routing.Router([routing.Route("/", users)])),
        routing.Mount("/static", app=OpaqueApp()),
    ]


def endpoint_names(name: str) -> list[tuple[str, str, str]]:
    generator = toolkit(name, "schemas").SchemaGenerator(BASE)
    found = generator.get_endpoints(routes(name))
    return [(e.path, e.http_method, e.func.__name__) for e in found]


def test_endpoints_are_found_as_by_starlette() -> None:
    framework("fastapi")
    ours = endpoint_names("minifast")
    # Starlette lists a function route's methods in set order; minifast in a fixed one.
    assert sorted(ours) == sorted(endpoint_names("fastapi"))
    assert ours == [
        ("/v{version}/users", "get", "users"),
        ("/v{version}/users", "post", "create_user"),
        ("/v{version}/users/{id}", "get", "user"),
        ("/v{version}/users/{id}", "put", "user"),
        ("/v{version}/plain", "get", "undocumented"),
        ("/v{version}/bare", "get", "no_docstring"),
        ("/orgs/{slug}", "get", "get"),
        ("/orgs/{slug}", "post", "post"),
        ("/orgs/{slug}", "delete", "delete"),
        ("/", "get", "users"),
    ]


def test_the_schema_is_starlettes() -> None:
    framework("fastapi")
    theirs = toolkit("fastapi", "schemas").SchemaGenerator(BASE).get_schema(routes("fastapi"))
    ours = schemas.SchemaGenerator(BASE).get_schema(routes("minifast"))
    assert ours == theirs
    assert list(ours["paths"]) == [
        "/v{version}/users",
        "/v{version}/users/{id}",
        "/orgs/{slug}",
        "/",
    ]
    assert ours["paths"]["/orgs/{slug}"] == {
        "get": {"description": "An organisation."},
        "delete": {"description": "Delete an organisation."},
    }
    assert ours["paths"]["/v{version}/users"]["post"] == {
        "responses": {201: {"description": "A user was created."}}
    }


def test_routes_are_read_by_duck_typing() -> None:
    found = schemas.SchemaGenerator(BASE).get_endpoints(
        [
            FakeHost("a.example", [FakeRoute("/{id:str}", user, {"GET", "QUERY", "DELETE"})]),
            FakeRoute("/default", users, None),
            FakeRoute("/class", organisation_endpoint("minifast"), None),
        ]
    )
    assert [(e.path, e.http_method, e.func.__name__) for e in found] == [
        ("/{id}", "get", "user"),
        ("/{id}", "delete", "user"),
        ("/{id}", "query", "user"),  # methods beyond Starlette's list come last
        ("/default", "get", "users"),
        ("/class", "get", "get"),
        ("/class", "post", "post"),
        ("/class", "delete", "delete"),
    ]


def test_the_base_schema_is_never_edited() -> None:
    base = {**BASE, "paths": {"/users": {"summary": "Users"}}}
    generator = schemas.SchemaGenerator(base)
    route = import_from("minifast", "routing").Route("/users", users)
    first = generator.get_schema([route])
    assert generator.get_schema([route]) == first
    assert first["paths"]["/users"] == {"summary": "Users", "get": users_operation()}
    assert base["paths"] == {"/users": {"summary": "Users"}}


def users_operation() -> dict[str, Any]:
    return {"responses": {200: {"description": "A list of users."}}}


@pytest.mark.parametrize(
    ("func", "expected"),
    [(users, users_operation()), (undocumented, {}), (no_docstring, {})],
    ids=["yaml-after-dashes", "prose", "no-docstring"],
)
def test_parse_docstring(func: Any, expected: dict[str, Any]) -> None:
    assert schemas.SchemaGenerator(BASE).parse_docstring(func) == expected


def schema_app(name: str) -> Any:
    app = framework(name).FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    generator = toolkit(name, "schemas").SchemaGenerator(BASE)
    app.add_route("/users", users)
    app.add_route("/schema", generator.OpenAPIResponse, include_in_schema=False)

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        """Read an item.
        ---
        summary: One item.
        """
        return {"item_id": item_id}  # pragma: no cover

    return app


def test_the_schema_endpoint_sends_the_same_yaml() -> None:
    framework("fastapi")
    theirs = request(schema_app("fastapi"), path="/schema")
    ours = request(schema_app("minifast"), path="/schema")
    assert (ours.status, ours.headers, ours.body) == (theirs.status, theirs.headers, theirs.body)
    assert ours.header("content-type") == "application/vnd.oai.openapi"
    assert yaml.safe_load(ours.body)["paths"] == {
        "/users": {"get": users_operation()},
        "/items/{item_id}": {"get": {"summary": "One item."}},
    }


def test_openapi_response_takes_only_a_dict() -> None:
    framework("fastapi")
    messages = []
    for module in (toolkit("fastapi", "schemas"), schemas):
        with pytest.raises(AssertionError) as raised:
            module.OpenAPIResponse(["not", "a", "dict"])
        messages.append(str(raised.value))
    assert messages[1] == messages[0]
    assert messages[1] == "The schema passed to OpenAPIResponse should be a dictionary."


def test_without_pyyaml_reading_a_docstring_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    generator = schemas.SchemaGenerator(BASE)
    with pytest.raises(RuntimeError, match="pyyaml must be installed to use parse_docstring"):
        generator.parse_docstring(users)
    assert generator.parse_docstring(no_docstring) == {}  # nothing to read, nothing needed
    with pytest.raises(RuntimeError, match="pyyaml must be installed to use OpenAPIResponse"):
        schemas.OpenAPIResponse({})


def test_the_base_generator_leaves_the_schema_to_subclasses() -> None:
    with pytest.raises(NotImplementedError):
        schemas.BaseSchemaGenerator().get_schema([])
