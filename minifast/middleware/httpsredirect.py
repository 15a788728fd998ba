# How the HTTPS redirect works: an HTTP request that came in as "http", or a websocket as
# "ws", never reaches the app; it is answered with a 307 to the same URL on "https" / "wss"
# (307, so the client repeats the method and body). The host is the one the client asked
# for; a port 80 or 443 is dropped, as the secure scheme's default, any other is kept.
# Secure connections and other scope types pass through untouched.
"""`HTTPSRedirectMiddleware`: send plain HTTP and websocket clients to the secure scheme."""

from __future__ import annotations

from minifast.datastructures import URL
from minifast.responses import PlainTextResponse, RedirectResponse, Response
from minifast.types import ASGIApp, Receive, Scope, Send
from minifast.websockets import as_denial

_SECURE_SCHEMES = {"http": "https", "ws": "wss"}


class HTTPSRedirectMiddleware:
    """Redirect every insecure request to its https / wss URL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        secure_scheme = _SECURE_SCHEMES.get(scope.get("scheme", ""))
        if secure_scheme is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        response = _redirect(URL(scope=scope), secure_scheme)
        await response(scope, receive, as_denial(scope, send))


def _redirect(url: URL, scheme: str) -> Response:
    """A 307 to `url` on `scheme`, or a 400 when the request names no host at all."""
    if url.hostname is None:
        return PlainTextResponse("Invalid host header", status_code=400)
    netloc = url.netloc
    if url.port in (80, 443):
        # COMPAT: Starlette writes the lowercased host then; an IPv6 one keeps its brackets.
        netloc = f"[{url.hostname}]" if ":" in url.hostname else url.hostname
    return RedirectResponse(url.replace(scheme=scheme, netloc=netloc), status_code=307)
