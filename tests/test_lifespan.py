"""Routers' lifespans and start-up handlers, nested into the app's as FastAPI nests them."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from minifast import APIRouter, FastAPI
from minifast.testclient import TestClient
from tests.support import FRAMEWORKS, framework


def build(name: str, log: list[str]) -> Any:
    """An app with a lifespan, including a router with one, including a router with handlers."""
    fw = framework(name)

    @contextlib.asynccontextmanager
    async def app_lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        log.append("app up")
        yield {"a": 1, "shared": "app"}
        log.append("app down")

    @contextlib.asynccontextmanager
    async def router_lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        log.append(f"router up, given the {type(app).__name__} app")
        yield {"r": 2, "shared": "router"}
        log.append("router down")

    inner = fw.APIRouter(
        on_startup=[lambda: log.append("inner start")],
        on_shutdown=[lambda: log.append("inner stop")],
    )
    router = fw.APIRouter(lifespan=router_lifespan)

    @router.get("/state")
    def state(request: fw.Request) -> dict[str, Any]:
        return {key: getattr(request.state, key) for key in ("a", "r", "shared")}

    router.include_router(inner)
    app = fw.FastAPI(lifespan=app_lifespan)
    app.include_router(router)
    return app


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_included_lifespans_nest_and_merge_state(name: str) -> None:
    log: list[str] = []
    with TestClient(build(name, log)) as client:
        assert client.get("/state").json() == {"a": 1, "r": 2, "shared": "app"}
    app_name = "FastAPI" if name == "fastapi" else "MiniFast"
    assert log == [
        "app up",
        f"router up, given the {app_name} app",
        "inner start",
        "inner stop",
        "router down",
        "app down",
    ]


def test_router_handlers_run_once_inside_the_apps() -> None:
    """FastAPI runs an included router's start-up handlers twice; minifast runs them once."""
    log: list[str] = []
    app = FastAPI(on_startup=[lambda: log.append("app start")])
    router = APIRouter()
    router.add_event_handler("startup", lambda: log.append("router start"))

    with pytest.warns(DeprecationWarning, match="on_event is deprecated"):

        @router.on_event("shutdown")
        def router_stop() -> None:
            log.append("router stop")

    app.include_router(router)
    with pytest.warns(DeprecationWarning, match="on_event is deprecated"):

        @app.on_event("shutdown")
        async def app_stop() -> None:
            log.append("app stop")

    with TestClient(app):
        assert log == ["app start", "router start"]
    assert log == ["app start", "router start", "router stop", "app stop"]
