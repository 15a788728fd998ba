"""OpenID Connect: the scheme points to a discovery URL; the token check is the application's."""

from __future__ import annotations

from minifast.requests import Request
from minifast.security.base import SecurityBase


class OpenIdConnect(SecurityBase):
    """Gives the whole Authorization header, unparsed, to the dependency that verifies it."""

    def __init__(
        self,
        *,
        openIdConnectUrl: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        model = {"type": "openIdConnect", "openIdConnectUrl": openIdConnectUrl}
        super().__init__(model, scheme_name, description, auto_error)

    async def __call__(self, request: Request) -> str | None:
        authorization = request.headers.get("Authorization")
        if not authorization:
            self.refuse_unless_optional()
        return authorization or None
