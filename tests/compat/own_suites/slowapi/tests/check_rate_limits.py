"""The shop's rate limits, as its clients see them: statuses, bodies and headers."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rate_limited_app import app, asgi_app, asgi_limiter, limiter, starlette_app, starlette_limiter

# 2030-01-01 12:00:00 UTC
NOON = 1893499200.0


class Clock:
    """A stand-in for time.time that moves only when told: slowapi and limits both read it."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def move(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def fresh_counts() -> Iterator[None]:
    """Every test starts with no request counted by any of the apps' limiters."""
    for each in (limiter, asgi_limiter, starlette_limiter):
        each.reset()
    yield


@pytest.fixture
def client() -> TestClient:
    return TestClient(app)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(NOON)
    monkeypatch.setattr(time, "time", clock)
    return clock


def statuses(client: TestClient, path: str, times: int) -> list[int]:
    return [client.get(path).status_code for _ in range(times)]


def test_a_limited_route_answers_until_its_limit_then_429(client: TestClient) -> None:
    assert statuses(client, "/products", 3) == [200, 200, 429]


def test_the_429_body_names_the_limit_that_was_hit(client: TestClient) -> None:
    statuses(client, "/products", 2)

    response = client.get("/products")

    assert response.status_code == 429
    assert response.json() == {"error": "Rate limit exceeded: 2 per 1 minute"}


def test_a_limited_route_still_returns_its_body(client: TestClient) -> None:
    response = client.get("/products")

    assert response.json() == {"products": ["kettle", "teapot"]}


def test_rate_limit_headers_count_down_on_a_route_returning_a_dict(client: TestClient) -> None:
    first, second = client.get("/products"), client.get("/products")

    assert first.headers["x-ratelimit-limit"] == "2"
    assert first.headers["x-ratelimit-remaining"] == "1"
    assert second.headers["x-ratelimit-remaining"] == "0"


def test_headers_are_set_on_a_response_the_route_returns_itself(client: TestClient) -> None:
    response = client.get("/banner")

    assert response.text == "spring sale"
    assert response.headers["x-ratelimit-limit"] == "1"
    assert response.headers["x-ratelimit-remaining"] == "0"


def test_retry_after_and_reset_follow_the_window_on_a_frozen_clock(
    client: TestClient, clock: Clock
) -> None:
    statuses(client, "/products", 2)
    clock.move(15)

    refused = client.get("/products")

    # The window opened at NOON with the first request; slowapi adds a second to its end.
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "46"
    assert float(refused.headers["x-ratelimit-reset"]) == NOON + 61
    assert refused.headers["x-ratelimit-remaining"] == "0"


def test_the_window_reopens_once_the_clock_has_moved_past_a_minute(
    client: TestClient, clock: Clock
) -> None:
    assert statuses(client, "/products", 3) == [200, 200, 429]
    clock.move(30)
    assert client.get("/products").status_code == 429
    clock.move(31)
    assert statuses(client, "/products", 3) == [200, 200, 429]


def test_resetting_the_limiter_forgets_every_count(client: TestClient) -> None:
    statuses(client, "/products", 3)

    limiter.reset()

    assert client.get("/products").status_code == 200


def test_each_client_address_has_a_count_of_its_own() -> None:
    one = TestClient(app, client=("203.0.113.5", 40000))
    other = TestClient(app, client=("203.0.113.6", 40000))

    assert statuses(one, "/products", 3) == [200, 200, 429]
    assert statuses(other, "/products", 2) == [200, 200]


def test_a_sync_route_with_a_path_parameter_is_limited(client: TestClient) -> None:
    assert statuses(client, "/stock/kettle", 4) == [200, 200, 200, 429]
    assert client.get("/stock/kettle").json() == {"error": "Rate limit exceeded: 3 per 1 minute"}


def test_a_route_without_a_limit_of_its_own_gets_the_default_one(client: TestClient) -> None:
    responses = [client.get("/catalog") for _ in range(6)]

    assert [response.status_code for response in responses] == [200] * 5 + [429]
    assert responses[0].json() == {"pages": 12}
    assert responses[0].headers["x-ratelimit-limit"] == "5"
    assert responses[-1].json() == {"error": "Rate limit exceeded: 5 per 1 minute"}


