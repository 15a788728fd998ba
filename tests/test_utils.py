"""minifast.utils: FastAPI's public helpers under their module path."""

from __future__ import annotations

from typing import Any

import pytest

from minifast.datastructures import Default
from minifast.utils import deep_dict_update, get_path_param_names, get_value_or_default


@pytest.mark.parametrize(
    ("path", "names"),
    [("/items", set()), ("/items/{item_id}", {"item_id"}), ("/{a}/x/{b:int}", {"a", "b"})],
    ids=["none", "one", "typed"],
)
def test_get_path_param_names(path: str, names: set[str]) -> None:
    assert get_path_param_names(path) == names


def test_deep_dict_update_merges_dicts_joins_lists_and_replaces_the_rest() -> None:
    main: dict[str, Any] = {"a": {"x": 1, "y": 2}, "tags": ["a"], "n": 1, "keep": True}
    deep_dict_update(main, {"a": {"y": 3, "z": 4}, "tags": ["b"], "n": {"now": "dict"}})
    assert main == {
        "a": {"x": 1, "y": 3, "z": 4},
        "tags": ["a", "b"],
        "n": {"now": "dict"},
        "keep": True,
    }


def test_get_value_or_default_skips_placeholders() -> None:
    assert get_value_or_default(Default(1), 2, 3) == 2
    first = Default("only defaults")
    assert get_value_or_default(first, Default("other")) is first


def test_default_placeholders_compare_by_value_and_are_truthy_by_value() -> None:
    assert Default("a") == Default("a")
    assert Default("a") != Default("b")
    assert Default("a") != "a"
    assert Default("a")
    assert not Default("")
