"""`python -m tests.compat [--baseline] [--only TEXT] [--jobs N]`: FastAPI's suite on minifast.

Without `--baseline` it runs the suite on minifast, prints the per-area table and the most
common failure reasons, and exits 1 when the share of baseline tests passing is below
THRESHOLD. With `--baseline` it runs the suite on FastAPI itself and rewrites baseline.txt.
Then it does the same with the suites of the extensions in extensions.py, one row each,
against baseline_extensions.txt: every baseline test of every extension must pass, unless
`--lenient-extensions` (their failures are then only listed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.compat import extensions, harness, score
from tests.compat.extensions import Extension

# The share of the baseline that must pass; it only rises.
THRESHOLD = 0.99
PER_TEST_TIMEOUT_SECONDS = 10.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.compat", description=__doc__)
    parser.add_argument("--baseline", action="store_true", help="run on FastAPI itself")
    parser.add_argument(
        "--only", default="", help="run only units (or extensions/<name>) whose path has this"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--failures", type=Path, help="write each failing test and its reason")
    parser.add_argument(
        "--lenient-extensions", action="store_true", help="list extension failures, pass anyway"
    )
    options = parser.parse_args(argv)

    started = time.monotonic()
    if options.failures:
        options.failures.write_text("")  # the FastAPI report rewrites it; extensions append
    harness.ensure_venv()
    harness.ensure_suite()
    # `--only extensions/` runs every extension and no FastAPI unit; `extensions/authx`, one.
    chosen = [ext for ext in extensions.EXTENSIONS if options.only in f"extensions/{ext.name}"]
    extensions.ensure_sources(chosen)
    units = [unit for unit in harness.units() if options.only in unit]
    results = run_all(units, on_minifast=not options.baseline, jobs=options.jobs) if units else []
    elapsed = time.monotonic() - started
    by_extension = run_extensions(chosen, on_minifast=not options.baseline)
    extensions_elapsed = time.monotonic() - started - elapsed
    if options.baseline:
        return write_baselines(results, by_extension, elapsed + extensions_elapsed)
    code = report(results, options, elapsed) if units else 0
    return code | report_extensions(by_extension, options, extensions_elapsed)


def write_baselines(
    results: list[harness.UnitResult],
    by_extension: dict[Extension, list[harness.UnitResult]],
    elapsed: float,
) -> int:
    """Record what passes on FastAPI; a run of extensions alone leaves baseline.txt alone."""
    if results:
        passed = set().union(*(result.passed for result in results))
        score.write_baseline(passed)
        print(f"baseline: {len(passed)} tests pass on FastAPI ({elapsed:.0f} s)")
    passing = {
        extension.name: set().union(*(result.passed for result in ran))
        for extension, ran in by_extension.items()
    }
    extensions.write_baseline(passing)
    for extension, ran in by_extension.items():
        print(
            f"baseline: {len(passing[extension.name])} of {extensions.collected(ran)} tests of"
            f" {extension.name} {extension.version} pass on FastAPI"
        )
    return 0


def run_all(units: list[str], *, on_minifast: bool, jobs: int) -> list[harness.UnitResult]:
    """Run the units, the tutorial folders (the slowest) first."""
    ordered = sorted(units, key=lambda unit: not unit.startswith("tests/test_tutorial"))
    timeout = PER_TEST_TIMEOUT_SECONDS
    return harness.run_units(ordered, on_minifast=on_minifast, timeout=timeout, jobs=jobs)


def run_extensions(
    chosen: list[Extension], *, on_minifast: bool
) -> dict[Extension, list[harness.UnitResult]]:
    """Run each extension's suite from its own root, where its conftest and settings are.

    PERF: all at once, whatever the number of cores: the suites spend most of their time
    asleep (tokens left to expire, streams paced by the clock), so they overlap well.
    """

    def run(extension: Extension) -> list[harness.UnitResult]:
        return harness.run_units(
            ["tests"],
            on_minifast=on_minifast,
            timeout=PER_TEST_TIMEOUT_SECONDS,
            jobs=1,
            suite=harness.Suite(extension.root, extension.pytest_args, root_on_path=True),
        )

    with ThreadPoolExecutor(max_workers=max(len(chosen), 1)) as pool:
        return dict(zip(chosen, pool.map(run, chosen), strict=True))


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


def report_extensions(
    by_extension: dict[Extension, list[harness.UnitResult]],
    options: argparse.Namespace,
    elapsed: float,
) -> int:
    """One row per extension, then why its baseline tests fail; 1 if any does and it counts."""
    if not by_extension:
        return 0
    baselines = extensions.read_baseline()
    outcomes = {
        extension: score.score(ran, baselines.get(extension.name, set()), excluded=set())
        for extension, ran in by_extension.items()
    }
    print(f"\n{'extension':<22} {'version':>8} {'ran':>5} {'passed':>7} {'of':>6} {'share':>7}")
    for extension, outcome in outcomes.items():
        ran = extensions.collected(by_extension[extension])
        print(
            f"{extension.name:<22} {extension.version:>8} {ran:>5} {len(outcome.passed):>7}"
            f" {len(outcome.counted):>6} {outcome.ratio:>7.1%}"
        )
    print(f"({elapsed:.0f} s for the extensions)")
    failing = sum(len(outcome.counted - outcome.passed) for outcome in outcomes.values())
    if not failing:
        return 0
    for extension, outcome in outcomes.items():
        _print_extension_failures(extension, outcome, options.failures)
    counts = "listed only (--lenient-extensions)" if options.lenient_extensions else "FAILED"
    print(f"\nextensions: {failing} tests that pass on FastAPI fail on minifast: {counts}.")
    return 0 if options.lenient_extensions else 1


def _print_extension_failures(extension: Extension, outcome: score.Score, out: Path | None) -> None:
    failing = sorted(outcome.counted - outcome.passed)
    if not failing:
        return
    print(f"\nWhy tests of {extension.name} fail on minifast:")
    for reason, count in score.common_reasons(outcome, limit=10):
        print(f"{count:>6}  {reason}")
    if out:
        with out.open("a") as lines:
            for test_id in failing:
                lines.write(f"{extension.name} {test_id}\t{outcome.reasons.get(test_id, '')}\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
