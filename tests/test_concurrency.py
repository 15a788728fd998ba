"""Blocking code off the event loop: run_in_threadpool, iterate_in_threadpool, is_async_callable."""

from __future__ import annotations

import functools
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest

from minifast.concurrency import (
    contextmanager_in_threadpool,
    is_async_callable,
    iterate_in_threadpool,
    run_in_threadpool,
    run_until_first_complete,
)
from minifast.exceptions import FastAPIDeprecationWarning

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def describe(a: int, b: int = 0, *, c: str = "-") -> tuple[int, int, str, int]:
    """Echo the arguments and the thread that ran it."""
    return a, b, c, threading.get_ident()


async def test_run_in_threadpool_positional() -> None:
    a, b, c, thread = await run_in_threadpool(describe, 1, 2)
    assert (a, b, c) == (1, 2, "-")
    assert thread != threading.get_ident()


async def test_run_in_threadpool_keywords() -> None:
    a, b, c, thread = await run_in_threadpool(describe, 1, b=5, c="kw")
    assert (a, b, c) == (1, 5, "kw")
    assert thread != threading.get_ident()


async def test_run_in_threadpool_propagates_errors() -> None:
    def fail() -> None:
        raise LookupError("from the worker")

    with pytest.raises(LookupError, match="from the worker"):
        await run_in_threadpool(fail)


async def collect(iterator: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in iterator]


class CountDown:
    """A hand-written iterator: its own __next__ raises StopIteration."""

    def __init__(self, start: int) -> None:
        self.current = start

    def __iter__(self) -> CountDown:
        return self

    def __next__(self) -> int:
        if self.current == 0:
            raise StopIteration
        self.current -= 1
        return self.current + 1


@pytest.mark.parametrize(
    ("iterable", "expected"),
    [([1, 2, 3], [1, 2, 3]), ([], []), (CountDown(3), [3, 2, 1]), ("ab", ["a", "b"])],
    ids=["list", "empty", "iterator-class", "string"],
)
async def test_iterate_in_threadpool(iterable: Any, expected: list[Any]) -> None:
    assert await collect(iterate_in_threadpool(iterable)) == expected


async def test_iterate_in_threadpool_runs_each_step_in_a_worker() -> None:
    threads: list[int] = []

    def produce() -> Iterator[int]:
        for number in range(3):
            threads.append(threading.get_ident())
            yield number

    assert await collect(iterate_in_threadpool(produce())) == [0, 1, 2]
    assert len(threads) == 3
    assert threading.get_ident() not in threads


async def test_iterate_in_threadpool_propagates_errors() -> None:
    def produce() -> Iterator[int]:
        yield 1
        raise ValueError("mid-stream")

    seen: list[int] = []
    with pytest.raises(ValueError, match="mid-stream"):
        async for item in iterate_in_threadpool(produce()):
            seen.append(item)
    assert seen == [1]


async def async_function() -> None: ...


def sync_function() -> None: ...


async def async_generator() -> AsyncIterator[int]:
    yield 1  # pragma: no cover - only inspected


class AsyncCall:
    async def __call__(self) -> None: ...


class SyncCall:
    def __call__(self) -> None: ...


class AsyncMethod:
    async def method(self) -> None: ...


IS_ASYNC_CASES = {
    "async-function": (async_function, True),
    "sync-function": (sync_function, False),
    "lambda": (lambda: None, False),
    "async-generator-function": (async_generator, False),
    "partial-of-async": (functools.partial(async_function), True),
    "nested-partial-of-async": (functools.partial(functools.partial(async_function)), True),
    "partial-of-sync": (functools.partial(sync_function), False),
    "instance-async-call": (AsyncCall(), True),
    "instance-sync-call": (SyncCall(), False),
    "partial-of-async-instance": (functools.partial(AsyncCall()), True),
    # Calling the class builds an instance, which is not awaitable.
    "class-with-async-call": (AsyncCall, False),
    "bound-async-method": (AsyncMethod().method, True),
    "not-callable": (42, False),
    "builtin": (len, False),
}


@pytest.mark.parametrize(("obj", "expected"), IS_ASYNC_CASES.values(), ids=IS_ASYNC_CASES)
def test_is_async_callable(obj: Any, expected: bool) -> None:
    assert is_async_callable(obj) is expected


class Recorder:
    """A blocking context manager that notes the thread and arguments of each call."""

    def __init__(self, *, fail_enter: bool = False, suppress: bool = False) -> None:
        self.fail_enter, self.suppress = fail_enter, suppress
        self.threads: list[int] = []
        self.exits: list[type[BaseException] | None] = []

    def __enter__(self) -> str:
        self.threads.append(threading.get_ident())
        if self.fail_enter:
            raise OSError("no connection")
        return "connection"

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> bool:
        self.threads.append(threading.get_ident())
        self.exits.append(kind)
        return self.suppress


async def test_contextmanager_in_threadpool_enters_and_exits_in_workers() -> None:
    manager = Recorder()
    async with contextmanager_in_threadpool(manager) as value:
        assert value == "connection"
    assert manager.exits == [None]
    assert threading.get_ident() not in manager.threads


@pytest.mark.parametrize(("suppress", "raised"), [(False, True), (True, False)])
async def test_contextmanager_in_threadpool_hands_the_error_to_exit(
    suppress: bool, raised: bool
) -> None:
    manager = Recorder(suppress=suppress)
    try:
        async with contextmanager_in_threadpool(manager):
            raise KeyError("body failed")
    except KeyError:
        assert raised
    else:
        assert not raised
    assert manager.exits == [KeyError]


async def test_contextmanager_in_threadpool_does_not_exit_what_failed_to_enter() -> None:
    manager = Recorder(fail_enter=True)
    with pytest.raises(OSError, match="no connection"):
        async with contextmanager_in_threadpool(manager):
            pass  # pragma: no cover
    assert manager.exits == []


async def test_contextmanager_in_threadpool_exits_when_cancelled() -> None:
    manager = Recorder()
    with anyio.CancelScope() as scope:
        async with contextmanager_in_threadpool(manager):
            scope.cancel()
            await anyio.sleep(0)
    assert scope.cancelled_caught
    assert manager.exits == [anyio.get_cancelled_exc_class()]


async def test_run_until_first_complete_cancels_the_others() -> None:
    finished: list[str] = []

    async def quick(label: str) -> None:
        finished.append(label)

    async def forever() -> None:
        await anyio.sleep_forever()

    with pytest.warns(FastAPIDeprecationWarning, match="deprecated"):
        await run_until_first_complete((forever, {}), (quick, {"label": "quick"}))
    assert finished == ["quick"]
