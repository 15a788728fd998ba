"""examples/uploads.py: a form login, uploads, and a route with a smaller body limit."""

import pytest

from examples.uploads import app
from minifast.testclient import TestClient

client = TestClient(app)


@pytest.mark.parametrize(
    ("password", "status", "body"),
    [
        ("secret", 200, {"access_token": "token-for-ann", "token_type": "bearer"}),
        ("guess", 401, {"detail": "Bad credentials"}),
    ],
    ids=["right-password", "wrong-password"],
)
def test_form_login(password: str, status: int, body: dict[str, str]) -> None:
    response = client.post("/login", data={"username": "ann", "password": password})
    assert (response.status_code, response.json()) == (status, body)


def test_login_without_a_password_is_422() -> None:
    response = client.post("/login", data={"username": "ann"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


def test_upload_reports_name_type_and_size() -> None:
    files = {"file": ("notes.txt", b"hello world", "text/plain")}
    response = client.post("/uploads", files=files, data={"description": "greeting"})
    assert response.status_code == 200
    assert response.json() == {
        "filename": "notes.txt",
        "content_type": "text/plain",
        "size": 11,
        "description": "greeting",
    }


def test_upload_many() -> None:
    files = [("files", ("a.bin", b"1", "application/octet-stream")), ("files", ("b", b"22", "x/y"))]
    response = client.post("/uploads/many", files=files)
    sizes = [(item["filename"], item["size"]) for item in response.json()]
    assert (response.status_code, sizes) == (200, [("a.bin", 1), ("b", 2)])


def test_checksum_and_its_body_limit() -> None:
    small = client.post("/checksum", files={"data": ("d", b"\x01\x02", "x/y")})
    assert small.json() == {"size": 2, "sum": 3}
    large = client.post("/checksum", files={"data": ("d", b"x" * 70_000, "x/y")})
    assert (large.status_code, large.json()) == (413, {"detail": "Request body too large"})


def test_app_wide_limit() -> None:
    files = {"file": ("big", b"x" * (5 * 1024 * 1024 + 1), "x/y")}
    response = client.post("/uploads", files=files)
    assert (response.status_code, response.json()) == (413, {"detail": "Request body too large"})
