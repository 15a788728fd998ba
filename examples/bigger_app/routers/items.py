"""The items router: public."""

from examples.bigger_app.models import Item
from minifast import APIRouter

router = APIRouter(prefix="/items", tags=["items"])


@router.get("/")
async def list_items() -> list[Item]:
    return [Item(id=1, name="widget")]
