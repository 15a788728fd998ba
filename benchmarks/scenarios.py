"""The benchmark scenarios: one request each, and the answer it must get before timing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ITEM = {
    "name": "widget",
    "price": 9.99,
    "tags": ["a", "b", "c"],
    "dimensions": {"width": 1.0, "height": 2.0, "depth": 3.0},
}
INVALID_ITEM = {
    "name": 5,
    "price": "free",
    "tags": "none",
    "dimensions": {"width": "x", "height": 1, "depth": 1},
}
JSON = [(b"content-type", b"application/json")]


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    method: str
    path: str
    query: bytes = b""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    status: int = 200
    expected: bytes | None = None  # the exact body; None when only its JSON shape is checked
    check: Any = None  # a predicate on the parsed JSON body


def _errors(count: int) -> Any:
    return lambda data: len(data["detail"]) == count


SCENARIOS = [
    Scenario("a", "GET /hello", "GET", "/hello", expected=b'{"message":"hello"}'),
    Scenario(
        "b", "path + 2 query params", "GET", "/items/42", b"q=widget&limit=10",
        expected=b'{"item_id":42,"q":"widget","limit":10}',
    ),
    Scenario(
        "c", "POST model → response model", "POST", "/items", headers=JSON,
        body=json.dumps(ITEM).encode(), status=201,
        expected=json.dumps(ITEM, separators=(",", ":")).encode(),
    ),
    Scenario(
        "d", "3-level dependency chain", "GET", "/users/me",
        headers=[(b"authorization", b"Bearer ann")],
        expected=b'{"id":1,"username":"ann","email":"ann@example.com"}',
    ),
    Scenario(
        "e", "POST with 4 errors → 422", "POST", "/items", headers=JSON,
        body=json.dumps(INVALID_ITEM).encode(), status=422, check=_errors(4),
    ),
    Scenario("h", "StreamingResponse, 1,000 chunks", "GET", "/stream", expected=b"x" * 16000),
]  # fmt: skip
