# How the docs pages work: /docs (Swagger UI) and /redoc are plain routes added by the app when
# it is built. Each answers a small HTML page that loads a JavaScript viewer and points it at
# the OpenAPI document; the viewer fetches that document and renders it in the browser. The
# pages are formatted per request only because the URLs they hold start with the request's
# root_path, as FastAPI's do. When the `docs` extra is installed, Swagger UI's script, style
# sheet and icon (from `swagger-ui-bundle-v2`) and ReDoc's script (from `mkdocs-redoc-tag`) are
# served by the app under <docs_url>/assets/, so both pages work with no internet; otherwise they
# come from FastAPI's CDN, and the page says so in words if the CDN cannot be reached.
"""Swagger UI and ReDoc pages, the OAuth2 redirect page, and their local assets."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any, Literal, Protocol

from minifast.exceptions import HTTPException
from minifast.requests import Request
from minifast.responses import HTMLResponse

if TYPE_CHECKING:
    from minifast.responses import FileResponse

# "auto": the installed files when the docs extra is there, else the CDN. "local": the installed
# files, and failing at start-up without them. "cdn": see compile_swagger_ui_assets.
SwaggerUIAssets = Literal["auto", "cdn", "local"]


class DocsSettings(Protocol):
    """What the docs pages read of the app, on each request (so later changes show)."""

    title: str
    openapi_url: str | None
    docs_url: str | None
    swagger_ui_oauth2_redirect_url: str | None
    swagger_ui_init_oauth: dict[str, Any] | None
    swagger_ui_parameters: dict[str, Any] | None


Endpoint = Callable[[Request], Awaitable[Any]]

_SWAGGER_UI_CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"
_FAVICON_URL = "https://fastapi.tiangolo.com/img/favicon.png"
_GOOGLE_FONTS_URL = (
    "https://fonts.googleapis.com/css?family=Montserrat:300,400,700|Roboto:300,400,700"
)

swagger_ui_default_parameters: dict[str, Any] = {
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
}

_SWAGGER_UI_PAGE = Template("""\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<link rel="stylesheet" href="$css_url">
<link rel="icon" href="$favicon_url">
</head>
<body>
<div id="swagger-ui">$loading</div>
<script src="$js_url"></script>
<script>
const ui = SwaggerUIBundle({
$config
$redirect
presets: [
SwaggerUIBundle.presets.apis,
SwaggerUIBundle.SwaggerUIStandalonePreset
],
});
$init_oauth
</script>
</body>
</html>
""")

_REDOC_PAGE = Template("""\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
$fonts
<link rel="icon" href="$favicon_url">
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<noscript>ReDoc needs JavaScript to show this API's documentation.</noscript>
<redoc spec-url="$openapi_url">$loading</redoc>
<script src="$js_url"></script>
</body>
</html>
""")

# The page the authorization server sends the browser back to: it hands the answer (a code
# or a token) to the Swagger UI window that opened this one, then closes itself.
_OAUTH2_REDIRECT_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Swagger UI: OAuth2 Redirect</title></head>
<body>
<script>
"use strict";
function finishOAuth2() {
  const pending = window.opener.swaggerUIRedirectOauth2;
  const auth = pending.auth;
  const hash = window.location.hash.substring(1);
  const raw = /code|token|error/.test(hash)
    ? hash.replace("?", "&") : window.location.search.substring(1);
  const answer = Object.fromEntries(new URLSearchParams(raw));
  const isValid = answer.state === pending.state;
  const codeFlows = ["accessCode", "authorizationCode", "authorization_code"];
  if (codeFlows.includes(auth.schema.get("flow")) && !auth.code) {
    if (!isValid) {
      pending.errCb({authId: auth.name, source: "auth", level: "warning",
        message: "Authorization may be unsafe: the server sent back another state."});
    }
    if (answer.code) {
      delete pending.state;
      auth.code = answer.code;
      pending.callback({auth: auth, redirectUrl: pending.redirectUrl});
    } else {
      let message = "[Authorization failed]: no code received from the server.";
      if (answer.error) {
        message = "[" + answer.error + "]: " + (answer.error_description || "no code received.")
          + (answer.error_uri ? " More info: " + answer.error_uri : "");
      }
      pending.errCb({authId: auth.name, source: "auth", level: "error", message: message});
    }
  } else {
    pending.callback(
      {auth: auth, token: answer, isValid: isValid, redirectUrl: pending.redirectUrl});
  }
  window.close();
}
if (document.readyState !== "loading") {
  finishOAuth2();
} else {
  document.addEventListener("DOMContentLoaded", finishOAuth2);
}
</script>
</body>
</html>
"""


