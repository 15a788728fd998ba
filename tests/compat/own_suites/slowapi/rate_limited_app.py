"""A small shop API rate limited with slowapi, written as slowapi's users write it.

Three apps: `app` (FastAPI, SlowAPIMiddleware, per-route, shared and default limits, headers),
`asgi_app` (FastAPI with the pure ASGI middleware and a limit for the whole application) and
`starlette_app` (Starlette alone, with a handler of its own for the 429).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from slowapi.middleware import SlowAPIASGIMiddleware, SlowAPIMiddleware
from slowapi.util import get_remote_address
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route


def api_key(request: Request) -> str:
    """Count a caller by its API key rather than its address."""
    return request.headers.get("x-api-key", "anonymous")


limiter = Limiter(key_func=get_remote_address, default_limits=["5/minute"], headers_enabled=True)

app = FastAPI(title="shop")
app.state.limiter = limiter
app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)
app.add_middleware(SlowAPIMiddleware)


class Review(BaseModel):
    product: str
    stars: int


def current_shop(request: Request) -> str:
    return request.headers.get("x-shop", "main")


@app.get("/products")
@limiter.limit("2/minute")
async def list_products(request: Request, response: Response) -> dict[str, list[str]]:
    return {"products": ["kettle", "teapot"]}


@app.get("/stock/{product}")
@limiter.limit("3/minute")
def read_stock(product: str, request: Request, response: Response) -> dict[str, object]:
    return {"product": product, "stock": 7}


@app.get("/banner")
@limiter.limit("1/minute")
async def banner(request: Request) -> PlainTextResponse:
    return PlainTextResponse("spring sale")


@app.get("/catalog")
async def catalog() -> dict[str, int]:
    """No limit of its own: the limiter's default applies, checked by the middleware."""
    return {"pages": 12}


@app.get("/health")
@limiter.exempt
async def health(request: Request) -> dict[str, str]:
    return {"status": "ok"}


@app.get("/search/products")
@limiter.shared_limit("3/minute", scope="search")
async def search_products(request: Request, response: Response, q: str = "") -> dict[str, str]:
    return {"searched": "products", "q": q}


@app.get("/search/reviews")
@limiter.shared_limit("3/minute", scope="search")
async def search_reviews(request: Request, response: Response, q: str = "") -> dict[str, str]:
    return {"searched": "reviews", "q": q}


@app.get("/partners/orders")
@limiter.limit("2/minute", key_func=api_key)
async def partner_orders(request: Request, response: Response) -> dict[str, str]:
    return {"partner": api_key(request)}


@app.post("/reviews", status_code=201)
@limiter.limit("1/minute", error_message="One review a minute, please")
async def post_review(
    review: Review,
    request: Request,
    response: Response,
    shop: Annotated[str, Depends(current_shop)],
) -> dict[str, object]:
    return {"shop": shop, "product": review.product, "stars": review.stars}


@app.api_route("/wishlist", methods=["GET", "POST"], include_in_schema=False)
@limiter.limit("1/minute", methods=["POST"])
async def wishlist(request: Request, response: Response) -> dict[str, str]:
    return {"method": request.method}


orders = APIRouter(prefix="/orders", tags=["orders"])


@orders.get("/{order_id}")
@limiter.limit("2/minute")
async def read_order(order_id: int, request: Request, response: Response) -> dict[str, int]:
    return {"order_id": order_id}


app.include_router(orders)


# The pure ASGI middleware, and one limit over every route together.
asgi_limiter = Limiter(
    key_func=get_remote_address, application_limits=["3/minute"], headers_enabled=True
)
asgi_app = FastAPI()
asgi_app.state.limiter = asgi_limiter
asgi_app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)
asgi_app.add_middleware(SlowAPIASGIMiddleware)


@asgi_app.get("/news")
async def news() -> dict[str, str]:
    return {"news": "none"}


@asgi_app.get("/weather")
async def weather() -> dict[str, str]:
    return {"weather": "rain"}


# Starlette alone, with its own 429 body.
starlette_limiter = Limiter(key_func=get_remote_address, default_limits=["2/minute"])


async def too_many_requests(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimitExceeded)
    return JSONResponse({"detail": "slow down", "limit": exc.detail}, status_code=429)


@starlette_limiter.limit("1/minute")
async def homepage(request: Request) -> PlainTextResponse:
    return PlainTextResponse("welcome")


async def about(request: Request) -> JSONResponse:
    return JSONResponse({"about": "a shop"})


starlette_app = Starlette(
    routes=[Route("/", homepage), Route("/about", about)],
    middleware=[Middleware(SlowAPIMiddleware)],
    exception_handlers={RateLimitExceeded: too_many_requests},
)
starlette_app.state.limiter = starlette_limiter
