"""Run code written for FastAPI or Starlette on minifast, unchanged: `compat.install()`.

After `install()`, `import fastapi.responses` or `import starlette.responses` gives the very
module object `minifast.responses`: one module, so `isinstance` checks, monkeypatching and
`dependency_overrides` agree whichever name the code used. It works as an import hook placed
first on `sys.meta_path`, so it also covers third-party packages that import those names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

_REPLACED = ("fastapi", "starlette")


def minifast_name(fullname: str) -> str | None:
    """The minifast module standing for `fullname`, or None when it is not one we replace."""
    top, _, rest = fullname.partition(".")
    if top not in _REPLACED:
        return None
    if not rest:  # each top level reports the version minifast behaves as
        return f"minifast._{top}"
    return f"minifast.{rest}"


class _AliasLoader(importlib.abc.Loader):
    """Hands back the already-imported minifast module instead of executing anything."""

    def __init__(self, target: ModuleType) -> None:
        self.target = target
        self.own_spec = target.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self.target

    def exec_module(self, module: ModuleType) -> None:
        # importlib has just stamped the alias's spec on the module; the module keeps its own,
        # so reloads, pickling and `importlib.resources` still see minifast's.
        module.__spec__ = self.own_spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Answers `fastapi[.x]` and `starlette[.x]` with `minifast[.x]`."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        name = minifast_name(fullname)
        if name is None:
            return None
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            raise ModuleNotFoundError(
                f"minifast has no module {name!r} (looked up for {fullname!r})", name=fullname
            ) from None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(module), is_package=False)


def submodule(name: str) -> ModuleType:
    """`minifast.<name>`, for `from fastapi import staticfiles` on the top-level stand-ins
    (_fastapi.py, _starlette.py), whose own names are not `fastapi` and `starlette`."""
    try:
        return importlib.import_module(f"minifast.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"minifast.{name}":
            raise
        raise AttributeError(f"module 'minifast' has no attribute {name!r}") from None


def _is_installed() -> bool:
    return any(isinstance(finder, _AliasFinder) for finder in sys.meta_path)


def install() -> None:
    """Make `fastapi`, `starlette` and their submodules import as minifast's modules.

    Calling it again does nothing. It refuses when the real FastAPI or Starlette is already
    imported: two copies of one name would give objects that fail each other's checks.
    """
    if _is_installed():
        return
    loaded = sorted(name for name in sys.modules if minifast_name(name) is not None)
    if loaded:
        raise RuntimeError(
            "minifast.compat.install() must run before FastAPI or Starlette is imported; "
            f"already imported: {', '.join(loaded[:5])}"
        )
    sys.meta_path.insert(0, _AliasFinder())
