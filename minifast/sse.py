# How an SSE endpoint streams: the route saw at registration that the endpoint is a generator
# and that its response class is an EventSourceResponse (see serialization.py). Per request,
# each yielded item becomes one event: a ServerSentEvent as its fields say, anything else as a
# `data:` line holding its JSON. A producer task pulls the items while the response sends them,
# so that a ping comment can go out whenever the endpoint stays idle for `_PING_INTERVAL`
# seconds (proxies drop silent connections). An error from the endpoint reaches the server as
# itself, after the events before it were sent. The task ends with the response: when the
# client goes, the endpoint's generator is cancelled at its next `await`.
"""Server-Sent Events: `EventSourceResponse`, `ServerSentEvent`, and their wire format."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Annotated, Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from pydantic import AfterValidator, BaseModel, Field, model_validator

from minifast._json_text import finite_json
from minifast.background import BackgroundTask
from minifast.encoders import jsonable_encoder
from minifast.responses import EventSourceResponse
from minifast.types import Receive, Scope, Send

KEEPALIVE_COMMENT = b": ping\n\n"
_PING_INTERVAL: float = 15.0  # seconds of silence before a ping; tests may patch it


def _single_line(value: str | None, name: str) -> str | None:
    """Refuse a value that would end its SSE field early."""
    if value is not None and ("\n" in value or "\r" in value):
        raise ValueError(f"SSE '{name}' must be a single line")
    return value


def _valid_event(value: str | None) -> str | None:
    return _single_line(value, "event")


def _valid_id(value: str | None) -> str | None:
    """COMPAT: a NUL makes browsers ignore the id, so it is refused, as FastAPI does."""
    if value is not None and "\0" in value:
        raise ValueError("SSE 'id' must not contain null characters")
    return _single_line(value, "id")


class ServerSentEvent(BaseModel):
    """One event, for an endpoint that sets more than its data: event name, id, retry, comment.

    `data` is sent as JSON (a string too gets quotes); `raw_data` is sent as written.
    """

    data: Any = None
    raw_data: str | None = None
    event: Annotated[str | None, AfterValidator(_valid_event)] = None
    id: Annotated[str | None, AfterValidator(_valid_id)] = None
    retry: Annotated[int | None, Field(ge=0)] = None  # milliseconds before a reconnection
    comment: str | None = None  # `:` lines, which clients ignore; each line of it is one

    @model_validator(mode="after")
    def _one_kind_of_data(self) -> ServerSentEvent:
        if self.data is not None and self.raw_data is not None:
            raise ValueError(
                "Cannot set both 'data' and 'raw_data' on the same ServerSentEvent. Use 'data' "
                "for JSON-serialized payloads or 'raw_data' for pre-formatted strings."
            )
        return self


def format_sse_event(
    *,
    data_str: str | None = None,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """One event on the wire, from data already made text; it ends with the blank line."""
    lines = [f": {line}" for line in _lines_of(comment)]
    if event is not None:
        lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in _lines_of(data_str))
    if id is not None:
        lines.append(f"id: {id}")
    if retry is not None:
        lines.append(f"retry: {retry}")
    return "\n".join([*lines, "", ""]).encode()  # COMPAT: an empty event is one "\n"


def _lines_of(text: str | None) -> list[str]:
    """The lines of a field, split where SSE ends a line (CRLF, CR or LF); none for None."""
    if text is None:
        return []
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _encode_event(item: Any, dump: Callable[[Any], bytes]) -> bytes:
    """One yielded item as an event; `dump` writes a plain item's JSON (validated if typed).

    COMPAT: a ServerSentEvent is not checked against the endpoint's item type, as in FastAPI.
    """
    if not isinstance(item, ServerSentEvent):
        return format_sse_event(data_str=dump(item).decode())
    data = item.raw_data
    if data is None and item.data is not None:
        data = _event_json(item.data)
    return format_sse_event(
        data_str=data, event=item.event, id=item.id, retry=item.retry, comment=item.comment
    )


def _event_json(data: Any) -> str:
    """COMPAT: a model writes its own compact JSON; other data goes through json.dumps."""
    if isinstance(data, BaseModel):
        return data.model_dump_json()
    return json.dumps(finite_json(jsonable_encoder(data)))


class EventStream(EventSourceResponse):
    """What an SSE endpoint answers: its items as events, and pings while it is idle."""

    def __init__(
        self,
        items: AsyncGenerator[Any, None],
        dump: Callable[[Any], bytes],
        status_code: int,
        background: BackgroundTask | None,
    ) -> None:
        super().__init__(items, status_code, background=background)
        self.headers["Cache-Control"] = "no-cache"
        self.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
        self._items = items
        self._dump = dump
        self._error: Exception | None = None
        self._last_sent = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send while a task produces; an error of either is raised as itself, not grouped."""
        sender, receiver = anyio.create_memory_object_stream[bytes]()
        self.body_iterator = self._relay(receiver)
        error: Exception | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(self._produce, sender)
            try:
                await super().__call__(scope, receive, send)
            except Exception as exc:
                error = exc
            group.cancel_scope.cancel()  # a HEAD request, or a client gone: stop producing
        if error is not None:
            raise error

    async def _relay(self, receiver: MemoryObjectReceiveStream[bytes]) -> AsyncIterator[bytes]:
        async with receiver:
            async for chunk in receiver:
                yield chunk
        if self._error is not None:
            raise self._error  # the body stops short: a failed stream gets no clean end

    async def _produce(self, sender: MemoryObjectSendStream[bytes]) -> None:
        self._last_sent = anyio.current_time()
        async with sender, anyio.create_task_group() as pings:
            pings.start_soon(self._ping, sender.clone())
            try:
                async for item in self._items:
                    await sender.send(_encode_event(item, self._dump))
                    self._last_sent = anyio.current_time()
            except Exception as error:
                self._error = error
            finally:
                # Cancelled while the response waits (a client gone): the generator is
                # closed now, its `finally` run, rather than whenever it is collected.
                await self._items.aclose()
            pings.cancel_scope.cancel()

    async def _ping(self, sender: MemoryObjectSendStream[bytes]) -> None:
        """A comment whenever nothing was sent for `_PING_INTERVAL` seconds."""
        async with sender:
            while True:
                await anyio.sleep_until(self._last_sent + _PING_INTERVAL)
                if anyio.current_time() >= self._last_sent + _PING_INTERVAL:
                    await sender.send(KEEPALIVE_COMMENT)
                    self._last_sent = anyio.current_time()


__all__ = ["KEEPALIVE_COMMENT", "EventSourceResponse", "ServerSentEvent", "format_sse_event"]
