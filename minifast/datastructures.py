"""Small containers requests and responses are made of: URL, headers, query params, state, forms."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from operator import itemgetter
from tempfile import SpooledTemporaryFile
from typing import IO, Any, NamedTuple, TypeVar, overload
from urllib.parse import urlencode

from minifast._url import URL as URL
from minifast._url import URLPath as URLPath
from minifast._url import parse_query
from minifast.concurrency import run_in_threadpool
from minifast.config import CommaSeparatedStrings as CommaSeparatedStrings
from minifast.config import Secret as Secret
from minifast.types import RawHeaders, Scope

_T = TypeVar("_T")
DefaultType = TypeVar("DefaultType")


class Address(NamedTuple):
    host: str
    port: int


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
            # COMPAT: the list is put back into the scope (or message) it came from, so that a
            # MutableHeaders over a request scope or a response-start message writes through.
            raw = scope["headers"] = list(scope["headers"])
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

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str | _T) -> str | _T: ...
    def get(self, key: str, default: Any = None) -> Any:
        # PERF: one dict lookup; Mapping.get goes through __getitem__ and a KeyError when the
        # name is absent: 0.5 -> 0.1 µs for an absent header.
        return self._dict().get(key.lower(), default)

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
        # Every Vary line is folded in: setting "vary" drops the repeats.
        self["vary"] = ", ".join([*self.getlist("vary"), vary])


class ImmutableMultiDict(Mapping[str, Any]):
    """A read-only mapping that keeps every value of a repeated key, in order."""

    __slots__ = ("_items", "_last")

    def __init__(self, items: Iterable[tuple[str, Any]] | Mapping[str, Any] = ()) -> None:
        if isinstance(items, ImmutableMultiDict):
            pairs = items.multi_items()  # every value of a repeated key, not just the last
        else:
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

    def get(self, key: str, default: Any = None) -> Any:
        return self._last.get(key, default)  # PERF: as Headers.get

    def __contains__(self, key: object) -> bool:
        return key in self._last

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImmutableMultiDict):
            return False
        # COMPAT: keys in any order, but a key's values in order; values need not be orderable.
        return sorted(self._items, key=itemgetter(0)) == sorted(other._items, key=itemgetter(0))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


class MultiDict(ImmutableMultiDict):
    """An ImmutableMultiDict that can be changed: setting a key replaces all its values."""

    __slots__ = ()

    def __setitem__(self, key: str, value: Any) -> None:
        self.setlist(key, [value])

    def __delitem__(self, key: str) -> None:
        self._items = [(k, v) for k, v in self._items if k != key]
        del self._last[key]

    def pop(self, key: str, *default: Any) -> Any:
        if key not in self._last and default:
            return default[0]
        value = self._last[key]
        del self[key]
        return value

    def popitem(self) -> tuple[str, Any]:
        key, value = next(reversed(self._last.items()))  # the last key set, as dict.popitem
        del self[key]
        return key, value

    def poplist(self, key: str) -> list[Any]:
        values = self.getlist(key)
        if key in self._last:
            del self[key]
        return values

    def clear(self) -> None:
        self._items, self._last = [], {}

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self.append(key, default)
        return self[key]

    def setlist(self, key: str, values: list[Any]) -> None:
        if not values:
            self.poplist(key)
            return
        self._items = [(k, v) for k, v in self._items if k != key]
        self._items.extend((key, value) for value in values)
        self._last[key] = values[-1]

    def append(self, key: str, value: Any) -> None:
        self._items.append((key, value))
        self._last[key] = value

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Replace the keys given with their new values (every value of a repeated one)."""
        given = MultiDict(args[0] if args else ())
        for key, value in kwargs.items():
            given.append(key, value)
        keys = set(given.keys())
        self._items = [(k, v) for k, v in self._items if k not in keys]
        self._items.extend(given.multi_items())
        self._last.update(given._last)


class QueryParams(ImmutableMultiDict):
    """The query string as a multi-dict; parsed once, when built."""

    __slots__ = ()

    def __init__(
        self, query: str | bytes | Iterable[tuple[str, Any]] | Mapping[str, Any] = ""
    ) -> None:
        if isinstance(query, bytes):
            query = query.decode("latin-1")
        if isinstance(query, str):
            # PERF: the parsed pairs go in as they are: the base class's checks of what it was
            # given (abstract Mapping isinstance checks) cost more than parsing, -0.2 µs.
            self._items = parse_query(query)
            self._last = dict(self._items)
        else:  # COMPAT: keys and values given as other types are kept as strings.
            pairs = ImmutableMultiDict(query).multi_items()
            super().__init__([(str(key), str(value)) for key, value in pairs])

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


