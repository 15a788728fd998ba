"""The lesson's Level 1 quiz: predict the status and body of five requests.

GET /search?q=py                     → 200 {"q": "py", "page": 1, "size": 20}
GET /search?q=p                      → 422, q too short
GET /search?q=python&page=0          → 422, page below 1
GET /search?page=1&size=20           → 422, q missing
GET /search?q=python&page=1&size=200 → 422, size above 100
"""

from typing import Annotated

from minifast import FastAPI, Query

app = FastAPI()


@app.get("/search")
async def search(
    q: Annotated[str, Query(min_length=2, max_length=50)],
    page: Annotated[int, Query(ge=1, le=500)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, object]:
    return {"q": q, "page": page, "size": size}
