# How the middleware stack works: it is built once, on the application's first call, as
# nested ASGI apps: the server-error layer outermost (middleware/errors.py), then the user's
# middleware (the last added is outermost, as in FastAPI), then the handled-exception layer
# (middleware/exceptions.py), then the router. The inner layer turns exceptions that have a
# handler (HTTPException, validation errors, your own) into responses, so user middleware
# sees them as ordinary answers. The outer layer catches everything else: it answers 500
# "Internal Server Error" if nothing was sent yet and re-raises, so the server logs the
# traceback and it never reaches the client.
# The rule: a layer sees only ASGI (scope, receive, send): no route, no plan, no parameter.
"""`Middleware`: a layer's class and options, and the stack builder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from minifast.types import ASGIApp


class Middleware:
    """A middleware class with its options, instantiated when the stack is built."""

    def __init__(self, cls: Callable[..., ASGIApp], *args: Any, **kwargs: Any) -> None:
        self.cls = cls
        self.args = args
        self.kwargs = kwargs

    def __iter__(self) -> Iterator[Any]:
        return iter((self.cls, self.args, self.kwargs))

    def __repr__(self) -> str:
        name = getattr(self.cls, "__name__", str(self.cls))
        parts = [name, *map(repr, self.args), *(f"{k}={v!r}" for k, v in self.kwargs.items())]
        return f"Middleware({', '.join(parts)})"


def build_stack(app: ASGIApp, middleware: list[Middleware]) -> ASGIApp:
    """Wrap `app` so that middleware[0] is the outermost layer."""
    for cls, args, kwargs in reversed(middleware):
        app = cls(app, *args, **kwargs)
    return app


__all__ = ["Middleware", "build_stack"]
