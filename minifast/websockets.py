"""WebSocket connections: the object an endpoint talks through, and how one ends."""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from minifast.exceptions import WebSocketException
from minifast.requests import HTTPConnection
from minifast.types import Message, Receive, Scope, Send

if TYPE_CHECKING:
    from minifast.responses import Response


class WebSocketDisconnected(RuntimeError):
    """The websocket was used after it closed, or before it was accepted."""


class WebSocketClose:
    """An ASGI app that closes the websocket with a code: a refusal before `accept`."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "websocket.close", "code": self.code, "reason": self.reason})


class WebSocketDisconnect(Exception):
    """The other side closed the websocket, with a close code and an optional reason."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        # COMPAT: FastAPI's exception normalises a missing reason to "", as do we.
        self.code = code
        self.reason = reason or ""
        super().__init__(code, self.reason)


class WebSocketState(enum.Enum):
    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2
    RESPONSE = 3


class WebSocket(HTTPConnection):
    """One websocket connection: accept it, exchange messages, close it."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        super().__init__(scope)
        self._receive = receive
        self._send = send
        self.client_state = WebSocketState.CONNECTING
        self.application_state = WebSocketState.CONNECTING

    async def receive(self) -> Message:
        """The next ASGI message; the connection's state follows what it says."""
        if self.client_state is WebSocketState.DISCONNECTED:
            raise WebSocketDisconnected(
                "cannot receive once a disconnect message has been received"
            )
        message = await self._receive()
        expected = _EXPECTED_FROM_CLIENT[self.client_state]
        if message["type"] not in expected:
            raise RuntimeError(f"expected one of {sorted(expected)}, got {message['type']!r}")
        if message["type"] == "websocket.connect":
            self.client_state = WebSocketState.CONNECTED
        elif message["type"] == "websocket.disconnect":
            self.client_state = WebSocketState.DISCONNECTED
        return message

    async def send(self, message: Message) -> None:
        """Send an ASGI message; the application's state follows what it says."""
        if self.application_state is WebSocketState.DISCONNECTED:
            raise WebSocketDisconnected("cannot send once the websocket is closed")
        kind = message["type"]
        expected = _EXPECTED_FROM_APP[self.application_state]
        if kind not in expected:
            raise RuntimeError(f"expected one of {sorted(expected)}, got {kind!r}")
        try:
            await self._send(message)
        except OSError:
            self.application_state = WebSocketState.DISCONNECTED
            raise WebSocketDisconnect(code=1006) from None
        if kind == "websocket.accept":
            self.application_state = WebSocketState.CONNECTED
        elif kind == "websocket.http.response.start":
            self.application_state = WebSocketState.RESPONSE
        elif kind == "websocket.close" or not message.get("more_body", True):
            self.application_state = WebSocketState.DISCONNECTED  # closed, or refused in full

    async def accept(
        self,
        subprotocol: str | None = None,
        headers: Iterable[tuple[bytes, bytes]] | None = None,
    ) -> None:
        if self.client_state is WebSocketState.CONNECTING:
            await self.receive()  # ASGI: the "websocket.connect" message comes first
        await self.send(
            {"type": "websocket.accept", "subprotocol": subprotocol, "headers": list(headers or [])}
        )

    def _raise_on_disconnect(self, message: Message) -> None:
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))

    async def receive_text(self) -> str:
        return _text_of(await self._receive_data())

    async def receive_bytes(self) -> bytes:
        return _bytes_of(await self._receive_data())

    async def receive_json(self, mode: str = "text") -> Any:
        if mode not in ("text", "binary"):
            raise RuntimeError('the "mode" argument should be "text" or "binary"')
        message = await self._receive_data()
        if mode == "text":
            return json.loads(_text_of(message))
        try:
            return json.loads(_bytes_of(message).decode("utf-8"))
        except UnicodeDecodeError:
            raise WebSocketException(1007, "Expected UTF-8 JSON") from None

    async def _receive_data(self) -> Message:
        """The next data frame's message; a disconnect raises WebSocketDisconnect."""
        self._require_accepted()
        message = await self.receive()
        self._raise_on_disconnect(message)
        return message

    def _require_accepted(self) -> None:
        if self.application_state is not WebSocketState.CONNECTED:
            raise WebSocketDisconnected('the websocket is not connected: call "accept" first')

    async def iter_text(self) -> AsyncIterator[str]:
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            pass

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            pass

    async def iter_json(self) -> AsyncIterator[Any]:
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            pass

    async def send_text(self, data: str) -> None:
        await self.send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self.send({"type": "websocket.send", "bytes": data})

    async def send_json(self, data: Any, mode: str = "text") -> None:
        if mode not in ("text", "binary"):
            raise RuntimeError('the "mode" argument should be "text" or "binary"')
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "text":
            await self.send({"type": "websocket.send", "text": text})
        else:
            await self.send({"type": "websocket.send", "bytes": text.encode("utf-8")})

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self.send({"type": "websocket.close", "code": code, "reason": reason or ""})

    async def send_denial_response(self, response: Response) -> None:
        """Refuse the handshake with an HTTP response instead of a bare close.

        ASGI: only through the websocket denial extension, which the server must offer.
        """
        if "websocket.http.response" not in self.scope.get("extensions", {}):
            raise RuntimeError("the server does not offer the websocket denial response extension")
        await response(self.scope, self.receive, as_denial(self.scope, self.send))


def _text_of(message: Message) -> str:
    """A text frame's text. A binary frame closes the websocket with 1003 (unsupported data).

    FastAPI fails with a KeyError there: the endpoint ends with a server error (1011) and a
    traceback, for what a client chose to send.
    """
    text = message.get("text")
    if text is None:
        raise WebSocketException(1003, "Expected a text frame")
    return str(text)


def _bytes_of(message: Message) -> bytes:
    """A binary frame's bytes; a text frame closes the websocket with 1003, as _text_of."""
    data = message.get("bytes")
    if data is None:
        raise WebSocketException(1003, "Expected a binary frame")
    return bytes(data)


def as_denial(scope: Scope, send: Send) -> Send:
    """`send` for an HTTP answer that refuses the connection.

    ASGI: a websocket handshake is refused with an HTTP response through the websocket denial
    extension, whose messages are the HTTP ones prefixed with "websocket.".
    """
    if scope["type"] == "http":
        return send

    async def send_denial(message: Message) -> None:
        await send({**message, "type": f"websocket.{message['type']}"})

    return send_denial


# A second "websocket.accept" is refused: the handshake happens once.
_EXPECTED_FROM_APP = {
    WebSocketState.CONNECTING: frozenset(
        {"websocket.accept", "websocket.close", "websocket.http.response.start"}
    ),
    WebSocketState.CONNECTED: frozenset({"websocket.send", "websocket.close"}),
    WebSocketState.RESPONSE: frozenset({"websocket.http.response.body"}),
}
_EXPECTED_FROM_CLIENT = {
    WebSocketState.CONNECTING: frozenset({"websocket.connect"}),
    WebSocketState.CONNECTED: frozenset({"websocket.receive", "websocket.disconnect"}),
}
