"""Fetch FastAPI 0.163.2's test suite and run it, one pytest process per unit, on minifast.

Nothing of FastAPI's is committed: the sdist is downloaded from the package registry at run time
into `.cache/compat/` (git-ignored), and only its `tests/`, `docs_src/` and `pyproject.toml` (the
suite's pytest settings) are extracted. The suite runs in a venv of its own, where minifast is
installed editable and `plugin/minifast_compat_plugin.py` calls `minifast.compat.install()`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

FASTAPI_VERSION = "0.163.2"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / ".cache" / "compat"
VENV = CACHE / "venv"
SUITE = CACHE / f"fastapi-{FASTAPI_VERSION}"
REQUIREMENTS = HERE / "requirements.txt"
PLUGIN_DIR = HERE / "plugin"
# Folders of the sdist's tests/ that hold no tests of the framework's behaviour to run here.
NOT_UNITS = {"__pycache__"}
# One unit's pytest process is ended past this; its tests then count as failed.
UNIT_TIMEOUT_SECONDS = 240


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> None:
    """Create the suite's venv, or bring it up to date when requirements.txt changed."""
    stamp = VENV / ".requirements-sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    if not venv_python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS), "-e", str(ROOT)], check=True)
    stamp.write_text(wanted)


def ensure_suite() -> None:
    """Download FastAPI's sdist once and extract the parts the suite needs."""
    if (SUITE / "pyproject.toml").exists():
        _remove_leftovers()
        return
    with tempfile.TemporaryDirectory() as download:
        subprocess.run(
            [
                *(str(venv_python()), "-m", "pip", "download", "--quiet", "--no-deps"),
                *("--no-binary", ":all:", "--disable-pip-version-check"),
                *("-d", download, f"fastapi=={FASTAPI_VERSION}"),
            ],
            check=True,
        )
        (archive,) = Path(download).glob("fastapi-*.tar.gz")
        _extract(archive, SUITE.with_suffix(".partial"))
    SUITE.with_suffix(".partial").rename(SUITE)


def _remove_leftovers() -> None:
    """Remove what an earlier run's tests left in the working directory (files, folders)."""
    for path in SUITE.iterdir():
        if path.name not in _EXTRACTED:
            shutil.rmtree(path) if path.is_dir() else path.unlink()


_EXTRACTED = {"tests", "docs_src", "pyproject.toml"}


def _extract(archive: Path, destination: Path) -> None:
    shutil.rmtree(destination, ignore_errors=True)
    prefix = f"fastapi-{FASTAPI_VERSION}/"
    wanted = ("tests/", "docs_src/", "pyproject.toml")
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            relative = member.name.removeprefix(prefix)
            if not relative.startswith(wanted) or not (member.isfile() or member.isdir()):
                continue
            member.name = relative
            tar.extract(member, destination, filter="data")


def units() -> list[str]:
    """Each top-level test file, and each folder of tests, relative to the suite's root."""
    found: list[str] = []
    tests = SUITE / "tests"
    for path in sorted(tests.iterdir()):
        if path.is_file() and path.name.startswith("test_") and path.suffix == ".py":
            found.append(f"tests/{path.name}")
        elif path.is_dir() and path.name not in NOT_UNITS:
            if path.name == "test_tutorial":
                found.extend(f"tests/test_tutorial/{sub.name}" for sub in _folders(path))
            else:
                found.append(f"tests/{path.name}")
    return found


def _folders(path: Path) -> Iterator[Path]:
    return (sub for sub in sorted(path.iterdir()) if sub.is_dir() and sub.name not in NOT_UNITS)


@dataclass(frozen=True)
class Suite:
    """Where a suite's units are (its rootdir, the runner's working directory), and the pytest
    arguments it needs beyond the harness's own."""

    root: Path
    pytest_args: tuple[str, ...] = ()
    # Whether the root goes on sys.path, as `python -m pytest` run from it would put it:
    # extensions' suites are run that way, and their tests import `tests.<helper>`.
    root_on_path: bool = False


# pytest-asyncio is in the venv for extensions' suites; FastAPI's runs on anyio alone, as when
# its baseline was recorded.
FASTAPI_SUITE = Suite(SUITE, ("-p", "no:asyncio"))


