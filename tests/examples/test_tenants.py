"""examples/tenants.py: the Level 3 dependency graph and middleware stack."""

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from examples.tenants import RateLimiter, app, get_rate_limiter, issue_token
from minifast.testclient import TestClient


def headers(tenant: str, user_id: int | None = 1, token: str | None = None) -> dict[str, str]:
    found = {"X-Tenant-ID": tenant}
    if user_id is not None:
        found["Authorization"] = f"Bearer {token or issue_token(user_id)}"
    return found


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def test_member_lists_their_tenants_projects(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="examples.tenants"):
        response = client.get("/projects", headers=headers("acme"))
    assert response.json() == {"tenant": "acme", "user": "ann", "projects": ["anvil", "rocket"]}
    line = json.loads(caplog.records[-1].getMessage())
    assert line["request_id"] == response.headers["x-request-id"]
    assert (line["tenant_id"], line["user_id"], line["status"]) == ("acme", 1, 200)
    assert (line["method"], line["path"]) == ("GET", "/projects")


@pytest.mark.parametrize(
    ("request_headers", "status", "detail"),
    [
        (headers("globex"), 403, "User does not belong to this tenant"),
        (headers("closed"), 403, "Tenant not found or inactive"),
        (headers("nowhere"), 403, "Tenant not found or inactive"),
        (headers("acme", token="1.forged"), 401, "Invalid token"),
        (headers("acme", user_id=9), 401, "User not found"),
    ],
    ids=["not-a-member", "inactive-tenant", "unknown-tenant", "forged-token", "unknown-user"],
)
def test_refusals(client: TestClient, request_headers: Any, status: int, detail: str) -> None:
    response = client.get("/projects", headers=request_headers)
    assert (response.status_code, response.json()) == (status, {"detail": detail})
    assert "x-request-id" in response.headers


def test_missing_headers_are_a_422(client: TestClient) -> None:
    response = client.get("/projects")
    assert response.status_code == 422
    # COMPAT: a failing dependency is reported once per dependent, as FastAPI reports it.
    assert {tuple(error["loc"]) for error in response.json()["detail"]} == {
        ("header", "x-tenant-id"),
        ("header", "authorization"),
    }


def test_rate_limit_per_tenant() -> None:
    app.dependency_overrides[get_rate_limiter] = lambda: RateLimiter(limit=2)
    try:
        with TestClient(app) as client:
            statuses = [client.get("/projects", headers=headers("acme")).status_code
                        for _ in range(3)]  # fmt: skip
            other = client.get("/projects", headers=headers("globex", user_id=2))
    finally:
        app.dependency_overrides.clear()
    assert statuses == [200, 200, 429]
    assert other.status_code == 200  # another tenant has its own budget


def test_cors_answers_any_origin(client: TestClient) -> None:
    found = headers("acme") | {"Origin": "https://tenant.example"}
    response = client.get("/projects", headers=found)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "x-request-id" in response.headers  # the outermost layer still sees the answer
