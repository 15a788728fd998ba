"""Every example app's OpenAPI document: valid, and equal to its FastAPI twin's.

The twin is the example's source with `minifast` replaced by `fastapi`, run in fresh modules
(its own `examples.*` imports rewritten the same way), so both apps are built from one text.
"""

import importlib
import importlib.abc
import importlib.util
import pkgutil
import sys
import types
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import examples
from tests.support import request
from tests.test_openapi import differences

openapi_spec_validator = pytest.importorskip("openapi_spec_validator")
pytest.importorskip("fastapi")

TWIN = "_fastapi_twin"


# Written on the toolkit half alone: its twin is a Starlette app (tests/examples/test_toolkit.py).
TOOLKIT_EXAMPLES = {"toolkit"}


def _example_apps() -> list[str]:
    """`examples.<name>` modules and `examples.<package>.main` modules that define `app`."""
    names = []
    for module in pkgutil.iter_modules(examples.__path__):
        if module.name in TOOLKIT_EXAMPLES:
            continue
        name = f"examples.{module.name}.main" if module.ispkg else f"examples.{module.name}"
        if importlib.util.find_spec(name) is not None:
            names.append(name)
    return sorted(names)


class _TwinFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves `_fastapi_twin.examples.x` as `examples.x` rewritten for fastapi."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != TWIN and not fullname.startswith(f"{TWIN}."):
            return None
        original = importlib.util.find_spec(fullname.removeprefix(TWIN).lstrip(".") or "examples")
        is_package = fullname == TWIN or bool(original and original.submodule_search_locations)
        return importlib.util.spec_from_loader(fullname, self, is_package=is_package)

    def exec_module(self, module: types.ModuleType) -> None:
        if module.__name__ == TWIN:
            return
        spec = importlib.util.find_spec(module.__name__.removeprefix(f"{TWIN}."))
        assert spec is not None and spec.origin is not None
        source = Path(spec.origin).read_text()
        source = source.replace("from examples", f"from {TWIN}.examples")
        source = source.replace("import examples", f"import {TWIN}.examples")
        source = source.replace("minifast", "fastapi")
        module.__file__ = spec.origin
        exec(compile(source, spec.origin, "exec"), module.__dict__)


@pytest.fixture(scope="module")
def twins() -> Iterator[None]:
    finder = _TwinFinder()
    sys.meta_path.insert(0, finder)
    yield
    sys.meta_path.remove(finder)
    for name in [name for name in sys.modules if name.startswith(TWIN)]:
        del sys.modules[name]


@pytest.mark.parametrize("name", _example_apps())
def test_example_document_is_valid_openapi(name: str) -> None:
    document = importlib.import_module(name).app.openapi()
    if "itemSchema" in str(document):
        # FastAPI 0.163 describes streams with OpenAPI 3.2's `itemSchema` in a 3.1 document.
        version_3_2 = openapi_spec_validator.OpenAPIV32SpecValidator
        openapi_spec_validator.validate({**document, "openapi": "3.2.0"}, cls=version_3_2)
        return
    openapi_spec_validator.validate(document)


def _twin_app(name: str) -> Any:
    """The example's FastAPI twin app, or a skip if the example uses a minifast-only option."""
    try:
        return importlib.import_module(f"{TWIN}.{name}").app
    except TypeError as error:  # the example uses an option FastAPI does not have
        if "unexpected keyword argument" not in str(error):
            raise
        pytest.skip(f"no FastAPI twin: {error}")


@pytest.mark.parametrize("name", _example_apps())
def test_example_document_equals_its_fastapi_twins(name: str, twins: None) -> None:
    ours = importlib.import_module(name).app.openapi()
    expected = _twin_app(name).openapi()
    assert differences(expected, ours) == []
    assert ours == expected


@pytest.mark.parametrize("name", _example_apps())
def test_example_serves_its_fastapi_twins_bytes(name: str, twins: None) -> None:
    """/openapi.json byte for byte: key order and number types included."""
    expected = request(_twin_app(name), "GET", "/openapi.json")
    ours = request(importlib.import_module(name).app, "GET", "/openapi.json")
    assert (ours.status, expected.status) == (200, 200)
    assert ours.body == expected.body
