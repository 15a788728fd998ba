"""What every security scheme shares: its OpenAPI description and its name there."""

from __future__ import annotations

from typing import Any


class SecurityBase:
    """A dependency that is also an OpenAPI security scheme.

    `model` is the scheme's entry in components/securitySchemes (plain JSON data);
    `scheme_name` is its key there and in each operation's `security` list.
    """

    model: dict[str, Any]
    scheme_name: str
