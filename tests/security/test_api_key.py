"""API keys in a header, a query parameter or a cookie, compared with fastapi.security."""

from typing import Annotated, Any

import pytest

from tests.support import compare, import_from, same_security_scheme

SCHEMES: dict[str, Any] = {
    "header": lambda api_key: api_key.APIKeyHeader(name="X-Key"),
    "query": lambda api_key: api_key.APIKeyQuery(name="key"),
    "cookie": lambda api_key: api_key.APIKeyCookie(name="key"),
}

# (headers, query string): missing, empty, elsewhere, present.
REQUESTS: dict[str, tuple[list[tuple[bytes, bytes]], bytes]] = {
    "nothing": ([], b""),
    "empty-header": ([(b"x-key", b"")], b""),
    "empty-query": ([], b"key="),
    "empty-cookie": ([(b"cookie", b"key=")], b""),
    "in-authorization": ([(b"authorization", b"Bearer k")], b""),
    "other-name": ([(b"x-other", b"k"), (b"cookie", b"other=k")], b"other=k"),
    "header": ([(b"x-key", b"secret")], b""),
    "header-spaces": ([(b"x-key", b" Bearer k")], b""),
    "query": ([], b"key=secret"),
    "cookie": ([(b"cookie", b"key=secret")], b""),
}


def _app(name: str, scheme: Any, auto_error: bool) -> Any:
    security = scheme(import_from(name, "security.api_key"))
    security.auto_error = auto_error
    app = import_from(name, "applications").FastAPI()
    depends = import_from(name, "param_functions").Depends

    @app.get("/")
    async def read(key: Annotated[Any, depends(security)]) -> Any:
        return {"key": key}

    return app


@pytest.mark.parametrize("auto_error", [True, False], ids=["auto-error", "optional"])
@pytest.mark.parametrize("scheme", SCHEMES.values(), ids=SCHEMES.keys())
@pytest.mark.parametrize(("headers", "query"), REQUESTS.values(), ids=REQUESTS.keys())
def test_key_is_read_as_fastapi_reads_it(
    headers: list[tuple[bytes, bytes]], query: bytes, scheme: Any, auto_error: bool
) -> None:
    build = lambda name: _app(name, scheme, auto_error)  # noqa: E731
    compare(build, "GET", "/", headers=headers, query=query)


@pytest.mark.parametrize(
    "build",
    [
        *SCHEMES.values(),
        lambda api_key: api_key.APIKeyHeader(name="k", scheme_name="Key", description="d"),
    ],
    ids=[*SCHEMES.keys(), "named-described"],
)
def test_openapi_model_and_name_match_fastapi(build: Any) -> None:
    same_security_scheme(build, "security.api_key")
