"""The lesson's Part 13 layout: one app, three routers in their own modules.

Run: `uvicorn examples.bigger_app.main:app`
"""

from examples.bigger_app.routers import items, orders, users
from minifast import FastAPI

app = FastAPI(title="My API", version="1.0.0")

app.include_router(users.router)
app.include_router(items.router)
app.include_router(orders.router, prefix="/v2")  # versioning at include time
