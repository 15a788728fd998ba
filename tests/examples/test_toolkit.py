"""examples/toolkit.py: the toolkit half alone, as a client sees it."""

import types
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examples import toolkit
from examples.toolkit import app
from minifast.testclient import TestClient

SIGNED_IN = {"Authorization": "Bearer letmein"}


@pytest.fixture
def client() -> Iterator[TestClient]:
    toolkit.NOTES.clear()
    yield TestClient(app)


def test_visits_are_counted_in_the_signed_session_cookie(client: TestClient) -> None:
    assert client.get("/").json() == {"visits": 1, "user": ""}
    assert client.get("/").json() == {"visits": 2, "user": ""}
    client.cookies.set("session", client.cookies["session"][:-2] + "xx")  # tampered: refused
    assert client.get("/").json()["visits"] == 1


def test_notes_are_read_by_anyone_and_added_by_a_signed_in_user(client: TestClient) -> None:
    assert client.post("/notes", json={"text": "hi"}).status_code == 403
    added = client.post("/notes", json={"text": "hi"}, headers=SIGNED_IN)
    assert (added.status_code, added.json()) == (201, {"author": "ada", "text": "hi"})
    assert client.get("/notes").json() == [{"author": "ada", "text": "hi"}]
    assert client.get("/", headers=SIGNED_IN).json()["user"] == "ada"


def test_inputs_are_checked_by_hand(client: TestClient) -> None:
    answer = client.post("/notes", content=b"not json", headers=SIGNED_IN)
    assert (answer.status_code, answer.json()) == (400, {"detail": 'send {"text": "..."}'})


def test_an_unknown_token_is_refused_by_the_backend(client: TestClient) -> None:
    answer = client.get("/notes", headers={"Authorization": "Bearer guess"})
    assert (answer.status_code, answer.text) == (400, "unknown token")


def test_a_method_the_class_lacks_is_405(client: TestClient) -> None:
    answer = client.delete("/notes")
    assert (answer.status_code, answer.headers["allow"]) == (405, "GET, HEAD, POST")


def test_the_wsgi_app_answers_below_its_mount(client: TestClient) -> None:
    answer = client.get("/legacy/page")
    assert (answer.status_code, answer.text) == (200, "WSGI says hello to /page\n")


def test_the_schema_comes_from_the_docstrings(client: TestClient) -> None:
    pytest.importorskip("yaml")
    document = client.get("/openapi.json").json()
    assert document["info"]["title"] == "Toolkit"
    assert set(document["paths"]) == {"/", "/notes"}
    assert document["paths"]["/notes"]["post"]["summary"] == "Add a note (signed-in users)"
    assert set(document["paths"]["/notes"]) == {"get", "post"}


def starlette_twin() -> Any:
    """The example's source with `minifast` replaced by `starlette`, run as a fresh module."""
    pytest.importorskip("itsdangerous")  # Starlette signs its session cookies with it
    source = Path(toolkit.__file__).read_text().replace("minifast", "starlette")
    twin = types.ModuleType("toolkit_on_starlette")
    with warnings.catch_warnings():  # Starlette deprecates its WSGI middleware; minifast keeps it
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", "starlette.middleware.wsgi is deprecated")
        exec(compile(source, toolkit.__file__, "exec"), twin.__dict__)
    return twin


def test_the_same_source_on_starlette_answers_alike() -> None:
    """Every request of a short session gets the same status, JSON and text on both."""
    pytest.importorskip("yaml")
    twin = starlette_twin()
    answers = []
    for module in (toolkit, twin):
        module.NOTES.clear()
        client = TestClient(module.app)
        steps = [
            client.get("/"),
            client.get("/"),
            client.post("/notes", json={"text": "x"}),
            client.post("/notes", json={"text": "x"}, headers=SIGNED_IN),
            client.post("/notes", content=b"{", headers=SIGNED_IN),
            client.get("/notes", headers={"Authorization": "Bearer guess"}),
            client.delete("/notes"),
            client.get("/legacy/page"),
            client.get("/openapi.json"),
        ]
        answers.append([(step.status_code, step.text) for step in steps])
    assert answers[0] == answers[1]
