"""Datastructures: URL, headers, multi-dicts, state and URL paths, checked against Starlette's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import starlette.datastructures as reference

from minifast.datastructures import (
    URL,
    Address,
    Headers,
    ImmutableMultiDict,
    MutableHeaders,
    QueryParams,
    State,
    URLPath,
    encode_header,
)

# --- URL ------------------------------------------------------------------------------------


def test_url_components() -> None:
    url = URL("https://user:pw@Example.com:8443/a/b?x=1&y=2#frag")
    assert url.components == ("https", "user:pw@Example.com:8443", "/a/b", "x=1&y=2", "frag")
    assert (url.scheme, url.netloc, url.path) == ("https", "user:pw@Example.com:8443", "/a/b")
    assert (url.query, url.fragment, url.port) == ("x=1&y=2", "frag", 8443)
    assert (url.username, url.password, url.hostname) == ("user", "pw", "example.com")
    assert url.is_secure
    assert url.components is url.components  # parsed once, then kept


@pytest.mark.parametrize(
    ("url", "secure"),
    [("http://a/", False), ("https://a/", True), ("ws://a/", False), ("wss://a/", True)],
    ids=["http", "https", "ws", "wss"],
)
def test_url_is_secure(url: str, secure: bool) -> None:
    assert URL(url).is_secure is secure


def test_url_empty() -> None:
    url = URL()
    assert (str(url), url.path, url.hostname, url.port) == ("", "", None, None)


URL_EDITS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "scheme-path-query-fragment": (
        "http://e/p",
        lambda u: u.replace(scheme="https", path="/z", query="a=1", fragment="x"),
    ),
    "port-keeps-host-case": ("http://Example.com:80/p?q=1#f", lambda u: u.replace(port=81)),
    "port-none": ("http://e:8/p", lambda u: u.replace(port=None)),
    "port-without-host": ("/p", lambda u: u.replace(port=8)),
    "port-after-empty-host": ("//:8/p", lambda u: u.replace(port=9)),
    "hostname": ("http://u:p@Example.com:80/p", lambda u: u.replace(hostname="x.org")),
    "hostname-none-keeps": ("http://Host:1/p", lambda u: u.replace(hostname=None, port=2)),
    "hostname-ipv6": ("http://e/p", lambda u: u.replace(hostname="::1")),
    "hostname-ipv6-bracketed": ("http://e/p", lambda u: u.replace(hostname="[::1]")),
    "ipv6-port": ("http://[::1]:8000/p", lambda u: u.replace(port=9)),
    "ipv6-no-port": ("http://[::1]/p", lambda u: u.replace(port=9)),
    "username": ("http://u:p@e:80/p", lambda u: u.replace(username="v")),
    "password": ("http://u:p@e:80/p", lambda u: u.replace(password="z")),
    "add-userinfo": ("http://e/p", lambda u: u.replace(username="u", password="p")),
    "include-keeps-repeats": ("http://e/?a=1&a=2&b=3", lambda u: u.include_query_params(c=4)),
    "include-moves-key-last": ("http://e/?a=1&b=2", lambda u: u.include_query_params(a=3)),
    "include-escapes": ("http://e/", lambda u: u.include_query_params(x="a b&", y=1)),
    "include-blank": ("http://e/?a=&b", lambda u: u.include_query_params(c="")),
    "remove-one": ("http://e/?a=1&a=2&b=&c=3", lambda u: u.remove_query_params("a")),
    "remove-many": ("http://e/?a=1&a=2&b=&c=3", lambda u: u.remove_query_params(["a", "c"])),
    "remove-absent": ("http://e/?a=1", lambda u: u.remove_query_params("z")),
    "repr": ("http://e/p?q=1", repr),
    "repr-masks-password": ("http://u:secret@e/", repr),
    "repr-username-only": ("http://u@e/", repr),
}


@pytest.mark.parametrize(("url", "edit"), URL_EDITS.values(), ids=URL_EDITS)
def test_url_edits_match_starlette(url: str, edit: Callable[[Any], Any]) -> None:
    ours, theirs = edit(URL(url)), edit(reference.URL(url))
    assert str(ours) == str(theirs)
    assert type(ours) is (URL if isinstance(theirs, reference.URL) else str)


def test_url_replace_returns_new_url() -> None:
    url = URL("http://e/p")
    assert url.replace(path="/q") == "http://e/q"
    assert url == "http://e/p"


def test_url_equality_and_hash() -> None:
    url = URL("http://e/p")
    assert url == URL("http://e/p") == "http://e/p"
    assert url != URL("http://e/q")
    assert url != 3
    assert hash(url) == hash(URL("http://e/p")) == hash("http://e/p")
    assert {url: 1}[URL("http://e/p")] == 1


def test_url_repr_keeps_str_intact() -> None:
    url = URL("http://u:secret@e/")
    assert str(url) == "http://u:secret@e/"
    assert repr(url) == "URL('http://u:********@e/')"


def _scope(
    path: str = "/",
    host: bytes | None = b"testserver",
    server: tuple[str, int] | None = ("testserver", 80),
    scheme: str | None = "http",
    query: bytes = b"",
) -> dict[str, Any]:
    scope: dict[str, Any] = {"type": "http", "path": path, "query_string": query, "headers": []}
    if host is not None:
        scope["headers"] = [(b"accept", b"*/*"), (b"host", host), (b"host", b"second")]
    if server is not None:
        scope["server"] = server
    if scheme is not None:
        scope["scheme"] = scheme
    return scope


SCOPES: dict[str, dict[str, Any]] = {
    "host-header": _scope(),
    "host-with-port": _scope(host=b"example.com:8080"),
    "host-case-kept": _scope(host=b"Example.COM"),
    "host-ipv6": _scope(host=b"[::1]:8000"),
    "host-port-leading-zeros": _scope(host=b"h:00080"),
    "host-port-zero": _scope(host=b"h:0"),
    "no-scheme": _scope(scheme=None),
    "server-default-port": _scope(host=None),
    "server-other-port": _scope(host=None, server=("10.0.0.1", 8000)),
    "https-443": _scope(host=None, server=("h", 443), scheme="https"),
    "https-80": _scope(host=None, server=("h", 80), scheme="https"),
    "ws-80": _scope(host=None, server=("h", 80), scheme="ws"),
    "wss-443": _scope(host=None, server=("h", 443), scheme="wss"),
    "server-ipv6": _scope(host=None, server=("::1", 8000)),
    "server-ipv6-default-port": _scope(host=None, server=("::1", 80)),
    "server-ipv6-bracketed": _scope(host=None, server=("[::1]", 8000)),
    "no-host-no-server": _scope(host=None, server=None, query=b"a=1"),
    "no-host-double-slash": _scope(path="//evil.com/x", host=None, server=None),
    "host-double-slash-path": _scope(path="//x"),
    "path-question-hash": _scope(path="/a?b#c"),
    "path-backslash": _scope(path="/a\\b"),
    "path-percent-space": _scope(path="/a b/%"),
    "path-empty": _scope(path=""),
    "query": _scope(query=b"a=1&b=%20&a=2"),
    "query-utf8": _scope(query="é=ü".encode()),
    "bad-host-path": _scope(host=b"evil.com/x?"),
    "bad-host-userinfo": _scope(host=b"u@h"),
    "bad-host-port-range": _scope(host=b"h:99999"),
    "bad-host-port-long": _scope(host=b"h:123456"),
    "bad-host-port-empty": _scope(host=b"h:"),
    "bad-host-empty": _scope(host=b""),
    "bad-host-ipv6": _scope(host=b"[1:2:3]"),
    "bad-host-ipv6-ipv4": _scope(host=b"[1.2.3.4]"),
    "bad-host-space": _scope(host=b"a b"),
    "bad-host-no-server": _scope(host=b"a/b", server=None),
}


@pytest.mark.parametrize("scope", SCOPES.values(), ids=SCOPES)
def test_url_from_scope_matches_starlette(scope: dict[str, Any]) -> None:
    ours = URL(scope=scope)
    assert str(ours) == str(reference.URL(scope=scope))
    ours.components  # noqa: B018 - every URL built from a scope must parse


def test_url_from_scope_invalid_utf8_query_is_replaced() -> None:
    """Starlette raises UnicodeDecodeError here; a bad byte becomes U+FFFD instead."""
    assert URL(scope=_scope(query=b"a=\xff")).query == "a=\ufffd"


# --- Headers --------------------------------------------------------------------------------

RAW = [(b"content-type", b"text/plain"), (b"x-a", b"1"), (b"x-a", b"2"), (b"x-l", b"caf\xe9")]


def test_headers_lookup() -> None:
    headers = Headers(raw=list(RAW))
    assert headers["Content-Type"] == headers["content-type"] == "text/plain"
    assert headers["X-A"] == "1"  # the first of repeated values
    assert headers.getlist("X-a") == ["1", "2"]
    assert headers.getlist("missing") == []
    assert headers["x-l"] == "café"  # latin-1, byte for byte
    assert headers.get("missing") is None
    with pytest.raises(KeyError):
        headers["missing"]


def test_headers_views() -> None:
    headers = Headers(raw=[(b"X-Up", b"1"), *RAW])
    assert headers.keys() == ["x-up", "content-type", "x-a", "x-a", "x-l"]
    assert headers.values() == ["1", "text/plain", "1", "2", "café"]
    assert headers.items()[:2] == [("x-up", "1"), ("content-type", "text/plain")]
    assert list(headers) == headers.keys()
    assert len(headers) == 5
    assert headers.getlist("x-up") == ["1"]
    not_a_name: Any = 3
    assert ("x-up" in headers, "X-UP" in headers, "nope" in headers) == (True, True, False)
    assert not_a_name not in headers
    assert dict(headers) == {"x-up": "1", "content-type": "text/plain", "x-a": "1", "x-l": "café"}


def test_headers_constructors() -> None:
    assert Headers().raw == []
    assert Headers(headers={"X-A": "1", "b": "2"}).raw == [(b"x-a", b"1"), (b"b", b"2")]
    scope = {"headers": ((b"a", b"1"),)}
    from_scope = Headers(scope=scope)
    assert from_scope.raw == [(b"a", b"1")]
    assert isinstance(from_scope.raw, list)
    shared = list(RAW)
    assert Headers(raw=shared).raw is shared


@pytest.mark.parametrize(
    "raw",
    [[], RAW, [(b"a", b"1"), (b"a", b"1")], [(b"empty", b"")]],
    ids=["empty", "mixed", "duplicate", "empty-value"],
)
def test_headers_match_starlette(raw: list[tuple[bytes, bytes]]) -> None:
    ours, theirs = Headers(raw=list(raw)), reference.Headers(raw=list(raw))
    assert (ours.keys(), ours.values(), ours.items()) == (
        theirs.keys(),
        theirs.values(),
        theirs.items(),
    )
    assert (dict(ours), len(ours)) == (dict(theirs), len(theirs))
    for key in {key for key, _ in ours.items()}:
        assert (ours[key.upper()], ours.getlist(key)) == (theirs[key.upper()], theirs.getlist(key))


def test_headers_equality_and_repr() -> None:
    headers = Headers(raw=[(b"a", b"1"), (b"b", b"2")])
    assert headers == Headers(raw=[(b"b", b"2"), (b"a", b"1")])
    assert headers == MutableHeaders(raw=[(b"a", b"1"), (b"b", b"2")])
    assert headers != Headers(raw=[(b"a", b"1")])
    assert headers != {"a": "1", "b": "2"}
    assert repr(headers) == "Headers([('a', '1'), ('b', '2')])"
    with pytest.raises(TypeError):
        hash(headers)


def test_mutablecopy_is_independent() -> None:
    headers = Headers(raw=list(RAW))
    copy = headers.mutablecopy()
    assert isinstance(copy, MutableHeaders)
    assert copy == headers
    copy["x-a"] = "new"
    assert headers.getlist("x-a") == ["1", "2"]
    assert repr(copy).startswith("MutableHeaders([")


# --- MutableHeaders -------------------------------------------------------------------------


def test_setitem_replaces_first_occurrence_and_drops_repeats() -> None:
    headers = MutableHeaders(raw=[(b"x-a", b"1"), (b"b", b"2"), (b"x-a", b"3"), (b"c", b"4")])
    headers["X-A"] = "new"
    assert headers.raw == [(b"x-a", b"new"), (b"b", b"2"), (b"c", b"4")]
    headers["d"] = "5"
    assert headers.raw[-1] == (b"d", b"5")


def test_setitem_matches_stored_names_in_any_case() -> None:
    headers = MutableHeaders(raw=[(b"X-A", b"1")])
    headers["x-a"] = "2"
    assert headers.raw == [(b"x-a", b"2")]
    del headers["X-a"]
    assert headers.raw == []


def test_mutations_refresh_lookups() -> None:
    headers = MutableHeaders()
    headers.append("a", "1")
    assert headers["a"] == "1"
    headers.append("A", "2")
    assert (headers["a"], headers.getlist("a")) == ("1", ["1", "2"])
    headers["a"] = "3"
    assert headers["a"] == "3"
    del headers["a"]
    assert "a" not in headers
    del headers["a"]  # COMPAT: deleting a missing header is silently ignored
    assert headers.raw == []


def test_setdefault_update_and_writes_through() -> None:
    raw = [(b"a", b"1")]
    headers = MutableHeaders(raw=raw)
    assert headers.setdefault("A", "other") == "1"
    assert headers.setdefault("b", "2") == "2"
    headers.update({"a": "3", "c": "4"})
    assert raw == [(b"a", b"3"), (b"b", b"2"), (b"c", b"4")]  # the given list, changed in place


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([], "origin"),
        ([(b"vary", b"accept")], "accept, origin"),
        ([(b"vary", b"a"), (b"x", b"1"), (b"vary", b"b")], "a, b, origin"),
    ],
    ids=["none", "one", "repeated"],
)
def test_add_vary_header(raw: list[tuple[bytes, bytes]], expected: str) -> None:
    headers = MutableHeaders(raw=list(raw))
    headers.add_vary_header("origin")
    assert headers.getlist("vary") == [expected]
    theirs = reference.MutableHeaders(raw=list(raw))
    theirs.add_vary_header("origin")
    assert headers.raw == theirs.raw


Op = tuple[str, tuple[Any, ...]]
HEADER_OPS: dict[str, list[Op]] = {
    "set-new": [("__setitem__", ("x", "1"))],
    "set-repeated": [
        ("append", ("x", "1")),
        ("append", ("y", "2")),
        ("append", ("x", "3")),
        ("__setitem__", ("X", "4")),
    ],
    "delete": [("append", ("x", "1")), ("append", ("x", "2")), ("__delitem__", ("X",))],
    "setdefault": [("setdefault", ("x", "1")), ("setdefault", ("x", "2"))],
    "update": [("append", ("b", "0")), ("update", ({"a": "u", "b": "v"},))],
    "vary": [("add_vary_header", ("a",)), ("add_vary_header", ("b",))],
}


@pytest.mark.parametrize("ops", HEADER_OPS.values(), ids=HEADER_OPS)
def test_mutable_headers_match_starlette(ops: list[Op]) -> None:
    ours = MutableHeaders(raw=[(b"a", b"0")])
    theirs = reference.MutableHeaders(raw=[(b"a", b"0")])
    for name, args in ops:
        assert getattr(ours, name)(*args) == getattr(theirs, name)(*args)
    assert ours.raw == theirs.raw


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("x", "a\r\nset-cookie: evil=1"),
        ("x", "a\nb"),
        ("x", "a\rb"),
        ("x", "a\0b"),
        ("x\r\ny", "1"),
        ("x\0", "1"),
        ("", "1"),
    ],
    ids=["crlf-value", "lf-value", "cr-value", "nul-value", "crlf-name", "nul-name", "empty-name"],
)
def test_header_injection_is_refused(name: str, value: str) -> None:
    with pytest.raises(ValueError, match="invalid header"):
        encode_header(name, value)
    headers = MutableHeaders()
    for write in (headers.__setitem__, headers.append, headers.setdefault):
        with pytest.raises(ValueError):
            write(name, value)
    with pytest.raises(ValueError):
        Headers(headers={name: value})
    assert headers.raw == []


def test_encode_header() -> None:
    assert encode_header("X-Name", "café") == (b"x-name", b"caf\xe9")


# --- ImmutableMultiDict and QueryParams -----------------------------------------------------


def test_multi_dict() -> None:
    values = ImmutableMultiDict([("a", 1), ("b", 2), ("a", 3)])
    assert (values["a"], values.getlist("a"), values.getlist("z")) == (3, [1, 3], [])
    assert values.multi_items() == [("a", 1), ("b", 2), ("a", 3)]
    assert (list(values), len(values), "b" in values, "z" in values) == (["a", "b"], 2, True, False)
    assert dict(values.items()) == {"a": 3, "b": 2}
    assert repr(values) == "ImmutableMultiDict([('a', 1), ('b', 2), ('a', 3)])"
    assert ImmutableMultiDict({"x": 1}).multi_items() == [("x", 1)]
    assert ImmutableMultiDict(values).multi_items() == values.multi_items()
    assert ImmutableMultiDict().multi_items() == []


def test_multi_dict_equality() -> None:
    values = ImmutableMultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert values == ImmutableMultiDict([("b", "2"), ("a", "1"), ("a", "3")])
    assert values != ImmutableMultiDict([("a", "3"), ("b", "2"), ("a", "1")])  # values in order
    assert values != ImmutableMultiDict([("a", "1"), ("b", "2")])
    assert values != {"a": "3", "b": "2"}
    unorderable = [("f", object()), ("f", object())]
    assert ImmutableMultiDict(unorderable) == ImmutableMultiDict(unorderable)
    with pytest.raises(TypeError):
        hash(values)


@pytest.mark.parametrize(
    ("left", "right"),
    [("a=1&b=2", "b=2&a=1"), ("a=1&a=2", "a=2&a=1"), ("a=1", "a=1&a=1"), ("a=1", "a=1")],
    ids=["keys-reordered", "values-reordered", "extra-value", "same"],
)
def test_query_params_equality_matches_starlette(left: str, right: str) -> None:
    ours = QueryParams(left) == QueryParams(right)
    assert ours is (reference.QueryParams(left) == reference.QueryParams(right))


QUERIES: dict[str, str | bytes | list[tuple[str, str]]] = {
    "empty": "",
    "repeated": "a=1&a=2&b=3",
    "blank": "a=&b&c=1",
    "escapes": "q=a+b%26c&%C3%A9=%E2%82%AC",
    "bytes": b"a=1&x=%20",
    "latin-1-bytes": b"a=caf\xe9",
    "list": [("a", "1"), ("a", "2"), ("b", "x y")],
    "semicolon": "a=1;b=2",
    "empty-fields": "&&a=1&&=&=x&",
    "equals-in-value": "a==b=c&+=+",
    "bad-escapes": "a=%zz%2&b%=%e9&%C3%A9%=1",
    "plus-and-escaped-plus": "q=1+1%2B2&x+y=z",
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES)
def test_query_params_match_starlette(query: Any) -> None:
    ours, theirs = QueryParams(query), reference.QueryParams(query)
    assert ours.multi_items() == theirs.multi_items()
    assert dict(ours) == dict(theirs)
    assert str(ours) == str(theirs)
    for key in ours:
        assert (ours[key], ours.getlist(key)) == (theirs[key], theirs.getlist(key))


def test_query_params_from_other_types() -> None:
    assert QueryParams("a=1&a=2&b=")["a"] == "2"  # COMPAT: the last value wins
    assert QueryParams("a=1&a=2&b=")["b"] == ""
    assert QueryParams([("a", 1), ("b", True)]).multi_items() == [("a", "1"), ("b", "True")]
    assert QueryParams({"page": 2})["page"] == "2"
    original = QueryParams("a=1&a=2")
    assert QueryParams(original).getlist("a") == ["1", "2"]
    assert QueryParams() == QueryParams("") == QueryParams(b"")
    assert str(QueryParams([("k", "a b"), ("k", "é")])) == "k=a+b&k=%C3%A9"
    assert repr(QueryParams("a=1")) == "QueryParams([('a', '1')])"


# --- State, Address, URLPath ----------------------------------------------------------------


def test_state_attribute_access() -> None:
    backing: dict[str, Any] = {"db": "pool"}
    state = State(backing)
    assert state.db == "pool"
    state.user = "ann"
    assert backing == {"db": "pool", "user": "ann"}
    del state.db
    assert backing == {"user": "ann"}
    assert getattr(state, "db", None) is None
    assert hasattr(state, "user")


def test_state_errors_match_starlette() -> None:
    for state in (State(), reference.State()):
        with pytest.raises(AttributeError, match=r"^'State' object has no attribute 'missing'$"):
            state.missing  # noqa: B018
        with pytest.raises(KeyError):  # COMPAT: deleting a missing attribute is a KeyError
            del state.missing


def test_state_instances_do_not_share_storage() -> None:
    first, second = State(), State()
    first.x = 1
    assert not hasattr(second, "x")


def test_address() -> None:
    address = Address("127.0.0.1", 50000)
    assert (address.host, address.port) == address == ("127.0.0.1", 50000)


ABSOLUTE_URLS: dict[str, tuple[str, str, str | URL, str]] = {
    "http": ("/x", "http", "http://e/", "http://e/x"),
    "http-secure": ("/x", "http", "https://e", "https://e/x"),
    "http-from-ws-base": ("/x", "http", "ws://e/", "http://e/x"),
    "http-from-wss-base": ("/x", "http", "wss://e/", "https://e/x"),
    "websocket": ("/x", "websocket", "http://e:8000/root/", "ws://e:8000/root/x"),
    "websocket-secure": ("/x", "websocket", URL("https://e/root"), "wss://e/root/x"),
    "no-protocol": ("/x", "", "ws://e/", "ws://e/x"),
    "double-slash": ("//evil.com", "http", "http://e/", "http://e/%2Fevil.com"),
    "backslash": ("/a\\b", "http", "http://e/", "http://e/a%5Cb"),
    "userinfo": ("/x", "http", "http://u:p@e/", "http://u:p@e/x"),
}


@pytest.mark.parametrize(
    ("path", "protocol", "base", "expected"), ABSOLUTE_URLS.values(), ids=ABSOLUTE_URLS
)
def test_make_absolute_url_matches_starlette(
    path: str, protocol: str, base: str | URL, expected: str
) -> None:
    ours = URLPath(path, protocol).make_absolute_url(base)
    assert isinstance(ours, URL)
    assert ours == expected
    starlette_path: Any = reference.URLPath  # its protocol argument is a Literal
    theirs = starlette_path(path, protocol).make_absolute_url(str(base))
    assert str(ours) == str(theirs)


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/a/b", "/a/b"), ("//evil.com/x", "/%2Fevil.com/x"), ("/\\evil.com", "/%5Cevil.com")],
    ids=["plain", "double-slash", "backslash"],
)
def test_url_path_escapes_what_would_leave_the_site(path: str, expected: str) -> None:
    url_path = URLPath(path, "websocket")
    assert (url_path, url_path.protocol) == (expected, "websocket")
    assert str(url_path) == str(reference.URLPath(path))
    assert URLPath(path).protocol == ""


def test_multidict_changes_as_starlettes() -> None:
    """The same edits on minifast's and Starlette's MultiDict leave the same items."""
    from starlette.datastructures import MultiDict as Reference

    from minifast.datastructures import MultiDict

    def edit(cls: Any) -> list[Any]:
        data = cls([("a", "1"), ("b", "2"), ("a", "3")])
        seen: list[Any] = [data["a"], data.getlist("a")]
        data["a"] = "4"
        data.append("c", "5")
        data.append("c", "6")
        seen += [data.pop("b"), data.pop("missing", "x"), data.poplist("c"), data.poplist("no")]
        seen += [data.setdefault("d", "7"), data.setdefault("a", "8")]
        data.setlist("e", ["9", "10"])
        data.setlist("d", [])
        data.update([("e", "11")], f="12")
        seen.append(sorted(data.multi_items()))
        del data["f"]
        seen.append(data.popitem())
        data.clear()
        seen.append(data.multi_items())
        return seen

    assert edit(MultiDict) == edit(Reference)
