# How background work runs: an endpoint (or a dependency) adds calls to a BackgroundTasks; the
# response holds them and awaits them after its last body chunk is sent, so the client already
# has its answer. Tasks run one after another in the order added; a sync task runs in the thread
# pool so it cannot stall the event loop. A task that raises is logged with its traceback and the
# remaining tasks still run: the response is gone, so there is nobody left to tell.
# The rule: a task's failure is logged, never lost, and never reaches the client.
"""Work that runs after the response is sent."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ParamSpec

from minifast.concurrency import is_async_callable, run_in_threadpool

P = ParamSpec("P")
logger = logging.getLogger("minifast.background")


class BackgroundTask:
    """One call to make after the response: `BackgroundTask(send_email, to, subject=...)`."""

    def __init__(self, func: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
        self.func = func
        self.args = args
        self.kwargs = kwargs
        self.is_async = is_async_callable(func)

    async def __call__(self) -> None:
        if self.is_async:
            await self.func(*self.args, **self.kwargs)
        else:
            await run_in_threadpool(self.func, *self.args, **self.kwargs)


class BackgroundTasks(BackgroundTask):
    """An ordered list of tasks, injectable into endpoints as `tasks: BackgroundTasks`."""

    def __init__(self, tasks: list[BackgroundTask] | None = None) -> None:
        self.tasks: list[BackgroundTask] = list(tasks or [])

    def add_task(self, func: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
        self.tasks.append(BackgroundTask(func, *args, **kwargs))

    async def __call__(self) -> None:
        for task in self.tasks:
            await run_logged(task)


async def run_logged(task: BackgroundTask) -> None:
    """Run one task; a failure is logged, never raised into a response already sent."""
    try:
        await task()
    except Exception:
        logger.exception("background task %r failed", getattr(task.func, "__name__", task.func))
