"""`python -m tests.compat [--baseline] [--only TEXT] [--jobs N]`: FastAPI's suite on minifast.

Without `--baseline` it runs the suite on minifast, prints the per-area table and the most
common failure reasons, and exits 1 when the share of baseline tests passing is below
THRESHOLD. With `--baseline` it runs the suite on FastAPI itself and rewrites baseline.txt.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from tests.compat import harness, score

# The share of the baseline that must pass; it only rises.
THRESHOLD = 0.99
PER_TEST_TIMEOUT_SECONDS = 10.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.compat", description=__doc__)
    parser.add_argument("--baseline", action="store_true", help="run on FastAPI itself")
    parser.add_argument("--only", default="", help="run only units whose path contains this")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--failures", type=Path, help="write each failing test and its reason")
    options = parser.parse_args(argv)

    started = time.monotonic()
    harness.ensure_venv()
    harness.ensure_suite()
    units = [unit for unit in harness.units() if options.only in unit]
    results = run_all(units, on_minifast=not options.baseline, jobs=options.jobs)
    elapsed = time.monotonic() - started
    if options.baseline:
        passed = set().union(*(result.passed for result in results))
        score.write_baseline(passed)
        print(f"baseline: {len(passed)} tests pass on FastAPI ({elapsed:.0f} s)")
        return 0
    return report(results, options, elapsed)


def run_all(units: list[str], *, on_minifast: bool, jobs: int) -> list[harness.UnitResult]:
    """Run the units, the tutorial folders (the slowest) first."""
    ordered = sorted(units, key=lambda unit: not unit.startswith("tests/test_tutorial"))
    timeout = PER_TEST_TIMEOUT_SECONDS
    return harness.run_units(ordered, on_minifast=on_minifast, timeout=timeout, jobs=jobs)


def report(results: list[harness.UnitResult], options: argparse.Namespace, elapsed: float) -> int:
    baseline = score.read_baseline()
    if options.only:
        ran = {result.unit.removesuffix(".py").replace("/", ".") for result in results}
        baseline = {test_id for test_id in baseline if test_id.startswith(tuple(ran))}
    outcome = score.score(results, baseline, score.listed_paths(score.EXCLUSIONS_HEADING))
    print(f"\n{'area':<22} {'passed':>7} {'of':>6} {'share':>7}")
    for area, passed, total in score.area_table(outcome):
        print(f"{area:<22} {passed:>7} {total:>6} {passed / total:>7.1%}")
    total_line = f"{'all':<22} {len(outcome.passed):>7} {len(outcome.counted):>6}"
    print(f"{total_line} {outcome.ratio:>7.2%}   ({elapsed:.0f} s)")
    slowest = sorted(results, key=lambda result: -result.seconds)[:5]
    print("slowest units: " + ", ".join(f"{r.unit} {r.seconds:.0f} s" for r in slowest))
    failing = sorted(outcome.counted - outcome.passed)
    if failing:
        print("\nMost common failure reasons:")
        for reason, count in score.common_reasons(outcome):
            print(f"{count:>6}  {reason}")
    if options.failures:
        lines = (f"{test_id}\t{outcome.reasons.get(test_id, '')}\n" for test_id in failing)
        options.failures.write_text("".join(lines))
    on_purpose = score.listed_paths(score.DIFFERENCES_HEADING)
    not_yet = score.listed_paths(score.NOT_YET_HEADING)
    deliberate = [test_id for test_id in failing if score.is_listed(test_id, on_purpose)]
    waiting = [test_id for test_id in failing if score.is_listed(test_id, not_yet)]
    unlisted = len(failing) - len(deliberate) - len(waiting)
    print(
        f"\nfailing: {len(deliberate)} on purpose, {len(waiting)} not yet (both listed in"
        f" docs/compatibility.md), {unlisted} listed nowhere."
    )
    below = outcome.ratio < THRESHOLD and not options.only  # the threshold is for the whole
    if below:
        print(
            f"FAILED: {outcome.ratio:.2%} of the baseline passes; the threshold is {THRESHOLD:.0%}."
        )
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
