"""Response models, response classes and status codes, answered as FastAPI answers them."""

# No `from __future__ import annotations`: the app is built inside a function, and string
# annotations naming its local classes could not be resolved by either framework.

import dataclasses
import datetime
import decimal
import enum
import functools
import uuid
import warnings
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from tests.support import compare, framework, import_from, request


class UserInDB(BaseModel):
    id: int
    username: str
    password_hash: str
    created_at: datetime.datetime


class UserResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    created_at: datetime.datetime


class ItemResponse(BaseModel):
    id: int
    name: str
    internal_notes: str | None = None
    tax: float | None = None
    label: str = Field("none", alias="itemLabel")


class OrmUser:
    """An object with attributes, like an ORM row."""

    def __init__(self) -> None:
        self.id = 7
        self.username = "orm"
        self.password_hash = "x"
        self.created_at = datetime.datetime(2024, 1, 2, 3, 4, 5)


class Size(enum.Enum):
    small = 1


@dataclasses.dataclass
class Pair:
    left: int
    right: decimal.Decimal


class Deferred(BaseModel):
    """Built by pydantic on first use, so a route gets its validator then, not at registration."""

    model_config = ConfigDict(defer_build=True)

    id: int
    note: str = "deferred"


NOW = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
ITEM = {"id": 1, "name": "w", "internal_notes": None, "tax": None, "itemLabel": "l"}


