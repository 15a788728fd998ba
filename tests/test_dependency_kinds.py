"""How a dependency is called: seen through partials, decorators and `__call__`, as in FastAPI."""

# No `from __future__ import annotations` here: the apps are built inside functions. The
# stringified annotations are in tests/_stringified_dependency.py.

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import pytest
from typing_extensions import TypeAliasType

from minifast import Depends, FastAPI
from minifast.concurrency import run_in_threadpool
from minifast.testclient import TestClient
from tests import _stringified_dependency


def passing_through(func: Callable[..., Any]) -> Callable[..., Any]:
    """A sync decorator that keeps `__wrapped__`: the wrapped function's kind shows."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def awaited(func: Callable[..., Any]) -> Callable[..., Any]:
    """An async decorator around a sync function: the decorator's own kind counts."""

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(func, *args, **kwargs)

    return wrapper


async def async_value(prefix: str) -> str:
    return f"{prefix}-async"


def sync_session(prefix: str) -> Iterator[str]:
    yield f"{prefix}-sync-session"


async def async_session(prefix: str) -> AsyncIterator[str]:
    yield f"{prefix}-async-session"


class AsyncCallable:
    async def __call__(self, prefix: str) -> str:
        return f"{prefix}-async-object"


class WrappedGenerator:
    @passing_through
    def __call__(self) -> Iterator[str]:
        yield "wrapped-generator-object"


def sync_value() -> str:
    return "awaited-sync"


CASES: dict[str, tuple[Callable[..., Any], str]] = {
    "partial-async": (functools.partial(async_value, "p"), "p-async"),
    "partial-sync-generator": (functools.partial(sync_session, "p"), "p-sync-session"),
    "partial-async-generator": (functools.partial(async_session, "p"), "p-async-session"),
    "partial-async-object": (functools.partial(AsyncCallable(), "p"), "p-async-object"),
    "wrapped-generator": (passing_through(functools.partial(sync_session, "w")), "w-sync-session"),
    "wrapped-generator-object": (WrappedGenerator(), "wrapped-generator-object"),
    "async-wrapper-of-sync": (awaited(sync_value), "awaited-sync"),
}


@pytest.mark.parametrize(("dependency", "expected"), CASES.values(), ids=CASES.keys())
def test_dependency_kind_shows_through_wrappers(dependency: Any, expected: str) -> None:
    app = FastAPI()

    @app.get("/")
    async def endpoint(value: Annotated[str, Depends(dependency)]) -> str:
        return value

    assert TestClient(app).get("/").json() == expected


async def forty_two() -> int:
    return 42


Answer = TypeAliasType("Answer", Annotated[int, Depends(forty_two)], type_params=())


def test_type_alias_of_annotated_declares_a_dependency() -> None:
    app = FastAPI()

    @app.get("/")
    async def endpoint(value: Answer) -> int:
        return value

    assert TestClient(app).get("/").json() == 42


def test_return_annotation_for_type_checkers_only_is_not_resolved() -> None:
    app = FastAPI()

    @app.get("/")
    async def endpoint(
        client: Annotated[str, Depends(_stringified_dependency.get_client)],
    ) -> str:
        return client

    assert TestClient(app).get("/").json() == "client"


def test_unresolvable_parameter_annotation_fails_at_registration() -> None:
    app = FastAPI()
    with pytest.raises(NameError, match="Missing"):
        app.get("/")(_stringified_dependency.needs_missing_type)
