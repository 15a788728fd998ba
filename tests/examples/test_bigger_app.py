"""examples/bigger_app: the lesson's Part 13 router layout."""

from examples.bigger_app.dependencies import USERS
from examples.bigger_app.main import app
from minifast.routing import APIRoute
from minifast.testclient import TestClient

client = TestClient(app)
KEY = {"X-API-Key": "secret"}


def test_router_dependencies_guard_every_users_route() -> None:
    for method, path in [("GET", "/users/"), ("GET", "/users/1"), ("POST", "/users/")]:
        response = client.request(method, path, json={"username": "a", "password": "p"})
        assert (response.status_code, response.json()) == (401, {"detail": "Not authenticated"})


def test_users_flow() -> None:
    USERS.clear()
    created = client.post("/users/", json={"username": "ann", "password": "pw"}, headers=KEY)
    assert (created.status_code, created.json()) == (201, {"id": 1, "username": "ann"})
    assert client.get("/users/", headers=KEY).json() == [{"id": 1, "username": "ann"}]
    assert client.get("/users/1", headers=KEY).json() == {"id": 1, "username": "ann"}
    assert client.get("/users/2", headers=KEY).status_code == 404


def test_public_and_versioned_routers() -> None:
    assert client.get("/items/").json() == [{"id": 1, "name": "widget"}]
    assert client.get("/v2/orders/7").json() == {"id": 7, "item_id": 1, "quantity": 2}
    assert client.get("/orders/7").status_code == 404


def test_router_options_reach_the_routes() -> None:
    routes = {route.path: route for route in app.routes if isinstance(route, APIRoute)}
    assert routes["/users/{user_id}"].tags == ["users"]
    assert routes["/users/{user_id}"].responses == {401: {"description": "Not authenticated"}}
    assert routes["/v2/orders/{order_id}"].tags == ["orders"]