@functools.cache
def build(name: str) -> Any:  # noqa: C901 - one app with a route per response option
    fw = framework(name)
    responses = import_from(name, "responses")
    app = fw.FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.post("/users", response_model=UserResponse, status_code=201)
    def create_user() -> Any:
        return UserInDB(id=1, username="ann", password_hash="secret", created_at=NOW)

    @app.get("/orm")
    def orm() -> UserResponse:
        return UserResponse.model_validate(OrmUser())

    @app.get("/orm-raw", response_model=UserResponse)
    def orm_raw() -> Any:
        return OrmUser()

    @app.get("/dict-model", response_model=UserResponse)
    def dict_model() -> Any:
        return {"id": "3", "username": "d", "password_hash": "p", "created_at": "2024-01-01"}

    @app.get("/invalid", response_model=UserResponse)
    def invalid() -> Any:
        return {"id": "x"}

    @app.get("/exclude-none", response_model=ItemResponse, response_model_exclude_none=True)
    def exclude_none() -> Any:
        return ITEM

    @app.get("/include", response_model=ItemResponse, response_model_include={"id", "name"})
    def include() -> Any:
        return ITEM

    @app.get("/exclude", response_model=ItemResponse, response_model_exclude={"internal_notes"})
    def exclude() -> Any:
        return ITEM

    @app.get("/unset", response_model=ItemResponse, response_model_exclude_unset=True)
    def unset() -> Any:
        return ItemResponse(id=2, name="u")

    @app.get("/defaults", response_model=ItemResponse, response_model_exclude_defaults=True)
    def defaults() -> Any:
        return ItemResponse(id=2, name="u", tax=None, itemLabel="none")

    @app.get("/by-name", response_model=ItemResponse, response_model_by_alias=False)
    def by_name() -> Any:
        return ITEM

    @app.get("/list", response_model=list[UserResponse])
    def listing() -> Any:
        return [OrmUser(), UserInDB(id=2, username="b", password_hash="h", created_at=NOW)]

    @app.get("/plain")
    def plain() -> dict[str, Any]:
        return {"float": 1e16, "one": 1.0, "unicode": "héllo ✓", "nested": [1, {"a": None}]}

    @app.get("/encoded")
    def encoded() -> Any:
        return {
            "when": NOW, "day": datetime.date(2024, 1, 2), "span": datetime.timedelta(hours=1),
            "uuid": uuid.UUID(int=1), "dec": decimal.Decimal("1.50"), "int_dec": decimal.Decimal(3),
            "enum": Size.small, "set": {1}, "tuple": (1, 2), "bytes": b"raw",
            "pair": Pair(1, decimal.Decimal("2.5")),
            "model": UserResponse.model_validate(OrmUser()),
        }  # fmt: skip

    @app.delete("/no-content", status_code=204)
    def no_content() -> None:
        return None

    @app.get("/not-modified", status_code=304, response_model=None)
    def not_modified() -> Any:
        return {"ignored": True}

    @app.put("/upsert/{item_id}")
    def upsert(item_id: int, response: fw.Response) -> dict[str, int]:
        response.status_code = 201 if item_id > 10 else 200
        response.headers["X-Upserted"] = str(item_id)
        response.set_cookie("last", str(item_id))
        return {"item_id": item_id}

    @app.get("/set-status/{code}")
    def set_status(code: int, response: fw.Response) -> dict[str, int]:
        response.status_code = code  # a status without a body: the model's bytes are dropped
        return {"code": code}

    @app.get("/returned-response")
    def returned_response(response: fw.Response) -> Any:
        response.headers["X-Ignored"] = "yes"
        return responses.JSONResponse({"custom": True}, status_code=202, headers={"X-A": "b"})

    @app.get("/html", response_class=responses.HTMLResponse)
    def html() -> str:
        return "<h1>hi</h1>"

    @app.get("/text", response_class=responses.PlainTextResponse)
    def text() -> str:
        return "plain"

    @app.get("/redirect", response_class=responses.RedirectResponse)
    def redirect() -> str:
        return "/plain"

    @app.get("/redirect-status", response_class=responses.RedirectResponse, status_code=302)
    def redirect_status() -> str:
        return "/plain"

    @app.get("/model-html", response_model=UserResponse, response_class=responses.JSONResponse)
    def model_explicit_class() -> Any:
        return OrmUser()

    @app.get("/none-model", response_model=None)
    def none_model() -> Any:
        return {"anything": [1, 2]}

    @app.get("/returns-list")
    async def returns_list() -> list[int]:
        return [3, 2, 1]

    @app.get("/deferred-model", response_model=Deferred)
    async def deferred_model() -> Any:
        return {"id": "7", "extra": "dropped"}

    return app


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/users"),
        ("GET", "/orm"),
        ("GET", "/orm-raw"),
        ("GET", "/dict-model"),
        ("GET", "/exclude-none"),
        ("GET", "/include"),
        ("GET", "/exclude"),
        ("GET", "/unset"),
        ("GET", "/defaults"),
        ("GET", "/by-name"),
        ("GET", "/list"),
        ("GET", "/plain"),
        ("GET", "/encoded"),
        ("DELETE", "/no-content"),
        ("GET", "/not-modified"),
        ("PUT", "/upsert/3"),
        ("PUT", "/upsert/30"),
        ("GET", "/returned-response"),
        ("GET", "/html"),
        ("GET", "/text"),
        ("GET", "/redirect"),
        ("GET", "/redirect-status"),
        ("GET", "/model-html"),
        ("GET", "/none-model"),
        ("GET", "/returns-list"),
        ("GET", "/deferred-model"),
        ("GET", "/set-status/204"),
        ("GET", "/set-status/205"),
        ("GET", "/set-status/304"),
    ],
    ids=lambda value: str(value).strip("/").replace("/", "-") or "root",
)
def test_same_answer_as_fastapi(method: str, path: str) -> None:
    compare(build, method, path)


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
def test_response_model_mismatch_is_a_server_error(name: str) -> None:
    exceptions = import_from(name, "exceptions")
    with pytest.raises(exceptions.ResponseValidationError) as caught:
        request(build(name), "GET", "/invalid")
    assert [(error["type"], error["loc"]) for error in caught.value.errors()] == [
        ("int_parsing", ("response", "id")),
        ("missing", ("response", "username")),
        ("missing", ("response", "created_at")),
    ]


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
def test_bodiless_status_with_a_response_model_is_refused_at_registration(name: str) -> None:
    app = framework(name).FastAPI()

    def endpoint() -> dict[str, int]:
        return {}

    with pytest.raises(Exception, match="304 must not have a response body"):
        app.get("/nothing", status_code=304)(endpoint)


@functools.cache
def build_with_default_class(name: str) -> Any:
    """An app and a router that choose the response class for routes with response models."""
    fw = framework(name)
    responses = import_from(name, "responses")

    class Pretty(responses.JSONResponse):
        media_type = "application/vnd.pretty+json"

        def render(self, content: Any) -> bytes:
            return repr(sorted(content.items())).encode()

    app = fw.FastAPI(default_response_class=Pretty)
    router = fw.APIRouter(default_response_class=responses.JSONResponse)

    @app.get("/app")
    def from_app() -> ItemResponse:
        return ItemResponse(id=1, name="a")

    @router.get("/router", response_model=ItemResponse)
    def from_router() -> dict[str, Any]:
        return {"id": 2, "name": "b", "internal_notes": "n"}

    app.include_router(router)
    return app


