"""Models of parameters and of form fields, aliases and markers, checked against FastAPI."""

from typing import Annotated, Any, Literal

import pytest
from pydantic import (
    AliasChoices,
    AliasPath,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Json,
    Tag,
)

from tests.support import compare, framework, multipart, part

pytest.importorskip("multipart")  # FastAPI reads forms with python-multipart

URLENCODED = [(b"content-type", b"application/x-www-form-urlencoded")]
MULTIPART = [(b"content-type", b"multipart/form-data; boundary=XX")]


class Filters(BaseModel):
    term: str
    limit: int = 10
    tags: list[str] = []


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class Client(BaseModel):
    x_token: str | None = None
    agent: str = Field("none", validation_alias=AliasChoices("x-agent", "user_agent"))


class ByName(BaseModel):
    model_config = ConfigDict(validate_by_name=True)
    values: list[int] = Field([], alias="value")


class NotByAlias(BaseModel):
    model_config = ConfigDict(validate_by_alias=False, validate_by_name=True)
    count: int = Field(0, alias="n")


class Pathed(BaseModel):
    first: int = Field(0, validation_alias=AliasChoices(AliasPath("first", 0), "one"))
    second: int = Field(0, validation_alias=AliasPath("second", 0))


class TextForm(BaseModel):
    kind: Literal["text"]
    value: str


class ListForm(BaseModel):
    kind: Literal["list"]
    value: list[str]


def rename_legacy(data: Any) -> Any:
    if data.get("kind") == "none":
        return "not a form"
    if "legacy" in data:
        data["value"] = data.pop("legacy")
        data["note"], data["notes"] = None, []  # kept as given, though no form sends them
    return data


def build(name: str) -> Any:  # noqa: C901 - one small endpoint per case
    fw = framework(name)
    app = fw.FastAPI()
    Query, Header, Cookie, Form, File = fw.Query, fw.Header, fw.Cookie, fw.Form, fw.File

    class Avatar(BaseModel):
        label: str = ""
        blob: bytes = File(b"")  # COMPAT: a File() field of a form model is given the content

    @app.get("/query")
    def query(filters: Annotated[Filters | None, Query(validate_default=True)] = None) -> Any:
        return filters

    @app.get("/query-strict")
    def query_strict(
        strict: Annotated[Strict | None, Query(default_factory=lambda: None)],
    ) -> Any:
        return strict

    @app.get("/query-names")
    def query_names(
        by_name: Annotated[ByName, Query()], not_by_alias: Annotated[NotByAlias, Query()]
    ) -> Any:
        return {"by_name": by_name.values, "not_by_alias": not_by_alias.count}

    @app.get("/query-paths")
    def query_paths(pathed: Annotated[Pathed, Query()]) -> Any:
        return pathed

    @app.get("/headers")
    def headers(client: Annotated[Client | None, Header()] = None) -> Any:
        return client

    @app.get("/cookies")
    def cookies(filters: Annotated[Filters | None, Cookie()] = None) -> Any:
        return filters

    @app.get("/choices")
    def choices(
        value: Annotated[int, Query(validation_alias=AliasChoices("v", "value"))] = 0,
        items: Annotated[list[str], Header(validation_alias=AliasChoices("x-a", "x-b"))] = [],  # noqa: B006
    ) -> Any:
        return {"value": value, "items": items}

    @app.get("/merged")
    def merged(
        kept: Annotated[int, Field(alias="wire"), Query()] = 0,
        cleared: Annotated[int, Field(alias="old"), Query(alias=None)] = 0,
        bounded: Annotated[int, Query(), Field(gt=1)] = 5,
        given: Annotated[int, Field(gt=0), fw.Depends(lambda: 1)] = 0,
        data: Annotated[Json[list[int]], Query(alias="d", validation_alias="json")] = [],  # noqa: B006
    ) -> Any:
        return {"kept": kept, "cleared": cleared, "bounded": bounded, "given": given, "data": data}

    @app.post("/form-models")
    def form_models(
        filters: Annotated[Filters, Form()],
        strict: Annotated[Strict | None, Form()] = None,
        token: Annotated[str, Form(validation_alias=AliasChoices("token", "key"))] = "",
        note: Annotated[str, fw.Body()] = "",
    ) -> Any:
        return {"filters": filters, "strict": strict, "token": token, "note": note}

    @app.post("/form-required-optional")
    def form_required_optional(filters: Annotated[Filters | None, Form()]) -> Any:
        return filters

    @app.post("/form-union")
    def form_union(
        data: Annotated[
            Annotated[TextForm, Tag("text")] | ListForm | None, Form(discriminator="kind")
        ] = None,
    ) -> Any:
        return data

    @app.post("/form-union-renamed")
    def form_union_renamed(
        data: Annotated[TextForm | ListForm, BeforeValidator(rename_legacy), Form()],
    ) -> Any:
        return data

    @app.post("/form-files")
    async def form_files(
        avatar: Annotated[Avatar, Form()],
        blob: Annotated[bytes, File()] = b"",
        upload: Annotated[fw.UploadFile | None, File(alias="blob")] = None,
    ) -> Any:
        position = upload.file.tell() if upload is not None else None
        return {"avatar": avatar.label, "blob": len(blob), "position": position}

    return app


