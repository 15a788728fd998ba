"""OpenAPI of models of form fields and of parameters, compared with FastAPI's documents."""

from collections.abc import Callable
from typing import Annotated, Any, Literal

import pytest
from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, Field

from tests.support import framework
from tests.test_openapi import assert_same_openapi


class Profile(BaseModel):
    name: str
    age: int
    tags: list[str] = Field(default_factory=list)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    theme: str = "dark"


class Named(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    display_name: str = Field(alias="name")
    department: str


class Chosen(BaseModel):
    display_name: str = Field(validation_alias=AliasChoices("display_name", "name"))


class Aliased(BaseModel):
    code: str = Field(alias="the-code")


class Pathy(BaseModel):
    first: str = Field("x", validation_alias=AliasChoices(AliasPath("a", 0), "b"))
    second: int = 1


class Empty(BaseModel):
    pass


DEFAULT_STRICT = Strict()
DEFAULT_CHOSEN = Chosen(display_name="x")


class Card(BaseModel):
    kind: Literal["card"]
    number: str


class Cash(BaseModel):
    kind: Literal["cash"]
    amount: int


class Filters(BaseModel):
    term: str
    limit: int = 10


class Client(BaseModel):
    user_agent: str
    x_token: str | None = None


def single_forms_app(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI()

    @app.post("/model")
    def model(profile: Annotated[Profile, fw.Form()]) -> None:
        return None

    @app.post("/optional")
    def optional(profile: Annotated[Profile | None, fw.Form()] = None) -> None:
        return None

    @app.post("/required-nullable")
    def required_nullable(strict: Annotated[Strict | None, fw.Form()]) -> None:
        return None

    @app.post("/union")
    def union(payment: Annotated[Card | Cash, fw.Form()]) -> None:
        return None

    @app.post("/optional-union")
    def optional_union(payment: Annotated[Card | Cash | None, fw.Form()] = None) -> None:
        return None

    @app.post("/empty")
    def empty(empty: Annotated[Empty | None, fw.Form()] = None) -> None:
        return None

    @app.post("/multipart", openapi_extra={"x-kind": "multipart"})
    def multipart(
        profile: Annotated[Profile | None, fw.Form(media_type="multipart/form-data")] = None,
    ) -> None:
        return None

    return app


def combined_forms_app(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI()

    def profile_dependency(profile: Annotated[Profile | None, fw.Form()] = None) -> Any:
        return profile

    def token_dependency(token: Annotated[str, fw.Form()]) -> str:
        return token

    @app.post("/with-field")
    def with_field(
        token: Annotated[str, fw.Form()],
        profile: Annotated[Profile | None, fw.Form()] = None,
        strict: Annotated[Strict, fw.Form()] = DEFAULT_STRICT,
    ) -> None:
        return None

    @app.post("/aliases")
    def aliases(
        named: Annotated[Named | None, fw.Form()] = None,
        chosen: Annotated[Chosen, fw.Form()] = DEFAULT_CHOSEN,
        aliased: Annotated[Aliased | None, fw.Form()] = None,
    ) -> None:
        return None

    @app.post("/dependency")
    def dependency(
        token: Annotated[str, fw.Form()],
        again: Annotated[str, fw.Depends(token_dependency)],
        profile: Annotated[Any, fw.Depends(profile_dependency)],
    ) -> None:
        return None

    @app.post("/files")
    def files(
        upload: Annotated[bytes | None, fw.File()] = None,
        profile: Annotated[Profile | None, fw.Form()] = None,
    ) -> None:
        return None

    @app.post("/same-name")
    def same_name(
        profile: Annotated[Profile | None, fw.Form()] = None,
        other: Annotated[Any, fw.Depends(profile_dependency)] = None,
    ) -> None:
        return None

    @app.post("/alias-path")
    def alias_path(pathy: Annotated[Pathy | None, fw.Form()] = None) -> None:
        return None

    @app.post("/one-name")
    def one_name(profile: Annotated[Profile, fw.Depends(profile_dependency)]) -> None:
        return None

    return app


def parameter_models_app(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI()

    @app.get("/optional")
    def optional(
        filters: Annotated[Filters | None, fw.Query()] = None,
        client: Annotated[Client | None, fw.Header()] = None,
    ) -> None:
        return None

    @app.get("/required-nullable")
    def required_nullable(filters: Annotated[Filters | None, fw.Query()]) -> None:
        return None

    @app.get("/hidden")
    def hidden(
        term: str,
        filters: Annotated[Filters | None, fw.Query(include_in_schema=False)] = None,
    ) -> None:
        return None

    @app.get("/items/{item_id}")
    def path_factory(
        item_id: Annotated[int, Field(default_factory=lambda: 5, title="Item ID")],
    ) -> None:
        return None

    return app


def metadata_app(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI()
    count = Annotated[int, Field(title="Count", json_schema_extra={"x-source": "field"})]

    @app.get("/cleared")
    def cleared(count: Annotated[count, fw.Query(json_schema_extra=None)]) -> None:
        return None

    @app.get("/example")
    def example(q: Annotated[str, fw.Query(example="an example")] = "") -> None:
        return None

    @app.post("/example")
    def body_example(profile: Annotated[Profile, fw.Body(example={"name": "Rick"})]) -> None:
        return None

    return app


def media_types_app(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI()
    multipart = "multipart/form-data"

    def strict_dependency(strict: Annotated[Strict, fw.Form(media_type=multipart)]) -> Any:
        return strict

    @app.post("/model-in-dependency")
    def model_in_dependency(
        profile: Annotated[Profile, fw.Form()],
        strict: Annotated[Strict, fw.Depends(strict_dependency)],
    ) -> None:
        return None

    @app.post("/mixed")
    def mixed(
        a: Annotated[str, fw.Form(media_type="application/x-www-form-urlencoded")],
        b: Annotated[str, fw.Form(media_type=multipart)],
    ) -> None:
        return None

    @app.post("/charset")
    def charset(
        a: Annotated[str, fw.Form(media_type="application/x-www-form-urlencoded; charset=utf-8")],
        b: Annotated[str, fw.Form()],
    ) -> None:
        return None

    @app.post("/json")
    def json_body(
        a: Annotated[int, fw.Body(media_type="application/vnd.api+json")],
        b: Annotated[int, fw.Body(media_type="application/vnd.api+json")],
    ) -> None:
        return None

    @app.post("/file")
    def file(
        data: Annotated[bytes, fw.File(media_type="application/octet-stream")],
        note: Annotated[str, fw.Form(media_type="text/plain")] = "",
    ) -> None:
        return None

    return app


APPS: dict[str, Callable[[str], Any]] = {
    "media-types": media_types_app,
    "single-forms": single_forms_app,
    "combined-forms": combined_forms_app,
    "parameter-models": parameter_models_app,
}


@pytest.mark.parametrize("build", APPS.values(), ids=APPS.keys())
def test_document_equals_fastapis(build: Callable[[str], Any]) -> None:
    assert_same_openapi(build)


@pytest.mark.filterwarnings("ignore:`example` has been deprecated")
def test_metadata_and_deprecated_examples_as_fastapi() -> None:
    document = assert_same_openapi(metadata_app)
    parameter = document["paths"]["/example"]["get"]["parameters"][0]
    assert parameter["example"] == "an example"
