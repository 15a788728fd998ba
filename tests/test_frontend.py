"""`frontend()`: a static build served behind every other route, with its fallback rules."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import anyio
import pytest

from minifast import APIRouter, BackgroundTasks, Depends, HTTPException, MiniFast, Request
from minifast.frontend import FrontendGroup
from minifast.responses import PlainTextResponse, Response
from minifast.routing import Match, NoMatchFound, Route
from minifast.testclient import TestClient

HTML = {"accept": "text/html"}
NOT_FOUND = (404, '{"detail":"Not Found"}')


def build(tmp_path: Path, files: dict[str, str]) -> Path:
    dist = tmp_path / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (dist / name).parent.mkdir(parents=True, exist_ok=True)
        (dist / name).write_text(content)
    return dist


def served(app: MiniFast, path: str, method: str = "GET", **kwargs: Any) -> tuple[int, str]:
    response = TestClient(app).request(method, path, follow_redirects=False, **kwargs)
    return response.status_code, response.text


SITE = {"index.html": "app", "404.html": "missing", "assets/app.js": "js", "guide/index.html": "d"}


@pytest.mark.parametrize(
    ("fallback", "files", "path", "headers", "expected"),
    [
        ("auto", SITE, "/assets/app.js", {}, (200, "js")),
        ("auto", SITE, "/", {}, (200, "app")),
        ("auto", SITE, "/guide/", {}, (200, "d")),
        ("auto", SITE, "/nowhere", HTML, (404, "missing")),
        ("auto", {"index.html": "app"}, "/nowhere", HTML, (200, "app")),
        ("auto", {"index.html": "app"}, "/nowhere.js", {}, NOT_FOUND),
        ("auto", {"a.txt": "a"}, "/nowhere", HTML, NOT_FOUND),
        ("index.html", SITE, "/nowhere", HTML, (200, "app")),
        ("index.html", SITE, "/nowhere", {"accept": "text/html; q=wat"}, (200, "app")),
        ("index.html", SITE, "/nowhere", {"accept": 'text/html;q="0"'}, NOT_FOUND),
        ("index.html", SITE, "/nowhere", {"accept": "*/*"}, NOT_FOUND),
        ("index.html", SITE, "/nowhere", {"accept": "application/json; v=1"}, NOT_FOUND),
        ("404.html", SITE, "/nowhere", HTML, (404, "missing")),
        (None, SITE, "/nowhere", HTML, NOT_FOUND),
    ],
    ids=[
        "file", "root-index", "directory-index", "auto-prefers-404", "auto-index",
        "auto-index-not-navigation", "auto-no-pages", "index", "unreadable-q", "q-zero",
        "wildcard-only", "other-type", "404-page", "no-fallback",
    ],
)  # fmt: skip
def test_files_and_fallbacks(
    tmp_path: Path,
    fallback: Any,
    files: dict[str, str],
    path: str,
    headers: dict[str, str],
    expected: tuple[int, str],
) -> None:
    app = MiniFast()
    app.frontend("/", directory=build(tmp_path, files), fallback=fallback)

    assert served(app, path, headers=headers) == expected


def test_a_directory_redirects_to_its_slash(tmp_path: Path) -> None:
    app = MiniFast()
    app.frontend("/", directory=build(tmp_path, SITE))

    response = TestClient(app).get("/guide", follow_redirects=False)

    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/guide/"


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/assets/app.js", 405), ("/guide/", 405), ("/nowhere", 404), ("/assets", 404)],
    ids=["file", "directory-index", "missing", "directory-without-index"],
)
def test_other_methods_answer_405_only_for_what_exists(
    tmp_path: Path, path: str, expected: int
) -> None:
    app = MiniFast()
    app.frontend("/", directory=build(tmp_path, SITE), fallback="index.html")

    assert served(app, path, "POST", headers=HTML)[0] == expected


def test_routes_win_over_the_frontend(tmp_path: Path) -> None:
    app = MiniFast()

    @app.get("/api")
    def read_api() -> dict[str, str]:
        return {"source": "api"}

    app.frontend("/", directory=build(tmp_path, {"api": "file", "index.html": "app"}))

    assert served(app, "/api") == (200, '{"source":"api"}')
    assert served(app, "/api", "POST")[0] == 405


def test_the_longest_frontend_prefix_wins(tmp_path: Path) -> None:
    site = build(tmp_path / "site", {"index.html": "site"})
    admin = build(tmp_path / "admin", {"index.html": "admin"})
    app = MiniFast()
    app.frontend("/", directory=site, fallback="index.html")
    app.frontend("/admin/", directory=admin, fallback="index.html")

    assert served(app, "/admin/users", headers=HTML) == (200, "admin")
    assert served(app, "/administrators", headers=HTML) == (200, "site")
    assert served(app, "/admin/users", "POST", headers=HTML)[0] == 404


def test_included_frontends_take_every_prefix_and_dependency(tmp_path: Path) -> None:
    calls: list[str] = []

    def record(name: str) -> Any:
        return lambda: calls.append(name)

    child = APIRouter(prefix="/child", dependencies=[Depends(record("child"))])
    child.frontend("/ui", directory=build(tmp_path, {"index.html": "app"}))
    parent = APIRouter(prefix="/parent")
    parent.include_router(child, prefix="/in", dependencies=[Depends(record("include"))])
    app = MiniFast(dependencies=[Depends(record("app"))])
    app.include_router(parent, prefix="/top")

    assert served(app, "/top/parent/in/child/ui/") == (200, "app")
    assert calls == ["app", "include", "child"]
    assert served(app, "/child/ui/")[0] == 404


def test_dependencies_guard_the_files_and_shape_the_answer(tmp_path: Path) -> None:
    tasks: list[str] = []

    def guard(request: Request, response: Response, background: BackgroundTasks) -> None:
        if request.cookies.get("session") != "ok":
            raise HTTPException(401)
        response.headers["x-guard"] = "passed"
        background.add_task(tasks.append, "done")

    app = MiniFast(dependencies=[Depends(guard)])
    app.frontend("/", directory=build(tmp_path, SITE))
    client = TestClient(app)

    assert client.get("/").status_code == 401
    response = client.get("/assets/app.js", headers={"cookie": "session=ok"})
    assert (response.status_code, response.text) == (200, "js")
    assert response.headers["x-guard"] == "passed"
    assert tasks == ["done"]
    assert client.post("/assets/app.js", headers={"cookie": "session=ok"}).status_code == 405


def test_frontend_dependencies_are_validated_and_overridable(tmp_path: Path) -> None:
    def token(token: str) -> str:
        return token

    app = MiniFast(dependencies=[Depends(token)])
    app.frontend("/", directory=build(tmp_path, SITE))

    assert served(app, "/")[0] == 422
    app.dependency_overrides[token] = lambda: "set"
    assert served(app, "/") == (200, "app")


def test_low_priority_routes_are_asked_in_order_and_included(tmp_path: Path) -> None:
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(f"low {request.path_params.get('item', '')}")

    router = APIRouter()
    router._low_priority_routes.append(Route("/low", endpoint))
    router._low_priority_routes.append(router.route_class("/item/{item}", endpoint))
    router._mark_routes_changed()
    router.frontend("/", directory=build(tmp_path, {"low": "file", "index.html": "app"}))
    app = MiniFast()
    app.include_router(router, prefix="/p")

    assert served(app, "/p/low") == (200, "low ")
    assert served(app, "/p/item/3") == (200, "low 3")
    assert served(app, "/p/") == (200, "app")
    assert served(app, "/p/item/3", "POST")[0] == 405


def test_websockets_and_url_building_pass_the_frontend_by(tmp_path: Path) -> None:
    app = MiniFast()
    app.frontend("/app", directory=build(tmp_path, SITE))

    @app.get("/items/{item_id}")
    def read_item(item_id: int) -> int:
        return item_id

    assert app.url_path_for("read_item", item_id=1) == "/items/1"
    with pytest.raises(NoMatchFound):
        app.url_path_for("frontend")
    group = app.router._frontend_routes
    assert group is not None
    with pytest.raises(NoMatchFound):
        group.url_path_for("frontend")
    with pytest.raises(NoMatchFound):
        group.routes[0].url_path_for("frontend")
    assert group.matches({"type": "websocket", "path": "/app"}) == (Match.NONE, {})
    match, child = group.routes[0].matches({"type": "http", "path": "/app/a", "method": "PUT"})
    assert (match, child["fastapi"]["frontend_path"]) == (Match.PARTIAL, "a")
    assert TestClient(app, root_path="/proxy").get("/app/assets/app.js").text == "js"


def test_a_group_called_directly_matches_or_refuses(tmp_path: Path) -> None:
    app = MiniFast()
    app.frontend("/app", directory=build(tmp_path, SITE))
    group = app.router._frontend_routes
    assert group is not None

    match, child = group.matches_with_prefix(
        {"type": "http", "path": "/x/app", "method": "GET"}, "/x"
    )
    assert (match, child["fastapi"]["frontend_path"]) == (Match.FULL, "")
    with pytest.raises(HTTPException) as refused:
        anyio.run(group.handle, {"type": "http", "path": "/elsewhere", "method": "GET"}, None, None)
    assert refused.value.status_code == 404


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (PermissionError(), 401),
        (ValueError(), 404),
        (OSError(errno.ENAMETOOLONG, "name too long"), 404),
    ],
    ids=["permission", "value", "name-too-long"],
)
def test_lookup_errors_become_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, error: Exception, status: int
) -> None:
    app = MiniFast()
    app.frontend("/", directory=build(tmp_path, SITE))
    group = app.router._frontend_routes
    assert isinstance(group, FrontendGroup)

    def fail(path: str) -> Any:
        raise error

    monkeypatch.setattr(group.routes[0].app, "lookup_path", fail)
    assert served(app, "/a.txt")[0] == status
    monkeypatch.setattr(group.routes[0].app, "lookup_path", lambda path: fail_io(path))
    with pytest.raises(OSError, match="other"):
        served(app, "/a.txt")


def fail_io(path: str) -> Any:
    raise OSError(errno.EIO, "other")


def test_misconfigurations_fail_at_registration(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = MiniFast()
    monkeypatch.delenv("FASTAPI_ENV", raising=False)
    with pytest.raises(AssertionError, match="fallback"):
        app.frontend("/", directory=tmp_path, fallback="other")  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="start with"):
        app.frontend("app", directory=tmp_path)
    with pytest.raises(RuntimeError, match="does not exist"):
        app.frontend("/", directory=tmp_path / "missing")
    with pytest.raises(RuntimeError, match=r"'index\.html' does not exist"):
        app.frontend("/", directory=tmp_path, fallback="index.html")


def test_missing_directories_in_development_warn_and_fail_per_request(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FASTAPI_ENV", "development")
    app = MiniFast()

    with pytest.warns(UserWarning, match="does not exist") as warned:
        app.frontend("/", directory=tmp_path / "missing")
    app.frontend("/present", directory=tmp_path)  # present: no warning, and not checked

    assert warned[0].filename == __file__
    with pytest.raises(RuntimeError, match="does not exist"):
        served(app, "/a.txt")


def test_a_missing_fallback_page_fails_per_request_when_unchecked(tmp_path: Path) -> None:
    app = MiniFast()
    app.frontend("/", directory=build(tmp_path, {}), fallback="404.html", check_dir=False)

    with pytest.raises(RuntimeError, match=f"'404.html' does not exist.*{os.sep}dist"):
        served(app, "/a.txt")
