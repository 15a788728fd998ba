"""`minifast dev [path]` and `minifast run [path]`: serve an app (see cli_serve.py).
`python -m minifast routes module:app`: every route of an app and what it compiled to.
`python -m minifast trace module:app GET '/items/1?q=x' [-H 'name: value'] [-d body]
[--mermaid]`: one request run in-process, each stage it passed through (see trace.py).

The app is imported as uvicorn imports it (`package.module:attribute`, from the current
directory), so what is printed is exactly what a server would serve.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

from minifast import cli_serve
from minifast.explain import explain
from minifast.trace import trace_request


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
    parser = argparse.ArgumentParser(
        prog="minifast", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    cli_serve.add_commands(commands)
    routes = commands.add_parser("routes", help="print every route and its compiled plan")
    routes.add_argument("app", help="the app, as module:attribute (e.g. examples.main:app)")
    trace = commands.add_parser("trace", help="run one request and print each stage it passed")
    trace.add_argument("app", help="the app, as module:attribute (e.g. examples.main:app)")
    trace.add_argument("method", help="GET, POST, ...")
    trace.add_argument("url", help="the path and query, e.g. '/items/1?q=x'")
    trace.add_argument("-H", "--header", action="append", default=[], help="'Name: value'")
    trace.add_argument("-d", "--data", default="", help="the request body")
    trace.add_argument("--mermaid", action="store_true", help="a Mermaid sequence diagram")
    options = parser.parse_args(argv)
    if options.command in cli_serve.COMMANDS:
        return cli_serve.serve(options)
    if options.command == "routes":
        print(routes_text(load_app(options.app)))
        return 0
    headers = [_header(text) for text in options.header]
    traced = trace_request(
        load_app(options.app), options.method, options.url, headers, options.data.encode()
    )
    print(traced.mermaid() if options.mermaid else traced.text())
    return 0


def _header(text: str) -> tuple[str, str]:
    name, separator, value = text.partition(":")
    if not separator or not name.strip():
        raise SystemExit(f"a header is 'Name: value'; got {text!r}")
    return name.strip(), value.strip()


if __name__ == "__main__":  # pragma: no cover - run in a subprocess by the tests
    sys.exit(main())
