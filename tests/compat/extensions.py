"""Real FastAPI and Starlette extensions' own test suites, run on FastAPI and on minifast.

Each extension is installed from the package registry into the compat venv (pinned in
requirements.txt) and its sdist is downloaded at run time into `.cache/compat/extensions/`.
Only the sdist's `tests/` and its pytest settings are extracted, so the tests import the
installed package, never a copy of its source. Each suite runs whole in one pytest process
(pytest's start-up, about a second, would cost more per file than the files' tests), the
suites side by side; its test ids are the extension's, read against `baseline_extensions.txt`
(`<name> <test id>` per line: the tests passing on FastAPI itself).

An extension whose sdist ships no tests is backed instead by a folder of ours under
`own_suites/`: an app using the installed package as its documentation shows, and tests of it,
laid out as an sdist would be (the folder is the suite's root). Their files are named
`check_*.py`, so the project's own pytest run, where those packages are not installed, never
collects them.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tests.compat.harness import CACHE, HERE, UnitResult, venv_python

SOURCES = CACHE / "extensions"
OWN_SUITES = HERE / "own_suites"
BASELINE = HERE / "baseline_extensions.txt"
# What each sdist holds that its tests need: the tests and the files pytest reads settings from.
_KEPT = ("tests/", "pyproject.toml", "setup.cfg", "pytest.ini", "pytest.toml", "tox.ini")


@dataclass(frozen=True)
class Extension:
    """One extension: its distribution, version, what it does, and how its suite is run."""

    name: str
    version: str
    kind: str
    # Extra pytest arguments: the suite's own `addopts` may ask for coverage, databases...
    pytest_args: tuple[str, ...] = ()
    # Files the suite reads but the sdist does not ship, as {relative path: content}.
    missing_files: tuple[tuple[str, str], ...] = ()
    # Whether the suite is ours, in own_suites/<name>/, rather than the sdist's.
    is_own_suite: bool = False

    @property
    def root(self) -> Path:
        if self.is_own_suite:
            return OWN_SUITES / self.name
        return SOURCES / f"{self.name}-{self.version}"


# Keep the versions in step with requirements.txt.
EXTENSIONS = (
    Extension("authx", "1.7.1", "authentication: JWT in headers, cookies, query; CSRF; scopes"),
    Extension(
        "starlette-exporter",
        "0.24.0",
        "metrics: Prometheus middleware",
        missing_files=(("tests/static/test.txt", "a static file\n"),),
    ),
    Extension("starlette-request-id", "2.1.0", "request id: middleware and context variable"),
    Extension(
        "sse-starlette",
        "3.7.1",
        "streaming: server-sent events response",
        # Integration tests start containers; experimentation ones are not run by its CI either.
        pytest_args=("-m", "not integration and not experimentation"),
    ),
    Extension("fastapi-csrf-protect", "1.0.7", "CSRF protection: dependency and settings"),
    Extension("slowapi", "0.1.10", "rate limiting: decorator, middleware", is_own_suite=True),
    Extension(
        "starsessions", "2.2.1", "server-side sessions: middleware, store", is_own_suite=True
    ),
)


def ensure_sources(extensions: Iterable[Extension]) -> None:
    """Download each extension's sdist once and extract its tests; our own suites need none."""
    for extension in extensions:
        if not extension.is_own_suite and not extension.root.exists():
            _download(extension)
        _write_missing_files(extension)


def _download(extension: Extension) -> None:
    partial = extension.root.with_suffix(".partial")
    with tempfile.TemporaryDirectory() as download:
        subprocess.run(
            [
                *(str(venv_python()), "-m", "pip", "download", "--quiet", "--no-deps"),
                # Only this package as an sdist: its build tools may come as wheels.
                *("--no-binary", extension.name, "--disable-pip-version-check"),
                *("-d", download, f"{extension.name}=={extension.version}"),
            ],
            check=True,
        )
        (archive,) = Path(download).glob("*.tar.gz")
        _extract(archive, partial)
    partial.rename(extension.root)


def _extract(archive: Path, destination: Path) -> None:
    shutil.rmtree(destination, ignore_errors=True)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            # Every member sits under one `<name>-<version>/` folder, spelled as the sdist likes.
            relative = member.name.partition("/")[2]
            if not relative.startswith(_KEPT) or not (member.isfile() or member.isdir()):
                continue
            member.name = relative
            tar.extract(member, destination, filter="data")


def _write_missing_files(extension: Extension) -> None:
    for relative, content in extension.missing_files:
        path = extension.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def read_baseline() -> dict[str, set[str]]:
    """The tests passing on FastAPI, by extension name."""
    passing: dict[str, set[str]] = {}
    for line in BASELINE.read_text().splitlines() if BASELINE.exists() else []:
        if line and line[0] != "#":
            name, _, test_id = line.partition(" ")
            passing.setdefault(name, set()).add(test_id)
    return passing


def write_baseline(passing: dict[str, set[str]]) -> None:
    """Rewrite the baseline, keeping the lines of extensions that did not run this time."""
    merged = read_baseline() | passing
    header = (
        "# Tests of FastAPI/Starlette extensions that pass on FastAPI 0.163.2 itself\n"
        "# (python -m tests.compat --baseline); `<extension> <test id>` per line.\n"
    )
    lines = (f"{name} {test_id}\n" for name in sorted(merged) for test_id in sorted(merged[name]))
    BASELINE.write_text(header + "".join(lines))


def collected(results: list[UnitResult]) -> int:
    """How many tests the extension's suite ran, whatever their outcome."""
    return sum(len(result.passed) + len(result.failed) for result in results)
