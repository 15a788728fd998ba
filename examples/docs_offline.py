"""Interactive docs with no internet: Swagger UI's files come from an installed package.

With the docs extra installed (`pip install "minifast[docs]"`), every app serves Swagger UI 5
and ReDoc 2 from the installed packages under /docs/assets/, so /docs and /redoc work on a plane
or behind a firewall. `swagger_ui_assets="local"` makes that a requirement: without the extra,
this app refuses to start instead of falling back to the CDN. Run
`uvicorn examples.docs_offline:app`, open http://127.0.0.1:8000/docs, unfold
`GET /items/{item_id}`, press "Try it out", then "Execute".
"""

from pydantic import BaseModel

from minifast import FastAPI, HTTPException

app = FastAPI(title="Offline docs", swagger_ui_assets="local")


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


ITEMS: dict[int, Item] = {1: Item(name="widget", price=9.5, tags=["tools"])}


@app.get("/items/{item_id}", tags=["items"])
async def read_item(item_id: int, with_tags: bool = True) -> Item:
    """One item by its id; `with_tags=false` leaves its tags out."""
    item = ITEMS.get(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return item if with_tags else item.model_copy(update={"tags": []})


@app.post("/items", status_code=201, tags=["items"])
async def create_item(item: Item) -> dict[str, int]:
    """Store an item; answers its new id."""
    item_id = max(ITEMS) + 1
    ITEMS[item_id] = item
    return {"id": item_id}
