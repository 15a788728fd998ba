"""MiniFast(telemetry=...): spans, metrics and logs through OpenTelemetry, off by default."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from minifast import (
    APIRouter,
    BackgroundTasks,
    Depends,
    Form,
    HTTPException,
    MiniFast,
    Request,
    WebSocket,
)
from minifast.responses import PlainTextResponse
from minifast.telemetry import TelemetryData, get_telemetry_data
from minifast.testclient import TestClient
from minifast.websockets import WebSocketDisconnect


class Signals:
    """In-memory providers and what they received."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider(shutdown_on_exit=False)
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader], shutdown_on_exit=False)
        self.logs = InMemoryLogRecordExporter()
        self.logger_provider = LoggerProvider(shutdown_on_exit=False)
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.logs))

    def config(self, **options: Any) -> Any:
        return {
            "tracer_provider": self.tracer_provider,
            "meter_provider": self.meter_provider,
            "logger_provider": self.logger_provider,
            **options,
        }

    def server(self) -> list[Any]:
        return [s for s in self.spans.get_finished_spans() if s.kind == SpanKind.SERVER]

    def names(self) -> list[str]:
        return [span.name for span in self.spans.get_finished_spans()]

    def points(self, name: str = "http.server.request.duration") -> list[Any]:
        data = self.reader.get_metrics_data()
        if data is None:
            return []
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]

    def records(self) -> list[Any]:
        return [data.log_record for data in self.logs.get_finished_logs()]


@pytest.fixture
def signals() -> Iterator[Signals]:
    made = Signals()
    yield made
    made.tracer_provider.shutdown()
    made.meter_provider.shutdown()
    made.logger_provider.shutdown()


def test_request_span_metrics_and_operations(signals: Signals) -> None:
    app = MiniFast(telemetry=signals.config())
    seen: list[TelemetryData | None] = []

    def dependency(request: Request) -> str:
        seen.append(get_telemetry_data())
        return "value"

    @app.get("/items/{item_id}")
    def read(item_id: int, value: str = Depends(dependency)) -> dict[str, Any]:
        return {"item_id": item_id, "value": value}

    headers = {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01", "host": "example:81"}
    response = TestClient(app).get("/items/3?sig=secret&page=2", headers=headers)
    assert response.json() == {"item_id": 3, "value": "value"}
    (server,) = signals.server()
    assert server.name == "GET /items/{item_id}"
    assert server.parent.span_id == int("2" * 16, 16)
    assert server.status.status_code == StatusCode.UNSET
    attributes = dict(server.attributes)
    assert attributes["url.query"] == "sig=REDACTED&page=2"
    assert attributes["server.address"] == "example"
    assert attributes["server.port"] == 81
    assert attributes["http.response.status_code"] == 200
    assert sorted(signals.names()) == [
        "GET /items/{item_id}",
        "fastapi.dependencies",
        "fastapi.endpoint",
        "fastapi.serialization",
    ]
    (point,) = signals.points()
    assert point.count == 1
    assert point.attributes["http.route"] == "/items/{item_id}"
    assert "url.query" not in point.attributes
    assert signals.points("http.server.active_requests")[0].value == 0
    assert seen[0] is not None and seen[0].request is not None
    assert get_telemetry_data() is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("", {"server.address": "testserver", "server.port": 80}),
        ("[::1]", {"server.address": "::1", "server.port": 80}),
        ("bad:port", {}),
        ("user@host", {}),
        ("[broken", {}),
    ],
    ids=["no-host", "ipv6", "bad-port", "userinfo", "malformed"],
)
def test_server_attributes(signals: Signals, host: str, expected: dict[str, Any]) -> None:
    app = MiniFast(telemetry=signals.config())

    async def without_host(scope: Any, receive: Any, send: Any) -> None:
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"host" or host]
        if not host:
            scope["server"] = ("testserver", 80)
        await app(scope, receive, send)

    TestClient(without_host).get("/", headers={"host": host} if host else {})
    (server,) = signals.server()
    assert {k: v for k, v in server.attributes.items() if k.startswith("server.")} == expected


