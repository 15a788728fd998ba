"""OpenID Connect, compared with fastapi.security."""

from typing import Annotated, Any

import pytest

from tests.support import compare, import_from, same_security_scheme

AUTHORIZATIONS = {
    "missing": None,
    "empty": b"",
    "bearer": b"Bearer abc",
    "other-scheme": b"Basic dXNlcjpwYXNz",
}


def _app(name: str, auto_error: bool) -> Any:
    security = import_from(name, "security").OpenIdConnect(
        openIdConnectUrl="/.well-known/openid-configuration", auto_error=auto_error
    )
    app = import_from(name, "applications").FastAPI()
    depends = import_from(name, "param_functions").Depends

    @app.get("/")
    async def read(authorization: Annotated[Any, depends(security)]) -> Any:
        return {"authorization": authorization}

    return app


@pytest.mark.parametrize("auto_error", [True, False], ids=["auto-error", "optional"])
@pytest.mark.parametrize("value", AUTHORIZATIONS.values(), ids=AUTHORIZATIONS.keys())
def test_header_is_given_whole_as_fastapi_gives_it(value: bytes | None, auto_error: bool) -> None:
    headers = [] if value is None else [(b"authorization", value)]
    compare(lambda name: _app(name, auto_error), "GET", "/", headers=headers)


@pytest.mark.parametrize("description", [None, "OIDC"], ids=["plain", "described"])
def test_openapi_model_and_name_match_fastapi(description: str | None) -> None:
    def build(security: Any) -> Any:
        return security.OpenIdConnect(openIdConnectUrl="u", description=description)

    ours, _ = same_security_scheme(build, "security")
    assert ours.scheme_name == "OpenIdConnect"