@pytest.mark.parametrize("path", ["/app", "/router"])
def test_a_chosen_default_class_renders_response_models(path: str) -> None:
    compare(build_with_default_class, "GET", path)


class _Plain:
    """Not a type pydantic can validate."""


def _v1_model() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pydantic.v1 warns on Python 3.14
        from pydantic import v1

    class Legacy(v1.BaseModel):
        name: str

    return Legacy


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
@pytest.mark.parametrize(
    ("options", "annotation"),
    [
        ({"response_model": "V1"}, None),
        ({}, "V1"),
        ({}, "list[V1] | None"),
        ({"response_model": None, "responses": {400: {"model": "list[V1]"}}}, None),
    ],
    ids=["response-model", "return-annotation", "nested", "responses"],
)
def test_pydantic_v1_response_models_are_refused(
    name: str, options: dict[str, Any], annotation: str | None
) -> None:
    fw, legacy = framework(name), _v1_model()
    scope = {"V1": legacy}
    options = {key: _evaluated(value, scope) for key, value in options.items()}

    def endpoint() -> None:
        pass  # pragma: no cover - refused at registration

    endpoint.__annotations__["return"] = _evaluated(annotation, scope) if annotation else None
    with pytest.raises(import_from(name, "exceptions").PydanticV1NotSupportedError):
        fw.FastAPI().get("/", **options)(endpoint)


def _evaluated(value: Any, scope: dict[str, Any]) -> Any:
    """Strings in `value` (a model named: `{400: {"model": "list[V1]"}}`), evaluated."""
    if isinstance(value, str):
        return eval(value, scope)
    if isinstance(value, dict):
        return {key: _evaluated(item, scope) for key, item in value.items()}
    return value


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
@pytest.mark.parametrize(
    "options",
    [
        {"response_model": list[_Plain]},
        {"responses": {"500": {"model": _Plain}}},
        {"responses": {"500": {"model": list[_Plain]}}},
    ],
    ids=["response-model", "responses", "responses-list"],
)
def test_invalid_response_models_are_refused_at_registration(
    name: str, options: dict[str, Any]
) -> None:
    def endpoint() -> None:
        pass  # pragma: no cover - refused at registration

    with pytest.raises(import_from(name, "exceptions").FastAPIError):
        framework(name).FastAPI().get("/", **options)(endpoint)


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
def test_an_invalid_return_annotation_hints_at_response_model_none(name: str) -> None:
    fw = framework(name)

    def endpoint() -> fw.Response | None:
        pass  # pragma: no cover - refused at registration

    with pytest.raises(import_from(name, "exceptions").FastAPIError) as caught:
        fw.FastAPI().get("/")(endpoint)
    assert "valid Pydantic field type" in str(caught.value)
    assert "parameter response_model=None" in str(caught.value)
    fw.FastAPI().get("/", response_model=None)(endpoint)


# FastAPI is left out: it caches each endpoint's place by id(), so once an earlier test's
# endpoint is collected, a new function at the same address gets its name ("root").
@pytest.mark.parametrize("name", ["minifast"])
@pytest.mark.parametrize("mount", ["", "/sub"], ids=["app", "mounted"])
def test_a_response_validation_error_names_its_endpoint(name: str, mount: str) -> None:
    fw = framework(name)
    app = inner = fw.FastAPI()
    if mount:
        app = fw.FastAPI()
        app.mount(mount, inner)

    @inner.get("/items/{item_id}", response_model=UserResponse)
    def get_user(item_id: int) -> Any:
        return {"id": item_id}

    with pytest.raises(import_from(name, "exceptions").ResponseValidationError) as caught:
        request(app, "GET", f"{mount}/items/3")
    assert (caught.value.endpoint_function, caught.value.endpoint_path) == (
        "get_user", f"GET {mount}/items/{{item_id}}",
    )  # fmt: skip
    assert "get_user" in str(caught.value)
