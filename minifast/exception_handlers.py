"""The default answers to HTTPException and to validation errors."""

from __future__ import annotations

import json
from typing import Any

from minifast import status
from minifast.encoders import jsonable_encoder
from minifast.exceptions import (
    HTTPException,
    RequestValidationError,
    WebSocketRequestValidationError,
)
from minifast.requests import Request
from minifast.responses import JSONResponse, Response

# HTTP: informational answers and these statuses carry no body.
_NO_BODY = frozenset({204, 205, 304})


def is_body_allowed_for_status_code(status_code: int | str | None) -> bool:
    if type(status_code) is int:  # PERF: every response asks, with an int: no str() made
        return not (status_code < 200 or status_code in _NO_BODY)
    if status_code is None or str(status_code) in {"default", "1XX", "2XX", "3XX", "4XX", "5XX"}:
        return True
    code = int(status_code)
    return not (code < 200 or code in _NO_BODY)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """`{"detail": ...}` with the exception's status and headers."""
    assert isinstance(exc, HTTPException)
    if not is_body_allowed_for_status_code(exc.status_code):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def request_validation_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """422 with FastAPI's error list."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        {"detail": jsonable_encoder(exc.errors())},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


async def websocket_request_validation_exception_handler(websocket: Any, exc: Exception) -> None:
    """A websocket with invalid parameters is closed with 1008 and the errors as reason.

    FastAPI puts the error list itself in the reason; ASGI requires a string, so minifast
    sends the list as JSON text, which a client can parse back.
    """
    assert isinstance(exc, WebSocketRequestValidationError)
    reason = json.dumps(jsonable_encoder(exc.errors()), separators=(",", ":"))
    await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=reason)
