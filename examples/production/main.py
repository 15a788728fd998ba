"""The lesson's Level 3 multi-tenant API, on real components.

Run it with nothing installed but the `production` extra: `minifast dev examples/production`
(or `uvicorn examples.production.main:app`) serves it on SQLite with an in-process rate limiter
and task queue. Set DATABASE_URL (PostgreSQL) and REDIS_URL, and start the worker with
`dramatiq examples.production.worker`, and the same code runs on real services. README.md
beside this file walks through it; the lesson's parts, where they show:

- Part 5: `database.get_session`, a `yield` dependency that commits or rolls back.
- Part 6: `tasks.py`, heavy work handed to Dramatiq and its worker process.
- Level 2: ORM rows leave as response models (`models.py`, `from_attributes`).
- Level 3: `dependencies.py` (tenant, JWT user, membership, rate limit by tenant in Redis), and
  `log_requests` below (request id, timing, one structured log line per request).
"""

import json
import logging
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio.to_thread
import dramatiq
from redis.asyncio import Redis
from sqlalchemy import select

from examples.production.config import Settings
from examples.production.database import Session, make_engine, make_sessions, prepare
from examples.production.dependencies import (
    CurrentMembership,
    CurrentTenant,
    CurrentUser,
    get_settings,
    rate_limit,
    require_admin,
)
from examples.production.models import (
    Project,
    ProjectIn,
    ProjectOut,
    Report,
    ReportOut,
    Token,
    User,
    UserOut,
)
from examples.production.passwords import create_token, verify_password
from examples.production.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from examples.production.tasks import declare_report_actor, make_broker
from minifast import APIRouter, Depends, FastAPI, HTTPException, Request, Response, status
from minifast.security import OAuth2PasswordRequestForm

logger = logging.getLogger("examples.production")


class JSONLines(logging.Formatter):
    """One JSON object per line: what log collectors parse without a pattern."""

    def format(self, record: logging.LogRecord) -> str:
        fields = record.msg if isinstance(record.msg, dict) else {"message": record.getMessage()}
        return json.dumps({"level": record.levelname, "logger": record.name,
                           "pid": record.process, **fields})  # fmt: skip


def configure_logging(level: str) -> None:
    if not any(isinstance(handler.formatter, JSONLines) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JSONLines())
        logger.addHandler(handler)
    logger.setLevel(level)


def make_limiter(settings: Settings) -> RateLimiter:
    if settings.redis_url is None:
        return MemoryRateLimiter(settings.rate_limit_per_minute)
    return RedisRateLimiter(settings.rate_limit_per_minute, Redis.from_url(settings.redis_url))


def make_lifespan(settings: Settings) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        engine = make_engine(settings.database_url)
        await prepare(engine)
        broker = make_broker(settings)
        worker = None
        if settings.is_embedded:  # the queue's worker runs in threads of this process
            # worker_timeout: how often idle threads look for a stop request; 100 ms makes
            # shutdown quick, and waiting on the in-memory queue costs nothing meanwhile.
            worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
            worker.start()
        limiter = make_limiter(settings)
        try:
            # Lifespan state: copied into each request's `request.state`.
            yield {"settings": settings, "sessions": make_sessions(engine), "limiter": limiter,
                   "report_actor": declare_report_actor(broker, settings)}  # fmt: skip
        finally:
            if worker is not None:
                await anyio.to_thread.run_sync(worker.stop)
            await anyio.to_thread.run_sync(broker.close)
            await limiter.close()
            await engine.dispose()

    return lifespan


# -- the routes -------------------------------------------------------------------------------

public = APIRouter()


@public.get("/healthz", tags=["health"])
async def health(
    session: Session, settings: Annotated[Settings, Depends(get_settings)]
) -> dict[str, str]:
    await session.execute(select(1))  # the database answers
    queue = "in-process" if settings.is_embedded else "redis"
    database = settings.database_url.split(":", 1)[0].split("+", 1)[0]
    return {"status": "ok", "database": database, "queue": queue}


