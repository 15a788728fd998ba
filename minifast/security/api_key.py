"""API keys: a secret read from a header, a query parameter or a cookie."""

from __future__ import annotations

from minifast.requests import Request
from minifast.security.base import SecurityBase


class APIKeyBase(SecurityBase):
    """A key named `name` in one place of the request; a missing or empty key is refused."""

    _location: str  # "header", "query" or "cookie": OpenAPI's `in`

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(
            {"type": "apiKey", "in": self._location, "name": name},
            scheme_name,
            description,
            auto_error,
        )
        self._key = name
        self._challenge = "APIKey"

    def _check(self, api_key: str | None) -> str | None:
        if not api_key:
            self.refuse_unless_optional()
        return api_key or None


class APIKeyHeader(APIKeyBase):
    """The key in a request header, e.g. `X-API-Key`."""

    _location = "header"

    async def __call__(self, request: Request) -> str | None:
        return self._check(request.headers.get(self._key))


class APIKeyQuery(APIKeyBase):
    """The key in a query parameter, e.g. `?api_key=...`."""

    _location = "query"

    async def __call__(self, request: Request) -> str | None:
        return self._check(request.query_params.get(self._key))


class APIKeyCookie(APIKeyBase):
    """The key in a cookie."""

    _location = "cookie"

    async def __call__(self, request: Request) -> str | None:
        return self._check(request.cookies.get(self._key))
