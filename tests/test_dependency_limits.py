"""`Depends(..., max_concurrency=n)`: at most n calls of a dependency at once, as in FastAPI."""

# No `from __future__ import annotations`: the apps are built inside a function.

import dataclasses
import typing
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import httpx
import pytest

from minifast import Depends, FastAPI
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


def test_declaration_keeps_its_limit_where_fastapi_keeps_it() -> None:
    """COMPAT: tests reach the limit as FastAPI's: `Depends()._concurrency.get_semaphore()`."""

    def dependency() -> None: ...

    declaration = Depends(dependency, max_concurrency=2)
    same_size = dataclasses.replace(declaration, use_cache=False)
    other_size = dataclasses.replace(declaration, max_concurrency=3)
    assert same_size._concurrency is declaration._concurrency
    assert other_size._concurrency is not declaration._concurrency
    assert dataclasses.replace(declaration, max_concurrency=None)._concurrency is None
    # Equal-looking declarations stay apart, even through typing's cache of Annotated.
    twin = Depends(dependency, max_concurrency=2)
    assert twin != declaration
    assert typing.get_args(Annotated[int, twin])[1] is twin


async def test_cancelled_waiter_leaves_the_limit_as_it_was() -> None:
    entered: list[str] = []

    async def session() -> AsyncIterator[None]:
        entered.append("session")
        yield

    declaration = Depends(session, max_concurrency=1)
    app = FastAPI()

    @app.get("/")
    async def endpoint(_: Annotated[None, declaration]) -> str:
        return "ok"

    semaphore = declaration._concurrency.get_semaphore()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        async with semaphore:  # the only place is taken: the request waits for it
            with anyio.move_on_after(0.05) as waited:
                await client.get("/")
        assert waited.cancelled_caught
        assert semaphore.statistics().tasks_waiting == 0
        assert (await client.get("/")).json() == "ok"
    assert entered == ["session"]
    assert semaphore.value == 1
