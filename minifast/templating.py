"""Jinja2 templates rendered into HTML responses: `templates.TemplateResponse(request, name)`.

jinja2 is an optional extra (`pip install "minifast[templates]"`), imported with this module.
Templates get `url_for` (the request's `url_for`, so a link respects the app's root path) and
`request` in their context; context processors add what every page needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from typing import Any

try:
    import jinja2
except ModuleNotFoundError as missing:  # pragma: no cover - the dev extra installs jinja2
    raise ModuleNotFoundError(
        'minifast.templating needs jinja2: pip install "minifast[templates]"', name="jinja2"
    ) from missing

from minifast.background import BackgroundTask
from minifast.requests import Request
from minifast.responses import HTMLResponse
from minifast.types import Receive, Scope, Send

ContextProcessor = Callable[[Request], dict[str, Any]]


class _TemplateResponse(HTMLResponse):
    """An HTML response that remembers the template and context it was rendered from."""

    def __init__(
        self,
        template: jinja2.Template,
        context: dict[str, Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.template = template
        self.context = context
        super().__init__(template.render(context), status_code, headers, media_type, background)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # ASGI: a test client that offers the "http.response.debug" extension is told which
        # template and context made the page, so tests can assert on them.
        if "http.response.debug" in scope.get("extensions", {}):
            info = {"template": self.template, "context": self.context}
            await send({"type": "http.response.debug", "info": info})
        await super().__call__(scope, receive, send)


class Jinja2Templates:
    """Templates from a directory (or a ready `jinja2.Environment`), rendered per request."""

    def __init__(
        self,
        directory: str | PathLike[str] | Sequence[str | PathLike[str]] | None = None,
        *,
        context_processors: list[ContextProcessor] | None = None,
        env: jinja2.Environment | None = None,
    ) -> None:
        if (directory is None) == (env is None):
            raise ValueError("Jinja2Templates takes either 'directory' or 'env', not both")
        self.context_processors = context_processors or []
        if env is None:
            loader = jinja2.FileSystemLoader(directory)  # type: ignore[arg-type]
            env = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape())
        self.env = env
        env.globals.setdefault("url_for", _url_for)

    def get_template(self, name: str) -> jinja2.Template:
        return self.env.get_template(name)

    def TemplateResponse(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> _TemplateResponse:
        """Render template `name` with `context` (plus `request`) into an HTML response."""
        context = context if context is not None else {}
        context.setdefault("request", request)
        for processor in self.context_processors:
            context.update(processor(request))
        template = self.get_template(name)
        return _TemplateResponse(template, context, status_code, headers, media_type, background)


@jinja2.pass_context
def _url_for(context: Mapping[str, Any], name: str, /, **path_params: Any) -> Any:
    """`{{ url_for('static', path='site.css') }}`: the URL of a named route or mount."""
    request: Request = context["request"]
    return request.url_for(name, **path_params)
