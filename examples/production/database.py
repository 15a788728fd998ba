"""The engine, the per-request session (Part 5's `yield` dependency) and the demo data."""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from examples.production.models import Base, Membership, Project, Tenant, User
from examples.production.passwords import hash_password
from minifast import Depends, Request


def make_engine(url: str) -> AsyncEngine:
    # pool_pre_ping: a connection the database closed while idle is replaced, not handed out.
    return create_async_engine(url, pool_pre_ping=True)


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: after the commit, objects keep the values they had, so building
    # a response model from them does not reload (no MissingGreenlet after the session ends).
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: commit when the endpoint succeeds, roll back when it raises."""
    sessions: async_sessionmaker[AsyncSession] = request.state.sessions
    async with sessions() as session:
        try:
            yield session  # the endpoint runs here
            await session.commit()
        except Exception:
            await session.rollback()
            raise


# scope="function": the commit happens before the response is sent, so a client never gets a
# 201 for a row that a failed commit lost.
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def prepare(engine: AsyncEngine, attempts: int = 5) -> None:
    """Create the tables and the demo data if missing; safe when several workers start at once.

    Two processes may both find a table missing and both create it, or both insert the demo
    tenants: the loser's transaction fails and is rolled back, and its next attempt finds the
    work done. (A real deployment runs migrations once, before starting the workers.)
    """
    for attempt in range(attempts):
        try:
            async with engine.begin() as connection:
                await connection.run_sync(Base.metadata.create_all)
                await _seed(connection)
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.1 * (attempt + 1))


DEMO_USERS = {  # username: (full name, password, {tenant: role})
    "alice": ("Alice Liddell", "wonderland", {"acme": "admin", "globex": "member"}),
    "bob": ("Bob Shaw", "builder", {"globex": "member"}),
    "carol": ("Carol Danvers", "marvel", {"initech": "admin"}),
}


async def _seed(connection: AsyncConnection) -> None:
    async with AsyncSession(bind=connection) as session:
        if await session.scalar(select(Tenant).limit(1)) is not None:
            return
        session.add_all([
            Tenant(id="acme", name="Acme Corp", is_active=True),
            Tenant(id="globex", name="Globex", is_active=True),
            Tenant(id="initech", name="Initech", is_active=False),
        ])  # fmt: skip
        for username, (full_name, password, roles) in DEMO_USERS.items():
            user = User(username=username, full_name=full_name,
                        password_hash=hash_password(password))  # fmt: skip
            session.add(user)
            await session.flush()
            session.add_all(Membership(tenant_id=tenant, user_id=user.id, role=role)
                            for tenant, role in roles.items())  # fmt: skip
        session.add(Project(tenant_id="acme", name="Rocket skates", description="Fast."))
        await session.flush()
