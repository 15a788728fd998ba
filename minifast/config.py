# How configuration works: a `Config` answers `config("NAME", cast=int, default=3)` from the
# process environment first, then from the KEY=VALUE lines of an optional .env file (read once,
# when the Config is made), then from the default; the prefix is put before every name. The
# value found, a string, or the default, goes through `cast`; a failed cast names the setting
# and its value. The module's `environ` watches os.environ: once a setting was read from it,
# changing that variable raises, since the Config that read it would now disagree with it.
# COMPAT: names, messages, the bool spellings and the .env rules are Starlette's.
"""`Config`: application settings from the environment or a .env file, cast on the way out."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, overload

_T = TypeVar("_T")
_D = TypeVar("_D")

# COMPAT: the only spellings of a bool setting, compared lowercased.
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_QUOTES = ("'", '"')


class undefined:  # COMPAT: Starlette's name, and a class, as there
    """The default of `Config.get` that means "no default: the setting is required"."""


class EnvironError(Exception):
    """An environment variable was changed after a setting was read from it."""


class Environ(MutableMapping[str, str]):
    """os.environ (or another mapping) that refuses changes to the variables already read."""

    def __init__(self, environ: MutableMapping[str, str] = os.environ) -> None:
        self._environ = environ
        # Every name looked up, found or not: `name in environ` also counts as a read.
        self._read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self._read.add(key)
        return self._environ[key]

    def __setitem__(self, key: str, value: str) -> None:
        self._refuse_if_read(key, "set")
        self._environ[key] = value

    def __delitem__(self, key: str) -> None:
        self._refuse_if_read(key, "delete")
        del self._environ[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._environ)

    def __len__(self) -> int:
        return len(self._environ)

    def _refuse_if_read(self, key: str, action: str) -> None:
        if key in self._read:
            raise EnvironError(
                f"Attempting to {action} environ['{key}'], but the value has already been read."
            )


environ = Environ()


class Config:
    """Settings looked up by name: environment first, then the .env file, then the default."""

    def __init__(
        self,
        env_file: str | Path | None = None,
        environ: Mapping[str, str] = environ,
        env_prefix: str = "",
        encoding: str = "utf-8",
    ) -> None:
        self.environ = environ
        self.env_prefix = env_prefix
        self.file_values: dict[str, str] = {}
        if env_file is None:
            return
        if os.path.isfile(env_file):
            self.file_values = _read_env_file(env_file, encoding)
        else:
            # COMPAT: a missing file is not an error, as in Starlette: only a warning.
            warnings.warn(f"Config file '{env_file}' not found.", stacklevel=2)

    @overload
    def __call__(
        self, key: str, cast: None = None, default: str | type[undefined] = undefined
    ) -> str: ...
    @overload
    def __call__(self, key: str, cast: None = None, *, default: _D) -> str | _D: ...
    @overload
    def __call__(self, key: str, cast: Callable[[Any], _T], default: Any = undefined) -> _T: ...
    def __call__(
        self, key: str, cast: Callable[[Any], Any] | None = None, default: Any = undefined
    ) -> Any:
        return self.get(key, cast, default)

    @overload
    def get(
        self, key: str, cast: None = None, default: str | type[undefined] = undefined
    ) -> str: ...
    @overload
    def get(self, key: str, cast: None = None, *, default: _D) -> str | _D: ...
    @overload
    def get(self, key: str, cast: Callable[[Any], _T], default: Any = undefined) -> _T: ...
    def get(
        self, key: str, cast: Callable[[Any], Any] | None = None, default: Any = undefined
    ) -> Any:
        """The setting `env_prefix + key`, cast; KeyError when it is missing with no default."""
        name = self.env_prefix + key
        if name in self.environ:
            return _cast(name, self.environ[name], cast)
        if name in self.file_values:
            return _cast(name, self.file_values[name], cast)
        if default is not undefined:
            # COMPAT: the default is cast too, so `default="3", cast=int` gives 3.
            return _cast(name, default, cast)
        raise KeyError(f"Config '{name}' is missing, and has no default.")


def _read_env_file(path: str | Path, encoding: str) -> dict[str, str]:
    """The KEY=VALUE lines of a .env file; later lines win.

    COMPAT: Starlette's rules: a line without "=" or starting with "#" is skipped, key and
    value are stripped, and one pair of matching quotes around the whole value is removed.
    Nothing else is interpreted: no `export`, escapes or trailing comments.
    """
    values: dict[str, str] = {}
    with open(path, encoding=encoding) as lines:
        for line in lines:
            key, separator, value = line.strip().partition("=")
            if separator and not key.startswith("#"):
                values[key.strip()] = _unquoted(value.strip())
    return values


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value.startswith(_QUOTES):
        return value[1:-1]
    return value


def _cast(name: str, value: Any, cast: Callable[[Any], Any] | None) -> Any:
    """`cast(value)`, or ValueError naming the setting and its value; None is never cast."""
    if cast is None or value is None:
        return value
    if cast is bool and isinstance(value, str):
        # COMPAT: bool("false") would be True; a string setting must spell its truth.
        spelled = value.lower()
        if spelled not in _BOOLEANS:
            raise ValueError(f"Config '{name}' has value '{spelled}'. Not a valid bool.")
        return _BOOLEANS[spelled]
    try:
        return cast(value)
    except (TypeError, ValueError) as error:
        cast_name = getattr(cast, "__name__", type(cast).__name__)
        raise ValueError(
            f"Config '{name}' has value '{value}'. Not a valid {cast_name}."
        ) from error


class CommaSeparatedStrings(Sequence[str]):
    """A list of strings given as one comma-separated string, as in a setting `A, B, 'C, D'`.

    COMPAT: split as Starlette splits it, by a POSIX shell lexer whose only separator is the
    comma: quotes keep commas inside an item, a backslash escapes, `#` starts a comment, empty
    items vanish and each item loses its surrounding whitespace.
    """

    __slots__ = ("_items",)

    def __init__(self, value: str | Sequence[str]) -> None:
        self._items = _split_on_commas(value) if isinstance(value, str) else list(value)

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._items[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"

    def __str__(self) -> str:
        return ", ".join(repr(item) for item in self._items)


def _split_on_commas(value: str) -> list[str]:
    # PERF: shlex is imported by the first string split, not with minifast.
    import shlex

    lexer = shlex.shlex(value, posix=True)
    lexer.whitespace, lexer.whitespace_split = ",", True
    return [item.strip() for item in lexer]


class Secret:
    """A setting that must not leak into logs: its repr hides it, `str()` reveals it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return f"{type(self).__name__}('**********')"

    def __str__(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)
