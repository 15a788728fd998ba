"""The lesson's opening puzzle: one model, one handler, validation and a 422 for free.

POST /items {"name": "widget", "price": 9.99}            → 200, the item back
POST /items {"name": "widget", "price": "not_a_number"}  → 422, float_parsing at body.price
POST /items {"name": "widget"}                           → 422, price missing
"""

from pydantic import BaseModel

from minifast import FastAPI

app = FastAPI()


class Item(BaseModel):
    name: str
    price: float


@app.post("/items")
async def create_item(item: Item) -> Item:
    return item
