"""End-to-end harness: uvicorn serving each app over 127.0.0.1, loaded by `wrk`.

Each app runs in `uvicorn --factory --workers 1 --http httptools --loop uvloop`, pinned with
`taskset` to core 0, while `wrk` (one thread) is pinned to core 1, so client and server do not
share a core. Both frameworks' servers for an app are up at once (an idle one costs nothing);
for each scenario the harness first sends the request once with http.client and checks the
answer, warms both servers up, then runs ROUNDS short `wrk` runs alternating between them.
It reports the median req/s and p50/p99 latency of the rounds, and the median per-round
throughput ratio; wrk's own non-2xx and socket-error counts are checked after every run.
Servers are always stopped, by their process group. Run alone: `python -m benchmarks.endtoend`.
"""

from __future__ import annotations

import http.client
import importlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.scenarios import SCENARIOS, Reply, Scenario, load_app, verify

ROUNDS = 5
SECONDS = 1  # per round: ROUNDS x SECONDS of load per scenario and framework
WARM_UP_SECONDS = 1
CONNECTIONS = 16  # wrk connections, unless the scenario asks for more at once
FRAMEWORKS = ("minifast", "fastapi")
SERVER_CORE, CLIENT_CORE = "0", "1"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}  # wrk latency units, to milliseconds


def served_app() -> Any:
    """The factory uvicorn calls: the app named by BENCH_FRAMEWORK and BENCH_APP."""
    module = importlib.import_module(f"benchmarks.app_{os.environ['BENCH_FRAMEWORK']}")
    return load_app(module, os.environ["BENCH_APP"])


def pinned(core: str, command: list[str]) -> list[str]:
    """`command` pinned to one core, when taskset exists and there is a core to spare."""
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        return command
    return ["taskset", "-c", core, *command]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server(framework: str, app: str) -> Iterator[int]:
    """A uvicorn server for one app; yields its port and always stops it."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "benchmarks.endtoend:served_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    command += ["--http", "httptools", "--loop", "uvloop", "--no-access-log"]
    command += ["--log-level", "warning"]
    environment = {**os.environ, "BENCH_FRAMEWORK": framework, "BENCH_APP": app}
    process = subprocess.Popen(
        pinned(SERVER_CORE, command), env=environment, start_new_session=True
    )
    try:
        wait_until_listening(port, process)
        yield port
    finally:
        stop(process)


def wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the server on port {port} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server's whole process group: politely, then by force."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def fetch(port: int, scenario: Scenario) -> Reply:
    """Send the scenario's request once over a socket and record the answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {name.decode(): value.decode() for name, value in scenario.headers}
        connection.request(scenario.method, target(scenario), scenario.body or None, headers)
        response = connection.getresponse()
        found = {name.lower(): value for name, value in response.getheaders()}
        return Reply(response.status, found, response.read())
    finally:
        connection.close()


def target(scenario: Scenario) -> str:
    query = scenario.query.decode()
    return f"{scenario.path}?{query}" if query else scenario.path


def wrk_script(scenario: Scenario, directory: str) -> str:
    """A Lua file that makes wrk send the scenario's method, target, headers and body."""
    lines = [f"wrk.method = {lua(scenario.method)}", f"wrk.path = {lua(target(scenario))}"]
    lines += [f"wrk.headers[ {lua(name.decode())} ] = {lua(value.decode())}"
              for name, value in scenario.headers]  # fmt: skip
    if scenario.body:
        lines.append(f"wrk.body = {lua(scenario.body.decode())}")
    path = Path(directory) / f"{scenario.key}.lua"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def lua(text: str) -> str:
    """A Lua long-bracket string literal: no escapes needed for JSON or headers."""
    return f"[==[{text}]==]"


def run_wrk(port: int, scenario: Scenario, script: str, seconds: int) -> dict[str, float]:
    """One wrk run; raises if any answer had the wrong status class or a socket failed."""
    connections = max(CONNECTIONS, scenario.concurrency)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script]
    output = subprocess.run(
        pinned(CLIENT_CORE, [*command, f"http://127.0.0.1:{port}"]),
        capture_output=True, text=True, check=True, timeout=seconds + 30,
    ).stdout  # fmt: skip
    return parse_wrk(output, scenario)


