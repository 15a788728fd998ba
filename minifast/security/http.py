"""HTTP authentication schemes read from the Authorization header: Basic, Bearer, Digest."""

from __future__ import annotations

import base64

from pydantic import BaseModel

from minifast.requests import Request
from minifast.security.base import SecurityBase
from minifast.security.utils import get_authorization_scheme_param


class HTTPBasicCredentials(BaseModel):
    """The user name and password of a Basic Authorization header."""

    username: str
    password: str


class HTTPAuthorizationCredentials(BaseModel):
    """An Authorization header split in two: `Bearer abc` → scheme `Bearer`, credentials `abc`."""

    scheme: str
    credentials: str


class HTTPBase(SecurityBase):
    """Any `<scheme> <credentials>` Authorization header; subclasses require their scheme."""

    _required_scheme: str | None = None  # lower case; None accepts any scheme

    def __init__(
        self,
        *,
        scheme: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__({"type": "http", "scheme": scheme}, scheme_name, description, auto_error)
        self._challenge = scheme.title()

    async def __call__(self, request: Request) -> HTTPAuthorizationCredentials | None:
        scheme, credentials = get_authorization_scheme_param(request.headers.get("Authorization"))
        if not (scheme and credentials):
            self.refuse_unless_optional()
            return None
        if self._required_scheme is not None and scheme.lower() != self._required_scheme:
            self.refuse_unless_optional()
            return None
        return HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)


class HTTPBearer(HTTPBase):
    """`Authorization: Bearer <token>`; gives HTTPAuthorizationCredentials."""

    _required_scheme = "bearer"

    def __init__(
        self,
        *,
        bearerFormat: str | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(
            scheme="bearer", scheme_name=scheme_name, description=description, auto_error=auto_error
        )
        if bearerFormat is not None:
            self.model["bearerFormat"] = bearerFormat


class HTTPDigest(HTTPBase):
    """`Authorization: Digest <parameters>`; the parameters are left to the application."""

    _required_scheme = "digest"

    def __init__(
        self,
        *,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(
            scheme="digest", scheme_name=scheme_name, description=description, auto_error=auto_error
        )


class HTTPBasic(HTTPBase):
    """`Authorization: Basic base64(user:password)`; gives HTTPBasicCredentials."""

    def __init__(
        self,
        *,
        scheme_name: str | None = None,
        realm: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(
            scheme="basic", scheme_name=scheme_name, description=description, auto_error=auto_error
        )
        self.realm = realm
        self._challenge = f'Basic realm="{realm}"' if realm else "Basic"

    async def __call__(self, request: Request) -> HTTPBasicCredentials | None:  # type: ignore[override]
        """COMPAT: a Basic header that does not decode is refused even with auto_error=False."""
        authorization = request.headers.get("Authorization")
        scheme, encoded = get_authorization_scheme_param(authorization)
        if scheme.lower() != "basic":
            self.refuse_unless_optional()
            return None
        try:
            # COMPAT: lenient base64 (stray characters dropped) and ASCII only, as FastAPI.
            decoded = base64.b64decode(encoded).decode("ascii")
        except ValueError:  # binascii.Error, UnicodeDecodeError, or a non-ASCII header value
            raise self.make_not_authenticated_error() from None
        username, colon, password = decoded.partition(":")
        if not colon:
            raise self.make_not_authenticated_error()
        return HTTPBasicCredentials(username=username, password=password)
