"""Every parameter source and constraint, answered identically by minifast and FastAPI.

One app is written once, against either framework's names; each case sends the same request to
both and compares status, headers and body byte for byte.
"""

# No `from __future__ import annotations`: the app is built inside a function, and string
# annotations naming its local markers could not be resolved by either framework.

import dataclasses
import datetime
import decimal
import enum
import functools
import uuid
import warnings
from typing import Annotated, Any, Literal

import pytest
from pydantic import AliasChoices, AliasPath, BaseModel, Field
from pydantic_core import PydanticUndefined

from tests.support import compare, framework

JSON = [(b"content-type", b"application/json")]


class Color(str, enum.Enum):
    red = "red"
    blue = "blue"


class Item(BaseModel):
    name: str
    price: float
    description: str | None = None


class Filters(BaseModel):
    limit: int = Field(10, ge=1, le=100)
    tags: list[str] = []
    order: Literal["asc", "desc"] = "asc"


@dataclasses.dataclass
class Point:
    x: int
    y: int


@functools.cache
def build(name: str) -> Any:  # noqa: C901 - one app with a route per parameter kind
    fw = framework(name)
    Query, Path, Header, Cookie, Body = fw.Query, fw.Path, fw.Header, fw.Cookie, fw.Body
    app = fw.FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/numbers/{item_id}")
    def numbers(
        item_id: Annotated[int, Path(ge=1, title="Item ID", description="Primary key")],
        page: Annotated[int, Query(ge=1, le=1000)] = 1,
        price: Annotated[float | None, Query(gt=0.0)] = None,
        step: Annotated[int, Query(multiple_of=5)] = 5,
        ratio: Annotated[float, Query(lt=1.0)] = 0.5,
    ) -> dict[str, Any]:
        return {"item_id": item_id, "page": page, "price": price, "step": step, "ratio": ratio}

    @app.get("/strings")
    def strings(
        name: Annotated[str, Query(min_length=1, max_length=10)],
        slug: Annotated[str | None, Query(pattern=r"^[a-z0-9-]+$")] = None,
        strict_num: Annotated[int | None, Query(strict=True)] = None,
    ) -> dict[str, Any]:
        return {"name": name, "slug": slug, "strict_num": strict_num}

    @app.get("/types")
    def types(
        flag: bool = False,
        color: Color = Color.red,
        ident: uuid.UUID | None = None,
        when: datetime.datetime | None = None,
        day: datetime.date | None = None,
        at: datetime.time | None = None,
        span: datetime.timedelta | None = None,
        amount: decimal.Decimal | None = None,
        mode: Literal["fast", "slow"] = "fast",
    ) -> dict[str, Any]:
        return {
            "flag": flag, "color": color, "ident": ident, "when": when, "day": day, "at": at,
            "span": span, "amount": amount, "mode": mode,
        }  # fmt: skip

    @app.get("/lists")
    def lists(
        q: Annotated[list[str] | None, Query()] = None,
        n: Annotated[list[int], Query()] = [],  # noqa: B006 - FastAPI's own idiom
        s: Annotated[set[int], Query(default_factory=set)] = ...,  # type: ignore[assignment]
        alias_q: Annotated[str | None, Query(alias="item-query")] = None,
    ) -> dict[str, Any]:
        return {"q": q, "n": n, "s": sorted(s), "alias_q": alias_q}

    @app.get("/headers")
    def headers(
        user_agent: Annotated[str | None, Header()] = None,
        x_token: Annotated[list[str] | None, Header()] = None,
        strange_header: Annotated[str | None, Header(convert_underscores=False)] = None,
        x_count: Annotated[int, Header()] = 0,
        custom: Annotated[str | None, Header(alias="X-Custom")] = None,
    ) -> dict[str, Any]:
        return {
            "user_agent": user_agent, "x_token": x_token, "strange_header": strange_header,
            "x_count": x_count, "custom": custom,
        }  # fmt: skip

    @app.get("/cookies")
    def cookies(
        session: Annotated[str | None, Cookie()] = None,
        visits: Annotated[int, Cookie(ge=0)] = 0,
    ) -> dict[str, Any]:
        return {"session": session, "visits": visits}

    @app.get("/old-style/{pid}")
    def old_style(pid: int = Path(ge=1), q: str = Query("x", max_length=3)) -> dict[str, Any]:
        return {"pid": pid, "q": q}

    @app.get("/query-model")
    def query_model(filters: Annotated[Filters, Query()]) -> Filters:
        return filters

    @app.post("/items")
    def create(item: Item, dry_run: Annotated[bool, Query()] = False) -> dict[str, Any]:
        return {"item": item.model_dump(), "dry_run": dry_run}

    @app.post("/embedded")
    def embedded(item: Annotated[Item, Body(embed=True)]) -> Item:
        return item

    @app.post("/several")
    def several(
        item: Item, importance: Annotated[int, Body(gt=0)], note: Annotated[str, Body()] = "-"
    ) -> dict[str, Any]:
        return {"item": item.model_dump(), "importance": importance, "note": note}

    @app.post("/optional-body")
    def optional_body(item: Item | None = None) -> dict[str, Any]:
        return {"item": None if item is None else item.model_dump()}

    @app.post("/list-body")
    def list_body(items: list[Item]) -> int:
        return len(items)

    @app.post("/dict-body")
    def dict_body(weights: dict[str, float]) -> dict[str, float]:
        return weights

    @app.post("/dataclass-body")
    def dataclass_body(point: Point) -> dict[str, int]:
        return {"sum": point.x + point.y}

    @app.get("/aliases/{pid:int}")
    def aliases(
        pid: int,
        search: Annotated[str | None, Query(validation_alias="s")] = None,
        stamp: Annotated[list[int], Query(default_factory=lambda: [1, 2])] = ...,  # type: ignore[assignment]
        loose=None,  # type: ignore[no-untyped-def]
        nullable: int = None,  # type: ignore[assignment]  # noqa: RUF013 - as users write it
        trace: Annotated[str | None, Cookie(alias="trace-id")] = None,
    ) -> dict[str, Any]:
        return {"pid": pid, "search": search, "stamp": stamp, "loose": loose,
                "nullable": nullable, "trace": trace}  # fmt: skip

    @app.post("/embedded-alias")
    def embedded_alias(
        value: Annotated[int, Body(embed=True, alias="the-value", ge=0)],
    ) -> dict[str, int]:
        return {"value": value}

    @app.post("/body-scalar")
    def body_scalar(count: Annotated[int, Body()]) -> dict[str, int]:
        return {"count": count}

    return app


