# How a request is observed: when the app finds a request observed (_gate.py), this layer asks
# which signals are live for it (a provider given, or a global one set since), then opens the
# server span under the parent read from the request's headers, counts the request as active
# and records the route, status and duration when the last body message is sent: after the
# client has its answer, before background tasks (a 5xx waits for the exception behind it).
# Exceptions that escape are logged once, with the span current so the log record carries the
# trace. Metrics get only bounded attributes (method, scheme, route, status, error type), spans
# also the URL and the server.
"""The server span, request metrics and exception logs around one request or websocket."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext
from time import perf_counter
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from opentelemetry import _logs, metrics, propagate, trace
from opentelemetry import context as otel_context
from opentelemetry.metrics import Histogram, UpDownCounter
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanKind, StatusCode

from minifast._paths import route_path
from minifast.datastructures import Headers
from minifast.routing import APIRouter
from minifast.telemetry._api import (
    EXCHANGE_KEY,
    Exchange,
    exception_raised,
    exception_type,
    normal_close,
)
from minifast.telemetry._data import SCOPE_KEY, TelemetryConfig, unconfigured
from minifast.types import ASGIApp, Message, Receive, Scope, Send

VERSION = "0.163.2"  # COMPAT: the instrumentation scope's version is FastAPI's
SCHEMA_URL = "https://opentelemetry.io/schemas/1.44.0"
_KNOWN_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)
_DURATION_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)
# Semantic conventions: query parameters that carry credentials are redacted on spans.
_SECRET_QUERY_KEYS = frozenset(
    {"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "sig", "X-Goog-Signature"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class _HeadersGetter(Getter[Headers]):
    """Propagators read the request's headers, every value of a repeated one."""

    def get(self, carrier: Headers, key: str) -> list[str] | None:
        values = carrier.getlist(key)
        if not values:
            return None
        # The baggage propagator reads only the first value: hand it all of them as one.
        return [",".join(values)] if key.lower() == "baggage" else values

    def keys(self, carrier: Headers) -> list[str]:
        return carrier.keys()


_GETTER = _HeadersGetter()


def _live(enabled: bool, given: Any, global_provider: Any, no_op: type) -> Any:
    """The provider a signal uses for this request, or None when the signal is off."""
    if not enabled:
        return None
    provider = given if given is not None else global_provider()
    if (given is None and unconfigured(provider)) or isinstance(provider, no_op):
        return None
    return provider


class NativeTelemetry:
    """Observes requests as a `MiniFast(telemetry=...)` config says; one per app."""

    def __init__(self, config: TelemetryConfig) -> None:
        self.config = config
        known = os.getenv("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS", "").strip()
        names = frozenset(name.strip() for name in known.split(",") if name.strip())
        self.known_methods = names or _KNOWN_METHODS
        # PERF: tracers and instruments are made once per provider, not per request; this
        # also keeps the provider's per-tracer state (warning registries) from resetting.
        self._tracers: tuple[Any, trace.Tracer] | None = None
        self._instruments: tuple[Any, Histogram, UpDownCounter] | None = None

    def tracer(self, provider: trace.TracerProvider) -> trace.Tracer:
        if self._tracers is None or self._tracers[0] is not provider:
            self._tracers = provider, provider.get_tracer("fastapi", VERSION, schema_url=SCHEMA_URL)
        return self._tracers[1]

    def instruments(self, provider: metrics.MeterProvider) -> tuple[Histogram, UpDownCounter]:
        if self._instruments is None or self._instruments[0] is not provider:
            meter = provider.get_meter("fastapi", VERSION, schema_url=SCHEMA_URL)
            duration = meter.create_histogram(
                "http.server.request.duration", unit="s",
                description="Duration of HTTP server requests.",
                explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
            )  # fmt: skip
            active = meter.create_up_down_counter(
                "http.server.active_requests", unit="{request}",
                description="Number of active HTTP server requests.",
            )  # fmt: skip
            self._instruments = provider, duration, active
        return self._instruments[1], self._instruments[2]

    async def __call__(
        self, *, app: ASGIApp, scope: Scope, receive: Receive, send: Send, legacy: bool = False
    ) -> None:
        """Observe one request; `legacy`: the app's stack has contrib's OpenTelemetry layer.

        COMPAT: as in FastAPI, an app instrumented by opentelemetry-instrumentation-fastapi
        (or logfire, which uses it) reports through that instrumentation alone.
        """
        config = self.config
        if config["exclude"] is not None and config["exclude"](scope):
            await _unobserved(app, scope, receive, send)
            return
        on = not legacy
        tracer_provider = _live(on and config["tracing"], config["tracer_provider"], *_GLOBAL[0])
        meter_provider = _live(  # websockets have no request metrics
            on and config["metrics"] and scope["type"] != "websocket",
            config["meter_provider"], *_GLOBAL[1],
        )  # fmt: skip
        logger_provider = _live(on and config["logs"], config["logger_provider"], *_GLOBAL[2])
        if tracer_provider is None and meter_provider is None and logger_provider is None:
            await app(scope, receive, send)
            return
        run = _Run(self, scope)
        if meter_provider is not None:
            run.count(*self.instruments(meter_provider))
        if tracer_provider is not None:
            run.start_span(self.tracer(tracer_provider))
        if logger_provider is not None:
            run.exchange.logger = logger_provider.get_logger("fastapi", VERSION, SCHEMA_URL)
        await run(app, receive, send)


