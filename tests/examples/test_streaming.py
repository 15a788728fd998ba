"""examples/streaming.py: a JSON Lines feed and an SSE ticker."""

import json

import pytest

from examples.streaming import app
from minifast.testclient import TestClient

client = TestClient(app)


@pytest.mark.parametrize(
    ("query", "ids"), [("", [1, 2, 3, 4, 5]), ("?min_quantity=4", [4, 5])], ids=["all", "filtered"]
)
def test_order_feed_is_one_json_object_per_line(query: str, ids: list[int]) -> None:
    response = client.get(f"/orders{query}")
    assert response.headers["content-type"] == "application/jsonl"
    orders = [json.loads(line) for line in response.text.splitlines()]
    assert [order["id"] for order in orders] == ids
    assert orders[0] == {"id": ids[0], "product": "ABCDE"[ids[0] - 1], "quantity": ids[0]}


def test_ticker_sends_named_numbered_events() -> None:
    response = client.get("/ticker?count=2&interval=0")
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.text == (
        ": prices are made up\nretry: 2000\n\n"
        'event: tick\ndata: {"symbol":"MINI","price":100.0}\nid: 0\n\n'
        'event: tick\ndata: {"symbol":"MINI","price":100.7}\nid: 1\n\n'
    )


def test_ticker_resumes_after_the_last_event_id() -> None:
    response = client.get("/ticker?count=1&interval=0", headers={"last-event-id": "41"})
    assert "id: 42\n" in response.text and "id: 41\n" not in response.text


def test_ticker_bounds_its_input() -> None:
    assert client.get("/ticker?count=1000").status_code == 422


def test_openapi_describes_both_streams() -> None:
    paths = client.get("/openapi.json").json()["paths"]
    feed = paths["/orders"]["get"]["responses"]["200"]["content"]
    assert feed == {"application/jsonl": {"itemSchema": {"$ref": "#/components/schemas/Order"}}}
    events = paths["/ticker"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    assert events["itemSchema"]["properties"]["data"] == {"type": "string"}
