"""StaticFiles: the same directory mounted on both frameworks, and every way out of it shut."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio
import pytest

from minifast import FastAPI
from minifast.staticfiles import StaticFiles
from minifast.testclient import TestClient
from tests.support import compare, framework, import_from, request

SECRET = b"top secret, outside the root"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A served directory `root`, next to files it must never hand out."""
    root = tmp_path / "root"
    (root / "docs").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "style.css").write_text("body { color: red }\n")
    (root / "index.html").write_text("<h1>home</h1>\n")
    (root / "404.html").write_text("<p>nothing here</p>\n")
    (root / "docs" / "index.html").write_text("<h1>docs</h1>\n")
    (root / "real.txt").write_text("plain\n")
    (root / "alias.css").symlink_to("real.txt")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_bytes(SECRET)
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    (root / "linkdir").symlink_to(tmp_path / "outside")
    return root


def builder(directory: Path | None, **options: Any) -> Any:
    """`build(name)` for tests.support.compare: `directory` mounted at /static."""

    def build(name: str) -> Any:
        app = framework(name).FastAPI()
        static_files = import_from(name, "staticfiles").StaticFiles
        app.mount("/static", static_files(directory=directory, **options), name="static")
        return app

    return build


FILE_CASES = [
    ("GET", "/static/style.css", False),
    ("HEAD", "/static/style.css", False),
    ("GET", "/static/docs/../style.css", False),
    ("GET", "/static/style.css/", False),
    ("GET", "/static/alias.css", False),
    ("GET", "/static/missing.css", False),
    ("GET", "/static/", False),
    ("GET", "/static/docs", False),
    ("GET", "/static", False),
    ("POST", "/static/style.css", False),
    ("DELETE", "/static/missing.css", False),
    ("GET", "/static/", True),
    ("GET", "/static/index.html", True),
    ("GET", "/static/docs", True),
    ("HEAD", "/static/docs", True),
    ("GET", "/static/docs/", True),
    ("GET", "/static/docs/x/..", True),
    ("GET", "/static/empty/", True),
    ("GET", "/static/missing.css", True),
    ("GET", "/static/style.css/x", True),
    ("GET", "/static/" + "a" * 300, True),
    ("GET", "/static/a\x00b", True),
]
FILE_IDS = [
    "file",
    "head",
    "dot-dot-inside",
    "trailing-slash-on-file",
    "symlink-inside-served-under-its-real-name",
    "missing",
    "directory",
    "subdirectory",
    "mount-without-slash",
    "post-405",
    "delete-missing-405",
    "html-root-index",
    "html-index-by-name",
    "html-directory-redirect",
    "html-directory-redirect-head",
    "html-subdirectory-index",
    "html-dot-dot-redirect",
    "html-directory-without-index-404-page",
    "html-missing-404-page",
    "html-file-as-directory-404-page",
    "html-name-too-long-plain-404",
    "html-nul-plain-404",
]


@pytest.mark.parametrize(("method", "path", "html"), FILE_CASES, ids=FILE_IDS)
def test_answers_like_fastapi(site: Path, method: str, path: str, html: bool) -> None:
    compare(builder(site, html=html), method, path)


def test_file_answer_carries_the_file_and_its_validators(site: Path) -> None:
    response = compare(builder(site), "GET", "/static/style.css")
    assert (response.status, response.body) == (200, b"body { color: red }\n")
    assert response.header("content-type") == "text/css; charset=utf-8"
    assert response.header("content-length") == "20"
    assert response.header("etag") is not None
    assert response.header("last-modified") is not None


def test_html_redirect_keeps_the_query(site: Path) -> None:
    response = compare(builder(site, html=True), "GET", "/static/docs", query=b"page=2")
    assert response.header("location") == "http://testserver/static/docs/?page=2"


def test_html_without_404_page_answers_plain_404(site: Path) -> None:
    (site / "404.html").unlink()
    response = compare(builder(site, html=True), "GET", "/static/missing")
    assert (response.status, response.body) == (404, b'{"detail":"Not Found"}')


def test_range_request(site: Path) -> None:
    response = compare(
        builder(site), "GET", "/static/style.css", headers=[(b"range", b"bytes=0-3")]
    )
    assert (response.status, response.body) == (206, b"body")


def validators(site: Path) -> tuple[bytes, bytes]:
    """The etag and last-modified the reference sends for style.css."""
    response = request(builder(site)("fastapi"), "GET", "/static/style.css")
    return (response.header("etag") or "").encode(), (
        response.header("last-modified") or ""
    ).encode()


