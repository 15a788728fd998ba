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


DEFERRED = """
import sys
import minifast
minifast.FastAPI(openapi_url=None).get("/")(lambda: None)
print(" ".join(sorted(set(sys.argv[1:]) & set(sys.modules))))
"""
# What an app needs only later: the OpenAPI generator and docs pages (first request for them),
# SSE (first generator endpoint), the security schemes (first use), and stdlib or anyio modules
# that only rare paths use. Importing them with minifast would cost start-up time.
LATER = [
    "minifast.openapi.utils",
    "minifast.openapi.docs",
    "minifast.sse",
    "minifast.security.http",
    "minifast.formparsers",
    "anyio.streams.memory",
    "anyio._core._synchronization",
    "anyio._core._eventloop",
    "anyio.to_thread",
    "anyio.lowlevel",
    "mimetypes",
    "http.client",
    "http.cookies",
    "html",
]


def test_import_and_build_defer_what_only_later_requests_need() -> None:
    """Importing minifast and building an app without docs loads none of LATER."""
    result = subprocess.run(
        [sys.executable, "-c", DEFERRED, *LATER], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == []


def test_security_names_are_imported_on_first_use() -> None:
    """`minifast.security` hands out each scheme from its module, and refuses other names."""
    import importlib

    import minifast.security

    for name in minifast.security.__all__:
        found = getattr(minifast.security, name)
        assert getattr(importlib.import_module(found.__module__), name) is found
    with pytest.raises(AttributeError, match="no attribute 'HTTPNothing'"):
        minifast.security.HTTPNothing  # noqa: B018


MISSING_EXTRAS = {
    "testclient": ("minifast.testclient", "httpx", 'pip install "minifast[standard]"'),
    "templating": ("minifast.templating", "jinja2", 'pip install "minifast[templates]"'),
    "telemetry": ("minifast.telemetry._api", "opentelemetry", "pip install 'minifast[telemetry]'"),
}


@pytest.mark.parametrize(
    ("module", "dependency", "hint"), MISSING_EXTRAS.values(), ids=MISSING_EXTRAS.keys()
)
def test_a_missing_optional_dependency_names_the_extra(
    module: str, dependency: str, hint: str
) -> None:
    """In a fresh interpreter where the dependency cannot be imported, the error says what to
    install, not a bare `No module named ...`."""
    script = (
        f"import sys; sys.modules[{dependency!r}] = None\n"
        f"try:\n    import {module}\nexcept ImportError as error:\n    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert hint in result.stdout
