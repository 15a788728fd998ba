"""Rate limiting per tenant in fixed one-minute windows: in the process, or in Redis.

The in-process limiter counts per process: under two workers each lets the tenant through the
full limit. Redis counts once for every process, which is why production needs it.
"""

import time
from typing import Protocol

from redis.asyncio import Redis

WINDOW_SECONDS = 60


class RateLimiter(Protocol):
    async def hit(self, key: str) -> tuple[bool, int]:
        """Count one request; whether it is allowed, and the seconds until the window resets."""
        ...

    async def close(self) -> None: ...


def _window() -> tuple[int, int]:
    now = int(time.time())
    return now // WINDOW_SECONDS, WINDOW_SECONDS - now % WINDOW_SECONDS


class MemoryRateLimiter:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.counts: dict[tuple[str, int], int] = {}

    async def hit(self, key: str) -> tuple[bool, int]:
        window, retry_after = _window()
        # No await between the read and the write: on one event loop this is atomic.
        count = self.counts[key, window] = self.counts.get((key, window), 0) + 1
        if len(self.counts) > 10_000:  # forget windows that have passed
            self.counts = {k: v for k, v in self.counts.items() if k[1] == window}
        return count <= self.limit, retry_after

    async def close(self) -> None:
        self.counts.clear()


class RedisRateLimiter:
    def __init__(self, limit: int, redis: Redis, prefix: str = "rate") -> None:
        self.limit, self.redis, self.prefix = limit, redis, prefix

    async def hit(self, key: str) -> tuple[bool, int]:
        window, retry_after = _window()
        name = f"{self.prefix}:{key}:{window}"
        # MULTI/EXEC: the count and its expiry are set together, once for every process.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, WINDOW_SECONDS)
            count, _ = await pipe.execute()
        return int(count) <= self.limit, retry_after

    async def close(self) -> None:
        await self.redis.aclose()