CONDITIONAL_CASES = [
    ("if-none-match", "{etag}", 304),
    ("if-none-match", "W/{etag}", 304),
    ("if-none-match", '"other", {etag}', 304),
    ("if-none-match", "*", 304),
    ("if-none-match", '"other"', 200),
    ("if-modified-since", "{modified}", 304),
    ("if-modified-since", "Fri, 01 Jan 2100 00:00:00 GMT", 304),
    ("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT", 200),
    ("if-modified-since", "not a date", 200),
]
CONDITIONAL_IDS = [
    "etag",
    "weak-etag",
    "etag-in-list",
    "any-etag",
    "other-etag",
    "modified-at",
    "modified-before-later-date",
    "modified-after-date",
    "unreadable-date",
]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(("name", "template", "status"), CONDITIONAL_CASES, ids=CONDITIONAL_IDS)
def test_conditional_requests(
    site: Path, method: str, name: str, template: str, status: int
) -> None:
    etag, modified = validators(site)
    value = template.format(etag=etag.decode(), modified=modified.decode()).encode()
    response = compare(builder(site), method, "/static/style.css", headers=[(name.encode(), value)])
    assert response.status == status
    if status == 304:
        assert response.headers == [("etag", etag.decode())]


def test_a_mismatched_etag_wins_over_a_matching_date(site: Path) -> None:
    _, modified = validators(site)
    headers = [(b"if-none-match", b'"other"'), (b"if-modified-since", modified)]
    assert compare(builder(site), "GET", "/static/style.css", headers=headers).status == 200


def test_not_modified_wins_over_a_range(site: Path) -> None:
    etag, _ = validators(site)
    headers = [(b"if-none-match", etag), (b"range", b"bytes=0-1")]
    assert compare(builder(site), "GET", "/static/style.css", headers=headers).status == 304


@pytest.mark.parametrize("path", ["/static/missing", "/static/"], ids=["404-page", "index"])
def test_only_a_found_file_can_be_not_modified(site: Path, path: str) -> None:
    response = compare(builder(site, html=True), "GET", path, headers=[(b"if-none-match", b"*")])
    assert response.status == (404 if path.endswith("missing") else 304)


# Each path is scope["path"] as a server could deliver it: servers decode %xx once, so both the
# decoded forms and the still-encoded ones (double encoding, or a server that does not decode)
# must stay inside. "{outside}" is the absolute path of a secret file next to the root.
ATTACKS = {
    "dot-dot": "/static/../secret.txt",
    "dot-dot-deep": "/static/" + "../" * 12 + "etc/passwd",
    "dot-dot-from-subdirectory": "/static/docs/../../secret.txt",
    "dot-dot-after-dot": "/static/./../secret.txt",
    "dot-dot-into-sibling": "/static/../outside/secret.txt",
    "percent-encoded-dots": "/static/%2e%2e/secret.txt",
    "percent-encoded-slash": "/static/..%2fsecret.txt",
    "all-percent-encoded": "/static/%2e%2e%2fsecret.txt",
    "double-encoded": "/static/%252e%252e%252fsecret.txt",
    "backslashes": "/static/..\\secret.txt",
    "backslashes-from-subdirectory": "/static/docs\\..\\..\\secret.txt",
    "windows-drive": "/static/C:\\secret.txt",
    "absolute-path": "/static/{outside}",
    "absolute-path-single-slash": "/static{outside}",
    "nul-byte": "/static/../secret.txt\x00.css",
    "nul-byte-alone": "/static/\x00",
    "symlink-to-file-outside": "/static/link.txt",
    "symlink-to-directory-outside": "/static/linkdir/secret.txt",
    "symlink-then-dot-dot": "/static/linkdir/../secret.txt",
    "fullwidth-dots": "/static/\uff0e\uff0e/secret.txt",
    "four-dots": "/static/..../secret.txt",
}


@pytest.mark.parametrize("html", [False, True], ids=["plain", "html"])
@pytest.mark.parametrize("attack", list(ATTACKS.values()), ids=list(ATTACKS))
def test_no_way_out_of_the_directory(site: Path, attack: str, html: bool) -> None:
    path = attack.format(outside=site.parent / "secret.txt")
    response = compare(builder(site, html=html), "GET", path)
    assert response.status == 404
    assert SECRET not in response.body


