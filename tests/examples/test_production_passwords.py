"""examples/production/passwords.py: salted scrypt hashes and the JWTs the sign-in hands out."""

from datetime import datetime, timedelta, timezone

import jwt

from examples.production.passwords import (
    ALGORITHM,
    create_token,
    hash_password,
    read_token,
    verify_password,
)

SECRET = "a-test-secret-of-thirty-two-bytes"


def test_each_hash_is_salted_and_verifies_only_its_password() -> None:
    first, second = hash_password("pw"), hash_password("pw")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("pw", first) and verify_password("pw", second)
    assert not verify_password("pW", first)


def test_a_token_carries_the_user_and_expires() -> None:
    claims = read_token(create_token(7, SECRET), SECRET)
    assert claims is not None and claims["sub"] == "7"
    assert claims["exp"] - claims["iat"] == 30 * 60


def test_a_forged_or_expired_token_reads_as_nothing() -> None:
    assert read_token(create_token(7, SECRET), "another-secret-of-thirty-two-bytes") is None
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    expired = jwt.encode({"sub": "7", "exp": past}, SECRET, algorithm=ALGORITHM)
    assert read_token(expired, SECRET) is None
    assert read_token("not a token", SECRET) is None
