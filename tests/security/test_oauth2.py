"""OAuth2 schemes and the password-flow form, compared with fastapi.security."""

from typing import Annotated, Any
from urllib.parse import urlencode

import pytest

from tests.support import FRAMEWORKS, compare, import_from, request, same_security_scheme

AUTHORIZATIONS = {
    "missing": None,
    "empty": b"",
    "bearer": b"Bearer abc",
    "bearer-lower-case": b"bearer abc",
    "bearer-no-token": b"Bearer",
    "bearer-extra-spaces": b"Bearer  abc def",
    "bearer-tab": b"Bearer\tabc",
    "basic": b"Basic dXNlcjpwYXNz",
    "other-scheme": b"Token abc",
}

SCHEMES: dict[str, Any] = {
    "oauth2": lambda oauth2: oauth2.OAuth2(),
    "password-bearer": lambda oauth2: oauth2.OAuth2PasswordBearer(tokenUrl="token"),
    "code-bearer": lambda oauth2: oauth2.OAuth2AuthorizationCodeBearer(
        authorizationUrl="authorize", tokenUrl="token"
    ),
}


def _app(name: str, scheme: Any, auto_error: bool) -> Any:
    security = scheme(import_from(name, "security.oauth2"))
    security.auto_error = auto_error
    app = import_from(name, "applications").FastAPI()
    depends = import_from(name, "param_functions").Depends

    @app.get("/")
    async def read(token: Annotated[Any, depends(security)]) -> Any:
        return {"token": token}

    return app


@pytest.mark.parametrize("auto_error", [True, False], ids=["auto-error", "optional"])
@pytest.mark.parametrize("scheme", SCHEMES.values(), ids=SCHEMES.keys())
@pytest.mark.parametrize("value", AUTHORIZATIONS.values(), ids=AUTHORIZATIONS.keys())
def test_token_is_read_as_fastapi_reads_it(
    value: bytes | None, scheme: Any, auto_error: bool
) -> None:
    headers = [] if value is None else [(b"authorization", value)]
    compare(lambda name: _app(name, scheme, auto_error), "GET", "/", headers=headers)


MODELS: dict[str, Any] = {
    "oauth2-no-flows": lambda oauth2: oauth2.OAuth2(),
    "oauth2-flows": lambda oauth2: oauth2.OAuth2(
        flows={
            "authorizationCode": {"tokenUrl": "t", "authorizationUrl": "a"},
            "password": {"tokenUrl": "t", "refreshUrl": None},
            "clientCredentials": {"tokenUrl": "t", "scopes": {"read": "Read"}},
            "implicit": {"authorizationUrl": "a", "refreshUrl": "r"},
        },
        description="all flows",
    ),
    "password-bearer": lambda oauth2: oauth2.OAuth2PasswordBearer(
        "token", scopes={"me": "Read me"}, refreshUrl="refresh", description="d"
    ),
    "password-bearer-named": lambda oauth2: oauth2.OAuth2PasswordBearer(
        tokenUrl="/token", scheme_name="Login"
    ),
    "code-bearer": lambda oauth2: oauth2.OAuth2AuthorizationCodeBearer(
        "authorize", "token", "refresh", scopes={"a": "A"}
    ),
}


@pytest.mark.parametrize("build", MODELS.values(), ids=MODELS.keys())
def test_openapi_model_and_name_match_fastapi(build: Any) -> None:
    ours, expected = same_security_scheme(build, "security.oauth2")
    for flow, fields in expected["flows"].items():
        assert list(ours.model["flows"][flow]) == list(fields), flow
    assert list(ours.model["flows"]) == list(expected["flows"])


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_not_authenticated_error_can_be_overridden(name: str) -> None:
    """FastAPI documents this way back to the 403 that versions before 0.118 sent."""
    http_exception = import_from(name, "exceptions").HTTPException

    class Bearer403(import_from(name, "security").OAuth2PasswordBearer):
        def make_not_authenticated_error(self) -> Any:
            return http_exception(status_code=403, detail="Forbidden")

    app = import_from(name, "applications").FastAPI()
    depends = import_from(name, "param_functions").Depends

    @app.get("/")
    async def read(token: Annotated[Any, depends(Bearer403(tokenUrl="t"))]) -> Any:
        return token

    answer = request(app, "GET", "/")
    assert (answer.status, answer.body) == (403, b'{"detail":"Forbidden"}')


# -- the password-flow form ---------------------------------------------------------------

FORMS = {
    "good": {"username": "alice", "password": "secret", "scope": "me  items:read"},
    "grant-type": {"grant_type": "password", "username": "a", "password": "b"},
    "client": {"username": "a", "password": "b", "client_id": "c", "client_secret": "s"},
    "wrong-grant-type": {"grant_type": "refresh", "username": "a", "password": "b"},
    "no-password": {"username": "alice"},
    "empty": {},
}


def _form_app(name: str, form_class: str) -> Any:
    form = getattr(import_from(name, "security"), form_class)
    app = import_from(name, "applications").FastAPI()
    depends = import_from(name, "param_functions").Depends

    @app.post("/token")
    async def token(data: Annotated[Any, depends(form)]) -> Any:
        return vars(data)

    return app


@pytest.mark.parametrize(
    "form_class", ["OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict"]
)
@pytest.mark.parametrize("fields", FORMS.values(), ids=FORMS.keys())
def test_password_form_is_read_as_fastapi_reads_it(fields: dict[str, str], form_class: str) -> None:
    body = urlencode(fields).encode()
    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    compare(lambda name: _form_app(name, form_class), "POST", "/token", headers=headers, body=body)


@pytest.mark.parametrize(
    "form_class", ["OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict"]
)
def test_password_form_is_documented_as_fastapi_documents_it(form_class: str) -> None:
    reference = _form_app("fastapi", form_class).openapi()
    ours = _form_app("minifast", form_class).openapi()
    assert ours["components"]["schemas"] == reference["components"]["schemas"]
    assert ours["paths"] == reference["paths"]


@pytest.mark.parametrize(
    "fields",
    [
        {"username": "a", "password": "b"},
        {"grant_type": "password", "username": "a", "password": "b", "scope": " x  y ",
         "client_id": "c", "client_secret": "s"},
    ],
    ids=["required-only", "every-field"],
)  # fmt: skip
def test_password_form_constructed_directly_keeps_fastapis_attributes(
    fields: dict[str, str],
) -> None:
    for form_class in ["OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict"]:
        arguments = {"grant_type": "password", **fields}
        reference = getattr(import_from("fastapi", "security"), form_class)(**arguments)
        ours = getattr(import_from("minifast", "security"), form_class)(**arguments)
        assert vars(ours) == vars(reference)
