"""pytest plugin for `make compat`: FastAPI's tests import minifast in FastAPI's place.

Loaded with `-p`, after pytest has set up assertion rewriting, so that importing minifast (and
anyio with it) here does not defeat the rewriting of the plugins pytest loads next.
"""

from minifast import compat

compat.install()
