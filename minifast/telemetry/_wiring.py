"""An app's observing entry, made by its first observed request: routes, then the server layer."""

from __future__ import annotations

from typing import Any

from minifast.telemetry._asgi import NativeTelemetry
from minifast.telemetry._data import TelemetryConfig
from minifast.telemetry._routes import observe, route_count
from minifast.types import Receive, Scope, Send


class AppTelemetry:
    """Observes an app's requests around its middleware stack, which stays as it was built."""

    def __init__(self, app: Any, config: TelemetryConfig) -> None:
        self.app = app
        self.native = NativeTelemetry(config)
        self.route_count = -1  # routes seen when they were last made to observe
        self.checked: tuple[Any, bool] | None = None  # (stack, has contrib's layer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.app
        count = route_count(app.router)
        if count != self.route_count:  # routes may be added after the first request
            observe(app.router)
            self.route_count = count
        stack = app.middleware_stack
        if self.checked is None or self.checked[0] is not stack:
            self.checked = stack, _has_contrib_layer(stack)
        await self.native(
            app=stack, scope=scope, receive=receive, send=send, legacy=self.checked[1]
        )


def _has_contrib_layer(stack: Any) -> bool:
    """Whether opentelemetry-instrumentation-asgi's layer wraps the app's stack.

    The built stack is what counts: the instrumentor's own flag on the app stays set when its
    patch came too late (the stack was already built) or failed.
    """
    seen: set[int] = set()
    while stack is not None and id(stack) not in seen:
        seen.add(id(stack))
        cls = type(stack)
        if (cls.__module__, cls.__name__) == (
            "opentelemetry.instrumentation.asgi",
            "OpenTelemetryMiddleware",
        ):
            return True
        stack = getattr(stack, "app", None)
    return False
