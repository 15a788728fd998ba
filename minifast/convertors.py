"""Path convertors: how a `{name:kind}` parameter is matched, converted and written back.

A convertor has a `regex` (what one value may look like), `convert` (text → value) and
`to_string` (value → text, for `url_path_for`). `register_url_convertor("kind", obj)` adds a
kind of your own; templates compiled afterwards may use it.
"""

from __future__ import annotations

import math
import uuid
from typing import Any, ClassVar, Generic, TypeVar

T = TypeVar("T")


class Convertor(Generic[T]):
    """The base of every convertor; subclasses set `regex` and the two conversions."""

    regex: ClassVar[str] = ""

    def convert(self, value: str) -> T:
        raise NotImplementedError()  # pragma: no cover - every convertor defines it

    def to_string(self, value: T) -> str:
        raise NotImplementedError()  # pragma: no cover - every convertor defines it


class StringConvertor(Convertor[str]):
    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)  # an empty value or one with "/" is refused by the template


class PathConvertor(Convertor[str]):
    regex = ".*"

    def convert(self, value: str) -> str:
        return str(value)

    def to_string(self, value: str) -> str:
        return str(value)


class IntegerConvertor(Convertor[int]):
    # Python's int() refuses more than 4,300 digits (sys.int_info.default_max_str_digits), as
    # a guard against quadratic conversions: a longer segment is no int and matches no route
    # (a 404), instead of failing in convert() with a 500 as in FastAPI.
    regex = "[0-9]{1,4300}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        number = int(value)  # COMPAT: url_for(item_id="3") works for an int parameter
        if number < 0:
            raise ValueError(f"{value!r} cannot be an int path parameter")
        return str(number)


class FloatConvertor(Convertor[float]):
    # Past 308 digits before the point the value is no finite float (float() says inf, which
    # no JSON answer could carry back): such a segment matches no route.
    regex = r"[0-9]{1,308}(?:\.[0-9]+)?"

    def convert(self, value: str) -> float:
        return float(value)

    def to_string(self, value: float) -> str:
        number = float(value)  # COMPAT: url_for(x="1.5") works for a float parameter
        if number < 0 or math.isnan(number) or math.isinf(number):
            raise ValueError(f"{value!r} cannot be a float path parameter")
        return f"{number:0.20f}".rstrip("0").rstrip(".")


class UUIDConvertor(Convertor[uuid.UUID]):
    # COMPAT: the dashes are optional: 32 bare hex digits are a UUID too.
    regex = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

    def convert(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_string(self, value: uuid.UUID) -> str:
        return str(value)


CONVERTOR_TYPES: dict[str, Convertor[Any]] = {
    "str": StringConvertor(),
    "path": PathConvertor(),
    "int": IntegerConvertor(),
    "float": FloatConvertor(),
    "uuid": UUIDConvertor(),
}


def register_url_convertor(key: str, convertor: Convertor[Any]) -> None:
    """Make `{name:key}` usable in the path templates compiled from now on."""
    CONVERTOR_TYPES[key] = convertor
