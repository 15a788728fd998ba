"""minifast.openapi.models: the OpenAPI document as pydantic models."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from minifast import Depends, FastAPI
from minifast.openapi import models
from minifast.security import OAuth2PasswordBearer
from minifast.testclient import TestClient


class Item(BaseModel):
    name: str
    tags: list[str] = []


def _document() -> dict[str, Any]:
    app = FastAPI(title="Shop", version="1.0")
    oauth2 = OAuth2PasswordBearer(tokenUrl="token")

    @app.post("/items/{item_id}", tags=["items"])
    async def create(item_id: int, item: Item, token: str = Depends(oauth2)) -> Item:
        return item

    return TestClient(app).get("/openapi.json").json()


def test_an_app_document_validates_and_dumps_back_unchanged() -> None:
    document = _document()
    parsed = models.OpenAPI.model_validate(document)
    assert parsed.info.title == "Shop"
    assert parsed.paths is not None
    operation = parsed.paths["/items/{item_id}"].post
    assert operation.parameters[0].in_ is models.ParameterInType.path
    assert parsed.components is not None
    scheme = parsed.components.securitySchemes["OAuth2PasswordBearer"]
    assert isinstance(scheme, models.OAuth2)
    assert scheme.flows.password is not None
    assert scheme.flows.password.tokenUrl == "token"
    dumped = parsed.model_dump(by_alias=True, exclude_none=True, mode="json")
    assert dumped == document


@pytest.mark.parametrize("kind", ["array", ["string", "null"], None], ids=["one", "list", "none"])
def test_schema_type_takes_a_name_a_list_of_names_or_none(kind: Any) -> None:
    assert models.Schema(type=kind).type == kind


def test_schema_type_refuses_anything_else() -> None:
    with pytest.raises(ValidationError, match="2 validation errors for Schema"):
        models.Schema(type=True)


def test_extensions_are_kept() -> None:
    info = models.Info.model_validate({"title": "t", "version": "1", "x-logo": {"url": "/l"}})
    assert info.model_dump(exclude_none=True) == {
        "title": "t",
        "version": "1",
        "x-logo": {"url": "/l"},
    }


def test_security_scheme_models_carry_their_type() -> None:
    key = models.APIKey(**{"in": "header"}, name="X-Key")
    assert key.model_dump(by_alias=True, exclude_none=True, mode="json") == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Key",
    }
    bearer = models.HTTPBearer(bearerFormat="JWT")
    assert bearer.model_dump(by_alias=True, exclude_none=True, mode="json") == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
