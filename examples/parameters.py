"""Part 4 of the lesson: path, query and body parameters, each found from the signature."""

from typing import Annotated

from pydantic import BaseModel

from minifast import FastAPI, Path, Query

app = FastAPI()


class ItemBody(BaseModel):
    name: str
    price: float
    description: str | None = None


@app.get("/items/{item_id}")
async def get_item(
    # Path parameter - inferred from {item_id} in route
    item_id: Annotated[int, Path(ge=1, description="The item ID, must be >= 1")],
    # Query parameters - everything else that is not a BaseModel
    q: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    include_deleted: bool = False,
) -> dict[str, object]:
    return {"item_id": item_id, "q": q, "include_deleted": include_deleted}


@app.post("/items")
async def create_item(
    # Request body - Pydantic model
    item: ItemBody,
    # Query parameter alongside a body - explicit with Annotated
    dry_run: Annotated[bool, Query(description="If true, validate but do not save")] = False,
) -> ItemBody:
    return item
