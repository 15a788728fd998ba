"""MiniFast(telemetry={"auto_configure": True}): OTLP exporters from OTEL_* variables."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import _logs, metrics, trace
from opentelemetry.sdk.trace import TracerProvider

from minifast import MiniFast
from minifast.telemetry import _runtime
from minifast.testclient import TestClient

REAL_SDK = _runtime._sdk


class Component:
    """Stands for an exporter's processor or reader."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.calls: list[str] = []

    def force_flush(self) -> None:
        self.calls.append("flush")

    def shutdown(self) -> None:
        self.calls.append("shutdown")


class Provider(trace.NoOpTracerProvider, metrics.NoOpMeterProvider, _logs.NoOpLoggerProvider):
    """An SDK-like provider that accepts components, for every signal (and records nothing)."""

    def __init__(self, shutdown_on_exit: bool = True, metric_readers: Any = ()) -> None:
        self.components: list[Any] = list(metric_readers)
        self.stopped = False

    def add_span_processor(self, component: Any) -> None:
        self.components.append(component)

    add_metric_reader = add_log_record_processor = add_span_processor

    def force_flush(self) -> None:
        pass

    def shutdown(self) -> None:
        self.stopped = True


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import os

    for name in list(os.environ):
        if name.startswith(("OTEL_", "FASTAPI_OTEL_")):
            monkeypatch.delenv(name)
    monkeypatch.setattr(_runtime, "_owned", [])
    monkeypatch.setattr(_runtime, "_configured", [])
    fake = {
        signal: (Component, Provider, register, api)
        for signal, register, api in [
            ("TRACES", "add_span_processor", trace),
            ("METRICS", "add_metric_reader", metrics),
            ("LOGS", "add_log_record_processor", _logs),
        ]
    }
    monkeypatch.setattr(_runtime, "_sdk", lambda: fake)
    yield


def run(app: MiniFast) -> None:
    with TestClient(app) as client:
        assert client.get("/").status_code == 404


def test_exporters_join_the_providers_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1/base/")
    providers = {name: Provider() for name in ("tracer", "meter", "logger")}
    config: Any = {f"{name}_provider": p for name, p in providers.items()}
    app = MiniFast(telemetry={**config, "auto_configure": True})
    run(app)
    run(app)  # a second start-up adds nothing
    endpoints = [c.endpoint for p in providers.values() for c in p.components]
    assert endpoints == [f"http://127.0.0.1:1/base/v1/{s}" for s in ("traces", "metrics", "logs")]
    assert all(c.calls == ["flush", "flush"] for p in providers.values() for c in p.components)
    _runtime._shutdown()
    assert all(c.calls[-1] == "shutdown" for p in providers.values() for c in p.components)


def test_global_placeholders_are_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/traces")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://127.0.0.1:1/metrics")
    current: dict[str, Any] = {}
    for name, api in [("tracer", trace), ("meter", metrics)]:
        current[name] = getattr(api, f"get_{name}_provider")()
        monkeypatch.setattr(api, f"get_{name}_provider", lambda n=name: current[n])
    # The meter's global is taken by someone else at the same moment: theirs is used.
    theirs = Provider()
    monkeypatch.setattr(trace, "set_tracer_provider", lambda p: current.update(tracer=p))
    monkeypatch.setattr(metrics, "set_meter_provider", lambda p: current.update(meter=theirs))
    run(MiniFast(telemetry={}))
    assert isinstance(current["tracer"], Provider)
    assert [c.endpoint for c in current["tracer"].components] == ["http://127.0.0.1:1/traces"]
    assert [c.endpoint for c in theirs.components] == ["http://127.0.0.1:1/metrics"]
    assert current["tracer"] in _runtime._owned


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "not-a-url"}, "absolute HTTP"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:1", "OTEL_TRACES_EXPORTER": "console"}, "otlp"),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "http/protobuf",
        ),
    ],
    ids=["bad-url", "other-exporter", "grpc"],
)  # fmt: skip
def test_bad_settings_warn_and_the_app_starts(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, env: Any, message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run(MiniFast(telemetry={"tracer_provider": Provider(), "auto_configure": True}))
    assert message in caplog.text
    assert not _runtime._owned


@pytest.mark.parametrize(
    "env",
    [
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:1", "OTEL_SDK_DISABLED": "true"},
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:1", "OTEL_TRACES_EXPORTER": "none"},
        {},
    ],
    ids=["sdk-disabled", "exporter-none", "no-endpoint"],
)
def test_nothing_to_export(monkeypatch: pytest.MonkeyPatch, env: Any) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config: Any = {"tracer_provider": Provider(), "auto_configure": True}
    run(MiniFast(telemetry={**config, "metrics": False, "logs": False}))
    assert not _runtime._owned


def test_unsupported_or_failing_providers(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://h:1/traces")
    run(MiniFast(telemetry={"tracer_provider": trace.NoOpTracerProvider(), "auto_configure": True}))
    assert "does not support adding an OTLP exporter" in caplog.text
    failing = TracerProvider(shutdown_on_exit=False)
    made: list[Component] = []

    def refuse(component: Component) -> None:
        made.append(component)
        raise ValueError("registration failed")

    monkeypatch.setattr(failing, "add_span_processor", refuse)
    run(MiniFast(telemetry={"tracer_provider": failing, "auto_configure": True}))
    assert "registration failed" in caplog.text
    assert made[0].calls == ["shutdown"]


def test_missing_exporter_package_is_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import builtins

    real_import = builtins.__import__

    def blocking(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("opentelemetry.exporter"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(_runtime, "_sdk", REAL_SDK)
    monkeypatch.setattr(builtins, "__import__", blocking)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://h:1")
    run(MiniFast(telemetry={"tracer_provider": Provider(), "auto_configure": True}))
    assert "minifast[telemetry]" in caplog.text


def test_cleanup_failures_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    class Failing:
        def force_flush(self) -> None:
            raise RuntimeError("flush")

        def shutdown(self) -> None:
            raise RuntimeError("shutdown")

    _runtime._owned.append(Failing())
    with caplog.at_level(logging.ERROR):
        run(MiniFast(telemetry={"tracer_provider": Provider()}))
        _runtime._shutdown()
    assert caplog.text.count("FastAPI telemetry cleanup failed") == 2


def test_real_exporters_are_made_for_each_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_runtime, "_sdk", REAL_SDK)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/traces")
    provider = TracerProvider(shutdown_on_exit=False)
    with TestClient(MiniFast(telemetry={"tracer_provider": provider, "auto_configure": True})):
        pass
    (component,) = _runtime._owned
    assert type(component).__name__ == "BatchSpanProcessor"
    _runtime._shutdown()
    provider.shutdown()
    factories = REAL_SDK()
    for signal in ("METRICS", "LOGS"):
        made = factories[signal][0]("http://127.0.0.1:1/x")
        made.shutdown()
