"""SessionMiddleware: cookies, flags and signatures, checked against Starlette's (itsdangerous)."""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from minifast.applications import MiniFast
from minifast.datastructures import Secret
from minifast.middleware import Middleware
from minifast.middleware.sessions import Session, SessionMiddleware, _TimestampSigner
from minifast.requests import Request
from minifast.testclient import TestClient
from tests.support import connection_messages, http_scope, import_from, request

KEY = "not-so-secret"
NOW = 1_700_000_000
BOTH = ["minifast", "starlette"]
Action = Callable[[Any], Any]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both signers read time.time(): the same second gives the same cookie, byte for byte."""
    monkeypatch.setattr(time, "time", lambda: NOW + 0.5)


def at(monkeypatch: pytest.MonkeyPatch, seconds_later: int) -> None:
    monkeypatch.setattr(time, "time", lambda: NOW + seconds_later + 0.5)


def session_app(action: Action) -> Any:
    """A raw ASGI app, the same for both frameworks: `action(scope["session"])`, then the
    session as JSON, with a Vary header of its own."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        action(scope["session"])
        body = json.dumps(scope["session"]).encode()
        headers = [(b"content-type", b"application/json"), (b"vary", b"Accept-Encoding")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def middleware(name: str, action: Action, **options: Any) -> Any:
    if name == "starlette":
        pytest.importorskip("itsdangerous")
    sessions = import_from(name, "middleware.sessions")
    return sessions.SessionMiddleware(session_app(action), **{"secret_key": KEY, **options})


def call(name: str, action: Action, cookie: str | None = None, **options: Any) -> Any:
    headers = [] if cookie is None else [(b"cookie", cookie.encode())]
    return request(middleware(name, action, **options), headers=headers)


def both(action: Action, cookie: str | None = None, **options: Any) -> Any:
    """The same request through both middlewares; status, every header and body must agree."""
    expected = call("starlette", action, cookie, **options)
    ours = call("minifast", action, cookie, **options)
    assert (ours.status, ours.headers, ours.body) == (
        expected.status,
        expected.headers,
        expected.body,
    )
    return ours


def set_cookies(response: Any) -> list[str]:
    return [value for name, value in response.headers if name == "set-cookie"]


def cookie_made_by(name: str, data: dict[str, Any], **options: Any) -> str:
    """The `name=value` pair of the cookie `name`'s middleware sets for `data`."""
    response = call(name, lambda session: session.update(data), **options)
    (header,) = set_cookies(response)
    return header.partition(";")[0]


def nothing(session: Any) -> None:
    pass


def set_user(session: Any) -> None:
    session["user"] = "ann"


DATA = {"user": "ann", "name": "Zoë ✓", "items": [1, 2.5, None, True], "nested": {"a": {}}}

# --- differential: what each action sends ------------------------------------------------------

ACTIONS: list[tuple[str, Action, bool]] = [
    ("nothing", nothing, False),
    ("nothing-with-cookie", nothing, True),
    ("set", set_user, False),
    ("set-with-cookie", set_user, True),
    ("set-same-value", lambda session: session.__setitem__("user", "ann"), True),
    ("accessed", lambda session: session.mark_accessed(), True),
    ("modified", lambda session: session.mark_modified(), True),
    ("modified-empty", lambda session: session.mark_modified(), False),
    ("clear", lambda session: session.clear(), True),
    ("clear-empty", lambda session: session.clear(), False),
    ("pop", lambda session: session.pop("user"), True),
    ("pop-missing", lambda session: session.pop("missing", None), True),
    ("setdefault-present", lambda session: session.setdefault("user", "bob"), True),
    ("setdefault-new", lambda session: session.setdefault("other", "bob"), True),
    ("update", lambda session: session.update(DATA), False),
    ("read", lambda session: session.get("user"), True),
]


@pytest.mark.parametrize(
    ("action", "with_cookie"),
    [case[1:] for case in ACTIONS],
    ids=[case[0] for case in ACTIONS],
)
def test_response_matches_starlette(action: Action, with_cookie: bool) -> None:
    cookie = cookie_made_by("starlette", {"user": "ann"}) if with_cookie else None
    both(action, cookie)


OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("defaults", {}),
    ("no-max-age", {"max_age": None}),
    ("max-age-zero", {"max_age": 0}),
    ("max-age", {"max_age": 60}),
    ("path", {"path": "/app"}),
    ("strict", {"same_site": "strict"}),
    ("none-secure", {"same_site": "none", "https_only": True}),
    ("domain", {"domain": "example.com"}),
    ("partitioned", {"partitioned": True}),
    ("cookie-name", {"session_cookie": "sid"}),
    (
        "everything",
        {
            "session_cookie": "__Host-s",
            "max_age": 5,
            "path": "/p",
            "same_site": "none",
            "https_only": True,
            "domain": "a.example",
            "partitioned": True,
        },
    ),
]


