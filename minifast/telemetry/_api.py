# How telemetry state travels: the server layer (_asgi.py) makes one Exchange per observed
# request or websocket and puts it in OpenTelemetry's context, so code that runs inside the
# request (operation spans, validation logs, log processors reading `get_telemetry_data()`)
# finds it without being handed it, in worker threads too (anyio copies the context there).
# The scope carries it as well, under FastAPI's key, because a nested app must tell "this very
# request is observed" apart from "an outer request made this one in-process".
"""The per-request state the observing layers share, and the steps they record."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from time import time_ns
from typing import Any

try:
    from opentelemetry import context as otel_context
    from opentelemetry._logs import Logger, SeverityNumber
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, StatusCode, Tracer
except ImportError as error:  # pragma: no cover - tested in a subprocess without the package
    raise ImportError(
        "telemetry in MiniFast needs OpenTelemetry's API: pip install 'minifast[telemetry]'"
    ) from error

from minifast.exceptions import (
    HTTPException,
    RequestValidationError,
    WebSocketException,
    WebSocketRequestValidationError,
)
from minifast.telemetry._data import TelemetryData
from minifast.websockets import WebSocketDisconnect


@dataclass(kw_only=True, eq=False)
class Exchange:
    """One observed request or websocket: its span, route and data."""

    span: Span | None
    span_method: str  # the span name's first word: the method, "HTTP" or "WS"
    tracer: Tracer | None = None  # set only when operation spans are on
    logger: Logger | None = None
    prefix: str = ""  # the templates of the mounts passed so far
    route: str | None = None
    routed: bool = False  # whether a route (not only a mount) was selected
    status_code: int | None = None
    data: TelemetryData | None = field(default_factory=TelemetryData)
    # Called when background tasks start: the answer is complete (see _asgi._Run._send).
    answered: Callable[[], None] = field(default=lambda: None)

    def route_selected(self, template: str, *, mount: bool = False) -> None:
        """Name the span after the route as soon as it is known, as FastAPI does."""
        self.route = self.prefix + template
        self.routed = not mount
        if self.span is not None:
            self.span.set_attribute("http.route", self.route)
            self.span.update_name(f"{self.span_method} {self.route}")


EXCHANGE_KEY = otel_context.create_key("fastapi.request")
_NO_OPERATION: AbstractContextManager[None] = nullcontext()


def current_exchange(context: Context | None = None) -> Exchange | None:
    value = otel_context.get_value(EXCHANGE_KEY, context)
    return value if isinstance(value, Exchange) else None


def exception_type(exc: BaseException) -> str:
    """`error.type`: the qualified class name, without `builtins.`."""
    cls = type(exc)
    name = cls.__qualname__
    return name if cls.__module__ == "builtins" else f"{cls.__module__}.{name}"


def normal_close(exc: BaseException) -> bool:
    """A websocket the client closed normally (1000) or by leaving (1001): no error."""
    return isinstance(exc, WebSocketDisconnect) and exc.code in (1000, 1001)


# Exceptions that become ordinary answers: an operation they leave is not failed.
_ANSWERS = (
    HTTPException,
    RequestValidationError,
    WebSocketException,
    WebSocketRequestValidationError,
)


def operation(name: str, function: Callable[..., Any]) -> AbstractContextManager[None]:
    """A `fastapi.<name>` span around one step of the current request, if it is traced."""
    exchange = current_exchange()
    if exchange is None or exchange.tracer is None:
        return _NO_OPERATION
    return _traced(exchange.tracer, name, function)


@contextmanager
def _traced(tracer: Tracer, name: str, function: Callable[..., Any]) -> Iterator[None]:
    module = getattr(function, "__module__", type(function).__module__)
    qualname = getattr(function, "__qualname__", type(function).__qualname__)
    attributes = {"code.function.name": f"{module}.{qualname}"}
    with tracer.start_as_current_span(
        f"fastapi.{name}", attributes=attributes,
        record_exception=False, set_status_on_exception=False,
    ) as span:  # fmt: skip
        try:
            yield
        except Exception as exc:
            # A background task has nobody to answer: any exception fails it.
            if name == "background_task" or not (isinstance(exc, _ANSWERS) or normal_close(exc)):
                span.set_attribute("error.type", exception_type(exc))
                span.set_status(StatusCode.ERROR)
            raise


def validation_failed(
    exchange: Exchange,
    data: TelemetryData,
    exc: RequestValidationError | WebSocketRequestValidationError,
) -> None:
    """Keep the errors in the request's data, and log the failure (without the inputs)."""
    errors = exc.errors()
    if isinstance(exc, RequestValidationError):
        data.body = exc.body
    data.errors = errors
    if exchange.logger is None:
        return
    attributes = {"fastapi.validation.error_count": len(errors), "http.route": exchange.route}
    exchange.logger.emit(
        event_name="fastapi.validation.failed", timestamp=time_ns(),
        severity_number=SeverityNumber.WARN, severity_text="WARN",
        body="Request validation failed", attributes=attributes,
    )  # fmt: skip


def exception_raised(exchange: Exchange, exc: BaseException, websocket: bool) -> None:
    """Log an unhandled exception (the server layer and background tasks see each once)."""
    closed = websocket and normal_close(exc)
    if exchange.logger is None or not isinstance(exc, Exception) or closed:
        return
    where = "WebSocket connection" if websocket else "request"
    exchange.logger.emit(
        exception=exc,
        event_name="fastapi.websocket.exception" if websocket else "http.server.request.exception",
        timestamp=time_ns(), severity_number=SeverityNumber.ERROR, severity_text="ERROR",
        body=f"Unhandled exception in FastAPI {where}",
        attributes={"http.route": exchange.route} if exchange.route else None,
    )  # fmt: skip
