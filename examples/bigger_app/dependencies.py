"""Dependencies shared by the routers: a session per request and an API-key check."""

from collections.abc import Iterator
from typing import Annotated, Any

from minifast import Header, HTTPException, status

USERS: dict[int, dict[str, Any]] = {}


def get_db() -> Iterator[dict[int, dict[str, Any]]]:
    session = dict(USERS)  # work on a copy: commit on success, discard on error
    yield session
    USERS.clear()
    USERS.update(session)


def require_auth(x_api_key: Annotated[str | None, Header()] = None) -> None:
    if x_api_key != "secret":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Not authenticated")
