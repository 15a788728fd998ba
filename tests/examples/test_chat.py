"""examples/chat.py: two clients in one room hear each other; bad nicknames are refused."""

from collections.abc import Iterator

import pytest

from examples.chat import Rooms, app, get_rooms
from minifast.testclient import TestClient
from minifast.websockets import WebSocketDisconnect


@pytest.fixture
def client() -> Iterator[TestClient]:
    rooms = Rooms()  # a fresh registry per test
    app.dependency_overrides[get_rooms] = lambda: rooms
    with TestClient(app) as c:  # one event loop for every connection
        yield c
    app.dependency_overrides.clear()


def test_two_clients_hear_each_other(client: TestClient) -> None:
    with client.websocket_connect("/rooms/lobby?nick=ann") as ann:
        assert ann.receive_json() == {"event": "joined", "nick": "ann"}
        with client.websocket_connect("/rooms/lobby?nick=bob") as bob:
            assert ann.receive_json() == {"event": "joined", "nick": "bob"}
            assert bob.receive_json() == {"event": "joined", "nick": "bob"}
            assert client.get("/rooms/lobby").json() == {"members": ["ann", "bob"]}
            bob.send_text("hi ann")
            said = {"event": "said", "nick": "bob", "text": "hi ann"}
            assert ann.receive_json() == said
            assert bob.receive_json() == said
        assert ann.receive_json() == {"event": "left", "nick": "bob"}
    assert client.get("/rooms/lobby").json() == {"members": []}


def test_a_taken_nickname_is_refused(client: TestClient) -> None:
    with client.websocket_connect("/rooms/lobby?nick=ann") as ann:
        ann.receive_json()
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect("/rooms/lobby?nick=ann"),
        ):
            pass  # pragma: no cover - the handshake is refused
        assert (refused.value.code, refused.value.reason) == (4009, "nickname taken")


@pytest.mark.parametrize("nick", ["", "a b", "x" * 21], ids=["empty", "space", "too-long"])
def test_an_invalid_nickname_closes_with_policy_violation(client: TestClient, nick: str) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(f"/rooms/lobby?nick={nick}"),
    ):
        pass  # pragma: no cover - the handshake is refused
    assert refused.value.code == 1008