@pytest.mark.parametrize(
    "options", [case[1] for case in OPTIONS], ids=[case[0] for case in OPTIONS]
)
def test_cookie_attributes_match_starlette(options: dict[str, Any]) -> None:
    written = both(lambda session: session.update(DATA), **options)
    (header,) = set_cookies(written)
    assert header.startswith(options.get("session_cookie", "session") + "=")
    cookie = cookie_made_by("starlette", DATA, **options)
    read = both(lambda session: session.mark_accessed(), cookie, **options)
    assert json.loads(read.body) == DATA
    cleared = both(lambda session: session.clear(), cookie, **options)
    (expired,) = set_cookies(cleared)
    assert "=null; " in expired
    assert "expires=Thu, 01 Jan 1970 00:00:00 GMT; " in expired


def test_default_cookie_is_starlettes() -> None:
    itsdangerous = pytest.importorskip("itsdangerous")
    (header,) = set_cookies(call("minifast", set_user))
    value, _, attributes = header.partition("; ")
    assert attributes == "path=/; Max-Age=1209600; httponly; samesite=lax"
    payload, _, signature = value.removeprefix("session=").split(".")
    assert json.loads(base64.b64decode(payload)) == {"user": "ann"}
    signer = itsdangerous.TimestampSigner(KEY)
    unsigned, signed_at = signer.unsign(value.removeprefix("session="), return_timestamp=True)
    assert (unsigned, signed_at.timestamp()) == (payload.encode(), NOW)
    assert len(signature) == 27  # SHA-1, URL-safe base64 without padding


@pytest.mark.parametrize(
    ("writer", "reader"),
    list(itertools.permutations(BOTH)),
    ids=["minifast-reads-starlette", "starlette-reads-minifast"],
)
def test_cookies_cross_between_frameworks(writer: str, reader: str) -> None:
    for name in BOTH:
        middleware(name, nothing)  # skips without itsdangerous
    cookie = cookie_made_by(writer, DATA)
    response = call(reader, lambda session: session.__setitem__("seen", True), cookie)
    assert json.loads(response.body) == {**DATA, "seen": True}
    # The reader's new cookie goes back to the writer.
    back = set_cookies(response)[0].partition(";")[0]
    assert json.loads(call(writer, nothing, back).body) == {**DATA, "seen": True}


def test_secret_key_may_be_a_secret() -> None:
    plain = call("minifast", set_user)
    assert set_cookies(call("minifast", set_user, secret_key=Secret(KEY))) == set_cookies(plain)


# --- refused cookies --------------------------------------------------------------------------


def tampered(cookie: str, part: int) -> str:
    """`cookie` with one character changed in its payload (0), timestamp (1) or signature (2)."""
    name, _, value = cookie.partition("=")
    parts = value.split(".")
    text = parts[part]
    parts[part] = text[0] + ("B" if text[1] == "A" else "A") + text[2:]
    return f"{name}={'.'.join(parts)}"


REFUSED: list[tuple[str, Callable[[str], str]]] = [
    ("payload-changed", lambda cookie: tampered(cookie, 0)),
    ("timestamp-changed", lambda cookie: tampered(cookie, 1)),
    ("signature-changed", lambda cookie: tampered(cookie, 2)),
    ("signature-dropped", lambda cookie: cookie.rpartition(".")[0]),
    ("signature-only", lambda cookie: "session=" + cookie.rpartition(".")[2]),
    ("timestamp-dropped", lambda cookie: "session=" + ".".join(cookie[8:].split(".")[::2])),
    ("signature-with-junk", lambda cookie: cookie + "!"),
    ("garbage", lambda cookie: "session=garbage"),
    ("empty", lambda cookie: "session="),
    ("dots", lambda cookie: "session=..."),
    ("other-cookie-only", lambda cookie: "sessionx=" + cookie[8:]),
]


