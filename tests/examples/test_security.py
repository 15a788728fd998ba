"""examples/security.py: the OAuth2 password flow, scrypt password hashes and JWTs."""

from datetime import datetime, timedelta, timezone

import jwt
import pytest

from examples.security import (
    ALGORITHM,
    SECRET_KEY,
    app,
    create_access_token,
    hash_password,
    verify_password,
)
from minifast.testclient import TestClient

client = TestClient(app)
BEARER = {"www-authenticate": "Bearer"}


def sign_in(username: str, password: str) -> tuple[int, dict[str, str], dict[str, str]]:
    answer = client.post("/token", data={"username": username, "password": password})
    return (
        answer.status_code,
        answer.json(),
        {"www-authenticate": answer.headers.get("www-authenticate", "")},
    )


def test_password_flow_gives_a_token_that_opens_the_users_routes() -> None:
    status, body, _ = sign_in("alice", "wonderland")
    assert (status, set(body), body["token_type"]) == (
        200,
        {"access_token", "token_type"},
        "bearer",
    )
    claims = jwt.decode(body["access_token"], SECRET_KEY, algorithms=[ALGORITHM])
    assert claims["sub"] == "alice"
    assert claims["exp"] - claims["iat"] == 30 * 60
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = client.get("/users/me", headers=headers)
    assert (me.status_code, me.json()) == (
        200,
        {"username": "alice", "full_name": "Alice Liddell", "disabled": False},
    )
    items = client.get("/users/me/items", headers=headers).json()
    assert items == [{"item_id": "looking-glass", "owner": "alice"}]


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong"), ("nobody", "wonderland"), ("alice", "wonderland ")],
    ids=["wrong-password", "unknown-user", "trailing-space"],
)
def test_bad_credentials_get_401_with_the_bearer_challenge(username: str, password: str) -> None:
    assert sign_in(username, password) == (
        401,
        {"detail": "Incorrect username or password"},
        BEARER,
    )


def test_the_form_is_validated_like_any_other_input() -> None:
    answer = client.post("/token", data={"username": "alice"})
    assert answer.status_code == 422
    assert [error["loc"] for error in answer.json()["detail"]] == [["body", "password"]]


def _bearer(key: str = SECRET_KEY, **changes: object) -> dict[str, str]:
    now = datetime.now(timezone.utc)
    claims = {"sub": "alice", "iat": now, "exp": now + timedelta(minutes=5), **changes}
    return {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm=ALGORITHM)}"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic YWxpY2U6d29uZGVybGFuZA=="},
        {"Authorization": "Bearer not-a-jwt"},
        _bearer(exp=datetime.now(timezone.utc) - timedelta(seconds=1)),
        _bearer(sub="mallory"),
        _bearer(key="another-secret-that-is-32-bytes-long"),
    ],
    ids=["no-header", "basic", "garbage", "expired", "unknown-subject", "forged"],
)
def test_a_missing_or_invalid_token_is_refused(headers: dict[str, str]) -> None:
    answer = client.get("/users/me", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    expected = (
        "Not authenticated"
        if "Bearer " not in headers.get("Authorization", "")
        else ("Could not validate credentials")
    )
    assert answer.json() == {"detail": expected}


def test_a_disabled_user_signs_in_but_is_refused() -> None:
    token = create_access_token("bob")
    answer = client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert (answer.status_code, answer.json()) == (400, {"detail": "Inactive user"})


def test_hashes_are_salted_and_verified_in_constant_time() -> None:
    first, second = hash_password("pw"), hash_password("pw")
    assert first != second  # a fresh salt each time
    assert first.startswith("scrypt$") and "pw" not in first
    assert verify_password("pw", first) and verify_password("pw", second)
    assert not verify_password("pW", first)
    assert not verify_password("pw", "md5$" + first.split("$", 1)[1])


def test_openapi_declares_the_password_flow_for_the_authorize_button() -> None:
    document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"] == {
        "OAuth2PasswordBearer": {
            "type": "oauth2",
            "flows": {"password": {"scopes": {}, "tokenUrl": "token"}},
        }
    }
    assert document["paths"]["/users/me"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
