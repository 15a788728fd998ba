"""Telemetry's vocabulary, importable without OpenTelemetry: the options and the request data.

Every app reads its options here, so nothing in this module may import OpenTelemetry: an app
that never meets it must not load it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from typing_extensions import TypedDict

from minifast.requests import Request
from minifast.websockets import WebSocket

if TYPE_CHECKING:
    from opentelemetry._logs import LoggerProvider
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

SCOPE_KEY = "fastapi.telemetry"  # COMPAT: FastAPI's scope key, read by mounted FastAPI apps


class TelemetryConfig(TypedDict, total=False):
    """The options of `MiniFast(telemetry={...})`; an omitted one keeps its default.

    Providers default to OpenTelemetry's global ones; minifast never shuts down a provider it
    was given. `exclude(scope)` returning True leaves that request unobserved.
    """

    tracer_provider: TracerProvider | None
    meter_provider: MeterProvider | None
    logger_provider: LoggerProvider | None
    tracing: bool  # server spans for requests and websockets (default True)
    metrics: bool  # http.server.request.duration and active_requests (default True)
    logs: bool  # validation failures and unhandled exceptions as log records (default True)
    operation_spans: bool  # dependencies, endpoint, serialization, background tasks (True)
    auto_configure: bool  # OTLP exporters from OTEL_* variables (FASTAPI_OTEL_AUTO_CONFIGURE)
    exclude: Callable[[MutableMapping[str, Any]], bool] | None


@dataclass(kw_only=True)
class TelemetryData:
    """What minifast knows of the current request, for synchronous OpenTelemetry processors.

    Filled in as the request is handled; read it, never change it, and redact before export.
    """

    request: Request | None = None  # set when the route's handler starts
    websocket: WebSocket | None = None  # likewise, for websocket routes
    body: Any = None  # the body as read, before validation
    values: dict[str, Any] | None = None  # the endpoint's arguments, once resolved
    errors: Sequence[Any] | None = None  # validation errors, with the inputs that failed


def telemetry_config(given: TelemetryConfig | None) -> TelemetryConfig:
    """The app's own copy of the options, every one set (later changes to `given` don't count)."""
    auto_configure = os.getenv("FASTAPI_OTEL_AUTO_CONFIGURE", "").lower() == "true"
    return {
        "tracer_provider": None, "meter_provider": None, "logger_provider": None,
        "tracing": True, "metrics": True, "logs": True, "operation_spans": True,
        "auto_configure": auto_configure, "exclude": None, **(given or {}),
    }  # fmt: skip


# Python's API cannot tell whether a global provider was set; its placeholders can be named.
_PLACEHOLDERS = frozenset(
    {
        ("opentelemetry.trace", "ProxyTracerProvider"),
        ("opentelemetry.metrics._internal", "_ProxyMeterProvider"),
        ("opentelemetry._logs._internal", "ProxyLoggerProvider"),
    }
)


def unconfigured(provider: Any) -> bool:
    """Whether a global provider is still OpenTelemetry's placeholder (nothing set yet)."""
    cls = type(provider)
    return (cls.__module__, cls.__name__) in _PLACEHOLDERS
