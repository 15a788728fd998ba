"""The benchmark apps and report: same app on both frameworks, right answers, tables rendered.

No timing here: `make bench` measures; these tests only keep the benchmark honest.
"""

import difflib
import functools
import importlib
from pathlib import Path
from typing import Any

import anyio
import pytest

from benchmarks import report
from benchmarks.inprocess import check, trace_each_once
from benchmarks.scenarios import SCENARIOS, Scenario, load_app

HERE = Path(__file__).resolve().parent.parent / "benchmarks"


def test_the_two_apps_differ_only_in_their_imports() -> None:
    ours = (HERE / "app_minifast.py").read_text().splitlines()
    theirs = (HERE / "app_fastapi.py").read_text().splitlines()
    changed = [
        line[1:]
        for line in difflib.unified_diff(ours, theirs, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed, "the files should differ in their imports"
    assert all(line.startswith(("from minifast", "from fastapi")) for line in changed)


@functools.cache
def _app(framework: str, name: str) -> Any:
    return load_app(importlib.import_module(f"benchmarks.app_{framework}"), name)


@pytest.mark.parametrize("framework", ["minifast", "fastapi"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.key for s in SCENARIOS])
def test_every_scenario_answers_correctly(framework: str, scenario: Scenario) -> None:
    pytest.importorskip(framework)
    module = importlib.import_module(f"benchmarks.app_{framework}")
    check(module, _app(framework, scenario.app), scenario)


def _results(endtoend: bool) -> report.Results:
    machine = dict.fromkeys(report.MACHINE_LABELS, "x")
    inprocess = {s.key: {"minifast_us": 12.5, "fastapi_us": 50.0, "ratio": 4.0} for s in SCENARIOS}
    latencies = {"minifast_p50_ms": 1.0, "minifast_p99_ms": 2.5}
    latencies |= {"fastapi_p50_ms": 2.0, "fastapi_p99_ms": 4.75}
    served = {"minifast_rps": 12000.0, "fastapi_rps": 6000.0, "ratio": 2.0, **latencies}
    startup = {"minifast": 150.0, "fastapi": 300.0, "ratio": 2.0}
    return {
        "machine": machine,
        "inprocess": inprocess,
        "endtoend": dict.fromkeys(inprocess, served) | {"floor": FLOOR} if endtoend else None,
        "startup": dict.fromkeys(report.STARTUP_LABELS, startup),
    }


FLOOR = {"rps": 40000.0, "p50_ms": 0.4, "p99_ms": 0.9}
SERVED_ROW = (
    "| (i) 50 concurrent blocking `def` calls | 12,000 | 6,000 | 1.00 / 2.50 | 2.00 / 4.75 |"
)


def test_the_report_renders_a_row_per_scenario_and_measure() -> None:
    text = report.render(_results(endtoend=True)).splitlines()

    assert "| (a) GET /hello | 12.5 | 50.0 | 4.00x |" in text
    assert f"{SERVED_ROW} 2.00x |" in text
    assert "| import + build the app (ms) | 150.0 | 300.0 | 2.00x |" in text
    assert sum(line.startswith("| (") for line in text) == 2 * len(SCENARIOS)
    assert any(line.startswith("Server floor: a bare ASGI app") for line in text)
    assert any("reaches 40,000 req/s (25 µs per request, p50 0.40 ms)" in line for line in text)


def test_the_floor_app_answers_scenario_a_as_the_frameworks_do() -> None:
    from benchmarks import app_floor
    from benchmarks.harness import call
    from benchmarks.scenarios import verify

    verify(SCENARIOS[0], anyio.run(call, app_floor.app, SCENARIOS[0]))


def test_the_report_says_when_the_end_to_end_harness_was_skipped() -> None:
    text = report.render(_results(endtoend=False))

    assert "Skipped: `wrk` is not installed" in text
    assert text.count("| (a) GET /hello |") == 1


def test_the_report_writes_tables_numbers_and_chart(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    report.write(_results(endtoend=True), tmp_path)

    assert "| (a) GET /hello | 12.5 | 50.0 | 4.00x |" in (tmp_path / "RESULTS.md").read_text()
    assert (tmp_path / "results.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "results.json").exists()


def test_the_stage_breakdown_times_checked_stages(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import stages

    monkeypatch.setattr(stages, "ROUNDS", 1)
    monkeypatch.setattr(stages, "COUNT", 20)
    anyio.run(stages.main)  # each stage's result is checked before it is timed
    out = capsys.readouterr().out
    assert out.count("| route index lookup |") == 2
    assert "| dependencies, `yield` exit included |" in out
    assert "| body validation into `Item` |" in out


def test_minifast_apps_are_timed_after_a_trace_that_left_them_as_they_were() -> None:
    from minifast import background, resolve

    module = importlib.import_module("benchmarks.app_minifast")
    apps = {name: load_app(module, name) for name in {s.app for s in SCENARIOS}}
    stages = (resolve.call_plan, resolve.resolve_source, background.run_logged)
    trace_each_once(apps)
    assert (resolve.call_plan, resolve.resolve_source, background.run_logged) == stages
    for scenario in SCENARIOS:
        check(module, apps[scenario.app], scenario)
