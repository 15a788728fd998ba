"""Running blocking code off the event loop, on anyio's worker threads."""

from __future__ import annotations

import functools
import inspect
import warnings
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any, ParamSpec, TypeVar

# PERF: anyio loads its `to_thread` and `lowlevel` modules, and with them its event-loop core, on
# first use (the first call in a thread, the first concurrency limit), not with minifast: -2 ms of
# start-up. Recent anyio releases load a submodule on first attribute access; older 4.x ones
# import both with the package, so `anyio.to_thread` resolves either way.
import anyio

from minifast.exceptions import FastAPIDeprecationWarning

P = ParamSpec("P")
T = TypeVar("T")


async def run_in_threadpool(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call a blocking function in a worker thread and await its result."""
    if kwargs:
        func = functools.partial(func, **kwargs)
    return await anyio.to_thread.run_sync(func, *args)


async def run_until_first_complete(
    *calls: tuple[Callable[..., Awaitable[Any]], dict[str, Any]],
) -> None:
    """Run `func(**kwargs)` for each pair at once; when the first returns, cancel the others.

    COMPAT: kept, deprecated (a UserWarning, so that it shows), as Starlette keeps it; a task
    group says the same more plainly.
    """
    warnings.warn(
        "run_until_first_complete is deprecated: use an anyio task group",
        FastAPIDeprecationWarning,
        stacklevel=2,
    )
    async with anyio.create_task_group() as group:
        for func, kwargs in calls:
            group.start_soon(_then_cancel, group.cancel_scope, functools.partial(func, **kwargs))


async def _then_cancel(scope: anyio.CancelScope, func: Callable[[], Awaitable[Any]]) -> None:
    await func()
    scope.cancel()


@asynccontextmanager
async def contextmanager_in_threadpool(manager: AbstractContextManager[T]) -> AsyncIterator[T]:
    """A blocking context manager used from async code: enter and exit run in worker threads.

    The exit code runs to its end even when the caller is cancelled (a thread cannot be
    interrupted anyway, and a half-released resource is worse than a late cancellation). It
    runs under a limiter of its own, not the shared pool's: exit code that had to wait for a
    free worker could deadlock with the very requests waiting for what it releases.
    """
    value = await anyio.to_thread.run_sync(manager.__enter__)
    try:
        yield value
    except BaseException as error:
        if not await _exit_in_thread(manager, error):
            raise
    else:
        await _exit_in_thread(manager, None)


async def _exit_in_thread(
    manager: AbstractContextManager[Any], error: BaseException | None
) -> bool:
    """Run `__exit__` in a worker thread, shielded from cancellation; whether it suppressed."""
    details = (None, None, None) if error is None else (type(error), error, error.__traceback__)
    with anyio.CancelScope(shield=True):
        suppressed = await anyio.to_thread.run_sync(
            manager.__exit__, *details, limiter=anyio.CapacityLimiter(1)
        )
    return bool(suppressed)


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
    """At most `max_concurrency` calls at once of one `Depends(..., max_concurrency=n)`.

    ASGI servers may run several event loops (a test client starts one per test); a semaphore
    belongs to the loop it was made in, so each loop gets its own, on first use. COMPAT: the
    names `max_concurrency` and `get_semaphore()` are those of FastAPI's `Depends._concurrency`.
    """

    def __init__(self, max_concurrency: int) -> None:
        self.max_concurrency = max_concurrency
        self._semaphores = _semaphores_by_loop()

    def get_semaphore(self) -> anyio.Semaphore:
        semaphores = self._semaphores.get(None)
        if semaphores is None:
            semaphores = weakref.WeakKeyDictionary()
            self._semaphores.set(semaphores)
        found = semaphores.get(self)
        if found is None:
            found = semaphores[self] = anyio.Semaphore(self.max_concurrency)
        return found


@functools.cache
def _semaphores_by_loop() -> anyio.lowlevel.RunVar[
    weakref.WeakKeyDictionary[ConcurrencyLimit, anyio.Semaphore] | None
]:
    """The one run variable every limit keeps its semaphores in, made with the first limit."""
    return anyio.lowlevel.RunVar("minifast_dependency_semaphores")
