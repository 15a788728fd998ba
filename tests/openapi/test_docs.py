"""/docs, /redoc and the OAuth2 redirect page, compared with FastAPI's; the docs' local files.

minifast writes its own HTML, so pages are compared by what they tell the browser: the URLs
they load, Swagger UI's configuration, the OAuth2 redirect and init, the title. FastAPI's pages
are matched where the docs extra is not installed (`without_docs_extra`, as in the compat
suite's environment); with it, both pages load their files from the app.
"""

import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from minifast import FastAPI
from minifast.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
    swagger_ui_default_parameters,
)
from minifast.routing import Mount
from tests.support import FRAMEWORKS, compare, import_from, request


def _one(pattern: str, page: str) -> str | None:
    found = re.search(pattern, page, re.DOTALL)
    return found.group(1) if found else None


def _swagger_config(page: str) -> dict[str, Any]:
    """Swagger UI's configuration: `"key": value,` lines; FastAPI's URL line is `url: '...'`."""
    block = str(_one(r"SwaggerUIBundle\(\{\n(.*?)\n\s*(?:oauth2RedirectUrl|presets)", page))
    url = _one(r"^\s*url: '([^']*)',\n", block)
    if url is not None:
        block = block.split("\n", 1)[1]
    config = json.loads("{" + block.strip().rstrip(",") + "}")
    return {"url": url, **config} if url is not None else dict(config)


def _swagger_facts(page: str) -> dict[str, Any]:
    init_oauth = _one(r"ui\.initOAuth\((.*?)\);?\n", page)
    return {
        "title": _one(r"<title>(.*?)</title>", page),
        "css": _one(r'rel="stylesheet" href="([^"]+)"', page),
        "favicon": _one(r'rel="(?:shortcut )?icon" href="([^"]+)"', page),
        "scripts": re.findall(r'<script src="([^"]+)"', page),
        "config": _swagger_config(page),
        "redirect": _one(r"window\.location\.origin \+ ['\"]([^'\"]*)['\"]", page),
        "init_oauth": json.loads(init_oauth) if init_oauth else None,
    }


def _redoc_facts(page: str) -> dict[str, Any]:
    return {
        "title": _one(r"<title>(.*?)</title>", page),
        "spec": _one(r'<redoc spec-url="([^"]*)"', page),
        "scripts": re.findall(r'<script src="([^"]+)"', page),
        "favicon": _one(r'rel="(?:shortcut )?icon" href="([^"]+)"', page),
        "stylesheets": re.findall(r'<link[^>]*href="(https://fonts[^"]+)"', page),
    }


APPS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "title": {"title": "Shop"},
    "parameters": {
        "swagger_ui_parameters": {"deepLinking": False, "syntaxHighlight": {"theme": "obsidian"}}
    },
    "override-default-parameter": {"swagger_ui_parameters": {"layout": "StandaloneLayout"}},
    "init-oauth": {
        "swagger_ui_init_oauth": {"clientId": "abc", "usePkceWithAuthorizationCodeGrant": True}
    },
    "no-oauth2-redirect": {"swagger_ui_oauth2_redirect_url": None},
    "custom-oauth2-redirect": {"swagger_ui_oauth2_redirect_url": "/auth/callback"},
    "openapi-url": {"openapi_url": "/api/v1/schema.json"},
}
ROOT_PATHS = {"no-root-path": "", "root-path": "/proxy", "root-path-slash": "/"}


@pytest.fixture
def without_docs_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if `pip install "minifast[docs]"` had not been run: the pages use FastAPI's CDN."""
    for package in ("swagger_ui_bundle", "mkdocs_redoc_tag"):
        monkeypatch.setitem(sys.modules, package, None)


def _page(name: str, options: dict[str, Any], path: str, root_path: str) -> str:
    app = import_from(name, "applications").FastAPI(**options)
    answer = request(app, "GET", root_path.rstrip("/") + path, root_path=root_path)
    assert (answer.status, answer.header("content-type")) == (200, "text/html; charset=utf-8")
    return answer.body.decode()


@pytest.mark.parametrize("root_path", ROOT_PATHS.values(), ids=ROOT_PATHS.keys())
@pytest.mark.parametrize("options", APPS.values(), ids=APPS.keys())
@pytest.mark.usefixtures("without_docs_extra")
def test_swagger_ui_page_tells_the_browser_what_fastapi_tells_it(
    options: dict[str, Any], root_path: str
) -> None:
    expected = _swagger_facts(_page("fastapi", options, "/docs", root_path))
    assert _swagger_facts(_page("minifast", options, "/docs", root_path)) == expected
    assert expected["config"]["url"] is not None  # the extraction found FastAPI's values


