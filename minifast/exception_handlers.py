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
from minifast.status import is_body_allowed_for_status_code


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
