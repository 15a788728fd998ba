"""minifast.compat.install(): `fastapi` and `starlette` imports answered by minifast's modules."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator

import pytest

import minifast
import minifast.middleware.cors
import minifast.responses
from minifast import compat


def _aliased() -> list[str]:
    return [name for name in sys.modules if compat.minifast_name(name) is not None]


@pytest.fixture
def installed() -> Iterator[None]:
    """install() in a process with no real FastAPI or Starlette loaded; all undone after."""
    saved = {name: sys.modules.pop(name) for name in _aliased()}
    meta_path = list(sys.meta_path)
    try:
        compat.install()
        yield
    finally:
        sys.meta_path[:] = meta_path
        for name in _aliased():
            del sys.modules[name]
        sys.modules.update(saved)


@pytest.mark.usefixtures("installed")
def test_fastapi_and_starlette_modules_are_minifast_modules() -> None:
    import fastapi
    import fastapi.responses
    import starlette.middleware.cors
    from fastapi import (
        FastAPI,
        staticfiles,  # a submodule not yet imported, named from the top level
    )
    from starlette import status

    assert (staticfiles, status) == (minifast.staticfiles, minifast.status)
    with pytest.raises(ImportError):
        from starlette import no_such_module  # noqa: F401
    assert fastapi.__version__ == "0.163.2"  # the top level is minifast's, with that version
    assert FastAPI is minifast.MiniFast
    assert fastapi.responses is minifast.responses
    assert starlette.middleware.cors is minifast.middleware.cors
    assert importlib.import_module("starlette.status") is importlib.import_module("minifast.status")


@pytest.mark.usefixtures("installed")
def test_the_minifast_module_keeps_its_own_spec() -> None:
    import fastapi.responses

    assert fastapi.responses.__spec__ is not None
    assert fastapi.responses.__spec__.name == "minifast.responses"
    assert fastapi.responses.__name__ == "minifast.responses"


@pytest.mark.usefixtures("installed")
def test_a_missing_module_names_the_minifast_module_looked_for() -> None:
    with pytest.raises(ModuleNotFoundError, match=r"minifast\.no_such_module") as raised:
        importlib.import_module("fastapi.no_such_module")
    assert raised.value.name == "fastapi.no_such_module"


@pytest.mark.usefixtures("installed")
def test_an_import_error_inside_a_minifast_module_is_not_hidden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(name: str, *args: object) -> None:
        raise ModuleNotFoundError("No module named 'some_extra'", name="some_extra")

    monkeypatch.setattr(compat.importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError, match="some_extra"):
        importlib.__import__("starlette.routing")


@pytest.mark.usefixtures("installed")
def test_installing_twice_adds_one_hook() -> None:
    compat.install()
    assert sum(isinstance(finder, compat._AliasFinder) for finder in sys.meta_path) == 1


def test_refuses_once_the_real_framework_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _aliased():
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "starlette", sys.modules["minifast"])
    meta_path = list(sys.meta_path)
    with pytest.raises(RuntimeError, match=r"already imported: starlette$"):
        compat.install()
    assert sys.meta_path == meta_path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("fastapi", "minifast._fastapi"),
        ("starlette", "minifast._starlette"),
        ("fastapi.security.oauth2", "minifast.security.oauth2"),
        ("starlette.requests", "minifast.requests"),
        ("fastapi_users", None),
        ("starlette_exporter.middleware", None),
    ],
    ids=["fastapi", "starlette-top", "nested", "starlette", "fastapi-prefix", "starlette-prefix"],
)
def test_minifast_name(name: str, expected: str | None) -> None:
    assert compat.minifast_name(name) == expected


def test_the_top_levels_report_the_versions_minifast_behaves_as() -> None:
    """Extensions read `fastapi.__version__` and `starlette.__version__` to decide what they
    may rely on; `fastapi`'s names are minifast's objects."""
    import minifast._fastapi
    import minifast._starlette

    fastapi, starlette = pytest.importorskip("fastapi"), pytest.importorskip("starlette")
    assert minifast._starlette.__version__ == starlette.__version__
    assert minifast._fastapi.__version__ == fastapi.__version__
    assert minifast._fastapi.FastAPI is minifast.MiniFast
    assert minifast._fastapi.routing is minifast.routing


def test_the_private_compat_names_code_written_for_fastapi_imports() -> None:
    import pydantic
    from pydantic_core import PydanticUndefined

    from minifast import _compat

    major, minor = (int(part) for part in pydantic.VERSION.split(".")[:2])
    assert (major, minor) == _compat.PYDANTIC_VERSION_MINOR_TUPLE
    assert _compat.Undefined is PydanticUndefined