@pytest.mark.parametrize(
    ("method", "path", "status", "name"),
    [
        ("GET", "/missing", 404, "GET"),
        ("POST", "/items/1", 405, "POST /items/{value}"),
        ("PRIVATE", "/items/1", 405, "HTTP /items/{value}"),
        ("GET", "/items/1/", 307, "GET /items/{value}"),
        ("GET", "/plain", 200, "GET /plain"),
        ("GET", "/mounted/sub/x", 200, "GET /mounted/{tenant}/x"),
        ("GET", "/static/file", 200, "GET /static/{path}"),
    ],
    ids=["404", "405", "unknown-method", "307", "plain-route", "mount", "plain-mount"],
)
def test_route_templates(signals: Signals, method: str, path: str, status: int, name: str) -> None:
    app = MiniFast(telemetry=signals.config())
    child = MiniFast()

    @app.get("/items/{value}")
    def read(value: str) -> str:
        return value

    @child.get("/x")
    def child_read() -> str:
        return "x"

    async def plain(request: Request) -> PlainTextResponse:
        return PlainTextResponse("plain")

    async def static(scope: Any, receive: Any, send: Any) -> None:
        await PlainTextResponse("file")(scope, receive, send)

    app.add_route("/plain", plain)
    app.mount("/mounted/{tenant}", child)
    app.mount("/static", static)
    client = TestClient(app)
    assert client.request(method, path, follow_redirects=False).status_code == status
    (server,) = signals.server()
    assert server.name == name


def test_errors_are_logged_once_and_fail_the_span(signals: Signals) -> None:
    app = MiniFast(telemetry=signals.config())

    @app.get("/fail")
    def fail() -> None:
        raise ValueError("broken")

    @app.get("/handled")
    def handled() -> None:
        raise HTTPException(503)

    @app.get("/invalid/{number}")
    def invalid(number: int) -> int:
        return number

    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/fail").status_code == 500
    assert client.get("/handled").status_code == 503
    assert client.post("/nothing").status_code == 404
    assert client.get("/invalid/x").status_code == 422
    failed, unavailable, _, invalid_span = signals.server()
    assert failed.attributes["error.type"] == "ValueError"
    assert failed.status.status_code == StatusCode.ERROR
    assert unavailable.attributes["error.type"] == "503"
    assert invalid_span.status.status_code == StatusCode.UNSET
    exception, validation = signals.records()
    assert exception.event_name == "http.server.request.exception"
    assert exception.attributes["http.route"] == "/fail"
    assert validation.event_name == "fastapi.validation.failed"
    assert validation.attributes == {
        "http.route": "/invalid/{number}",
        "fastapi.validation.error_count": 1,
    }
    endpoint = next(s for s in signals.spans.get_finished_spans() if s.name == "fastapi.endpoint")
    assert endpoint.status.status_code == StatusCode.ERROR


def test_invalid_json_body_is_kept_in_the_data(signals: Signals) -> None:
    app = MiniFast(telemetry=signals.config(tracing=False))
    kept: list[Any] = []

    class Keep(SimpleLogRecordProcessor):
        def on_emit(self, log_data: Any) -> None:
            data = get_telemetry_data(log_data.log_record.context)
            assert data is not None
            kept.append((data.body, data.errors[0]["type"]))

    signals.logger_provider.add_log_record_processor(Keep(InMemoryLogRecordExporter()))

    @app.post("/items")
    async def create(item: dict[str, int]) -> dict[str, int]:
        return item

    client = TestClient(app)
    bad = {"content-type": "application/json"}
    assert client.post("/items", content="{", headers=bad).status_code == 422
    assert client.post("/items", json={"a": "x"}).status_code == 422
    assert kept == [("{", "json_invalid"), ({"a": "x"}, "int_parsing")]


def test_response_and_stream_endpoints(signals: Signals) -> None:
    app = MiniFast(telemetry=signals.config(metrics=False))

    @app.get("/response")
    async def response() -> PlainTextResponse:
        return PlainTextResponse("raw")

    @app.get("/stream")
    async def stream() -> Any:
        yield "one"

    @app.get("/cleanup")
    async def cleanup(value: Any = Depends(_yielding)) -> str:
        return value

    client = TestClient(app)
    assert client.get("/response").text == "raw"
    assert client.get("/stream").status_code == 200
    assert client.get("/cleanup").json() == "yielded"
    assert "fastapi.serialization" in signals.names()
    assert signals.names().count("fastapi.serialization") == 1


async def _yielding() -> Any:
    yield "yielded"


async def _function_scoped() -> Any:
    yield "function"


def test_function_scoped_cleanup(signals: Signals) -> None:
    app = MiniFast(telemetry=signals.config())

    @app.get("/")
    async def read(value: Any = Depends(_function_scoped, scope="function")) -> str:
        return value

    assert TestClient(app).get("/").json() == "function"


