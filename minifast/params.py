"""Marker classes that say where a parameter comes from: `Annotated[int, Query(ge=1)]`.

Each is a pydantic `FieldInfo`, so its constraints (ge, max_length, pattern, ...) go straight
into the validator compiled for the route; the subclass and the few extra attributes only tell
the plan the parameter's source and how OpenAPI should show it.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from minifast.concurrency import ConcurrencyLimit
from minifast.exceptions import FastAPIDeprecationWarning, FastAPIError


class ParamTypes(Enum):
    query = "query"
    header = "header"
    path = "path"
    cookie = "cookie"


class DeclarationError(FastAPIError, AssertionError):
    """A parameter declared in a way that cannot work, refused when it is declared.

    COMPAT: FastAPI refuses these with an AssertionError, which callers may catch.
    """


def _field_kwargs(default: Any, options: dict[str, Any]) -> dict[str, Any]:
    """FieldInfo's arguments; COMPAT: `alias` also names the value for validation and output."""
    if options.get("regex") is not None:
        _deprecated("`regex` has been deprecated, please use `pattern` instead")
        options["pattern"] = options.get("pattern") or options["regex"]
    options.pop("regex", None)
    if "alias" in options:  # COMPAT: `alias=None` given explicitly clears an alias from Field()
        alias = options["alias"]
        if options.get("validation_alias") is None:
            options["validation_alias"] = alias
        if options.get("serialization_alias") is None and isinstance(alias, str):
            options["serialization_alias"] = alias
    if "default_factory" in options and options["default_factory"] is not None:
        return options
    return {"default": default, **options}


def _example(options: dict[str, Any]) -> Any:
    """The deprecated `example=` (PydanticUndefined when not given), taken out of `options`.

    COMPAT: kept for OpenAPI, which shows it where no `openapi_examples` are given.
    """
    example = options.pop("example", PydanticUndefined)
    if example is not PydanticUndefined:
        _deprecated("`example` has been deprecated, please use `examples` instead")
    return example


def _deprecated(message: str) -> None:
    """Warn, pointing at the code that declared the parameter, not at minifast's frames."""
    frame = sys._getframe(1)  # who called this function: level 2 to warnings.warn
    level = 2
    while frame.f_back is not None and _is_ours(frame.f_globals.get("__name__", "")):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, FastAPIDeprecationWarning, stacklevel=level)


def _is_ours(module: str) -> bool:
    return module.startswith("minifast.")


class Param(FieldInfo):  # type: ignore[misc]
    """A path, query, header or cookie parameter."""

    in_: ParamTypes

    def __init__(
        self,
        default: Any = PydanticUndefined,
        *,
        include_in_schema: bool = True,
        openapi_examples: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        self.include_in_schema = include_in_schema
        self.openapi_examples = openapi_examples
        self.example = _example(options)
        super().__init__(**_field_kwargs(default, options))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.default})"


class Path(Param):  # type: ignore[misc]
    in_ = ParamTypes.path

    def __init__(self, default: Any = PydanticUndefined, **options: Any) -> None:
        if default is not PydanticUndefined and default is not Ellipsis:
            raise DeclarationError("Path parameters cannot have a default value")
        super().__init__(PydanticUndefined, **options)


class Query(Param):  # type: ignore[misc]
    in_ = ParamTypes.query


class Header(Param):  # type: ignore[misc]
    in_ = ParamTypes.header

    def __init__(
        self, default: Any = PydanticUndefined, *, convert_underscores: bool = True, **options: Any
    ) -> None:
        self.convert_underscores = convert_underscores
        super().__init__(default, **options)


class Cookie(Param):  # type: ignore[misc]
    in_ = ParamTypes.cookie


class Body(FieldInfo):  # type: ignore[misc]
    """A value read from the request body: JSON by default, or a form field or file."""

    def __init__(
        self,
        default: Any = PydanticUndefined,
        *,
        embed: bool | None = None,
        media_type: str = "application/json",
        include_in_schema: bool = True,
        openapi_examples: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        self.embed = embed
        self.media_type = media_type
        self.include_in_schema = include_in_schema
        self.openapi_examples = openapi_examples
        self.example = _example(options)
        super().__init__(**_field_kwargs(default, options))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.default})"


class Form(Body):  # type: ignore[misc]
    def __init__(
        self,
        default: Any = PydanticUndefined,
        *,
        media_type: str = "application/x-www-form-urlencoded",
        **options: Any,
    ) -> None:
        super().__init__(default, embed=True, media_type=media_type, **options)


class File(Form):  # type: ignore[misc]
    def __init__(
        self,
        default: Any = PydanticUndefined,
        *,
        media_type: str = "multipart/form-data",
        **options: Any,
    ) -> None:
        super().__init__(default, media_type=media_type, **options)


DependencyScope = Literal["function", "request", "lifespan"]


@dataclass(frozen=True)
class Depends:
    """A value computed by calling `dependency` with the request's parameters.

    `scope` says when a `yield` dependency's exit code runs: "function" right after the
    endpoint returns, "request" (the default) after the response is sent, "lifespan" once,
    at shutdown, the value being built once at start-up and shared by every request.
    """

    dependency: Callable[..., Any] | None = None
    use_cache: bool = True
    scope: DependencyScope | None = None
    max_concurrency: int | None = field(default=None, kw_only=True)  # calls at once, at most
    # Kept through dataclasses.replace (it is an init field), so `Depends()` filled in with
    # its class still shares the limit of the declaration it came from. Compared by identity:
    # typing caches `Annotated[...]` by equality, which must not merge two declarations.
    _concurrency: ConcurrencyLimit | None = field(default=None, kw_only=True, repr=False)

    def __post_init__(self) -> None:
        size = self.max_concurrency
        if size is None:
            object.__setattr__(self, "_concurrency", None)
            return
        if type(size) is not int or size < 1:
            raise ValueError("max_concurrency must be a positive integer or None")
        if self._concurrency is None or self._concurrency.max_concurrency != size:
            object.__setattr__(self, "_concurrency", ConcurrencyLimit(size))

    def __repr__(self) -> str:
        name = getattr(self.dependency, "__name__", type(self.dependency).__name__)
        cache = "" if self.use_cache else ", use_cache=False"
        return f"{type(self).__name__}({name}{cache})"


@dataclass(frozen=True)
class Security(Depends):
    """A dependency that also declares the OAuth2 scopes it requires."""

    scopes: Sequence[str] | None = None
