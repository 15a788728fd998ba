"""`trace_request(app, "GET", "/items/1?q=x")`: one real request, run in-process, with every
stage it passed through written down: each middleware in and out, the route matched, each
dependency (entered, and for a `yield` one, exited), each source validated, the endpoint,
serialization, background tasks, and the ASGI messages exchanged.

How it stays free when nobody traces: nothing on the request path checks for a tracer. For
the one traced request this module wraps the stages from outside, swapping the app's
middleware stack, each route's `handle` and a few module-level stage functions of resolve.py
and background.py for recording wrappers, and puts every one of them back afterwards. So a
trace must not run beside other requests to the same app.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio

from minifast import background, resolve
from minifast.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class Event:
    """One stage: when (ms after the request began), how deep, who, and what happened."""

    at_ms: float
    depth: int
    actor: str
    what: str


@dataclass
class Trace:
    """What a traced request passed through, in order."""

    events: list[Event] = field(default_factory=list)
    _started: float = field(default_factory=time.perf_counter)
    _depth: int = 0

    def restart_clock(self) -> None:
        self._started = time.perf_counter()

    def note(self, actor: str, what: str) -> None:
        at_ms = (time.perf_counter() - self._started) * 1000
        self.events.append(Event(at_ms, self._depth, actor, what))

    @contextlib.contextmanager
    def inside(self, actor: str, entering: str, leaving: str = "out") -> Iterator[None]:
        """Note `entering`, then `leaving` (or the exception) once the block ends."""
        self.note(actor, entering)
        self._depth += 1
        try:
            yield
        except BaseException as error:
            self._depth -= 1
            first_line = (str(error).splitlines() or [""])[0]
            self.note(actor, f"raised {type(error).__name__}: {first_line}")
            raise
        self._depth -= 1
        self.note(actor, leaving)

    def text(self) -> str:
        """One line per event, indented by depth: `  1.234 ms  actor  what`."""
        return "\n".join(
            f"{event.at_ms:8.3f} ms  {'  ' * event.depth}{event.actor}: {event.what}"
            for event in self.events
        )

    def mermaid(self) -> str:
        """The same events as a Mermaid sequence diagram, the client on the left."""
        lines = ["sequenceDiagram", "    participant client"]
        seen = ["client"]
        for event in self.events:
            if event.actor not in seen:
                seen.append(event.actor)
                lines.append(f"    participant {_mermaid_id(event.actor)} as {event.actor}")
        caller = ["client"]
        for event in self.events:
            target = _mermaid_id(event.actor)
            what = event.what.replace(";", ",").replace("#", "")
            if event.what in ("in", "entered") or event.what.startswith("in "):
                lines.append(f"    {_mermaid_id(caller[-1])}->>{target}: {what}")
                caller.append(event.actor)
            elif event.what == "out" or event.what.startswith(("out", "raised")):
                if len(caller) > 1:  # the client stays: it is where every answer ends
                    caller.pop()
                lines.append(f"    {target}-->>{_mermaid_id(caller[-1])}: {what}")
            else:
                lines.append(f"    Note over {target}: {what}")
        return "\n".join(lines)


def _mermaid_id(actor: str) -> str:
    return "".join(char if char.isalnum() else "_" for char in actor) or "x"


def trace_request(
    app: Any,
    method: str,
    url: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> Trace:
    """Run one request through `app` in-process, inside its lifespan, and return what it
    passed through (the lifespan's start-up and shut-down are not traced)."""
    trace = Trace()
    scope = _scope(method, url, headers or [], body)
    anyio.run(_in_lifespan, app, scope, body, trace)
    return trace


async def _in_lifespan(app: Any, scope: Scope, body: bytes, trace: Trace) -> None:
    """Start the app's lifespan, run the traced request, shut the lifespan down.

    An exception the request raises to the server is in the trace ("server: raised ..."),
    not raised here: the trace is the answer.
    """
    to_app, app_inbox = anyio.create_memory_object_stream[Message](2)
    app_outbox, from_app = anyio.create_memory_object_stream[Message](2)
    state: dict[str, Any] = {}
    lifespan = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}

    async def serve_lifespan() -> None:
        with contextlib.suppress(Exception):  # a failure is reported by message, below
            await app(lifespan, app_inbox.receive, app_outbox.send)

    async with anyio.create_task_group() as group, to_app, app_inbox, app_outbox, from_app:
        group.start_soon(serve_lifespan)
        await to_app.send({"type": "lifespan.startup"})
        started = await from_app.receive()
        if started["type"] == "lifespan.startup.complete":
            scope["state"] = dict(state)
            with _instrumented(app, trace), contextlib.suppress(Exception):
                await _exchange(app, scope, body, trace)
            await to_app.send({"type": "lifespan.shutdown"})
            await from_app.receive()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the app did not start: {started.get('message', '')}")


