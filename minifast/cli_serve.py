"""`minifast dev [path]` and `minifast run [path]`: find the app in a file and serve it.

uvicorn serves; it is an optional extra (`pip install "minifast[serve]"`), imported only here,
only when a server starts.
"""

# How serving works: the path names a Python file, or a folder holding one of DEFAULT_FILES. Its
# module name is found by walking up through the folders that are packages (they hold an
# __init__.py), so `examples/main.py` imports as `examples.main` with the folder above
# `examples/` on sys.path, exactly as `uvicorn examples.main:app` run from there would. The app
# is the attribute named by --app, else `app` or `api`, else the one app object the module
# holds. uvicorn gets the import string, not the object, so that the reloader and each worker
# import the app afresh in their own process. `dev` binds to 127.0.0.1 and reloads on change;
# `run` binds to every interface and can start several worker processes.

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minifast.applications import Starlette

COMMANDS = ("dev", "run")
DEFAULT_FILES = ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py")
DEFAULT_NAMES = ("app", "api")
_INSTALL_HINT = 'pip install "minifast[serve]"'


@dataclass(frozen=True)
class AppLocation:
    """Where an app lives: the folder to put on sys.path, its module and attribute."""

    directory: Path
    module: str
    attribute: str

    @property
    def import_string(self) -> str:
        return f"{self.module}:{self.attribute}"


def find_file(path: str | None) -> Path:
    """The file the user named, or the first of DEFAULT_FILES in the folder they named."""
    given = Path(path or ".")
    if given.is_file():
        return given.resolve()
    if given.is_dir():
        for name in DEFAULT_FILES:
            if (given / name).is_file():
                return (given / name).resolve()
        raise SystemExit(f"no {', '.join(DEFAULT_FILES)} in {given.resolve()}: name the file")
    raise SystemExit(f"{given} is neither a file nor a folder")


def module_of(file: Path) -> tuple[Path, str]:
    """The folder to import from and the dotted module name of `file`."""
    parts = [file.stem] if file.name != "__init__.py" else []
    folder = file.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return folder, ".".join(parts)


def find_app(path: str | None, name: str | None) -> tuple[AppLocation, Any]:
    """Import the module at `path` and pick its app: `name`, else `app`/`api`, else the only one."""
    directory, module_name = module_of(find_file(path))
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    module = importlib.import_module(module_name)
    if name is not None:
        if not hasattr(module, name):
            raise SystemExit(f"{module_name} has no attribute {name!r}")
        return AppLocation(directory, module_name, name), getattr(module, name)
    for candidate in DEFAULT_NAMES:
        if isinstance(getattr(module, candidate, None), Starlette):
            return AppLocation(directory, module_name, candidate), getattr(module, candidate)
    apps = [key for key, value in vars(module).items() if isinstance(value, Starlette)]
    if len(apps) != 1:
        found = f"several ({', '.join(apps)})" if apps else "none"
        raise SystemExit(f"looked for one app object in {module_name}, found {found}: use --app")
    return AppLocation(directory, module_name, apps[0]), getattr(module, apps[0])


def banner(command: str, location: AppLocation, app: Any, options: argparse.Namespace) -> str:
    """What is served where: the server's URL, the docs pages', how it restarts."""
    server = f"http://{options.host}:{options.port}{options.root_path.rstrip('/')}"
    lines = [
        f"minifast {command}: {location.import_string} (from {location.directory})",
        f"  server  {server}",
    ]
    if getattr(app, "openapi_url", None):
        for label, url in (("docs", app.docs_url), ("redoc", app.redoc_url)):
            if url:
                lines.append(f"  {label:<6}  {server}{url}")
    if command == "dev":
        lines.append(f"  reload  on changes to .py files under {location.directory}")
    else:
        lines.append(f"  workers {options.workers or 1}")
    return "\n".join(lines)


def add_commands(commands: Any) -> None:
    """Add `dev` and `run` to the entry point's subcommands."""
    for command, host, what in (
        ("dev", "127.0.0.1", "serve with reload on change, for development"),
        ("run", "0.0.0.0", "serve without reload, for production"),
    ):
        parser = commands.add_parser(command, help=what, description=what)
        parser.add_argument("path", nargs="?", help="the app's file or folder (default: here)")
        parser.add_argument("--app", help="the app's attribute name (default: app, api, the one)")
        parser.add_argument("--host", default=host, help=f"the address to bind (default: {host})")
        parser.add_argument("--port", type=int, default=8000, help="the port (default: 8000)")
        parser.add_argument("--root-path", default="", help="the prefix a proxy serves it under")
        parser.add_argument(
            "--proxy-headers",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="trust X-Forwarded-* from --forwarded-allow-ips (default: on)",
        )
        parser.add_argument("--forwarded-allow-ips", help="proxies to trust (default: 127.0.0.1)")
        if command == "dev":
            parser.add_argument("--reload", action=argparse.BooleanOptionalAction, default=True)
        else:
            parser.add_argument("--workers", type=int, help="worker processes (default: 1)")


def serve(options: argparse.Namespace) -> int:
    """Find the app, print the banner, and hand the import string to uvicorn."""
    try:
        import uvicorn
    except ImportError:
        raise SystemExit(f"minifast {options.command} needs uvicorn: {_INSTALL_HINT}") from None
    location, app = find_app(options.path, options.app)
    is_dev = options.command == "dev"
    print(banner(options.command, location, app, options), flush=True)
    uvicorn.run(
        location.import_string,
        host=options.host,
        port=options.port,
        root_path=options.root_path,
        proxy_headers=options.proxy_headers,
        forwarded_allow_ips=options.forwarded_allow_ips,
        app_dir=str(location.directory),
        reload=is_dev and options.reload,
        reload_dirs=[str(location.directory)] if is_dev and options.reload else None,
        workers=None if is_dev else options.workers,
    )
    return 0
