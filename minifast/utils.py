"""FastAPI's `fastapi.utils` helpers that extensions import, under the same module path."""

from __future__ import annotations

from typing import TypeVar

from minifast._paths import PARAM
from minifast.api_routes import generate_unique_id
from minifast.datastructures import DefaultPlaceholder
from minifast.openapi._responses import deep_update as deep_dict_update
from minifast.status import is_body_allowed_for_status_code

T = TypeVar("T")

__all__ = [
    "deep_dict_update",
    "generate_unique_id",
    "get_path_param_names",
    "get_value_or_default",
    "is_body_allowed_for_status_code",
]


def get_path_param_names(path: str) -> set[str]:
    """The parameter names of a path template: `/items/{item_id:int}` → {"item_id"}."""
    return {match.group(1) for match in PARAM.finditer(path)}


def get_value_or_default(first_item: T, *extra_items: T) -> T:
    """The first item that is not a `Default(...)` placeholder, else the first item."""
    return next(
        (item for item in (first_item, *extra_items) if not isinstance(item, DefaultPlaceholder)),
        first_item,
    )
