# How environment export works: with `auto_configure` on (or FASTAPI_OTEL_AUTO_CONFIGURE=true),
# the app's lifespan start-up adds an OTLP/HTTP exporter for each signal whose OTEL_EXPORTER_OTLP_*
# endpoint is set: to the provider in use when it is a real one, or to a new SDK provider set as
# the global one when none was set. Providers someone else set keep everything they had. What
# minifast made is flushed (off the event loop) when the lifespan ends, and shut down at exit.
# A bad setting is logged as a warning: optional telemetry never stops an app from starting.
"""OTLP exporters from OTEL_* environment variables, added at start-up."""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from opentelemetry import _logs, metrics, trace

from minifast.exceptions import FastAPIError
from minifast.telemetry._data import TelemetryConfig, unconfigured
from minifast.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("minifast.telemetry")
_lock = threading.RLock()
_owned: list[Any] = []  # exporters' processors and providers minifast made
_configured: list[tuple[str, Any]] = []  # (signal, provider) pairs already given an exporter
_RETRY = "pass telemetry={'auto_configure': False} to MiniFast() and configure it yourself"


def _shutdown() -> None:
    with _lock:
        owned = tuple(_owned)
        _owned.clear()
    for component in owned:
        try:
            component.shutdown()
        except Exception:
            logger.exception("FastAPI telemetry cleanup failed")


def _flush() -> None:
    for component in tuple(_owned):
        try:
            component.force_flush()
        except Exception:
            logger.exception("FastAPI telemetry cleanup failed")


atexit.register(_shutdown)


def _export_endpoint(signal: str) -> str | None:
    """The OTLP endpoint of one signal (TRACES, METRICS, LOGS), or None when not exported."""
    exporter = (os.getenv(f"OTEL_{signal}_EXPORTER") or "otlp").strip().lower()
    endpoint = os.getenv(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    if not endpoint:
        base = os.getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
        endpoint = f"{base.removesuffix('/')}/v1/{signal.lower()}" if base else None
    if endpoint is None or exporter == "none":
        return None
    if exporter != "otlp":
        raise FastAPIError(f"OTEL_{signal}_EXPORTER must be otlp or none here; {_RETRY}")
    protocol = (
        os.getenv(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL")
        or os.getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    )
    if protocol != "http/protobuf":
        raise FastAPIError(f"automatic export speaks OTLP http/protobuf only; {_RETRY}")
    parsed = urlsplit(endpoint)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise FastAPIError(f"Invalid OTLP {signal.lower()} endpoint: use an absolute HTTP URL")
    return endpoint


def _sdk() -> dict[str, tuple[Any, ...]]:
    """Per signal: (exporter's component factory, SDK provider factory, registration, setter)."""
    try:
        # The exporter package is optional, and typed only when present.
        from opentelemetry.exporter.otlp.proto.http._log_exporter import (  # type: ignore[import-not-found,unused-ignore]
            OTLPLogExporter,
        )
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (  # type: ignore[import-not-found,unused-ignore]
            OTLPMetricExporter,
        )
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[import-not-found,unused-ignore]
            OTLPSpanExporter,
        )
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as error:
        raise FastAPIError(
            "automatic export needs opentelemetry-sdk and opentelemetry-exporter-otlp-proto-http"
            f" (pip install 'minifast[telemetry]' plus those); or {_RETRY}"
        ) from error
    return {
        "TRACES": (lambda url: BatchSpanProcessor(OTLPSpanExporter(endpoint=url)),
                   TracerProvider, "add_span_processor", trace),
        "METRICS": (lambda url: PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=url)),
                    MeterProvider, "add_metric_reader", metrics),
        "LOGS": (lambda url: BatchLogRecordProcessor(OTLPLogExporter(endpoint=url)),
                 LoggerProvider, "add_log_record_processor", _logs),
    }  # fmt: skip


_GLOBALS = {  # the getters are looked up on each use: the global providers change
    "TRACES": ("tracing", "tracer_provider", lambda: trace.get_tracer_provider()),
    "METRICS": ("metrics", "meter_provider", lambda: metrics.get_meter_provider()),
    "LOGS": ("logs", "logger_provider", lambda: _logs.get_logger_provider()),
}


def _configure_from_environment(config: TelemetryConfig) -> None:
    """Add an OTLP exporter for each signal the environment names; see the module comment."""
    if not config["auto_configure"] or os.getenv("OTEL_SDK_DISABLED", "").lower() == "true":
        return
    with _lock:
        wanted: list[tuple[str, Any, Callable[[], Any], str]] = []
        for signal, (on, given, get) in _GLOBALS.items():
            endpoint = _export_endpoint(signal) if config[on] else None  # type: ignore[literal-required]
            if endpoint is not None:
                wanted.append((signal, config[given], get, endpoint))  # type: ignore[literal-required]
        if not wanted:
            return
        sdk = _sdk()
        for signal, given, get, endpoint in wanted:
            provider = _registrable(given if given is not None else get())
            _export(signal, provider, endpoint, sdk[signal])


def _registrable(provider: Any) -> Any:
    """The provider an exporter joins: COMPAT: older logfire meter wrappers hide
    `add_metric_reader`, so the reader joins the SDK provider they wrap (as in FastAPI);
    measurements still go through the wrapper."""
    cls = type(provider)
    wrapper = (cls.__module__, cls.__name__) == ("logfire._internal.metrics", "ProxyMeterProvider")
    return provider.provider if wrapper and not hasattr(provider, "add_metric_reader") else provider


def _export(signal: str, provider: Any, endpoint: str, sdk: tuple[Any, ...]) -> None:
    component_of, provider_class, register_name, api = sdk
    if any(s == signal and p is provider for s, p in _configured):
        return
    if unconfigured(provider):
        name = _GLOBAL_NAMES[signal]
        if signal == "METRICS":
            own = provider_class(metric_readers=[component_of(endpoint)], shutdown_on_exit=False)
        else:
            own = provider_class(shutdown_on_exit=False)
            getattr(own, register_name)(component_of(endpoint))
        getattr(api, f"set_{name}_provider")(own)
        provider = _registrable(getattr(api, f"get_{name}_provider")())
        if provider is own:
            _configured.append((signal, own))
            _owned.append(own)
            return
        own.shutdown()  # another component set the global provider first: export through it
    register = getattr(provider, register_name, None)
    if not callable(register):
        raise FastAPIError(
            "The configured OpenTelemetry provider does not support adding an OTLP exporter; "
            + _RETRY
        )
    component = component_of(endpoint)
    try:
        register(component)
    except Exception:
        component.shutdown()
        raise
    _configured.append((signal, provider))
    _owned.append(component)


_GLOBAL_NAMES = {"TRACES": "tracer", "METRICS": "meter", "LOGS": "logger"}
_ENDINGS = frozenset(
    {"lifespan.startup.failed", "lifespan.shutdown.complete", "lifespan.shutdown.failed"}
)


async def lifespan(
    *, config: TelemetryConfig | None, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    """The app's lifespan, with exporters added at start-up and flushed at the end."""

    async def receiving() -> Message:
        message = await receive()
        if message["type"] == "lifespan.startup" and config is not None:
            try:
                _configure_from_environment(config)
            except Exception as exc:
                logger.warning("FastAPI automatic telemetry configuration failed: %s", exc)
        return message

    async def sending(message: Message) -> None:
        if message["type"] in _ENDINGS and _owned:
            await anyio.to_thread.run_sync(_flush)
        await send(message)

    await app(scope, receiving, sending)