@pytest.mark.parametrize("root_path", ROOT_PATHS.values(), ids=ROOT_PATHS.keys())
@pytest.mark.usefixtures("without_docs_extra")
def test_root_path_prefixes_the_urls_without_doubling_a_slash(root_path: str) -> None:
    facts = _swagger_facts(_page("minifast", {}, "/docs", root_path))
    prefix = root_path.rstrip("/")
    assert (facts["config"]["url"], facts["redirect"]) == (
        f"{prefix}/openapi.json",
        f"{prefix}/docs/oauth2-redirect",
    )
    assert _redoc_facts(_page("minifast", {}, "/redoc", root_path))["spec"] == (
        f"{prefix}/openapi.json"
    )


@pytest.mark.parametrize("root_path", ["", "/proxy"], ids=["no-root-path", "root-path"])
@pytest.mark.parametrize(
    "options",
    [{}, {"title": "Shop", "openapi_url": "/schema.json"}, {"redoc_url": "/reference"}],
    ids=["defaults", "title-openapi-url", "redoc-url"],
)
@pytest.mark.usefixtures("without_docs_extra")
def test_redoc_page_tells_the_browser_what_fastapi_tells_it(
    options: dict[str, Any], root_path: str
) -> None:
    path = options.get("redoc_url", "/redoc")
    expected = _redoc_facts(_page("fastapi", options, path, root_path))
    assert _redoc_facts(_page("minifast", options, path, root_path)) == expected
    assert expected["spec"] is not None


@pytest.mark.usefixtures("without_docs_extra")
def test_mounted_app_points_at_its_own_document() -> None:
    inner = FastAPI(title="Inner")
    outer = FastAPI(docs_url=None, redoc_url=None, routes=[Mount("/v1", inner)])
    facts = _swagger_facts(request(outer, "GET", "/v1/docs").body.decode())
    assert (facts["title"], facts["config"]["url"]) == ("Inner - Swagger UI", "/v1/openapi.json")


