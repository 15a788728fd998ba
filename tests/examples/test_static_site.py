"""examples/static_site.py: a static site mounted next to an API route."""

import pytest

from examples.static_site import STATIC, app
from minifast.testclient import TestClient

client = TestClient(app)


@pytest.mark.parametrize(
    ("path", "name", "content_type"),
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/index.html", "index.html", "text/html; charset=utf-8"),
        ("/style.css", "style.css", "text/css; charset=utf-8"),
    ],
    ids=["root", "index", "stylesheet"],
)
def test_serves_the_files(path: str, name: str, content_type: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.content == (STATIC / name).read_bytes()


def test_the_page_links_the_stylesheet() -> None:
    assert '<link rel="stylesheet" href="style.css">' in client.get("/").text


def test_api_route_wins_over_the_mount() -> None:
    assert client.get("/api/health").json() == {"status": "ok"}


def test_a_missing_file_is_404() -> None:
    response = client.get("/missing.css")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