@pytest.mark.parametrize(
    ("path", "query", "headers"),
    [
        ("/query", b"", []),
        ("/query", b"other=1", []),
        ("/query", b"term=a&tags=x&tags=y&limit=2", []),
        ("/query", b"limit=x", []),
        ("/query-strict", b"", []),
        ("/query-strict", b"other=1", []),
        ("/query-strict", b"name=a&other=1&other=2", []),
        ("/query-names", b"values=1&values=2&count=3", []),
        ("/query-names", b"value=1&n=4", []),
        ("/query-paths", b"first=1&one=2&second=3", []),
        ("/headers", b"", []),
        ("/headers", b"", [(b"x-token", b"t"), (b"user-agent", b"u")]),
        ("/headers", b"", [(b"x-agent", b"a"), (b"x_token", b"t")]),
        ("/cookies", b"", [(b"cookie", b"term=a; limit=3")]),
        ("/cookies", b"", [(b"cookie", b"limit=x")]),
        ("/choices", b"value=2&v=x", [(b"x-b", b"1"), (b"x-b", b"2")]),
        ("/choices", b"value=3", [(b"x-a", b"")]),
        ("/merged", b"wire=1&cleared=2&bounded=3", []),
        ("/merged", b"old=1&bounded=1&json=%5B1%2C2%5D", []),
        ("/cookies", b"", [(b"cookie", b"term=a; other=1")]),
    ],
    ids=[
        "optional-absent", "optional-other-key", "optional-given", "optional-invalid",
        "forbid-absent", "forbid-extra", "forbid-extras-repeated", "by-name", "by-alias",
        "alias-paths", "header-absent", "header-choices", "header-unconverted",
        "cookie-model", "cookie-invalid", "choices-invalid", "choices-second",
        "merged-markers", "merged-markers-invalid", "cookie-extra",
    ],
)  # fmt: skip
def test_parameter_models(path: str, query: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    compare(build, "GET", path, query=query, headers=headers)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/form-models", b"term=a&tags=x&tags=y"),
        ("/form-models", b"term=a&name=n&key=k&note=x"),
        ("/form-models", b"limit=x&token="),
        ("/form-required-optional", b""),
        ("/form-required-optional", b"term=a&limit="),
        ("/form-union", b""),
        ("/form-union", b"kind=list&value=&value=b"),
        ("/form-union", b"kind=text&value="),
        ("/form-union", b"kind=list"),
        ("/form-union-renamed", b"kind=text&legacy=hello"),
        ("/form-union-renamed", b"kind=other"),
        ("/form-union-renamed", b"kind=none"),
    ],
    ids=[
        "models", "models-alias-choice", "models-errors", "required-optional-absent",
        "required-optional-given", "union-absent", "union-list", "union-empty-text",
        "union-missing-value", "union-before-validator", "union-no-branch", "union-not-a-dict",
    ],
)  # fmt: skip
def test_form_models(path: str, body: bytes) -> None:
    compare(build, "POST", path, headers=URLENCODED, body=body)


@pytest.mark.parametrize(
    "body",
    [
        multipart(part("label", b"me"), part("blob", b"abc", "b.bin")),
        multipart(part("label", b"me"), part("blob", b"", "")),
    ],
    ids=["file-read-twice", "empty-file-input"],
)
def test_form_files(body: bytes) -> None:
    compare(build, "POST", "/form-files", headers=MULTIPART, body=body)


@pytest.mark.parametrize(
    "annotation",
    [list[Filters], tuple[Filters, Filters], dict[str, int], dict[str, Any] | None],
    ids=["list-of-models", "tuple-of-models", "dict", "optional-dict"],
)
@pytest.mark.parametrize("name", ["minifast", "fastapi"])
def test_unsupported_query_types_are_refused(name: str, annotation: Any) -> None:
    fw = framework(name)
    app = fw.FastAPI()

    def endpoint(q: Annotated[annotation, fw.Query()] = None) -> None:  # pragma: no cover
        pass

    with pytest.raises(AssertionError, match="Query parameter 'q' must be one of the supported"):
        app.get("/")(endpoint)


def test_query_unions_of_lists_and_scalars_are_accepted() -> None:
    compare(build_lists, "GET", "/", query=b"q=1&q=2")


def build_lists(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI()

    @app.get("/")
    def endpoint(q: Annotated[list[int] | int | None, fw.Query()] = None) -> Any:
        return q

    return app