PAGES_OFF: dict[str, dict[str, Any]] = {
    "defaults": {},
    "no-docs": {"docs_url": None},
    "no-redoc": {"redoc_url": None},
    "no-openapi": {"openapi_url": None},
    "no-oauth2-redirect": {"swagger_ui_oauth2_redirect_url": None},
    "moved": {"docs_url": "/documentation", "redoc_url": "/reference"},
}
PATHS = ["/docs", "/redoc", "/docs/oauth2-redirect", "/documentation", "/reference"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("options", PAGES_OFF.values(), ids=PAGES_OFF.keys())
@pytest.mark.usefixtures("without_docs_extra")
def test_a_page_set_to_none_is_not_found_as_in_fastapi(options: dict[str, Any], path: str) -> None:
    def build(name: str) -> Any:
        return import_from(name, "applications").FastAPI(**options)

    reference = request(build("fastapi"), "GET", path)
    if reference.status == 404:
        compare(build, "GET", path)  # the whole 404, body and headers
    else:
        ours = request(build("minifast"), "GET", path)
        assert (ours.status, ours.header("content-type")) == (200, "text/html; charset=utf-8")


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_docs_pages_answer_head_and_stay_out_of_the_schema(name: str) -> None:
    app = import_from(name, "applications").FastAPI()
    assert request(app, "HEAD", "/docs").status == 200
    assert request(app, "GET", "/openapi.json").body == (
        b'{"openapi":"3.1.0","info":{"title":"FastAPI","version":"0.1.0"},"paths":{}}'
    )


@pytest.mark.usefixtures("without_docs_extra")
def test_route_names_are_fastapis() -> None:
    names = {route.path: route.name for route in FastAPI().routes}
    assert names == {
        "/openapi.json": "openapi",
        "/docs": "swagger_ui_html",
        "/docs/oauth2-redirect": "swagger_ui_redirect",
        "/redoc": "redoc_html",
    }


@pytest.mark.usefixtures("without_docs_extra")
def test_settings_changed_after_construction_show_on_the_page() -> None:
    app = FastAPI()
    app.title, app.swagger_ui_init_oauth = "Renamed", {"clientId": "late"}
    facts = _swagger_facts(request(app, "GET", "/docs").body.decode())
    assert (facts["title"], facts["init_oauth"]) == ("Renamed - Swagger UI", {"clientId": "late"})


# -- the page functions -------------------------------------------------------------------


def test_default_cdn_urls_and_parameters_are_fastapis() -> None:
    reference = import_from("fastapi", "openapi.docs")
    assert swagger_ui_default_parameters == reference.swagger_ui_default_parameters
    ours = get_swagger_ui_html(openapi_url="/o.json", title="T").body.decode()
    theirs = reference.get_swagger_ui_html(openapi_url="/o.json", title="T").body.decode()
    assert _swagger_facts(ours) == _swagger_facts(theirs)
    ours = get_redoc_html(openapi_url="/o.json", title="T", with_google_fonts=False).body
    theirs = reference.get_redoc_html(openapi_url="/o.json", title="T", with_google_fonts=False)
    assert _redoc_facts(ours.decode()) == _redoc_facts(theirs.body.decode())
    assert _redoc_facts(ours.decode())["stylesheets"] == []


def test_values_cannot_break_out_of_the_page() -> None:
    """Differs from FastAPI on purpose: it writes the title and URLs into the page unescaped."""
    page = get_swagger_ui_html(
        openapi_url="/o.json?a=1&b=</script>",
        title="<b>Shop</b> & co",
        oauth2_redirect_url="/cb</script>",
        init_oauth={"appName": "</script><script>alert(1)</script>"},
        swagger_ui_parameters={"x": "<!--"},
    ).body.decode()
    assert page.count("</script>") == 2  # the two script elements' own
    assert "<!--" not in page
    facts = _swagger_facts(page)
    assert facts["title"] == "&lt;b&gt;Shop&lt;/b&gt; &amp; co"
    assert facts["config"]["url"] == "/o.json?a=1&b=</script>"  # JSON escapes decode back
    assert facts["init_oauth"] == {"appName": "</script><script>alert(1)</script>"}
    redoc = get_redoc_html(openapi_url='/o.json"><script>', title="<T>").body.decode()
    assert _redoc_facts(redoc)["spec"] == "/o.json&quot;&gt;&lt;script&gt;"


def test_oauth2_redirect_page_hands_the_answer_to_swagger_ui() -> None:
    answer = get_swagger_ui_oauth2_redirect_html()
    page = answer.body.decode()
    assert answer.media_type == "text/html"
    assert "window.opener.swaggerUIRedirectOauth2" in page
    assert "window.close()" in page


# -- Swagger UI's files from the installed package ----------------------------------------

LOCAL_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


@pytest.mark.parametrize(
    ("docs_url", "root_path"),
    [("/docs", ""), ("/docs/", ""), ("/docs", "/proxy")],
    ids=["docs", "trailing-slash", "root-path"],
)
def test_local_assets_are_served_by_the_app(docs_url: str, root_path: str) -> None:
    pytest.importorskip("swagger_ui_bundle")
    app = FastAPI(docs_url=docs_url, swagger_ui_assets="local")
    facts = _swagger_facts(
        request(app, "GET", root_path + docs_url, root_path=root_path).body.decode()
    )
    base = f"{root_path}/docs/assets"
    assert (facts["css"], facts["favicon"], facts["scripts"]) == (
        f"{base}/swagger-ui.css",
        f"{base}/favicon-32x32.png",
        [f"{base}/swagger-ui-bundle.js"],
    )
    for name, media_type in LOCAL_FILES.items():
        served = request(app, "GET", f"{root_path}/docs/assets/{name}", root_path=root_path)
        assert (served.status, served.header("content-type")) == (200, media_type)
        assert int(str(served.header("content-length"))) == len(served.body) > 500


@pytest.mark.parametrize(
    "name", ["index.html", "swagger-ui.js", "..%2F__init__.py", "%2e%2e"], ids=str
)
def test_only_the_pages_files_are_served(name: str) -> None:
    pytest.importorskip("swagger_ui_bundle")
    app = FastAPI(swagger_ui_assets="local")
    answer = request(app, "GET", f"/docs/assets/{name}")
    assert (answer.status, answer.body) == (404, b'{"detail":"Not Found"}')


def _fake_bundle(monkeypatch: pytest.MonkeyPatch, folder: Path, files: list[str]) -> None:
    folder.mkdir()
    for name in files:
        (folder / name).write_bytes(b"x")
    module = types.ModuleType("swagger_ui_bundle")
    module.swagger_ui_path = folder  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "swagger_ui_bundle", module)


@pytest.mark.parametrize(
    ("folder", "files", "message"),
    [
        ("swagger-ui-4.15.5", list(LOCAL_FILES), "is not Swagger UI 5 or later"),
        ("swagger-ui", list(LOCAL_FILES), "is not Swagger UI 5 or later"),
        ("swagger-ui-5.31.0", ["swagger-ui.css"], "lacks swagger-ui-bundle.js, favicon-32x32.png"),
    ],
    ids=["version-4", "no-version", "files-missing"],
)
def test_unusable_assets_package_fails_at_construction(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, folder: str, files: list[str], message: str
) -> None:
    _fake_bundle(monkeypatch, tmp_path / folder, files)
    with pytest.raises(RuntimeError, match=message):
        FastAPI(swagger_ui_assets="local")


def test_missing_assets_package_fails_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "swagger_ui_bundle", None)  # as if not installed
    with pytest.raises(RuntimeError, match=re.escape('pip install "minifast[docs]"')):
        FastAPI(swagger_ui_assets="local")
    FastAPI(swagger_ui_assets="local", docs_url=None)  # no /docs: nothing to serve