def get_swagger_ui_html(
    *,
    openapi_url: str,
    title: str,
    swagger_js_url: str = f"{_SWAGGER_UI_CDN}/swagger-ui-bundle.js",
    swagger_css_url: str = f"{_SWAGGER_UI_CDN}/swagger-ui.css",
    swagger_favicon_url: str = _FAVICON_URL,
    oauth2_redirect_url: str | None = None,
    init_oauth: dict[str, Any] | None = None,
    swagger_ui_parameters: dict[str, Any] | None = None,
) -> HTMLResponse:
    """A Swagger UI page for the OpenAPI document at `openapi_url`.

    `swagger_ui_parameters` are Swagger UI's own options, over FastAPI's defaults.
    """
    import html  # PERF: loaded by the first page served, not by building the app: -1.5 ms

    config = {"url": openapi_url, **swagger_ui_default_parameters, **(swagger_ui_parameters or {})}
    redirect = ""
    if oauth2_redirect_url:
        redirect_url = _script_string(oauth2_redirect_url)
        redirect = f"oauth2RedirectUrl: window.location.origin + {redirect_url},"
    page = _SWAGGER_UI_PAGE.substitute(
        title=html.escape(title),
        css_url=html.escape(swagger_css_url),
        favicon_url=html.escape(swagger_favicon_url),
        js_url=html.escape(swagger_js_url),
        # COMPAT: one `"key": value,` line per option, as FastAPI's page writes them.
        config="\n".join(
            f"{_script_json(key)}: {_script_json(value)}," for key, value in config.items()
        ),
        redirect=redirect,
        init_oauth=f"ui.initOAuth({_script_json(init_oauth)});" if init_oauth else "",
        loading=_loading_message("Swagger UI", swagger_js_url),
    )
    return HTMLResponse(page)


def get_redoc_html(
    *,
    openapi_url: str,
    title: str,
    redoc_js_url: str = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js",
    redoc_favicon_url: str = _FAVICON_URL,
    with_google_fonts: bool = True,
) -> HTMLResponse:
    """A ReDoc page for the OpenAPI document at `openapi_url`."""
    import html  # PERF: as in get_swagger_ui_html

    fonts = f'<link rel="stylesheet" href="{html.escape(_GOOGLE_FONTS_URL)}">'
    page = _REDOC_PAGE.substitute(
        title=html.escape(title),
        fonts=fonts if with_google_fonts else "",
        favicon_url=html.escape(redoc_favicon_url),
        openapi_url=html.escape(openapi_url),
        js_url=html.escape(redoc_js_url),
        loading=_loading_message("ReDoc", redoc_js_url),
    )
    return HTMLResponse(page)


def get_swagger_ui_oauth2_redirect_html() -> HTMLResponse:
    """The page an OAuth2 server redirects to after the user signs in from Swagger UI."""
    return HTMLResponse(_OAUTH2_REDIRECT_PAGE)


