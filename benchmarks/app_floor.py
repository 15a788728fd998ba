"""The server's own cost: a bare ASGI app answering scenario (a) with (a)'s exact bytes.

No framework at all: it reads the request body, then sends the two messages. Served by the same
uvicorn and loaded by the same wrk as the benchmark apps, its req/s is the ceiling that both
frameworks' end-to-end figures share (see docs/performance.md, "End to end").
"""

from __future__ import annotations

from typing import Any

BODY = b'{"message":"hello"}'
START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-length", b"%d" % len(BODY)), (b"content-type", b"application/json")],
}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send(START)
    await send({"type": "http.response.body", "body": BODY})
