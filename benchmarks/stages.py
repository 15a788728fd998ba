"""Where minifast's time goes in scenarios (c) and (d): each stage timed on its own.

Each stage runs on the benchmark app's real route, plan and objects, many times over, and is
reported in CPU µs per request (the process's CPU time, steadier than wall time on a shared
machine; the thread-pool hop, which waits, is timed on the wall clock). What the stages do not
cover (the ASGI entry, the two error layers, dispatch, the endpoint call) is the remainder of
the whole request. Not part of `make bench`: `python -m benchmarks.stages` prints the tables
that docs/performance.md quotes.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import anyio

from benchmarks.app_minifast import Item, Pagination, UserInDB, app
from benchmarks.harness import _discard, _receive, http_scope, time_sequential
from benchmarks.scenarios import SCENARIOS, Scenario
from minifast.concurrency import run_in_threadpool
from minifast.requests import Request
from minifast.resolve import ResolveContext, read_body, resolve_callable
from minifast.serialization import build_response

# Stages that build their own Request (as the route does), whose cost is taken off them.
_BUILDS_A_REQUEST = (
    "body: read + parse JSON",
    "body validation into `Item`",
    "dependencies, `yield` exit included",
)
ROUNDS = 7
COUNT = 4000
Stage = Callable[[], Awaitable[Any]]


async def per_call(stage: Stage, clock: Callable[[], float] = time.process_time) -> float:
    """Median µs per call of `stage` over ROUNDS rounds of COUNT calls."""
    for _ in range(COUNT // 10):
        await stage()  # warm-up
    rounds = []
    for _ in range(ROUNDS):
        started = clock()
        for _ in range(COUNT):
            await stage()
        rounds.append((clock() - started) / COUNT * 1e6)
    return statistics.median(rounds)


def scenario(key: str) -> Scenario:
    return next(found for found in SCENARIOS if found.key == key)


_CONNECTIONS: dict[str, tuple[dict[str, Any], Any]] = {}  # scope and receive, per scenario


def request_for(case: Scenario) -> Request:
    """A fresh Request on a copy of the scenario's scope, as the harness sends it."""
    if case.key not in _CONNECTIONS:
        _CONNECTIONS[case.key] = http_scope(case), _receive(case)
    scope, receive = _CONNECTIONS[case.key]
    return Request(dict(scope), receive, _discard)


def route_for(case: Scenario) -> Any:
    return next(route for route in app.routes if getattr(route, "path", None) == case.path)


async def whole(case: Scenario) -> float:
    """µs per request of the whole app call, on the CPU clock like the stages."""
    await time_sequential(app, case, COUNT // 10)
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        await time_sequential(app, case, COUNT)
        rounds.append((time.process_time() - started) / COUNT * 1e6)
    return statistics.median(rounds)


async def common_stages(case: Scenario, answer: Any) -> dict[str, Stage]:
    """The stages every APIRoute request passes: lookup, Request, response, send."""
    route = route_for(case)
    plan = route.plan
    response = build_response(plan.response, answer, None, None)
    scope, receive = http_scope(case), _receive(case)

    async def lookup() -> Any:
        return app.router._choose(scope)

    async def request() -> Any:
        return request_for(case)

    async def respond() -> Any:
        return build_response(plan.response, answer, None, None)

    async def send() -> Any:
        await response(scope, receive, _discard)

    return {
        "route index lookup": lookup,
        "`Request` object": request,
        "response: validate, serialize, build": respond,
        "send the 2 messages": send,
    }


async def stages_c() -> dict[str, float]:
    case = scenario("c")
    plan = route_for(case).plan
    item = Item.model_validate_json(case.body)
    stages = await common_stages(case, item)

    async def body() -> Any:
        return await read_body(request_for(case))

    parsed = await body()

    async def validate() -> Any:
        context = ResolveContext(request_for(case), parsed, None, None)
        return await resolve_callable(plan.endpoint, context)

    values, errors = await validate()  # checked before it is timed
    assert not errors and values["item"] == item, (values, errors)
    stages |= {"body: read + parse JSON": body, "body validation into `Item`": validate}
    return await timed(case, stages, request_stage="`Request` object")


async def stages_d() -> dict[str, float]:
    case = scenario("d")
    plan = route_for(case).plan
    user = UserInDB(id=1, username="t", email="t@example.com", password_hash="x")
    stages = await common_stages(case, user)

    async def dependencies() -> Any:
        async with AsyncExitStack() as stack:
            context = ResolveContext(request_for(case), None, None, stack)
            return await resolve_callable(plan.endpoint, context)

    stages["dependencies, `yield` exit included"] = dependencies
    values, errors = await dependencies()  # checked before it is timed
    assert not errors and isinstance(values["page"], Pagination), (values, errors)
    assert values["user"].username == "ann", values
    return await timed(case, stages, request_stage="`Request` object")


async def pagination() -> dict[str, float]:
    """(d)'s sync class dependency: called inline now, through the thread pool before."""
    return {
        "`Pagination(skip=0, limit=10)` called inline": await per_call(_pagination_inline)
        - await per_call(_nothing),
        "the same through the thread pool (wall clock)": await per_call(
            _pagination_in_thread, time.perf_counter
        )
        - await per_call(_nothing, time.perf_counter),
    }


async def _nothing() -> None:
    return None


async def _pagination_inline() -> Any:
    return Pagination(skip=0, limit=10)


async def _pagination_in_thread() -> Any:
    return await run_in_threadpool(Pagination, skip=0, limit=10)


async def timed(case: Scenario, stages: dict[str, Stage], request_stage: str) -> dict[str, float]:
    """Each stage's cost; stages that build a Request include it, so it is taken off them."""
    empty = await per_call(_nothing)  # the timing loop's own await, taken off every stage
    found = {name: await per_call(stage) - empty for name, stage in stages.items()}
    request = found[request_stage]
    for name in _BUILDS_A_REQUEST:
        if name in found:
            found[name] -= request
    total = await whole(case)
    found["entry, error layers, dispatch, endpoint"] = total - sum(found.values())
    found["**total**"] = total
    return found


def show(title: str, found: dict[str, float]) -> None:
    print(f"\n{title}\n\n| stage | µs |\n|---|---:|")
    for name, value in found.items():
        print(f"| {name} | {value:.1f} |")


async def main() -> None:
    show("(c) POST a body model, returned as the response model", await stages_c())
    show("(d) three-level dependency chain", await stages_d())
    show("(d)'s `Pagination` dependency", await pagination())


if __name__ == "__main__":
    anyio.run(main, backend="asyncio", backend_options={"use_uvloop": True})