# The global getters are looked up on each use: the global provider can change at any time.
_GLOBAL = (
    (lambda: trace.get_tracer_provider(), trace.NoOpTracerProvider),
    (lambda: metrics.get_meter_provider(), metrics.NoOpMeterProvider),
    (lambda: _logs.get_logger_provider(), _logs.NoOpLoggerProvider),
)


async def _unobserved(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """An excluded request: mounted apps must not observe it, nor inherit an outer request's
    data when it was made in-process from inside another request."""
    scope[SCOPE_KEY] = None
    token = otel_context.attach(otel_context.set_value(EXCHANGE_KEY, None))
    try:
        await app(scope, receive, send)
    finally:
        otel_context.detach(token)
        scope.pop(SCOPE_KEY, None)


def _server_attributes(scope: Scope) -> dict[str, Any]:
    """`server.address` and `server.port` from the Host header, else the server's socket."""
    authority = Headers(scope=scope).get("host")
    if authority is None:
        address, port = scope.get("server") or (None, None)
    else:
        try:
            url = urlsplit("//" + authority)
            address, port = url.hostname, url.port
        except ValueError:  # a malformed Host must not break the request
            return {}
        if url.username is not None or url.path or url.query or url.fragment:
            return {}
        if port is None:
            port = _DEFAULT_PORTS.get(scope.get("scheme", "http"))
    if not address:
        return {}
    attributes: dict[str, Any] = {"server.address": address}
    if port is not None:
        attributes["server.port"] = port
    return attributes


def _redacted_query(query_string: bytes) -> str:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return urlencode([(k, "REDACTED" if k in _SECRET_QUERY_KEYS else v) for k, v in pairs])


class _Run:
    """One observed request: what it is counted and traced as, until its answer is complete."""

    def __init__(self, telemetry: NativeTelemetry, scope: Scope) -> None:
        self.scope, self.operation_spans = scope, telemetry.config["operation_spans"]
        self.websocket = scope["type"] == "websocket"
        self.original_method = scope.get("method", "")
        known = self.original_method in telemetry.known_methods
        self.method = self.original_method if known else "_OTHER"
        span_method = "WS" if self.websocket else self.method if known else "HTTP"
        self.attributes: dict[str, Any] = {
            "url.scheme": scope.get("scheme", "ws" if self.websocket else "http")
        }
        if self.websocket:
            self.attributes["network.protocol.name"] = "websocket"
        else:
            self.attributes["http.request.method"] = self.method
        self.active_attributes = dict(self.attributes)
        if not self.websocket and scope.get("http_version"):
            self.attributes["network.protocol.version"] = scope["http_version"]
        root = scope.get("app_root_path", scope.get("root_path", ""))
        self.exchange = Exchange(span=None, span_method=span_method, prefix=root.rstrip("/"))
        self.duration: Histogram | None = None
        self.active: UpDownCounter | None = None
        self.parent_token: object | None = None
        self.started = perf_counter()
        self.finished = self.trailers = self.disconnected = self.held = False
        self.exchange.answered = self._answered
        self.downstream: Send | None = None
        self.upstream: Receive | None = None

    def count(self, duration: Histogram, active: UpDownCounter) -> None:
        self.duration, self.active = duration, active
        active.add(1, self.active_attributes)

    def start_span(self, tracer: trace.Tracer) -> None:
        scope = self.scope
        parent = propagate.extract(Headers(scope=scope), getter=_GETTER)
        self.parent_token = otel_context.attach(parent)
        attributes = {**self.attributes, **_server_attributes(scope)}
        if not self.websocket:
            attributes["url.path"] = scope["path"]
            if scope.get("query_string"):
                attributes["url.query"] = _redacted_query(scope["query_string"])
            if self.original_method != self.method:
                attributes["http.request.method_original"] = self.original_method
        self.exchange.span = tracer.start_span(
            self.exchange.span_method, context=parent, kind=SpanKind.SERVER, attributes=attributes
        )
        if self.operation_spans:
            self.exchange.tracer = tracer

    async def __call__(self, app: ASGIApp, receive: Receive, send: Send) -> None:
        scope, exchange = self.scope, self.exchange
        scope[SCOPE_KEY] = exchange
        token = otel_context.attach(otel_context.set_value(EXCHANGE_KEY, exchange))
        self.downstream, self.upstream = send, receive
        try:
            with self._current_span():
                await self._observe(app, receive, send)
        finally:
            exchange.data = None  # a context kept from this request must not keep its data
            otel_context.detach(token)
            scope.pop(SCOPE_KEY, None)
            if self.parent_token is not None:
                otel_context.detach(self.parent_token)  # type: ignore[arg-type]

    def _current_span(self) -> AbstractContextManager[Any]:
        if self.exchange.span is None:
            return nullcontext()
        # Exceptions are logged as records, not span events, and set the status in finish().
        return trace.use_span(
            self.exchange.span, end_on_exit=False,
            record_exception=False, set_status_on_exception=False,
        )  # fmt: skip

    async def _observe(self, app: ASGIApp, receive: Receive, send: Send) -> None:
        websocket = self.websocket
        try:
            if websocket:  # no response messages to watch: the connection's end is the end
                await app(self.scope, receive, send)
            else:
                await app(self.scope, self._receive, self._send)
        except BaseException as exc:
            exception_raised(self.exchange, exc, websocket)
            self.finish(None if websocket and normal_close(exc) else exc)
            raise
        finally:
            if not self.finished and (websocket or self.held):
                self.finish(None)
            elif not self.finished:
                gone = "Client disconnected" if self.disconnected else "Incomplete ASGI response"
                self.finish((ConnectionError if self.disconnected else RuntimeError)(gone))

    async def _receive(self) -> Message:
        assert self.upstream is not None
        message = await self.upstream()
        if message["type"] == "http.disconnect":
            self.disconnected = True
        return message

    async def _send(self, message: Message) -> None:
        assert self.downstream is not None
        kind = message["type"]
        if kind == "http.response.start":
            self.exchange.status_code = message["status"]
            self.trailers = message.get("trailers", False)
        await self.downstream(message)
        if not _is_last(message, self.trailers):
            return
        if (self.exchange.status_code or 0) >= 500:
            # The server-error layer answers an exception with a 500, then re-raises it: the
            # answer ends when the app returns (or its background tasks start), so that
            # error.type names the exception. No layer inside the app's stack is needed.
            self.held = True
        else:
            self.finish(None)

    def _answered(self) -> None:
        if self.held:
            self.finish(None)

    def _record_answer(self, error: BaseException | None) -> bool:
        """Route, status and error type into the attributes; whether the request failed."""
        exchange, attributes = self.exchange, self.attributes
        if not exchange.routed and exchange.status_code in (307, 405):
            _route_of_router_answer(self.scope, exchange)
        if exchange.route is not None:
            attributes["http.route"] = exchange.route
        status = exchange.status_code
        if status is not None:
            attributes["http.response.status_code"] = status
        failed = error is not None or (not self.websocket and (status is None or status >= 500))
        if failed:
            attributes["error.type"] = (
                exception_type(error) if error else str(status or "incomplete_response")
            )
        return failed

    def finish(self, error: BaseException | None) -> None:
        """Record the answer on the span and the metrics, then end the span, exactly once."""
        if self.finished:
            return
        self.finished = True
        exchange = self.exchange
        failed = self._record_answer(error)
        attributes, span = self.attributes, exchange.span
        if span is not None:
            span.set_attributes(attributes)
            if failed:
                span.set_status(StatusCode.ERROR)
        if self.duration is not None:  # recorded while the span is current: exemplars see it
            self.duration.record(max(0.0, perf_counter() - self.started), attributes)
        if self.active is not None:
            self.active.add(-1, self.active_attributes)
        if span is not None:
            span.end()


def _route_of_router_answer(scope: Scope, exchange: Exchange) -> None:
    """The route behind a router's own 405 or trailing-slash 307, which no route handled.

    COMPAT: FastAPI names such answers after the route that matched the path (405) or the
    path with its slash toggled (307). Looked up again here, at the end of such a request
    only, so that routing itself carries no telemetry step.
    """
    router = getattr(scope.get("app"), "router", None)
    if not isinstance(router, APIRouter):
        return
    path = route_path(scope)
    if exchange.status_code == 405:
        route, _, _ = router._choose(scope)
    else:
        twin = path.rstrip("/") if path.endswith("/") else path + "/"
        found = (r for _, r, _ in router._index.find(twin) if "http" in r.scope_types)
        route = next(found, None)
    if route is not None:
        exchange.route_selected(route.path_format)


def _is_last(message: Message, trailers: bool) -> bool:
    """Whether the response is complete once this message is sent (ASGI: trailers come last)."""
    kind = message["type"]
    if kind == "http.response.body":
        return not trailers and not bool(message.get("more_body", False))
    if kind == "http.response.trailers":
        return not bool(message.get("more_trailers", False))
    return bool(kind == "http.response.pathsend")
