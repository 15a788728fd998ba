"""The package as a whole: it stands on pydantic and anyio alone."""

import subprocess
import sys

import pytest

IMPORT_EVERYTHING = """
import pkgutil, importlib, sys
import minifast
for module in pkgutil.walk_packages(minifast.__path__, "minifast."):
    importlib.import_module(module.name)
leaked = sorted(
    name for name in sys.modules
    if name.split(".")[0] in {"starlette", "fastapi", "multipart", "python_multipart"}
)
print(len([name for name in sys.modules if name.startswith("minifast.")]), leaked)
"""


def test_no_module_imports_starlette_or_fastapi() -> None:
    """Each minifast module imports in a fresh interpreter without loading the reference."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING], capture_output=True, text=True, check=True
    )
    count, leaked = result.stdout.split(" ", 1)
    assert int(count) >= 25  # the walk really imported the package's modules
    assert leaked.strip() == "[]"


def test_top_level_names_are_fastapis() -> None:
    """`from fastapi import X` works as `from minifast import X` for every public class."""
    import minifast

    fastapi = pytest.importorskip("fastapi")
    theirs = {name for name in dir(fastapi) if name[0].isupper()}
    assert set(minifast.__all__) == theirs | {"MiniFast"}
    assert all(hasattr(minifast, name) for name in minifast.__all__)
