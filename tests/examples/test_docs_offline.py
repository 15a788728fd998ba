"""examples/docs_offline.py: /docs loads Swagger UI from this app, not from a CDN."""

import re

from examples.docs_offline import app
from minifast.testclient import TestClient

client = TestClient(app)


def test_docs_page_loads_only_local_assets() -> None:
    page = client.get("/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources == [
        "/docs/assets/swagger-ui.css",
        "/docs/assets/favicon-32x32.png",
        "/docs/assets/swagger-ui-bundle.js",
    ]
    for source in sources:
        answer = client.get(source)
        assert answer.status_code == 200
        assert len(answer.content) > 500


def test_endpoints_answer() -> None:
    item = {"name": "widget", "price": 9.5, "tags": ["tools"]}
    assert client.get("/items/1").json() == item
    assert client.get("/items/1", params={"with_tags": "false"}).json() == {**item, "tags": []}
    missing = client.get("/items/99")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Item not found"})
    created = client.post("/items", json={"name": "gadget", "price": 2})
    assert (created.status_code, created.json()) == (201, {"id": 2})


def test_openapi_lists_both_operations() -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths) == {"/items/{item_id}", "/items"}
