"""examples/quiz.py: the lesson's Level 1 answers, request by request."""

from typing import Any

import pytest

from examples.quiz import app
from minifast.testclient import TestClient

client = TestClient(app)


def error(kind: str, field: str, msg: str, given: Any, ctx: dict[str, Any] | None) -> Any:
    found = {"type": kind, "loc": ["query", field], "msg": msg, "input": given}
    return found if ctx is None else {**found, "ctx": ctx}


@pytest.mark.parametrize(
    ("url", "status", "body"),
    [
        ("/search?q=py", 200, {"q": "py", "page": 1, "size": 20}),
        ("/search?q=p", 422, {"detail": [error(
            "string_too_short", "q", "String should have at least 2 characters", "p",
            {"min_length": 2})]}),
        ("/search?q=python&page=0", 422, {"detail": [error(
            "greater_than_equal", "page", "Input should be greater than or equal to 1", "0",
            {"ge": 1})]}),
        ("/search?page=1&size=20", 422, {"detail": [error(
            "missing", "q", "Field required", None, None)]}),
        ("/search?q=python&page=1&size=200", 422, {"detail": [error(
            "less_than_equal", "size", "Input should be less than or equal to 100", "200",
            {"le": 100})]}),
    ],
    ids=["1-ok", "2-q-too-short", "3-page-zero", "4-q-missing", "5-size-too-big"],
)  # fmt: skip
def test_level_1_answers(url: str, status: int, body: Any) -> None:
    response = client.get(url)
    assert (response.status_code, response.json()) == (status, body)
