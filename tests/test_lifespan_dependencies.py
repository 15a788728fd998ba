"""Lifespan-scoped dependencies: built once, shared by every request, closed at shutdown."""

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import anyio
import pytest

from minifast import Depends, FastAPI
from minifast.exceptions import FastAPIError
from minifast.testclient import TestClient
from tests.support import call_asgi, http_scope


def pool_app(log: list[str]) -> tuple[FastAPI, Any]:
    def settings() -> dict[str, str]:
        log.append("settings")
        return {"dsn": "sqlite://"}

    async def get_pool(
        config: Annotated[dict[str, str], Depends(settings, scope="lifespan")],
    ) -> AsyncIterator[dict[str, Any]]:
        log.append("pool open")
        yield {"dsn": config["dsn"], "id": len(log)}
        log.append("pool closed")

    Pool = Annotated[dict[str, Any], Depends(get_pool, scope="lifespan")]
    app = FastAPI()

    @app.get("/a")
    async def first(pool: Pool) -> Any:
        return pool

    @app.get("/b")
    def second(pool: Pool) -> Any:
        return pool

    return app, get_pool


def test_built_at_startup_shared_and_closed_at_shutdown() -> None:
    log: list[str] = []
    app, _ = pool_app(log)
    with TestClient(app) as client:
        assert log == ["settings", "pool open"]
        answers = [client.get(path).json() for path in ("/a", "/b", "/a")]
        assert answers == [{"dsn": "sqlite://", "id": 2}] * 3
    assert log == ["settings", "pool open", "pool closed"]


def test_without_startup_the_first_request_builds_it_once() -> None:
    log: list[str] = []
    app, _ = pool_app(log)

    async def concurrent_first_requests() -> list[bytes]:
        bodies: list[bytes] = []

        async def one(path: str) -> None:
            bodies.append((await call_asgi(app, http_scope("GET", path))).body)

        async with anyio.create_task_group() as group:
            for path in ("/a", "/b", "/a", "/b"):
                group.start_soon(one, path)
        return bodies

    bodies = anyio.run(concurrent_first_requests)
    assert bodies == [b'{"dsn":"sqlite://","id":2}'] * 4
    assert log == ["settings", "pool open"]


def test_overridden_in_tests() -> None:
    log: list[str] = []
    app, get_pool = pool_app(log)

    def fake_pool() -> Iterator[dict[str, Any]]:
        yield {"dsn": "fake", "id": 0}
        log.append("fake closed")

    app.dependency_overrides[get_pool] = fake_pool
    with TestClient(app) as client:
        assert client.get("/a").json() == {"dsn": "fake", "id": 0}
    assert log == ["fake closed"]


def test_a_lifespan_dependency_cannot_read_the_request() -> None:
    def per_user(token: str) -> str:
        return token

    app = FastAPI()

    def endpoint(value: Annotated[str, Depends(per_user, scope="lifespan")]) -> str:
        return value

    with pytest.raises(FastAPIError, match="per_user is lifespan-scoped"):
        app.get("/")(endpoint)


def test_a_lifespan_dependency_cannot_need_a_request_scoped_one() -> None:
    def request_scoped() -> int:
        return 1

    def shared(value: Annotated[int, Depends(request_scoped)]) -> int:
        return value

    app = FastAPI()

    def endpoint(value: Annotated[int, Depends(shared, scope="lifespan")]) -> int:
        return value

    with pytest.raises(FastAPIError, match="shared is lifespan-scoped"):
        app.get("/")(endpoint)


def test_a_failing_cleanup_is_reported_as_a_failed_shutdown() -> None:
    async def fragile() -> AsyncIterator[int]:
        yield 1
        raise RuntimeError("cannot close")

    app = FastAPI()

    @app.get("/")
    def endpoint(value: Annotated[int, Depends(fragile, scope="lifespan")]) -> int:
        return value

    with pytest.raises(RuntimeError, match="cannot close"), TestClient(app) as client:
        assert client.get("/").json() == 1
