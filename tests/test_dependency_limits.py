"""`Depends(..., max_concurrency=n)`: at most n calls of a dependency at once, as in FastAPI."""

# No `from __future__ import annotations`: the apps are built inside a function.

from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import httpx
import pytest

from minifast import Depends
from tests.support import FRAMEWORKS, framework

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Gauge:
    """How many calls are inside at once, and the most there ever were."""

    def __init__(self) -> None:
        self.inside = 0
        self.most = 0

    async def hold(self) -> None:
        self.inside += 1
        self.most = max(self.most, self.inside)
        await anyio.sleep(0.01)
        self.inside -= 1


def build(name: str, gauge: Gauge) -> Any:
    fw = framework(name)
    app = fw.FastAPI()

    async def plain() -> str:
        await gauge.hold()
        return "plain"

    async def session() -> AsyncIterator[str]:
        gauge.inside += 1  # held from entry to exit: the endpoint runs inside
        gauge.most = max(gauge.most, gauge.inside)
        yield "session"
        await anyio.sleep(0.01)
        gauge.inside -= 1

    @app.get("/plain")
    async def use_plain(value: Annotated[str, fw.Depends(plain, max_concurrency=2)]) -> str:
        return value

    @app.get("/session")
    async def use_session(value: Annotated[str, fw.Depends(session, max_concurrency=1)]) -> str:
        await anyio.sleep(0.01)
        return value

    return app


@pytest.mark.parametrize("name", FRAMEWORKS)
@pytest.mark.parametrize(("path", "limit"), [("/plain", 2), ("/session", 1)])
async def test_at_most_max_concurrency_calls_at_once(name: str, path: str, limit: int) -> None:
    gauge = Gauge()
    transport = httpx.ASGITransport(app=build(name, gauge))
    answers: list[int] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def one() -> None:
            answers.append((await client.get(path)).status_code)

        async with anyio.create_task_group() as group:
            for _ in range(6):
                group.start_soon(one)
    assert answers == [200] * 6
    assert gauge.most == limit


@pytest.mark.parametrize("size", [0, -1, 1.5, "2"])
def test_max_concurrency_must_be_a_positive_integer(size: Any) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        Depends(lambda: None, max_concurrency=size)
