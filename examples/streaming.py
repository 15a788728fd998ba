"""Streaming answers: a JSON Lines feed and a Server-Sent Events ticker.

Run it: `uvicorn examples.streaming:app`, then `curl -N localhost:8000/orders` (one JSON
object per line) or `curl -N localhost:8000/ticker?count=5` (one event per tick). In a browser,
`new EventSource("/ticker")` receives each tick and reconnects with the last id it saw.
"""

import asyncio
from collections.abc import AsyncIterable, Iterator
from typing import Annotated

from pydantic import BaseModel

from minifast import FastAPI, Header, Query
from minifast.sse import EventSourceResponse, ServerSentEvent

app = FastAPI()


class Order(BaseModel):
    id: int
    product: str
    quantity: int


ORDERS = [Order(id=n, product=product, quantity=n) for n, product in enumerate("ABCDE", 1)]


# A generator endpoint streams: each Order is validated, then sent as one JSON line.
# A plain `def` generator is stepped in the thread pool, so it may block (read a file, a DB).
@app.get("/orders")
def order_feed(min_quantity: int = 0) -> Iterator[Order]:
    for order in ORDERS:
        if order.quantity >= min_quantity:
            yield order


class Tick(BaseModel):
    symbol: str
    price: float


# With EventSourceResponse each item is an event; a ServerSentEvent also names and numbers it.
@app.get("/ticker", response_class=EventSourceResponse)
async def ticker(
    count: Annotated[int, Query(ge=1, le=100)] = 10,
    interval: Annotated[float, Query(ge=0, le=5)] = 0.5,
    last_event_id: Annotated[int | None, Header()] = None,
) -> AsyncIterable[ServerSentEvent]:
    """A made-up price, once per interval; a reconnecting client resumes after its last id."""
    start = 0 if last_event_id is None else last_event_id + 1
    yield ServerSentEvent(retry=2000, comment="prices are made up")
    for n in range(start, start + count):
        tick = Tick(symbol="MINI", price=round(100 + (n * 7 % 13) / 10, 2))
        yield ServerSentEvent(data=tick, event="tick", id=str(n))
        await asyncio.sleep(interval)
