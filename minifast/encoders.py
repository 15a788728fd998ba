"""`jsonable_encoder`: turn any returned value into data `json.dumps` accepts.

Used where no response model says how to serialize: a plain `dict`, a list of dataclasses,
a datetime inside an error. COMPAT: every rule below is the one FastAPI applies, so the
same value gives the same JSON on both frameworks.
"""

from __future__ import annotations

import dataclasses
import datetime
import operator
import sys
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
)
from pathlib import PurePath
from re import Pattern
from types import GeneratorType
from typing import Any
from uuid import UUID

from pydantic import AnyUrl, BaseModel, NameEmail, SecretBytes, SecretStr
from pydantic_core import PydanticUndefinedType, Url

from minifast.exceptions import PydanticV1NotSupportedError

IncEx = set[int] | set[str] | dict[int, Any] | dict[str, Any]


def _decimal(value: Decimal) -> int | float:
    """COMPAT: a Decimal without a fractional exponent becomes an int, otherwise a float."""
    exponent = value.as_tuple().exponent
    return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)


ENCODERS_BY_TYPE: dict[type[Any], Callable[[Any], Any]] = {
    bytes: lambda value: value.decode(),
    datetime.date: lambda value: value.isoformat(),
    datetime.datetime: lambda value: value.isoformat(),
    datetime.time: lambda value: value.isoformat(),
    datetime.timedelta: lambda value: value.total_seconds(),
    Decimal: _decimal,
    frozenset: list,
    deque: list,
    GeneratorType: list,
    IPv4Address: str,
    IPv4Interface: str,
    IPv4Network: str,
    IPv6Address: str,
    IPv6Interface: str,
    IPv6Network: str,
    NameEmail: str,
    Pattern: lambda value: value.pattern,
    SecretBytes: str,
    SecretStr: str,
    set: list,
    UUID: str,
    Url: str,
    AnyUrl: str,
}

_SEQUENCES = (list, set, frozenset, GeneratorType, tuple, deque)
_JSON_LEAVES = frozenset({str, int, float, bool, type(None)})


@dataclasses.dataclass(frozen=True, slots=True, eq=False)  # PERF: never compared (plan.py)
class _Options:
    """jsonable_encoder's settings, handed down the recursion."""

    by_alias: bool = True
    exclude_unset: bool = False
    exclude_defaults: bool = False
    exclude_none: bool = False
    custom_encoder: dict[Any, Callable[[Any], Any]] = dataclasses.field(default_factory=dict)
    sqlalchemy_safe: bool = True


_DEFAULT_OPTIONS = _Options()
_DEFAULT_FLAGS = (True, False, False, False, True)  # by_alias, the three excludes, sqlalchemy_safe


def jsonable_encoder(
    obj: Any,
    include: IncEx | None = None,
    exclude: IncEx | None = None,
    by_alias: bool = True,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
    custom_encoder: dict[Any, Callable[[Any], Any]] | None = None,
    sqlalchemy_safe: bool = True,
) -> Any:
    """Convert `obj` into dicts, lists, strings, numbers, booleans and None."""
    flags = (by_alias, exclude_unset, exclude_defaults, exclude_none, sqlalchemy_safe)
    # PERF: the usual call builds no options: -1 µs a call. By identity: `by_alias=1` is no
    # default, pydantic refuses it as FastAPI's does.
    if custom_encoder is None and all(map(operator.is_, flags, _DEFAULT_FLAGS)):
        options = _DEFAULT_OPTIONS
    else:
        options = _Options(*flags[:4], custom_encoder or {}, sqlalchemy_safe)
    return _encode(obj, options, include, exclude)


def _encode(obj: Any, options: _Options, include: Any = None, exclude: Any = None) -> Any:
    if options.custom_encoder:
        custom = _custom_encoder(obj, options.custom_encoder)
        if custom is not None:
            return custom(obj)
    # PERF: JSON values and the plain containers first, each by one type check; the 422 of (e),
    # which encodes every error's input, 97 -> 48 µs with the dict fast path below.
    kind = type(obj)
    if kind in _JSON_LEAVES:
        return obj
    if kind is dict:
        return _encode_dict(obj, options, include, exclude)
    if kind is list or kind is tuple:
        # PERF: as in _encode_dict, plain items kept without a call: each error's `loc`.
        plain = () if options.custom_encoder else _JSON_LEAVES
        return [
            item if type(item) in plain else _encode(item, options, include, exclude)
            for item in obj
        ]
    return _encode_object(obj, options, include, exclude)