def _scope(method: str, url: str, headers: list[tuple[str, str]], body: bytes) -> Scope:
    parts = urlsplit(url)
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
    if not any(name == b"host" for name, _ in raw):
        raw.insert(0, (b"host", b"testserver"))
    if body and not any(name == b"content-length" for name, _ in raw):
        raw.append((b"content-length", str(len(body)).encode()))
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1", "method": method.upper(), "scheme": "http",
        "path": parts.path or "/", "raw_path": (parts.path or "/").encode(),
        "query_string": parts.query.encode(), "root_path": "", "headers": raw,
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }  # fmt: skip


async def _exchange(app: Any, scope: Scope, body: bytes, trace: Trace) -> None:
    """The request, with every message in and out written down."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        message = pending.pop(0) if pending else {"type": "http.disconnect"}
        trace.note("client", f"sends {_summary(message)}")
        return message

    async def send(message: Message) -> None:
        trace.note("client", f"receives {_summary(message)}")

    trace.restart_clock()
    with trace.inside("server", "in", "out"):
        await app(scope, receive, send)


def _summary(message: Message) -> str:
    kind = message["type"]
    if kind == "http.response.start":
        return f"{kind} {message['status']}"
    if "body" in message:
        more = " (more)" if message.get("more_body") else ""
        return f"{kind} {len(message['body'])} bytes{more}"
    return str(kind)


@contextlib.contextmanager
def _instrumented(app: Any, trace: Trace) -> Iterator[None]:
    """Recording wrappers on the app's stack, its routes and the stage functions, for one
    request; the originals go back whatever happens."""
    with contextlib.ExitStack() as undo:
        undo.enter_context(_traced_stack(app, trace))
        for route in app.routes:
            undo.enter_context(_traced_route(route, trace))
        for module, name, wrap in _STAGES:
            undo.enter_context(_swapped(module, name, wrap(getattr(module, name), trace)))
        yield


@contextlib.contextmanager
def _swapped(owner: Any, name: str, replacement: Any) -> Iterator[None]:
    had_own = name in vars(owner)
    original = vars(owner).get(name)
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        if had_own:
            setattr(owner, name, original)
        else:
            delattr(owner, name)


def _traced_stack(app: Any, trace: Trace) -> contextlib.AbstractContextManager[None]:
    """The app's middleware stack rebuilt with a recording layer around each layer."""
    layers = app.middleware_layers()
    inner: ASGIApp = _layer(app.router.middleware_stack, "router", trace)
    for cls, args, kwargs in reversed(layers):
        inner = _layer(cls(inner, *args, **kwargs), _layer_name(cls, kwargs), trace)
    return _swapped(app, "middleware_stack", inner)


def _layer_name(cls: Any, kwargs: dict[str, Any]) -> str:
    """The class's name; for `@app.middleware("http")`, the function's too."""
    name = getattr(cls, "__name__", type(cls).__name__)
    dispatch = kwargs.get("dispatch")
    return f"{name} {dispatch.__name__}" if dispatch is not None else name


def _layer(layer: ASGIApp, name: str, trace: Trace) -> ASGIApp:
    async def recorded(scope: Scope, receive: Receive, send: Send) -> None:
        with trace.inside(name, "in"):
            await layer(scope, receive, send)

    return recorded


