"""The lesson's Part 10: two `@app.middleware("http")` functions, then CORS and GZip classes.

Run: `uvicorn examples.middleware:app`. Order: the last added is the outermost, so a request
meets GZip, then CORS, then `log_requests`, then `add_request_id`, then the route.
"""

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from minifast import FastAPI, Query, Request, Response
from minifast.middleware.cors import CORSMiddleware
from minifast.middleware.gzip import GZipMiddleware

app = FastAPI(title="Middleware")
CallNext = Callable[[Request], Awaitable[Response]]


@app.get("/items")
async def list_items(
    request: Request, count: Annotated[int, Query(ge=0, le=1000)] = 10
) -> dict[str, object]:
    """Some items; GZip compresses them for clients that accept it.

    `count` is bounded, or a client could ask for an answer of any size (the fuzz tests did).
    COMPAT: behind `@app.middleware("http")` the body reaches GZip as a stream, and a stream is
    compressed whatever its size (`minimum_size` applies to whole bodies), as in FastAPI.
    """
    items = [{"id": index, "name": f"item {index}"} for index in range(count)]
    return {"request_id": request.state.request_id, "items": items}


# --- Method 1: decorator syntax ---
@app.middleware("http")
async def add_request_id(request: Request, call_next: CallNext) -> Response:
    request_id = str(uuid.uuid4())
    request.state.request_id = request_id
    response = await call_next(request)
    response.headers["X-Request-ID"] = request_id
    return response


@app.middleware("http")
async def log_requests(request: Request, call_next: CallNext) -> Response:
    start = time.perf_counter()
    response = await call_next(request)
    duration_ms = (time.perf_counter() - start) * 1000
    print(
        f"method={request.method} path={request.url.path} "
        f"status={response.status_code} duration_ms={duration_ms:.1f}"
    )
    return response


# --- Method 2: add_middleware (for class-based middleware) ---
app.add_middleware(
    CORSMiddleware,
    allow_origins=["https://app.example.com"],
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
)

app.add_middleware(GZipMiddleware, minimum_size=1000)
