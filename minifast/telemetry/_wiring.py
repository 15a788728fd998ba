"""What `MiniFast(telemetry=...)` changes in the app: its config and its middleware stack."""

from __future__ import annotations

import os
from typing import Any

from minifast.middleware import Middleware, build_stack
from minifast.telemetry._api import TelemetryConfig
from minifast.telemetry._asgi import (
    ExceptionTelemetryMiddleware,
    NativeTelemetry,
    TelemetryMiddleware,
)
from minifast.telemetry._routes import observe
from minifast.types import ASGIApp


def telemetry_config(given: TelemetryConfig) -> TelemetryConfig:
    """The app's own copy of the options, every one set (later changes to `given` don't count)."""
    auto_configure = os.getenv("FASTAPI_OTEL_AUTO_CONFIGURE", "").lower() == "true"
    return {
        "tracer_provider": None, "meter_provider": None, "logger_provider": None,
        "tracing": True, "metrics": True, "logs": True, "operation_spans": True,
        "auto_configure": auto_configure, "exclude": None, **given,
    }  # fmt: skip


def observed_stack(app: Any, config: TelemetryConfig, layers: list[Middleware]) -> ASGIApp:
    """The app's stack with the server span outermost and the exception watch inside the
    server-error layer; its routes (and mounted apps' routes) observe themselves.

    Built once, like any stack: with telemetry off none of this exists.
    """
    observe(app.router)
    stack = build_stack(
        app.router, [layers[0], Middleware(ExceptionTelemetryMiddleware), *layers[1:]]
    )
    return TelemetryMiddleware(stack, NativeTelemetry(config))