def case(method: str, path: str, query: str = "", body: bytes = b"", **kw: Any) -> Any:
    return pytest.param(method, path, query.encode(), body, kw.get("headers", JSON), id=kw["id"])


CASES = [
    case("GET", "/numbers/3", "page=10&price=2.5&step=10&ratio=0.2", id="numbers-ok"),
    case("GET", "/numbers/0", id="path-ge"),
    case("GET", "/numbers/x", id="path-int-parsing"),
    case("GET", "/numbers/1", "page=0", id="query-ge"),
    case("GET", "/numbers/1", "page=1001", id="query-le"),
    case("GET", "/numbers/1", "price=0", id="query-gt"),
    case("GET", "/numbers/1", "price=-1&page=abc", id="two-errors"),
    case("GET", "/numbers/1", "step=7", id="multiple-of"),
    case("GET", "/numbers/1", "ratio=1", id="lt"),
    case("GET", "/numbers/1", "ratio=inf", id="float-inf"),
    case("GET", "/numbers/1", "price=nan", id="float-nan"),
    case("GET", "/strings", "name=ok&slug=my-item-1", id="strings-ok"),
    case("GET", "/strings", id="string-missing"),
    case("GET", "/strings", "name=", id="min-length"),
    case("GET", "/strings", "name=elevenchars", id="max-length"),
    case("GET", "/strings", "name=a&slug=Bad_Slug", id="pattern"),
    case("GET", "/strings", "name=a&strict_num=5", id="strict-int-from-query"),
    case("GET", "/types", id="types-defaults"),
    case("GET", "/types", "flag=yes&color=blue&mode=slow", id="bool-enum-literal"),
    case("GET", "/types", "flag=on", id="bool-on"),
    case("GET", "/types", "flag=0", id="bool-0"),
    case("GET", "/types", "flag=maybe", id="bool-invalid"),
    case("GET", "/types", "color=green", id="enum-invalid"),
    case("GET", "/types", "mode=medium", id="literal-invalid"),
    case("GET", "/types", "ident=12345678-1234-5678-1234-567812345678", id="uuid"),
    case("GET", "/types", "ident=nope", id="uuid-invalid"),
    case("GET", "/types", "when=2024-05-01T12:30:00Z&day=2024-05-01&at=12:30", id="datetimes"),
    case("GET", "/types", "when=yesterday&day=2024-13-01", id="datetimes-invalid"),
    case("GET", "/types", "span=PT1H30M&amount=12.50", id="timedelta-decimal"),
    case("GET", "/types", "amount=1e3", id="decimal-exponent"),
    case("GET", "/types", "amount=abc", id="decimal-invalid"),
    case("GET", "/lists", "q=a&q=b&n=1&n=2&s=3&s=3&item-query=x", id="lists-ok"),
    case("GET", "/lists", "n=1&n=x", id="list-item-invalid"),
    case("GET", "/lists", "alias_q=ignored", id="alias-not-name"),
    case("GET", "/headers", id="headers-defaults"),
    case("GET", "/headers", headers=[(b"user-agent", b"ua/1"), (b"x-token", b"a"),
                                     (b"x-token", b"b"), (b"strange_header", b"s"),
                                     (b"x-count", b"3"), (b"x-custom", b"c")], id="headers-ok"),
    case("GET", "/headers", headers=[(b"x-count", b"three")], id="header-invalid"),
    case("GET", "/headers", headers=[(b"strange-header", b"s")], id="no-conversion"),
    case("GET", "/cookies", headers=[(b"cookie", b"session=abc; visits=4")], id="cookies-ok"),
    case("GET", "/cookies", headers=[(b"cookie", b"visits=-1")], id="cookie-invalid"),
    case("GET", "/old-style/2", "q=abc", id="old-style-ok"),
    case("GET", "/old-style/0", "q=abcd", id="old-style-invalid"),
    case("GET", "/query-model", "limit=5&tags=a&tags=b&order=desc", id="query-model-ok"),
    case("GET", "/query-model", "limit=0&order=up", id="query-model-invalid"),
    case("POST", "/items", body=b'{"name":"widget","price":9.99}', id="body-ok"),
    case("POST", "/items", "dry_run=true", b'{"name":"w","price":"1.5"}', id="body-and-query"),
    case("POST", "/items", body=b'{"name":"widget","price":"not_a_number"}', id="float-parsing"),
    case("POST", "/items", body=b'{"name":"widget"}', id="body-field-missing"),
    case("POST", "/items", body=b"", id="body-empty"),
    case("POST", "/items", body=b"", headers=[], id="body-empty-no-type"),
    case("POST", "/items", body=b'{"name": ', id="json-invalid"),
    case("POST", "/items", body=b"[]", id="body-not-object"),
    case("POST", "/items", body=b"null", id="body-null"),
    case("POST", "/items", body=b'{"name":"w","price":1}',
         headers=[(b"content-type", b"text/plain")], id="body-not-json-type"),
    case("POST", "/items", body=b'{"name":"w","price":1}', headers=[], id="body-no-type"),
    case("POST", "/items", body=b'{"name":"w","price":1}',
         headers=[(b"content-type", b"application/vnd.api+json")], id="body-json-suffix"),
    case("POST", "/items", body=b'{"name":"w","price":1}',
         headers=[(b"content-type", b"application/json; charset=utf-8")], id="body-json-charset"),
    case("POST", "/items", body=b'{"name":"w","price":1}',
         headers=[(b"content-type", b"json")], id="body-type-without-slash"),
    case("POST", "/embedded", body=b'{"item":{"name":"w","price":1}}', id="embedded-ok"),
    case("POST", "/embedded", body=b'{"name":"w","price":1}', id="embedded-missing"),
    case("POST", "/several", body=b'{"item":{"name":"w","price":1},"importance":2}',
         id="several-ok"),
    case("POST", "/several", body=b'{"item":{"name":"w"},"importance":0}', id="several-invalid"),
    case("POST", "/several", body=b"", id="several-empty"),
    case("POST", "/optional-body", body=b"", id="optional-body-absent"),
    case("POST", "/optional-body", body=b'{"name":"w","price":2}', id="optional-body-given"),
    case("POST", "/list-body", body=b'[{"name":"a","price":1},{"name":"b"}]', id="list-body"),
    case("POST", "/dict-body", body=b'{"a":1.5,"b":"x"}', id="dict-body"),
    case("POST", "/dict-body", body=b'{"a":1,"b":2,"a":3.5}', id="json-repeated-key"),
    case("POST", "/dict-body", body=b'{"a":1e400,"b":-0}', id="json-huge-float"),
    case("POST", "/dict-body", body=b'\xef\xbb\xbf{"a":1}', id="json-utf8-bom"),
    case("POST", "/dict-body", body='{"a":1}'.encode("utf-16"), id="json-utf16"),
    case("POST", "/dict-body", body=b'{"a\x01":1}', id="json-control-character"),
    case("POST", "/dict-body", body=b'{"\xff":1}', id="json-not-utf8"),
    case("POST", "/dict-body", body=b'{"a":' + b"1" * 5000 + b"}", id="json-5000-digits"),
    case("GET", "/aliases/4", "s=find&stamp=7&loose=any&nullable=3", id="aliases-ok",
         headers=[(b"cookie", b"trace-id=t1")]),
    case("GET", "/aliases/4", "search=ignored&nullable=x", id="aliases-invalid"),
    case("GET", "/aliases/x", id="convertor-mismatch-404"),
    case("POST", "/embedded-alias", body=b'{"the-value":3}', id="embedded-alias-ok"),
    case("POST", "/embedded-alias", body=b'{"value":3}', id="embedded-alias-missing"),
    case("POST", "/embedded-alias", body=b'{"the-value":-1}', id="embedded-alias-invalid"),
    case("POST", "/body-scalar", body=b"5", id="body-scalar-ok"),
    case("POST", "/body-scalar", body=b'"five"', id="body-scalar-invalid"),
    case("POST", "/dataclass-body", body=b'{"x":1,"y":2}', id="dataclass-ok"),
    case("POST", "/dataclass-body", body=b'{"x":1}', id="dataclass-missing"),
    case("POST", "/embedded", body=b'[1]', id="embedded-not-an-object"),
    case("POST", "/several", body=b'"text"', id="several-not-an-object"),
    case("POST", "/several", body=b"null", id="several-null"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "query", "body", "headers"), CASES)
