"""Writing the results: benchmarks/RESULTS.md (tables) and benchmarks/results.png (a chart).

`render` turns the numbers the three harnesses return into Markdown, with no measuring of its
own, so a test can feed it made-up numbers. `describe_machine` records what the numbers depend
on: CPU, Python, package versions, wrk, date. `draw` plots each scenario's speed-up over
FastAPI, in-process and end to end, on a log scale. Re-render from the saved numbers with
`python -m benchmarks.report`.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import endtoend, inprocess, startup
from benchmarks.scenarios import SCENARIOS

HERE = Path(__file__).resolve().parent
PACKAGES = ["minifast", "fastapi", "starlette", "pydantic", "pydantic-core", "anyio"]
PACKAGES += ["uvicorn", "uvloop", "httptools"]  # the server of the end-to-end harness
STARTUP_LABELS = {
    "import_ms": "import + build the app (ms)",
    "first_request_ms": "first request (ms)",
    "rss_mb": "peak RSS after it (MB)",
}
MACHINE_LABELS = {
    "date": "Date",
    "cpu": "CPU",
    "system": "System",
    "python": "Python",
    "packages": "Packages",
    "wrk": "Load generator",
    "settings": "Settings",
}
Results = dict[str, Any]


def describe_machine() -> dict[str, str]:
    """What the numbers depend on, for the header of RESULTS.md."""
    versions = {name: _version(name) for name in PACKAGES}
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{_cpu_model()}, {os.cpu_count()} cores",
        "system": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": ", ".join(f"{name} {version}" for name, version in versions.items()),
        "wrk": _wrk_version(),
        "settings": _settings(),
    }


def _settings() -> str:
    return (
        f"in-process {inprocess.ROUNDS} rounds of ~{inprocess.TARGET_SECONDS} s per framework "
        "(minifast's apps after one traced request each); "
        f"end to end {endtoend.ROUNDS} rounds of {endtoend.SECONDS} s per framework after "
        f"{endtoend.WARM_UP_SECONDS} s of warm-up, {endtoend.CONNECTIONS} connections "
        f"(50 for (i)); start-up {startup.ROUNDS} fresh processes per framework"
    )


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown CPU"
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return models[0] if models else "unknown CPU"


def _wrk_version() -> str:
    if shutil.which("wrk") is None:
        return "absent"
    output = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    return output.split("Copyright")[0].strip() if output else "unknown"


def render(results: Results) -> str:
    """RESULTS.md from the harnesses' numbers."""
    machine = results["machine"]
    lines = ["# Benchmark results: minifast against FastAPI", ""]
    lines += [f"- **{label}**: {machine[key]}" for key, label in MACHINE_LABELS.items()]
    lines += ["", "How each harness measures: [docs/performance.md](../docs/performance.md)."]
    lines += ["*Speed-up* is FastAPI's cost over minifast's (above 1: minifast is faster),"]
    lines += ["the median of the per-round ratios. Regenerate with `make bench`.", ""]
    lines += render_inprocess(results["inprocess"])
    lines += render_endtoend(results["endtoend"])
    lines += render_startup(results["startup"])
    return "\n".join(lines)


def render_inprocess(found: dict[str, dict[str, float]]) -> list[str]:
    lines = ["## In-process (ASGI call, no sockets): µs per request", ""]
    lines += ["| scenario | minifast µs/req | FastAPI µs/req | speed-up |", "|---|---:|---:|---:|"]
    for scenario in SCENARIOS:
        row = found[scenario.key]
        lines.append(
            f"| ({scenario.key}) {scenario.title} | {row['minifast_us']:.1f} | "
            f"{row['fastapi_us']:.1f} | {row['ratio']:.2f}x |"
        )
    return [*lines, ""]


def render_endtoend(found: dict[str, dict[str, float]] | None) -> list[str]:
    lines = ["## End to end (uvicorn + httptools + uvloop, one worker; wrk): req/s", ""]
    if found is None:
        return [*lines, "Skipped: `wrk` is not installed (Debian: `apt-get install wrk`).", ""]
    lines += ["| scenario | minifast req/s | FastAPI req/s | minifast p50 / p99 ms "]
    lines[-1] += "| FastAPI p50 / p99 ms | speed-up |"
    lines.append("|---|---:|---:|---:|---:|---:|")
    for scenario in SCENARIOS:
        row = found[scenario.key]
        lines.append(
            f"| ({scenario.key}) {scenario.title} | {row['minifast_rps']:,.0f} | "
            f"{row['fastapi_rps']:,.0f} | {row['minifast_p50_ms']:.2f} / "
            f"{row['minifast_p99_ms']:.2f} | {row['fastapi_p50_ms']:.2f} / "
            f"{row['fastapi_p99_ms']:.2f} | {row['ratio']:.2f}x |"
        )
    return [*lines, "", *render_floor(found.get("floor")), ""]


def render_floor(floor: dict[str, float] | None) -> list[str]:
    """The bare ASGI app's figure, and what it means for the ratios above."""
    if floor is None:
        return []
    return [
        f"Server floor: a bare ASGI app sending (a)'s answer reaches {floor['rps']:,.0f} req/s "
        f"({1e6 / floor['rps']:.0f} µs per request, p50 {floor['p50_ms']:.2f} ms) under the same "
        "uvicorn and wrk. Every row above pays that time on top of the framework's own, so the "
        "end-to-end speed-ups are compressed toward 1."
    ]


def render_startup(found: dict[str, dict[str, float]]) -> list[str]:
    lines = ["## Start-up (fresh process each time)", ""]
    lines += ["| measure | minifast | FastAPI | FastAPI / minifast |", "|---|---:|---:|---:|"]
    for key, label in STARTUP_LABELS.items():
        row = found[key]
        lines.append(
            f"| {label} | {row['minifast']:.1f} | {row['fastapi']:.1f} | {row['ratio']:.2f}x |"
        )
    return [*lines, ""]


def draw(results: Results, path: Path) -> None:
    """A horizontal bar chart of each scenario's speed-up, in-process and end to end."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    labels = [f"({scenario.key}) {scenario.title}" for scenario in SCENARIOS][::-1]
    series = [("in-process", results["inprocess"]), ("end to end", results["endtoend"])]
    figure, axes = plt.subplots(figsize=(10, 6.5))
    height = 0.4
    for offset, (name, found) in enumerate(series):
        if found is None:
            continue
        ratios = [found[scenario.key]["ratio"] for scenario in SCENARIOS][::-1]
        places = [index + (0.5 - offset) * height for index in range(len(labels))]
        bars = axes.barh(places, ratios, height=height, label=name)
        axes.bar_label(bars, labels=[f"{ratio:.1f}x" for ratio in ratios], padding=3, fontsize=8)
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}x"))
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("speed-up over FastAPI (FastAPI time / minifast time, log scale)")
    axes.set_title(f"minifast vs FastAPI {_version('fastapi')}: higher is faster")
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write(results: Results, directory: Path = HERE) -> None:
    """Save the numbers (results.json), the tables (RESULTS.md) and the chart (results.png)."""
    (directory / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (directory / "RESULTS.md").write_text(render(results))
    draw(results, directory / "results.png")


if __name__ == "__main__":
    write(json.loads((HERE / "results.json").read_text()))
