"""The shop's server-side sessions, as its clients see them: cookies, stored data, lifetimes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from session_app import app, make_app, starlette_app, starlette_store, store
from starsessions import InMemoryStore, SessionNotLoaded

SESSION_ID = re.compile(r"[0-9a-f]{32}")
# 2030-01-01 12:00:00 UTC
NOON = 1893499200.0


class Clock:
    """A stand-in for time.time that moves only when told: starsessions reads it."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def move(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def empty_stores() -> Iterator[None]:
    for each in (store, starlette_store):
        each.data.clear()
    yield


@pytest.fixture
def client() -> TestClient:
    return TestClient(app)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(NOON)
    monkeypatch.setattr(time, "time", clock)
    return clock


def cookie_attributes(header: str) -> dict[str, str]:
    """The attributes of a Set-Cookie header, lower-cased, the cookie itself under its name."""
    parts = (part.strip().partition("=") for part in header.split(";"))
    return {name.lower(): value for name, _, value in parts}


def stored(in_store: InMemoryStore, session_id: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(in_store.data[session_id])
    return data


def test_a_request_that_leaves_the_session_empty_sets_no_cookie(client: TestClient) -> None:
    response = client.get("/whoami")

    assert response.json() == {"user": None, "session_id": None}
    assert "set-cookie" not in response.headers
    assert store.data == {}


def test_writing_to_the_session_sets_a_session_cookie(client: TestClient) -> None:
    response = client.post("/cart", json={"name": "kettle"})

    attributes = cookie_attributes(response.headers["set-cookie"])
    assert response.status_code == 201
    assert SESSION_ID.fullmatch(attributes["session"])
    assert attributes["path"] == "/"
    assert attributes["samesite"] == "lax"
    assert "httponly" in attributes
    # A lifetime of 0 means a cookie that lasts as long as the browser session.
    assert "max-age" not in attributes
    assert "secure" not in attributes


def test_session_data_persists_across_requests(client: TestClient) -> None:
    client.post("/cart", json={"name": "kettle"})
    client.post("/cart", json={"name": "teapot", "quantity": 2})

    assert client.get("/cart").json() == {
        "items": [{"name": "kettle", "quantity": 1}, {"name": "teapot", "quantity": 2}]
    }


def test_the_store_holds_the_data_under_the_cookies_session_id(client: TestClient) -> None:
    client.post("/cart", json={"name": "kettle"})

    session_id = client.cookies["session"]
    data = stored(store, session_id)
    assert list(store.data) == [session_id]
    assert data["cart"] == [{"name": "kettle", "quantity": 1}]
    assert set(data["__metadata__"]) == {"lifetime", "created", "last_access"}  # type: ignore[arg-type]


def test_the_session_id_stays_the_same_while_the_session_lives(client: TestClient) -> None:
    client.post("/cart", json={"name": "kettle"})
    first = client.cookies["session"]

    client.post("/cart", json={"name": "teapot"})

    assert client.cookies["session"] == first
    assert client.get("/whoami").json()["session_id"] == first


def test_two_clients_have_sessions_of_their_own() -> None:
    alice, bob = TestClient(app), TestClient(app)

    alice.post("/cart", json={"name": "kettle"})
    bob.post("/cart", json={"name": "mug"})

    assert alice.get("/cart").json() == {"items": [{"name": "kettle", "quantity": 1}]}
    assert bob.get("/cart").json() == {"items": [{"name": "mug", "quantity": 1}]}
    assert alice.cookies["session"] != bob.cookies["session"]


def test_an_unknown_session_id_gives_an_empty_session() -> None:
    client = TestClient(app, cookies={"session": "0" * 32})

    assert client.get("/cart").json() == {"items": []}


def test_clearing_the_session_expires_the_cookie_and_forgets_the_data(
    client: TestClient,
) -> None:
    client.post("/cart", json={"name": "kettle"})
    session_id = client.cookies["session"]

    response = client.post("/logout")

    attributes = cookie_attributes(response.headers["set-cookie"])
    assert response.json() == {"logged_out": True}
    assert attributes["session"] == "''"
    assert attributes["expires"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert session_id not in store.data
    assert client.get("/cart").json() == {"items": []}


def test_logging_in_regenerates_the_session_id_and_keeps_the_data(client: TestClient) -> None:
    client.post("/cart", json={"name": "kettle"})
    before = client.cookies["session"]

    response = client.post("/login", json={"user": "alice"})

    ids = response.json()
    assert ids["previous"] == before
    assert SESSION_ID.fullmatch(ids["current"])
    assert ids["current"] != before
    assert client.cookies["session"] == ids["current"]
    assert stored(store, ids["current"])["user"] == "alice"
    assert client.get("/whoami").json() == {"user": "alice", "session_id": ids["current"]}
    assert client.get("/cart").json() == {"items": [{"name": "kettle", "quantity": 1}]}


def test_session_values_round_trip_as_json(client: TestClient) -> None:
    preferences = {"currency": "EUR", "page_size": 25, "tags": ["tea", "green"], "dark": True}

    client.post("/preferences", json=preferences)

    assert client.get("/preferences").json() == preferences


def test_a_change_made_before_an_http_exception_is_still_saved(client: TestClient) -> None:
    client.post("/cart", json={"name": "kettle"})
    client.post("/cart", json={"name": "mug"})

    kept = client.delete("/cart/kettle")
    emptied = client.delete("/cart/mug")

    assert kept.json() == {"items": [{"name": "mug", "quantity": 1}]}
    assert emptied.status_code == 409
    assert emptied.json() == {"detail": "the cart is now empty"}
    assert client.get("/cart").json() == {"items": []}


def test_a_websocket_reads_the_session_of_its_cookie(client: TestClient) -> None:
    client.post("/cart", json={"name": "kettle"})

    with client.websocket_connect("/ws/cart") as websocket:
        message = websocket.receive_json()

    assert message == {"items": [{"name": "kettle", "quantity": 1}], "hello": True}


def test_cookie_settings_shape_the_set_cookie_header() -> None:
    shop = make_app(
        InMemoryStore(),
        cookie_name="shop_sid",
        cookie_same_site="strict",
        cookie_domain="shop.example",
        cookie_path="/",
        cookie_https_only=True,
    )
    client = TestClient(shop, base_url="https://shop.example")

    response = client.post("/cart", json={"name": "kettle"})

    attributes = cookie_attributes(response.headers["set-cookie"])
    assert SESSION_ID.fullmatch(attributes["shop_sid"])
    assert attributes["domain"] == "shop.example"
    assert attributes["samesite"] == "strict"
    assert "secure" in attributes
    assert client.get("/cart").json() == {"items": [{"name": "kettle", "quantity": 1}]}


def test_a_secure_cookie_is_not_sent_back_over_plain_http() -> None:
    client = TestClient(make_app(InMemoryStore()))  # cookies are https-only by default

    response = client.post("/cart", json={"name": "kettle"})

    assert "secure" in cookie_attributes(response.headers["set-cookie"])
    assert client.get("/cart").json() == {"items": []}


def test_a_fixed_lifetime_counts_down_from_the_sessions_creation(clock: Clock) -> None:
    client = TestClient(make_app(InMemoryStore(), lifetime=120, cookie_https_only=False))

    first = client.post("/cart", json={"name": "kettle"})
    clock.move(30)
    second = client.post("/cart", json={"name": "mug"})
    facts = client.get("/session").json()

    assert cookie_attributes(first.headers["set-cookie"])["max-age"] == "120"
    assert cookie_attributes(second.headers["set-cookie"])["max-age"] == "90"
    assert facts == {"loaded": True, "lifetime": 120, "created": NOON, "remaining": 90}


def test_a_rolling_lifetime_starts_again_with_every_response(clock: Clock) -> None:
    client = TestClient(
        make_app(InMemoryStore(), lifetime=120, rolling=True, cookie_https_only=False)
    )

    client.post("/cart", json={"name": "kettle"})
    clock.move(30)
    second = client.post("/cart", json={"name": "mug"})

    assert cookie_attributes(second.headers["set-cookie"])["max-age"] == "120"


def test_starlette_autoloads_the_session_only_on_the_paths_given() -> None:
    client = TestClient(starlette_app)

    first = client.get("/account/visits")
    second = client.get("/account/visits")

    assert first.json() == {"visits": 1, "loaded": True}
    assert second.json() == {"visits": 2, "loaded": True}
    assert stored(starlette_store, client.cookies["session"])["visits"] == 2


def test_starlette_route_loads_the_session_itself_elsewhere() -> None:
    client = TestClient(starlette_app)
    client.get("/account/visits")

    response = client.post("/newsletter")

    assert response.json() == {"loaded_before": False, "loaded": True}
    data = stored(starlette_store, client.cookies["session"])
    assert (data["visits"], data["newsletter"]) == (1, True)


def test_reading_a_session_that_was_not_loaded_raises() -> None:
    client = TestClient(starlette_app)

    with pytest.raises(SessionNotLoaded):
        client.get("/peek")


def test_a_session_that_was_not_loaded_answers_500_without_raising() -> None:
    client = TestClient(starlette_app, raise_server_exceptions=False)

    response = client.get("/peek")

    assert response.status_code == 500
    assert "set-cookie" not in response.headers
