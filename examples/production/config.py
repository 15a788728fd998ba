"""Settings, read from the environment once, when the app is built.

With nothing set the app runs on a bare machine: SQLite in a file (so several worker processes
share it), a rate limiter and a task queue inside the process. DATABASE_URL and REDIS_URL move
it onto PostgreSQL and Redis without a code change.
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE = Path(tempfile.gettempdir()) / "minifast-production.sqlite3"
# For trying it out only: every process must share the secret, so a random one would not do.
DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DATABASE}"
    redis_url: str | None = None  # None: rate limiter and task queue inside the process
    jwt_secret: str = DEV_SECRET
    rate_limit_per_minute: int = 100  # per tenant, as in the lesson
    log_level: str = "INFO"

    @classmethod
    def from_environment(cls) -> "Settings":
        defaults = cls()
        return cls(
            database_url=async_url(os.environ.get("DATABASE_URL") or defaults.database_url),
            redis_url=os.environ.get("REDIS_URL") or None,
            jwt_secret=os.environ.get("JWT_SECRET") or defaults.jwt_secret,
            rate_limit_per_minute=int(os.environ.get("RATE_LIMIT_PER_MINUTE") or 100),
            log_level=os.environ.get("LOG_LEVEL") or defaults.log_level,
        )

    @property
    def is_embedded(self) -> bool:
        return self.redis_url is None


def async_url(url: str) -> str:
    """A URL as hosting services write it (`postgresql://`), with SQLAlchemy's async driver."""
    for plain, driver in (("postgresql://", "postgresql+asyncpg://"),
                          ("postgres://", "postgresql+asyncpg://"),
                          ("sqlite:///", "sqlite+aiosqlite:///")):  # fmt: skip
        if url.startswith(plain):
            return driver + url.removeprefix(plain)
    return url
