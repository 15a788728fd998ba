"""A streamed response stopped early when its client goes, on servers that would not tell it.

ASGI 2.4+ servers raise OSError from `send` once the client has gone; older ones only say so
with an `http.disconnect` message, so a stream also listens for that one while it sends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from minifast.types import Receive, Scope


def server_reports_disconnect(scope: Scope) -> bool:
    """ASGI 2.4+ servers raise OSError from `send` after a disconnect."""
    version = scope.get("asgi", {}).get("spec_version", "2.0")
    return tuple(int(part) for part in version.split(".")) >= (2, 4)


async def run_until_disconnect(receive: Receive, work: Callable[[], Awaitable[None]]) -> None:
    """Await `work`, cancelled early if the client disconnects (servers before ASGI 2.4).

    An error from `work` is re-raised as itself, not wrapped in the task group's
    ExceptionGroup, so exception handlers and the server see what the endpoint raised.
    """
    errors: list[Exception] = []
    async with anyio.create_task_group() as group:
        group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
        try:
            await work()
        except Exception as error:
            errors.append(error)
        group.cancel_scope.cancel()
    if errors:
        raise errors[0]


async def _cancel_on_disconnect(receive: Receive, cancel_scope: anyio.CancelScope) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            cancel_scope.cancel()
            return
