"""Dependencies whose annotations are strings, some naming what exists only for type checkers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - only type checkers see this import
    from collections.abc import AsyncGenerator


async def get_client() -> AsyncGenerator[str, None]:
    yield "client"


def needs_missing_type(value: Missing):  # type: ignore[name-defined, no-untyped-def]  # noqa: F821
    """A parameter annotation that names nothing, and no return annotation to blame."""
