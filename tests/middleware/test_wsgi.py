"""WSGIMiddleware: the environ, streaming, start_response and errors, vs Starlette's."""

import importlib
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest

import minifast.middleware.wsgi
from minifast.middleware.wsgi import WSGIMiddleware, build_environ
from tests.support import call_asgi, http_scope, request

Environ = dict[str, Any]


def starlette_wsgi() -> Any:
    """Starlette's module; it warns on import that it is deprecated."""
    pytest.importorskip("starlette")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="starlette.middleware.wsgi is deprecated")
        return importlib.import_module("starlette.middleware.wsgi")


def echo_app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
    """A plain WSGI app answering with what it was given."""
    body = environ["wsgi.input"].read()
    lines = [f"{key}={environ[key]}" for key in ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO")]
    lines += [f"query={environ['QUERY_STRING']}", f"type={environ.get('CONTENT_TYPE')}"]
    start_response("201 Created", [("Content-Type", "text/plain"), ("X-Echo", " yes ")])
    return ["\n".join(lines).encode(), b"\n", body]


SCOPES = {
    "plain": http_scope("GET", "/a/b", b"x=1&y=2"),
    "mounted": http_scope("GET", "/app/sub", root_path="/app"),
    "mount-root": http_scope("GET", "/app", root_path="/app"),
    "non-ascii-path": http_scope("GET", "/caf\u00e9"),
    "headers": http_scope(
        "POST",
        "/",
        headers=[
            (b"content-type", b"application/json"),
            (b"content-length", b"2"),
            (b"x-many", b"1"),
            (b"x-many", b"2"),
            (b"accept-language", b"fr"),
        ],
    ),
    "no-client-no-server": {**http_scope(), "client": None, "server": None},
    "https": {**http_scope(), "scheme": "https", "server": ("example.com", 8443)},
}


@pytest.mark.parametrize("scope", SCOPES.values(), ids=SCOPES.keys())
def test_the_environ_matches_starlettes(scope: dict[str, Any]) -> None:
    theirs = starlette_wsgi().build_environ(scope, b"{}")
    ours = build_environ(scope, b"{}")
    assert ours["wsgi.input"].read() == theirs["wsgi.input"].read() == b"{}"
    # Deliberate: WSGI wants the port as a string, and errors on stderr.
    assert (ours.pop("SERVER_PORT"), ours.pop("wsgi.errors")) == (
        str(theirs.pop("SERVER_PORT")),
        sys.stderr,
    )
    del theirs["wsgi.errors"], theirs["wsgi.input"], ours["wsgi.input"]
    assert ours == theirs


def test_the_environ_follows_cgi_names() -> None:
    environ = build_environ(SCOPES["headers"], b"")
    assert environ["HTTP_X_MANY"] == "1,2"
    assert (environ["CONTENT_TYPE"], environ["CONTENT_LENGTH"]) == ("application/json", "2")
    assert environ["HTTP_ACCEPT_LANGUAGE"] == "fr"
    assert "HTTP_CONTENT_TYPE" not in environ
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("testserver", "80")
    assert environ["REMOTE_ADDR"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("path", "root_path", "script_name", "path_info"),
    [
        ("/app/x", "/app", "/app", "/x"),
        ("/x", "/app", "/app", "/x"),  # an old-style scope: path without root_path
        ("/apple", "/app", "/app", "/apple"),  # not at a segment boundary: not the prefix
    ],
    ids=["prefixed", "unprefixed", "not-a-segment"],
)
def test_path_info_is_below_the_mount(
    path: str, root_path: str, script_name: str, path_info: str
) -> None:
    environ = build_environ(http_scope(path=path, root_path=root_path), b"")
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == (script_name, path_info)


def test_a_unix_socket_server_gets_the_schemes_port() -> None:
    scope = {**http_scope(), "scheme": "https", "server": ("/run/app.sock", None)}
    assert build_environ(scope, b"")["SERVER_PORT"] == "443"


@pytest.mark.parametrize("scope", SCOPES.values(), ids=SCOPES.keys())
def test_a_wsgi_app_answers_as_under_starlette(scope: dict[str, Any]) -> None:
    theirs = anyio.run(call_asgi, starlette_wsgi().WSGIMiddleware(echo_app), dict(scope), b"{}")
    ours = anyio.run(call_asgi, WSGIMiddleware(echo_app), dict(scope), b"{}")
    assert (ours.status, ours.headers, ours.body) == (theirs.status, theirs.headers, theirs.body)
    assert ours.status == 201
    assert ("x-echo", "yes") in ours.headers


def test_the_body_is_read_whole_from_its_chunks() -> None:
    scope = http_scope("POST", "/")
    reply = anyio.run(lambda: call_asgi(WSGIMiddleware(echo_app), scope, b"c", [b"a", b"b"]))
    assert reply.body.endswith(b"\nabc")


def test_chunks_are_sent_as_the_app_produces_them() -> None:
    first_chunk_sent = threading.Event()
    waited: list[bool] = []

    def slow_app(environ: Environ, start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"one"
        # Buffering would deadlock here: the first chunk must be out before the second exists.
        waited.append(first_chunk_sent.wait(timeout=5))
        yield b""  # skipped: not a message of its own
        yield b"two"

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(dict(message))
        if message.get("body") == b"one":
            first_chunk_sent.set()

    anyio.run(WSGIMiddleware(slow_app), http_scope(), receive_nothing, send)
    assert waited == [True]
    bodies = [(m["body"], m["more_body"]) for m in sent[1:]]
    assert bodies == [(b"one", True), (b"two", True), (b"", False)]


async def receive_nothing() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def test_the_write_callable_sends_at_once() -> None:
    def pushing_app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"pushed, ")
        return [b"returned"]

    assert request(WSGIMiddleware(pushing_app)).body == b"pushed, returned"


class ClosingBody:
    """A WSGI result with a close() the server must call, however iteration ended."""

    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield b"part"
        if self.fail:
            raise ValueError("failed mid-body")


@pytest.mark.parametrize("fail", [False, True], ids=["finished", "failed"])
def test_the_result_is_closed(fail: bool) -> None:
    body = ClosingBody(fail)

    def app(environ: Environ, start_response: Callable[..., Any]) -> ClosingBody:
        start_response("200 OK", [])
        body.close = lambda: setattr(body, "closed", True)  # type: ignore[attr-defined]
        return body

    if fail:
        with pytest.raises(ValueError, match="failed mid-body"):
            request(WSGIMiddleware(app))
    else:
        assert request(WSGIMiddleware(app)).body == b"part"
    assert body.closed


def failing_app(environ: Environ, start_response: Callable[..., Any]) -> Iterator[bytes]:
    """Fails before its body, or after its first chunk when the path says "late"."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        if environ["PATH_INFO"] == "/late":
            yield b"started"
        raise ValueError("boom")
    except ValueError:
        start_response("500 Internal Server Error", [("X-Error", "1")], sys.exc_info())
        yield b"error page"


def test_exc_info_before_the_body_replaces_the_status_and_headers() -> None:
    reply = request(WSGIMiddleware(failing_app))
    assert (reply.status, reply.headers, reply.body) == (500, [("x-error", "1")], b"error page")


def test_exc_info_after_the_headers_were_sent_re_raises() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = http_scope(path="/late")
    with pytest.raises(ValueError, match="boom"):
        anyio.run(WSGIMiddleware(failing_app), scope, receive_nothing, send)
    assert [m.get("status", m.get("body")) for m in sent] == [200, b"started"]


def test_an_app_error_propagates() -> None:
    def broken(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        request(WSGIMiddleware(broken))


def starts_twice(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [])
    start_response("500 Internal Server Error", [])
    return []  # pragma: no cover


def never_starts(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
    return [b"no start"]


@pytest.mark.parametrize(
    ("app", "message"),
    [
        (never_starts, "without calling start_response"),
        (starts_twice, "called twice without exc_info"),
    ],
    ids=["no-start", "second-start"],
)
def test_start_response_misuse_is_an_error(app: Any, message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        request(WSGIMiddleware(app))


def test_a_client_gone_before_its_body_never_reaches_the_app() -> None:
    called: list[bool] = []

    def app(environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        called.append(True)  # pragma: no cover
        return []  # pragma: no cover

    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)  # pragma: no cover

    anyio.run(WSGIMiddleware(app), http_scope(), receive, send)
    assert (called, sent) == ([], [])


def test_only_http_is_served() -> None:
    with pytest.raises(AssertionError):
        anyio.run(WSGIMiddleware(echo_app), {"type": "websocket"}, receive_nothing, None)


def test_importing_it_does_not_warn_unlike_starlettes() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importlib.reload(minifast.middleware.wsgi)
        starlette = pytest.importorskip("starlette.middleware.wsgi")
        importlib.reload(starlette)
    assert [str(w.message).split(" is ")[0] for w in caught] == ["starlette.middleware.wsgi"]


def test_a_flask_app_is_served() -> None:
    flask = pytest.importorskip("flask")
    flask_app = flask.Flask(__name__)

    @flask_app.route("/hello/<name>", methods=["POST"])
    def hello(name: str) -> Any:
        return {
            "name": name,
            "body": flask.request.get_data(as_text=True),
            "root": flask.request.script_root,
        }

    reply = request(
        WSGIMiddleware(flask_app.wsgi_app), "POST", "/app/hello/ann", root_path="/app",
        body=b"hi", headers=[(b"content-length", b"2")],
    )  # fmt: skip
    assert reply.status == 200
    assert reply.body == b'{"body":"hi","name":"ann","root":"/app"}\n'