def test_swallowed_exception_cannot_answer(signals: Signals) -> None:
    app = MiniFast(telemetry=signals.config())

    async def swallow() -> Any:
        with contextlib.suppress(ValueError):
            yield

    @app.get("/", dependencies=[Depends(swallow)])
    async def read() -> None:
        raise ValueError

    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/").status_code == 500


@pytest.mark.parametrize("sync", [False, True], ids=["async", "sync"])
def test_background_tasks_run_in_spans(signals: Signals, sync: bool) -> None:
    app = MiniFast(telemetry=signals.config())
    ran: list[str] = []

    def work(name: str) -> None:
        ran.append(trace.get_current_span().name)  # type: ignore[attr-defined]
        if name == "fail":
            raise ValueError("task failed")

    async def async_work(name: str) -> None:
        work(name)

    @app.get("/")
    async def read(tasks: BackgroundTasks) -> str:
        tasks.add_task(work if sync else async_work, "fail")
        tasks.add_task(work if sync else async_work, "ok")
        return "ok"

    assert TestClient(app).get("/").json() == "ok"
    assert ran == ["fastapi.background_task"] * 2
    failed = [s for s in signals.spans.get_finished_spans() if s.status.status_code.name == "ERROR"]
    assert [span.name for span in failed] == ["fastapi.background_task"]
    (record,) = signals.records()
    assert record.event_name == "http.server.request.exception"


def test_websockets(signals: Signals) -> None:
    app = MiniFast(telemetry=signals.config())

    @app.websocket("/ws/{room}")
    async def room(websocket: WebSocket, room: int) -> None:
        data = get_telemetry_data()
        assert data is not None and data.websocket is websocket
        await websocket.accept()
        if room == 2:
            raise ValueError("websocket failed")
        await websocket.close()

    client = TestClient(app)
    with client.websocket_connect("/ws/1"):
        pass
    with pytest.raises(ValueError), client.websocket_connect("/ws/2"):
        pass
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws/x"):
        pass
    ok, failed, invalid = signals.server()
    assert ok.name == "WS /ws/{room}"
    assert ok.status.status_code == StatusCode.UNSET
    assert failed.attributes["error.type"] == "ValueError"
    assert invalid.status.status_code == StatusCode.UNSET
    assert [r.event_name for r in signals.records()] == [
        "fastapi.websocket.exception",
        "fastapi.validation.failed",
    ]
    assert signals.reader.get_metrics_data() is None


def test_client_closing_the_websocket_normally_is_no_error(signals: Signals) -> None:
    app = MiniFast(telemetry=signals.config())

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive_text()

    with pytest.raises(WebSocketDisconnect), TestClient(app).websocket_connect("/ws") as websocket:
        websocket.close(code=1000)
    (server,) = signals.server()
    assert server.status.status_code == StatusCode.UNSET
    assert not signals.records()


def test_exclusion_and_mounted_telemetry_apps(signals: Signals) -> None:
    config = signals.config(exclude=lambda scope: scope["path"].endswith("/health"))
    app = MiniFast(telemetry=config)
    child = MiniFast(telemetry=config)
    router = APIRouter()

    @router.get("/health")
    def health() -> str:
        assert get_telemetry_data() is None
        return "ok"

    child.include_router(router)
    app.include_router(router)
    app.mount("/child", child)
    client = TestClient(app)
    assert client.get("/health").json() == "ok"
    assert client.get("/child/health").json() == "ok"
    assert not signals.spans.get_finished_spans()
    assert client.get("/child/missing").status_code == 404
    assert len(signals.server()) == 1


@pytest.mark.parametrize(
    "options",
    [
        {"tracing": False, "metrics": False, "logs": False},
        {"tracer_provider": None, "meter_provider": None, "logger_provider": None},
    ],
    ids=["all-off", "no-provider"],
)
def test_nothing_is_observed_without_a_live_signal(signals: Signals, options: Any) -> None:
    app = MiniFast(telemetry=signals.config(**options))

    @app.get("/")
    def read() -> Any:
        return get_telemetry_data()

    assert TestClient(app).get("/").json() is None
    assert not signals.spans.get_finished_spans()


def test_operation_spans_off(signals: Signals) -> None:
    app = MiniFast(telemetry=signals.config(operation_spans=False))

    @app.get("/")
    def read() -> str:
        return "ok"

    assert TestClient(app).get("/").json() == "ok"
    assert signals.names() == ["GET /"]


