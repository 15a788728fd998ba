"""The benchmark apps: the same app on both frameworks, and every scenario answered right."""

import difflib
from pathlib import Path

import pytest

from benchmarks.inprocess import check
from benchmarks.scenarios import SCENARIOS, Scenario

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


@pytest.mark.parametrize("framework", ["minifast", "fastapi"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.key for s in SCENARIOS])
def test_every_scenario_answers_correctly(framework: str, scenario: Scenario) -> None:
    pytest.importorskip(framework)
    module = pytest.importorskip(f"benchmarks.app_{framework}")
    check(module.app, scenario)
