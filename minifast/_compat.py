"""The few names of FastAPI's private `fastapi._compat` that code written for FastAPI imports.

Tests and extensions read the pydantic version and the "no default" marker from there;
`compat.install()` maps `fastapi._compat` here so that such code imports unchanged.
"""

from pydantic.version import VERSION as PYDANTIC_VERSION
from pydantic_core import PydanticUndefined as Undefined

PYDANTIC_VERSION_MINOR_TUPLE = tuple(int(part) for part in PYDANTIC_VERSION.split(".")[:2])

__all__ = ["PYDANTIC_VERSION", "PYDANTIC_VERSION_MINOR_TUPLE", "Undefined"]