@dataclass
class UnitResult:
    """What one unit's pytest process reported: each test's id and its first failure line."""

    unit: str
    passed: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    crashed: str = ""
    # Each module that failed to import, and why: a unit may hold several.
    crashed_modules: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def run_units(
    units: list[str],
    *,
    on_minifast: bool,
    timeout: float,
    jobs: int,
    suite: Suite | None = None,
) -> list[UnitResult]:
    """Run each unit in its own pytest process (forked by plugin/compat_runner.py).

    `suite` says where the units are and what else pytest needs; FastAPI's suite by default.
    """
    suite = suite or FASTAPI_SUITE
    with tempfile.TemporaryDirectory() as reports:
        command = [
            *(str(venv_python()), str(PLUGIN_DIR / "compat_runner.py"), "--reports", reports),
            *("--jobs", str(jobs), "--unit-timeout", str(UNIT_TIMEOUT_SECONDS)),
            *(["--minifast"] if on_minifast else []),
            *("--serial", ",".join(str(index) for index in _workdir_units(suite.root, units))),
            *units,
            *("--", "-q", "-p", "no:cacheprovider", "-o", f"timeout={timeout:g}"),
            *suite.pytest_args,
            # One file that fails to import must not stop the unit's other files from running.
            "--continue-on-collection-errors",
            # The runner imported pytest's plugins before pytest could mark them for rewriting.
            *("-W", "ignore::pytest.PytestAssertRewriteWarning"),
            *(["-p", "minifast_compat_plugin"] if on_minifast else []),
        ]
        path = [str(PLUGIN_DIR), *([str(suite.root)] if suite.root_on_path else [])]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
        if on_minifast:
            env["MINIFAST_COMPAT"] = "1"  # read by plugin/sitecustomize.py, in every process
        runner = subprocess.run(
            command, cwd=suite.root, env=env, capture_output=True, text=True, check=False
        )
        if runner.returncode:
            raise RuntimeError(f"the compat runner failed:\n{runner.stderr[-3000:]}")
        return [_unit_result(units, line, Path(reports)) for line in runner.stdout.splitlines()]


def _workdir_units(root: Path, units: list[str]) -> list[int]:
    """The units whose tests write into the working directory: FastAPI's suite marks them
    with its `workdir_lock` group, and they must not run side by side."""
    return [
        index
        for index, unit in enumerate(units)
        if any("workdir_lock" in path.read_text() for path in _python_files(root / unit))
    ]


def _python_files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(path.rglob("*.py"))


def _unit_result(units: list[str], line: str, reports: Path) -> UnitResult:
    index, status, seconds = line.split("\t")
    unit = units[int(index)]
    report = reports / f"{index}.xml"
    if not report.exists():
        if int(status) & 0x7F:  # ended by a signal: the runner's timeout, or a crash
            why = f"unit ended by signal {int(status) & 0x7F} after {float(seconds):.0f} s"
        else:
            log = (reports / f"{index}.log").read_text(errors="replace")
            why = _last_line(log) or "no report"
        return UnitResult(unit, crashed=why, seconds=float(seconds))
    result = _read_report(unit, report)
    result.seconds = float(seconds)
    return result


def _read_report(unit: str, report: Path) -> UnitResult:
    result = UnitResult(unit)
    for case in ElementTree.parse(report).iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None and not case.get("classname"):
            # A file that failed to import: its tests never ran, and this is why.
            result.crashed = result.crashed or _first_line(problem)
            result.crashed_modules[case.get("name") or unit] = _first_line(problem)
        elif problem is not None:
            result.failed[test_id] = _first_line(problem)
        elif case.find("skipped") is None:
            result.passed.add(test_id)
    return result


def _first_line(problem: ElementTree.Element) -> str:
    message = problem.get("message") or problem.text or problem.tag
    if message == "collection failure":
        # The reason is the traceback's last "E " line.
        raised = [line[1:] for line in (problem.text or "").splitlines() if line.startswith("E ")]
        message = raised[-1] if raised else message
    return message.strip().splitlines()[0][:160] if message.strip() else problem.tag


def _last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""
