"""`python -m minifast routes module:app`: every route of an app and what it compiled to.

The app is imported as uvicorn imports it (`package.module:attribute`, from the current
directory), so what is printed is exactly what a server would serve.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

from minifast.explain import explain


def load_app(reference: str) -> Any:
    """`module:attribute` → the object, imported with the current directory on the path."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise SystemExit(f"expected module:attribute, e.g. examples.main:app; got {reference!r}")
    sys.path.insert(0, os.getcwd())
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise SystemExit(f"cannot load {reference}: {error}") from None


def routes_text(app: Any) -> str:
    """Each route explained, in the order the router tries them, a blank line between."""
    return "\n\n".join(explain(route) for route in app.routes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minifast", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    routes = commands.add_parser("routes", help="print every route and its compiled plan")
    routes.add_argument("app", help="the app, as module:attribute (e.g. examples.main:app)")
    options = parser.parse_args(argv)
    print(routes_text(load_app(options.app)))
    return 0


if __name__ == "__main__":  # pragma: no cover - run in a subprocess by the tests
    sys.exit(main())
