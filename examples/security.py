"""Security: the OAuth2 password flow with hashed passwords and JSON Web Tokens.

Run `uvicorn examples.security:app`, open http://127.0.0.1:8000/docs, press "Authorize", sign
in as `alice` / `wonderland`, then call `GET /users/me`. What each piece does:

- `POST /token` takes the OAuth2 password form (username, password), checks the password
  against its scrypt hash and answers a signed JWT that expires after 30 minutes.
- `OAuth2PasswordBearer` reads `Authorization: Bearer <token>` (401 without it) and tells
  OpenAPI where tokens come from, which is what makes the docs' "Authorize" button work.
- `get_current_user` verifies the token's signature and expiry and loads its user; a
  disabled user is refused with 400, as in FastAPI's tutorial.

Passwords are hashed with the standard library's scrypt (a memory-hard function meant for
passwords) with a random salt per user: no extra dependency. Tokens need PyJWT (the
`production` extra). Set JWT_SECRET in production: the default below is for trying it out.
"""

import base64
import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta, timezone
from typing import Annotated

import jwt
from pydantic import BaseModel

from minifast import Depends, FastAPI, HTTPException, status
from minifast.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm

SECRET_KEY = os.environ.get("JWT_SECRET", "dev-only-secret-change-me-0123456789abcdef")
ALGORITHM = "HS256"
TOKEN_LIFETIME = timedelta(minutes=30)
# scrypt's cost: n=2**14, r=8 uses 16 MiB and ~50 ms per check, slow enough to resist guessing.
SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str, salt: bytes | None = None) -> str:
    """`scrypt$<salt>$<hash>`, both base64: the salt is stored beside the hash it made."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return "$".join(["scrypt", base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` hashes to `stored`, compared in constant time."""
    scheme, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), **SCRYPT)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


class User(BaseModel):
    username: str
    full_name: str
    disabled: bool = False


class UserInDB(User):
    password_hash: str


class Token(BaseModel):
    access_token: str
    token_type: str


# A stand-in for a users table; the hashes are made at start-up so no password sits in a hash
# literal, and each gets its own salt.
USERS = {
    "alice": UserInDB(
        username="alice", full_name="Alice Liddell", password_hash=hash_password("wonderland")
    ),
    "bob": UserInDB(
        username="bob", full_name="Bob Shaw", disabled=True, password_hash=hash_password("builder")
    ),
}
# Checked when the username is unknown, so a wrong name costs as long as a wrong password and
# the answer's timing does not tell which usernames exist.
_DUMMY_HASH = hash_password(secrets.token_hex(8))

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
app = FastAPI(title="Security: OAuth2 password flow with JWT")

_INVALID = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Could not validate credentials",
    headers={"WWW-Authenticate": "Bearer"},
)


def authenticate(username: str, password: str) -> UserInDB | None:
    user = USERS.get(username)
    if user is None:
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


def create_access_token(username: str, now: datetime | None = None) -> str:
    issued = now or datetime.now(timezone.utc)
    claims = {"sub": username, "iat": issued, "exp": issued + TOKEN_LIFETIME}
    return jwt.encode(claims, SECRET_KEY, algorithm=ALGORITHM)


async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> User:
    try:
        claims = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])  # checks `exp` too
    except jwt.InvalidTokenError:
        raise _INVALID from None
    user = USERS.get(str(claims.get("sub")))
    if user is None:
        raise _INVALID
    return User.model_validate(user.model_dump())  # no password hash past this point


async def get_current_active_user(user: Annotated[User, Depends(get_current_user)]) -> User:
    if user.disabled:
        raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail="Inactive user")
    return user


@app.post("/token")
async def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    user = authenticate(form.username, form.password)
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Incorrect username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Token(access_token=create_access_token(user.username), token_type="bearer")


@app.get("/users/me")
async def read_me(user: Annotated[User, Depends(get_current_active_user)]) -> User:
    return user


@app.get("/users/me/items")
async def read_my_items(
    user: Annotated[User, Depends(get_current_active_user)],
) -> list[dict[str, str]]:
    return [{"item_id": "looking-glass", "owner": user.username}]
