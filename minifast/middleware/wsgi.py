# How WSGI mounting works: the request body is read whole (WSGI reads `wsgi.input` as a file),
# the ASGI scope becomes a WSGI environ, and the WSGI app runs on a worker thread, since it
# blocks. From that thread, each body chunk it yields is sent to the ASGI server as it comes
# (the thread waits for each send, so a slow client slows the app instead of filling memory).
# WSGI: the status and headers from `start_response` are held until the first non-empty chunk,
# so an app may still replace them, with `exc_info`, when it fails before producing a body;
# once they are sent, `start_response(..., exc_info)` re-raises the app's error.
# COMPAT: Starlette 1.10 deprecates its WSGIMiddleware (pointing to a2wsgi); minifast keeps
# it without a warning: it is the small, readable contrast between the two protocols.
"""`WSGIMiddleware`: serve a WSGI application (Flask, Django...) from an ASGI server."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import anyio  # PERF: its `to_thread` and `from_thread` load on first use (see concurrency.py)

from minifast.types import Message, Receive, Scope, Send

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], None]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_DEFAULT_PORTS = {"http": 80, "https": 443}
# CGI names for the two headers that have no HTTP_ prefix.
_UNPREFIXED_HEADERS = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}


class WSGIMiddleware:
    """An ASGI app that runs the WSGI app `app` for each HTTP request."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = await _read_body(receive)
        if body is None:
            return  # the client left before sending its request: nobody to answer
        exchange = _Exchange(self.app, build_environ(scope, body), send)
        await anyio.to_thread.run_sync(exchange.run)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None if the client disconnected first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def build_environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The WSGI environ for an HTTP scope whose request body is `body`."""
    # WSGI: environ strings are "native strings", bytes decoded as latin-1; ASGI paths are
    # already decoded as UTF-8, so they go back to bytes first.
    script_name = scope.get("root_path", "").encode("utf-8").decode("latin-1")
    path_info = scope["path"].encode("utf-8").decode("latin-1")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name,
        "PATH_INFO": _below(script_name, path_info),
        "QUERY_STRING": scope["query_string"].decode("ascii"),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,  # Starlette passes stdout; errors belong on stderr
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **_server_variables(scope),
    }
    for name, value in _cgi_headers(scope.get("headers", [])):
        # COMPAT: a repeated header is joined with a bare ",", as Starlette joins it.
        environ[name] = f"{environ[name]},{value}" if name in environ else value
    return environ


def _below(script_name: str, path: str) -> str:
    """`path` without the mount prefix, when it starts with it at a segment boundary."""
    rest = path[len(script_name) :]
    if script_name and path.startswith(script_name) and (not rest or rest.startswith("/")):
        return rest
    return path


def _server_variables(scope: Scope) -> dict[str, str]:
    host, port = scope.get("server") or ("localhost", 80)
    if port is None:  # a unix socket: the scheme's port stands in
        port = _DEFAULT_PORTS.get(scope.get("scheme", "http"), 80)
    # WSGI: CGI variables are strings (Starlette passes the port as an int).
    server = {"SERVER_NAME": host, "SERVER_PORT": str(port)}
    client = scope.get("client")
    return {**server, "REMOTE_ADDR": client[0]} if client else server


def _cgi_headers(headers: Iterable[tuple[bytes, bytes]]) -> Iterable[tuple[str, str]]:
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        cgi_name = _UNPREFIXED_HEADERS.get(name) or "HTTP_" + name.upper().replace("-", "_")
        yield cgi_name, raw_value.decode("latin-1")


class _Exchange:
    """One WSGI call, run on a worker thread, sending ASGI messages back to the event loop."""

    def __init__(self, app: WSGIApp, environ: dict[str, Any], send: Send) -> None:
        self.app = app
        self.environ = environ
        self.send = send
        self.start: Message | None = None  # the response start, until it is sent
        self.has_sent_start = False

    def run(self) -> None:
        chunks = self.app(self.environ, self.start_response)
        try:
            for chunk in chunks:
                self.write(chunk)
        finally:
            # WSGI: the server closes what the app returned, however iterating it ended.
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        self._send_start()
        self._send({"type": "http.response.body", "body": b"", "more_body": False})

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self.has_sent_start:
            # WSGI: too late to change the answer; the app's error goes on up.
            raise exc_info[1].with_traceback(exc_info[2])
        if exc_info is None and self.start is not None:
            raise RuntimeError("start_response was called twice without exc_info")
        code, _, _ = status.partition(" ")
        self.start = {
            "type": "http.response.start",
            "status": int(code),
            "headers": [
                (name.strip().lower().encode("latin-1"), value.strip().encode("latin-1"))
                for name, value in headers
            ],
        }
        return self.write  # WSGI: the legacy `write(data)` callable, for apps that push

    def write(self, chunk: bytes) -> None:
        # WSGI: empty chunks are skipped, so the headers wait for the first byte of body.
        if chunk:
            self._send_start()
            self._send({"type": "http.response.body", "body": chunk, "more_body": True})

    def _send_start(self) -> None:
        if self.has_sent_start:
            return
        if self.start is None:
            raise RuntimeError("the WSGI app returned without calling start_response")
        self.has_sent_start = True
        self._send(self.start)

    def _send(self, message: Message) -> None:
        anyio.from_thread.run(self._forward, message)

    async def _forward(self, message: Message) -> None:
        await self.send(message)  # from_thread.run wants a coroutine function, not any awaitable
