"""Running blocking code off the event loop, on anyio's worker threads."""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, ParamSpec, TypeVar

# PERF: anyio loads its `to_thread` and `lowlevel` modules, and with them its event-loop core, on
# first use (the first call in a thread, the first concurrency limit), not with minifast: -2 ms of
# start-up. Recent anyio releases load a submodule on first attribute access; older 4.x ones
# import both with the package, so `anyio.to_thread` resolves either way.
import anyio

P = ParamSpec("P")
T = TypeVar("T")


async def run_in_threadpool(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call a blocking function in a worker thread and await its result."""
    if kwargs:
        func = functools.partial(func, **kwargs)
    return await anyio.to_thread.run_sync(func, *args)


class _Exhausted(Exception):
    """Signals the end of a sync iterator across the thread boundary.

    StopIteration cannot cross it: raised inside a coroutine it would become RuntimeError.
    """


def _next_or_raise(iterator: Iterator[T]) -> T:
    try:
        return next(iterator)
    except StopIteration:
        raise _Exhausted from None


async def iterate_in_threadpool(iterable: Iterable[T]) -> AsyncIterator[T]:
    """Iterate a blocking iterable, one `next()` per worker-thread call."""
    iterator = iter(iterable)
    while True:
        try:
            yield await anyio.to_thread.run_sync(_next_or_raise, iterator)
        except _Exhausted:
            break


def is_async_callable(obj: Any) -> bool:
    """Whether calling `obj` returns an awaitable: async functions, partials, callable objects."""
    while isinstance(obj, functools.partial):
        obj = obj.func
    return inspect.iscoroutinefunction(obj) or (
        callable(obj) and inspect.iscoroutinefunction(type(obj).__call__)
    )


class ConcurrencyLimit:
    """At most `size` calls at once of one `Depends(..., max_concurrency=size)`.

    ASGI servers may run several event loops (a test client starts one per test); a semaphore
    belongs to the loop it was made in, so each loop gets its own, on first use.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._semaphores = _semaphores_by_loop()

    def semaphore(self) -> anyio.Semaphore:
        semaphores = self._semaphores.get(None)
        if semaphores is None:
            semaphores = weakref.WeakKeyDictionary()
            self._semaphores.set(semaphores)
        found = semaphores.get(self)
        if found is None:
            found = semaphores[self] = anyio.Semaphore(self.size)
        return found


@functools.cache
def _semaphores_by_loop() -> anyio.lowlevel.RunVar[
    weakref.WeakKeyDictionary[ConcurrencyLimit, anyio.Semaphore] | None
]:
    """The one run variable every limit keeps its semaphores in, made with the first limit."""
    return anyio.lowlevel.RunVar("minifast_dependency_semaphores")
