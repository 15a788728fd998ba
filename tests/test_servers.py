"""The example app under real ASGI servers: uvicorn (what `make run` uses) and hypercorn."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVERS = {
    "uvicorn": ["-m", "uvicorn", "examples.main:app", "--host", "127.0.0.1", "--port"],
    "hypercorn": ["-m", "hypercorn", "examples.main:app", "--bind"],
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start within 20 s")


@pytest.fixture(params=sorted(SERVERS), ids=sorted(SERVERS))
def base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    pytest.importorskip(request.param)
    port = _free_port()
    address = str(port) if request.param == "uvicorn" else f"127.0.0.1:{port}"
    command = [sys.executable, *SERVERS[request.param], address]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url + "/", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_example_app_answers_over_tcp(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        created = client.post("/items", json={"name": "widget", "price": 9.99})
        assert created.status_code == 201
        assert created.json() == {"name": "widget", "price": 9.99, "description": None, "id": 1}
        assert client.get("/items/1").json()["name"] == "widget"
        invalid = client.post("/items", json={"name": "widget", "price": "not_a_number"})
        assert invalid.status_code == 422
        assert invalid.json()["detail"][0]["loc"] == ["body", "price"]
        missing = client.get("/nowhere")
        assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
        head = client.head("/items/1")
        assert head.status_code == 405
        assert head.headers["allow"] == "GET"
        assert head.content == b""