def test_same_answer_as_fastapi(
    method: str, path: str, query: bytes, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    compare(build, method, path, query=query, body=body, headers=headers)


class Strict(BaseModel):
    model_config = {"extra": "forbid"}

    limit: int = 1
    tags: list[str] = []


class Token(BaseModel):
    x_token: str
    other: str = "o"


class Place(BaseModel):
    room: int


@functools.cache
def build_groups(name: str) -> Any:
    """Models of parameters sharing their source with plain parameters or other models."""
    fw = framework(name)
    app = fw.FastAPI(openapi_url=None)

    @app.get("/with-plain")
    def with_plain(p: Annotated[Strict, fw.Query()], q: int = 0) -> dict[str, Any]:
        return {"p": p.model_dump(), "q": q}

    @app.get("/two-models")
    def two_models(
        f: Annotated[Filters, fw.Query()], p: Annotated[Strict, fw.Query()]
    ) -> dict[str, Any]:
        return {"f": f.model_dump(), "p": p.model_dump()}

    @app.get("/header-model")
    def header_model(
        t: Annotated[Token, fw.Header()], x_plain: Annotated[str, fw.Header()] = "-"
    ) -> dict[str, Any]:
        return {"t": t.model_dump(), "plain": x_plain}

    @app.get("/place/{room}")
    def place(p: Annotated[Place, fw.Path()]) -> dict[str, Any]:
        return p.model_dump()

    return app


GROUP_CASES = [
    case("GET", "/with-plain", "limit=3", id="model-and-plain-defaults"),
    case("GET", "/with-plain", "limit=x&q=y&zz=1", id="model-and-plain-invalid"),
    case("GET", "/two-models", "limit=5&tags=a", id="two-models-extra-forbidden"),
    case("GET", "/header-model", headers=[(b"x-token", b"t"), (b"x-plain", b"p")],
         id="header-model-and-plain"),
    case("GET", "/header-model", headers=[(b"x_token", b"raw")], id="header-model-raw-name"),
    case("GET", "/place/7", headers=[(b"cookie", b"room=1")], id="path-model"),
]  # fmt: skip


@functools.cache
def build_choices(name: str) -> Any:
    """`validation_alias=AliasChoices(...)` on query and header parameters."""
    fw = framework(name)
    app = fw.FastAPI(openapi_url=None)

    @app.get("/choices")
    def choices(
        z: Annotated[int, fw.Query(validation_alias=AliasChoices("z1", "z2"))],
        h: Annotated[str, fw.Header(validation_alias=AliasChoices("x-a", "x-b"))] = "-",
    ) -> dict[str, Any]:
        return {"z": z, "h": h}

    @app.get("/header-choices")
    def header_choices(
        items: Annotated[
            list[str], fw.Header(validation_alias=AliasChoices("item_values", "x-tag"))
        ] = ["-"],  # noqa: B006
        by_alias: Annotated[str, fw.Header(alias="by_alias")] = "-",
        unfollowed: Annotated[
            str, fw.Header(validation_alias=AliasChoices("x-a", AliasPath("x-b", 0)))
        ] = "-",
        session: Annotated[int, fw.Cookie(validation_alias=AliasChoices("sid", "old"))] = 0,
        aliased: Annotated[
            str, fw.Header(alias="x-al", validation_alias=AliasChoices("x-c", AliasPath("d")))
        ] = "-",
    ) -> list[Any]:
        return [items, by_alias, unfollowed, session, aliased]

    router = fw.APIRouter()

    @router.get("/")
    def by_route(value: Annotated[int, fw.Path(validation_alias=AliasChoices("a", "b"))]) -> int:
        return value

    app.include_router(router, prefix="/first/{a}")
    app.include_router(router, prefix="/second/{b}")

    @app.get("/unmatched/{value}/{a}")
    def unmatched(
        value: Annotated[int, fw.Path(validation_alias=AliasChoices("x", AliasPath("a")))],
    ) -> int:
        return value

    @app.post("/body-choices")
    def body_choices(
        value: Annotated[
            int, fw.Body(embed=True, validation_alias=AliasChoices("a", AliasPath("b", 0)))
        ],
    ) -> int:
        return value

    return app


CHOICE_CASES = [
    case("GET", "/choices", "z2=2", headers=[(b"x-b", b"B")], id="second-choices"),
    case("GET", "/choices", "z1=1&z2=2", id="first-choice-wins"),
    case("GET", "/choices", "z=3", id="missing-named-by-first-choice"),
    case("GET", "/choices", "z2=x", id="invalid-named-by-given-choice"),
    case(
        "GET", "/header-choices",
        headers=[(b"x-tag", b"unused"), (b"item_values", b"1"), (b"item_values", b"2")],
        id="header-list-first-present-choice",
    ),
    case("GET", "/header-choices", headers=[(b"x-tag", b"t")], id="header-list-second-choice"),
    case(
        "GET", "/header-choices", headers=[(b"item-values", b"i"), (b"by-alias", b"b")],
        id="header-choice-and-alias-literal",
    ),
    case("GET", "/header-choices", headers=[(b"by_alias", b"b")], id="header-alias"),
    case(
        "GET", "/header-choices", headers=[(b"x-a", b"a"), (b"unfollowed", b"u")],
        id="header-alias-path-choice-reads-name",
    ),
    case(
        "GET", "/header-choices", headers=[(b"x-c", b"c"), (b"x-al", b"al")],
        id="header-alias-path-choice-reads-alias",
    ),
    case("GET", "/header-choices", headers=[(b"cookie", b"old=2; sid=1")], id="cookie-choice"),
    case("GET", "/header-choices", headers=[(b"cookie", b"old=x")], id="cookie-invalid-choice"),
    case("GET", "/first/1/", id="path-choice-of-route-a"),
    case("GET", "/second/x/", id="path-choice-of-route-b"),
    case("GET", "/unmatched/1/2", id="path-alias-path-choice-reads-name"),
    case("POST", "/body-choices", body=b'{"value":1,"a":2,"b":[3]}', id="body-alias-path"),
]  # fmt: skip


class Measure(BaseModel):
    a: int


@functools.cache
def build_fields(name: str) -> Any:
    """A plain pydantic `Field()` as the marker: its settings apply in the implied source."""
    fw = framework(name)
    app = fw.FastAPI(openapi_url=None)

    @app.get("/fields/{p}")
    def fields(
        p: Annotated[int, Field(gt=0)],
        q: Annotated[int, Field(gt=5)] = 10,
        r: Annotated[str, Field(alias="rr")] = "x",
    ) -> list[Any]:
        return [p, q, r]

    @app.post("/field-body")
    def field_body(
        m: Annotated[Measure, Field(alias="mm")], n: Annotated[int, fw.Body(gt=1)] = 2
    ) -> list[Any]:
        return [m, n]

    return app


FIELD_CASES = [
    case("GET", "/fields/1", "q=1", id="query-constraint"),
    case("GET", "/fields/0", "q=7&rr=z", id="path-constraint-and-alias"),
    case("GET", "/fields/3", "r=z", id="alias-only"),
    case("POST", "/field-body", body=b'{"mm":{"a":1},"n":3}', id="body-alias"),
    case("POST", "/field-body", body=b'{"m":{"a":1}}', id="body-alias-missing"),
]  # fmt: skip


@functools.cache
def build_content_types(name: str) -> Any:
    """`strict_content_type` on the app, a router and a route (FastAPI 0.163)."""
    fw = framework(name)
    app = fw.FastAPI(openapi_url=None, strict_content_type=False)
    router = fw.APIRouter(strict_content_type=True)

    @app.post("/lenient")
    def lenient(item: Item) -> Item:
        return item

    @router.post("/strict")
    def strict(item: Item) -> Item:
        return item

    def route_strict(item: Item) -> Item:
        return item

    app.router.add_api_route(
        "/route-strict", route_strict, methods=["POST"], strict_content_type=True
    )
    app.include_router(router)
    return app


ITEM = b'{"name":"w","price":2}'
CONTENT_TYPE_CASES = [
    case("POST", "/lenient", body=ITEM, headers=[], id="lenient-no-header"),
    case("POST", "/lenient", body=ITEM, headers=[(b"content-type", b"text/plain")],
         id="lenient-other-type"),
    case("POST", "/lenient", body=b"{", headers=[], id="lenient-malformed"),
    case("POST", "/strict", body=ITEM, headers=[], id="router-strict"),
    case("POST", "/route-strict", body=ITEM, headers=[], id="route-strict"),
]  # fmt: skip


@functools.cache
def build_field_options(name: str) -> Any:
    """validate_default, union_mode, fail_fast and the deprecated regex."""
    fw = framework(name)
    app = fw.FastAPI(openapi_url=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # `regex` is deprecated on both frameworks

        @app.get("/options")
        def options(
            q: Annotated[int, fw.Query(validate_default=True, ge=5)] = 1,
            s: Annotated[str, fw.Query(regex="^x+$")] = "x",
            u: Annotated[int | str, fw.Query(union_mode="left_to_right")] = 0,
            n: Annotated[list[int], fw.Query(fail_fast=True)] = [],  # noqa: B006
        ) -> list[Any]:
            return [q, s, u, n]

    @app.post("/body-default")
    def body_default(
        value: Annotated[int | None, fw.Body(default_factory=lambda: "10", validate_default=True)],
    ) -> Any:
        return value

    @app.post("/inferred-defaults")
    def inferred_defaults(
        values: Annotated[
            list[int], Field(default_factory=list, min_length=1, validate_default=True)
        ],
        count: Annotated[int, Field(gt=0, validate_default=True)] = -1,
    ) -> list[Any]:
        return [count, values]

    @app.get("/bare-param")
    def bare_param(q: str | None = fw.params.Param(default=None)) -> Any:  # type: ignore[call-arg]
        return q

    return app


OPTION_CASES = [
    case("POST", "/body-default", body=b"null", id="body-null-not-default"),
    case("POST", "/body-default", id="body-default-factory-validated"),
    case("POST", "/inferred-defaults", id="inferred-defaults-validated"),
    case("POST", "/inferred-defaults", "count=2", body=b"[1]", id="inferred-defaults-given"),
    case("GET", "/bare-param", "q=x", id="bare-param-is-query"),
    case("GET", "/options", "q=7&s=xx&u=3&n=1", id="valid"),
    case("GET", "/options", "q=7&s=y", id="regex"),
    case("GET", "/options", id="default-validated"),
    case("GET", "/options", "q=7&n=a&n=b", id="fail-fast"),
    case("GET", "/options", "q=9&u=abc", id="left-to-right"),
]  # fmt: skip


@pytest.mark.parametrize("marker", ["Query", "Path", "Header", "Body", "Form", "File"])
def test_regex_and_example_are_deprecated(marker: str) -> None:
    """COMPAT: FastAPI's warning class, pointing at the line that declares the parameter."""
    import minifast
    from minifast.exceptions import FastAPIDeprecationWarning

    declare = getattr(minifast, marker)
    with pytest.warns(FastAPIDeprecationWarning, match="use `pattern`") as caught:
        declared = declare(regex="^a$", pattern=None)
    assert declared.metadata[-1].pattern == "^a$"
    assert caught[0].filename == __file__
    with pytest.warns(FastAPIDeprecationWarning, match="use `examples`") as caught:
        declared = declare(example="one")
    assert declared.example == "one"
    assert caught[0].filename == __file__
    assert declare().example is PydanticUndefined


# Each group above: its app builder, then its cases (method, path, query, body, headers).
MORE_APPS = [
    (build_groups, GROUP_CASES),
    (build_choices, CHOICE_CASES),
    (build_fields, FIELD_CASES),
    (build_content_types, CONTENT_TYPE_CASES),
    (build_field_options, OPTION_CASES),
]


@pytest.mark.parametrize(
    ("build_app", "method", "path", "query", "body", "headers"),
    [
        pytest.param(build_app, *group_case.values, id=f"{build_app.__name__}-{group_case.id}")
        for build_app, group_cases in MORE_APPS
        for group_case in group_cases
    ],
)
def test_more_apps_as_fastapi(
    build_app: Any,
    method: str,
    path: str,
    query: bytes,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
) -> None:
    compare(build_app, method, path, query=query, body=body, headers=headers)
