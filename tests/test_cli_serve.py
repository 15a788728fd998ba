"""`minifast dev` and `minifast run`: finding the app, the banner, and real servers.

Discovery and the arguments handed to uvicorn are checked in-process; the servers themselves
run as subprocesses on a free port, each wait bounded, each stopped by its PID (its process
group, for the reloader's and the workers' children).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from minifast import cli_serve
from minifast.__main__ import main

WAIT_SECONDS = 30
APP_SOURCE = """
import os
from minifast import FastAPI

app = FastAPI()

@app.get("/")
async def answer() -> dict[str, object]:
    return {"version": VERSION, "pid": os.getpid()}

VERSION = 1
"""


@pytest.fixture(autouse=True)
def isolated_imports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Modules imported from tmp_path are forgotten after each test, and so is sys.path."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


def write(path: Path, text: str = APP_SOURCE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- finding the app ------------------------------------------------------------------------


def test_a_file_in_nested_packages_imports_by_its_dotted_name(tmp_path: Path) -> None:
    write(tmp_path / "shop" / "__init__.py", "")
    write(tmp_path / "shop" / "api" / "__init__.py", "")
    write(tmp_path / "shop" / "api" / "server.py")
    location, app = cli_serve.find_app(str(tmp_path / "shop" / "api" / "server.py"), None)
    assert (location.directory, location.import_string) == (tmp_path, "shop.api.server:app")
    assert app is sys.modules["shop.api.server"].app


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        (["main.py", "app.py"], "main:app"),
        (["api.py"], "api:app"),
        (["app/__init__.py", "app/main.py"], "app.main:app"),
    ],
    ids=["main-first", "api", "app-package"],
)
def test_a_folder_is_searched_for_the_usual_file_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: list[str], expected: str
) -> None:
    for name in layout:
        write(tmp_path / name, "" if name.endswith("__init__.py") else APP_SOURCE)
    monkeypatch.chdir(tmp_path)
    location, _ = cli_serve.find_app(None, None)
    assert location.import_string == expected


@pytest.mark.parametrize(
    ("source", "name", "expected"),
    [
        ("from minifast import FastAPI\napi = FastAPI()\napp = 3\n", None, "api"),
        ("from minifast import FastAPI\nservice = FastAPI()\n", None, "service"),
        ("from minifast.applications import Starlette\nweb = Starlette()\n", None, "web"),
        ("from minifast import FastAPI\na = FastAPI()\nb = FastAPI()\n", "b", "b"),
    ],
    ids=["api-when-app-is-no-app", "the-only-one", "toolkit-app", "named"],
)
def test_the_app_attribute_is_chosen(
    tmp_path: Path, source: str, name: str | None, expected: str
) -> None:
    file = write(tmp_path / "chosen.py", source)
    location, app = cli_serve.find_app(str(file), name)
    assert location.attribute == expected
    assert app is getattr(sys.modules["chosen"], expected)


@pytest.mark.parametrize(
    ("files", "path", "name", "message"),
    [
        ({}, "missing.py", None, "is neither a file nor a folder"),
        ({"other.py": ""}, ".", None, "no main.py, app.py"),
        ({"m.py": "x = 1\n"}, "m.py", None, "found none: use --app"),
        (
            {"m.py": "from minifast import FastAPI\na = FastAPI()\nb = FastAPI()\n"},
            "m.py",
            None,
            r"found several \(a, b\)",
        ),
        ({"m.py": APP_SOURCE}, "m.py", "application", "m has no attribute 'application'"),
    ],
    ids=["no-such-path", "no-usual-file", "no-app", "two-apps", "wrong-name"],
)
def test_what_cannot_be_served_is_said_in_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    path: str,
    name: str | None,
    message: str,
) -> None:
    for file_name, text in files.items():
        write(tmp_path / file_name, text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=message):
        cli_serve.find_app(path, name)


# -- the banner and the arguments handed to uvicorn -----------------------------------------


def serve_in_process(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> dict[str, Any]:
    """Run the entry point with uvicorn.run replaced by a recorder; what it was handed."""
    import uvicorn

    handed: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: handed.update(app=app, **options))
    assert main(argv) == 0
    return handed


def test_dev_reloads_on_localhost_and_prints_the_docs_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    file = write(tmp_path / "main.py")
    handed = serve_in_process(monkeypatch, ["dev", str(file), "--port", "8123"])
    assert handed == {
        "app": "main:app", "host": "127.0.0.1", "port": 8123, "root_path": "",
        "proxy_headers": True, "forwarded_allow_ips": None, "app_dir": str(tmp_path),
        "reload": True, "reload_dirs": [str(tmp_path)], "workers": None,
    }  # fmt: skip
    assert capsys.readouterr().out.splitlines() == [
        f"minifast dev: main:app (from {tmp_path})",
        "  server  http://127.0.0.1:8123",
        "  docs    http://127.0.0.1:8123/docs",
        "  redoc   http://127.0.0.1:8123/redoc",
        f"  reload  on changes to .py files under {tmp_path}",
    ]


def test_run_binds_every_interface_with_workers_and_no_reload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = "from minifast import FastAPI\napp = FastAPI(docs_url='/manual', redoc_url=None)\n"
    file = write(tmp_path / "main.py", source)
    argv = ["run", str(file), "--workers", "3", "--root-path", "/api", "--no-proxy-headers"]
    handed = serve_in_process(monkeypatch, argv)
    assert (handed["host"], handed["workers"], handed["reload"], handed["reload_dirs"]) == (
        "0.0.0.0",
        3,
        False,
        None,
    )
    assert (handed["root_path"], handed["proxy_headers"]) == ("/api", False)
    assert capsys.readouterr().out.splitlines()[1:] == [
        "  server  http://0.0.0.0:8000/api",
        "  docs    http://0.0.0.0:8000/api/manual",
        "  workers 3",
    ]


def test_a_toolkit_app_has_no_docs_lines(tmp_path: Path) -> None:
    file = write(
        tmp_path / "web.py", "from minifast.applications import Starlette\napp = Starlette()\n"
    )
    location, app = cli_serve.find_app(str(file), None)
    options = argparse.Namespace(host="h", port=1, root_path="", workers=None)
    assert len(cli_serve.banner("dev", location, app, options).splitlines()) == 3  # no docs


def test_without_uvicorn_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(SystemExit, match=r'needs uvicorn: pip install "minifast\[serve\]"'):
        main(["run", "whatever.py"])


# -- real servers -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str, deadline: float) -> httpx.Response:
    """GET on a fresh connection, retried until the server answers or the deadline passes."""
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def start() -> Iterator[Any]:
    """Start a command in a process group of its own; stop that group by its id afterwards."""
    started: list[subprocess.Popen[str]] = []

    def run(command: list[str], cwd: Path) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - only if the server hangs
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_dev_serves_prints_the_banner_and_reloads_a_changed_file(
    tmp_path: Path, start: Any
) -> None:
    file = write(tmp_path / "main.py")
    port = _free_port()
    process = start([sys.executable, "-m", "minifast", "dev", "--port", str(port)], tmp_path)
    deadline = time.monotonic() + WAIT_SECONDS
    assert _get(f"http://127.0.0.1:{port}/", deadline).json()["version"] == 1
    file.write_text(APP_SOURCE.replace("VERSION = 1", "VERSION = 2"))
    while _get(f"http://127.0.0.1:{port}/", deadline).json()["version"] != 2:
        assert time.monotonic() < deadline, "the change was not reloaded"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGTERM)
    output, _ = process.communicate(timeout=10)
    assert f"  docs    http://127.0.0.1:{port}/docs" in output.splitlines()


def test_run_starts_the_workers_asked_for(tmp_path: Path, start: Any) -> None:
    write(tmp_path / "main.py")
    port = _free_port()
    script = Path(sys.executable).with_name("minifast")  # the console script
    command = [str(script), "run", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    start(command, tmp_path)
    deadline = time.monotonic() + WAIT_SECONDS
    pids: set[int] = set()
    while len(pids) < 2 and time.monotonic() < deadline:  # each request on a new connection
        pids.add(_get(f"http://127.0.0.1:{port}/", deadline).json()["pid"])
    assert len(pids) == 2
