"""examples/exception_handlers.py: the lesson's Part 9 handlers, as a client sees them."""

import pytest

from examples.exception_handlers import app
from minifast.testclient import TestClient

client = TestClient(app)


def test_a_stored_item_is_answered() -> None:
    response = client.get("/items/1")
    assert response.status_code == 200
    assert response.json() == {"id": 1, "name": "widget", "archived": False}


def test_the_custom_exception_reaches_its_handler() -> None:
    response = client.get("/items/99")
    assert response.status_code == 404
    assert response.json() == {"error": "item_not_found", "item_id": 99}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "Input should be a valid integer, unable to parse string as an integer"),
        ("1.5", "Input should be a valid integer, unable to parse string as an integer"),
    ],
    ids=["word", "fraction"],
)
def test_a_bad_item_id_gets_the_reformatted_422(raw: str, message: str) -> None:
    response = client.get(f"/items/{raw}")
    assert response.status_code == 422
    assert response.json() == {"errors": [{"field": "path → item_id", "message": message}]}


def test_an_expected_error_is_an_http_exception_with_its_headers() -> None:
    response = client.get("/items/3")
    assert response.status_code == 403
    assert response.json() == {"detail": "Item is archived"}
    assert response.headers["x-item-state"] == "archived"


def test_an_unknown_path_keeps_the_default_404() -> None:
    """The custom handler answers only `ItemNotFoundError`, not every 404."""
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
