"""Sync callables that only move values run on the event loop; any other keeps the thread pool."""

from __future__ import annotations

import abc
import dataclasses
import functools
from typing import Annotated, Any

import anyio.to_thread
import pytest

from minifast import Depends, FastAPI
from minifast._nonblocking import cannot_block
from minifast.testclient import TestClient


class Pagination:
    def __init__(self, skip: int = 0, limit: int = 10) -> None:
        self.skip = skip
        self.limit = limit


class Slotted:
    __slots__ = ("skip",)

    def __init__(self, skip: int = 0) -> None:
        self.skip = skip


class NoInit:
    pass


class Nested:
    def __init__(self, skip: int = 0) -> None:
        self.window = {"skip": skip, "pages": [skip, skip + 1]}  # `+` may call __add__


class Containers:
    def __init__(self, skip: int = 0) -> None:
        self.window = {"skip": skip, "pages": [skip, 1], "pair": (skip, None)}


class Computes:
    def __init__(self, skip: int = 0) -> None:
        self.skip = max(skip, 0)


class WithProperty:
    def __init__(self, skip: int = 0) -> None:
        self.skip = skip

    @property
    def skip(self) -> int:
        return self._skip

    @skip.setter
    def skip(self, value: int) -> None:
        self._skip = value


class WithSetattr:
    def __init__(self, skip: int = 0) -> None:
        self.skip = skip

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)


class WithNew:
    def __new__(cls, skip: int = 0) -> WithNew:
        return super().__new__(cls)

    def __init__(self, skip: int = 0) -> None:
        self.skip = skip


class Meta(type):
    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return super().__call__(*args, **kwargs)


class WithMetaclass(metaclass=Meta):
    def __init__(self, skip: int = 0) -> None:
        self.skip = skip


class HidingMeta(type):
    def __getattribute__(cls, name: str) -> Any:
        if name == "__setattr__":
            return object.__setattr__
        return super().__getattribute__(name)


class HiddenSetattr(metaclass=HidingMeta):
    def __init__(self, skip: int = 0) -> None:
        self.skip = skip

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)


class StaticInit:
    @staticmethod
    def __init__(into: Any = None, skip: int = 0) -> None:  # type: ignore[misc]
        into.skip = skip


class WithDel:
    __slots__ = ("skip",)

    def __init__(self, skip: int = 0) -> None:
        self.skip = skip

    def __del__(self) -> None:
        pass


class Abstract(abc.ABC):  # noqa: B024 - ABCMeta builds it as type does
    def __init__(self, skip: int = 0) -> None:
        self.skip = skip


class StoresElsewhere:
    def __init__(self, skip: int = 0, into: Any = None) -> None:
        into.skip = skip


@dataclasses.dataclass
class Plain:
    skip: int = 0


@dataclasses.dataclass
class WithFactory:
    skip: int = 0
    seen: list[int] = dataclasses.field(default_factory=list)


class Callable_:
    def __call__(self, skip: int = 0) -> int:
        return skip


def literal() -> dict[str, Any]:
    return {"Hello": "World", "list": [1, 2], "none": None}


def echo(skip: int = 0, q: str | None = None) -> dict[str, Any]:
    return {"skip": skip, "q": q}


def identity(skip: int = 0) -> int:
    return skip


def keyed_by_argument(q: str = "x") -> dict[str, int]:
    return {q: 1}


def reads_global(skip: int = 0) -> int:
    return skip + LIMIT


def sleeps() -> None:
    import time

    time.sleep(0)


LIMIT = 10
INLINE = [Pagination, Slotted, NoInit, Containers, Plain, Abstract, literal, echo, identity, object]
THREADED = [
    Nested,
    Computes,
    WithProperty,
    WithSetattr,
    WithNew,
    WithMetaclass,
    HiddenSetattr,
    StaticInit,
    WithDel,
    StoresElsewhere,
    WithFactory,
    Callable_(),
    functools.partial(identity, skip=1),
    keyed_by_argument,
    reads_global,
    sleeps,
    dict,
    print,
]


@pytest.mark.parametrize("call", INLINE, ids=lambda call: call.__name__)
def test_code_that_only_moves_values_cannot_block(call: Any) -> None:
    assert cannot_block(call)


@pytest.mark.parametrize("call", THREADED, ids=lambda call: getattr(call, "__name__", repr(call)))
def test_code_that_may_run_user_code_keeps_the_thread_pool(call: Any) -> None:
    assert not cannot_block(call)


@pytest.fixture
def thread_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The functions handed to the thread pool while the test runs."""
    calls: list[Any] = []
    run_sync = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(func)
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return calls


def test_a_class_dependency_storing_its_arguments_runs_without_a_thread(
    thread_calls: list[Any],
) -> None:
    app = FastAPI()

    @app.get("/items")
    async def read(page: Annotated[Pagination, Depends()]) -> dict[str, int]:
        return {"skip": page.skip, "limit": page.limit}

    response = TestClient(app).get("/items", params={"skip": 5})
    assert (response.status_code, response.json()) == (200, {"skip": 5, "limit": 10})
    assert thread_calls == []


def test_a_literal_endpoint_runs_without_a_thread(thread_calls: list[Any]) -> None:
    app = FastAPI()
    app.get("/")(literal)
    response = TestClient(app).get("/")
    assert response.json() == {"Hello": "World", "list": [1, 2], "none": None}
    assert thread_calls == []


def test_a_dependency_that_computes_runs_in_a_thread(thread_calls: list[Any]) -> None:
    app = FastAPI()

    @app.get("/items")
    async def read(page: Annotated[Computes, Depends()]) -> dict[str, int]:
        return {"skip": page.skip}

    response = TestClient(app).get("/items", params={"skip": -3})
    assert (response.status_code, response.json()) == (200, {"skip": 0})
    assert len(thread_calls) == 1
