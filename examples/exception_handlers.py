"""The lesson's Part 9: a custom exception with its own handler, and a reshaped 422.

Run: `uvicorn examples.exception_handlers:app`. `GET /items/1` finds an item, `/items/99` raises
`ItemNotFoundError` (→ 404 from its handler), `/items/abc` fails validation (→ the 422 below),
and `/items/3` is archived: an expected error, answered with `HTTPException` and a header.
"""

from typing import Any

from minifast import FastAPI, HTTPException, Request, status
from minifast.exceptions import RequestValidationError
from minifast.responses import JSONResponse

app = FastAPI(title="Exception handlers")

# A stand-in for the database the lesson's `fetch_item` would query.
ITEMS: dict[int, dict[str, Any]] = {
    1: {"id": 1, "name": "widget", "archived": False},
    2: {"id": 2, "name": "gadget", "archived": False},
    3: {"id": 3, "name": "gizmo", "archived": True},
}


async def fetch_item(item_id: int) -> dict[str, Any] | None:
    """The stored item, or None."""
    return ITEMS.get(item_id)


# Custom exception class
class ItemNotFoundError(Exception):
    def __init__(self, item_id: int):
        self.item_id = item_id


# Register handler for your custom exception
@app.exception_handler(ItemNotFoundError)
async def item_not_found_handler(request: Request, exc: ItemNotFoundError) -> JSONResponse:
    return JSONResponse(
        status_code=status.HTTP_404_NOT_FOUND,
        content={"error": "item_not_found", "item_id": exc.item_id},
    )


# Override the default 422 validation error format
@app.exception_handler(RequestValidationError)
async def validation_exception_handler(
    request: Request, exc: RequestValidationError
) -> JSONResponse:
    errors = [
        {"field": " → ".join(str(loc) for loc in err["loc"]), "message": err["msg"]}
        for err in exc.errors()
    ]
    # The lesson writes HTTP_422_UNPROCESSABLE_ENTITY, the name RFC 9110 retired. It still works,
    # with a deprecation warning (in minifast as in FastAPI 0.163), so this uses the current name.
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"errors": errors},
    )


@app.get("/items/{item_id}")
async def get_item(item_id: int) -> dict[str, Any]:
    item = await fetch_item(item_id)
    if not item:
        raise ItemNotFoundError(item_id=item_id)  # custom exception
    if item["archived"]:
        # An expected refusal: HTTPException's default handler answers it, headers included.
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="Item is archived",
            headers={"X-Item-State": "archived"},
        )
    return item
