# How CORS works: every option is turned into header values once, in __init__. A request is
# a preflight when it is an OPTIONS with both Origin and Access-Control-Request-Method; this
# layer answers it itself, 200 "OK" or 400 "Disallowed CORS <what>", and the app never sees
# it. Any other HTTP request goes to the app with `send` wrapped: when the request names an
# Origin, the response start gains the allow-origin (if that origin is allowed), credentials
# and expose headers; every response gains `Vary: Origin`, since its headers depend on it.
# A wildcard origin never goes with credentials: with allow_origins=["*"] the answer is "*"
# and no Access-Control-Allow-Credentials, whatever allow_credentials says (Starlette echoes
# any origin with credentials, so any site could read a signed-in user's data). COMPAT: as in
# Starlette, the preflight methods "*" stands for a fixed list.
"""`CORSMiddleware`: answers preflights and adds the CORS headers to other responses."""

from __future__ import annotations

import re
from collections.abc import Collection

from minifast.datastructures import encode_header
from minifast.responses import PlainTextResponse, Response
from minifast.types import ASGIApp, Message, RawHeaders, Receive, Scope, Send

# CORS: the headers a browser sends without asking, always allowed.
SAFELISTED_HEADERS = frozenset({"Accept", "Accept-Language", "Content-Language", "Content-Type"})
# COMPAT: what Starlette allows and announces for allow_methods=["*"].
ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY")
# COMPAT: a preflight answer varies with every request header it reads, as in Starlette.
_PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network"
)
_CORS_REQUEST_HEADERS = frozenset(
    {
        b"origin",
        b"access-control-request-method",
        b"access-control-request-headers",
        b"access-control-request-private-network",
    }
)


class CORSMiddleware:
    """Cross-origin resource sharing for the whole application, configured once."""

    def __init__(
        self,
        app: ASGIApp,
        allow_origins: Collection[str] = (),
        allow_methods: Collection[str] = ("GET",),
        allow_headers: Collection[str] = (),
        allow_credentials: bool = False,
        allow_origin_regex: str | None = None,
        allow_private_network: bool = False,
        expose_headers: Collection[str] = (),
        max_age: int = 600,
    ) -> None:
        self.app = app
        self._allows_any_origin = "*" in allow_origins
        # Credentials go only to origins named (listed, or matched by the regex) without "*".
        allow_credentials = allow_credentials and not self._allows_any_origin
        self._origins = frozenset(allow_origins)
        self._origin_regex = None if allow_origin_regex is None else re.compile(allow_origin_regex)
        self._echoes_origin = not self._allows_any_origin
        methods = ALL_METHODS if "*" in allow_methods else tuple(allow_methods)
        self._methods = frozenset(methods)
        self._allows_any_header = "*" in allow_headers
        listed_headers = sorted(SAFELISTED_HEADERS.union(allow_headers))
        self._headers = frozenset(name.lower() for name in listed_headers)
        self._allows_private_network = allow_private_network
        wildcard = {} if self._echoes_origin else {"access-control-allow-origin": "*"}
        credentials = {"access-control-allow-credentials": "true"} if allow_credentials else {}
        # With allow_headers "*", the preflight echoes what was asked instead of this list.
        listed = {"access-control-allow-headers": ", ".join(listed_headers)}
        self._preflight_headers = _encoded(
            {
                "vary": _PREFLIGHT_VARY,
                **wildcard,
                "access-control-allow-methods": ", ".join(methods),
                "access-control-max-age": str(max_age),
                **({} if self._allows_any_header else listed),
                **credentials,
            }
        )
        exposed = {"access-control-expose-headers": ", ".join(expose_headers)}
        simple = {**wildcard, **credentials, **(exposed if expose_headers else {})}
        self._simple_headers = _encoded(simple)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = _cors_request_headers(scope["headers"])
        origin = asked.get(b"origin")
        if (
            scope["method"] == "OPTIONS"
            and origin is not None
            and b"access-control-request-method" in asked
        ):
            await self._preflight(asked, origin)(scope, receive, send)
            return
        await self.app(scope, receive, self._with_cors_headers(send, origin))

    def is_allowed_origin(self, origin: str) -> bool:
        """Whether `origin` is listed, matches the regex in full, or any origin is allowed.

        Public, as in Starlette, so that a subclass can decide per request.
        """
        if self._allows_any_origin or origin in self._origins:
            return True
        return self._origin_regex is not None and self._origin_regex.fullmatch(origin) is not None

    def _preflight(self, asked: dict[bytes, str], origin: str) -> Response:
        """The answer to a preflight: every check runs, so the 400 names each failure."""
        added: RawHeaders = []
        failures: list[str] = []
        if not self.is_allowed_origin(origin):
            failures.append("origin")
        elif self._echoes_origin:
            added.append((b"access-control-allow-origin", origin.encode("latin-1")))
        if asked[b"access-control-request-method"] not in self._methods:
            failures.append("method")
        requested = asked.get(b"access-control-request-headers")
        if requested is not None and self._allows_any_header:
            added.append((b"access-control-allow-headers", requested.encode("latin-1")))
        elif requested is not None and not self._are_allowed_headers(requested):
            failures.append("headers")
        if b"access-control-request-private-network" in asked:
            if self._allows_private_network:
                added.append((b"access-control-allow-private-network", b"true"))
            else:
                failures.append("private-network")
        message = "Disallowed CORS " + ", ".join(failures) if failures else "OK"
        response = PlainTextResponse(message, status_code=400 if failures else 200)
        response.raw_headers[:0] = [*self._preflight_headers, *added]
        return response

    def _are_allowed_headers(self, requested: str) -> bool:
        # COMPAT: an empty item ("", "a,,b", "a,") is refused, as in Starlette.
        return all(name.strip().lower() in self._headers for name in requested.split(","))

    def _with_cors_headers(self, send: Send, origin: str | None) -> Send:
        """`send`, adding the CORS headers to the response start."""

        async def send_with_cors_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = self._simple_response_headers(message["headers"], origin)
                message = {**message, "headers": headers}
            await send(message)

        return send_with_cors_headers

    def _simple_response_headers(self, raw: RawHeaders, origin: str | None) -> RawHeaders:
        """The app's headers, CORS ones replaced, every Vary folded into one ending in Origin."""
        added = [] if origin is None else self._simple_headers
        if origin is not None and self._echoes_origin and self.is_allowed_origin(origin):
            added = [*added, (b"access-control-allow-origin", origin.encode("latin-1"))]
        replaced = {name for name, _ in added}
        replaced.add(b"vary")
        vary = [value for name, value in raw if name.lower() == b"vary"]
        kept = [(name, value) for name, value in raw if name.lower() not in replaced]
        return [*kept, *added, (b"vary", b", ".join([*vary, b"Origin"]))]


def _encoded(headers: dict[str, str]) -> RawHeaders:
    return [encode_header(name, value) for name, value in headers.items()]


def _cors_request_headers(raw: RawHeaders) -> dict[bytes, str]:
    """The request headers CORS reads, the first of each.

    PERF: one pass over the raw list, decoding only these few values.
    """
    found: dict[bytes, str] = {}
    for name, value in raw:
        # ASGI: header names arrive lowercased.
        if name in _CORS_REQUEST_HEADERS and name not in found:
            found[name] = value.decode("latin-1")
    return found
