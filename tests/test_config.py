"""Config, Environ and the casts Secret and CommaSeparatedStrings, checked against Starlette's."""

from __future__ import annotations

import functools
import os
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from minifast import config as ours
from minifast.config import CommaSeparatedStrings, Config, Environ, EnvironError, Secret, environ
from tests.support import import_from

BOTH = ["minifast", "starlette"]


def config_module(name: str) -> types.ModuleType:
    """`minifast.config` or `starlette.config`: the same calls go to either."""
    return import_from(name, "config")


def outcome(call: Callable[[], Any]) -> tuple[str, str]:
    """What a call gave, comparable across frameworks: the value's type and repr, or the
    exception's type and message."""
    try:
        value = call()
    except Exception as error:
        return type(error).__name__, str(error)
    return type(value).__name__, repr(value)


def same_outcome(call: Callable[[types.ModuleType], Any]) -> tuple[str, str]:
    expected = outcome(lambda: call(config_module("starlette")))
    result = outcome(lambda: call(config_module("minifast")))
    assert result == expected
    return result


# --- Config lookups ---------------------------------------------------------------------------

ENVIRON = {"NAME": "minifast", "PORT": "8000", "DEBUG": "TRUE", "HOSTS": "a, 'b, c'", "BAD": "12a"}

LOOKUPS: list[tuple[str, str, dict[str, Any], tuple[str, str]]] = [
    ("found", "NAME", {}, ("str", "'minifast'")),
    ("missing", "NOPE", {}, ("KeyError", "\"Config 'NOPE' is missing, and has no default.\"")),
    ("default", "NOPE", {"default": "x"}, ("str", "'x'")),
    ("default-none", "NOPE", {"default": None, "cast": int}, ("NoneType", "None")),
    ("default-is-cast", "NOPE", {"default": "3", "cast": int}, ("int", "3")),
    ("env-beats-default", "PORT", {"default": "1", "cast": int}, ("int", "8000")),
    ("int", "PORT", {"cast": int}, ("int", "8000")),
    ("float", "PORT", {"cast": float}, ("float", "8000.0")),
    (
        "not-int",
        "BAD",
        {"cast": int},
        ("ValueError", "Config 'BAD' has value '12a'. Not a valid int."),
    ),
    (
        "lambda",
        "BAD",
        {"cast": lambda value: int(value)},
        ("ValueError", "Config 'BAD' has value '12a'. Not a valid <lambda>."),
    ),
    (
        "default-fails-cast",
        "NOPE",
        {"default": [1], "cast": int},
        ("ValueError", "Config 'NOPE' has value '[1]'. Not a valid int."),
    ),
    ("bool-upper", "DEBUG", {"cast": bool}, ("bool", "True")),
    ("bool-one", "NOPE", {"default": "1", "cast": bool}, ("bool", "True")),
    ("bool-false", "NOPE", {"default": "False", "cast": bool}, ("bool", "False")),
    ("bool-zero", "NOPE", {"default": "0", "cast": bool}, ("bool", "False")),
    (
        "bool-spelled-out",
        "NAME",
        {"cast": bool},
        ("ValueError", "Config 'NAME' has value 'minifast'. Not a valid bool."),
    ),
    (
        "bool-lowercased-in-message",
        "NOPE",
        {"default": "YES", "cast": bool},
        ("ValueError", "Config 'NOPE' has value 'yes'. Not a valid bool."),
    ),
    (
        "bool-empty",
        "NOPE",
        {"default": "", "cast": bool},
        ("ValueError", "Config 'NOPE' has value ''. Not a valid bool."),
    ),
    ("bool-of-non-string", "NOPE", {"default": 0, "cast": bool}, ("bool", "False")),
    ("str-method", "NAME", {"cast": str.upper}, ("str", "'MINIFAST'")),
]


@pytest.mark.parametrize(
    ("key", "options", "expected"),
    [case[1:] for case in LOOKUPS],
    ids=[case[0] for case in LOOKUPS],
)
def test_lookup_matches_starlette(key: str, options: dict[str, Any], expected: Any) -> None:
    assert same_outcome(lambda module: module.Config(environ=ENVIRON)(key, **options)) == expected


@pytest.mark.parametrize("cast_name", ["CommaSeparatedStrings", "Secret"])
def test_casts_match_starlette(cast_name: str) -> None:
    def read(module: types.ModuleType) -> Any:
        casts = import_from(module.__name__.partition(".")[0], "datastructures")
        return module.Config(environ=ENVIRON)("HOSTS", cast=getattr(casts, cast_name))

    expected = {
        "CommaSeparatedStrings": ("CommaSeparatedStrings", "CommaSeparatedStrings(['a', 'b, c'])"),
        "Secret": ("Secret", "Secret('**********')"),
    }
    assert same_outcome(read) == expected[cast_name]
    # minifast.config hands on the casts of minifast.datastructures, not copies.
    assert getattr(ours, cast_name) is getattr(import_from("minifast", "datastructures"), cast_name)


