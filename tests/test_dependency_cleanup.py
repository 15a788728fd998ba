"""A cancelled request still runs the exit code of every `yield` dependency it entered.

Each case runs on asyncio and on trio, on minifast and on FastAPI, and both must agree.
"""

# No `from __future__ import annotations`: the apps are built inside the tests.

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import anyio
import anyio.from_thread
import anyio.to_thread
import httpx
import pytest

from tests.support import FRAMEWORKS, framework

pytestmark = pytest.mark.anyio

SCOPES = ["function", "request"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def get(app: Any, external: anyio.CancelScope, path: str = "/") -> None:
    """Send one request inside `external`, which the app may cancel."""
    transport = httpx.ASGITransport(app=app)
    with anyio.fail_after(5):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            with external:
                await client.get(path)


def cancelling_endpoint(fw: Any, app: Any, external: anyio.CancelScope, **deps: Any) -> None:
    """GET / depends on `deps` and cancels the request from inside the endpoint."""

    @app.get("/", dependencies=[fw.Depends(dep, scope=scope) for dep, scope in deps.values()])
    async def endpoint() -> str:
        external.cancel()
        await anyio.sleep(0)
        return "unreachable"  # pragma: no cover


@pytest.mark.parametrize("name", FRAMEWORKS)
@pytest.mark.parametrize("scope", SCOPES)
async def test_cancelled_request_finishes_async_exit_code(name: str, scope: str) -> None:
    fw, events, external = framework(name), [], anyio.CancelScope()
    app = fw.FastAPI()

    async def session() -> AsyncIterator[None]:
        events.append("enter")
        try:
            yield
        finally:
            await anyio.sleep(0)  # would raise at once, were the exit not shielded
            events.append("exit")

    cancelling_endpoint(fw, app, external, session=(session, scope))
    await get(app, external)
    assert external.cancelled_caught
    assert events == ["enter", "exit"]


@pytest.mark.parametrize("name", FRAMEWORKS)
@pytest.mark.parametrize("inner_is_sync", [False, True], ids=["async-inner", "sync-inner"])
async def test_exit_code_runs_innermost_first(name: str, inner_is_sync: bool) -> None:
    fw, events, external = framework(name), [], anyio.CancelScope()
    app = fw.FastAPI()

    async def outer() -> AsyncIterator[None]:
        with anyio.CancelScope():  # a scope of its own, closed by its exit code
            try:
                yield
            finally:
                await anyio.sleep(0)
                events.append("outer")

    async def async_inner() -> AsyncIterator[None]:
        try:
            yield
        finally:
            await anyio.sleep(0)
            events.append("inner")

    def sync_inner() -> Iterator[None]:
        try:
            yield
        finally:
            anyio.from_thread.run(anyio.sleep, 0)
            events.append("inner")

    inner = sync_inner if inner_is_sync else async_inner
    cancelling_endpoint(fw, app, external, outer=(outer, "request"), inner=(inner, "request"))
    await get(app, external)
    assert events == ["inner", "outer"]


@pytest.mark.parametrize("name", FRAMEWORKS)
@pytest.mark.parametrize("scope", SCOPES)
async def test_dependency_owning_a_task_group_exits_in_order(name: str, scope: str) -> None:
    fw, events, external = framework(name), [], anyio.CancelScope()
    app = fw.FastAPI()

    async def child() -> None:
        try:
            await anyio.sleep_forever()
        finally:
            events.append("child stopped")

    async def workers() -> AsyncIterator[None]:
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(child)
                try:
                    yield
                finally:
                    group.cancel_scope.cancel()
        finally:
            await anyio.sleep(0)
            events.append("exit")

    cancelling_endpoint(fw, app, external, workers=(workers, scope))
    await get(app, external)
    assert external.cancelled_caught
    assert events == ["child stopped", "exit"]


@pytest.mark.parametrize("name", FRAMEWORKS)
async def test_an_error_in_exit_code_is_not_replaced_by_the_cancellation(name: str) -> None:
    fw, events, external = framework(name), [], anyio.CancelScope()
    app = fw.FastAPI()

    async def outer() -> AsyncIterator[None]:
        try:
            yield
        finally:
            await anyio.sleep(0)
            events.append("outer")

    async def inner() -> AsyncIterator[None]:
        try:
            yield
        finally:
            raise LookupError("exit failed")

    cancelling_endpoint(fw, app, external, outer=(outer, "request"), inner=(inner, "request"))
    with pytest.raises(LookupError, match="exit failed"):
        await get(app, external)
    assert events == ["outer"]


@pytest.mark.parametrize("name", FRAMEWORKS)
@pytest.mark.parametrize("scope", SCOPES)
async def test_sync_exit_code_needs_no_free_worker(name: str, scope: str) -> None:
    fw, events, external = framework(name), [], anyio.CancelScope()
    app = fw.FastAPI()

    borrower = object()

    def session() -> Iterator[None]:
        events.append("enter")
        try:
            yield
        finally:
            events.append("exit")

    @app.get("/")
    async def endpoint(_: Annotated[None, fw.Depends(session, scope=scope)]) -> str:
        # Every worker is taken from here on: exit code waiting for one would never run.
        await anyio.to_thread.current_default_thread_limiter().acquire_on_behalf_of(borrower)
        external.cancel()
        await anyio.sleep(0)
        return "unreachable"  # pragma: no cover

    try:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens, total = 1, limiter.total_tokens
        await get(app, external)
    finally:
        limiter.release_on_behalf_of(borrower)
        limiter.total_tokens = total
    assert events == ["enter", "exit"]


@pytest.mark.parametrize("name", FRAMEWORKS)
async def test_cancelled_entry_is_not_exited(name: str) -> None:
    fw, events, external = framework(name), [], anyio.CancelScope()
    app = fw.FastAPI()

    async def slow() -> AsyncIterator[None]:
        external.cancel()
        try:
            await anyio.sleep(0)
            yield  # pragma: no cover
        finally:
            events.append("entry interrupted")

    @app.get("/")
    async def endpoint(_: Annotated[None, fw.Depends(slow)]) -> str:
        return "unreachable"  # pragma: no cover

    await get(app, external)
    assert external.cancelled_caught
    assert events == ["entry interrupted"]
