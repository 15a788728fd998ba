"""compile_endpoint(): sources decided once, at registration; nothing inspected per request."""

import inspect
import re
import typing
from collections.abc import Iterator
from typing import Annotated, Any

import pydantic
import pydantic_core
import pytest
from pydantic import BaseModel

import minifast._parameters
from minifast import Body, Depends, FastAPI, Header, Path, Query, Request, Response
from minifast.background import BackgroundTasks
from minifast.contract import CallKind, Injected, Source
from minifast.exceptions import DependencyScopeError, FastAPIError
from tests.support import request


class Item(BaseModel):
    name: str


def sources_of(app: FastAPI) -> dict[str, Source]:
    plan = app.routes[-1].plan.endpoint  # type: ignore[attr-defined]
    found = {param.name: source.source for source in plan.sources for param in source.params}
    found.update({param.name: Source.BODY for param in (plan.body.params if plan.body else ())})
    return found


def test_each_parameter_gets_its_source_by_the_lessons_rules() -> None:
    app = FastAPI()

    @app.post("/items/{item_id}")
    def endpoint(
        item_id: int,
        item: Item,
        tags: list[str],
        q: str | None = None,
        token: Annotated[str | None, Header()] = None,
        limit: int = Query(10),
        extra: Annotated[int, Body()] = 0,
    ) -> None:
        return None

    assert sources_of(app) == {
        "item_id": Source.PATH,
        "item": Source.BODY,
        "tags": Source.BODY,  # COMPAT: a list without Query() is read from the body
        "q": Source.QUERY,
        "token": Source.HEADER,
        "limit": Source.QUERY,
        "extra": Source.BODY,
    }


def test_special_types_are_injected_not_validated() -> None:
    app = FastAPI()

    @app.get("/")
    def endpoint(request: Request, response: Response, tasks: BackgroundTasks) -> None:
        return None

    plan = app.routes[-1].plan.endpoint  # type: ignore[attr-defined]
    assert (plan.sources, plan.body) == ((), None)
    assert plan.injected == (
        ("request", Injected.REQUEST),
        ("response", Injected.RESPONSE),
        ("tasks", Injected.BACKGROUND_TASKS),
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("async def endpoint() -> int:\n    return len('')", CallKind.ASYNC),
        ("def endpoint() -> int:\n    return len('')", CallKind.SYNC),
        ("def endpoint() -> int:\n    return 1", CallKind.INLINE),
    ],
    ids=["async", "sync", "sync-only-moves-values"],
)
def test_call_kind_is_decided_once(source: str, expected: CallKind) -> None:
    app = FastAPI()
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    app.get("/")(namespace["endpoint"])
    assert app.routes[-1].plan.endpoint.kind is expected  # type: ignore[attr-defined]


def test_a_marker_in_both_annotated_and_default_is_refused() -> None:
    app = FastAPI()

    def endpoint(q: Annotated[str, Query()] = Query("x")) -> None:
        return None

    with pytest.raises(FastAPIError, match="'q'"):
        app.get("/")(endpoint)


def test_depends_without_a_callable_on_an_unannotated_parameter_is_refused() -> None:
    app = FastAPI()

    def endpoint(value=Depends()) -> None:  # type: ignore[no-untyped-def]
        return None

    with pytest.raises(FastAPIError, match="needs a callable"):
        app.get("/")(endpoint)


