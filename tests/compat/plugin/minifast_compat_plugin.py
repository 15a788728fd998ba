"""pytest plugin for `make compat`: FastAPI's tests import minifast in FastAPI's place.

Loaded with `-p`, after pytest has set up assertion rewriting, so that importing minifast (and
anyio with it) here does not defeat the rewriting of the plugins pytest loads next; and before
those plugins and the conftests, which must import minifast from their first `fastapi` import.
"""

import sys

from minifast import compat


def put_aliases_first() -> None:
    """Ask minifast's import hook before pytest's assertion-rewriting one.

    pytest put its hook first on sys.meta_path. A suite whose `python_files` matches every
    module (`*.py`, as fastapi-csrf-protect's) has that hook claim each source module not yet
    imported: it would load the real Starlette installed beside minifast for `--baseline`, or
    run a second copy of a minifast module under its `fastapi.` name.
    """
    aliases = [finder for finder in sys.meta_path if type(finder).__module__ == compat.__name__]
    sys.meta_path[:] = [*aliases, *(finder for finder in sys.meta_path if finder not in aliases)]


compat.install()
put_aliases_first()
