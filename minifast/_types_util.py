"""Questions the plan asks of a type annotation: is it a scalar, a sequence, annotated?"""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys
import types
import typing
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from minifast import params
from minifast.encoders import is_pydantic_v1_model

_SEQUENCES: tuple[type[Any], ...] = (list, set, frozenset, tuple, deque, Sequence)
_UNIONS = (typing.Union, types.UnionType)


def annotated_parts(hint: Any) -> tuple[Any, list[Any]]:
    """Split `Annotated[T, Query(), Gt(1)]` into (`Annotated[T, Gt(1)]`, [Query()])."""
    if typing.get_origin(hint) is not Annotated:
        return hint, []
    base, *metadata = typing.get_args(hint)
    markers = [item for item in metadata if isinstance(item, FieldInfo | params.Depends)]
    others = [item for item in metadata if item not in markers]
    return (annotate(base, *others) if others else base), markers


def annotate(base: Any, *metadata: Any) -> Any:
    """`Annotated[base, *metadata]` built at run time."""
    arguments = (base, *metadata)
    return typing.cast(Any, Annotated)[arguments]


def _union_members(annotation: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(annotation) in _UNIONS:
        return tuple(arg for arg in typing.get_args(annotation) if arg is not type(None))
    return None


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def is_sequence(annotation: Any) -> bool:
    """list[str], set[int], tuple[...], or an Optional/Union holding one: repeated keys."""
    annotation = _strip(annotation)
    members = _union_members(annotation)
    if members is not None:
        return any(is_sequence(member) for member in members)
    origin = typing.get_origin(annotation) or annotation
    if not isinstance(origin, type) or issubclass(origin, str | bytes):
        return False  # a str (or a str Enum) is a Sequence, but one value
    return issubclass(origin, _SEQUENCES)


def is_scalar(annotation: Any) -> bool:
    """COMPAT: FastAPI reads a scalar from the query and anything structured from the body."""
    annotation = _strip(annotation)
    members = _union_members(annotation)
    if members is not None:
        return all(is_scalar(member) for member in members)
    if is_sequence(annotation):
        return False
    origin = typing.get_origin(annotation) or annotation
    if not isinstance(origin, type):
        return True  # Literal[...], Any, a TypeVar: nothing structured
    return not (issubclass(origin, BaseModel | Mapping) or dataclasses.is_dataclass(origin))


def call_target(call: Callable[..., Any]) -> Callable[..., Any]:
    """The function that runs when `call` is called: itself, a class's __init__, or __call__."""
    if inspect.isfunction(call) or inspect.ismethod(call):
        return call
    if inspect.isclass(call):
        return call.__init__
    return type(call).__call__  # a callable instance


def uses_pydantic_v1(annotation: Any) -> bool:
    """Whether a pydantic.v1 model is in the annotation, at any depth (`list[M] | None`).

    minifast refuses them at registration, as FastAPI does (PydanticV1NotSupportedError).
    PERF: only code that imported `pydantic.v1` can hold one; otherwise nothing is walked.
    """
    return "pydantic.v1" in sys.modules and _holds_v1_model(annotation)


def _holds_v1_model(annotation: Any) -> bool:
    if is_pydantic_v1_model(annotation):
        return True
    return any(_holds_v1_model(argument) for argument in typing.get_args(annotation))


def type_name(annotation: Any) -> str:
    """A type as a reader writes it: `int`, `list[Item]`, `str | None`.

    Module prefixes are dropped ("list[examples.main.Item]" reads "list[Item]"): in a plan's
    printout they are noise.
    """
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__name__
    return _DOTTED.sub(r"\1", repr(annotation))


_DOTTED = re.compile(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)")


def callable_name(call: Any) -> str:
    """A function's or class's name; for a callable instance, its class's."""
    return getattr(call, "__name__", None) or type(call).__name__
