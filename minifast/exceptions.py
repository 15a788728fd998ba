"""Exceptions an application raises on purpose, and the ones minifast raises for bad input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

# Each registered status's reason phrase, the table http.client.responses holds.
# PERF: built here, as http.client would also import email parsing (and ssl): -1.5 ms of start-up.
_PHRASES = {status.value: status.phrase for status in HTTPStatus}


class HTTPException(Exception):
    """An error answer: `raise HTTPException(404, detail="Item not found")` → `{"detail": ...}`."""

    def __init__(
        self,
        status_code: int,
        detail: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if detail is None:
            # COMPAT: a status with no registered phrase (499, 599) gets "", not an error.
            detail = _PHRASES.get(status_code, "")
        self.status_code = status_code
        self.detail = detail
        self.headers = headers
        super().__init__(status_code, detail)

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(status_code={self.status_code!r}, detail={self.detail!r})"


class WebSocketException(Exception):
    """Closes a websocket with `code` and `reason`."""

    def __init__(self, code: int, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, reason={self.reason!r})"


class FastAPIError(RuntimeError):
    """A mistake in how the application is declared, reported when it is built."""


class DependencyScopeError(FastAPIError):
    """A dependency whose exit code runs later than that of one it depends on."""


class ValidationException(Exception):
    """Base of the validation errors; `errors()` is FastAPI's list of error dicts."""

    def __init__(self, errors: Sequence[Any]) -> None:
        self._errors = errors

    def errors(self) -> Sequence[Any]:
        return self._errors

    def __str__(self) -> str:
        count = len(self._errors)
        lines = [f"{count} validation error{'' if count == 1 else 's'}:"]
        lines.extend(f"  {error}" for error in self._errors)
        return "\n".join(lines)


class RequestValidationError(ValidationException):
    """The request did not match the endpoint's declared parameters; answered with a 422."""

    def __init__(self, errors: Sequence[Any], *, body: Any = None) -> None:
        super().__init__(errors)
        self.body = body


class WebSocketRequestValidationError(ValidationException):
    """A websocket's parameters were invalid; the socket is closed with 1008."""


class ResponseValidationError(ValidationException):
    """The endpoint returned something its response model refuses: a server bug, so a 500."""

    def __init__(self, errors: Sequence[Any], *, body: Any = None) -> None:
        super().__init__(errors)
        self.body = body
