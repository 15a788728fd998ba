"""A static site next to an API: `uvicorn examples.static_site:app`, then open /."""

from pathlib import Path

from minifast import FastAPI
from minifast.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

app = FastAPI()


@app.get("/api/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


# Mounted last: routes registered before it win, every other path is looked up in STATIC.
# html=True serves index.html for "/" and for directories.
app.mount("/", StaticFiles(directory=STATIC, html=True), name="static")
