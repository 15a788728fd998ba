"""What every scheme shares: its entry in the OpenAPI document, compared with FastAPI's."""

import json
from typing import Annotated, Any

from minifast.security.base import SecurityBase
from tests.support import import_from, request


def _app(name: str) -> Any:
    security = import_from(name, "security")
    functions = import_from(name, "param_functions")
    depends, scoped = functions.Depends, functions.Security
    app = import_from(name, "applications").FastAPI()
    password = security.OAuth2PasswordBearer(tokenUrl="token", scopes={"me": "Read me"})
    code = security.OAuth2AuthorizationCodeBearer("authorize", "token", scheme_name="Code")

    @app.get("/password")
    async def with_password(
        token: Annotated[str, scoped(password, scopes=["me"])],
        basic: Annotated[Any, depends(security.HTTPBasic(description="staff"))],
        key: Annotated[Any, depends(security.APIKeyHeader(name="X-Key"))],
    ) -> None:
        return None

    @app.get("/others")
    async def with_others(
        oidc: Annotated[Any, depends(security.OpenIdConnect(openIdConnectUrl="/oidc"))],
        bearer: Annotated[Any, depends(security.HTTPBearer(bearerFormat="JWT"))],
        token: Annotated[str, depends(code)],
        cookie: Annotated[Any, depends(security.APIKeyCookie(name="session"))],
        query: Annotated[Any, depends(security.APIKeyQuery(name="key", auto_error=False))],
        digest: Annotated[Any, depends(security.HTTPDigest())],
    ) -> None:
        return None

    return app


def test_schemes_are_documented_as_in_fastapi() -> None:
    reference = json.loads(request(_app("fastapi"), "GET", "/openapi.json").body)
    ours = json.loads(request(_app("minifast"), "GET", "/openapi.json").body)
    assert ours == reference
    schemes, expected = (
        ours["components"]["securitySchemes"],
        reference["components"]["securitySchemes"],
    )
    assert [json.dumps(scheme) for scheme in schemes.items()] == [
        json.dumps(scheme) for scheme in expected.items()
    ]  # key order too, as the document's bytes show it


def test_a_subclass_constructs_the_base_with_no_arguments() -> None:
    """Extensions subclass the base, call it bare, and describe their scheme themselves."""

    class ApiToken(SecurityBase):
        def __init__(self) -> None:
            super().__init__()
            self.model = {"type": "apiKey", "in": "header", "name": "x-token"}

    scheme = ApiToken()
    assert (scheme.scheme_name, scheme.auto_error) == ("ApiToken", True)
    assert scheme.model == {"type": "apiKey", "in": "header", "name": "x-token"}
