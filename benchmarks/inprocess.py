"""In-process harness: each framework's app called directly (no sockets) in its own process.

The driver starts one worker per framework and asks them in turn, round after round, to time
the same scenario; the result of a scenario is the median of the per-round ratios, so drift
in the machine's speed hits both frameworks alike. Every worker checks each scenario's answer
(status and body) before timing it. Run: `python -m benchmarks.inprocess` (part of make bench).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import statistics
import subprocess
import sys
import time
from typing import Any

from benchmarks.harness import call, http_scope
from benchmarks.scenarios import SCENARIOS, Scenario

ROUNDS = 7
TARGET_SECONDS = 0.15  # per round and framework


def check(app: Any, scenario: Scenario) -> None:
    scope = http_scope(scenario.method, scenario.path, scenario.query)
    scope["headers"] = scope["headers"] + scenario.headers
    status, body = asyncio.run(call(app, scope, scenario.body))
    good = status == scenario.status and (
        body == scenario.expected if scenario.check is None else scenario.check(json.loads(body))
    )
    if not good:
        raise AssertionError(f"{scenario.key}: {status} {body[:200]!r}")


async def time_scenario(app: Any, scenario: Scenario, count: int) -> float:
    """Seconds per request over `count` sequential requests."""
    scope = http_scope(scenario.method, scenario.path, scenario.query)
    scope["headers"] = scope["headers"] + scenario.headers
    message = {"type": "http.request", "body": scenario.body, "more_body": False}

    async def receive() -> dict[str, Any]:
        return message

    async def send(message: Any) -> None:
        return None

    started = time.perf_counter()
    for _ in range(count):
        await app(dict(scope), receive, send)
    return (time.perf_counter() - started) / count


def worker(framework: str) -> None:
    """Answer `<scenario key> <count>` lines with seconds per request."""
    app = importlib.import_module(f"benchmarks.app_{framework}").app
    for scenario in SCENARIOS:
        check(app, scenario)
    by_key = {scenario.key: scenario for scenario in SCENARIOS}
    print("ready", flush=True)
    for line in sys.stdin:
        key, count = line.split()
        seconds = asyncio.run(time_scenario(app, by_key[key], int(count)))
        print(seconds, flush=True)


class Worker:
    def __init__(self, framework: str) -> None:
        command = [sys.executable, "-m", "benchmarks.inprocess", "--worker", framework]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None and self.process.stdout.readline() == "ready\n"

    def time(self, key: str, count: int) -> float:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{key} {count}\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def compare(ours: Worker, theirs: Worker, key: str) -> dict[str, float]:
    count = max(20, int(TARGET_SECONDS / ours.time(key, 20)))
    theirs.time(key, 20)  # warm up
    ratios, our_times, their_times = [], [], []
    for index in range(ROUNDS):
        pair = [(ours, our_times), (theirs, their_times)]
        for worker_, times in pair if index % 2 == 0 else reversed(pair):
            times.append(worker_.time(key, count))
        ratios.append(their_times[-1] / our_times[-1])
    return {
        "minifast_us": statistics.median(our_times) * 1e6,
        "fastapi_us": statistics.median(their_times) * 1e6,
        "ratio": statistics.median(ratios),
    }


def main() -> dict[str, dict[str, float]]:
    ours, theirs = Worker("minifast"), Worker("fastapi")
    results = {}
    try:
        print("| scenario | minifast µs/req | FastAPI µs/req | throughput ratio |")
        print("|---|---:|---:|---:|")
        for scenario in SCENARIOS:
            found = results[scenario.key] = compare(ours, theirs, scenario.key)
            print(f"| ({scenario.key}) {scenario.title} | {found['minifast_us']:.1f} | "
                  f"{found['fastapi_us']:.1f} | {found['ratio']:.2f}x |", flush=True)  # fmt: skip
    finally:
        ours.close()
        theirs.close()
    return results


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
    else:
        main()