def _traced_route(route: Any, trace: Trace) -> contextlib.AbstractContextManager[None]:
    handle = route.handle
    path = getattr(route, "path", "")

    async def recorded(scope: Scope, receive: Receive, send: Send) -> None:
        params = scope.get("path_params") or {}
        with trace.inside(f"route {path}", f"in (matched; path params {params})"):
            await handle(scope, receive, send)

    return _swapped(route, "handle", recorded)


def _dependency(original: Callable[..., Awaitable[Any]], trace: Trace) -> Any:
    async def recorded(dependency: Any, context: Any) -> Any:
        name = getattr(dependency.plan.call, "__name__", "dependency")
        with trace.inside(f"depends {name}", "in"):
            return await original(dependency, context)

    return recorded


def _call(original: Callable[..., Awaitable[Any]], trace: Trace) -> Any:
    def recorded(plan: Any, values: dict[str, Any]) -> Awaitable[Any]:
        async def timed() -> Any:
            name = getattr(plan.call, "__name__", "callable")
            with trace.inside(f"call {name}", f"in ({plan.kind.value})"):
                return await original(plan, values)

        return timed()

    return recorded


def _exit_manager(original: Callable[..., Any], trace: Trace) -> Any:
    def recorded(plan: Any, values: dict[str, Any]) -> Any:
        return _ExitNoted(original(plan, values), getattr(plan.call, "__name__", "yield"), trace)

    return recorded


class _ExitNoted:
    """A `yield` dependency's context manager, noting when its code before and after runs."""

    def __init__(self, manager: Any, name: str, trace: Trace) -> None:
        self.manager, self.name, self.trace = manager, name, trace

    async def __aenter__(self) -> Any:
        value = await self.manager.__aenter__()
        self.trace.note(f"depends {self.name}", "ran up to its yield")
        return value

    async def __aexit__(self, *exc_info: Any) -> Any:
        with self.trace.inside(f"depends {self.name}", "in (exit code after the yield)"):
            return await self.manager.__aexit__(*exc_info)


def _validation(original: Callable[..., Any], trace: Trace) -> Any:
    def recorded(plan: Any, data: Any, values: dict[str, Any]) -> Any:
        errors = original(plan, data, values)
        where = getattr(getattr(plan, "source", None), "value", "body")
        names = ", ".join(param.name for param in plan.params)
        outcome = f"{len(errors)} errors" if errors else "valid"
        trace.note("validation", f"{where} ({names}): {outcome}")
        return errors

    return recorded


def _read_body(original: Callable[..., Awaitable[Any]], trace: Trace) -> Any:
    async def recorded(request: Any, *args: Any) -> Any:
        with trace.inside("body", "in (read and parsed)"):
            return await original(request, *args)

    return recorded


def _serialize(original: Callable[..., Any], trace: Trace) -> Any:
    def recorded(plan: Any, *args: Any) -> Any:
        response = original(plan, *args)
        model = " through the response model" if plan.adapter is not None else ""
        trace.note("serialization", f"{type(response).__name__} {response.status_code}{model}")
        return response

    return recorded


def _background(original: Callable[..., Awaitable[Any]], trace: Trace) -> Any:
    async def recorded(task: Any) -> None:
        name = getattr(task.func, "__name__", "task")
        with trace.inside(f"background {name}", "in (after the response)"):
            await original(task)

    return recorded


# The stage functions wrapped for a traced request: (module, name, wrapper factory).
_STAGES: list[tuple[Any, str, Callable[[Any, Trace], Any]]] = [
    (resolve, "read_body", _read_body),
    (resolve, "resolve_dependency", _dependency),
    (resolve, "exit_manager", _exit_manager),
    (resolve, "resolve_source", _validation),
    (resolve, "resolve_body", _validation),
    (resolve, "call_plan", _call),
    (resolve, "build_response", _serialize),
    (background, "run_logged", _background),
]