def _encode_object(obj: Any, options: _Options, include: Any, exclude: Any) -> Any:
    """Models, dataclasses, enums, paths, subclasses of the plain types, then the rest."""
    if isinstance(obj, BaseModel):
        dumped = obj.model_dump(
            mode="json", include=include, exclude=exclude, by_alias=options.by_alias,
            exclude_unset=options.exclude_unset, exclude_none=options.exclude_none,
            exclude_defaults=options.exclude_defaults,
        )  # fmt: skip
        return _encode(dumped, dataclasses.replace(options, custom_encoder={}))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _encode(dataclasses.asdict(obj), options, include, exclude)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, PurePath):
        return str(obj)
    if obj is None or isinstance(obj, str | int | float):
        return obj
    if isinstance(obj, PydanticUndefinedType):
        return None
    if isinstance(obj, dict):
        return _encode_dict(obj, options, include, exclude)
    if isinstance(obj, _SEQUENCES):
        return [_encode(item, options, include, exclude) for item in obj]
    return _encode_other(obj, options, include, exclude)


def _custom_encoder(
    obj: Any, encoders: dict[Any, Callable[[Any], Any]]
) -> Callable[[Any], Any] | None:
    if type(obj) in encoders:
        return encoders[type(obj)]
    return next((enc for kind, enc in encoders.items() if isinstance(obj, kind)), None)


def _encode_dict(obj: dict[Any, Any], options: _Options, include: Any, exclude: Any) -> Any:
    allowed = None if include is None and exclude is None else _allowed(obj, include, exclude)
    # PERF: with no custom encoders, plain keys and values are kept without a call each.
    plain = () if options.custom_encoder else _JSON_LEAVES
    encoded = {}
    for key, value in obj.items():
        if (allowed is not None and key not in allowed) or (value is None and options.exclude_none):
            continue
        if options.sqlalchemy_safe and isinstance(key, str) and key.startswith("_sa"):
            continue  # SQLAlchemy's instance state, never user data
        key = key if type(key) in plain else _encode(key, options)
        encoded[key] = value if type(value) in plain else _encode(value, options)
    return encoded


def _allowed(obj: dict[Any, Any], include: Any, exclude: Any) -> set[Any]:
    allowed = set(obj)
    if include is not None:
        allowed &= set(include)
    if exclude is not None:
        allowed -= set(exclude)
    return allowed


def _encode_other(obj: Any, options: _Options, include: Any, exclude: Any) -> Any:
    """Known leaf types by exact type, then by base class; else the object's own dict."""
    encoder = ENCODERS_BY_TYPE.get(type(obj))
    if encoder is None:
        encoder = next(
            (enc for kind, enc in ENCODERS_BY_TYPE.items() if isinstance(obj, kind)), None
        )
    if encoder is not None:
        return encoder(obj)
    if _is_color(obj):
        return str(obj)
    if is_pydantic_v1_model(obj):
        raise PydanticV1NotSupportedError(
            f"pydantic.v1 models are not supported; use a pydantic v2 model instead of {obj!r}"
        )
    try:
        data = dict(obj)
    except Exception as dict_error:
        try:
            data = vars(obj)
        except Exception as vars_error:
            raise ValueError([dict_error, vars_error]) from vars_error
    return _encode(data, options, include, exclude)


def _is_color(obj: Any) -> bool:
    """pydantic's Color and pydantic-extra-types' Color, written as their names ("blue").

    Matched by module and name, so that neither module (one deprecated, one optional) is
    imported to recognise them.
    """
    kind = type(obj)
    return kind.__name__ == "Color" and kind.__module__ in _COLOR_MODULES


_COLOR_MODULES = frozenset({"pydantic.color", "pydantic_extra_types.color"})


def is_pydantic_v1_model(value: Any) -> bool:
    """Whether `value` is a pydantic.v1 model or model class, which minifast refuses.

    Only code that imported `pydantic.v1` can hold one, so the check imports nothing.
    """
    v1 = sys.modules.get("pydantic.v1")
    if v1 is None:
        return False
    model = v1.BaseModel
    return isinstance(value, model) or (isinstance(value, type) and issubclass(value, model))
