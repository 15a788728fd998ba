"""examples/puzzle.py: the lesson's opening puzzle answers exactly as the lesson says."""

from collections.abc import Iterator

import pytest

from examples.puzzle import app
from minifast.testclient import TestClient


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def test_valid_item_is_echoed(client: TestClient) -> None:
    response = client.post("/items", json={"name": "widget", "price": 9.99})
    assert (response.status_code, response.json()) == (200, {"name": "widget", "price": 9.99})


def test_price_that_is_not_a_number(client: TestClient) -> None:
    response = client.post("/items", json={"name": "widget", "price": "not_a_number"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "float_parsing",
                "loc": ["body", "price"],
                "msg": "Input should be a valid number, unable to parse string as a number",
                "input": "not_a_number",
            }
        ]
    }


def test_missing_price(client: TestClient) -> None:
    response = client.post("/items", json={"name": "widget"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "missing",
                "loc": ["body", "price"],
                "msg": "Field required",
                "input": {"name": "widget"},
            }
        ]
    }
