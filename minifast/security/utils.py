"""Splitting an Authorization header into its scheme and its credentials."""

from __future__ import annotations


def get_authorization_scheme_param(authorization_header_value: str | None) -> tuple[str, str]:
    """`"Bearer abc"` → `("Bearer", "abc")`; a missing header gives two empty strings.

    COMPAT: split at the first space only, credentials stripped, as FastAPI does: a tab or a
    leading space leaves no scheme that any scheme class accepts.
    """
    if not authorization_header_value:
        return "", ""
    scheme, _, credentials = authorization_header_value.partition(" ")
    return scheme, credentials.strip()
