"""In-process harness: each framework's app called directly (no sockets) in its own process.

The driver starts one worker process per framework. Each worker builds the apps, checks every
scenario's answer (status, body, headers, `yield` cleanups), then times on request: a scenario
for a given number of requests, sequentially, or in batches of 50 run at once in an anyio task
group for the concurrent scenario. The driver asks the two workers in turn, round after round
(alternating who goes first), and reports the median time per request of each framework and
the median of the per-round ratios, so drift in the machine's speed hits both frameworks alike.
Run alone: `python -m benchmarks.inprocess`.
"""

from __future__ import annotations

import asyncio
import importlib
import statistics
import subprocess
import sys
from types import ModuleType
from typing import Any

from benchmarks.harness import call, time_concurrent, time_sequential
from benchmarks.scenarios import SCENARIOS, Scenario, load_app, verify

ROUNDS = 7
TARGET_SECONDS = 0.15  # per round and framework
CALIBRATION_COUNT = 20


def check(module: ModuleType, app: Any, scenario: Scenario) -> None:
    """Send the scenario once and raise AssertionError unless the answer is right."""
    before = module.CLEANUPS[0]
    verify(scenario, asyncio.run(call(app, scenario)))
    cleanups = module.CLEANUPS[0] - before
    if cleanups != scenario.cleanups:
        raise AssertionError(f"({scenario.key}): {cleanups} cleanups, not {scenario.cleanups}")


def load_checked_apps(framework: str) -> dict[str, Any]:
    """Every app the scenarios run on, by name, each scenario checked once."""
    module = importlib.import_module(f"benchmarks.app_{framework}")
    apps: dict[str, Any] = {}
    for scenario in SCENARIOS:
        if scenario.app not in apps:
            apps[scenario.app] = load_app(module, scenario.app)
        check(module, apps[scenario.app], scenario)
    return apps


def trace_each_once(apps: dict[str, Any]) -> None:
    """Trace one request through each minifast app before it is timed.

    A trace wraps the app's stages from outside and puts them back (minifast/trace.py); timed
    after one, the figures show that tracing, when off, costs the request path nothing.
    """
    from minifast.trace import trace_request

    for app in apps.values():
        trace_request(app, "GET", "/hello")


def worker(framework: str) -> None:
    """Answer `<scenario key> <count>` lines on stdin with seconds per request."""
    apps = load_checked_apps(framework)
    if framework == "minifast":
        trace_each_once(apps)
    by_key = {scenario.key: scenario for scenario in SCENARIOS}
    print("ready", flush=True)
    for line in sys.stdin:
        key, count = line.split()
        scenario = by_key[key]
        timer = time_sequential if scenario.concurrency == 1 else time_concurrent
        print(asyncio.run(timer(apps[scenario.app], scenario, int(count))), flush=True)


class Worker:
    """The driver's end of one worker process."""

    def __init__(self, framework: str) -> None:
        command = [sys.executable, "-m", "benchmarks.inprocess", "--worker", framework]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        if self._read() != "ready":
            raise RuntimeError(f"the {framework} worker failed its checks")

    def time(self, key: str, count: int) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{key} {count}\n")
        self.process.stdin.flush()
        return float(self._read())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        finally:
            self.process.kill()

    def _read(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()


def compare(ours: Worker, theirs: Worker, scenario: Scenario) -> dict[str, float]:
    """Median µs per request of each framework and median per-round speed ratio."""
    counts = [calibrate(worker_, scenario) for worker_ in (ours, theirs)]
    our_times: list[float] = []
    their_times: list[float] = []
    runs = [(ours, counts[0], our_times), (theirs, counts[1], their_times)]
    for index in range(ROUNDS):
        for worker_, count, times in runs if index % 2 == 0 else reversed(runs):
            times.append(worker_.time(scenario.key, count))
    ratios = [theirs_ / ours_ for ours_, theirs_ in zip(our_times, their_times, strict=True)]
    return {
        "minifast_us": statistics.median(our_times) * 1e6,
        "fastapi_us": statistics.median(their_times) * 1e6,
        "ratio": statistics.median(ratios),
    }


def calibrate(worker_: Worker, scenario: Scenario) -> int:
    """How many requests (or batches) fill TARGET_SECONDS; the trial run warms up too."""
    per_request = worker_.time(scenario.key, CALIBRATION_COUNT)
    return max(CALIBRATION_COUNT, int(TARGET_SECONDS / per_request / scenario.concurrency))


def main() -> dict[str, dict[str, float]]:
    """Time every scenario on both frameworks; print and return the results by scenario key."""
    ours, theirs = Worker("minifast"), Worker("fastapi")
    results = {}
    try:
        for scenario in SCENARIOS:
            found = results[scenario.key] = compare(ours, theirs, scenario)
            speeds = f"{found['minifast_us']:.1f} vs {found['fastapi_us']:.1f} µs"
            print(f"in-process ({scenario.key}) {speeds}, x{found['ratio']:.2f}", flush=True)
    finally:
        ours.close()
        theirs.close()
    return results


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
    else:
        main()
