"""The benchmark apps, written once per framework: the two files differ only in imports.

`app` serves scenarios (a)-(e), (h) and (i); `middleware_app()` builds (g) and
`routes_app(size)` builds (f). The letters match benchmarks/scenarios.py.
"""

import time
from typing import Annotated, Any

from pydantic import BaseModel

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import Response, StreamingResponse

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
CLEANUPS = [0]  # how many "DB sessions" were closed: checked by the harness


class Dimensions(BaseModel):
    width: float
    height: float
    depth: float


class Item(BaseModel):
    name: str
    price: float
    tags: list[str]
    dimensions: Dimensions


class UserInDB(BaseModel):
    id: int
    username: str
    email: str
    password_hash: str


class UserPublic(BaseModel):
    id: int
    username: str
    email: str


# (a) the smallest answer
@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "hello"}


# (b) a path parameter and two validated query parameters
@app.get("/items/{item_id}")
async def read_item(
    item_id: Annotated[int, Path(ge=1)],
    q: Annotated[str | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    return {"item_id": item_id, "q": q, "limit": limit}


# (c) and (e) a body model returned as the response model
@app.post("/items", status_code=201)
async def create_item(item: Item) -> Item:
    return item


# (d) a three-level dependency chain
async def get_token(authorization: Annotated[str, Header()]) -> str:
    if not authorization.startswith("Bearer "):
        raise HTTPException(401, "Not authenticated")
    return authorization.removeprefix("Bearer ")


async def get_session() -> Any:
    session = {"open": True}
    try:
        yield session
    finally:
        CLEANUPS[0] += 1


async def get_current_user(
    token: Annotated[str, Depends(get_token)], session: Annotated[Any, Depends(get_session)]
) -> UserInDB:
    return UserInDB(id=1, username=token, email=f"{token}@example.com", password_hash="x")


class Pagination:
    def __init__(self, skip: int = 0, limit: int = 10) -> None:
        self.skip = skip
        self.limit = limit


@app.get("/users/me", response_model=UserPublic)
async def read_me(
    user: Annotated[UserInDB, Depends(get_current_user)],
    page: Annotated[Pagination, Depends()],
) -> UserInDB:
    return user


# (h) a stream of 1,000 chunks
@app.get("/stream")
async def stream() -> StreamingResponse:
    async def chunks() -> Any:
        for _ in range(1000):
            yield b"x" * 16

    return StreamingResponse(chunks(), media_type="application/octet-stream")


# (i) a blocking endpoint, run in the thread pool
@app.get("/blocking")
def blocking() -> dict[str, bool]:
    time.sleep(0.001)
    return {"blocking": True}


# (g) two function middlewares, CORS and GZip around a 2 KB JSON answer
REPORT = {"rows": [{"id": index, "name": f"row {index}", "ok": True} for index in range(60)]}


def stamp(header: str) -> Any:
    async def add_header(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers[header] = "1"
        return response

    return add_header


def middleware_app() -> FastAPI:
    application = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    application.add_middleware(GZipMiddleware, minimum_size=500)
    application.add_middleware(CORSMiddleware, allow_origins=["https://example.com"])
    application.middleware("http")(stamp("x-inner"))
    application.middleware("http")(stamp("x-outer"))

    @application.get("/report")
    async def report() -> dict[str, Any]:
        return REPORT

    return application


# (f) many routes /r{i}/{id}; the scenarios hit the last one
def routes_app(size: int) -> FastAPI:
    application = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    for index in range(size):

        async def endpoint(id: int) -> dict[str, int]:
            return {"id": id}

        application.add_api_route(f"/r{index}/{{id}}", endpoint, methods=["GET"], name=f"r{index}")
    return application
