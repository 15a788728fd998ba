"""Part 8 of the lesson: status codes and response classes."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from pydantic import BaseModel

from minifast import FastAPI, HTTPException, Response, status
from minifast.responses import FileResponse, JSONResponse, StreamingResponse

app = FastAPI()
REPORTS = Path(__file__).parent / "reports"
ITEMS: dict[int, "ItemBody"] = {}


class ItemBody(BaseModel):
    name: str
    price: float


class LoginRequest(BaseModel):
    username: str
    password: str


async def authenticate(credentials: LoginRequest) -> str:
    if credentials.password != "secret":
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Bad credentials")
    return f"token-for-{credentials.username}"


# Declarative status code
@app.post("/items", status_code=status.HTTP_201_CREATED)
async def create_item(item: ItemBody) -> ItemBody:
    return item


# Return 204 No Content (no body)
@app.delete("/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(item_id: int) -> None:
    ITEMS.pop(item_id, None)


# Dynamic status code via Response object
@app.put("/items/{item_id}")
async def upsert_item(item_id: int, item: ItemBody, response: Response) -> ItemBody:
    if item_id in ITEMS:
        response.status_code = status.HTTP_200_OK
    else:
        response.status_code = status.HTTP_201_CREATED
    ITEMS[item_id] = item
    return item


# JSONResponse for custom headers or cookies
@app.post("/login")
async def login(credentials: LoginRequest) -> JSONResponse:
    token = await authenticate(credentials)
    return JSONResponse(content={"access_token": token}, headers={"X-Token-Issued": "true"})


# FileResponse for downloads
@app.get("/report.pdf")
async def download_report() -> FileResponse:
    return FileResponse(REPORTS / "latest.pdf", media_type="application/pdf", filename="report.pdf")


# StreamingResponse for large or generated data
@app.get("/stream")
async def stream_data() -> StreamingResponse:
    async def generate() -> AsyncIterator[str]:
        for i in range(1000):
            yield f"data: {i}\n\n"
            if i % 100 == 99:
                await asyncio.sleep(0)  # let other requests run between batches

    return StreamingResponse(generate(), media_type="text/event-stream")