def test_get_is_call() -> None:
    config = Config(environ=ENVIRON)
    assert config.get("PORT", cast=int) == config("PORT", cast=int) == 8000
    with pytest.raises(KeyError) as missing:
        config.get("NOPE")
    assert missing.value.args == ("Config 'NOPE' is missing, and has no default.",)


def test_failed_cast_keeps_its_cause() -> None:
    with pytest.raises(ValueError, match="Not a valid int") as failure:
        Config(environ=ENVIRON)("BAD", cast=int)
    assert isinstance(failure.value.__cause__, ValueError)


def test_cast_without_a_name_is_named_by_its_type() -> None:
    """A deliberate difference: Starlette fails with AttributeError on a cast with no __name__."""

    class Port:
        def __call__(self, value: str) -> int:
            return int(value)

    with pytest.raises(ValueError, match=r"^Config 'BAD' has value '12a'\. Not a valid Port\.$"):
        Config(environ=ENVIRON)("BAD", cast=Port())


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("NAME", ("str", "'prefixed'")),
        ("PORT", ("KeyError", "\"Config 'APP_PORT' is missing, and has no default.\"")),
    ],
    ids=["prefixed", "unprefixed-name-not-found"],
)
def test_prefix_is_put_before_every_name(key: str, expected: tuple[str, str]) -> None:
    environ = {"APP_NAME": "prefixed", "PORT": "1"}
    assert same_outcome(lambda module: module.Config(environ=environ, env_prefix="APP_")(key)) == (
        expected
    )


# --- .env files -------------------------------------------------------------------------------

ENV_FILE = """# a comment
PLAIN=1
 SPACED = two words\t
DOUBLE="quoted"
SINGLE='quoted'
MISMATCHED="mixed'
NESTED = "'inner'"
INNER_QUOTE="a"b"
LONE="
EMPTY_QUOTES=""
EMPTY=
EQUALS=a=b
export EXPORTED=3
TRAILING="x" # not a comment
  # INDENTED=comment
HASH=#not a comment
ESCAPED=\\"x\\"
NO_SEPARATOR
=no key
PLAIN=again
"""


