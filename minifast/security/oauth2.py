"""OAuth2: bearer-token schemes, the password-flow login form, and the scopes a route requires."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from minifast.param_functions import Form
from minifast.requests import Request
from minifast.security.base import SecurityBase
from minifast.security.utils import get_authorization_scheme_param

# OpenAPI's flows and each flow's fields, in the order FastAPI's documents list them.
_FLOW_ORDER = ("implicit", "password", "clientCredentials", "authorizationCode")
_FIELD_ORDER = ("refreshUrl", "scopes", "authorizationUrl", "tokenUrl")


class OAuth2(SecurityBase):
    """Any OAuth2 flow; gives the whole Authorization header, unparsed."""

    def __init__(
        self,
        *,
        flows: Mapping[str, Mapping[str, Any]] | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        model = {"type": "oauth2", "flows": _compile_flows(flows or {})}
        super().__init__(model, scheme_name, description, auto_error)

    async def __call__(self, request: Request) -> str | None:
        authorization = request.headers.get("Authorization")
        if not authorization:
            self.refuse_unless_optional()
        return authorization or None


class OAuth2PasswordBearer(OAuth2):
    """A bearer token obtained from `tokenUrl` with a user name and password; gives the token."""

    def __init__(
        self,
        tokenUrl: str,
        scheme_name: str | None = None,
        scopes: dict[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
        refreshUrl: str | None = None,
    ) -> None:
        flow = {"tokenUrl": tokenUrl, "scopes": scopes or {}, "refreshUrl": refreshUrl}
        super().__init__(
            flows={"password": flow},
            scheme_name=scheme_name,
            description=description,
            auto_error=auto_error,
        )

    async def __call__(self, request: Request) -> str | None:
        return _bearer_token(self, request)


class OAuth2AuthorizationCodeBearer(OAuth2):
    """A bearer token from the authorization-code flow; gives the token."""

    def __init__(
        self,
        authorizationUrl: str,
        tokenUrl: str,
        refreshUrl: str | None = None,
        scheme_name: str | None = None,
        scopes: dict[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        flow = {
            "authorizationUrl": authorizationUrl,
            "tokenUrl": tokenUrl,
            "refreshUrl": refreshUrl,
            "scopes": scopes or {},
        }
        super().__init__(
            flows={"authorizationCode": flow},
            scheme_name=scheme_name,
            description=description,
            auto_error=auto_error,
        )

    async def __call__(self, request: Request) -> str | None:
        return _bearer_token(self, request)


def _bearer_token(scheme: OAuth2, request: Request) -> str | None:
    """The token of `Authorization: Bearer <token>`.

    COMPAT: as in FastAPI, `Bearer` with nothing after it gives an empty token, not a 401.
    """
    authorization = request.headers.get("Authorization")
    kind, token = get_authorization_scheme_param(authorization)
    if not authorization or kind.lower() != "bearer":
        scheme.refuse_unless_optional()
        return None
    return token


def _compile_flows(flows: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The flows as OpenAPI data: known flows and fields first, `scopes` defaulted, no None."""
    names = [name for name in _FLOW_ORDER if name in flows]
    names += [name for name in flows if name not in _FLOW_ORDER]
    return {name: _compile_flow(flows[name]) for name in names}


def _compile_flow(flow: Mapping[str, Any]) -> dict[str, Any]:
    fields = {"scopes": {}, **flow}
    keys = [key for key in _FIELD_ORDER if key in fields]
    keys += [key for key in fields if key not in _FIELD_ORDER]
    return {key: fields[key] for key in keys if fields[key] is not None}


class OAuth2PasswordRequestForm:
    """The login form of OAuth2's password flow; declare it with `Depends()`.

    COMPAT: `grant_type` may be left out, as FastAPI allows; `scope` arrives space-separated
    and is kept as the list `scopes`.
    """

    def __init__(
        self,
        *,
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        username: Annotated[str, Form()],
        password: Annotated[str, Form(json_schema_extra={"format": "password"})],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form(json_schema_extra={"format": "password"})] = None,
    ) -> None:
        self.grant_type = grant_type
        self.username = username
        self.password = password
        self.scopes = scope.split()
        self.client_id = client_id
        self.client_secret = client_secret


class OAuth2PasswordRequestFormStrict(OAuth2PasswordRequestForm):
    """The password-flow login form with `grant_type=password` required, as the spec says."""

    def __init__(
        self,
        grant_type: Annotated[str, Form(pattern="^password$")],
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
    ) -> None:
        super().__init__(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
        )


class SecurityScopes:
    """The OAuth2 scopes required by every `Security(..., scopes=[...])` above a dependency.

    Declare a parameter of this type in a dependency to receive them, e.g. to check a token.
    """

    def __init__(self, scopes: Sequence[str] | None = None) -> None:
        self.scopes: list[str] = list(scopes or [])
        self.scope_str: str = " ".join(self.scopes)
