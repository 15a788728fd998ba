# How trusted hosts work: the allowed hosts are compiled once into a set of exact names and a
# tuple of wildcard suffixes ("*.example.com" allows any subdomain, not the bare domain). For
# each HTTP or websocket connection, the Host header, its port dropped and lowercased, must be
# one of them; a connection that passes reaches the app untouched. Otherwise the answer is a
# 400 "Invalid host header", or, when "www." + host is allowed and www_redirect is on, a 307
# to that www host. With "*" among the hosts, or no hosts given, the layer checks nothing.
"""`TrustedHostMiddleware`: refuse requests whose Host header is not an allowed host."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from minifast.datastructures import URL, Headers
from minifast.responses import PlainTextResponse, RedirectResponse, Response
from minifast.types import ASGIApp, Receive, Scope, Send
from minifast.websockets import as_denial

# RFC 3986 authority: a reg-name, an IPv6 literal or an IPvFuture one, then any port digits.
_AUTHORITY = re.compile(
    r"(?P<host>[\w.~%!$&'()*+,;=-]+|\[(?P<ipv6>[0-9A-Fa-f:.]+)\]"
    r"|\[v[0-9A-Fa-f]+\.[\w.~!$&'()*+,;=:-]+\])(?::[0-9]+)?",
    re.ASCII,
)


class TrustedHostMiddleware:
    """Guard against Host header attacks: only the listed hosts reach the application."""

    def __init__(
        self, app: ASGIApp, allowed_hosts: Sequence[str] | None = None, www_redirect: bool = True
    ) -> None:
        hosts = ["*"] if allowed_hosts is None else list(allowed_hosts)
        if not all(map(_is_valid_pattern, hosts)):
            # COMPAT: Starlette asserts; raised explicitly so that -O keeps the check.
            raise AssertionError("Domain wildcard patterns must be like '*.example.com'.")
        self.app = app
        self._allows_any_host = "*" in hosts
        self._hosts = frozenset(pattern.lower() for pattern in hosts if "*" not in pattern)
        self._suffixes = tuple(pattern[1:].lower() for pattern in hosts if pattern[:2] == "*.")
        self._www_redirect = www_redirect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._allows_any_host or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        written = Headers(scope=scope).get("host", "")
        host = _host_name(written)
        if host is not None and (host in self._hosts or host.endswith(self._suffixes)):
            await self.app(scope, receive, send)
            return
        response = self._refusal(scope, host, written)
        await response(scope, receive, as_denial(scope, send))

    def _refusal(self, scope: Scope, host: str | None, written: str) -> Response:
        if self._www_redirect and host is not None and f"www.{host}" in self._hosts:
            url = URL(scope=scope)
            # A Host header the URL could not use (malformed) gets no redirect to build on.
            if url.netloc == written:
                return RedirectResponse(url.replace(netloc=f"www.{url.netloc}"), status_code=307)
        return PlainTextResponse("Invalid host header", status_code=400)


def _is_valid_pattern(pattern: str) -> bool:
    """ "*", a plain host, or "*." then a domain with no other "*"."""
    if pattern == "*" or "*" not in pattern:
        return True
    return pattern.startswith("*.") and "*" not in pattern[1:]


def _host_name(written: str) -> str | None:
    """The Host header's host, lowercased, without its port; None if it is malformed.

    COMPAT: as in Starlette, a malformed header is refused even if listed, and so is an IPv6
    literal that is not a valid address.
    """
    match = _AUTHORITY.fullmatch(written)
    if match is None:
        return None
    if match["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            return None
    return match["host"].lower()
