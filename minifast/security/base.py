"""What every security scheme shares: its OpenAPI description, its name there, its 401."""

from __future__ import annotations

from typing import Any

from minifast.exceptions import HTTPException


class SecurityBase:
    """A dependency that is also an OpenAPI security scheme.

    `model` is the scheme's entry in components/securitySchemes (plain JSON data);
    `scheme_name` is its key there and in each operation's `security` list.
    """

    model: dict[str, Any]
    scheme_name: str
    auto_error: bool = True
    _challenge: str = "Bearer"  # the WWW-Authenticate header of the 401

    def __init__(
        self, model: dict[str, Any] | None = None, scheme_name: str | None = None,
        description: str | None = None, auto_error: bool = True,
    ) -> None:  # fmt: skip
        # COMPAT: a subclass may call this with no arguments (FastAPI's base has no __init__)
        # and set `model` itself.
        if model is not None:
            self.model = _described(model, description)
        # COMPAT: the class name by default, so a subclass gets its own name, as in FastAPI.
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    def make_not_authenticated_error(self) -> HTTPException:
        """The 401 sent when credentials are missing or unreadable.

        COMPAT: since FastAPI 0.118 every scheme answers 401 (not 403) with a challenge;
        override this method in a subclass to answer otherwise, as FastAPI documents.
        """
        return HTTPException(
            status_code=401,
            detail="Not authenticated",
            headers={"WWW-Authenticate": self._challenge},
        )

    def refuse_unless_optional(self) -> None:
        """Raise the 401, unless authentication is optional (`auto_error=False`)."""
        if self.auto_error:
            raise self.make_not_authenticated_error()


def _described(model: dict[str, Any], description: str | None) -> dict[str, Any]:
    """`model` with `description` second, after `type`, where FastAPI's documents put it."""
    if description is None:
        return model
    kind, *rest = model.items()
    return dict([kind, ("description", description), *rest])
