"""examples/production: the same app on both configurations, embedded and real services.

"embedded" runs on SQLite in tmp_path with the in-process limiter and queue. "services" runs
on PostgreSQL and Redis with Dramatiq's real worker process; it needs
MINIFAST_TEST_DATABASE_URL and MINIFAST_TEST_REDIS_URL (.ci/run starts both services and sets
them) and is skipped without them. Each services test starts from empty tables and an empty
Redis database. Every wait is bounded; every process is stopped by its PID.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.production.config import Settings, async_url
from examples.production.database import Session
from examples.production.main import create_app
from examples.production.models import Base, Project
from minifast import HTTPException
from minifast.testclient import TestClient
from tests.test_servers import _wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("MINIFAST_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("MINIFAST_TEST_REDIS_URL")
WAIT_SECONDS = 30
LIMIT = 3


def _reset_services() -> None:
    """Empty tables and an empty Redis database: each test starts as on a new deployment."""
    import redis
    from sqlalchemy.ext.asyncio import create_async_engine

    async def drop() -> None:
        engine = create_async_engine(async_url(str(DATABASE_URL)))
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
        await engine.dispose()

    asyncio.run(drop())
    client = redis.Redis.from_url(str(REDIS_URL))
    client.flushdb()
    client.close()


@pytest.fixture(params=["embedded", "services"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "embedded":
        url = f"sqlite+aiosqlite:///{tmp_path / 'production.sqlite3'}"
        return Settings(database_url=url, rate_limit_per_minute=1000)
    if not (DATABASE_URL and REDIS_URL):
        pytest.skip("set MINIFAST_TEST_DATABASE_URL and MINIFAST_TEST_REDIS_URL (.ci/run does)")
    _reset_services()
    return Settings(
        database_url=async_url(DATABASE_URL), redis_url=REDIS_URL, rate_limit_per_minute=1000
    )


def _environment(settings: Settings) -> dict[str, str]:
    environment = {**os.environ, "DATABASE_URL": settings.database_url}
    environment["RATE_LIMIT_PER_MINUTE"] = str(settings.rate_limit_per_minute)
    if settings.redis_url:
        environment["REDIS_URL"] = settings.redis_url
    return environment


def _stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM to the process it started (uvicorn's or Dramatiq's parent stops its children)."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:  # pragma: no cover - only if it hangs
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def queue_worker(settings: Settings, tmp_path: Path) -> Iterator[None]:
    """With Redis, Dramatiq's own worker process, as in production (embedded: nothing to do)."""
    if settings.redis_url is None:
        yield
        return
    command = [str(Path(sys.executable).with_name("dramatiq")), "examples.production.worker",
               "--processes", "1", "--threads", "2"]  # fmt: skip
    with (tmp_path / "worker.log").open("w") as log:
        worker = subprocess.Popen(command, cwd=ROOT, env=_environment(settings), stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        yield
    finally:
        _stop(worker)


def sign_in(client: TestClient | httpx.Client, username: str, password: str) -> dict[str, str]:
    answer = client.post("/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def as_member(client: TestClient, username: str, password: str, tenant: str) -> dict[str, str]:
    return {**sign_in(client, username, password), "X-Tenant-ID": tenant}


ALICE = ("alice", "wonderland")


def test_health_names_the_components_in_use(client: TestClient, settings: Settings) -> None:
    expected = ("sqlite", "in-process") if settings.is_embedded else ("postgresql", "redis")
    body = client.get("/healthz").json()
    assert (body["status"], body["database"], body["queue"]) == ("ok", *expected)


def test_projects_are_created_read_and_kept_within_their_tenant(client: TestClient) -> None:
    acme = as_member(client, *ALICE, "acme")
    seeded = client.get("/projects", headers=acme).json()
    assert [project["name"] for project in seeded] == ["Rocket skates"]
    created = client.post("/projects", headers=acme, json={"name": "Anvil", "description": "Heavy"})
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "tenant_id", "name", "description", "created_at"}
    assert (body["tenant_id"], body["name"]) == ("acme", "Anvil")
    assert body["created_at"].endswith(("Z", "+00:00"))
    assert client.get(f"/projects/{body['id']}", headers=acme).json() == body
    assert [p["name"] for p in client.get("/projects", headers=acme).json()] == [
        "Rocket skates",
        "Anvil",
    ]
    globex = as_member(client, *ALICE, "globex")
    assert client.get("/projects", headers=globex).json() == []
    other = client.get(f"/projects/{body['id']}", headers=globex)
    assert (other.status_code, other.json()) == (404, {"detail": "Project not found"})


def test_an_error_after_a_write_rolls_the_session_back(client: TestClient) -> None:
    app: Any = client.app

    @app.post("/projects-then-fail")
    async def fail_after_insert(session: Session) -> None:
        session.add(Project(tenant_id="acme", name="Never stored"))
        await session.flush()  # the row is written, inside the transaction
        raise HTTPException(400, "Refused after insert")

    assert client.post("/projects-then-fail").status_code == 400
    names = [
        p["name"] for p in client.get("/projects", headers=as_member(client, *ALICE, "acme")).json()
    ]
    assert names == ["Rocket skates"]


@pytest.mark.parametrize(
    ("username", "password", "tenant", "status", "detail"),
    [
        ("alice", "wrong", None, 401, "Incorrect username or password"),
        ("bob", "builder", "acme", 403, "User does not belong to this tenant"),
        ("carol", "marvel", "initech", 403, "Tenant not found or inactive"),
        ("alice", "wonderland", "nope", 403, "Tenant not found or inactive"),
    ],
    ids=["bad-password", "not-a-member", "inactive-tenant", "unknown-tenant"],
)
def test_who_may_see_a_tenant(
    client: TestClient, username: str, password: str, tenant: str | None, status: int, detail: str
) -> None:
    if tenant is None:
        answer = client.post("/auth/token", data={"username": username, "password": password})
    else:
        answer = client.get("/projects", headers=as_member(client, username, password, tenant))
    assert (answer.status_code, answer.json()) == (status, {"detail": detail})


def test_a_request_without_token_or_tenant_is_refused(client: TestClient) -> None:
    no_token = client.get("/projects", headers={"X-Tenant-ID": "acme"})
    assert (no_token.status_code, no_token.headers["www-authenticate"]) == (401, "Bearer")
    forged = client.get("/me", headers={"Authorization": "Bearer e30.e30.e30"})
    assert forged.json() == {"detail": "Could not validate credentials"}
    no_tenant = client.get("/projects", headers=sign_in(client, *ALICE))
    assert no_tenant.status_code == 422
    assert no_tenant.json()["detail"][0]["loc"] == ["header", "x-tenant-id"]
    me = client.get("/me", headers=sign_in(client, *ALICE)).json()
    assert me == {"id": 1, "username": "alice", "full_name": "Alice Liddell"}


def test_rate_limit_counts_per_tenant(settings: Settings) -> None:
    with TestClient(create_app(replace(settings, rate_limit_per_minute=LIMIT))) as client:
        acme = as_member(client, *ALICE, "acme")
        answers = [client.get("/projects", headers=acme) for _ in range(LIMIT + 1)]
        assert [answer.status_code for answer in answers] == [200] * LIMIT + [429]
        assert answers[-1].json() == {"detail": "Rate limit exceeded"}
        assert 0 < int(answers[-1].headers["retry-after"]) <= 60
        globex = as_member(client, *ALICE, "globex")
        assert client.get("/projects", headers=globex).status_code == 200


@pytest.mark.usefixtures("queue_worker")
def test_a_report_is_built_by_the_queue_worker(client: TestClient) -> None:
    acme = as_member(client, *ALICE, "acme")
    client.post("/projects", headers=acme, json={"name": "Giant magnet"})
    queued = client.post("/reports", headers=acme)
    assert queued.status_code == 202
    report = queued.json()
    assert (report["status"], report["result"], report["finished_at"]) == ("queued", None, None)
    deadline = time.monotonic() + WAIT_SECONDS
    while report["status"] == "queued":
        assert time.monotonic() < deadline, "the worker did not build the report"
        time.sleep(0.2)
        report = client.get(f"/reports/{report['id']}", headers=acme).json()
    assert report["status"] == "done"
    assert report["result"]["projects"] == 2
    assert report["result"]["longest_name"] == "Rocket skates"
    assert len(report["result"]["checksum"]) == 16


def test_only_a_tenant_admin_may_queue_a_report(client: TestClient) -> None:
    answer = client.post("/reports", headers=as_member(client, "bob", "builder", "globex"))
    assert (answer.status_code, answer.json()) == (403, {"detail": "Admin access required"})


def test_each_request_logs_one_structured_line_with_its_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    acme = as_member(client, *ALICE, "acme")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="examples.production"):
        answer = client.get("/projects", headers={**acme, "X-Request-ID": "trace-42"})
        missing = client.get("/nowhere")
    lines = [record.msg for record in caplog.records if record.name == "examples.production"]
    assert answer.headers["x-request-id"] == "trace-42"
    assert len(missing.headers["x-request-id"]) == 32  # made up when none came
    first, second = lines
    keys = ("request_id", "tenant_id", "user_id", "method", "path", "status")
    assert {key: first[key] for key in keys} == {
        "request_id": "trace-42", "tenant_id": "acme", "user_id": 1, "method": "GET",
        "path": "/projects", "status": 200,
    }  # fmt: skip
    assert (second["status"], second["tenant_id"], second["user_id"]) == (404, None, None)
    assert first["duration_ms"] >= 0


