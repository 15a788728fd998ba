"""The orders router, included under /v2 by main.py."""

from examples.bigger_app.models import Order
from minifast import APIRouter

router = APIRouter(prefix="/orders", tags=["orders"])


@router.get("/{order_id}")
async def get_order(order_id: int) -> Order:
    return Order(id=order_id, item_id=1, quantity=2)
