"""The benchmark scenarios: one request each, the app it runs on, and the answer it must get.

Every harness sends a scenario's request once and passes the answer to `verify` before timing
it, so a framework that answers wrongly (or a scenario that drifted) fails loudly instead of
being timed. A gzip-encoded body is decompressed before the comparison.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
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
REPORT = {"rows": [{"id": index, "name": f"row {index}", "ok": True} for index in range(60)]}
JSON = [(b"content-type", b"application/json")]
Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    method: str
    path: str
    query: bytes = b""
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    status: int = 200
    expected: bytes | None = None  # the exact body, when `check` is None
    check: Callable[[Any], bool] | None = None  # a predicate on the parsed JSON body
    expected_headers: dict[str, str] = field(default_factory=dict)  # a subset of the answer's
    app: str = "main"  # "main", "middleware" or "routes-<count>": see load_app
    concurrency: int = 1  # requests in flight at once while timing
    cleanups: int = 0  # `yield` dependency cleanups each request must run


def load_app(module: ModuleType, name: str) -> Any:
    """The app called `name` in a benchmarks.app_<framework> module."""
    if name.startswith("routes-"):
        return module.routes_app(int(name.removeprefix("routes-")))
    return module.middleware_app() if name == "middleware" else module.app


def verify(scenario: Scenario, reply: Reply) -> None:
    """Raise AssertionError unless `reply` is the answer `scenario` must get."""
    body = reply.body
    if reply.headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    if scenario.check is None:
        good_body = body == scenario.expected
    else:
        good_body = scenario.check(json.loads(body))
    missing = {
        name: value
        for name, value in scenario.expected_headers.items()
        if reply.headers.get(name) != value
    }
    if reply.status != scenario.status or not good_body or missing:
        raise AssertionError(f"({scenario.key}): {reply.status} {missing} {body[:200]!r}")


def _errors(count: int) -> Callable[[Any], bool]:
    return lambda data: len(data["detail"]) == count


def _route_scenario(size: int) -> Scenario:
    return Scenario(
        f"f{size}", f"{size:,} routes, last one hit", "GET", f"/r{size - 1}/7",
        expected=b'{"id":7}', app=f"routes-{size}",
    )  # fmt: skip


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
        headers=[(b"authorization", b"Bearer ann")], cleanups=1,
        expected=b'{"id":1,"username":"ann","email":"ann@example.com"}',
    ),
    Scenario(
        "e", "POST with 4 errors → 422", "POST", "/items", headers=JSON,
        body=json.dumps(INVALID_ITEM).encode(), status=422, check=_errors(4),
    ),
    *(_route_scenario(size) for size in (10, 100, 1000)),
    Scenario(
        "g", "2 http middlewares + CORS + GZip, 2 KB", "GET", "/report",
        headers=[(b"origin", b"https://example.com"), (b"accept-encoding", b"gzip")],
        check=REPORT.__eq__, app="middleware",
        expected_headers={
            "content-encoding": "gzip", "access-control-allow-origin": "https://example.com",
            "x-inner": "1", "x-outer": "1",
        },
    ),
    Scenario("h", "StreamingResponse, 1,000 chunks", "GET", "/stream", expected=b"x" * 16000),
    Scenario(
        "i", "50 concurrent blocking `def` calls", "GET", "/blocking",
        expected=b'{"blocking":true}', concurrency=50,
    ),
]  # fmt: skip