def test_requests_do_no_introspection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Per request nothing reads a signature or a type hint, or builds a validator or regex."""
    app = FastAPI()

    def pagination(skip: int = 0, limit: Annotated[int, Query(le=100)] = 10) -> dict[str, int]:
        return {"skip": skip, "limit": limit}

    @app.post("/items/{item_id}")
    async def endpoint(
        item_id: int,
        item: Item,
        page: Annotated[dict[str, int], Depends(pagination)],
        q: str = "x",
    ) -> dict[str, Any]:
        return {"item_id": item_id, "item": item.name, "page": page, "q": q}

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("introspection during a request")

    for owner, name in [
        (inspect, "signature"),
        (typing, "get_type_hints"),
        (pydantic.TypeAdapter, "__init__"),  # any adapter built anywhere
        (minifast._parameters, "create_model"),  # where the plan looks it up
        (re, "compile"),
    ]:
        monkeypatch.setattr(owner, name, refuse)
    answer = request(
        app, "POST", "/items/3", query=b"q=y&limit=5",
        headers=[(b"content-type", b"application/json")], body=b'{"name":"w"}',
    )  # fmt: skip
    assert (answer.status, answer.body) == (
        200,
        b'{"item_id":3,"item":"w","page":{"skip":0,"limit":5},"q":"y"}',
    )
    invalid = request(app, "POST", "/items/x", body=b"{}")
    assert invalid.status == 422


def _path_default(app: FastAPI) -> None:
    @app.get("/a/{x}")
    def endpoint(x: Annotated[int, Path()] = 3) -> None: ...


def _query_named_in_path(app: FastAPI) -> None:
    @app.get("/b/{x}")
    def endpoint(x: Annotated[int, Query()]) -> None: ...


def _dict_in_query(app: FastAPI) -> None:
    @app.get("/c")
    def endpoint(d: Annotated[dict[str, int], Query()]) -> None: ...


def _request_scope_needs_function_scope(app: FastAPI) -> None:
    def inner() -> Iterator[int]:
        yield 1

    def outer(value: Annotated[int, Depends(inner, scope="function")]) -> Iterator[int]:
        yield value

    @app.get("/d")
    def endpoint(value: Annotated[int, Depends(outer)]) -> None: ...


@pytest.mark.parametrize(
    ("declare", "error", "message"),
    [
        (_path_default, FastAPIError, "cannot have a default"),
        (_query_named_in_path, FastAPIError, "is in the path"),
        (_dict_in_query, FastAPIError, "must be one of the supported types"),
        (
            _request_scope_needs_function_scope,
            DependencyScopeError,
            '"outer" has a scope of "request", it cannot depend on dependencies with scope',
        ),
    ],
    ids=["path-default", "query-named-in-path", "dict-in-query", "exit-scopes"],
)
def test_declarations_refused_at_registration(
    declare: Any, error: type[Exception], message: str
) -> None:
    """What FastAPI refuses when a route is added, minifast refuses then too."""
    with pytest.raises(error, match=message):
        declare(FastAPI())


def _dep() -> int:  # pragma: no cover - never called: the declarations are refused
    return 1


def _query_default_in_annotated(app: FastAPI) -> None:
    @app.get("/e")
    def endpoint(q: Annotated[int, Query(default=1)]) -> None: ...


def _depends_twice(app: FastAPI) -> None:
    @app.get("/f")
    def endpoint(v: Annotated[int, Depends(_dep)] = Depends(_dep)) -> None: ...


def _marker_and_depends(app: FastAPI) -> None:
    @app.get("/g")
    def endpoint(v: Annotated[int, Query()] = Depends(_dep)) -> None: ...


def _marker_twice(app: FastAPI) -> None:
    @app.get("/h")
    def endpoint(v: Annotated[int, Query()] = Query(1)) -> None: ...


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (_query_default_in_annotated, "`Query` default value cannot be set in `Annotated` for 'q'"),
        (_depends_twice, "Cannot specify `Depends` in `Annotated` and default value together"),
        (_marker_and_depends, "a FastAPI annotation in `Annotated` and `Depends` as a default"),
        (_marker_twice, "Cannot specify FastAPI annotations in `Annotated` and default value"),
    ],
    ids=["annotated-default", "depends-twice", "marker-and-depends", "marker-twice"],
)
def test_ambiguous_declarations_refused(declare: Any, message: str) -> None:
    """COMPAT: FastAPI's AssertionError and wording, when the route is added."""
    with pytest.raises(AssertionError, match=re.escape(message)):
        declare(FastAPI())


def test_path_marker_refuses_a_default() -> None:
    with pytest.raises(AssertionError, match="Path parameters cannot have a default value"):
        Path(default=1)
    assert Path(...).default is pydantic_core.PydanticUndefined


def test_field_and_marker_in_default_merge() -> None:
    """A plain Field() in Annotated adds its settings to the marker given as the default."""
    app = FastAPI()

    @app.get("/m")
    def endpoint(v: Annotated[int, pydantic.Field(gt=1)] = Query(5, alias="w")) -> int:
        return v

    assert request(app, "GET", "/m", query=b"w=7").body == b"7"
    assert request(app, "GET", "/m").body == b"5"
    assert request(app, "GET", "/m", query=b"w=1").status == 422


def test_the_last_marker_decides_even_a_dependency() -> None:
    app = FastAPI()

    @app.get("/d")
    def endpoint(v: Annotated[int, Query(), Depends(lambda: 3)]) -> int:
        return v

    assert request(app, "GET", "/d").body == b"3"


@pytest.mark.parametrize("shape", ["plain", "union", "sequence", "annotated"])
def test_pydantic_v1_models_refused_before_any_validator(shape: str) -> None:
    import warnings

    from minifast.exceptions import PydanticV1NotSupportedError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        from pydantic.v1 import BaseModel as ModelV1

    class Old(ModelV1):
        name: str

    annotation = {
        "plain": Old,
        "union": dict[str, int] | Old,
        "sequence": list[Old],
        "annotated": Annotated[Old, Body()],
    }[shape]
    app = FastAPI()

    def endpoint(data: Any) -> None:  # pragma: no cover - never registered
        pass

    endpoint.__annotations__["data"] = annotation
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Mixing V1 models and V2 models" warning first
        with pytest.raises(PydanticV1NotSupportedError, match="'data'"):
            app.post("/v1")(endpoint)


def test_old_style_path_marker_has_no_default() -> None:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def endpoint(item_id: int = Path(ge=1)) -> dict[str, int]:
        return {"item_id": item_id}

    assert request(app, "GET", "/items/4").body == b'{"item_id":4}'


@pytest.mark.parametrize(
    "annotation",
    [list[int], dict[str, int], tuple[int, int], set],
    ids=["list", "dict", "tuple", "set"],
)
def test_a_path_parameter_must_be_a_scalar(annotation: Any) -> None:
    """COMPAT: an AssertionError at registration, as FastAPI raises."""
    app = FastAPI()

    def read(item_id: Any) -> None:  # pragma: no cover - never registered
        pass

    read.__annotations__["item_id"] = annotation
    with pytest.raises(AssertionError, match="path parameter 'item_id' must be a scalar"):
        app.get("/items/{item_id}")(read)
