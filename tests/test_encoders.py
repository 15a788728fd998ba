"""jsonable_encoder: the same data as FastAPI's for every kind of value."""

import dataclasses
import datetime
import decimal
import enum
import ipaddress
import pathlib
import re
import uuid
from collections import OrderedDict, deque
from typing import Any

import pytest
from pydantic import BaseModel, Field, SecretStr
from pydantic_core import PydanticUndefined

from minifast.encoders import jsonable_encoder
from minifast.exceptions import PydanticV1NotSupportedError
from tests.support import import_from


class Kind(enum.Enum):
    a = "A"


class Inner(BaseModel):
    value: int
    note: str | None = None
    renamed: int = Field(0, alias="otherName")


@dataclasses.dataclass
class Point:
    x: int
    y: int | None = None


class Plain:
    def __init__(self) -> None:
        self.name = "plain"
        self._sa_instance_state = "hidden"


class Mapping:
    """Iterable into pairs, so `dict()` accepts it."""

    def __iter__(self) -> Any:
        return iter([("k", 1)])


class Name(str):
    """A subclass of a JSON type: taken by the slower path, kept as it is."""


class Count(int):
    pass


def generated() -> Any:
    yield from (1, 2)


VALUES = {
    "scalars": [1, 2.5, "s", None, True],
    "datetimes": {
        "dt": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "d": datetime.date(2024, 1, 2), "t": datetime.time(1, 2), "td": datetime.timedelta(1.5),
    },
    "decimals": [decimal.Decimal("1.10"), decimal.Decimal(10), decimal.Decimal("1E+2")],
    "misc": [uuid.UUID(int=5), Kind.a, pathlib.PurePosixPath("/x/y"), re.compile("a+"),
             ipaddress.ip_address("::1"), SecretStr("hide"), b"bytes"],
    "containers": {"set": {3}, "frozen": frozenset({4}), "tuple": (1, 2), "deque": deque([5])},
    "model": Inner(value=1, otherName=2),
    "dataclass": Point(1),
    "nested": {"points": [Point(2, 3)], "inner": [Inner(value=3)], 1: "int key"},
    "object": Plain(),
    "pairs": Mapping(),
    "subclasses": [Name("n"), Count(3), OrderedDict(a=Count(1)), PydanticUndefined],
}  # fmt: skip

OPTIONS = [
    pytest.param({}, id="defaults"),
    pytest.param({"exclude_none": True}, id="exclude-none"),
    pytest.param({"by_alias": False}, id="by-name"),
    pytest.param({"include": {"model", "nested"}}, id="include"),
    pytest.param({"exclude": {"object", "misc"}}, id="exclude"),
    pytest.param({"sqlalchemy_safe": False}, id="sqlalchemy-unsafe"),
    pytest.param({"custom_encoder": {Kind: lambda kind: kind.name}}, id="custom-encoder"),
]


@pytest.mark.parametrize("options", OPTIONS)
def test_same_data_as_fastapi(options: dict[str, Any]) -> None:
    reference = import_from("fastapi", "encoders").jsonable_encoder
    assert jsonable_encoder(VALUES, **options) == reference(VALUES, **options)


def test_generators_become_lists() -> None:
    assert jsonable_encoder(generated()) == [1, 2]


def test_model_options_pass_through() -> None:
    model = Inner(value=1)
    assert jsonable_encoder(model, exclude_unset=True) == {"value": 1}
    assert jsonable_encoder(model, exclude_defaults=True) == {"value": 1}
    assert jsonable_encoder(model, include={"value"}) == {"value": 1}


def test_unencodable_values_are_refused() -> None:
    with pytest.raises(ValueError):
        jsonable_encoder(object())


def test_pydantic_v1_models_are_refused() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic.v1 warns on import under newer Pythons
        from pydantic.v1 import BaseModel as V1Model

    class Old(V1Model):
        name: str

    with pytest.raises(PydanticV1NotSupportedError, match="pydantic v2 model"):
        jsonable_encoder(Old(name="x"))


def test_pydantic_colors_are_written_as_their_names() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydantic.color import Color

        assert jsonable_encoder({"color": Color("blue")}) == {"color": "blue"}


def test_include_and_exclude_reach_a_plain_objects_attributes() -> None:
    class Pet:
        def __init__(self) -> None:
            self.name, self.owner = "Rex", "Ann"

    assert jsonable_encoder(Pet(), include={"name"}) == {"name": "Rex"}
    assert jsonable_encoder(Pet(), exclude={"owner"}) == {"name": "Rex"}
