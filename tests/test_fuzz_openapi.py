"""schemathesis against every example app's OpenAPI document, in-process, with a fixed seed.

Each operation gets requests generated from its document (valid and invalid ones); each answer
must be no server error, and where the document describes it, its body and Content-Type must
be what the document says. `MINIFAST_FUZZ_EXAMPLES` sets the examples per operation (a few by
default, so `make test` stays fast; `make fuzz` raises it).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

MAX_EXAMPLES = int(os.environ.get("MINIFAST_FUZZ_EXAMPLES", "4"))

# Every example app that serves an OpenAPI document (examples/toolkit.py has none).
EXAMPLES = [
    "bigger_app.main", "chat", "docs_offline", "exception_handlers", "main", "middleware",
    "openapi_docs", "parameters", "puzzle", "quiz", "response_models", "responses",
    "static_site", "streaming", "tenants", "uploads", "users_db",
]  # fmt: skip

# Routes that answer a file or a stream with no `response_class` saying so: their document
# says application/json, as FastAPI's does for the same code, so only the media type is left
# unchecked there.
MEDIA_UNDOCUMENTED = {("responses", "GET /report.pdf"), ("responses", "GET /stream")}
# Inputs held fixed because they only make the answer slower, by the client's own choice.
PINNED: dict[tuple[str, str], dict[str, Any]] = {("streaming", "GET /ticker"): {"interval": 0}}


def operations() -> Iterator[Any]:
    for name in EXAMPLES:
        app = importlib.import_module(f"examples.{name}").app
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        for result in schema.get_all_operations():
            operation = result.ok()
            yield pytest.param(name, operation, id=f"{name}:{operation.label}")


@pytest.mark.parametrize(("name", "operation"), list(operations()))
def test_every_documented_operation_holds_under_generated_requests(
    name: str, operation: Any
) -> None:
    key = (name, operation.label)
    checks = [not_a_server_error, response_schema_conformance]
    if key not in MEDIA_UNDOCUMENTED:
        checks.append(content_type_conformance)
    pinned = PINNED.get(key, {})

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,  # a fixed seed: the same requests on every run
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def holds(case: Any) -> None:
        if pinned:
            case.query = {**(case.query or {}), **pinned}
        case.call_and_validate(checks=checks)

    holds()