def test_env_file_is_read_as_starlette_reads_it(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(ENV_FILE)
    expected = config_module("starlette").Config(path, environ={}).file_values
    assert Config(path, environ={}).file_values == expected
    assert expected["PLAIN"] == "again"  # the table is not empty: later lines win
    assert expected["NESTED"] == "'inner'"


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("FROM_FILE=file\nBOTH=file\n")
    config = Config(str(path), environ={"BOTH": "environment"})
    assert (config("FROM_FILE"), config("BOTH")) == ("file", "environment")


def test_file_values_are_prefixed_and_cast(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("APP_PORT=8000\nAPP_DEBUG=false\n")
    config = Config(path, environ={}, env_prefix="APP_")
    assert (config("PORT", cast=int), config("DEBUG", cast=bool)) == (8000, False)


def test_encoding_is_used_to_read_the_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes("NAME=caf\xe9\n".encode("latin-1"))
    assert Config(path, environ={}, encoding="latin-1")("NAME") == "caf\xe9"
    with pytest.raises(UnicodeDecodeError):
        Config(path, environ={})


@pytest.mark.parametrize("where", ["missing-file", "directory"])
def test_a_file_that_cannot_be_read_only_warns(where: str, tmp_path: Path) -> None:
    path = tmp_path / "missing.env" if where == "missing-file" else tmp_path
    for name in BOTH:
        with pytest.warns(UserWarning) as warned:
            config = config_module(name).Config(path, environ={"A": "1"})
        assert [str(warning.message) for warning in warned] == [f"Config file '{path}' not found."]
        assert config("A") == "1"
        assert config.file_values == {}
    # The warning points at the code that made the Config, not into minifast.
    with pytest.warns(UserWarning) as warned:
        Config(path)
    assert warned[0].filename == __file__


# --- Environ ----------------------------------------------------------------------------------


def run_environ(module: types.ModuleType, steps: Sequence[tuple[str, str]]) -> list[Any]:
    """Apply (action, key) steps to an Environ over a fresh dict; every outcome, and the dict."""
    backing = {"READ": "1", "UNREAD": "2"}
    wrapped = module.Environ(backing)
    actions: dict[str, Callable[[str], Any]] = {
        "get": lambda key: wrapped[key],
        "contains": lambda key: key in wrapped,
        "set": lambda key: wrapped.__setitem__(key, "new"),
        "delete": lambda key: wrapped.__delitem__(key),
        "list": lambda key: (sorted(wrapped), len(wrapped)),
    }
    results = [outcome(functools.partial(actions[action], key)) for action, key in steps]
    return [*results, dict(backing)]


ENVIRON_STEPS = [
    ("read-then-set", [("get", "READ"), ("set", "READ")]),
    ("read-then-delete", [("get", "READ"), ("delete", "READ")]),
    ("unread-set-and-delete", [("set", "UNREAD"), ("delete", "UNREAD"), ("list", "")]),
    ("new-key", [("set", "NEW"), ("get", "NEW"), ("set", "NEW")]),
    ("missing-read-counts", [("get", "GONE"), ("set", "GONE")]),
    ("contains-counts", [("contains", "GONE"), ("set", "GONE"), ("delete", "GONE")]),
    ("iterating-reads-nothing", [("list", ""), ("set", "READ"), ("delete", "UNREAD")]),
]


@pytest.mark.parametrize(
    "steps", [case[1] for case in ENVIRON_STEPS], ids=[case[0] for case in ENVIRON_STEPS]
)
def test_environ_matches_starlette(steps: list[tuple[str, str]]) -> None:
    expected = run_environ(config_module("starlette"), steps)
    assert run_environ(ours, steps) == expected


def test_environ_refuses_changes_after_a_read() -> None:
    wrapped = Environ({"KEY": "1"})
    assert wrapped["KEY"] == "1"
    with pytest.raises(EnvironError) as refused:
        wrapped["KEY"] = "2"
    assert str(refused.value) == (
        "Attempting to set environ['KEY'], but the value has already been read."
    )
    with pytest.raises(EnvironError, match=r"^Attempting to delete environ\['KEY'\], but"):
        del wrapped["KEY"]
    assert dict(wrapped) == {"KEY": "1"}


def test_module_environ_watches_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "MINIFAST_TEST_CONFIG_WATCHED"
    monkeypatch.setenv(name, "true")
    assert isinstance(environ, Environ)
    assert Config()(name, cast=bool) is True  # the default Config reads through `environ`
    with pytest.raises(EnvironError):
        environ[name] = "off"
    assert os.environ[name] == "true"
    free = "MINIFAST_TEST_CONFIG_FREE"
    environ[free] = "set"  # an unread variable can still be set, in os.environ itself
    assert os.environ.pop(free) == "set"


def test_undefined_is_the_default_that_means_required() -> None:
    config = Config(environ={})
    assert same_outcome(lambda module: module.Config(environ={})("A", default=module.undefined))
    with pytest.raises(KeyError):
        config("A", default=ours.undefined)
    assert isinstance(ours.undefined, type)  # COMPAT: a class, as Starlette's is
    assert issubclass(EnvironError, Exception)


# --- Secret and CommaSeparatedStrings ---------------------------------------------------------

SPLITS: list[tuple[str, str | list[str]]] = [
    ("plain", "a,b,c"),
    ("spaces", " a , b c ,d "),
    ("quotes-keep-commas", "a, 'b, c' ,\"d\" e"),
    ("comment", "a,#b, c"),
    ("escape", "a\\,b"),
    ("empty", ""),
    ("blank", " "),
    ("only-commas", ",,"),
    ("empty-items-vanish", "a,,b,"),
    ("unclosed-quote", "'a"),
    ("list", ["a", "b'", ""]),
]


def describe_strings(module: types.ModuleType, value: str | list[str]) -> Any:
    strings = module.CommaSeparatedStrings(value)
    views = [repr(strings), str(strings), len(strings), list(strings)]
    if strings:
        views += [
            strings[0],
            strings[-1],
            strings[1:],
            strings[0] in strings,
            strings.index(strings[-1]),
        ]
    return views


@pytest.mark.parametrize("value", [case[1] for case in SPLITS], ids=[case[0] for case in SPLITS])
def test_comma_separated_strings_match_starlette(value: str | list[str]) -> None:
    expected = outcome(lambda: describe_strings(import_from("starlette", "datastructures"), value))
    assert outcome(lambda: describe_strings(ours, value)) == expected


def test_comma_separated_strings_are_a_sequence() -> None:
    strings = CommaSeparatedStrings("a, 'b, c'")
    assert isinstance(strings, Sequence)
    assert list(reversed(strings)) == ["b, c", "a"]
    assert strings[1:] == ["b, c"]
    assert str(strings) == "'a', 'b, c'"
    with pytest.raises(ValueError, match="No closing quotation"):
        CommaSeparatedStrings("'a")


def test_secret_hides_its_value_but_str_gives_it() -> None:
    class Token(Secret):
        pass

    starlette_secret = import_from("starlette", "datastructures").Secret
    for secret_class in (Secret, starlette_secret):
        secret = secret_class("s3cr3t")
        assert (repr(secret), str(secret), bool(secret)) == ("Secret('**********')", "s3cr3t", True)
        assert not secret_class("")
    assert repr(Token("x")) == "Token('**********')"
    assert f"{Secret('x')}" == "x"