@pytest.mark.parametrize(
    "url",
    ["/static/%2e%2e/secret.txt", "/static/..%2fsecret.txt", "/static/..%5csecret.txt"],
    ids=["dots", "slash", "backslash"],
)
def test_no_way_out_through_a_client(site: Path, url: str) -> None:
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=site), name="static")
    response = TestClient(app).get(url)
    assert (response.status_code, response.content) == (404, b'{"detail":"Not Found"}')


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/static/link.txt", 200),
        ("/static/linkdir/secret.txt", 200),
        ("/static/../secret.txt", 404),
        ("/static/linkdir/../../secret.txt", 404),
        ("/static/alias.css", 200),
    ],
    ids=["file-link", "directory-link", "dot-dot", "dot-dot-through-link", "alias-named-as-asked"],
)
def test_follow_symlink_trusts_links_but_not_dot_dot(site: Path, path: str, status: int) -> None:
    response = compare(builder(site, follow_symlink=True), "GET", path)
    assert response.status == status


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
@pytest.mark.parametrize("kind", ["missing", "file"])
def test_check_dir_refuses_a_missing_directory(tmp_path: Path, name: str, kind: str) -> None:
    directory = tmp_path / "nothing"
    if kind == "file":
        directory.write_text("not a directory")
    static_files = import_from(name, "staticfiles").StaticFiles
    with pytest.raises(RuntimeError, match=f"Directory '{directory}' does not exist"):
        static_files(directory=directory)


@pytest.mark.parametrize(
    ("kind", "message"), [("missing", "does not exist"), ("file", "is not a directory")]
)
def test_unchecked_directory_is_checked_on_each_request_until_found(
    tmp_path: Path, kind: str, message: str
) -> None:
    directory = tmp_path / "later"
    if kind == "file":
        directory.write_text("not a directory")
    static_files = StaticFiles(directory=directory, check_dir=False)
    with pytest.raises(RuntimeError, match=message):
        request(static_files, "GET", "/x.txt")
    directory.unlink(missing_ok=True)
    directory.mkdir()
    (directory / "x.txt").write_text("now here")
    assert request(static_files, "GET", "/x.txt").body == b"now here"


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An importable package `shop` with `statics/` and `assets/` directories."""
    (tmp_path / "pkgs" / "shop" / "statics").mkdir(parents=True)
    (tmp_path / "pkgs" / "shop" / "assets").mkdir()
    (tmp_path / "pkgs" / "shop" / "__init__.py").write_text("")
    (tmp_path / "pkgs" / "shop" / "statics" / "app.js").write_text("let shop;\n")
    (tmp_path / "pkgs" / "shop" / "assets" / "logo.svg").write_text("<svg/>\n")
    (tmp_path / "pkgs" / "loose").mkdir()  # a namespace package: no file to locate it by
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    return "shop"


@pytest.mark.parametrize(
    "path", ["/static/style.css", "/static/app.js", "/static/logo.svg", "/static/nope"]
)
def test_directory_then_packages(site: Path, package: str, path: str) -> None:
    packages = [package, (package, "assets")]
    compare(builder(site, packages=packages), "GET", path)


def test_packages_alone(package: str) -> None:
    compare(builder(None, packages=[package]), "GET", "/static/app.js")


@pytest.mark.parametrize(
    ("packages", "message"),
    [
        (["no_such_package_here"], "Package 'no_such_package_here' could not be found"),
        (["loose"], "Package 'loose' could not be found"),
        ([("shop", "missing")], "Directory 'missing' in package 'shop' could not be found"),
    ],
    ids=["unknown", "namespace", "no-directory"],
)
def test_bad_packages_fail_at_construction(package: str, packages: list[Any], message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        StaticFiles(packages=packages)


def test_url_path_for_goes_through_the_mount(site: Path) -> None:
    for name in ["fastapi", "minifast"]:
        app = builder(site)(name)
        assert app.url_path_for("static", path="/x.css") == "/static/x.css"
        assert app.url_path_for("static", path="css/x.css") == "/static/css/x.css"


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/style.css", 200, b"body { color: red }\n"),
        ("GET", "/missing", 404, b"Not Found"),
        ("PUT", "/style.css", 405, b"Method Not Allowed"),
    ],
    ids=["file", "missing", "method"],
)
def test_standalone_answers_plain_text(
    site: Path, method: str, path: str, status: int, body: bytes
) -> None:
    # Differs from FastAPI, whose StaticFiles raises HTTPException to the server (a 500).
    response = request(StaticFiles(directory=site), method, path)
    assert (response.status, response.body) == (status, body)


def test_websocket_is_closed(site: Path) -> None:
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}  # pragma: no cover - never read

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/style.css", "root_path": "", "headers": []}
    anyio.run(StaticFiles(directory=site), scope, receive, send)
    assert sent == [{"type": "websocket.close", "code": 1000, "reason": ""}]


def test_a_root_reached_through_a_symlink_still_serves(site: Path) -> None:
    os.symlink(site, site.parent / "current")
    compare(builder(site.parent / "current"), "GET", "/static/style.css")
