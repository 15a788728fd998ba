"""examples/openapi_docs.py: the lesson's Part 11 metadata in /openapi.json, and docs per env."""

import importlib
import os
from collections.abc import Iterator
from typing import Any

import pytest

import examples.openapi_docs
from minifast import FastAPI
from minifast.testclient import TestClient

client = TestClient(examples.openapi_docs.app)


def _operation() -> dict[str, Any]:
    operation: dict[str, Any] = client.get("/openapi.json").json()["paths"]["/items/{item_id}"]
    return operation["get"]


def test_the_info_block_carries_the_app_metadata() -> None:
    assert client.get("/openapi.json").json()["info"] == {
        "title": "Inventory API",
        "description": "Manages warehouse inventory with full audit trail.",
        "contact": {"name": "Platform Team", "email": "platform@example.com"},
        "license": {"name": "MIT"},
        "version": "2.3.1",
    }


def test_the_operation_carries_the_decorator_options() -> None:
    operation = _operation()
    assert operation["summary"] == "Retrieve a single item"
    assert operation["description"] == (
        "Returns the item with the given ID. Returns 404 if not found."
    )
    assert operation["tags"] == ["inventory"]
    assert "deprecated" not in operation  # deprecated=False is the default, so left out


def test_the_responses_are_documented() -> None:
    """COMPAT: `responses={200: ...}` overrides `response_description` for the 200, as in FastAPI.

    "The item record" would describe the 200 only without a 200 entry in `responses`.
    """
    responses = _operation()["responses"]
    assert set(responses) == {"200", "404", "422"}
    assert responses["200"] == {
        "description": "Item found",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ItemResponse"}}},
    }
    assert responses["404"] == {"description": "Item not found"}


def test_response_description_describes_the_200_without_a_responses_entry() -> None:
    """The lesson's `response_description`, seen where `responses` does not override it."""
    app = FastAPI()

    @app.get("/items/{item_id}", response_description="The item record")
    async def get_item(item_id: int) -> examples.openapi_docs.ItemResponse:
        return examples.openapi_docs.ITEMS[item_id]

    responses = app.openapi()["paths"]["/items/{item_id}"]["get"]["responses"]
    assert responses["200"]["description"] == "The item record"


def test_the_return_annotation_is_the_response_schema() -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ItemResponse"]
    assert schema == {
        "type": "object",
        "title": "ItemResponse",
        "properties": {
            "id": {"type": "integer", "title": "Id"},
            "name": {"type": "string", "title": "Name"},
            "quantity": {"type": "integer", "title": "Quantity"},
            "warehouse": {"type": "string", "title": "Warehouse"},
        },
        "required": ["id", "name", "quantity", "warehouse"],
    }


@pytest.mark.parametrize(
    ("item_id", "status", "body"),
    [
        (1, 200, {"id": 1, "name": "pallet jack", "quantity": 4, "warehouse": "north"}),
        (9, 404, {"detail": "Item not found"}),
    ],
    ids=["found", "missing"],
)
def test_get_item_answers(item_id: int, status: int, body: dict[str, Any]) -> None:
    response = client.get(f"/items/{item_id}")
    assert (response.status_code, response.json()) == (status, body)


@pytest.fixture
def client_in(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[TestClient]:
    """The example built again with APP_ENV set to the test's parameter, then rebuilt as before."""
    monkeypatch.setenv("APP_ENV", request.param)
    try:
        yield TestClient(importlib.reload(examples.openapi_docs).app)
    finally:
        monkeypatch.undo()
        importlib.reload(examples.openapi_docs)


@pytest.mark.parametrize(
    ("client_in", "docs_status"),
    [("development", 200), ("staging", 200), ("production", 404)],
    ids=["development", "staging", "production"],
    indirect=["client_in"],
)
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_exist_outside_production(
    client_in: TestClient, docs_status: int, page: str
) -> None:
    response = client_in.get(page)
    assert response.status_code == docs_status
    if docs_status == 200:
        assert response.headers["content-type"].startswith("text/html")
    # The schema itself is served everywhere: only the pages are switched off.
    assert client_in.get("/openapi.json").status_code == 200


def test_the_module_is_rebuilt_as_before_afterwards() -> None:
    """The reloads leave `examples.openapi_docs` as the environment says, for later tests."""
    expected = os.environ.get("APP_ENV", "development")
    rebuilt_env = examples.openapi_docs.settings.ENV
    assert rebuilt_env == expected
    docs_status = 404 if expected == "production" else 200
    assert TestClient(examples.openapi_docs.app).get("/docs").status_code == docs_status
