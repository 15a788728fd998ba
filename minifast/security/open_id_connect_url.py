"""OpenID Connect: the scheme points to a discovery URL; the token check is the application's."""

from __future__ import annotations

from minifast.requests import Request
from minifast.security.base import SecurityBase, _described, _name


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
        self.model = _described(model, description)
        self.scheme_name = _name(self, scheme_name)
        self.auto_error = auto_error

    async def __call__(self, request: Request) -> str | None:
        authorization = request.headers.get("Authorization")
        if not authorization:
            self._refuse_unless_optional()
        return authorization or None
