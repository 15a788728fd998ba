"""OpenAPI documents compared with FastAPI's: each app is built on both frameworks."""

import datetime
import decimal
import enum
import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, computed_field

import minifast
import minifast.responses
from minifast.exceptions import FastAPIDeprecationWarning
from minifast.openapi.utils import get_openapi
from minifast.testclient import TestClient
from tests.support import framework, import_from, request


def assert_same_openapi(build: Callable[[str], Any]) -> dict[str, Any]:
    """Both documents equal; a failure lists each differing JSON pointer."""
    expected = build("fastapi").openapi()
    ours = build("minifast").openapi()
    assert differences(expected, ours) == []
    assert ours == expected  # and list orders too
    return ours


def differences(expected: Any, ours: Any, pointer: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(ours, dict):
        found = []
        if list(expected) != list(ours) and set(expected) == set(ours):
            # /openapi.json is compared byte for byte too: key order counts.
            found.append(f"{pointer or '/'} key order: expected {list(expected)}, got {list(ours)}")
        for key in [*expected, *(key for key in ours if key not in expected)]:
            where = f"{pointer}/{key}"
            if key not in ours or key not in expected:
                side = "missing" if key not in ours else "extra"
                found.append(f"{where} {side}: {expected.get(key, ours.get(key))!r:.300}")
            else:
                found.extend(differences(expected[key], ours[key], where))
        return found
    if expected != ours or type(expected) is not type(ours):  # 1.0 is not 1 in the bytes
        return [f"{pointer}: expected {expected!r:.300}, got {ours!r:.300}"]
    return []


class Color(str, enum.Enum):
    red = "red"
    blue = "blue"


class Image(BaseModel):
    url: str
    name: str | None = None


class Item(BaseModel):
    """An item for sale.\fInternal notes after the form feed."""

    name: str = Field(min_length=1, description="What it is called")
    price: decimal.Decimal
    tags: list[str] = []
    images: list[Image] | None = None
    color: Color = Color.red


class Priced(BaseModel):
    price: float
    tax: float = 0.2

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> float:
        return self.price * (1 + self.tax)


class Message(BaseModel):
    message: str


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(10, ge=1, le=100)
    order_by: Literal["created", "updated"] = "created"
    tags: list[str] = []


class Headers(BaseModel):
    x_trace: str
    user_agent: str | None = Field(None, alias="User-Agent")


def parameters_app(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI()

    @app.get("/items/{item_id}")
    def read_item(
        item_id: Annotated[int, fw.Path(ge=1, le=1000, title="The ID", description="id")],
        q: Annotated[str | None, fw.Query(min_length=2, max_length=5, pattern="^a")] = None,
        size: Annotated[float, fw.Query(gt=0, lt=10.5, multiple_of=0.5)] = 1,
        alias: Annotated[str, fw.Query(alias="item-query", deprecated=True)] = "x",
        hidden: Annotated[str, fw.Query(include_in_schema=False)] = "",
        many: Annotated[list[int], fw.Query(examples=[[1, 2]])] = [],  # noqa: B006
        shown: Annotated[
            str, fw.Query(openapi_examples={"one": {"summary": "One", "value": "1"}})
        ] = "1",
        color: Color = Color.red,
        when: datetime.datetime | None = None,
        day: datetime.date = datetime.date(2020, 1, 1),
        key: uuid.UUID | None = None,
        amount: decimal.Decimal = decimal.Decimal("1.5"),
        flag: bool = False,
        lit: Literal["a", "b"] = "a",
        user_agent: Annotated[str | None, fw.Header()] = None,
        x_raw: Annotated[str | None, fw.Header(convert_underscores=False)] = None,
        session: Annotated[str | None, fw.Cookie(description="session id")] = None,
    ) -> dict[str, Any]:
        return {}

    @app.get("/models")
    def grouped(
        filters: Annotated[Filters, fw.Query()], headers: Annotated[Headers, fw.Header()]
    ) -> None:
        return None

    return app


def bodies_app(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI()

    @app.post("/single", status_code=201)
    def single(item: Item) -> Item:
        return item

    @app.post("/optional")
    def optional(item: Item | None = None) -> None:
        return None

    @app.put("/embedded/{item_id}")
    def embedded(item_id: int, item: Annotated[Item, fw.Body(embed=True)]) -> None:
        return None

    @app.post("/multiple")
    def multiple(
        item: Item,
        importance: Annotated[int, fw.Body(gt=0)],
        note: Annotated[str | None, fw.Body(alias="the-note")] = None,
    ) -> Message:
        return Message(message="")

    @app.post("/list")
    def listed(
        items: list[Item],
        extra: Annotated[dict[str, int], fw.Body(openapi_examples={"a": {"value": {"x": 1}}})] = {},  # noqa: B006
    ) -> list[Image]:
        return []

    @app.post("/raw")
    def raw(payload: Annotated[dict[str, Any], fw.Body(openapi_examples={"a": {"value": {}}})]):
        return payload

    @app.post("/priced")
    def priced(priced: Priced) -> Priced:
        return priced

    return app


def responses_app(name: str) -> Any:
    fw = framework(name)
    responses = import_from(name, "responses")
    app = fw.FastAPI(responses={418: {"description": "Teapot"}})

    @app.get(
        "/items/{item_id}",
        response_model=Item,
        response_model_exclude={"tags"},
        response_description="The item",
        responses={
            404: {"model": Message, "description": "Not found"},
            "4XX": {"description": "Client trouble"},
            "5XX": {},
            "default": {"model": Message},
            200: {"content": {"image/png": {}}, "description": "The item or its image"},
        },
    )
    def read_item(item_id: int) -> Any:
        return None

    @app.delete("/items/{item_id}", status_code=204, responses={422: {"description": "Bad"}})
    def delete(item_id: int) -> None:
        return None

    @app.get("/html", response_class=responses.HTMLResponse)
    def html() -> str:
        return ""

    @app.get("/text", response_class=responses.PlainTextResponse, status_code=202)
    def text() -> str:
        return ""

    @app.get("/redirect", response_class=responses.RedirectResponse)
    def redirect() -> str:
        return "/"

    @app.get("/plain", response_class=responses.Response, responses={409: {"model": Message}})
    def plain() -> None:
        return None

    @app.get("/not-modified", status_code=304)
    def not_modified() -> None:
        return None

    @app.get("/annotated")
    def annotated() -> list[Priced]:
        return []

    @app.get("/none", response_model=None)
    def none() -> Item:
        return Item(name="x", price=decimal.Decimal(1))

    return app


def metadata_app(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI(
        title="Shop",
        summary="A shop",
        description="Sells **things**.",
        version="2.5.0",
        terms_of_service="https://example.com/terms",
        contact={"name": "Ann", "url": "https://example.com", "email": "ann@example.com"},
        license_info={"name": "MIT", "identifier": "MIT"},
        servers=[{"url": "https://api.example.com", "description": "Production"}],
        openapi_tags=[{"name": "items", "description": "Things"}, {"name": "users"}],
    )

    @app.get("/a", tags=["items"], summary="Read A", description="Long\fcut", deprecated=True)
    def read_a() -> None:
        """Not used: the description wins."""

    @app.get("/b", tags=[Color.red], operation_id="custom_b", openapi_extra={"x-ok": True})
    def read_b() -> None:
        """First line.

            Indented.
        \f
        Hidden from the document.
        """

    @app.get("/hidden", include_in_schema=False)
    def hidden() -> None:
        return None

    @app.post(
        "/extra",
        openapi_extra={
            "requestBody": {"content": {"application/x-yaml": {"schema": {"type": "object"}}}},
            "parameters": [{"name": "x", "in": "query", "schema": {"type": "string"}}],
        },
    )
    def extra(q: int = 0) -> None:
        return None

    return app


def routers_app(name: str) -> Any:
    fw = framework(name)

    def verify(x_key: Annotated[str, fw.Header()]) -> None:
        return None

    def unique(route: Any) -> str:
        return f"{route.tags[0]}-{route.name}" if route.tags else route.name

    router = fw.APIRouter(
        prefix="/users",
        tags=["users"],
        responses={404: {"description": "Missing", "model": Message}},
        dependencies=[fw.Depends(verify)],
        deprecated=True,
    )

    @router.get("/{user_id}", tags=["people"])
    def read_user(user_id: int) -> Message:
        return Message(message="")

    @router.post("/", responses={404: {"description": "Never"}})
    def create_user(image: Image) -> Image:
        return image

    inner = fw.APIRouter(generate_unique_id_function=unique)

    @inner.get("/stats", tags=["stats"])
    def stats() -> None:
        return None

    hidden = fw.APIRouter()

    @hidden.get("/secret")
    def secret() -> None:
        return None

    app = fw.FastAPI(generate_unique_id_function=unique)
    app.include_router(router)
    app.include_router(inner, prefix="/inner")
    app.include_router(hidden, include_in_schema=False)
    app.include_router(router, prefix="/v2", tags=["v2"], dependencies=[fw.Depends(verify)])
    return app


def dependencies_app(name: str) -> Any:
    fw = framework(name)
    security = import_from(name, "security")
    oauth = security.OAuth2PasswordBearer("token", scopes={"me": "Me", "items": "Items"})
    basic = security.HTTPBasic(description="Basic")
    api_key = security.APIKeyHeader(name="X-Key", auto_error=False)

    def paging(skip: int = 0, limit: int = 10, q: str | None = None) -> None:
        return None

    def user(token: Annotated[str, fw.Depends(oauth)], q: int, x_trace: str = fw.Header()):
        return None

    def admin(
        current: Annotated[Any, fw.Security(user, scopes=["me"])],
        again: Annotated[None, fw.Depends(paging)],
    ) -> None:
        return None

    app = fw.FastAPI(dependencies=[fw.Depends(paging)])

    @app.get("/items/{item_id}")
    def read(
        item_id: str,
        page: Annotated[None, fw.Depends(paging)],
        who: Annotated[None, fw.Security(admin, scopes=["items"])],
        key: Annotated[str | None, fw.Depends(api_key)],
    ) -> None:
        return None

    @app.get("/basic", dependencies=[fw.Depends(basic)])
    def read_basic() -> None:
        return None

    @app.get("/nothing")
    def nothing(key: Annotated[str | None, fw.Depends(api_key)]) -> None:
        return None

    return app


def forms_app(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI()

    @app.post("/login")
    def login(
        username: Annotated[str, fw.Form()], password: Annotated[str, fw.Form(min_length=8)]
    ) -> None:
        return None

    @app.post("/upload")
    def upload(data: Annotated[bytes, fw.File()], note: Annotated[str, fw.Form()] = "") -> None:
        return None

    @app.post("/optional-form")
    def optional_form(note: Annotated[str, fw.Form()] = "") -> None:
        return None

    return app


def separate_app(separate: bool) -> Callable[[str], Any]:
    def build(name: str) -> Any:
        app = framework(name).FastAPI(separate_input_output_schemas=separate)

        @app.post("/priced")
        def priced(priced: Priced) -> Priced:
            return priced

        @app.get("/only-out")
        def only_out() -> list[Priced]:
            return []

        @app.get("/maybe")
        def maybe() -> Priced | Message | None:
            return None

        return app

    return build


def webhooks_app(name: str) -> Any:
    fw = framework(name)
    app = fw.FastAPI()

    @app.webhooks.post("new-item")
    def new_item(item: Item) -> None:
        """An item was added."""

    @app.get("/")
    def root() -> None:
        return None

    return app


class Strict(BaseModel):
    """Constraints FastAPI's models turn into floats; a closed object; an unordered default."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"x-b": 1, "x-a": {"z": 1, "y": 2}})
    count: int = Field(ge=1, le=10, multiple_of=2)
    ratio: float = Field(0.5, gt=0, lt=1)
    extra: dict[str, int] = {"z": 1, "a": 2}


def ordering_app(name: str) -> Any:
    """Path items FastAPI's models parse (key order, coercions) and ones they keep as dicts."""
    fw = framework(name)
    security = import_from(name, "security")
    code_flow = security.OAuth2AuthorizationCodeBearer(
        "https://a.example/auth", "token", refreshUrl="refresh", scopes={"b": "B", "a": "A"}
    )
    bearer = security.HTTPBearer(bearerFormat="JWT", description="JWT")
    cookie = security.APIKeyCookie(name="key", description="A cookie")
    open_id = security.OpenIdConnect(openIdConnectUrl="https://a.example/.well-known")
    app = fw.FastAPI(
        openapi_tags=[
            {"externalDocs": {"url": "https://a.example", "description": "d"}, "name": "t"}
        ],
        contact={"url": "https://a.example", "name": "Ann"},
    )
    callbacks = fw.APIRouter()

    @callbacks.post("{$url}/items/{item_id}")
    def notify(item_id: int, body: Strict) -> None:
        return None

    headers = {"X-Rate": {"schema": {"type": "integer", "minimum": 0}, "description": "Rate"}}
    links = {"self": {"operationId": "read", "parameters": {"b": "$b", "a": "$a"}}}
    by_url = {"application/json": {"examples": {"e": {"externalValue": "https://a.b"}}}}
    responses = {
        201: {"headers": headers, "links": links, "description": "Made"},
        202: {"content": by_url, "description": "Its URL keeps this response a dict"},
    }
    reference = {"parameters": [{"$ref": "#/components/parameters/Shared"}]}

    @app.post(
        "/model",
        tags=["t"],
        responses=responses,
        openapi_extra=reference,
        dependencies=[fw.Depends(code_flow), fw.Depends(bearer)],
    )
    def model(
        strict: Annotated[
            Strict, fw.Body(openapi_examples={"e": {"value": {"count": 2}, "summary": "Two"}})
        ],
    ) -> Strict:
        return strict

    @app.post("/url", openapi_extra={"externalDocs": {"url": "https://a.example/docs"}})
    def url(strict: Strict) -> Strict:
        return strict

    @app.post("/dict", callbacks=callbacks.routes, openapi_extra={"x-z": {"b": 1, "a": 2}})
    def dict_item(strict: Strict, key: Annotated[str | None, fw.Depends(cookie)]) -> None:
        return None

    @app.get("/dict/{item_id}", openapi_extra={"externalDocs": {"url": "https://a.example"}})
    def with_parameter(item_id: int, who: Annotated[Any, fw.Depends(open_id)]) -> Strict:
        return Strict(count=2)

    @app.webhooks.post("hook", openapi_extra={"externalDocs": {"url": "https://a.example"}})
    def hook(strict: Strict, q: Annotated[int, fw.Query(ge=1)] = 1) -> None:
        return None

    return app


def empty_app(name: str) -> Any:
    return framework(name).FastAPI(description="")


APPS = {
    "parameters": parameters_app,
    "bodies": bodies_app,
    "responses": responses_app,
    "metadata": metadata_app,
    "routers": routers_app,
    "dependencies": dependencies_app,
    "forms": forms_app,
    "separate-schemas": separate_app(True),
    "shared-schemas": separate_app(False),
    "webhooks": webhooks_app,
    "ordering": ordering_app,
    "empty": empty_app,
}


@pytest.mark.parametrize("build", APPS.values(), ids=APPS.keys())
def test_document_equals_fastapis(build: Callable[[str], Any]) -> None:
    assert_same_openapi(build)


@pytest.mark.parametrize("build", APPS.values(), ids=APPS.keys())
def test_served_document_equals_fastapis(build: Callable[[str], Any]) -> None:
    expected = request(build("fastapi"), "GET", "/openapi.json")
    ours = request(build("minifast"), "GET", "/openapi.json")
    assert (ours.status, ours.header("content-type")) == (200, "application/json")
    assert ours.body == expected.body


def test_duplicate_operation_ids_warn_as_in_fastapi() -> None:
    def build(name: str) -> Any:
        app = framework(name).FastAPI()

        @app.api_route("/c", methods=["GET", "POST"], name="see_it")
        def read_c() -> None:
            return None

        return app

    with pytest.warns(UserWarning, match="Duplicate Operation ID see_it_c_") as caught:
        assert_same_openapi(build)
    assert len(caught) == 2  # one per framework


def test_callbacks_are_documented() -> None:
    def build(name: str) -> Any:
        fw = framework(name)
        callbacks = fw.APIRouter()

        @callbacks.post("{$callback_url}/events/{event_id}", response_model=Message)
        def event_happened(event_id: str, body: Image) -> None:
            return None

        app = fw.FastAPI()

        @app.post("/subscribe", callbacks=callbacks.routes)
        def subscribe(callback_url: str) -> None:
            return None

        return app

    assert "callbacks" in assert_same_openapi(build)["paths"]["/subscribe"]["post"]


def test_document_is_built_once_and_cached() -> None:
    app = minifast.FastAPI()

    @app.get("/a")
    def read_a() -> None:
        return None

    first = app.openapi()
    assert app.openapi_schema is first
    assert app.openapi() is first


def test_custom_openapi_override_pattern() -> None:
    app = minifast.FastAPI(title="Original")

    @app.get("/a")
    def read_a() -> None:
        return None

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title="Custom", version="9", routes=app.routes)
        schema["info"]["x-logo"] = {"url": "logo.png"}
        app.openapi_schema = schema
        return schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
    served = TestClient(app).get("/openapi.json").json()
    assert served["info"] == {"title": "Custom", "version": "9", "x-logo": {"url": "logo.png"}}
    assert list(served["paths"]) == ["/a"]


@pytest.mark.parametrize(
    ("options", "root_path"),
    [({}, "/api/v1"), ({"servers": [{"url": "/api/v1"}]}, "/api/v1"), ({}, "")],
    ids=["root-path-added", "root-path-listed", "no-root-path"],
)
def test_root_path_is_listed_in_servers(options: dict[str, Any], root_path: str) -> None:
    def build(name: str) -> Any:
        app = framework(name).FastAPI(**options)

        @app.get("/a")
        def read_a() -> None:
            return None

        return app

    reference, app = build("fastapi"), build("minifast")
    for path in (root_path, "/other"):  # a second root path replaces the first, not adds to it
        expected = request(reference, "GET", "/openapi.json", root_path=path)
        ours = request(app, "GET", "/openapi.json", root_path=path)
        assert ours.body == expected.body


def test_root_path_in_servers_can_be_turned_off() -> None:
    with pytest.warns(FastAPIDeprecationWarning):
        app = minifast.FastAPI(root_path="/api", root_path_in_servers=False)
    assert "servers" not in json.loads(request(app, "GET", "/openapi.json").body)


@pytest.mark.parametrize("url", [None, "/schema.json"], ids=["off", "moved"])
def test_openapi_url(url: str | None) -> None:
    def build(name: str) -> Any:
        return framework(name).FastAPI(openapi_url=url)

    for path in ["/openapi.json", "/schema.json"]:
        expected = request(build("fastapi"), "GET", path)
        ours = request(build("minifast"), "GET", path)
        assert ours.status == expected.status, path


def test_response_class_without_a_status_default_documents_200() -> None:
    class Custom(minifast.responses.JSONResponse):
        def __init__(self, content: Any, status_code: int | None = None) -> None:
            super().__init__(content, status_code or 200)

    app = minifast.FastAPI()

    @app.get("/a", response_class=Custom)
    def read_a() -> None:
        return None

    assert list(app.openapi()["paths"]["/a"]["get"]["responses"]) == ["200"]


def build_included_callbacks(name: str) -> Any:
    """Callbacks and an id function given to APIRouter and include_router; external docs."""
    fw = framework(name)
    hooks = fw.APIRouter()

    @hooks.post("{$callback_url}/events")
    def event(body: dict[str, Any]) -> None:
        return None

    inner = fw.APIRouter(callbacks=hooks.routes)

    @inner.post("/subscribe")
    def subscribe(url: str) -> dict[str, Any]:
        return {}

    @inner.get("/plain", operation_id="plain_kept")
    def plain() -> dict[str, Any]:
        return {}

    app = fw.FastAPI(openapi_external_docs={"url": "https://docs.example", "description": "d"})
    app.include_router(
        inner, prefix="/v1", callbacks=hooks.routes,
        generate_unique_id_function=lambda route: f"custom_{route.name}",
    )  # fmt: skip
    return app


def test_included_callbacks_and_id_function_as_fastapi() -> None:
    with pytest.warns(UserWarning, match="Duplicate Operation ID"):  # the callback, twice
        expected = request(build_included_callbacks("fastapi"), "GET", "/openapi.json")
    with pytest.warns(UserWarning, match="Duplicate Operation ID"):
        ours = request(build_included_callbacks("minifast"), "GET", "/openapi.json")
    assert ours.body == expected.body
    document = json.loads(ours.body)
    assert document["paths"]["/v1/subscribe"]["post"]["operationId"] == "custom_subscribe"
    assert document["paths"]["/v1/plain"]["get"]["operationId"] == "plain_kept"


@pytest.mark.parametrize("name", ["minifast", "fastapi"])
def test_a_responses_key_that_is_no_status_fails_the_document(name: str) -> None:
    app = framework(name).FastAPI()

    @app.get("/a", responses={"hello": {"description": "Not a status code"}})
    def read() -> None:
        pass  # pragma: no cover - never called

    with pytest.raises(ValueError):
        app.openapi()


class Base64In(BaseModel):
    data: bytes
    model_config = ConfigDict(val_json_bytes="base64")


class Base64Out(BaseModel):
    data: bytes
    model_config = ConfigDict(ser_json_bytes="base64")


def build_base64_bytes(name: str) -> Any:
    app = framework(name).FastAPI()

    @app.post("/data")
    def echo(item: Base64In) -> Base64Out:
        return Base64Out(data=item.data)  # pragma: no cover

    @app.post("/raw")
    def raw(item: bytes) -> bytes:
        return item  # pragma: no cover

    return app


def test_bytes_read_or_written_as_base64_say_so_as_fastapi() -> None:
    expected = request(build_base64_bytes("fastapi"), "GET", "/openapi.json")
    ours = request(build_base64_bytes("minifast"), "GET", "/openapi.json")
    assert json.loads(ours.body) == json.loads(expected.body)
    schemas = json.loads(ours.body)["components"]["schemas"]
    assert schemas["Base64In"]["properties"]["data"]["contentEncoding"] == "base64"
    assert schemas["Base64Out"]["properties"]["data"]["contentEncoding"] == "base64"


def test_a_malformed_contact_email_fails_when_the_document_is_built() -> None:
    """As in FastAPI: the contact is checked (with email-validator installed)."""
    import pydantic

    from minifast import FastAPI

    for app_class in (pytest.importorskip("fastapi").FastAPI, FastAPI):
        with pytest.raises(pydantic.ValidationError, match="email"):
            app_class(contact={"email": "not-an-email"}).openapi()
    good = FastAPI(contact={"name": "Team", "email": "team@example.com"}).openapi()
    assert good["info"]["contact"] == {"name": "Team", "email": "team@example.com"}