def _script_string(text: str) -> str:
    """`text` as a single-quoted JavaScript string, safe inside <script>."""
    return "'" + _script_json(text)[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"


def _script_json(value: Any) -> str:
    """`value` as JSON that is safe inside <script>: no `</script>` or `<!--` can close it."""
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# The viewer replaces its element's content once it renders, so this text shows only while it
# loads, or for good when its script could not be fetched: a sentence instead of a white page.
_LOADING = (
    '<p style="font-family: sans-serif; margin: 2em">Loading $viewer$source&hellip; If this '
    "text stays, the browser could not run $viewer's script$hint</p>"
)
_OFFLINE_HINT = (
    ": with no internet, install the docs extra (<code>pip install &quot;minifast[docs]&quot;"
    "</code>) and restart, and this app serves those files itself."
)


def _loading_message(viewer: str, script_url: str) -> str:
    """The text shown until the viewer renders; it names the host the script comes from."""
    from urllib.parse import urlsplit  # PERF: as html, loaded by the first page served

    host = urlsplit(script_url).hostname
    source, hint = (f" from {host}", _OFFLINE_HINT) if host else ("", ".")
    return Template(_LOADING).substitute(viewer=viewer, source=source, hint=hint)


# -- the routes the application adds --------------------------------------------------------


@dataclass(frozen=True)
class _SwaggerUIAssetsPlan:
    """Where Swagger UI's files come from, settled when the app is built."""

    js_url: str
    css_url: str
    favicon_url: str
    is_local: bool = False  # the URLs are paths of this app, to prefix with root_path
    files: Mapping[str, Path] = field(default_factory=dict)  # file name → path on disk
    files_url: str = ""  # the route that serves `files`: <docs_url>/assets/{filename}


_LOCAL_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
_REDOC_FILE = "redoc.standalone.js"
_CDN_ASSETS = _SwaggerUIAssetsPlan(
    js_url=f"{_SWAGGER_UI_CDN}/swagger-ui-bundle.js",
    css_url=f"{_SWAGGER_UI_CDN}/swagger-ui.css",
    favicon_url=_FAVICON_URL,
)


def compile_swagger_ui_assets(assets: SwaggerUIAssets, docs_url: str) -> _SwaggerUIAssetsPlan:
    """The CDN's URLs, or this app's URLs for the files of the installed docs extra.

    With "local", a missing package fails here, when the app is built, not on the first visit
    to /docs. With "auto", the app's default, installing the docs extra is all it takes to
    serve the docs offline. ReDoc's script, when installed, is served beside Swagger UI's files
    (see redoc_endpoint).
    """
    if assets not in ("auto", "cdn", "local"):
        raise ValueError(f'swagger_ui_assets must be "auto", "cdn" or "local", not {assets!r}')
    if assets == "cdn":
        return _CDN_ASSETS
    try:
        folder = _swagger_ui_folder()
    except RuntimeError:
        if assets == "local":
            raise
        return _CDN_ASSETS  # COMPAT: without the docs extra, FastAPI's page exactly
    prefix = f"{docs_url.rstrip('/')}/assets/"
    files = {name: folder / name for name in _LOCAL_FILES}
    redoc = _redoc_file()
    if redoc is not None:
        files[_REDOC_FILE] = redoc
    js_name, css_name, favicon_name = _LOCAL_FILES
    return _SwaggerUIAssetsPlan(
        js_url=prefix + js_name,
        css_url=prefix + css_name,
        favicon_url=prefix + favicon_name,
        is_local=True,
        files=files,
        files_url=prefix + "{filename}",
    )


_INSTALL_HINT = 'pip install "minifast[docs]" (it installs swagger-ui-bundle-v2)'


def _swagger_ui_folder() -> Path:
    """The folder of Swagger UI's files in `swagger_ui_bundle`, checked for version 5 or later.

    Swagger UI 4 cannot show OpenAPI 3.1, the version of the documents minifast writes.
    """
    try:
        bundle = importlib.import_module("swagger_ui_bundle")
    except ImportError:
        raise RuntimeError(f'swagger_ui_assets="local" needs {_INSTALL_HINT}') from None
    folder = Path(str(bundle.swagger_ui_path))
    version = re.fullmatch(r"swagger-ui-(\d+)\..*", folder.name)
    if version is None or int(version.group(1)) < 5:
        raise RuntimeError(f"{folder} is not Swagger UI 5 or later: {_INSTALL_HINT}")
    missing = [name for name in _LOCAL_FILES if not (folder / name).is_file()]
    if missing:
        raise RuntimeError(f"{folder} lacks {', '.join(missing)}: {_INSTALL_HINT}")
    return folder


def _redoc_file() -> Path | None:
    """ReDoc 2's standalone script from the installed `mkdocs-redoc-tag` package, if any.

    That package is a MkDocs plugin; minifast only reads the script it ships, never imports
    MkDocs. Its __init__ is empty, so importing it costs nothing.
    """
    try:
        package = importlib.import_module("mkdocs_redoc_tag")
    except ImportError:
        return None
    script = Path(str(package.__file__)).parent / "redoc" / "javascripts" / _REDOC_FILE
    return script if script.is_file() else None


def swagger_ui_endpoint(app: DocsSettings, assets: _SwaggerUIAssetsPlan) -> Endpoint:
    """/docs: reads the app's settings per request, as FastAPI does, so later changes show."""

    async def swagger_ui_html(request: Request) -> HTMLResponse:
        root_path = _root_path(request)
        local = root_path if assets.is_local else ""
        redirect_url = app.swagger_ui_oauth2_redirect_url
        return get_swagger_ui_html(
            openapi_url=root_path + (app.openapi_url or ""),
            title=f"{app.title} - Swagger UI",
            swagger_js_url=local + assets.js_url,
            swagger_css_url=local + assets.css_url,
            swagger_favicon_url=local + assets.favicon_url,
            oauth2_redirect_url=root_path + redirect_url if redirect_url else None,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    return swagger_ui_html


def swagger_ui_assets_endpoint(assets: _SwaggerUIAssetsPlan) -> Endpoint:
    """<docs_url>/assets/{filename}: only the few files the page loads, nothing else on disk."""
    from minifast.responses import (
        FileResponse,
    )  # PERF: apps serving Swagger UI from a CDN never load it

    async def swagger_ui_assets(request: Request) -> FileResponse:
        path = assets.files.get(request.path_params["filename"])
        if path is None:
            raise HTTPException(status_code=404)
        return FileResponse(path)

    return swagger_ui_assets


async def swagger_ui_redirect(request: Request) -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


def redoc_endpoint(app: DocsSettings, assets: _SwaggerUIAssetsPlan) -> Endpoint:
    """/redoc: ReDoc's script from this app when /docs's assets route serves it, else the CDN."""
    local_url = assets.files_url.format(filename=_REDOC_FILE)
    is_local = _REDOC_FILE in assets.files

    async def redoc_html(request: Request) -> HTMLResponse:
        root_path = _root_path(request)
        openapi_url = root_path + (app.openapi_url or "")
        title = f"{app.title} - ReDoc"
        if not is_local:
            return get_redoc_html(openapi_url=openapi_url, title=title)
        return get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=root_path + local_url,
            redoc_favicon_url=root_path + assets.favicon_url,
            with_google_fonts=False,  # the fonts are online; ReDoc falls back to system fonts
        )

    return redoc_html


def _root_path(request: Request) -> str:
    """Where the app is mounted: a proxy's prefix or a Mount's, without a trailing slash."""
    root_path: str = request.scope.get("root_path", "")
    return root_path.rstrip("/")
