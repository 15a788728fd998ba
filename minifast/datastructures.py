"""Small containers requests and responses are made of: URL, headers, query params, state."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from minifast.types import RawHeaders, Scope

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class Address(NamedTuple):
    host: str
    port: int


class URL:
    """A parsed URL; built from a string, or from an ASGI scope the way a client sent it."""

    __slots__ = ("_parts", "_url")

    def __init__(self, url: str = "", scope: Scope | None = None) -> None:
        if scope is not None:
            url = _url_from_scope(scope)
        self._url = url
        self._parts: SplitResult | None = None

    @property
    def components(self) -> SplitResult:
        if self._parts is None:
            self._parts = urlsplit(self._url)
        return self._parts

    scheme = property(lambda self: self.components.scheme)
    netloc = property(lambda self: self.components.netloc)
    path = property(lambda self: self.components.path)
    query = property(lambda self: self.components.query)
    fragment = property(lambda self: self.components.fragment)
    username = property(lambda self: self.components.username)
    password = property(lambda self: self.components.password)
    hostname = property(lambda self: self.components.hostname)
    port = property(lambda self: self.components.port)

    @property
    def is_secure(self) -> bool:
        return self.scheme in ("https", "wss")

    def replace(self, **changes: Any) -> URL:
        """A copy with some components changed; `hostname` and `port` rebuild the netloc."""
        if {"hostname", "port", "username", "password"} & changes.keys():
            changes["netloc"] = _netloc(self, changes)
        return URL(self.components._replace(**changes).geturl())

    def include_query_params(self, **params: Any) -> URL:
        query = dict(parse_qsl(self.query, keep_blank_values=True))
        query.update({key: str(value) for key, value in params.items()})
        return self.replace(query=urlencode(query))

    def remove_query_params(self, keys: str | Sequence[str]) -> URL:
        drop = {keys} if isinstance(keys, str) else set(keys)
        pairs = parse_qsl(self.query, keep_blank_values=True)
        return self.replace(query=urlencode([pair for pair in pairs if pair[0] not in drop]))

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self._url)

    def __str__(self) -> str:
        return self._url

    def __repr__(self) -> str:
        return f"URL({self._url!r})"


def _netloc(url: URL, changes: dict[str, Any]) -> str:
    hostname = changes.pop("hostname", url.hostname) or ""
    port = changes.pop("port", url.port)
    username = changes.pop("username", url.username)
    password = changes.pop("password", url.password)
    if ":" in hostname:
        hostname = f"[{hostname}]"
    netloc = hostname if port is None else f"{hostname}:{port}"
    if username is not None:
        userinfo = username if password is None else f"{username}:{password}"
        netloc = f"{userinfo}@{netloc}"
    return netloc


def _url_from_scope(scope: Scope) -> str:
    """Rebuild the URL the client asked for: Host header first, else the server address."""
    scheme = scope.get("scheme", "http")
    # ASGI: `path` is already percent-decoded; re-escape what would change the URL's shape.
    path = scope["path"].replace("?", "%3F").replace("#", "%23")
    host = _header(scope, b"host")
    if host is None and scope.get("server") is not None:
        name, port = scope["server"]
        name = f"[{name}]" if ":" in name else name
        host = name if port == _DEFAULT_PORTS.get(scheme) else f"{name}:{port}"
    query = scope.get("query_string", b"").decode("latin-1")
    url = f"{scheme}://{host}{path}" if host is not None else path
    return f"{url}?{query}" if query else url


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class Headers(Mapping[str, str]):
    """Case-insensitive, multi-valued, read-only headers over the raw ASGI list.

    The raw list is kept as the server sent it; a lookup dict is built on first use only.
    """

    __slots__ = ("_lookup", "raw")

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        raw: RawHeaders | None = None,
        scope: Scope | None = None,
    ) -> None:
        if scope is not None:
            raw = list(scope["headers"])
        elif headers is not None:
            raw = [encode_header(key, value) for key, value in headers.items()]
        # A given raw list is shared, not copied: a response's `headers` view writes through.
        self.raw: RawHeaders = raw if raw is not None else []
        self._lookup: dict[str, str] | None = None

    def _dict(self) -> dict[str, str]:
        if self._lookup is None:
            lookup: dict[str, str] = {}
            # COMPAT: with repeated names, a plain lookup answers the first value.
            for key, value in reversed(self.raw):
                lookup[key.decode("latin-1").lower()] = value.decode("latin-1")
            self._lookup = lookup
        return self._lookup

    def getlist(self, key: str) -> list[str]:
        name = key.lower().encode("latin-1")
        return [value.decode("latin-1") for raw_key, value in self.raw if raw_key.lower() == name]

    def keys(self) -> list[str]:  # type: ignore[override]
        return [key.decode("latin-1").lower() for key, _ in self.raw]

    def values(self) -> list[str]:  # type: ignore[override]
        return [value.decode("latin-1") for _, value in self.raw]

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return [(key.decode("latin-1").lower(), value.decode("latin-1")) for key, value in self.raw]

    def mutablecopy(self) -> MutableHeaders:
        return MutableHeaders(raw=list(self.raw))

    def __getitem__(self, key: str) -> str:
        return self._dict()[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._dict()

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.raw)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and sorted(self.raw) == sorted(other.raw)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.items()!r})"


def encode_header(name: str, value: str) -> tuple[bytes, bytes]:
    """One header as ASGI bytes, refusing CR, LF and NUL, which would split the response."""
    if _UNSAFE.intersection(name) or _UNSAFE.intersection(value) or not name:
        raise ValueError(f"invalid header {name!r}: {value!r}")
    return name.lower().encode("latin-1"), value.encode("latin-1")


_UNSAFE = frozenset("\r\n\0")


class MutableHeaders(Headers):
    """Headers a response can change; writes go straight to the raw list it will send."""

    __slots__ = ()

    def __setitem__(self, key: str, value: str) -> None:
        name, encoded = encode_header(key, value)
        # The first occurrence takes the new value in place; later repeats are dropped.
        kept: RawHeaders = []
        replaced = False
        for raw_key, raw_value in self.raw:
            if raw_key.lower() != name:
                kept.append((raw_key, raw_value))
            elif not replaced:
                kept.append((name, encoded))
                replaced = True
        if not replaced:
            kept.append((name, encoded))
        self.raw[:] = kept
        self._lookup = None

    def __delitem__(self, key: str) -> None:
        name = key.lower().encode("latin-1")
        self.raw[:] = [(k, v) for k, v in self.raw if k.lower() != name]
        self._lookup = None

    def setdefault(self, key: str, value: str) -> str:
        if key not in self:
            self[key] = value
            return value
        return self[key]

    def append(self, key: str, value: str) -> None:
        self.raw.append(encode_header(key, value))
        self._lookup = None

    def update(self, other: Mapping[str, str]) -> None:
        for key, value in other.items():
            self[key] = value

    def add_vary_header(self, vary: str) -> None:
        existing = self.get("vary")
        self["vary"] = vary if existing is None else f"{existing}, {vary}"


class ImmutableMultiDict(Mapping[str, Any]):
    """A read-only mapping that keeps every value of a repeated key, in order."""

    __slots__ = ("_items", "_last")

    def __init__(self, items: Iterable[tuple[str, Any]] | Mapping[str, Any] = ()) -> None:
        pairs = list(items.items()) if isinstance(items, Mapping) else list(items)
        self._items: list[tuple[str, Any]] = pairs
        # COMPAT: a plain lookup of a repeated key answers its last value.
        self._last: dict[str, Any] = dict(pairs)

    def getlist(self, key: str) -> list[Any]:
        return [value for item_key, value in self._items if item_key == key]

    def multi_items(self) -> list[tuple[str, Any]]:
        return list(self._items)

    def __getitem__(self, key: str) -> Any:
        return self._last[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ImmutableMultiDict) and sorted(self._items) == sorted(other._items)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


class QueryParams(ImmutableMultiDict):
    """The query string as a multi-dict; parsed once, when built."""

    __slots__ = ()

    def __init__(self, query: str | bytes | Iterable[tuple[str, Any]] = "") -> None:
        if isinstance(query, bytes):
            query = query.decode("latin-1")
        if isinstance(query, str):
            query = parse_qsl(query, keep_blank_values=True)
        super().__init__(query)

    def __str__(self) -> str:
        return urlencode(self._items)


class State:
    """An attribute bag: `app.state.db = pool`, `request.state.user = user`."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        super().__setattr__("_state", state if state is not None else {})

    def __setattr__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def __getattr__(self, key: str) -> Any:
        try:
            return self._state[key]
        except KeyError:
            message = f"'{type(self).__name__}' object has no attribute '{key}'"
            raise AttributeError(message) from None

    def __delattr__(self, key: str) -> None:
        del self._state[key]


class URLPath(str):
    """A path built by `url_path_for`; `make_absolute_url` puts it under a base URL."""

    protocol: str

    def __new__(cls, path: str, protocol: str = "") -> URLPath:
        instance = super().__new__(cls, path)
        instance.protocol = protocol
        return instance

    def make_absolute_url(self, base_url: str | URL) -> URL:
        base = base_url if isinstance(base_url, URL) else URL(base_url)
        scheme = base.scheme
        if self.protocol == "websocket":
            scheme = "wss" if base.is_secure else "ws"
        path = base.path.rstrip("/") + str(self)
        return URL(f"{scheme}://{base.netloc}{path}")
