"""examples/main.py: the app `make run` serves."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from tests.support import request

JSON = [(b"content-type", b"application/json")]


@pytest.fixture
def app() -> Any:
    return importlib.reload(importlib.import_module("examples.main")).app


def test_create_read_list_delete(app: Any) -> None:
    created = request(app, "POST", "/items", headers=JSON, body=b'{"name":"widget","price":9.99}')
    stored = b'{"name":"widget","price":9.99,"description":null,"id":1}'
    assert (created.status, created.body) == (201, stored)
    assert request(app, "GET", "/items/1").body == stored
    assert request(app, "GET", "/items", query=b"q=wid").body == b"[" + stored + b"]"
    assert request(app, "GET", "/items", query=b"q=nope").body == b"[]"
    assert request(app, "DELETE", "/items/1").status == 204
    gone = request(app, "GET", "/items/1")
    assert (gone.status, gone.body) == (404, b'{"detail":"Item not found"}')
    assert request(app, "DELETE", "/items/1").status == 404


@pytest.mark.parametrize(
    ("path", "query", "error"),
    [
        ("/items/0", b"", {"type": "greater_than_equal", "loc": ["path", "item_id"],
                           "msg": "Input should be greater than or equal to 1", "input": "0",
                           "ctx": {"ge": 1}}),
        ("/items", b"limit=0", {"type": "greater_than_equal", "loc": ["query", "limit"],
                                "msg": "Input should be greater than or equal to 1",
                                "input": "0", "ctx": {"ge": 1}}),
    ],
    ids=["path-ge", "query-ge"],
)  # fmt: skip
def test_invalid_parameters_get_422(
    app: Any, path: str, query: bytes, error: dict[str, Any]
) -> None:
    answer = request(app, "GET", path, query=query)
    assert (answer.status, json.loads(answer.body)) == (422, {"detail": [error]})


def test_index(app: Any) -> None:
    assert request(app, "GET", "/").body == b'{"message":"minifast example: see /items"}'
