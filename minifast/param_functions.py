"""`Query()`, `Path()`, `Depends()`, ...: the functions users call in signatures.

They return `Any`, as FastAPI's do, so `q: str = Query(default="x")` type-checks: the marker
object stands where a `str` is expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from pydantic import AliasChoices, AliasPath
from pydantic_core import PydanticUndefined

from minifast import params

if TYPE_CHECKING:
    from typing_extensions import Unpack

    # PERF: only the type checker reads these options, so the class is not built at run time,
    # where a TypedDict compiles each annotation into a ForwardRef: -0.4 ms of start-up.
    class FieldOptions(TypedDict, total=False):
        """What every parameter function accepts besides its default, declared once."""

        default_factory: Callable[[], Any] | None
        alias: str | None
        alias_priority: int | None
        validation_alias: str | AliasPath | AliasChoices | None
        serialization_alias: str | None
        title: str | None
        description: str | None
        gt: float | None
        ge: float | None
        lt: float | None
        le: float | None
        min_length: int | None
        max_length: int | None
        pattern: str | re.Pattern[str] | None
        regex: str | None  # deprecated: `pattern`
        discriminator: str | None
        strict: bool | None
        validate_default: bool | None
        union_mode: Literal["smart", "left_to_right"] | None
        fail_fast: bool | None
        multiple_of: float | None
        allow_inf_nan: bool | None
        max_digits: int | None
        decimal_places: int | None
        examples: list[Any] | None
        openapi_examples: dict[str, Any] | None
        deprecated: bool | str | None
        include_in_schema: bool
        json_schema_extra: dict[str, Any] | None


def Path(default: Any = ..., **options: Unpack[FieldOptions]) -> Any:
    """A path parameter; COMPAT: always required, `...` is accepted as FastAPI accepts it."""
    return params.Path(PydanticUndefined if default is ... else default, **options)


def Query(default: Any = PydanticUndefined, **options: Unpack[FieldOptions]) -> Any:
    return params.Query(default, **options)


def Header(
    default: Any = PydanticUndefined,
    *,
    convert_underscores: bool = True,
    **options: Unpack[FieldOptions],
) -> Any:
    return params.Header(default, convert_underscores=convert_underscores, **options)


def Cookie(default: Any = PydanticUndefined, **options: Unpack[FieldOptions]) -> Any:
    return params.Cookie(default, **options)


def Body(
    default: Any = PydanticUndefined,
    *,
    embed: bool | None = None,
    media_type: str = "application/json",
    **options: Unpack[FieldOptions],
) -> Any:
    return params.Body(default, embed=embed, media_type=media_type, **options)


def Form(
    default: Any = PydanticUndefined,
    *,
    media_type: str = "application/x-www-form-urlencoded",
    **options: Unpack[FieldOptions],
) -> Any:
    return params.Form(default, media_type=media_type, **options)


def File(
    default: Any = PydanticUndefined,
    *,
    media_type: str = "multipart/form-data",
    **options: Unpack[FieldOptions],
) -> Any:
    return params.File(default, media_type=media_type, **options)


def Depends(
    dependency: Callable[..., Any] | None = None,
    *,
    use_cache: bool = True,
    scope: Literal["function", "request", "lifespan"] | None = None,
    max_concurrency: int | None = None,
) -> Any:
    return params.Depends(
        dependency, use_cache=use_cache, scope=scope, max_concurrency=max_concurrency
    )


def Security(
    dependency: Callable[..., Any] | None = None,
    *,
    scopes: Sequence[str] | None = None,
    use_cache: bool = True,
) -> Any:
    return params.Security(dependency, use_cache=use_cache, scopes=scopes)
