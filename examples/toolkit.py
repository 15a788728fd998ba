"""The lesson's Part 1: FastAPI is the ASGI toolkit + pydantic + type hints. This is the toolkit
alone: no pydantic, no signatures read, every input taken from the request by hand.

Run: `uvicorn examples.toolkit:app`. Compare with examples/main.py, where the typed layer does
the reading, validating and documenting. Here:
- `/` counts your visits in a signed session cookie (SessionMiddleware);
- `/notes` is a class endpoint (HTTPEndpoint): anyone reads, a signed-in user adds
  (`Authorization: Bearer letmein`, read by an AuthenticationBackend);
- `/legacy` is a WSGI app, the synchronous kind of app ASGI replaced, run in the thread pool;
- `/openapi.json` is built from the endpoints' docstrings (SchemaGenerator; needs pyyaml).
"""

import json
from collections.abc import Callable, Iterable
from typing import Any

from minifast.applications import Starlette
from minifast.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    SimpleUser,
    requires,
)
from minifast.config import Config
from minifast.datastructures import Secret
from minifast.endpoints import HTTPEndpoint
from minifast.middleware import Middleware
from minifast.middleware.authentication import AuthenticationMiddleware
from minifast.middleware.sessions import SessionMiddleware
from minifast.middleware.wsgi import WSGIMiddleware
from minifast.requests import HTTPConnection, Request
from minifast.responses import JSONResponse, Response
from minifast.routing import Mount, Route
from minifast.schemas import SchemaGenerator

config = Config()  # the environment, then an .env file if one is given
SECRET_KEY = config("SECRET_KEY", cast=Secret, default="change-me-in-production")
TOKENS = {"letmein": "ada"}  # a real app asks its user store
NOTES: list[dict[str, str]] = []


class BearerTokens(AuthenticationBackend):
    """`Authorization: Bearer <token>` → a signed-in user; no header → anonymous."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, SimpleUser] | None:
        scheme, _, token = conn.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        if token not in TOKENS:
            raise AuthenticationError("unknown token")
        return AuthCredentials(["authenticated"]), SimpleUser(TOKENS[token])


async def home(request: Request) -> JSONResponse:
    """
    ---
    summary: Count your visits
    responses:
      200:
        description: How many times this browser came
    """
    request.session["visits"] = request.session.get("visits", 0) + 1
    return JSONResponse({"visits": request.session["visits"], "user": request.user.display_name})


class Notes(HTTPEndpoint):
    async def get(self, request: Request) -> JSONResponse:
        """
        ---
        summary: Read the notes
        responses:
          200:
            description: Every note, oldest first
        """
        return JSONResponse(NOTES)

    @requires("authenticated")
    async def post(self, request: Request) -> JSONResponse:
        """
        ---
        summary: Add a note (signed-in users)
        responses:
          201:
            description: The note as stored
          403:
            description: Not signed in
        """
        try:
            text = json.loads(await request.body())["text"]
        except (ValueError, KeyError, TypeError):  # no pydantic here: the checks are ours
            return JSONResponse({"detail": 'send {"text": "..."}'}, status_code=400)
        note = {"author": request.user.display_name, "text": str(text)}
        NOTES.append(note)
        return JSONResponse(note, status_code=201)


def legacy(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A WSGI app: one blocking call per request, which the middleware runs in a thread."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"WSGI says hello to {environ['PATH_INFO']}\n".encode()]


schemas = SchemaGenerator({"openapi": "3.1.0", "info": {"title": "Toolkit", "version": "1.0"}})


async def openapi(request: Request) -> Response:
    return JSONResponse(schemas.get_schema(routes=request.app.routes))


app = Starlette(
    routes=[
        Route("/", home),
        Route("/notes", Notes),
        Mount("/legacy", WSGIMiddleware(legacy)),
        Route("/openapi.json", openapi, include_in_schema=False),
    ],
    middleware=[
        Middleware(SessionMiddleware, secret_key=str(SECRET_KEY)),
        Middleware(AuthenticationMiddleware, backend=BearerTokens()),
    ],
)
