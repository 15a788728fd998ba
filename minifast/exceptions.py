"""Exceptions an application raises on purpose, and the ones minifast raises for bad input."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, TypedDict

# Each registered status's reason phrase, the table http.client.responses holds.
# PERF: built here, as http.client would also import email parsing (and ssl): -1.5 ms of start-up.
REASON_PHRASES = {status.value: status.phrase for status in HTTPStatus}


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
            detail = REASON_PHRASES.get(status_code, "")
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


class FastAPIDeprecationWarning(UserWarning):
    """A deprecated API was used.

    COMPAT: a UserWarning, as FastAPI's: Python hides DeprecationWarning outside `__main__`,
    and a deprecation nobody sees removes nothing.
    """


class StarletteDeprecationWarning(UserWarning):
    """A deprecated toolkit API was used. COMPAT: also a UserWarning, for the same reason."""


class PydanticV1NotSupportedError(FastAPIError):
    """A `pydantic.v1` model was used: only pydantic v2 models are supported."""


class EndpointContext(TypedDict, total=False):
    """Where the endpoint whose input or output failed is: shown by `str()` of the error."""

    function: str
    path: str
    file: str
    line: int


class ValidationException(Exception):
    """Base of the validation errors; `errors()` is FastAPI's list of error dicts."""

    def __init__(
        self,
        errors: Sequence[Any],
        *,
        endpoint_ctx: EndpointContext | None = None,
        locate: Callable[[], EndpointContext] | None = None,
    ) -> None:
        self._errors = errors
        self._endpoint_ctx = endpoint_ctx
        # PERF: minifast passes `locate` instead of the context: where the endpoint is gets
        # worked out only if someone asks, not for every 422 a client causes.
        self._locate = locate

    @property
    def endpoint_ctx(self) -> EndpointContext | None:
        if self._locate is not None:
            self._endpoint_ctx, self._locate = self._locate(), None
        return self._endpoint_ctx

    @property
    def endpoint_function(self) -> str | None:
        return (self.endpoint_ctx or {}).get("function")

    @property
    def endpoint_path(self) -> str | None:
        return (self.endpoint_ctx or {}).get("path")

    @property
    def endpoint_file(self) -> str | None:
        return (self.endpoint_ctx or {}).get("file")

    @property
    def endpoint_line(self) -> int | None:
        return (self.endpoint_ctx or {}).get("line")

    def errors(self) -> Sequence[Any]:
        return self._errors

    def __str__(self) -> str:
        count = len(self._errors)
        lines = [f"{count} validation error{'' if count == 1 else 's'}:"]
        lines.extend(f"  {error}" for error in self._errors)
        return "\n".join(lines) + self._where()

    def _where(self) -> str:
        """The endpoint's place as a traceback line, so an editor can jump to it."""
        if self.endpoint_file and self.endpoint_line and self.endpoint_function:
            place = f'File "{self.endpoint_file}", line {self.endpoint_line}, in '
            where = f"\n  {place}{self.endpoint_function}"
            return where + (f"\n    {self.endpoint_path}" if self.endpoint_path else "")
        return f"\n  Endpoint: {self.endpoint_path}" if self.endpoint_path else ""


class _ValidationErrorWithBody(ValidationException):
    """A validation error that keeps the body it was about: the request's, or the response's."""

    def __init__(
        self,
        errors: Sequence[Any],
        *,
        body: Any = None,
        endpoint_ctx: EndpointContext | None = None,
        locate: Callable[[], EndpointContext] | None = None,
    ) -> None:
        super().__init__(errors, endpoint_ctx=endpoint_ctx, locate=locate)
        self.body = body


class RequestValidationError(_ValidationErrorWithBody):
    """The request did not match the endpoint's declared parameters; answered with a 422."""


class WebSocketRequestValidationError(ValidationException):
    """A websocket's parameters were invalid; the socket is closed with 1008."""


class ResponseValidationError(_ValidationErrorWithBody):
    """The endpoint returned something its response model refuses: a server bug, so a 500."""
