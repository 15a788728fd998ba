"""Lifespans: the `lifespan=` argument normalised, on_startup/on_shutdown lists, and nesting.

An app's lifespan is its router's; including a router nests the included one's lifespan inside
(start-up outer first, shut-down inner first) and merges their states, the outer one winning.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

from minifast.concurrency import is_async_callable

Lifespan = Callable[[Any], contextlib.AbstractAsyncContextManager[Any]]
Handlers = list[Callable[[], Any]]


def compile_lifespan(lifespan: Any, on_startup: Handlers, on_shutdown: Handlers) -> Lifespan:
    """The `lifespan=` argument as a factory of async context managers.

    Without one, the handler lists are run (read when the lifespan starts, so handlers added
    later count). COMPAT: FastAPI also takes a bare async or sync generator function.
    """
    if lifespan is None:
        return _handlers_lifespan(on_startup, on_shutdown)
    if inspect.isasyncgenfunction(lifespan):
        return contextlib.asynccontextmanager(lifespan)
    if inspect.isgeneratorfunction(lifespan):
        return _lift_sync_lifespan(contextlib.contextmanager(lifespan))
    return lifespan  # type: ignore[no-any-return]


def _lift_sync_lifespan(
    factory: Callable[[Any], contextlib.AbstractContextManager[Any]],
) -> Lifespan:
    """A sync context manager factory as an async one, run on the event loop as FastAPI does."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        with factory(app) as state:
            yield state

    return lifespan


def _handlers_lifespan(on_startup: Handlers, on_shutdown: Handlers) -> Lifespan:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        await _run_handlers(on_startup)
        yield
        await _run_handlers(on_shutdown)

    return lifespan


async def _run_handlers(handlers: Handlers) -> None:
    for handler in handlers:
        result = handler()
        if is_async_callable(handler):
            await result


def nest_lifespans(outer: Lifespan, inner: Lifespan) -> Lifespan:
    """One lifespan running `inner` inside `outer`, both given the app.

    COMPAT: the states are merged as in FastAPI: the outer one's values win.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any] | None]:
        async with outer(app) as outer_state, inner(app) as inner_state:
            if outer_state is None and inner_state is None:
                yield None
            else:
                yield {**(inner_state or {}), **(outer_state or {})}

    return lifespan
