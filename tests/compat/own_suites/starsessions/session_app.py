"""A shop keeping carts and logins in server-side sessions, as starsessions' users write it.

`app` (FastAPI) loads every request's session up front and keeps it in memory; `make_app`
builds variants with other cookie settings and lifetimes; `starlette_app` (Starlette alone)
loads the session up front only under /account and elsewhere only where a route asks.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, WebSocket
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route
from starsessions import (
    InMemoryStore,
    SessionAutoloadMiddleware,
    SessionMiddleware,
    get_session_id,
    get_session_metadata,
    get_session_remaining_seconds,
    is_loaded,
    load_session,
    regenerate_session_id,
)


class Item(BaseModel):
    name: str
    quantity: int = 1


class Login(BaseModel):
    user: str


def cart(request: Request) -> list[dict[str, Any]]:
    """The session's cart, created empty on first use."""
    items: list[dict[str, Any]] = request.session.setdefault("cart", [])
    return items


Cart = Annotated[list[dict[str, Any]], Depends(cart)]
shop_routes = APIRouter()


@shop_routes.get("/cart")
async def read_cart(items: Cart) -> dict[str, Any]:
    return {"items": items}


@shop_routes.post("/cart", status_code=201)
async def add_to_cart(item: Item, items: Cart) -> Any:
    items.append(item.model_dump())
    return {"items": items}


@shop_routes.delete("/cart/{name}")
async def remove_from_cart(name: str, request: Request) -> dict[str, Any]:
    items = [item for item in request.session.get("cart", []) if item["name"] != name]
    request.session["cart"] = items
    if len(items) == 0:
        # The change above is kept all the same: the session is saved on the way out.
        raise HTTPException(status_code=409, detail="the cart is now empty")
    return {"items": items}


@shop_routes.post("/login")
async def login(credentials: Login, request: Request) -> dict[str, Any]:
    previous = get_session_id(request)
    request.session["user"] = credentials.user
    return {"previous": previous, "current": regenerate_session_id(request)}


@shop_routes.get("/whoami")
async def whoami(request: Request) -> dict[str, Any]:
    return {"user": request.session.get("user"), "session_id": get_session_id(request)}


@shop_routes.post("/logout")
async def logout(request: Request) -> dict[str, bool]:
    request.session.clear()
    return {"logged_out": True}


@shop_routes.post("/preferences")
async def save_preferences(preferences: dict[str, Any], request: Request) -> dict[str, Any]:
    request.session["preferences"] = preferences
    return {"saved": list(preferences)}


@shop_routes.get("/preferences")
async def read_preferences(request: Request) -> Any:
    return request.session.get("preferences")


@shop_routes.get("/session")
async def session_facts(request: Request) -> dict[str, Any]:
    metadata = get_session_metadata(request)
    return {
        "loaded": is_loaded(request),
        "lifetime": metadata["lifetime"],
        "created": metadata["created"],
        "remaining": get_session_remaining_seconds(request),
    }


@shop_routes.websocket("/ws/cart")
async def cart_updates(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"items": websocket.session.get("cart", []), "hello": True})
    await websocket.close()


def make_app(store: InMemoryStore, **session_options: Any) -> FastAPI:
    """The shop, its sessions kept in `store` with the given SessionMiddleware options."""
    shop = FastAPI()
    # The last added runs first: the session middleware must wrap the one that loads it.
    shop.add_middleware(SessionAutoloadMiddleware)
    shop.add_middleware(SessionMiddleware, store=store, **session_options)
    shop.include_router(shop_routes)
    return shop


store = InMemoryStore()
app = make_app(store, cookie_https_only=False)


# Starlette alone: loaded up front under /account only.
starlette_store = InMemoryStore()


async def account(request: Request) -> JSONResponse:
    visits = request.session.get("visits", 0) + 1
    request.session["visits"] = visits
    return JSONResponse({"visits": visits, "loaded": is_loaded(request)})


async def newsletter(request: Request) -> JSONResponse:
    loaded_before = is_loaded(request)
    await load_session(request)
    request.session["newsletter"] = True
    return JSONResponse({"loaded_before": loaded_before, "loaded": is_loaded(request)})


async def peek(request: Request) -> JSONResponse:
    """Reads the session without loading it: starsessions refuses."""
    return JSONResponse({"visits": request.session.get("visits")})


starlette_app = Starlette(
    routes=[
        Route("/account/visits", account),
        Route("/newsletter", newsletter, methods=["POST"]),
        Route("/peek", peek),
    ],
    middleware=[
        Middleware(SessionMiddleware, store=starlette_store, cookie_https_only=False),
        Middleware(SessionAutoloadMiddleware, paths=["/account"]),
    ],
)
