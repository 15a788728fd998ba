"""`python -m benchmarks` (what `make bench` runs): the three harnesses, then the report.

In-process, end-to-end (skipped with a message when wrk is missing) and start-up run one after
the other, never at once, so they do not share the machine; the numbers then go to
benchmarks/RESULTS.md, results.json and results.png (see benchmarks/report.py).
"""

from __future__ import annotations

import time

from benchmarks import endtoend, inprocess, report, startup


def main() -> None:
    started = time.monotonic()
    results: report.Results = {"machine": report.describe_machine()}
    results["inprocess"] = inprocess.main()
    results["endtoend"] = endtoend.main()
    results["startup"] = startup.main()
    report.write(results)
    minutes = (time.monotonic() - started) / 60
    print(f"wrote {report.HERE / 'RESULTS.md'} and results.png in {minutes:.1f} min")


if __name__ == "__main__":
    main()
