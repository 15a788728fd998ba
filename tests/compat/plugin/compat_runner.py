"""Run FastAPI's test units for the harness, each in its own process forked from this one.

Usage (inside the suite's venv, from the suite's root):
  python compat_runner.py --reports DIR --jobs N --unit-timeout S [--minifast] [--serial I,J]
      UNIT... -- PYTEST_ARGS

Every unit gets its own pytest process, so a crash or a hang costs only that unit; forking
them from a process that has already imported pytest, pydantic, httpx and minifast saves each
one about a second of imports. For each finished unit one line goes to stdout:
`index<TAB>exit status<TAB>seconds`; its JUnit report is DIR/<index>.xml, its output
DIR/<index>.log.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time


def warm_up(on_minifast: bool) -> None:
    """Import what every unit imports, once, before forking."""
    import pytest  # noqa: F401

    if on_minifast:
        # Not minifast_compat_plugin itself: each unit's pytest must run it when it loads it.
        from minifast import compat

        compat.install()
    import fastapi.testclient  # noqa: F401
    import httpx  # noqa: F401
    import pydantic  # noqa: F401


def start_unit(index: int, unit: str, reports: str, pytest_args: list[str]) -> int:
    """Fork a process that runs pytest on one unit; return its pid."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 3
    try:
        log = os.open(f"{reports}/{index}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(log, 1)
        os.dup2(log, 2)
        import pytest

        code = int(pytest.main([unit, f"--junitxml={reports}/{index}.xml", *pytest_args]))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def next_unit(pending: list[tuple[int, str]], serial: set[int], running: set[int]) -> int:
    """The position in `pending` of the next unit that may start now, or -1.

    Units in `serial` write files into the shared working directory, so no two run at once.
    """
    serial_running = bool(serial & running)
    for position, (index, _) in enumerate(pending):
        if not (serial_running and index in serial):
            return position
    return -1


def run(units: list[str], options: argparse.Namespace, pytest_args: list[str]) -> None:
    pending = list(enumerate(units))
    serial = {int(index) for index in options.serial.split(",") if index}
    running: dict[int, tuple[int, float]] = {}
    while pending or running:
        while pending and len(running) < options.jobs:
            position = next_unit(pending, serial, {index for index, _ in running.values()})
            if position < 0:
                break
            index, unit = pending.pop(position)
            running[start_unit(index, unit, options.reports, pytest_args)] = (
                index,
                time.monotonic(),
            )
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid:
            index, started = running.pop(pid)
            print(f"{index}\t{status}\t{time.monotonic() - started:.2f}", flush=True)
            continue
        for pid, (_, started) in running.items():
            if time.monotonic() - started > options.unit_timeout:
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def main() -> None:
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--unit-timeout", type=float, default=240)
    parser.add_argument("--minifast", action="store_true")
    parser.add_argument("--serial", default="", help="indexes of units never run side by side")
    parser.add_argument("units", nargs="*")
    options = parser.parse_args(argv[:split])
    warm_up(options.minifast)
    run(options.units, options, argv[split + 1 :])


if __name__ == "__main__":
    main()
