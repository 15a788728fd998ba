"""The app benchmarks/load.py drives, on the framework named by LOAD_FRAMEWORK.

`uvicorn benchmarks.load_app:app`: the same code on minifast (the default) or fastapi.
"""

import importlib
import os
import time
from typing import Annotated, Any

from pydantic import BaseModel

FRAMEWORK = os.environ.get("LOAD_FRAMEWORK", "minifast")
fw: Any = importlib.import_module(FRAMEWORK)

app = fw.FastAPI()


class Item(BaseModel):
    name: str
    price: float = 0


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/items/{item_id:int}")
async def read_item(item_id: int, q: str | None = None) -> dict[str, Any]:
    return {"item_id": item_id, "q": q}


@app.post("/items")
async def create_item(item: Item) -> Item:
    return item


@app.post("/any")
async def take_any(body: Annotated[Any, fw.Body()]):  # type: ignore[no-untyped-def]
    return {"echo": body}  # no model: written by JSONResponse, as FastAPI's default path


@app.get("/blocking")
def blocking() -> dict[str, float]:
    time.sleep(0.05)  # a blocking call: runs in the thread pool
    return {"slept": 0.05}
