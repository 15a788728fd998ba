# How an app decides to observe a request: COMPAT: as in FastAPI, every app is observed as soon
# as a signal it has on finds a provider: one given in `telemetry=`, or a global one configured,
# even after the app was built and used. This module answers that without importing
# OpenTelemetry: it reads the API modules only if something else imported them already, since
# nothing can configure a provider through an API nobody loaded. The layers that observe
# (_wiring.py and below, which do import OpenTelemetry) are made by the first observed request.
"""The per-request question "is this observed?", and the doors into the observing layers."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from minifast.telemetry._data import SCOPE_KEY, TelemetryConfig, TelemetryData, unconfigured
from minifast.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from opentelemetry.context import Context

logger = logging.getLogger("minifast.telemetry")

# (option, provider option, API module, its getter of the global provider); the getter is
# looked up on each use: the global provider can change at any time (and tests patch it).
_SIGNALS = (
    ("tracing", "tracer_provider", "opentelemetry.trace", "get_tracer_provider"),
    ("metrics", "meter_provider", "opentelemetry.metrics", "get_meter_provider"),
    ("logs", "logger_provider", "opentelemetry._logs", "get_logger_provider"),
)


def is_observed(config: TelemetryConfig, scope: Scope) -> bool:
    """Whether the app observes this request: some signal on, with a provider to report to.

    A request an outer app observes already (a mounted app's) is left to that app.
    """
    if SCOPE_KEY in scope or scope["type"] not in ("http", "websocket"):
        return False
    for on, given, module_name, getter in _SIGNALS:
        if not config[on]:  # type: ignore[literal-required]
            continue
        if config[given] is not None:  # type: ignore[literal-required]
            return True
        api = sys.modules.get(module_name)
        if api is not None and not unconfigured(getattr(api, getter)()):
            return True
    return False


def make_observer(app: Any, config: TelemetryConfig) -> ASGIApp:
    """The app's observing entry: the server span, metrics and logs around its stack."""
    from minifast.telemetry._wiring import AppTelemetry

    return AppTelemetry(app, config)


def require_opentelemetry() -> None:
    """An explicit `telemetry=` checks now that OpenTelemetry's API is there (it names the
    extra to install when not), rather than on the first observed request."""
    import minifast.telemetry._api  # noqa: F401


def get_telemetry_data(context: Context | None = None) -> TelemetryData | None:
    """The data of the request being handled in `context` (default: the current one).

    A log processor can pass `record.context`. Once the request is over this is None, even
    for a context kept from it.
    """
    if sys.modules.get("opentelemetry") is None:
        return None  # never imported: no request was observed
    from minifast.telemetry._api import current_exchange

    exchange = current_exchange(context)
    return exchange.data if exchange is not None else None


async def lifespan(
    *, config: TelemetryConfig, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    """The app's lifespan; with `auto_configure`, exporters join at start-up (_runtime.py).

    Exporters minifast added for any app are flushed when a lifespan ends, so once some
    were made every app goes through the runtime's lifespan.
    """
    if config["auto_configure"] or "minifast.telemetry._runtime" in sys.modules:
        try:
            from minifast.telemetry._runtime import lifespan as exporting
        except ImportError as error:  # optional telemetry never stops an app from starting
            logger.warning("FastAPI automatic telemetry configuration failed: %s", error)
        else:
            await exporting(config=config, app=app, scope=scope, receive=receive, send=send)
            return
    await app(scope, receive, send)
