"""Routing cost against the number of routes: apps of 10, 100 and 1,000 routes `/r{i}/{id}`.

Each app is built on minifast and, when installed, on FastAPI; the first and the last route
are timed in-process (no sockets). A route index keeps the last route as cheap as the first.
Run: `python -m benchmarks.routing` (part of `make bench`).
"""

from __future__ import annotations

import importlib
import importlib.util
import statistics
import sys
from typing import Any

from benchmarks.harness import call, http_scope, run, time_requests

SIZES = (10, 100, 1000)
ROUNDS = 5
REQUESTS = 2000


def build(framework: str, size: int) -> Any:
    module = importlib.import_module(framework)
    app = module.FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    for index in range(size):

        async def endpoint(id: int) -> dict[str, int]:
            return {"id": id}

        app.add_api_route(f"/r{index}/{{id}}", endpoint, methods=["GET"], name=f"r{index}")
    return app


async def measure(app: Any, index: int) -> float:
    scope = http_scope("GET", f"/r{index}/7")
    status, body = await call(app, scope)
    if (status, body) != (200, b'{"id":7}'):
        raise AssertionError(f"route {index} answered {status} {body!r}")
    samples = [await time_requests(app, scope, REQUESTS) for _ in range(ROUNDS)]
    return statistics.median(samples) * 1e6


def main() -> None:
    frameworks = ["minifast"]
    if importlib.util.find_spec("fastapi") is not None:
        frameworks.append("fastapi")
    print("| framework | routes | first route µs | last route µs | last / first |")
    print("|---|---:|---:|---:|---:|")
    for framework in frameworks:
        for size in SIZES:
            app = build(framework, size)
            first, last = run(measure(app, 0)), run(measure(app, size - 1))
            print(f"| {framework} | {size} | {first:.1f} | {last:.1f} | {last / first:.2f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