def test_incomplete_and_disconnected_responses(signals: Signals) -> None:
    import anyio

    from minifast.telemetry._asgi import NativeTelemetry
    from minifast.telemetry._data import telemetry_config

    telemetry = NativeTelemetry(telemetry_config(signals.config()))
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "scheme": "http"}

    async def receive() -> Any:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        pass

    async def reads(scope: Any, receive: Any, send: Any) -> None:
        await receive()

    async def trailers(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "trailers": True})
        await send({"type": "http.response.body", "body": b""})
        await send({"type": "http.response.trailers", "headers": []})

    async def run(app: Any) -> None:
        await telemetry(app=app, scope=dict(scope), receive=receive, send=send)

    for app in (reads, trailers):
        anyio.run(run, app)
    disconnected, completed = signals.server()
    assert disconnected.attributes["error.type"] == "ConnectionError"
    assert completed.status.status_code == StatusCode.UNSET


def test_apps_without_telemetry_import_no_opentelemetry() -> None:
    code = (
        "import sys; from minifast import MiniFast; from minifast.testclient import TestClient;"
        "TestClient(MiniFast()).get('/');"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_opentelemetry_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['opentelemetry'] = None\n"
        "from minifast import MiniFast\n"
        "try:\n    MiniFast(telemetry={})\n"
        "except ImportError as error:\n    assert 'minifast[telemetry]' in str(error)\n"
        "else:\n    raise SystemExit('no error')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_mounted_app_alone_and_forms(signals: Signals) -> None:
    app = MiniFast(telemetry=signals.config())
    child = MiniFast()
    grandchild = MiniFast()

    @child.post("/form")
    def form(name: str = Form()) -> str:
        return name

    @child.websocket("/ws")
    async def websocket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close()

    child.mount("/deeper", grandchild)
    app.mount("/child", child)
    client = TestClient(app)
    assert client.post("/child/form", data={"name": "n"}).json() == "n"
    alone = TestClient(child)  # observed routes, but nobody observes this request
    assert alone.post("/form", data={"name": "m"}).json() == "m"
    with alone.websocket_connect("/ws"):
        pass
    assert alone.get("/deeper/missing").status_code == 404
    assert [span.name for span in signals.server()] == ["POST /child/form"]


def test_custom_propagator_sees_every_header(
    signals: Signals, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry import propagate
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    seen: list[Any] = []

    class Propagator(TraceContextTextMapPropagator):
        def extract(self, carrier: Any, context: Any = None, getter: Any = None) -> Any:
            seen.append((getter.keys(carrier), getter.get(carrier, "x-id")))
            return super().extract(carrier, context, getter)

    monkeypatch.setattr(propagate, "get_global_textmap", lambda: Propagator())
    app = MiniFast(telemetry=signals.config())
    TestClient(app).get("/", headers=[("x-id", "1"), ("x-id", "2")])
    assert "x-id" in seen[0][0]
    assert seen[0][1] == ["1", "2"]


def test_metrics_only_app_leaves_websockets_alone(signals: Signals) -> None:
    app = MiniFast(telemetry={"meter_provider": signals.meter_provider, "logs": False})

    @app.websocket("/ws")
    async def websocket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close()

    with TestClient(app).websocket_connect("/ws"):
        pass
    assert signals.reader.get_metrics_data() is None


def test_excluded_request_failing(signals: Signals) -> None:
    app = MiniFast(telemetry=signals.config(exclude=lambda scope: True))

    @app.get("/")
    def fail() -> None:
        raise ValueError

    assert TestClient(app, raise_server_exceptions=False).get("/").status_code == 500
    assert not signals.records()


def test_router_answer_outside_an_app(signals: Signals) -> None:
    import anyio

    from minifast.telemetry._asgi import NativeTelemetry
    from minifast.telemetry._data import telemetry_config

    telemetry = NativeTelemetry(telemetry_config(signals.config()))
    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}

    async def refuse(scope: Any, receive: Any, send: Any) -> None:
        await PlainTextResponse("no", 405)(scope, receive, send)

    async def send(message: Any) -> None:
        pass

    async def run() -> None:
        await telemetry(app=refuse, scope=scope, receive=None, send=send)  # type: ignore[arg-type]

    anyio.run(run)
    (server,) = signals.server()
    assert server.name == "GET"
