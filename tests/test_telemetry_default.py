"""Apps without `telemetry=`: observed once OpenTelemetry has a global provider, as in FastAPI."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import _logs, metrics, trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from minifast import APIRouter, BackgroundTasks, MiniFast
from minifast.background import BackgroundTask
from minifast.responses import PlainTextResponse
from minifast.telemetry import get_telemetry_data
from minifast.testclient import TestClient


class Global:
    """A tracer and a logger provider standing in for the global ones, while a test runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider(shutdown_on_exit=False)
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.logs = InMemoryLogRecordExporter()
        self.logger_provider = LoggerProvider(shutdown_on_exit=False)
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.logs))

    def configure(self) -> None:
        self.monkeypatch.setattr(trace, "get_tracer_provider", lambda: self.tracer_provider)
        self.monkeypatch.setattr(_logs, "get_logger_provider", lambda: self.logger_provider)

    def server(self) -> list[Any]:
        return [s for s in self.spans.get_finished_spans() if s.kind == SpanKind.SERVER]

    def names(self) -> list[str]:
        return [span.name for span in self.spans.get_finished_spans()]


@pytest.fixture
def global_providers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Global]:
    made = Global(monkeypatch)
    yield made
    made.tracer_provider.shutdown()
    made.logger_provider.shutdown()


def test_a_global_provider_set_later_observes_an_app_in_use(global_providers: Global) -> None:
    app = MiniFast()

    @app.get("/items/{item_id}")
    def read(item_id: int) -> Any:
        return get_telemetry_data() is not None

    client = TestClient(app)
    assert client.get("/items/1").json() is False  # OpenTelemetry loaded, nothing configured
    global_providers.configure()
    assert client.get("/items/2").json() is True
    assert global_providers.names() == [
        "fastapi.dependencies",
        "fastapi.endpoint",
        "fastapi.serialization",
        "GET /items/{item_id}",
    ]

    @app.get("/later")
    def later() -> str:
        return "ok"

    assert client.get("/later").json() == "ok"  # a route added since is observed too
    assert global_providers.server()[-1].name == "GET /later"


@pytest.mark.parametrize(
    "options",
    [{"tracing": False, "logs": False}, {"exclude": lambda scope: True}],
    ids=["signals-off", "excluded"],
)
def test_the_options_still_apply_to_global_providers(
    global_providers: Global, options: Any
) -> None:
    global_providers.configure()
    app = MiniFast(telemetry=options)
    assert TestClient(app).get("/").status_code == 404
    assert not global_providers.spans.get_finished_spans()


def test_a_server_error_names_its_exception(global_providers: Global) -> None:
    global_providers.configure()
    app = MiniFast()
    ran: list[str] = []

    @app.get("/fail")
    def fail() -> None:
        raise ValueError("broken")

    @app.get("/unavailable")
    def unavailable(tasks: BackgroundTasks) -> PlainTextResponse:
        tasks.add_task(lambda: ran.append("task"))
        return PlainTextResponse("down", status_code=503, background=tasks)

    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/fail").status_code == 500
    assert client.get("/unavailable").status_code == 503
    failed, down = global_providers.server()
    assert failed.attributes["error.type"] == "ValueError"
    assert failed.status.status_code == StatusCode.ERROR
    assert down.attributes["error.type"] == "503"
    task = next(s for s in global_providers.spans.get_finished_spans() if "background" in s.name)
    assert down.end_time <= task.start_time  # the answer ended before its tasks ran
    assert ran == ["task"]
    (record,) = [data.log_record for data in global_providers.logs.get_finished_logs()]
    assert record.event_name == "http.server.request.exception"


def test_failures_after_the_answer_are_logged_not_fatal(global_providers: Global) -> None:
    global_providers.configure()
    app = MiniFast(telemetry={"tracing": False})

    def broken() -> None:
        raise ValueError("after the answer")

    async def plain(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok", background=BackgroundTask(broken))

    def read(number: int) -> int:
        return number

    app.add_route("/plain", plain)
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/plain").text == "ok"
    (record,) = [data.log_record for data in global_providers.logs.get_finished_logs()]
    assert record.event_name == "http.server.request.exception"
    app = MiniFast(telemetry={"logs": False})
    app.get("/items/{number}")(read)
    assert TestClient(app).get("/items/x").status_code == 422
    (server,) = global_providers.server()
    assert server.attributes["http.response.status_code"] == 422


def test_frontends_are_named_after_their_path(global_providers: Global) -> None:
    global_providers.configure()
    directory = Path(tempfile.mkdtemp())
    (directory / "index.html").write_text("index")
    router = APIRouter()
    router.frontend("/ui", directory=directory, fallback="index.html")
    app = MiniFast(telemetry={"exclude": lambda scope: scope["path"].endswith("/skip")})
    app.include_router(router, prefix="/app")
    client = TestClient(app)
    for path in ("/app/ui/some/page", "/app/ui/skip"):
        assert client.get(path, headers={"accept": "text/html"}).text == "index"
    (server,) = global_providers.server()
    assert server.attributes["http.route"] == "/app/ui/{path}"


class OpenTelemetryMiddleware:
    """Stands for opentelemetry-instrumentation-asgi's layer (named as the real one is)."""

    __module__ = "opentelemetry.instrumentation.asgi"

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def test_an_app_instrumented_by_contrib_reports_through_it_alone(
    global_providers: Global,
) -> None:
    global_providers.configure()
    app = MiniFast()
    app.add_middleware(OpenTelemetryMiddleware)
    client = TestClient(app)
    assert client.get("/").status_code == 404
    assert client.get("/").status_code == 404
    assert not global_providers.spans.get_finished_spans()


def test_meter_wrappers_without_registration_give_their_provider() -> None:
    from minifast.telemetry._runtime import _registrable

    class ProxyMeterProvider:
        __module__ = "logfire._internal.metrics"
        provider = metrics.NoOpMeterProvider()

    wrapper = ProxyMeterProvider()
    assert _registrable(wrapper) is ProxyMeterProvider.provider
    assert _registrable(metrics.NoOpMeterProvider()) is not ProxyMeterProvider.provider


DEFAULT_APP = """
import sys
from minifast import MiniFast
from minifast.telemetry import get_telemetry_data
from minifast.testclient import TestClient
with TestClient(MiniFast()) as client:
    client.get('/')
assert get_telemetry_data() is None
assert not [m for m in sys.modules if m.startswith('opentelemetry')], 'imported'
"""


def test_without_opentelemetry_nothing_is_observed_and_auto_configure_only_warns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # as if never installed
    monkeypatch.setitem(sys.modules, "minifast.telemetry._runtime", None)
    assert get_telemetry_data() is None
    with TestClient(MiniFast(telemetry={"auto_configure": True})) as client:
        assert client.get("/").status_code == 404
    assert "FastAPI automatic telemetry configuration failed" in caplog.text


def test_lifespan_without_exporters_is_the_apps_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "minifast.telemetry._runtime", raising=False)
    with TestClient(MiniFast()) as client:
        assert client.get("/").status_code == 404
    assert "minifast.telemetry._runtime" not in sys.modules


def test_default_apps_import_no_opentelemetry() -> None:
    subprocess.run([sys.executable, "-c", DEFAULT_APP], check=True)
