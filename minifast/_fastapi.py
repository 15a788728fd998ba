"""What `import fastapi` gives after `compat.install()`: minifast, and the version it matches.

COMPAT: extensions read `fastapi.__version__` to decide what they may rely on (some refuse to
load below a minimum), so this module reports the FastAPI release minifast behaves as, where
`minifast.__version__` is minifast's own. Every other name is minifast's very object.
"""

from typing import Any

import minifast
from minifast import *  # noqa: F403 - the public names, as `from fastapi import X` expects
from minifast import __all__ as __all__
from minifast.compat import submodule

__version__ = "0.163.2"
# A package, so that `fastapi.X` can be imported below it: compat's import hook finds each
# submodule (minifast.X); no directory is searched.
__path__: list[str] = []


def __getattr__(name: str) -> Any:
    """Anything else minifast's package has, or its submodule of that name."""
    if hasattr(minifast, name):
        return getattr(minifast, name)
    return submodule(name)
