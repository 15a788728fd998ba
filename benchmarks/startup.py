"""Start-up harness: what a fresh process pays before and at its first answer.

Each measurement is a new Python process (`python -m benchmarks.startup --probe <framework>`)
that times importing benchmarks.app_<framework> (the framework's import plus building the app
of scenarios (a)-(e), (h), (i)), then the first GET /hello called in-process (which checks the
answer too), and reports its peak resident memory after that request. The driver alternates
the two frameworks for ROUNDS processes each and reports medians, and the median per-round
ratio FastAPI / minifast. Run alone: `python -m benchmarks.startup`.

Every child runs with bytecode caches, as a user's server does: PYTHONDONTWRITEBYTECODE is
removed from its environment, and one untimed probe per framework before the rounds writes the
.pyc files. Otherwise an editable install (minifast here) would be compiled from source in
every process while site-packages (FastAPI) came with its caches.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from benchmarks.harness import call
from benchmarks.scenarios import SCENARIOS, verify

ROUNDS = 7
MEASURES = ("import_ms", "first_request_ms", "rss_mb")


def probe(framework: str) -> dict[str, float]:
    """Measure this (fresh) process: import and build, first request, peak RSS."""
    started = time.perf_counter()
    app = importlib.import_module(f"benchmarks.app_{framework}").app
    imported = time.perf_counter()
    reply = asyncio.run(call(app, SCENARIOS[0]))
    answered = time.perf_counter()
    verify(SCENARIOS[0], reply)
    return {
        "import_ms": (imported - started) * 1e3,
        "first_request_ms": (answered - imported) * 1e3,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: KiB
    }


def measure(framework: str) -> dict[str, float]:
    """Probe in a fresh process that may read and write bytecode caches."""
    command = [sys.executable, "-m", "benchmarks.startup", "--probe", framework]
    environment = {
        name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"
    }
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=60, env=environment
    )
    found: dict[str, float] = json.loads(output.stdout)
    return found


def main() -> dict[str, dict[str, float]]:
    """Medians of each measure per framework, and the median per-round ratio."""
    runs: dict[str, list[dict[str, float]]] = {"minifast": [], "fastapi": []}
    for framework in runs:
        measure(framework)  # untimed: writes the bytecode caches the rounds then read
    for index in range(ROUNDS):
        order = ["minifast", "fastapi"] if index % 2 == 0 else ["fastapi", "minifast"]
        for framework in order:
            runs[framework].append(measure(framework))
    results = {}
    for name in MEASURES:
        pairs = zip(runs["minifast"], runs["fastapi"], strict=True)
        results[name] = {
            "minifast": statistics.median(run[name] for run in runs["minifast"]),
            "fastapi": statistics.median(run[name] for run in runs["fastapi"]),
            "ratio": statistics.median(theirs[name] / ours[name] for ours, theirs in pairs),
        }
        found = results[name]
        print(f"start-up {name}: {found['minifast']:.1f} vs {found['fastapi']:.1f}", flush=True)
    return results


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--probe":
        print(json.dumps(probe(sys.argv[2])))
    else:
        main()
