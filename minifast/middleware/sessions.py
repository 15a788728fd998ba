# How sessions work: the whole session is a JSON object the client keeps in a cookie, signed
# with the secret key and the time of signing, so it can be read but neither forged nor kept
# past max_age. For each HTTP or websocket connection, the cookie's signature and age are
# checked and its data becomes scope["session"], a dict that notes being read or changed;
# anything wrong with the cookie gives an empty session, never an error. On the response start
# a changed session is written back as a new cookie, or, emptied, erased by an expired one; a
# read session adds `Vary: Cookie`, since the response depends on it. COMPAT: as in Starlette,
# a websocket gets the session to read, and changes to it are not saved. The cookie is the one
# Starlette writes with itsdangerous's TimestampSigner, made with the standard library alone,
# so either framework reads the other's cookies; only the exact signature is accepted, where
# itsdangerous also takes a few lenient spellings of it.
"""`SessionMiddleware`: scope["session"], kept in a signed cookie."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Literal, TypeVar, overload

from minifast.datastructures import MutableHeaders, Secret
from minifast.requests import HTTPConnection
from minifast.types import ASGIApp, Message, Receive, Scope, Send

_T = TypeVar("_T")

# COMPAT: itsdangerous's defaults as Starlette uses them: the "django-concat" key derivation,
# SHA-1 for both the derivation and the HMAC, this salt, and "." between the parts.
_SALT = b"itsdangerous.Signer"
_SEPARATOR = b"."
_TIMESTAMP_BYTES = 8  # itsdangerous packs the timestamp as an unsigned 64-bit integer
_EXPIRED = "expires=Thu, 01 Jan 1970 00:00:00 GMT; "


class Session(dict[str, Any]):
    """The session's data, noting whether the application read or changed it.

    `accessed` asks for `Vary: Cookie`; `modified` for a new cookie. COMPAT: as in Starlette,
    reading keys marks nothing (`request.session` marks the session accessed), and a method
    marks only when it may change the data: `pop` of a missing key or `setdefault` of a
    present one leaves the flags alone.
    """

    accessed: bool = False
    modified: bool = False

    def mark_accessed(self) -> None:
        self.accessed = True

    def mark_modified(self) -> None:
        self.accessed = self.modified = True  # the new cookie depends on the old one too

    def __setitem__(self, key: str, value: Any) -> None:
        self.mark_modified()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.mark_modified()
        super().__delitem__(key)

    def clear(self) -> None:
        self.mark_modified()
        super().clear()

    @overload
    def pop(self, key: str, /) -> Any: ...
    @overload
    def pop(self, key: str, default: _T, /) -> Any | _T: ...
    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self.mark_modified()
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        if self:
            self.mark_modified()
        return super().popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self.mark_modified()
        return super().setdefault(key, default)

    def update(self, *others: Any, **values: Any) -> None:
        self.mark_modified()
        super().update(*others, **values)

    def __ior__(self, other: Any) -> Session:  # type: ignore[override,misc]  # dict's is Self
        self.mark_modified()
        return super().__ior__(other)


class SessionMiddleware:
    """Cookie-based sessions: the data lives client-side, signed with `secret_key`."""

    def __init__(
        self,
        app: ASGIApp,
        secret_key: str | Secret,
        session_cookie: str = "session",
        max_age: int | None = 14 * 24 * 60 * 60,  # 14 days, in seconds
        path: str = "/",
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
        domain: str | None = None,
        partitioned: bool = False,
    ) -> None:
        self.app = app
        self._signer = _TimestampSigner(str(secret_key))
        self.session_cookie = session_cookie
        self.max_age = max_age
        self.path = path
        # COMPAT: the attributes in Starlette's order, its spelling and case included.
        flags = f"httponly; samesite={same_site}"
        flags += "; secure" if https_only else ""
        flags += "" if domain is None else f"; domain={domain}"
        flags += "; partitioned" if partitioned else ""
        lifetime = "" if max_age is None else f"Max-Age={max_age}; "
        self._cookie_attributes = f"; path={path}; {lifetime}{flags}"
        self._expired_cookie = f"{session_cookie}=null; path={path}; {_EXPIRED}{flags}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        data = self._load(HTTPConnection(scope).cookies.get(self.session_cookie))
        scope["session"] = Session(data or {})
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self._saving_session(send, scope, data is not None))

    def _load(self, cookie: str | None) -> dict[str, Any] | None:
        """The session in the cookie; None without a cookie or with one that fails a check."""
        if cookie is None:
            return None
        value = self._signer.unsign(cookie.encode("utf-8"), self.max_age)
        return None if value is None else _decoded(value)

    def _saving_session(self, send: Send, scope: Scope, was_loaded: bool) -> Send:
        """`send`, adding the session's headers to the response start."""

        async def send_with_session(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message["headers"])
                self._add_session_headers(MutableHeaders(raw=headers), scope, was_loaded)
                message = {**message, "headers": headers}
            await send(message)

        return send_with_session

    def _add_session_headers(self, headers: MutableHeaders, scope: Scope, was_loaded: bool) -> None:
        session = scope["session"]
        # COMPAT: an app may put a plain dict there; unlike Starlette, which fails, minifast
        # takes it as read and changed.
        accessed = getattr(session, "accessed", True)
        modified = getattr(session, "modified", True)
        if accessed:
            headers.add_vary_header("Cookie")
        if modified and session:
            value = self._signer.sign(_encoded(session), int(time.time())).decode("ascii")
            headers.append("set-cookie", f"{self.session_cookie}={value}{self._cookie_attributes}")
        elif modified and was_loaded:
            # Emptied: erase the cookie rather than sign an empty session.
            headers.append("set-cookie", self._expired_cookie)


