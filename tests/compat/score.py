"""Score a run against the baseline: per-area table, most common failure reasons, threshold."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from tests.compat.harness import HERE, ROOT, UnitResult

BASELINE = HERE / "baseline.txt"
COMPATIBILITY_DOC = ROOT / "docs" / "compatibility.md"
EXCLUSIONS_HEADING = "## FastAPI tests left out of `make compat`"
DIFFERENCES_HEADING = "## FastAPI tests that fail on purpose"
NOT_YET_HEADING = "## FastAPI tests that do not pass yet"

# Area of a test, by the first keyword its file or folder name contains (order matters).
AREAS = {
    "telemetry": "telemetry",
    "opentelemetry": "telemetry",
    "websocket": "websockets",
    "ws_": "websockets",
    "sse": "streaming/SSE",
    "server_sent": "streaming/SSE",
    "stream": "streaming/SSE",
    "encoder": "encoders",
    "jsonable": "encoders",
    "datastructures": "datastructures",
    "param_model": "parameter models",
    "_models": "parameter models",
    "security": "security",
    "form": "forms and files",
    "file": "forms and files",
    "upload": "forms and files",
    "depend": "dependencies",
    "openapi": "OpenAPI schema",
    "schema": "OpenAPI schema",
    "docs": "OpenAPI schema",
    "swagger": "OpenAPI schema",
    "error": "validation errors",
    "validat": "validation errors",
    "route": "routing",
    "router": "routing",
    "path": "routing",
    "response": "responses",
    "query": "parameters",
    "header": "parameters",
    "cookie": "parameters",
    "param": "parameters",
    "body": "parameters",
}


def area_of(test_id: str) -> str:
    """The area of a test id (`tests.test_x.Class::name`); a tutorial's by its folder's topic."""
    parts = test_id.split("::", 1)[0].split(".")
    in_tutorial = len(parts) > 2 and parts[1] == "test_tutorial"
    name = parts[2] if in_tutorial else parts[1] if len(parts) > 1 else ""
    return next((area for keyword, area in AREAS.items() if keyword in name), "other")


def read_baseline() -> set[str]:
    return {line for line in BASELINE.read_text().splitlines() if line and line[0] != "#"}


def write_baseline(passed: Iterable[str]) -> None:
    header = "# Tests that pass on FastAPI 0.163.2 itself (python -m tests.compat --baseline).\n"
    BASELINE.write_text(header + "".join(f"{test_id}\n" for test_id in sorted(passed)))


def listed_paths(heading: str) -> set[str]:
    """The `tests/...` paths in the first column of the table under `heading` in the doc."""
    section = COMPATIBILITY_DOC.read_text().partition(heading)[2].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(tests/[^`]+)`", section, flags=re.MULTILINE))


def is_listed(test_id: str, paths: set[str]) -> bool:
    """Whether a test id falls under one of the listed files, folders or single tests."""
    module, _, name = test_id.partition("::")
    as_path = module.replace(".", "/")
    for path in paths:
        file_part, _, test_part = path.partition("::")
        stem = file_part.removesuffix(".py")
        if (as_path == stem or as_path.startswith(stem + "/")) and (
            not test_part or name == test_part or name.startswith(test_part + "[")
        ):
            return True
    return False


@dataclass
class Score:
    counted: set[str]
    passed: set[str]
    reasons: dict[str, str]

    @property
    def ratio(self) -> float:
        return len(self.passed) / len(self.counted) if self.counted else 1.0


def score(results: list[UnitResult], baseline: set[str], excluded: set[str]) -> Score:
    """Which baseline tests passed on minifast, leaving out the excluded ones."""
    counted = {test_id for test_id in baseline if not is_listed(test_id, excluded)}
    passed: set[str] = set()
    reasons: dict[str, str] = {}
    crash_of_module: dict[str, str] = {}
    for result in results:
        passed |= result.passed
        reasons.update(result.failed)
        if result.crashed:
            crash_of_module[result.unit.removesuffix(".py").replace("/", ".")] = result.crashed
        crash_of_module.update(result.crashed_modules)
    # The most specific module first: a unit's folder holds the modules that crashed in it.
    by_depth = sorted(crash_of_module.items(), key=lambda item: -len(item[0]))
    for test_id in counted - passed:
        if test_id not in reasons:
            module = test_id.split("::", 1)[0]
            crash = next((why for unit, why in by_depth if _is_within(module, unit)), "")
            reasons[test_id] = crash or "did not run"
    return Score(counted, passed & counted, reasons)


def _is_within(module: str, package: str) -> bool:
    """Whether a test's module (`tests.app.test_x.Class`) is `package` or inside it."""
    return module == package or module.startswith(package + ".")


def area_table(result: Score) -> list[tuple[str, int, int]]:
    """(area, passed, baseline) rows, weakest share first."""
    totals = Counter(area_of(test_id) for test_id in result.counted)
    passing = Counter(area_of(test_id) for test_id in result.passed)
    rows = [(area, passing[area], totals[area]) for area in totals]
    return sorted(rows, key=lambda row: (row[1] / row[2], row[0]))


def common_reasons(result: Score, limit: int = 20) -> list[tuple[str, int]]:
    failing = result.counted - result.passed
    normalized = Counter(_shape(result.reasons.get(test_id, "")) for test_id in failing)
    return normalized.most_common(limit)


def _shape(reason: str) -> str:
    """A failure message with its object addresses dropped, so alike failures count as one."""
    return re.sub(r" at 0x[0-9a-f]+", "", reason)[:140]
