"""Security schemes: dependencies that read credentials and describe themselves to OpenAPI."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from minifast.security.api_key import APIKeyCookie, APIKeyHeader, APIKeyQuery
    from minifast.security.http import (
        HTTPAuthorizationCredentials,
        HTTPBasic,
        HTTPBasicCredentials,
        HTTPBearer,
        HTTPDigest,
    )
    from minifast.security.oauth2 import (
        OAuth2,
        OAuth2AuthorizationCodeBearer,
        OAuth2PasswordBearer,
        OAuth2PasswordRequestForm,
        OAuth2PasswordRequestFormStrict,
        SecurityScopes,
    )
    from minifast.security.open_id_connect_url import OpenIdConnect

__all__ = [
    "APIKeyCookie",
    "APIKeyHeader",
    "APIKeyQuery",
    "HTTPAuthorizationCredentials",
    "HTTPBasic",
    "HTTPBasicCredentials",
    "HTTPBearer",
    "HTTPDigest",
    "OAuth2",
    "OAuth2AuthorizationCodeBearer",
    "OAuth2PasswordBearer",
    "OAuth2PasswordRequestForm",
    "OAuth2PasswordRequestFormStrict",
    "OpenIdConnect",
    "SecurityScopes",
]

# PERF: a name's module is imported when the name is first asked for. minifast's dependency
# planner imports security.base and security.oauth2, which runs this file first; importing
# every scheme here would also build security.http's two credential models: -1.2 ms of start-up.
_MODULES = {
    "APIKeyCookie": "api_key",
    "APIKeyHeader": "api_key",
    "APIKeyQuery": "api_key",
    "HTTPAuthorizationCredentials": "http",
    "HTTPBasic": "http",
    "HTTPBasicCredentials": "http",
    "HTTPBearer": "http",
    "HTTPDigest": "http",
    "OAuth2": "oauth2",
    "OAuth2AuthorizationCodeBearer": "oauth2",
    "OAuth2PasswordBearer": "oauth2",
    "OAuth2PasswordRequestForm": "oauth2",
    "OAuth2PasswordRequestFormStrict": "oauth2",
    "OpenIdConnect": "open_id_connect_url",
    "SecurityScopes": "oauth2",
}


def __getattr__(name: str) -> Any:
    """`from minifast.security import HTTPBearer`: the name, from its module (PEP 562)."""
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    found = getattr(importlib.import_module(f"minifast.security.{_MODULES[name]}"), name)
    globals()[name] = found  # the next lookup is a plain attribute
    return found


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
