"""OAuth2 helpers; for now the scopes a dependency chain requires."""

from __future__ import annotations

from collections.abc import Sequence


class SecurityScopes:
    """The OAuth2 scopes required by every `Security(..., scopes=[...])` above a dependency.

    Declare a parameter of this type in a dependency to receive them, e.g. to check a token.
    """

    def __init__(self, scopes: Sequence[str] | None = None) -> None:
        self.scopes: list[str] = list(scopes or [])
        self.scope_str: str = " ".join(self.scopes)
