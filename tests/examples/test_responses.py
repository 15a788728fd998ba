"""examples/responses.py: Part 8's status codes and response classes."""

from examples.responses import REPORTS, app
from minifast.testclient import TestClient

client = TestClient(app)
ITEM = {"name": "bolt", "price": 0.5}


def test_created_and_no_content() -> None:
    assert client.post("/items", json=ITEM).status_code == 201
    deleted = client.delete("/items/1")
    assert (deleted.status_code, deleted.content) == (204, b"")


def test_upsert_answers_201_then_200() -> None:
    assert client.put("/items/42", json=ITEM).status_code == 201
    assert client.put("/items/42", json=ITEM).status_code == 200


def test_login_sets_a_custom_header() -> None:
    response = client.post("/login", json={"username": "ann", "password": "secret"})
    assert response.json() == {"access_token": "token-for-ann"}
    assert response.headers["x-token-issued"] == "true"
    refused = client.post("/login", json={"username": "ann", "password": "guess"})
    assert (refused.status_code, refused.json()) == (401, {"detail": "Bad credentials"})


def test_report_download() -> None:
    response = client.get("/report.pdf")
    assert response.content == (REPORTS / "latest.pdf").read_bytes()
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="report.pdf"'


def test_stream_of_events() -> None:
    response = client.get("/stream")
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = response.text.split("\n\n")[:-1]
    assert events[0] == "data: 0" and events[-1] == "data: 999" and len(events) == 1000