class _TimestampSigner:
    """itsdangerous's TimestampSigner with the settings Starlette gives it.

    A signed value reads `value.timestamp.signature`: the timestamp is the signing time in
    seconds as big-endian bytes, leading zeros dropped, and the signature an HMAC-SHA1 of
    `value.timestamp`; both in URL-safe base64 without padding.
    """

    def __init__(self, secret_key: str) -> None:
        # itsdangerous's "django-concat" derivation: SHA-1 of salt + "signer" + key.
        self._key = hashlib.sha1(_SALT + b"signer" + secret_key.encode("utf-8")).digest()

    def sign(self, value: bytes, now: int) -> bytes:
        timestamp = _urlsafe_b64encode(now.to_bytes(_TIMESTAMP_BYTES, "big").lstrip(b"\0"))
        signed = value + _SEPARATOR + timestamp
        return signed + _SEPARATOR + self._signature(signed)

    def unsign(self, signed_value: bytes, max_age: int | None) -> bytes | None:
        """The value that was signed, or None if forged, expired or malformed."""
        signed, _, signature = signed_value.rpartition(_SEPARATOR)
        # A timing-safe comparison: the time taken says nothing about the expected signature.
        if not signed or not hmac.compare_digest(signature, self._signature(signed)):
            return None
        value, separator, timestamp = signed.rpartition(_SEPARATOR)
        signed_at = _timestamp(timestamp)
        if not separator or signed_at is None or _has_expired(signed_at, max_age):
            return None
        return value

    def _signature(self, signed: bytes) -> bytes:
        return _urlsafe_b64encode(hmac.new(self._key, signed, hashlib.sha1).digest())


def _encoded(session: dict[str, Any]) -> bytes:
    # COMPAT: Starlette's encoding: json.dumps' defaults, then standard base64, "=" kept.
    return base64.b64encode(json.dumps(session).encode("utf-8"))


def _decoded(value: bytes) -> dict[str, Any] | None:
    """The session in a signed value, or None: only the key's holder could have made it
    malformed, yet a bad cookie must cost an empty session, never a 500 (Starlette's)."""
    try:
        data = json.loads(base64.b64decode(value))
    except ValueError:  # bad base64, bad UTF-8 and bad JSON alike
        return None
    return data if isinstance(data, dict) else None


def _has_expired(signed_at: int, max_age: int | None) -> bool:
    # COMPAT: as in itsdangerous, max_age=0 still allows the second of signing, and a cookie
    # signed in the future is refused; max_age=None checks nothing.
    age = int(time.time()) - signed_at
    return max_age is not None and not 0 <= age <= max_age


def _timestamp(encoded: bytes) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(encoded + b"=" * (-len(encoded) % 4))
    except binascii.Error:
        return None
    return int.from_bytes(raw, "big") if len(raw) <= _TIMESTAMP_BYTES else None


def _urlsafe_b64encode(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")
