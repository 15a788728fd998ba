"""Hostile inputs and faults on minifast and on FastAPI: `python -m benchmarks.reliability`.

The same app is built on each framework (as the differential tests do) and every check sends
it the same raw ASGI request; the table records what each framework answered, or the exception
that escaped it (a server turns that into a 500 and closes the connection). `--write` puts
the table into docs/reliability.md; `--load` also runs benchmarks/load.py on both frameworks
under uvicorn (about a minute) and adds its figures.
"""

# No `from __future__ import annotations`: the endpoints annotate with the local `fw`.

import argparse
import importlib
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import anyio
from pydantic import BaseModel

DOC = Path(__file__).parent.parent / "docs" / "reliability.md"
Message = dict[str, Any]


class Item(BaseModel):
    name: str
    price: float = 0


def build(name: str, folder: str) -> Any:
    """The app every check runs against, written with `name`'s own imports."""
    fw: Any = importlib.import_module(name)
    responses: Any = importlib.import_module(f"{name}.responses")
    cors: Any = importlib.import_module(f"{name}.middleware.cors")
    app = fw.FastAPI()
    app.add_middleware(cors.CORSMiddleware, allow_origins=["*"], allow_credentials=True)
    stored: list[Any] = []

    @app.post("/any")
    async def take_any(body: Annotated[Any, fw.Body()]) -> str:
        stored.append(body)
        return "stored"

    @app.get("/last")
    async def last():  # type: ignore[no-untyped-def]  # no model: JSONResponse writes it
        return stored[-1] if stored else "nothing stored"

    @app.post("/items")
    async def take_item(item: Item) -> Item:
        return item

    @app.get("/words/{word}")
    async def word(word: str) -> str:
        return word

    @app.get("/numbers/{number:int}")
    async def number(number: int) -> int:
        return number % 10

    @app.get("/files/{file_name}")
    async def file(file_name: str) -> Any:
        return responses.FileResponse(Path(folder) / file_name)

    @app.websocket("/text")
    async def text(websocket: fw.WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())

    return app


def http(method: str, path: str, body: bytes = b"", headers: Any = (), raw: bytes | None = None):  # type: ignore[no-untyped-def]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": raw or path.encode(), "query_string": b"",
        "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
        "headers": [(b"host", b"testserver"), *headers],
    }  # fmt: skip
    return scope, [{"type": "http.request", "body": body, "more_body": False}]


JSON = [(b"content-type", b"application/json")]


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@dataclass
class Check:
    name: str
    expects: str
    requests: list[tuple[dict[str, Any], list[Message]]]  # in turn, on one app


CHECKS = [
    Check("JSON nested 100,000 deep", "400", [http("POST", "/any", deep(100_000), JSON)]),
    Check("JSON nested 600 deep, to a model (the 422 echoes it)", "4xx",
          [http("POST", "/items", deep(600), JSON)]),
    Check("`NaN` in a JSON body", "400, nothing stored",
          [http("POST", "/any", b"[NaN]", JSON), http("GET", "/last")]),
    Check("`1e400` (infinity) stored, then read back", "200",
          [http("POST", "/any", b"[1e400]", JSON), http("GET", "/last")]),
    Check("lone surrogate `\"\\ud800\"` in a JSON body", "400, nothing stored",
          [http("POST", "/any", b'"\\ud800"', JSON), http("GET", "/last")]),
    Check("non-UTF-8 body as text/plain to a JSON endpoint", "4xx",
          [http("POST", "/items", b"\xff\xfe", [(b"content-type", b"text/plain")])]),
    Check("non-UTF-8 body with no Content-Type", "4xx",
          [http("POST", "/items", b"\xff\xfe")]),
    Check("`%ff` in the path", "400", [http("GET", "/words/\ufffd", raw=b"/words/%ff")]),
    Check("5,000-digit `{x:int}` segment", "404", [http("GET", "/numbers/" + "7" * 5000)]),
    Check("5,000-digit segment, no route matches", "404",
          [http("GET", "/numbers/" + "7" * 5000 + "/x")]),
    Check("FileResponse of a missing file", "404", [http("GET", "/files/missing.txt")]),
    Check("FileResponse of a directory", "404", [http("GET", "/files/folder")]),
    Check("client disconnects mid-body", "no 500, nothing raised",
          [(http("POST", "/items", b"", JSON)[0],
            [{"type": "http.request", "body": b"{", "more_body": True},
             {"type": "http.disconnect"}])]),
    Check("two Host headers", "400", [http("GET", "/words/a", headers=[(b"host", b"evil")])]),
    Check("CORS `*` + credentials, request from evil.example", "no credentials for it",
          [http("GET", "/words/a", headers=[(b"origin", b"https://evil.example")])]),
]  # fmt: skip


