"""examples/response_models.py: Part 7 and the Level 2 fix: password_hash never leaves."""

from examples.response_models import app
from minifast.testclient import TestClient

client = TestClient(app)
PUBLIC = {"id": 1, "username": "ann", "email": "ann@example.com",
          "created_at": "2024-01-01T00:00:00Z"}  # fmt: skip


def test_register_strips_the_password_hash_and_reads_orm_rows() -> None:
    created = client.post(
        "/users", json={"username": "ann", "email": "ann@example.com", "password": "pw"}
    )
    assert (created.status_code, created.json()) == (201, PUBLIC)
    fetched = client.get("/users/1")
    assert (fetched.status_code, fetched.json()) == (200, PUBLIC)
    missing = client.get("/users/99")
    assert (missing.status_code, missing.json()) == (404, {"detail": "User not found"})


def test_invalid_email_is_a_422() -> None:
    response = client.post("/users", json={"username": "x", "email": "nope", "password": "p"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


def test_response_model_options() -> None:
    assert client.get("/items/1/compact").json() == {"id": 1, "name": "widget",
                                                     "internal_notes": "x"}  # fmt: skip
    assert client.get("/items/1/summary").json() == {"id": 1, "name": "widget"}
    assert client.get("/items/1").json() == {"id": 1, "name": "widget", "description": None}
