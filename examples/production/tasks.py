"""Heavy work on a real task queue (Dramatiq), as Part 6's warning asks.

A report is queued by the API and built by a worker: with REDIS_URL the message goes through
Redis to the separate worker process (`dramatiq examples.production.worker`); without it, to a
Dramatiq worker running in threads of the API's own process (the embedded default). The job's
code is the same either way. It opens its own database engine: it runs on another event loop,
often in another process, and never shares the API's connections.
"""

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

import anyio.to_thread
import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware.asyncio import AsyncIO
from sqlalchemy import select

from examples.production.config import Settings
from examples.production.database import make_engine, make_sessions
from examples.production.models import Project, Report

QUEUE = "reports"
ReportActor = dramatiq.Actor[[int], Awaitable[None]]


def make_broker(settings: Settings) -> dramatiq.Broker:
    """Redis when configured, else an in-memory broker; AsyncIO lets actors be `async def`."""
    broker: dramatiq.Broker = StubBroker()
    if settings.redis_url:
        broker = RedisBroker(url=settings.redis_url)  # type: ignore[no-untyped-call]
    broker.add_middleware(AsyncIO())
    return broker


def declare_report_actor(broker: dramatiq.Broker, settings: Settings) -> ReportActor:
    """The `build_report` actor on `broker`; the API and the worker declare it alike."""

    async def build_report(report_id: int) -> None:
        engine = make_engine(settings.database_url)
        try:
            await run_report(make_sessions(engine), report_id)
        finally:
            await engine.dispose()

    # Retries: a message may arrive before the row it names is visible; 3 tries, then failed.
    options = {"max_retries": 3, "min_backoff": 200, "max_backoff": 2000}
    return dramatiq.Actor(build_report, broker=broker, actor_name="build_report",
                          queue_name=QUEUE, priority=0, options=options)  # fmt: skip


async def run_report(sessions: Callable[[], Any], report_id: int) -> None:
    """Load the report's projects, crunch them in a thread, store the result."""
    async with sessions() as session, session.begin():
        report = await session.get(Report, report_id)
        if report is None:
            raise LookupError(f"report {report_id} does not exist (yet)")
        names = list(await session.scalars(
            select(Project.name).where(Project.tenant_id == report.tenant_id).order_by(Project.id)
        ))  # fmt: skip
        # CPU-bound work goes to a thread, so this worker's event loop keeps serving others.
        report.result = await anyio.to_thread.run_sync(crunch, names)
        report.status = "done"
        report.finished_at = datetime.now(timezone.utc)


def crunch(names: list[str]) -> dict[str, Any]:
    """Stands for the heavy part (an export, a PDF, inference): slow on purpose, ~50 ms."""
    digest = hashlib.pbkdf2_hmac("sha256", "\n".join(names).encode(), b"report", 100_000)
    return {
        "projects": len(names),
        "longest_name": max(names, key=len, default=None),
        "checksum": digest.hex()[:16],
    }
