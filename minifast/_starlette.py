"""What `import starlette` gives after `compat.install()`: the toolkit's version.

COMPAT: the toolkit half behaves as Starlette 1.10 does, and extensions read this version to
decide what they may rely on (some refuse to load below a minimum).
"""

from types import ModuleType

from minifast.compat import submodule

__version__ = "1.10.0"
# A package, so that `starlette.X` can be imported below it: compat's import hook finds each
# submodule (minifast.X); no directory is searched.
__path__: list[str] = []


def __getattr__(name: str) -> ModuleType:
    """`from starlette import status`: the submodule minifast has under that name."""
    return submodule(name)
