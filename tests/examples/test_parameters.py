"""examples/parameters.py: Part 4's path, query and body parameters."""

import pytest

from examples.parameters import app
from minifast.testclient import TestClient

client = TestClient(app)


@pytest.mark.parametrize(
    ("url", "status", "body"),
    [
        ("/items/5", 200, {"item_id": 5, "q": None, "include_deleted": False}),
        ("/items/5?q=bolt&include_deleted=true", 200,
         {"item_id": 5, "q": "bolt", "include_deleted": True}),
        ("/items/0", 422, {"detail": [{"type": "greater_than_equal", "loc": ["path", "item_id"],
                                       "msg": "Input should be greater than or equal to 1",
                                       "input": "0", "ctx": {"ge": 1}}]}),
        ("/items/5?q=", 422, {"detail": [{"type": "string_too_short", "loc": ["query", "q"],
                                          "msg": "String should have at least 1 character",
                                          "input": "", "ctx": {"min_length": 1}}]}),
    ],
    ids=["defaults", "query-given", "path-below-1", "empty-q"],
)  # fmt: skip
def test_get_item(url: str, status: int, body: object) -> None:
    response = client.get(url)
    assert (response.status_code, response.json()) == (status, body)


def test_body_with_query_flag() -> None:
    item = {"name": "bolt", "price": 0.5, "description": None}
    response = client.post("/items?dry_run=true", json={"name": "bolt", "price": "0.5"})
    assert (response.status_code, response.json()) == (200, item)
