"""The example app `make run` serves: the lesson's opening puzzle grown into a small API.

Run it with `make run` (or `uvicorn examples.main:app`), then try:
    curl -s localhost:8000/items -H 'content-type: application/json' \
         -d '{"name": "widget", "price": 9.99}'
    curl -s localhost:8000/items/1
    curl -s 'localhost:8000/items?q=wid'
"""

from typing import Annotated

from pydantic import BaseModel

from minifast import APIRouter, FastAPI, HTTPException, Path, Query, status


class Item(BaseModel):
    name: str
    price: float
    description: str | None = None


class StoredItem(Item):
    id: int


app = FastAPI(title="Inventory API", version="1.0.0")
router = APIRouter(prefix="/items", tags=["items"])
ITEMS: dict[int, StoredItem] = {}


@app.get("/")
async def index() -> dict[str, str]:
    return {"message": "minifast example: see /items"}


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_item(item: Item) -> StoredItem:
    stored = StoredItem(id=len(ITEMS) + 1, **item.model_dump())
    ITEMS[stored.id] = stored
    return stored


@router.get("")
async def list_items(
    q: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[StoredItem]:
    found = [item for item in ITEMS.values() if q is None or q in item.name]
    return found[:limit]


@router.get("/{item_id}")
async def get_item(item_id: Annotated[int, Path(ge=1)]) -> StoredItem:
    if item_id not in ITEMS:
        raise HTTPException(status_code=404, detail="Item not found")
    return ITEMS[item_id]


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(item_id: int) -> None:
    if ITEMS.pop(item_id, None) is None:
        raise HTTPException(status_code=404, detail="Item not found")


app.include_router(router)