def parse_wrk(output: str, scenario: Scenario) -> dict[str, float]:
    requests = int(_field(r"(\d+) requests in", output))
    wrong = int(_field(r"Non-2xx or 3xx responses: (\d+)", output, "0"))
    if requests == 0 or wrong != (requests if scenario.status >= 400 else 0):
        raise AssertionError(
            f"({scenario.key}): {wrong} of {requests} answers had the wrong status"
        )
    if "Socket errors" in output:
        raise AssertionError(f"({scenario.key}): {_field(r'(Socket errors.*)', output)}")
    return {
        "rps": float(_field(r"Requests/sec:\s+([\d.]+)", output)),
        "p50_ms": _latency("50%", output),
        "p99_ms": _latency("99%", output),
    }


def _field(pattern: str, output: str, default: str | None = None) -> str:
    match = re.search(pattern, output)
    if match is not None:
        return match.group(1)
    if default is None:
        raise ValueError(f"no {pattern!r} in wrk's output:\n{output}")
    return default


def _latency(percentile: str, output: str) -> float:
    match = re.search(rf"^\s*{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if match is None:
        raise ValueError(f"no {percentile} latency in wrk's output:\n{output}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def compare(ports: dict[str, int], scenario: Scenario, script: str) -> dict[str, float]:
    """Check, warm up, then alternate wrk rounds between the two servers."""
    for port in ports.values():
        verify(scenario, fetch(port, scenario))
        run_wrk(port, scenario, script, WARM_UP_SECONDS)
    runs: dict[str, list[dict[str, float]]] = {framework: [] for framework in FRAMEWORKS}
    for index in range(ROUNDS):
        order = FRAMEWORKS if index % 2 == 0 else FRAMEWORKS[::-1]
        for framework in order:
            runs[framework].append(run_wrk(ports[framework], scenario, script, SECONDS))
    return summarize(runs)


def summarize(runs: dict[str, list[dict[str, float]]]) -> dict[str, float]:
    summary = {
        f"{framework}_{measure}": statistics.median(run[measure] for run in runs[framework])
        for framework in FRAMEWORKS
        for measure in ("rps", "p50_ms", "p99_ms")
    }
    ratios = [ours["rps"] / theirs["rps"] for ours, theirs in zip(*runs.values(), strict=True)]
    summary["ratio"] = statistics.median(ratios)
    return summary


def run_app(app: str, scenarios: list[Scenario], directory: str) -> dict[str, dict[str, float]]:
    """Start both frameworks' servers for one app and compare its scenarios."""
    results = {}
    with server("minifast", app) as ours, server("fastapi", app) as theirs:
        ports = {"minifast": ours, "fastapi": theirs}
        for scenario in scenarios:
            found = results[scenario.key] = compare(
                ports, scenario, wrk_script(scenario, directory)
            )
            speeds = f"{found['minifast_rps']:.0f} vs {found['fastapi_rps']:.0f} req/s"
            print(f"end-to-end ({scenario.key}) {speeds}, x{found['ratio']:.2f}", flush=True)
    return results


def measure_floor(directory: str) -> dict[str, float]:
    """Req/s and latency of a bare ASGI app answering (a): the server's and wrk's own cost."""
    scenario = SCENARIOS[0]
    script = wrk_script(scenario, directory)
    with server("floor", scenario.app) as port:
        verify(scenario, fetch(port, scenario))
        run_wrk(port, scenario, script, WARM_UP_SECONDS)
        runs = [run_wrk(port, scenario, script, SECONDS) for _ in range(ROUNDS)]
    found = {measure: statistics.median(run[measure] for run in runs) for measure in runs[0]}
    print(f"end-to-end floor (bare ASGI app, (a)) {found['rps']:.0f} req/s", flush=True)
    return found


def main() -> dict[str, dict[str, float]] | None:
    """Compare every scenario end to end, or return None (with a message) if wrk is missing.

    The results are keyed by scenario, plus "floor": what a bare ASGI app reaches.
    """
    if shutil.which("wrk") is None:
        print("end-to-end harness skipped: `wrk` is not installed (Debian: apt-get install wrk)")
        return None
    apps = {scenario.app: [s for s in SCENARIOS if s.app == scenario.app] for scenario in SCENARIOS}
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as directory:
        floor = measure_floor(directory)
        for app, scenarios in apps.items():
            results |= run_app(app, scenarios, directory)
    return {scenario.key: results[scenario.key] for scenario in SCENARIOS} | {"floor": floor}


if __name__ == "__main__":
    main()