def test_an_exempt_route_is_never_limited(client: TestClient) -> None:
    assert statuses(client, "/health", 8) == [200] * 8
    assert "x-ratelimit-limit" not in client.get("/health").headers


def test_a_shared_limit_counts_the_requests_of_every_route_sharing_it(
    client: TestClient,
) -> None:
    assert client.get("/search/products", params={"q": "tea"}).json() == {
        "searched": "products",
        "q": "tea",
    }
    assert client.get("/search/reviews").status_code == 200
    assert client.get("/search/products").status_code == 200
    assert client.get("/search/reviews").status_code == 429


def test_a_key_function_of_the_route_counts_by_api_key(client: TestClient) -> None:
    alice, bob = {"x-api-key": "alice"}, {"x-api-key": "bob"}

    assert [client.get("/partners/orders", headers=alice).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    response = client.get("/partners/orders", headers=bob)
    assert response.json() == {"partner": "bob"}


def test_a_custom_error_message_is_the_429_body(client: TestClient) -> None:
    review = {"product": "kettle", "stars": 5}

    first = client.post("/reviews", json=review, headers={"x-shop": "annex"})
    second = client.post("/reviews", json=review)

    assert first.status_code == 201
    assert first.json() == {"shop": "annex", "product": "kettle", "stars": 5}
    assert second.status_code == 429
    assert second.json() == {"error": "Rate limit exceeded: One review a minute, please"}


def test_an_invalid_body_is_refused_before_the_limit_counts_it(client: TestClient) -> None:
    invalid = client.post("/reviews", json={"product": "kettle"})

    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["body", "stars"]
    assert client.post("/reviews", json={"product": "kettle", "stars": 4}).status_code == 201


def test_a_limit_for_some_methods_leaves_the_others_alone(client: TestClient) -> None:
    assert [client.post("/wishlist").status_code for _ in range(2)] == [200, 429]
    assert statuses(client, "/wishlist", 3) == [200, 200, 200]
    assert client.get("/wishlist").json() == {"method": "GET"}


def test_a_route_of_an_included_router_is_limited(client: TestClient) -> None:
    assert statuses(client, "/orders/7", 3) == [200, 200, 429]
    assert client.get("/orders/8").status_code == 200  # the key is the URL, another count


def test_unknown_paths_are_not_limited(client: TestClient) -> None:
    assert statuses(client, "/nowhere", 7) == [404] * 7


def test_a_disabled_limiter_lets_everything_through(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limiter, "enabled", False)

    responses = [client.get("/products") for _ in range(4)]

    assert [response.status_code for response in responses] == [200] * 4
    assert "x-ratelimit-limit" not in responses[0].headers


def test_the_request_and_response_parameters_stay_out_of_the_openapi_document(
    client: TestClient,
) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/stock/{product}"]["get"]

    assert [parameter["name"] for parameter in operation["parameters"]] == ["product"]
    assert operation["operationId"] == "read_stock_stock__product__get"


def test_the_asgi_middleware_applies_an_application_limit_over_all_routes() -> None:
    client = TestClient(asgi_app)

    news, weather = client.get("/news"), client.get("/weather")
    third, fourth = client.get("/news"), client.get("/weather")

    assert [news.status_code, weather.status_code, third.status_code] == [200, 200, 200]
    assert news.json() == {"news": "none"}
    assert news.headers["x-ratelimit-remaining"] == "2"
    assert fourth.status_code == 429
    assert fourth.json() == {"error": "Rate limit exceeded: 3 per 1 minute"}


def test_a_starlette_app_uses_its_own_handler_for_a_limited_route() -> None:
    client = TestClient(starlette_app)

    assert client.get("/").text == "welcome"
    refused = client.get("/")

    assert refused.status_code == 429
    assert refused.json() == {"detail": "slow down", "limit": "1 per 1 minute"}


def test_a_starlette_app_gets_the_default_limit_on_other_routes() -> None:
    client = TestClient(starlette_app)

    assert statuses(client, "/about", 2) == [200, 200]
    refused = client.get("/about")

    # The middleware calls only synchronous handlers: an async one gives way to slowapi's own.
    assert refused.status_code == 429
    assert refused.json() == {"error": "Rate limit exceeded: 2 per 1 minute"}