# An upload stays in memory up to this size, then the spooled file moves to a temporary file.
SPOOL_MAX_SIZE = 1024 * 1024


def spooled_file() -> SpooledTemporaryFile[bytes]:
    """Where an uploaded file's content goes: memory first, a temporary file past 1 MiB."""
    return SpooledTemporaryFile(max_size=SPOOL_MAX_SIZE)


class UploadFile:
    """An uploaded file: its name, headers, size, and its content in a spooled file.

    The async methods work on the event loop while the content is in memory and move to the
    thread pool once it has rolled to disk, where each call may block.
    """

    def __init__(
        self,
        file: IO[bytes],
        *,
        size: int | None = None,
        filename: str | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.file = file
        self.size = size
        self.filename = filename
        self.headers = headers if headers is not None else Headers()

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def _in_memory(self) -> bool:
        # A file object we did not make counts as on disk: better a thread than a blocked loop.
        return not getattr(self.file, "_rolled", True)

    async def write(self, data: bytes) -> None:
        self.size = (self.size or 0) + len(data)
        if self._in_memory:
            self.file.write(data)
        else:
            await run_in_threadpool(self.file.write, data)

    async def read(self, size: int = -1) -> bytes:
        if self._in_memory:
            return self.file.read(size)
        return await run_in_threadpool(self.file.read, size)

    async def seek(self, offset: int) -> None:
        if self._in_memory:
            self.file.seek(offset)
        else:
            await run_in_threadpool(self.file.seek, offset)

    async def close(self) -> None:
        if self._in_memory:
            self.file.close()
        else:
            await run_in_threadpool(self.file.close)

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(filename={self.filename!r}, size={self.size!r}, headers={self.headers!r})"

    # The two hooks pydantic calls when a model or endpoint declares an UploadFile. They speak
    # its protocol with plain dicts, so this toolkit module imports nothing of pydantic.
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> dict[str, Any]:
        return {
            "type": "function-plain",
            "function": {"type": "no-info", "function": _validate_upload},
        }

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        # COMPAT: FastAPI documents an upload as raw bytes, like `bytes` (see openapi/_schemas.py).
        return {"type": "string", "contentMediaType": "application/octet-stream"}


def _validate_upload(value: Any) -> UploadFile:
    if not isinstance(value, UploadFile):
        # COMPAT: FastAPI's wording, so a text field sent where a file is expected reads alike.
        raise ValueError(f"Expected UploadFile, received: {type(value)}")
    return value


class FormData(ImmutableMultiDict):
    """A parsed form: each field a `str`, each file an `UploadFile`, every repeat kept."""

    __slots__ = ()

    async def close(self) -> None:
        """Close every uploaded file, so spooled temporary files are removed."""
        for _, value in self._items:
            if isinstance(value, UploadFile):
                await value.close()


# 100 MiB: ten times the default body limit, so it binds only where a route raises or lifts
# that limit; a spooled file is on disk past 1 MiB, so this caps the disk one upload may use.
DEFAULT_MAX_FILE_SIZE = 100 * 1024 * 1024


class FormLimits(NamedTuple):
    """How much one form may hold; past any of these the request is refused.

    PERF: a NamedTuple, not a dataclass: nothing to compile from source, -0.35 ms of start-up.
    """

    max_files: int = 1000
    max_fields: int = 1000
    max_part_size: int = 1024 * 1024  # one text field, in bytes
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # one uploaded file, in bytes


class DefaultPlaceholder:
    """A default value marked as such, so that code can tell it from one the user passed.

    FastAPI's options take `Default(x)` to mean "x, unless something more specific is set";
    extensions (GraphQL routers, for one) pass such values to routers.
    """

    def __init__(self, value: Any) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return bool(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DefaultPlaceholder) and other.value == self.value

    __hash__ = None  # type: ignore[assignment]  # equal by value, and the value may change


def Default(value: DefaultType) -> DefaultType:
    """`value` wrapped as a DefaultPlaceholder, typed as the value for the option it fills."""
    return DefaultPlaceholder(value)  # type: ignore[return-value]
