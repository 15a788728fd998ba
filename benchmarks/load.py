"""Load with hostile requests mixed in, against uvicorn on 127.0.0.1: `python -m benchmarks.load`.

Three bounded runs against benchmarks/load_app.py, each printing its figures:
1. keep-alive: CONNECTIONS connections for SECONDS, each sending valid and hostile requests in
   turn; counts answers by status, 5xx, valid requests dropped (their connection closed or
   reset before the answer) and the server's RSS before and after;
2. slow trickle: one client sends a body a byte every 20 ms while /health is timed;
3. blocking: 50 concurrent calls to a blocking `def` endpoint while /health is timed.
`--framework fastapi` runs the same app on FastAPI; `--seconds` and `--connections` shorten it.
Not part of `make test` or `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

VALID = [
    b"GET /items/7?q=x HTTP/1.1\r\nHost: l\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: l\r\n\r\n",
    b"POST /items HTTP/1.1\r\nHost: l\r\nContent-Type: application/json\r\nContent-Length: 26"
    b'\r\n\r\n{"name":"pen","price":1.5}',
]


def _post(path: str, body: bytes, content_type: bytes = b"application/json") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: l\r\nContent-Length: {len(body)}\r\n".encode()
    return head + b"Content-Type: " + content_type + b"\r\n\r\n" + body


HOSTILE = {
    "deep-json": _post("/any", b"[" * 50_000 + b"]" * 50_000),
    "deep-422": _post("/items", b"[" * 600 + b"]" * 600),
    "nan": _post("/any", b"[NaN]"),
    "lone-surrogate": _post("/any", b'"\\ud800"'),
    "not-utf8": _post("/items", b"\xff\xfe", b"text/plain"),
    "percent-ff": b"GET /items/%ff HTTP/1.1\r\nHost: l\r\n\r\n",
    "huge-int": b"GET /items/" + b"7" * 5000 + b" HTTP/1.1\r\nHost: l\r\n\r\n",
    "two-hosts": b"GET /health HTTP/1.1\r\nHost: l\r\nHost: evil\r\n\r\n",
}


@dataclass
class Tally:
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    valid_sent: int = 0
    valid_answered: int = 0
    dropped_valid: int = 0
    reconnects: int = 0
    server_errors: int = 0


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bool]:
    """Send one request; its status and whether the server keeps the connection."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() != "close"


async def keep_alive_client(port: int, until: float, tally: Tally, offset: int) -> None:
    hostile = list(HOSTILE.items())
    turn = offset
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while time.monotonic() < until:
        turn += 1
        is_valid = turn % 3 != 0
        name, request = ("valid", VALID[turn % len(VALID)]) if is_valid else hostile[turn % 8]
        tally.valid_sent += is_valid
        try:
            status, kept = await exchange(reader, writer, request)
        except (ConnectionError, asyncio.IncompleteReadError):
            tally.dropped_valid += is_valid
            kept = False
        else:
            tally.statuses[f"{status // 100}xx" if is_valid else f"{name} {status}"] += 1
            tally.valid_answered += is_valid
            tally.server_errors += status >= 500
        if not kept:
            writer.close()
            tally.reconnects += 1
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()


async def timed_health(port: int, until: float) -> list[float]:
    """/health latencies in ms, one request at a time on one connection."""
    latencies = []
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while time.monotonic() < until:
        start = time.perf_counter()
        await exchange(reader, writer, VALID[1])
        latencies.append((time.perf_counter() - start) * 1000)
        await asyncio.sleep(0.005)
    writer.close()
    return latencies


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else float("nan")


async def trickle(port: int, seconds: float) -> int:
    """A body sent a byte every 20 ms; the status once it is complete."""
    body = b'{"name":"slow","price":1}'
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = _post("/items", body)[: -len(body)]
    writer.write(head)
    delay = min(0.02, seconds / len(body))
    for byte in body:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(delay)
    status, _ = await exchange(reader, writer, b"")
    writer.close()
    return status


async def blocking_calls(port: int, count: int) -> list[int]:
    async def one() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        status, _ = await exchange(reader, writer, b"GET /blocking HTTP/1.1\r\nHost: l\r\n\r\n")
        writer.close()
        return status

    return list(await asyncio.gather(*(one() for _ in range(count))))


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover - Linux always reports it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(framework: str, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "benchmarks.load_app:app", "--port", str(port),
               "--host", "127.0.0.1", "--log-level", "critical", "--no-access-log"]  # fmt: skip
    environment = {**os.environ, "LOAD_FRAMEWORK": framework}
    server = subprocess.Popen(command, env=environment)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("uvicorn did not start")


async def run(port: int, pid: int, connections: int, seconds: float) -> None:
    rss_before = rss_mb(pid)
    tally = Tally()
    until = time.monotonic() + seconds
    await asyncio.gather(*(keep_alive_client(port, until, tally, n) for n in range(connections)))
    print(f"keep-alive: {connections} connections, {seconds:.0f} s")
    print(f"  valid requests: {tally.valid_sent} sent, {tally.valid_answered} answered,"
          f" {tally.dropped_valid} dropped; 5xx answers: {tally.server_errors}")  # fmt: skip
    print(f"  reconnects (server closed the connection): {tally.reconnects}")
    for key, count in sorted(tally.statuses.items()):
        print(f"  {key}: {count}")
    print(f"  server RSS: {rss_before:.1f} MB before, {rss_mb(pid):.1f} MB after")

    until = time.monotonic() + 2.0
    health, status = await asyncio.gather(timed_health(port, until), trickle(port, 1.5))
    print(f"slow trickle: body answered {status}; /health meanwhile: {len(health)} requests,"
          f" p99 {p99(health):.1f} ms")  # fmt: skip

    until = time.monotonic() + 1.0
    health, statuses = await asyncio.gather(timed_health(port, until), blocking_calls(port, 50))
    print(f"blocking: 50 concurrent `def` calls answered {collections.Counter(statuses)};"
          f" /health meanwhile: {len(health)} requests, p99 {p99(health):.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", default="minifast", choices=["minifast", "fastapi"])
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0)
    options = parser.parse_args()
    port = free_port()
    server = start_server(options.framework, port)
    try:
        print(f"{options.framework} under uvicorn on 127.0.0.1:{port}")
        asyncio.run(run(port, server.pid, options.connections, options.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
