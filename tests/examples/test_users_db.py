"""examples/users_db.py: a real SQLite session with commit/rollback, overrides, audit log."""

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from examples.users_db import Database, app, get_database, get_db
from minifast import api_routes as routes_module
from minifast.testclient import TestClient

ANN = {"username": "ann", "email": "ann@example.com", "password": "pw"}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def test_register_then_read_without_the_password_hash(client: TestClient) -> None:
    created = client.post("/users", json=ANN)
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "username", "email", "created_at"}
    assert (body["id"], body["username"]) == (1, "ann")
    assert client.get("/users/1").json() == body
    assert client.get("/users/2").status_code == 404


def test_error_after_insert_rolls_back(client: TestClient) -> None:
    assert client.post("/users", json=ANN).status_code == 201
    duplicate = client.post("/users", json=ANN)
    assert (duplicate.status_code, duplicate.json()) == (409, {"detail": "Username already taken"})
    refused = client.post("/users", json={**ANN, "username": "fail-bob"})
    assert (refused.status_code, refused.json()) == (400, {"detail": "Refused after insert"})
    assert client.get("/users").json() == ["ann"]


def test_background_task_writes_the_audit_log(client: TestClient) -> None:
    client.post("/users", json=ANN)
    client.post("/users", json={**ANN, "username": "bob"})
    assert client.get("/audit").json() == [
        {"action": "user_registered", "user_id": 1},
        {"action": "user_registered", "user_id": 2},
    ]


class RecordingDatabase(Database):
    closed = False

    def close(self) -> None:
        self.closed = True
        super().close()


def test_overrides_swap_the_database_and_replan_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    test_database = RecordingDatabase(f"file:{tmp_path / 'test.db'}")
    compiled: list[Any] = []
    original = routes_module.compile_endpoint
    monkeypatch.setattr(
        routes_module,
        "compile_endpoint",
        lambda *a, **k: compiled.append(a[0]) or original(*a, **k),
    )

    def override_get_database() -> Iterator[Database]:
        try:
            yield test_database
        finally:
            test_database.close()

    app.dependency_overrides[get_database] = override_get_database
    try:
        with TestClient(app) as client:
            for name in ("ann", "bob", "cy"):
                assert client.post("/users", json={**ANN, "username": name}).status_code == 201
            assert client.get("/users").json() == ["ann", "bob", "cy"]
    finally:
        app.dependency_overrides.clear()
    # sqlite3's own `with` only commits; closing() closes, which Python 3.13 warns about otherwise.
    with closing(test_database.connect()) as connection:
        assert connection.execute("SELECT count(*) FROM users").fetchone()[0] == 3
    assert test_database.closed  # the lifespan-scoped override was cleaned up at shutdown
    assert compiled and len(compiled) == len({id(spec) for spec in compiled})  # once a route
    with TestClient(app) as client:
        assert client.get("/users").json() == []  # the real database again, empty


def test_session_override_as_in_part_12(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    database = Database(f"file:{tmp_path / 'part12.db'}")
    test_db_session = database.connect()
    request.addfinalizer(database.close)
    request.addfinalizer(test_db_session.close)

    def override_get_db() -> Iterator[Any]:
        # Return a test database session instead of production
        yield test_db_session

    app.dependency_overrides[get_db] = override_get_db
    try:
        with TestClient(app) as client:
            assert client.post("/users", json=ANN).status_code == 201
    finally:
        app.dependency_overrides = {}
    test_db_session.commit()
    assert [row["username"] for row in test_db_session.execute("SELECT username FROM users")] == [
        "ann"
    ]