@pytest.mark.parametrize("forge", [case[1] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_tampered_cookie_gives_an_empty_session(forge: Callable[[str], str]) -> None:
    cookie = forge(cookie_made_by("starlette", DATA))
    assert json.loads(both(nothing, cookie).body) == {}
    # Emptying a session that was never loaded erases nothing.
    cleared = both(lambda session: session.clear(), cookie)
    assert set_cookies(cleared) == []


@pytest.mark.parametrize("junk", ["é", "="], ids=["non-ascii", "padding"])
def test_signature_must_be_exact(junk: str) -> None:
    """A deliberate difference: itsdangerous decodes the signature leniently, so Starlette
    also takes it with a non-ASCII character or a padding "=" added; minifast wants the
    signature exactly as it writes it."""
    cookie = cookie_made_by("minifast", DATA)
    assert json.loads(call("minifast", nothing, cookie).body) == DATA
    assert json.loads(call("minifast", nothing, cookie + junk).body) == {}


def test_cookie_signed_with_another_key_is_refused() -> None:
    cookie = cookie_made_by("starlette", DATA, secret_key="another key")
    assert json.loads(both(nothing, cookie).body) == {}
    assert json.loads(call("minifast", nothing, cookie, secret_key="another key").body) == DATA


@pytest.mark.parametrize(
    ("max_age", "seconds_later", "kept"),
    [
        (60, 60, True),
        (60, 61, False),
        (0, 0, True),
        (0, 1, False),
        (60, -1, False),
        (None, 10**9, True),
        (None, -1, True),
    ],
    ids=[
        "at-max-age",
        "past-max-age",
        "zero-same-second",
        "zero-next-second",
        "signed-in-the-future",
        "no-max-age",
        "no-max-age-future",
    ],
)
def test_expiry_matches_starlette(
    monkeypatch: pytest.MonkeyPatch, max_age: int | None, seconds_later: int, kept: bool
) -> None:
    cookie = cookie_made_by("starlette", DATA, max_age=max_age)
    at(monkeypatch, seconds_later)
    response = both(nothing, cookie, max_age=max_age)
    assert json.loads(response.body) == (DATA if kept else {})


def test_expired_cookie_without_itsdangerous(monkeypatch: pytest.MonkeyPatch) -> None:
    cookie = cookie_made_by("minifast", DATA, max_age=60)
    at(monkeypatch, 60)
    assert json.loads(call("minifast", nothing, cookie, max_age=60).body) == DATA
    at(monkeypatch, 61)
    assert json.loads(call("minifast", nothing, cookie, max_age=60).body) == {}


def signed(value: bytes, timestamp: int = NOW) -> str:
    return "session=" + _TimestampSigner(KEY).sign(value, timestamp).decode()


def signed_as_is(value: bytes) -> str:
    """`value` with a valid signature, whatever its parts: only the key's holder can do it."""
    return "session=" + (value + b"." + _TimestampSigner(KEY)._signature(value)).decode()


JSON = base64.b64encode(b'{"a": 1}')


MALFORMED = [
    ("not-base64", signed(b"!!!!")),
    ("bad-padding", signed(b"e30")),
    ("not-utf8", signed(base64.b64encode(b"\xff\xfe{"))),
    ("not-json", signed(base64.b64encode(b"{nope"))),
    ("a-list", signed(base64.b64encode(b"[1, 2]"))),
    ("empty-payload", signed(b"")),
    ("no-timestamp", signed_as_is(JSON)),
    ("timestamp-not-base64", signed_as_is(JSON + b".A")),
    ("timestamp-too-long", signed_as_is(JSON + b"." + base64.urlsafe_b64encode(b"\1" * 9))),
]


@pytest.mark.parametrize(
    "cookie", [case[1] for case in MALFORMED], ids=[case[0] for case in MALFORMED]
)
def test_signed_but_malformed_cookie_gives_an_empty_session(cookie: str) -> None:
    """A deliberate difference: Starlette answers 500 when a validly signed cookie holds no
    base64 JSON; minifast starts an empty session, as for any bad cookie."""
    response = call("minifast", lambda session: session.clear(), cookie)
    assert (response.status, json.loads(response.body), set_cookies(response)) == (200, {}, [])


def test_signed_empty_object_is_a_loaded_session() -> None:
    cookie = signed(base64.b64encode(b"{}"))
    cleared = both(lambda session: session.clear(), cookie)
    assert set_cookies(cleared)[0].startswith("session=null; ")


def test_crafted_cookies_are_well_formed_when_their_parts_are() -> None:
    """The malformed cases above fail for their one flaw: the same crafting, done right, loads."""
    timestamp = base64.urlsafe_b64encode(NOW.to_bytes(4, "big")).rstrip(b"=")
    for cookie in (signed(JSON), signed_as_is(JSON + b"." + timestamp)):
        assert json.loads(call("minifast", nothing, cookie).body) == {"a": 1}


# --- the session object -----------------------------------------------------------------------

OPERATIONS: list[tuple[str, Action]] = [
    ("get", lambda session: session["a"]),
    ("get-method", lambda session: session.get("a")),
    ("contains", lambda session: "a" in session),
    ("len", len),
    ("copy", lambda session: session.copy()),
    ("or", lambda session: session | {"c": 3}),
    ("set", lambda session: session.__setitem__("a", 1)),
    ("delete", lambda session: session.__delitem__("a")),
    ("delete-missing", lambda session: session.__delitem__("z")),
    ("clear", lambda session: session.clear()),
    ("pop", lambda session: session.pop("a")),
    ("pop-missing", lambda session: session.pop("z")),
    ("pop-default", lambda session: session.pop("z", 5)),
    ("popitem", lambda session: session.popitem()),
    ("setdefault-present", lambda session: session.setdefault("a", 9)),
    ("setdefault-missing", lambda session: session.setdefault("z")),
    ("update", lambda session: session.update({"c": 3}, d=4)),
    ("update-nothing", lambda session: session.update()),
    ("update-pairs", lambda session: session.update([("c", 3)])),
    ("ior", lambda session: session.__ior__({"c": 3})),
    ("mark-accessed", lambda session: session.mark_accessed()),
    ("mark-modified", lambda session: session.mark_modified()),
]


def session_after(session_class: type, operation: Action, data: dict[str, Any]) -> Any:
    session = session_class(data)
    try:
        result = operation(session)
    except KeyError as error:
        result = ("KeyError", error.args)
    result = type(result).__name__ if isinstance(result, dict) else result
    return result, session.accessed, session.modified, dict(session)


@pytest.mark.parametrize("data", [{"a": 1, "b": 2}, {}], ids=["filled", "empty"])
@pytest.mark.parametrize(
    "operation", [case[1] for case in OPERATIONS], ids=[case[0] for case in OPERATIONS]
)
def test_session_flags_match_starlette(operation: Action, data: dict[str, Any]) -> None:
    pytest.importorskip("itsdangerous")
    reference = import_from("starlette", "middleware.sessions").Session
    expected = session_after(reference, operation, dict(data))
    assert session_after(Session, operation, dict(data)) == expected


# What each operation notes on {"a": 1, "b": 2}: (accessed, modified).
FLAGS = {
    "get": (False, False),
    "contains": (False, False),
    "or": (False, False),
    "set": (True, True),
    "delete": (True, True),
    "delete-missing": (True, True),
    "clear": (True, True),
    "pop": (True, True),
    "pop-missing": (False, False),
    "pop-default": (False, False),
    "popitem": (True, True),
    "setdefault-present": (False, False),
    "setdefault-missing": (True, True),
    "update-nothing": (True, True),
    "ior": (True, True),
    "mark-accessed": (True, False),
    "mark-modified": (True, True),
}


@pytest.mark.parametrize(("name", "flags"), list(FLAGS.items()), ids=list(FLAGS))
def test_session_notes_only_what_may_change_it(name: str, flags: tuple[bool, bool]) -> None:
    operation = dict(OPERATIONS)[name]
    assert session_after(Session, operation, {"a": 1, "b": 2})[1:3] == flags


def test_popitem_of_an_empty_session_changes_nothing() -> None:
    session = Session()
    with pytest.raises(KeyError):
        session.popitem()
    assert (session.accessed, session.modified) == (False, False)


def test_session_is_a_dict_noting_reads_and_changes() -> None:
    session = Session({"a": 1})
    assert isinstance(session, dict)
    assert (session.accessed, session.modified) == (False, False)
    same = session
    same |= {"b": 2}
    assert same is session
    assert (session, session.accessed, session.modified) == ({"a": 1, "b": 2}, True, True)


def test_plain_dict_put_in_the_scope_is_saved() -> None:
    """A deliberate difference: Starlette fails on a session that is not its Session."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        scope["session"] = {"user": "bob"}
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    response = request(SessionMiddleware(app, secret_key=KEY))
    assert response.header("vary") == "Cookie"
    (header,) = set_cookies(response)
    assert json.loads(call("minifast", nothing, header.partition(";")[0]).body) == {"user": "bob"}


# --- other scopes -----------------------------------------------------------------------------


def websocket_app(action: Action) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        action(scope["session"])
        await send({"type": "websocket.accept", "headers": [(b"x-app", b"1")]})
        await send({"type": "websocket.send", "text": json.dumps(scope["session"])})
        await send({"type": "websocket.close", "code": 1000})

    return app


@pytest.mark.parametrize("action", [nothing, set_user], ids=["read", "changed"])
def test_websocket_reads_the_session_and_sends_no_cookie(action: Action) -> None:
    cookie = cookie_made_by("starlette", DATA)
    scope = {**http_scope(headers=[(b"cookie", cookie.encode())]), "type": "websocket"}
    scope["subprotocols"] = []
    sent = []
    pytest.importorskip("itsdangerous")
    for name in BOTH:
        sessions = import_from(name, "middleware.sessions")
        app = sessions.SessionMiddleware(websocket_app(action), secret_key=KEY)
        sent.append(connection_messages(app, dict(scope)))
    assert sent[0] == sent[1]
    accept, text, _ = sent[0]
    assert accept["headers"] == [(b"x-app", b"1")]
    assert json.loads(text["text"]) == {**DATA, **({"user": "ann"} if action is set_user else {})}


def test_websocket_session_without_itsdangerous() -> None:
    cookie = cookie_made_by("minifast", DATA)
    scope = {**http_scope(headers=[(b"cookie", cookie.encode())]), "type": "websocket"}
    app = SessionMiddleware(websocket_app(set_user), secret_key=KEY)
    accept, text, close = connection_messages(app, {**scope, "subprotocols": []})
    assert (accept["type"], accept["headers"]) == ("websocket.accept", [(b"x-app", b"1")])
    assert json.loads(text["text"]) == DATA
    assert close["type"] == "websocket.close"


def test_lifespan_passes_through_without_a_session() -> None:
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(dict(scope))

    async def receive() -> Any:
        raise AssertionError("not called")  # pragma: no cover

    async def send(message: Any) -> None:
        raise AssertionError("not called")  # pragma: no cover

    scope: dict[str, Any] = {"type": "lifespan", "asgi": {"version": "3.0"}}
    anyio.run(SessionMiddleware(app, secret_key=KEY), scope, receive, send)
    assert seen == [scope]


# --- on a MiniFast app ------------------------------------------------------------------------


def test_session_lasts_across_requests_on_an_app() -> None:
    app = MiniFast(middleware=[Middleware(SessionMiddleware, secret_key=KEY, max_age=None)])

    @app.get("/visit")
    async def visit(request: Request) -> dict[str, Any]:
        session = request.scope["session"]
        session["visits"] = session.get("visits", 0) + 1
        return dict(session)

    @app.get("/logout")
    async def logout(request: Request) -> dict[str, Any]:
        request.scope["session"].clear()
        return {}

    client = TestClient(app)
    assert client.get("/visit").json() == {"visits": 1}
    second = client.get("/visit")
    assert (second.json(), second.headers["vary"]) == ({"visits": 2}, "Cookie")
    assert second.headers["set-cookie"].endswith("; path=/; httponly; samesite=lax")
    logout_response = client.get("/logout")
    assert logout_response.headers["set-cookie"].startswith("session=null; path=/; expires=")
    assert client.get("/visit").json() == {"visits": 1}
