"""Path templates, convertors and the segment-tree route index, below the router."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest

from minifast._paths import PathIndex, compile_template

UUID = uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")


# --- compiling templates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "path_format", "names"),
    [
        ("/items", "/items", set()),
        ("/items/{item_id}", "/items/{item_id}", {"item_id"}),
        ("/items/{item_id:int}", "/items/{item_id}", {"item_id"}),
        ("/v{major:int}.{minor:int}/x", "/v{major}.{minor}/x", {"major", "minor"}),
        ("/files/{rest:path}", "/files/{rest}", {"rest"}),
        ("/{1bad}/{a:b:c}", "/{1bad}/{a:b:c}", set()),
    ],
    ids=["static", "str", "int", "partial-segments", "path", "not-parameters"],
)
def test_compile_template_format_and_names(
    template: str, path_format: str, names: set[str]
) -> None:
    compiled = compile_template(template)
    assert compiled.template == template
    assert compiled.format == path_format
    assert compiled.param_names == names


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("/{x:nope}", "unknown path convertor 'nope' in '/{x:nope}'"),
        ("/{x}/{x:int}", "duplicated path parameter 'x' in '/{x}/{x:int}'"),
    ],
    ids=["unknown-convertor", "duplicate-parameter"],
)
def test_compile_template_refuses(template: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        compile_template(template)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("template", "path", "params"),
    [
        ("/a/{x}", "/a/hé llo", {"x": "hé llo"}),
        ("/a/{x:int}", "/a/007", {"x": 7}),
        ("/a/{x:float}", "/a/2.50", {"x": 2.5}),
        ("/a/{x:float}", "/a/2", {"x": 2.0}),
        ("/a/{x:uuid}", f"/a/{UUID}", {"x": UUID}),
        ("/a/{x:uuid}", "/a/0123456789ABCDEF0123456789abcdef", {"x": UUID}),
        ("/a/{x:path}", "/a/b/c/", {"x": "b/c/"}),
    ],
    ids=["str", "int", "float", "float-int", "uuid", "uuid-no-dashes", "path"],
)
def test_template_regex_converts(template: str, path: str, params: dict[str, Any]) -> None:
    compiled = compile_template(template)
    matched = compiled.regex.match(path)
    assert matched is not None
    groups = matched.groupdict().items()
    assert {name: compiled.convertors[name].convert(value) for name, value in groups} == params


@pytest.mark.parametrize(
    "path",
    ["/a/", "/a/-1", "/a/1.", "/a/.5", "/a/1e3", "/a/0123456789abcdef0123456789abcde"],
    ids=["empty", "negative", "dot-end", "dot-start", "exponent", "uuid-short"],
)
def test_template_regex_refuses(path: str) -> None:
    for kind in ("int", "float", "uuid"):
        assert compile_template(f"/a/{{x:{kind}}}").regex.match(path) is None


# --- building URLs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "params", "expected"),
    [
        ("/items/{item_id:int}", {"item_id": 3}, "/items/3"),
        ("/items/{item_id:int}", {"item_id": "42"}, "/items/42"),
        ("/p/{x:float}", {"x": 1.5}, "/p/1.5"),
        ("/p/{x:float}", {"x": 2}, "/p/2"),
        ("/p/{x:float}", {"x": "0.25"}, "/p/0.25"),
        ("/u/{u:uuid}", {"u": UUID}, f"/u/{UUID}"),
        ("/f/{rest:path}", {"rest": "a/b.txt"}, "/f/a/b.txt"),
        ("/{a}/{b}", {"a": "{b}", "b": "x"}, "/{b}/x"),
        ("/v{major:int}/{name}.txt", {"major": 2, "name": "notes"}, "/v2/notes.txt"),
    ],
    ids=[
        "int", "int-from-str", "float", "float-from-int", "float-from-str", "uuid", "path",
        "value-looks-like-parameter", "partial-segments",
    ],
)  # fmt: skip
def test_url_path(template: str, params: dict[str, Any], expected: str) -> None:
    assert compile_template(template).url_path(params) == expected


@pytest.mark.parametrize(
    ("template", "value", "message"),
    [
        ("/{x:int}", -1, "-1 cannot be an int path parameter"),
        ("/{x:float}", -0.5, "-0.5 cannot be a float path parameter"),
        ("/{x:float}", math.nan, "nan cannot be a float path parameter"),
        ("/{x:float}", math.inf, "inf cannot be a float path parameter"),
        ("/{x}", "a/b", "path parameter 'x' may not be empty or contain '/'"),
        ("/{x}", "", "path parameter 'x' may not be empty or contain '/'"),
    ],
    ids=["negative-int", "negative-float", "nan", "inf", "slash", "empty"],
)
def test_url_path_refuses(template: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        compile_template(template).url_path({"x": value})
    assert str(caught.value) == message


# --- the index -----------------------------------------------------------------------------


def build_index(*templates: str, mounts: tuple[str, ...] = ()) -> PathIndex[str]:
    """An index whose entries are their own templates; mounts are added after the routes."""
    index: PathIndex[str] = PathIndex()
    for template in templates:
        index.add(template, template)
    for template in mounts:
        index.add(template, "mount:" + template, prefix_only=True)
    return index


def found(index: PathIndex[str], path: str) -> list[tuple[str, dict[str, Any]]]:
    return [(entry, params) for _, entry, params in index.find(path)]


ROUTES = (
    "/",
    "/items",
    "/items/{item_id:int}",
    "/items/{name}",
    "/items/{name}/tags",
    "/items/{other}/owner",
    "/files/{name}.txt",
    "/v{major:int}/items",
    "/static/{rest:path}",
    "/docs/{rest:path}/meta",
    "/u/{u:uuid}",
    "",
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", [("/", {})]),
        ("", [("", {})]),
        ("/items", [("/items", {})]),
        ("/items/3", [("/items/{item_id:int}", {"item_id": 3}), ("/items/{name}", {"name": "3"})]),
        ("/items/x", [("/items/{name}", {"name": "x"})]),
        ("/items/x/tags", [("/items/{name}/tags", {"name": "x"})]),
        ("/items/x/owner", [("/items/{other}/owner", {"other": "x"})]),
        ("/items/", []),
        ("/items/x/", []),
        ("/files/a.b.txt", [("/files/{name}.txt", {"name": "a.b"})]),
        ("/files/a.txt.bak", []),
        ("/v2/items", [("/v{major:int}/items", {"major": 2})]),
        ("/vx/items", []),
        ("/static", []),
        ("/static/", [("/static/{rest:path}", {"rest": ""})]),
        ("/static/css/a.css", [("/static/{rest:path}", {"rest": "css/a.css"})]),
        ("/docs/a/b/meta", [("/docs/{rest:path}/meta", {"rest": "a/b"})]),
        ("/docs/meta", []),
        ("/u/" + str(UUID), [("/u/{u:uuid}", {"u": UUID})]),
        ("/nowhere", []),
    ],
    ids=[
        "root", "empty-path", "static", "int-and-str-in-order", "str-only", "str-then-static",
        "other-parameter-name", "empty-segment", "trailing-slash", "partial-segment-greedy",
        "partial-segment-suffix", "partial-segment-int", "partial-segment-int-refused",
        "path-needs-slash", "path-empty", "path-nested", "path-in-the-middle",
        "path-in-the-middle-needs-slashes", "uuid", "unknown",
    ],
)  # fmt: skip
def test_index_finds_every_match_in_order(
    path: str, expected: list[tuple[str, dict[str, Any]]]
) -> None:
    assert found(build_index(*ROUTES), path) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/sub", []),
        ("/sub/", [("mount:/sub", {"path": ""})]),
        ("/sub/a/b", [("mount:/sub", {"path": "a/b"})]),
        ("/t/acme/x", [("mount:/t/{tenant}", {"tenant": "acme", "path": "x"})]),
        ("/t/acme", []),
    ],
    ids=["prefix-alone", "prefix-slash", "nested", "prefix-parameter", "parameter-alone"],
)
def test_index_mounts_match_below_their_prefix(
    path: str, expected: list[tuple[str, dict[str, Any]]]
) -> None:
    index = build_index(mounts=("/sub", "/t/{tenant}", ""))
    everything = ("mount:", {"path": path[1:]})  # the root mount, added last, takes every path
    assert found(index, path) == [*expected, everything]


def test_index_reports_registration_order_across_tree_branches() -> None:
    index = build_index("/users/{user_id}", "/users/me", "/{rest:path}", mounts=("/users",))
    orders = [(order, entry) for order, entry, _ in index.find("/users/me")]
    assert orders == [
        (0, "/users/{user_id}"),
        (1, "/users/me"),
        (2, "/{rest:path}"),
        (3, "mount:/users"),
    ]


def test_index_shares_a_node_between_equal_segments() -> None:
    index = build_index("/a/{x}/b", "/a/{x}/c", "/a/{x:int}/d")
    assert found(index, "/a/1/c") == [("/a/{x}/c", {"x": "1"})]
    assert found(index, "/a/1/d") == [("/a/{x:int}/d", {"x": 1})]
    assert found(index, "/a/z/d") == []


def test_index_never_matches_a_template_without_leading_slash() -> None:
    index = build_index("items", "/items")
    assert found(index, "/tems") == []
    assert [order for order, _, _ in index.find("/items")] == [1]


def test_index_with_a_thousand_templates_resolves_the_last() -> None:
    index = build_index(*(f"/r{number}/{{item_id:int}}" for number in range(1000)))
    assert found(index, "/r999/5") == [("/r999/{item_id:int}", {"item_id": 5})]


def test_index_answers_a_static_path_again_after_a_template_is_added() -> None:
    index = build_index("/users/me")
    assert found(index, "/users/me") == found(index, "/users/me") == [("/users/me", {})]
    index.add("/users/{user_id}", "/users/{user_id}")
    assert found(index, "/users/me") == [
        ("/users/me", {}),
        ("/users/{user_id}", {"user_id": "me"}),
    ]
