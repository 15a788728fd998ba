"""Every example app starts under uvicorn, as its docstring says, and answers over TCP."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.test_servers import _wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for path in (ROOT / "examples").rglob("*.py")
    if path.name != "__init__.py" and "app = " in path.read_text()
)


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    """One uvicorn per example, all started at once so their start-ups overlap.

    Each is handed a socket already listening (`--fd`), so no two can race for a port.
    """
    started: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    try:
        for module in EXAMPLES:
            with socket.create_server(("127.0.0.1", 0)) as listener:
                fd, port = listener.fileno(), listener.getsockname()[1]
                command = [sys.executable, "-m", "uvicorn", f"{module}:app", "--fd", str(fd)]
                process = subprocess.Popen(
                    command, cwd=ROOT, pass_fds=(fd,),
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
            started[module] = (process, f"http://127.0.0.1:{port}")
        for process, url in started.values():
            _wait_until_serving(url + "/openapi.json", process)
        yield {module: url for module, (_, url) in started.items()}
    finally:
        for process, _ in started.values():
            process.terminate()
        for process, _ in started.values():
            process.wait(timeout=10)


def test_every_example_is_found() -> None:
    assert {"examples.main", "examples.chat", "examples.bigger_app.main"} <= set(EXAMPLES)


@pytest.mark.parametrize("module", EXAMPLES)
def test_example_serves_its_openapi_document(servers: dict[str, str], module: str) -> None:
    answer = httpx.get(servers[module] + "/openapi.json", timeout=10)
    assert answer.status_code == 200
    assert answer.json()["openapi"] == "3.1.0"