def test_unknown_assets_mode_is_refused() -> None:
    with pytest.raises(ValueError, match='must be "auto", "cdn" or "local"'):
        FastAPI(swagger_ui_assets="offline")  # type: ignore[arg-type]


# -- offline by default: the docs extra installed, no configuration -----------------------


@pytest.mark.parametrize("root_path", ["", "/proxy"], ids=["no-root-path", "root-path"])
def test_with_the_docs_extra_both_pages_load_only_this_apps_files(root_path: str) -> None:
    pytest.importorskip("swagger_ui_bundle")
    pytest.importorskip("mkdocs_redoc_tag")
    app = FastAPI()
    swagger = _swagger_facts(
        request(app, "GET", f"{root_path}/docs", root_path=root_path).body.decode()
    )
    redoc = _redoc_facts(
        request(app, "GET", f"{root_path}/redoc", root_path=root_path).body.decode()
    )
    base = f"{root_path}/docs/assets"
    assert (swagger["scripts"], swagger["css"]) == (
        [f"{base}/swagger-ui-bundle.js"],
        f"{base}/swagger-ui.css",
    )
    assert redoc == {
        "title": "FastAPI - ReDoc",
        "spec": f"{root_path}/openapi.json",
        "scripts": [f"{base}/redoc.standalone.js"],
        "favicon": f"{base}/favicon-32x32.png",
        "stylesheets": [],  # no Google Fonts: ReDoc uses the system's
    }
    script = request(
        app, "GET", f"{root_path}/docs/assets/redoc.standalone.js", root_path=root_path
    )
    assert (script.status, script.header("content-type")) == (200, "text/javascript; charset=utf-8")
    assert b"Redoc" in script.body and len(script.body) > 100_000


def test_redoc_falls_back_to_the_cdn_without_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("swagger_ui_bundle")
    monkeypatch.setitem(sys.modules, "mkdocs_redoc_tag", None)
    app = FastAPI()
    assert _swagger_facts(request(app, "GET", "/docs").body.decode())["css"] == (
        "/docs/assets/swagger-ui.css"
    )
    redoc = _redoc_facts(request(app, "GET", "/redoc").body.decode())
    assert redoc["scripts"] == ["https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"]
    assert request(app, "GET", "/docs/assets/redoc.standalone.js").status == 404


def test_cdn_chosen_serves_from_the_cdn_though_the_files_are_installed() -> None:
    app = FastAPI(swagger_ui_assets="cdn")
    swagger = request(app, "GET", "/docs").body.decode()
    redoc = request(app, "GET", "/redoc").body.decode()
    assert _swagger_facts(swagger)["scripts"][0].startswith("https://cdn.jsdelivr.net/")
    assert _redoc_facts(redoc)["scripts"][0].startswith("https://cdn.jsdelivr.net/")
    assert request(app, "GET", "/docs/assets/swagger-ui.css").status == 404


def test_without_docs_redoc_uses_the_cdn() -> None:
    """ReDoc's local script is served by /docs's assets route: no /docs, no local script."""
    redoc = request(FastAPI(docs_url=None), "GET", "/redoc").body.decode()
    assert _redoc_facts(redoc)["scripts"][0].startswith("https://cdn.jsdelivr.net/")


@pytest.mark.parametrize("assets", ["auto", "cdn"], ids=["auto", "cdn"])
def test_an_unusable_assets_package_falls_back_to_the_cdn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, assets: Any
) -> None:
    _fake_bundle(monkeypatch, tmp_path / "swagger-ui-4.15.5", list(LOCAL_FILES))
    page = request(FastAPI(swagger_ui_assets=assets), "GET", "/docs").body.decode()
    assert _swagger_facts(page)["scripts"][0].startswith("https://cdn.jsdelivr.net/")


def test_a_page_says_in_words_when_its_script_cannot_load() -> None:
    """The text the viewer replaces once it renders: without the script, it stays."""
    swagger = get_swagger_ui_html(openapi_url="/o.json", title="T").body.decode()
    redoc = get_redoc_html(openapi_url="/o.json", title="T").body.decode()
    local = get_swagger_ui_html(openapi_url="/o.json", title="T", swagger_js_url="/a.js").body
    assert '<div id="swagger-ui"><p' in swagger
    assert "Loading Swagger UI from cdn.jsdelivr.net&hellip;" in swagger
    assert "Loading ReDoc from cdn.jsdelivr.net&hellip;" in redoc
    for page in (swagger, redoc):
        assert "install the docs extra (<code>pip install &quot;minifast[docs]&quot;" in page
    assert "Loading Swagger UI&hellip; If this text stays" in local.decode()
    assert "minifast[docs]" not in local.decode()