# -- two worker processes ---------------------------------------------------------------------


def test_two_uvicorn_workers_see_the_same_data(settings: Settings, tmp_path: Path) -> None:
    """A project made through one worker process is read through both: the data lives in the
    database, not in either process. Which process answered is read from the JSON access log."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_path = tmp_path / "server.log"
    command = [sys.executable, "-m", "uvicorn", "examples.production.main:app",
               "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]  # fmt: skip
    environment = _environment(settings)
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_serving(base + "/healthz", server)
        with httpx.Client(base_url=base) as http:
            headers = {**sign_in(http, *ALICE), "X-Tenant-ID": "acme"}
        created = httpx.post(base + "/projects", headers=headers, json={"name": "Shared"})
        assert created.status_code == 201
        url = f"{base}/projects/{created.json()['id']}"
        seen_by: set[int] = set()
        deadline = time.monotonic() + WAIT_SECONDS
        while len(seen_by) < 2:  # a new connection each time, so either process may answer
            assert time.monotonic() < deadline, f"only process(es) {seen_by} answered"
            answer = httpx.get(url, headers=headers, timeout=5)
            assert (answer.status_code, answer.json()["name"]) == (200, "Shared")
            seen_by.add(_process_of(log_path, answer.headers["x-request-id"]))
    finally:
        _stop(server)


def _process_of(log_path: Path, request_id: str) -> int:
    """The pid in the access-log line of `request_id` (written before the response left)."""
    for line in log_path.read_text().splitlines():
        if line.startswith("{") and request_id in line:
            return int(json.loads(line)["pid"])
    raise AssertionError(f"no log line for {request_id}")