@public.post("/auth/token", tags=["auth"])
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: Session,
    settings: Annotated[Settings, Depends(get_settings)],
) -> Token:
    user = await session.scalar(select(User).where(User.username == form.username))
    if user is None or not verify_password(form.password, user.password_hash):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Incorrect username or password",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    return Token(access_token=create_token(user.id, settings.jwt_secret), token_type="bearer")


@public.get("/me", tags=["auth"])
async def read_me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


# Every route here needs X-Tenant-ID, a member's token, and the tenant's quota.
tenant_routes = APIRouter(tags=["tenant"], dependencies=[Depends(rate_limit)])


@tenant_routes.get("/projects")
async def list_projects(tenant: CurrentTenant, session: Session) -> list[ProjectOut]:
    projects = await session.scalars(
        select(Project).where(Project.tenant_id == tenant.id).order_by(Project.id)
    )
    return [ProjectOut.model_validate(project) for project in projects]


@tenant_routes.post("/projects", status_code=status.HTTP_201_CREATED)
async def create_project(body: ProjectIn, tenant: CurrentTenant, session: Session) -> ProjectOut:
    project = Project(tenant_id=tenant.id, **body.model_dump())
    session.add(project)
    await session.flush()  # the database assigns the id; get_session commits after
    return ProjectOut.model_validate(project)


@tenant_routes.get("/projects/{project_id}")
async def read_project(project_id: int, tenant: CurrentTenant, session: Session) -> ProjectOut:
    project = await session.get(Project, project_id)
    if project is None or project.tenant_id != tenant.id:  # another tenant's is not found
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Project not found")
    return ProjectOut.model_validate(project)


@tenant_routes.post("/reports", status_code=status.HTTP_202_ACCEPTED)
async def request_report(
    admin: Annotated[Any, Depends(require_admin)], session: Session, request: Request
) -> ReportOut:
    """Queue a report of the tenant's projects; poll GET /reports/{id} until it is done."""
    report = Report(tenant_id=admin.tenant_id, requested_by=admin.user_id)
    session.add(report)
    await session.commit()  # before enqueueing: the worker, elsewhere, must find the row
    actor = request.state.report_actor
    await anyio.to_thread.run_sync(actor.send, report.id)  # a network call with Redis
    return ReportOut.model_validate(report)


@tenant_routes.get("/reports/{report_id}")
async def read_report(report_id: int, membership: CurrentMembership, session: Session) -> ReportOut:
    report = await session.get(Report, report_id)
    if report is None or report.tenant_id != membership.tenant_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Report not found")
    return ReportOut.model_validate(report)


# -- the app ----------------------------------------------------------------------------------


async def log_requests(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Request id and timing around everything, then one structured log line per request.

    Middleware, not a dependency: it must wrap every request, dependency time included, and
    also those that fail before any dependency runs (a 404, a 422).
    """
    given = request.headers.get("x-request-id", "")
    request_id = given if 0 < len(given) <= 64 and given.isprintable() else uuid.uuid4().hex
    request.state.request_id = request_id
    start = time.perf_counter()
    response = await call_next(request)
    logger.info({
        "event": "request",
        "request_id": request_id,
        "tenant_id": getattr(request.state, "tenant_id", None),
        "user_id": getattr(request.state, "user_id", None),
        "method": request.method,
        "path": request.url.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - start) * 1000, 1),
    })  # fmt: skip
    response.headers["X-Request-ID"] = request_id
    return response


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for `settings` (by default, read from the environment)."""
    settings = settings or Settings.from_environment()
    configure_logging(settings.log_level)
    app = FastAPI(title="Multi-tenant projects", version="1.0.0",
                  lifespan=make_lifespan(settings))  # fmt: skip
    app.include_router(public)
    app.include_router(tenant_routes)
    app.middleware("http")(log_requests)
    return app


app = create_app()
