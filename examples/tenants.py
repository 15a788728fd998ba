"""The lesson's Level 3 design: a multi-tenant API, its dependency graph and middleware stack.

Middleware (every request, before routing): a request id and a structured timing log line.
Dependencies (per endpoint, business-aware): the tenant from `X-Tenant-ID`, the user from a
bearer token, their membership, and a per-tenant rate limit. They run once per request each,
whatever the number of dependents (the session `get_db` is shared by all of them).
"""

import hashlib
import hmac
import json
import logging
import os
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

from minifast import APIRouter, Depends, FastAPI, Header, HTTPException, Request, Response
from minifast.middleware.cors import CORSMiddleware
from minifast.middleware.gzip import GZipMiddleware

logger = logging.getLogger("examples.tenants")
SECRET = os.environ.get("TENANTS_SECRET", "dev-secret").encode()
DATABASE_URL = os.environ.get("TENANTS_DB_URL", "file:minifast-tenants?mode=memory&cache=shared")
RATE_LIMIT = 100  # requests per tenant per minute
SEED = """
CREATE TABLE IF NOT EXISTS tenants (id TEXT PRIMARY KEY, active INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS memberships (tenant_id TEXT, user_id INTEGER);
CREATE TABLE IF NOT EXISTS projects (tenant_id TEXT, name TEXT);
INSERT INTO tenants VALUES ('acme', 1), ('globex', 1), ('closed', 0);
INSERT INTO users VALUES (1, 'ann'), (2, 'bob');
INSERT INTO memberships VALUES ('acme', 1), ('globex', 2), ('closed', 1);
INSERT INTO projects VALUES ('acme', 'rocket'), ('acme', 'anvil'), ('globex', 'dome');
"""


def issue_token(user_id: int) -> str:
    """A signed token `user_id.signature`: what a real JWT would carry, without the library."""
    signature = hmac.new(SECRET, str(user_id).encode(), hashlib.sha256).hexdigest()
    return f"{user_id}.{signature}"


def verify_token(token: str) -> int:
    user_id = token.partition(".")[0]
    if not user_id.isdigit() or not hmac.compare_digest(issue_token(int(user_id)), token):
        raise HTTPException(401, "Invalid token", headers={"WWW-Authenticate": "Bearer"})
    return int(user_id)


# -- lifespan-scoped: one per app ------------------------------------------------------


def get_database() -> Iterator[sqlite3.Connection]:
    keeper = sqlite3.connect(DATABASE_URL, uri=True, check_same_thread=False)
    keeper.executescript(SEED)
    try:
        yield keeper  # held open so the in-memory database lives as long as the app
    finally:
        keeper.close()


class RateLimiter:
    """An in-process counter per tenant and minute; enough for one worker process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.counts: Counter[tuple[str, int]] = Counter()

    def hit(self, tenant_id: str) -> bool:
        window = int(time.time() // 60)
        self.counts[(tenant_id, window)] += 1
        for key in [key for key in self.counts if key[1] < window]:
            del self.counts[key]  # forget finished minutes: memory stays bounded
        return self.counts[(tenant_id, window)] <= self.limit


def get_rate_limiter() -> RateLimiter:
    return RateLimiter(RATE_LIMIT)


# -- request-scoped ---------------------------------------------------------------------


def get_db(
    _: Annotated[sqlite3.Connection, Depends(get_database, scope="lifespan")],
) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(DATABASE_URL, uri=True, check_same_thread=False)
    try:
        yield connection
        connection.commit()
    except Exception:
        connection.rollback()
        raise
    finally:
        connection.close()


Session = Annotated[sqlite3.Connection, Depends(get_db, scope="function")]


# Layer 1: parse the tenant header and check the tenant
def get_tenant(request: Request, x_tenant_id: Annotated[str, Header()], db: Session) -> str:
    row = db.execute("SELECT active FROM tenants WHERE id = ?", (x_tenant_id,)).fetchone()
    if row is None or not row[0]:
        raise HTTPException(403, "Tenant not found or inactive")
    request.state.tenant_id = x_tenant_id  # for the middleware's log line
    return x_tenant_id


# Layer 2: the user from the bearer token
def get_current_user(
    request: Request, authorization: Annotated[str, Header()], db: Session
) -> dict[str, Any]:
    user_id = verify_token(authorization.removeprefix("Bearer "))
    row = db.execute("SELECT id, name FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise HTTPException(401, "User not found")
    request.state.user_id = user_id
    return {"id": row[0], "name": row[1]}


Tenant = Annotated[str, Depends(get_tenant)]
User = Annotated[dict[str, Any], Depends(get_current_user)]


# Layer 3: the user must belong to the tenant
def verify_membership(tenant: Tenant, user: User, db: Session) -> tuple[str, dict[str, Any]]:
    found = db.execute(
        "SELECT 1 FROM memberships WHERE tenant_id = ? AND user_id = ?", (tenant, user["id"])
    ).fetchone()
    if found is None:
        raise HTTPException(403, "User does not belong to this tenant")
    return tenant, user


# Layer 4: rate limiting per tenant
def rate_limit(
    tenant: Tenant,
    limiter: Annotated[RateLimiter, Depends(get_rate_limiter, scope="lifespan")],
) -> None:
    if not limiter.hit(tenant):
        raise HTTPException(429, "Rate limit exceeded")


router = APIRouter(dependencies=[Depends(verify_membership), Depends(rate_limit)])


@router.get("/projects")
def list_projects(tenant: Tenant, user: User, db: Session) -> dict[str, Any]:
    rows = db.execute("SELECT name FROM projects WHERE tenant_id = ? ORDER BY name", (tenant,))
    return {"tenant": tenant, "user": user["name"], "projects": [row[0] for row in rows]}


app = FastAPI(title="Tenants")
app.include_router(router)

# Middleware stack (order: last added = outermost): the timing layer below is added last, so it
# times everything, compression and CORS included.
app.add_middleware(GZipMiddleware)
app.add_middleware(CORSMiddleware, allow_origins=["*"])


@app.middleware("http")
async def request_id_and_timing(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    request.state.request_id = str(uuid.uuid4())
    start = time.perf_counter()
    response = await call_next(request)
    duration_ms = (time.perf_counter() - start) * 1000
    # Structured log - tenant_id/user_id set by dependencies via request.state
    line = {
        "request_id": request.state.request_id,
        "tenant_id": getattr(request.state, "tenant_id", None),
        "user_id": getattr(request.state, "user_id", None),
        "method": request.method,
        "path": request.url.path,
        "status": response.status_code,
        "duration_ms": round(duration_ms, 1),
    }
    logger.info(json.dumps(line))
    response.headers["X-Request-ID"] = request.state.request_id
    return response
