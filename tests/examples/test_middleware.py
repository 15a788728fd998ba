"""examples/middleware.py: the lesson's Part 10 stack, as a client sees it."""

import re
import uuid

import pytest

from examples.middleware import app
from minifast.testclient import TestClient

client = TestClient(app)
ORIGIN = "https://app.example.com"


def test_request_id_reaches_the_endpoint_and_the_header(capsys: pytest.CaptureFixture[str]) -> None:
    response = client.get("/items", params={"count": 2})
    request_id = response.headers["x-request-id"]
    assert uuid.UUID(request_id).version == 4
    assert response.json() == {
        "request_id": request_id,
        "items": [{"id": 0, "name": "item 0"}, {"id": 1, "name": "item 1"}],
    }
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(r"method=GET path=/items status=200 duration_ms=\d+\.\d", line)


@pytest.mark.parametrize(
    ("accept", "encoded"), [("identity", False), ("gzip", True)], ids=["plain", "gzipped"]
)
def test_gzip_when_the_client_accepts_it(accept: str, encoded: bool) -> None:
    """COMPAT: after `call_next` the body is a stream, which GZip compresses whatever its size."""
    response = client.get("/items", params={"count": 100}, headers={"accept-encoding": accept})
    assert (response.headers.get("content-encoding") == "gzip") is encoded
    assert len(response.json()["items"]) == 100  # httpx decompresses it
    # What came over the wire is smaller than the JSON only when it was compressed.
    assert (response.num_bytes_downloaded < len(response.content)) is encoded


def test_cors_allows_the_app_origin_with_credentials() -> None:
    response = client.get("/items", headers={"origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize(
    ("origin", "status"), [(ORIGIN, 200), ("https://evil.example", 400)], ids=["app", "other"]
)
def test_cors_preflight(origin: str, status: int) -> None:
    response = client.options(
        "/items",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "x-custom",
        },
    )
    assert response.status_code == status
    if status == 200:
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert response.headers["access-control-allow-headers"] == "x-custom"
