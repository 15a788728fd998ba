"""The WebSocket object, driven by scripted receive/send, against Starlette's WebSocket."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import starlette.websockets as reference

from minifast.datastructures import Address
from minifast.requests import HTTPConnection
from minifast.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from tests.support import http_scope

CONNECT = {"type": "websocket.connect"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def websocket_scope() -> dict[str, Any]:
    scope = {**http_scope(path="/chat", query=b"room=1", headers=[(b"cookie", b"c=1")])}
    del scope["method"]
    return {**scope, "type": "websocket", "scheme": "ws", "subprotocols": ["chat"]}


@dataclass
class Peer:
    """The server side of one connection: messages to hand out, and messages sent to it."""

    incoming: list[dict[str, Any]]
    sent: list[dict[str, Any]] = field(default_factory=list)
    fail_send_at: int | None = None  # raise OSError on this send, as a server whose client left

    async def receive(self) -> Any:
        if not self.incoming:
            raise AssertionError("the application read more messages than the client sent")
        return self.incoming.pop(0)

    async def send(self, message: Any) -> None:
        if self.fail_send_at == len(self.sent):
            raise OSError("connection lost")
        self.sent.append(dict(message))


def text(data: str) -> dict[str, Any]:
    return {"type": "websocket.receive", "text": data}


def binary(data: bytes) -> dict[str, Any]:
    return {"type": "websocket.receive", "bytes": data}


def gone(code: int = 1001, reason: str | None = "bye") -> dict[str, Any]:
    return {"type": "websocket.disconnect", "code": code, "reason": reason}


def connect(*incoming: dict[str, Any]) -> tuple[WebSocket, Peer]:
    peer = Peer([CONNECT, *incoming])
    return WebSocket(websocket_scope(), peer.receive, peer.send), peer


# --- the handshake --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_accept_with_subprotocol_and_headers() -> None:
    websocket, peer = connect()
    assert (websocket.client_state, websocket.application_state) == (
        WebSocketState.CONNECTING,
        WebSocketState.CONNECTING,
    )
    await websocket.accept("chat", ((b"x-token", b"1"),))
    accept = {"type": "websocket.accept", "subprotocol": "chat", "headers": [(b"x-token", b"1")]}
    assert peer.sent == [accept]
    assert (websocket.client_state, websocket.application_state) == (
        WebSocketState.CONNECTED,
        WebSocketState.CONNECTED,
    )


@pytest.mark.anyio
async def test_accept_defaults() -> None:
    websocket, peer = connect()
    await websocket.accept()
    assert peer.sent == [{"type": "websocket.accept", "subprotocol": None, "headers": []}]


@pytest.mark.anyio
async def test_accept_after_reading_connect_does_not_read_again() -> None:
    websocket, peer = connect()
    assert await websocket.receive() == CONNECT
    assert websocket.client_state is WebSocketState.CONNECTED
    await websocket.accept()
    assert len(peer.sent) == 1  # and Peer would raise if asked for a second message
    assert websocket.application_state is WebSocketState.CONNECTED


@pytest.mark.anyio
async def test_close_before_accept_denies_the_connection() -> None:
    websocket, peer = connect()
    assert await websocket.receive() == CONNECT
    await websocket.close(1008)
    assert peer.sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]
    assert websocket.application_state is WebSocketState.DISCONNECTED


# --- messages -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_receive_text_bytes_and_json() -> None:
    websocket, _ = connect(
        text("hé"), binary(b"\x00\xff"), text('{"a": [1]}'), binary('{"b": "é"}'.encode())
    )
    await websocket.accept()
    assert await websocket.receive_text() == "hé"
    assert await websocket.receive_bytes() == b"\x00\xff"
    assert await websocket.receive_json() == {"a": [1]}
    assert await websocket.receive_json(mode="binary") == {"b": "é"}


@pytest.mark.anyio
async def test_send_text_bytes_and_json() -> None:
    websocket, peer = connect()
    await websocket.accept()
    await websocket.send_text("hé")
    await websocket.send_bytes(b"\x00")
    await websocket.send_json({"a": [1, 2], "é": None})
    await websocket.send_json({"b": "é"}, mode="binary")
    assert peer.sent[1:] == [
        {"type": "websocket.send", "text": "hé"},
        {"type": "websocket.send", "bytes": b"\x00"},
        {"type": "websocket.send", "text": '{"a":[1,2],"é":null}'},  # compact, not ASCII-escaped
        {"type": "websocket.send", "bytes": '{"b":"é"}'.encode()},
    ]


ITERATORS: dict[str, tuple[str, list[dict[str, Any]], list[Any]]] = {
    "text": ("iter_text", [text("a"), text("b")], ["a", "b"]),
    "bytes": ("iter_bytes", [binary(b"a"), binary(b"b")], [b"a", b"b"]),
    "json": ("iter_json", [text("1"), text('{"x": 2}')], [1, {"x": 2}]),
    "empty": ("iter_text", [], []),
}


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "incoming", "expected"), ITERATORS.values(), ids=ITERATORS)
async def test_iterators_end_at_disconnect(
    method: str, incoming: list[dict[str, Any]], expected: list[Any]
) -> None:
    websocket, peer = connect(*incoming, gone())
    await websocket.accept()
    assert [item async for item in getattr(websocket, method)()] == expected
    assert websocket.client_state is WebSocketState.DISCONNECTED
    assert peer.incoming == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("code", "reason", "sent"),
    [(1000, None, ""), (4001, "policy", "policy"), (1000, "", "")],
    ids=["defaults", "code-and-reason", "empty-reason"],
)
async def test_close(code: int, reason: str | None, sent: str) -> None:
    websocket, peer = connect()
    await websocket.accept()
    await websocket.close(code, reason)
    assert peer.sent[-1] == {"type": "websocket.close", "code": code, "reason": sent}
    assert websocket.application_state is WebSocketState.DISCONNECTED


# --- disconnects ----------------------------------------------------------------------------

DISCONNECTS: dict[str, tuple[dict[str, Any], int, str]] = {
    "code-and-reason": (gone(4000, "done"), 4000, "done"),
    "no-reason": ({"type": "websocket.disconnect", "code": 1001}, 1001, ""),
    "reason-none": (gone(1006, None), 1006, ""),
    "no-code": ({"type": "websocket.disconnect"}, 1000, ""),
}


@pytest.mark.anyio
@pytest.mark.parametrize("reader", ["receive_text", "receive_bytes", "receive_json"])
@pytest.mark.parametrize(("message", "code", "reason"), DISCONNECTS.values(), ids=DISCONNECTS)
async def test_disconnect_message_raises(
    reader: str, message: dict[str, Any], code: int, reason: str
) -> None:
    websocket, _ = connect(message)
    await websocket.accept()
    with pytest.raises(WebSocketDisconnect) as caught:
        await getattr(websocket, reader)()
    assert (caught.value.code, caught.value.reason) == (code, reason)
    assert websocket.client_state is WebSocketState.DISCONNECTED


@pytest.mark.anyio
@pytest.mark.parametrize("fail_at", [0, 1], ids=["on-accept", "on-send"])
async def test_oserror_from_send_is_a_disconnect(fail_at: int) -> None:
    """ASGI 2.4: a server raises OSError from send() once the client has gone."""
    peer = Peer([CONNECT], fail_send_at=fail_at)
    websocket = WebSocket(websocket_scope(), peer.receive, peer.send)
    with pytest.raises(WebSocketDisconnect) as caught:
        await websocket.accept()
        await websocket.send_text("lost")
    assert (caught.value.code, caught.value.reason) == (1006, "")
    assert caught.value.__cause__ is None
    assert websocket.application_state is WebSocketState.DISCONNECTED
    with pytest.raises(RuntimeError, match="closed"):
        await websocket.send_text("again")


def test_websocket_disconnect_exception() -> None:
    default = WebSocketDisconnect()
    assert (default.code, default.reason, default.args) == (1000, "", (1000, ""))
    assert WebSocketDisconnect(4000, "x").args == (4000, "x")
    assert WebSocketDisconnect(reason=None).reason == ""


# --- the state machine ----------------------------------------------------------------------


async def _accept(websocket: WebSocket) -> None:
    await websocket.accept()


async def _send_before_accept(websocket: WebSocket) -> None:
    await websocket.send_text("early")


async def _accept_twice(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.accept()


async def _send_after_close(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.close()
    await websocket.send_text("late")


async def _receive_after_disconnect(websocket: WebSocket) -> None:
    await websocket.accept()
    assert await websocket.receive() == gone()
    await websocket.receive()


async def _connect_again(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.receive()


async def _read_before_accept(websocket: WebSocket) -> None:
    await websocket.receive_text()


async def _read_bytes_before_accept(websocket: WebSocket) -> None:
    await websocket.receive_bytes()


async def _read_json_before_accept(websocket: WebSocket) -> None:
    await websocket.receive_json()


async def _receive_json_bad_mode(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.receive_json(mode="xml")


async def _send_json_bad_mode(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({}, mode="xml")


Script = Callable[[Any], Awaitable[None]]
MISUSES: dict[str, tuple[list[dict[str, Any]], Script, str]] = {
    "send-before-accept": ([CONNECT], _send_before_accept, "websocket.send"),
    "accept-twice": ([CONNECT], _accept_twice, "websocket.accept"),
    "send-after-close": ([CONNECT], _send_after_close, "closed"),
    "receive-after-disconnect": ([CONNECT, gone()], _receive_after_disconnect, "disconnect"),
    "first-message-not-connect": ([text("x")], _accept, "websocket.receive"),
    "connect-twice": ([CONNECT, CONNECT], _connect_again, "websocket.connect"),
    "receive-text-before-accept": ([CONNECT], _read_before_accept, "accept"),
    "receive-bytes-before-accept": ([CONNECT], _read_bytes_before_accept, "accept"),
    "receive-json-before-accept": ([CONNECT], _read_json_before_accept, "accept"),
    "receive-json-bad-mode": ([CONNECT], _receive_json_bad_mode, "mode"),
    "send-json-bad-mode": ([CONNECT], _send_json_bad_mode, "mode"),
}


@pytest.mark.anyio
@pytest.mark.parametrize(("incoming", "script", "match"), MISUSES.values(), ids=MISUSES)
async def test_misuse_is_a_runtime_error(
    incoming: list[dict[str, Any]], script: Script, match: str
) -> None:
    peer = Peer(list(incoming))
    with pytest.raises(RuntimeError, match=match):
        await script(WebSocket(websocket_scope(), peer.receive, peer.send))
    # Starlette refuses the same misuse (its errors subclass RuntimeError).
    peer = Peer(list(incoming))
    with pytest.raises(RuntimeError):
        await script(reference.WebSocket(websocket_scope(), peer.receive, peer.send))


# --- differential: one conversation on each framework ---------------------------------------


async def _echo(websocket: Any) -> list[Any]:
    await websocket.accept("chat", [(b"x-a", b"1")])
    received = [await websocket.receive_text(), await websocket.receive_bytes()]
    received.append(await websocket.receive_json(mode="binary"))
    await websocket.send_text(received[0])
    await websocket.send_bytes(received[1])
    await websocket.send_json(received[2], mode="binary")
    await websocket.send_json({"n": [1, "é"]})
    received += [item async for item in websocket.iter_json()]
    return received


async def _receive_until_gone(websocket: Any) -> list[Any]:
    await websocket.accept()
    try:
        while True:
            await websocket.receive_text()
    except (WebSocketDisconnect, reference.WebSocketDisconnect) as exc:
        return [type(exc).__name__, exc.code, exc.reason]


async def _deny(websocket: Any) -> list[Any]:
    await websocket.close(4003, "nope")
    return [websocket.client_state.name, websocket.application_state.name]


CONVERSATIONS: dict[str, tuple[list[dict[str, Any]], Callable[[Any], Awaitable[list[Any]]]]] = {
    "echo": ([CONNECT, text("hi"), binary(b"\x01"), binary(b"[1]"), text("2"), gone()], _echo),
    "disconnect": ([CONNECT, text("a"), gone(4000, None)], _receive_until_gone),
    "deny-before-connect": ([], _deny),
}


@pytest.mark.anyio
@pytest.mark.parametrize(("incoming", "conversation"), CONVERSATIONS.values(), ids=CONVERSATIONS)
async def test_conversation_matches_starlette(
    incoming: list[dict[str, Any]], conversation: Callable[[Any], Awaitable[list[Any]]]
) -> None:
    ours, theirs = Peer(list(incoming)), Peer(list(incoming))
    ours_result = await conversation(WebSocket(websocket_scope(), ours.receive, ours.send))
    theirs_result = await conversation(
        reference.WebSocket(websocket_scope(), theirs.receive, theirs.send)
    )
    assert ours_result == theirs_result
    assert ours.sent == theirs.sent


# --- the connection view --------------------------------------------------------------------


def test_websocket_is_a_connection() -> None:
    scope = websocket_scope()
    websocket = WebSocket(scope, Peer([]).receive, Peer([]).send)
    assert isinstance(websocket, HTTPConnection)
    assert websocket.url == "ws://testserver/chat?room=1"
    assert websocket.query_params["room"] == "1"
    assert websocket.cookies == {"c": "1"}
    assert websocket.client == Address("127.0.0.1", 50000)
    assert websocket["subprotocols"] == ["chat"]
    assert websocket._headers is not None  # built by cookies above, and kept
    assert websocket.headers is websocket._headers


def test_state_values_match_starlette() -> None:
    ours = {state.name: state.value for state in WebSocketState}
    assert ours == {state.name: state.value for state in reference.WebSocketState}
