"""HTTP Basic, Bearer and Digest, and the bare HTTPBase, compared with fastapi.security."""

import base64
from typing import Annotated, Any

import pytest

from tests.support import FRAMEWORKS, compare, import_from, same_security_scheme


def _basic(raw: bytes) -> bytes:
    return b"Basic " + base64.b64encode(raw)


# Authorization header values: missing, wrong scheme, malformed, good.
AUTHORIZATIONS = {
    "missing": None,
    "empty": b"",
    "blank": b" ",
    "bearer": b"Bearer abc",
    "bearer-lower-case": b"bearer abc",
    "bearer-no-token": b"Bearer",
    "bearer-blank-token": b"Bearer  ",
    "bearer-extra-spaces": b"Bearer  abc def",
    "bearer-tab": b"Bearer\tabc",
    "leading-space": b" Bearer abc",
    "basic-good": _basic(b"user:pass"),
    "basic-non-ascii": b"Basic \xe9",
    "basic-upper-case": b"BASIC " + base64.b64encode(b"user:pass"),
    "basic-empty-password": _basic(b"user:"),
    "basic-colon-only": _basic(b":"),
    "basic-colon-in-password": _basic(b"u:p:q"),
    "basic-no-colon": _basic(b"user"),
    "basic-not-base64": b"Basic !!!",
    "basic-bad-padding": b"Basic dXNlcjpwYXN",
    "basic-extra-padding": b"Basic dXNlcjpwYXNz=",
    "basic-two-words": b"Basic dXNlcjpwYXNz x",
    "basic-no-credentials": b"Basic ",
    "basic-utf8": _basic("é:p".encode()),
    "basic-latin1": _basic("é:p".encode("latin-1")),
    "digest": b"Digest username=u, nonce=n",
    "digest-alone": b"Digest",
    "other-scheme": b"Foo x",
}

SCHEMES: dict[str, Any] = {
    "basic": lambda http: http.HTTPBasic(),
    "basic-realm": lambda http: http.HTTPBasic(realm="staff"),
    "bearer": lambda http: http.HTTPBearer(bearerFormat="JWT"),
    "digest": lambda http: http.HTTPDigest(),
    "base": lambda http: http.HTTPBase(scheme="foo"),
}


def _app(name: str, scheme: Any, auto_error: bool) -> Any:
    web = import_from(name, "applications")
    security = scheme(import_from(name, "security.http"))
    security.auto_error = auto_error
    app = web.FastAPI()
    depends = import_from(name, "param_functions").Depends

    @app.get("/")
    async def read(credentials: Annotated[Any, depends(security)]) -> Any:
        return {"credentials": credentials.model_dump() if credentials else credentials}

    return app


@pytest.mark.parametrize("auto_error", [True, False], ids=["auto-error", "optional"])
@pytest.mark.parametrize("scheme", SCHEMES.values(), ids=SCHEMES.keys())
@pytest.mark.parametrize("value", AUTHORIZATIONS.values(), ids=AUTHORIZATIONS.keys())
def test_authorization_header_is_read_as_fastapi_reads_it(
    value: bytes | None, scheme: Any, auto_error: bool
) -> None:
    headers = [] if value is None else [(b"authorization", value)]
    compare(lambda name: _app(name, scheme, auto_error), "GET", "/", headers=headers)


@pytest.mark.parametrize(
    "build",
    [
        lambda http: http.HTTPBasic(),
        lambda http: http.HTTPBasic(realm="r", scheme_name="Staff", description="d"),
        lambda http: http.HTTPBearer(),
        lambda http: http.HTTPBearer(bearerFormat="JWT", description="tokens"),
        lambda http: http.HTTPDigest(scheme_name="D"),
        lambda http: http.HTTPBase(scheme="hoba", description="x"),
    ],
    ids=["basic", "basic-named", "bearer", "bearer-format", "digest", "base"],
)
def test_openapi_model_and_name_match_fastapi(build: Any) -> None:
    same_security_scheme(build, "security.http")


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_subclass_gets_its_own_scheme_name(name: str) -> None:
    class AdminAuth(import_from(name, "security").HTTPBearer):
        pass

    assert AdminAuth().scheme_name == "AdminAuth"