async def call(app: Any, scope: dict[str, Any], incoming: list[Message]) -> list[Message]:
    sent: list[Message] = []
    pending = list(incoming)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(dict(message))

    with anyio.fail_after(10):
        await app(scope, receive, send)
    return sent


def outcome(sent: list[Message]) -> str:
    start = next((m for m in sent if m["type"] == "http.response.start"), None)
    if start is None:
        return "no answer"
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers = dict(start["headers"])
    shown = body.decode("utf-8", "replace")
    if len(shown) > 60:
        shown = shown[:57] + "..."
    extra = ""
    if b"access-control-allow-origin" in headers:
        origin = headers[b"access-control-allow-origin"].decode()
        credentials = headers.get(b"access-control-allow-credentials", b"-").decode()
        extra = f" (allow-origin {origin}, credentials {credentials})"
    return f"{start['status']} `{shown}`{extra}".replace("|", "\\|")


def run_check(name: str, check: Check, folder: str) -> str:
    app = build(name, folder)
    results = []
    for scope, incoming in check.requests:
        try:
            results.append(outcome(anyio.run(call, app, dict(scope), incoming)))
        except Exception as error:  # what a server would log, answering 500 and closing
            results.append(f"**raised {type(error).__name__}** (a 500, connection closed)")
    return "; then ".join(results)


def websocket_check(name: str) -> str:
    """`receive_text()` given a binary frame: how the socket ends."""
    app = build(name, ".")
    scope = {**http("GET", "/text")[0], "type": "websocket"}
    incoming = [{"type": "websocket.connect"}, {"type": "websocket.receive", "bytes": b"\x01"}]
    try:
        sent = anyio.run(call, app, scope, incoming)
    except Exception as error:
        return f"**raised {type(error).__name__}** (closed 1011)"
    closes = [m for m in sent if m["type"] == "websocket.close"]
    return f"closed {closes[0]['code']} `{closes[0].get('reason', '')}`" if closes else "open"


def table() -> str:
    rows = ["| check | expected | minifast | FastAPI 0.163.2 |", "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "folder").mkdir()
        for check in CHECKS:
            ours, theirs = (run_check(name, check, folder) for name in ("minifast", "fastapi"))
            rows.append(f"| {check.name} | {check.expects} | {ours} | {theirs} |")
    ours, theirs = websocket_check("minifast"), websocket_check("fastapi")
    rows.append(f"| websocket `receive_text()` on a binary frame | 1003 | {ours} | {theirs} |")
    return "\n".join(rows)


def load_figures() -> str:
    sections = []
    for name in ("minifast", "fastapi"):
        command = [sys.executable, "-m", "benchmarks.load", "--framework", name]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        sections.append(f"```\n{output.strip()}\n```")
    return "\n\n".join(sections)


PREAMBLE = """# Reliability: hostile input, faults and load, minifast beside FastAPI

Generated by `python -m benchmarks.reliability --write --load`: every row ran the same app on
both frameworks (benchmarks/reliability.py), in-process, one raw ASGI request at a time.
"**raised**" means the exception escaped the app: a server answers 500, logs a traceback and
closes the keep-alive connection, dropping what else was queued on it. The deliberate
differences are listed in [compatibility.md](compatibility.md); `tests/test_hostile_inputs.py`,
`tests/test_faults.py` and the fuzz tests (`tests/test_fuzz_*.py`) check minifast's side.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write docs/reliability.md")
    parser.add_argument("--load", action="store_true", help="also run benchmarks/load.py")
    options = parser.parse_args()
    text = PREAMBLE + "\n## Hostile input\n\n" + table() + "\n"
    if options.load:
        text += (
            "\n## Load under uvicorn (benchmarks/load.py)\n\n500 keep-alive connections for 10 s"
            " on 127.0.0.1, a third of the requests hostile (the kinds above); then a"
            " slow-trickle body and 50 concurrent blocking `def` calls while `/health` is"
            " timed. minifast first, then FastAPI, on a shared 2-core machine.\n\n"
            + load_figures()
            + "\n"
        )
    print(text)
    if options.write:
        DOC.write_text(text)


if __name__ == "__main__":
    main()
