"""The lesson's Part 5 dependencies, answered as FastAPI answers them."""

# No `from __future__ import annotations`: the app is built inside a function.

import functools
from typing import Annotated, Any

import pytest

from tests.support import compare, framework, request


@functools.cache
def build(name: str) -> Any:  # noqa: C901 - the lesson's app, one route per mechanism
    fw = framework(name)
    Query, Header, Depends, HTTPException, status = (
        fw.Query, fw.Header, fw.Depends, fw.HTTPException, fw.status,
    )  # fmt: skip
    app = fw.FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    def pagination(
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, int]:
        return {"skip": skip, "limit": limit}

    def get_current_user(authorization: str = Header(default=None)) -> dict[str, Any]:
        if not authorization or not authorization.startswith("Bearer "):
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="Missing or invalid Authorization header",
            )
        token = authorization.removeprefix("Bearer ")
        return {"user_id": 42, "token": token, "role": "admin" if token == "root" else "user"}

    def require_admin(
        current_user: Annotated[dict[str, Any], Depends(get_current_user)],
    ) -> dict[str, Any]:
        if current_user.get("role") != "admin":
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN, detail="Admin access required"
            )
        return current_user

    @app.get("/items")
    async def list_items(
        pagination: Annotated[dict[str, int], Depends(pagination)],
        user: Annotated[dict[str, Any], Depends(get_current_user)],
    ) -> dict[str, Any]:
        return {"user_id": user["user_id"], **pagination}

    @app.delete("/items/{item_id}")
    async def delete_item(
        item_id: int, admin: Annotated[dict[str, Any], Depends(require_admin)]
    ) -> dict[str, Any]:
        return {"deleted": item_id}

    class CommonQueryParams:
        def __init__(
            self,
            skip: Annotated[int, Query(ge=0)] = 0,
            limit: Annotated[int, Query(ge=1, le=100)] = 20,
            sort_by: str = "created_at",
        ):
            self.skip = skip
            self.limit = limit
            self.sort_by = sort_by

    @app.get("/products")
    async def list_products(params: Annotated[CommonQueryParams, Depends()]) -> dict[str, Any]:
        return {"skip": params.skip, "limit": params.limit, "sort_by": params.sort_by}

    calls: list[str] = []

    def counted() -> int:
        calls.append("counted")
        return len(calls)

    def uses_counted(first: Annotated[int, Depends(counted)]) -> int:
        return first

    @app.get("/cache")
    def cache(
        a: Annotated[int, Depends(counted)],
        b: Annotated[int, Depends(uses_counted)],
        c: Annotated[int, Depends(counted, use_cache=False)],
    ) -> dict[str, int]:
        return {"same": int(a == b), "fresh": int(c > a)}

    @app.get("/router-deps", dependencies=[Depends(get_current_user)])
    def router_deps(q: int = 0) -> dict[str, int]:
        return {"q": q}

    return app


BEARER = [(b"authorization", b"Bearer abc")]
ROOT = [(b"authorization", b"Bearer root")]


@pytest.mark.parametrize(
    ("method", "path", "query", "headers"),
    [
        pytest.param("GET", "/items", b"", BEARER, id="list-ok"),
        pytest.param("GET", "/items", b"skip=5&limit=10", BEARER, id="list-paginated"),
        pytest.param("GET", "/items", b"", [], id="list-no-auth-401"),
        pytest.param("GET", "/items", b"limit=0", [], id="dep-422-and-401"),
        pytest.param("GET", "/items", b"limit=500&skip=-1", BEARER, id="dep-422"),
        pytest.param("DELETE", "/items/3", b"", BEARER, id="not-admin-403"),
        pytest.param("DELETE", "/items/3", b"", ROOT, id="admin-ok"),
        pytest.param("DELETE", "/items/x", b"", ROOT, id="admin-path-422"),
        pytest.param("DELETE", "/items/x", b"", [], id="path-422-and-401"),
        pytest.param("GET", "/products", b"skip=2&sort_by=name", [], id="class-dependency"),
        pytest.param("GET", "/products", b"skip=-2", [], id="class-dependency-422"),
        pytest.param("GET", "/cache", b"", [], id="cache"),
        pytest.param("GET", "/router-deps", b"q=x", [], id="decorator-deps-401-first"),
        pytest.param("GET", "/router-deps", b"q=x", BEARER, id="decorator-deps-422"),
    ],
)
def test_same_answer_as_fastapi(
    method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    compare(build, method, path, query=query, headers=headers)


def yield_app(name: str, log: list[str]) -> Any:  # noqa: C901 - one app, every yield case
    """Generators at every depth, logging when each part of them runs."""
    fw = framework(name)
    app = fw.FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    async def outer() -> Any:
        log.append("outer enter")
        try:
            yield "o"
        except Exception as error:
            log.append(f"outer saw {type(error).__name__}")
            raise
        finally:
            log.append("outer exit")

    def inner(value: Annotated[str, fw.Depends(outer)]) -> Any:
        log.append("inner enter")
        try:
            yield value + "i"
        except Exception as error:
            log.append(f"inner saw {type(error).__name__}")
            raise
        finally:
            log.append("inner exit")

    async def per_function() -> Any:
        log.append("function enter")
        yield "f"
        log.append("function exit")

    async def breaks_on_exit() -> Any:
        yield 1
        raise ValueError("in exit code")

    class Counter:
        """A callable instance as a dependency."""

        def __init__(self) -> None:
            self.calls = 0

        async def __call__(self, tasks: fw.BackgroundTasks) -> int:
            self.calls += 1
            tasks.add_task(log.append, "dependency's task")
            return self.calls

    counter = Counter()

    @app.get("/ok")
    def ok(
        value: Annotated[str, fw.Depends(inner)],
        function: Annotated[str, fw.Depends(per_function, scope="function")],
        count: Annotated[int, fw.Depends(counter)],
        tasks: fw.BackgroundTasks,
    ) -> dict[str, Any]:
        tasks.add_task(log.append, "endpoint's task")
        log.append("endpoint")
        return {"value": value + function, "count": count}

    @app.get("/http-error")
    def http_error(value: Annotated[str, fw.Depends(inner)]) -> None:
        log.append("endpoint")
        raise fw.HTTPException(418)

    @app.get("/exit-error")
    async def exit_error(value: Annotated[int, fw.Depends(breaks_on_exit)]) -> int:
        return value

    return app


@pytest.mark.parametrize("path", ["/ok", "/http-error", "/exit-error"])
def test_yield_dependencies_run_in_the_same_order_as_fastapi(path: str) -> None:
    logs: dict[str, list[str]] = {}
    answers: dict[str, Any] = {}
    for name in ("fastapi", "minifast"):
        log = logs[name] = []
        app = yield_app(name, log)

        async def server(
            scope: Any, receive: Any, send: Any, log: list[str] = log, app: Any = app
        ) -> None:
            async def logged(message: Any) -> None:
                if message["type"] == "http.response.start":
                    log.append(f"sent {message['status']}")
                await send(message)

            await app(scope, receive, logged)

        try:
            answer = request(server, "GET", path)
            answers[name] = (answer.status, answer.body)
        except ValueError as error:  # exit code failing after the response: re-raised
            answers[name] = str(error)
    assert answers["minifast"] == answers["fastapi"]
    assert logs["minifast"] == logs["fastapi"]


@functools.cache
def build_caching(name: str) -> Any:
    """Which uses of one dependency share a call within a request, scopes and exits counted."""
    fw = framework(name)
    app = fw.FastAPI(openapi_url=None)

    def counter(request: fw.Request) -> int:
        request.state.calls = getattr(request.state, "calls", 0) + 1
        return int(request.state.calls)

    def user(count: Annotated[int, fw.Depends(counter)]) -> int:
        return count

    async def session(request: fw.Request) -> Any:
        yield counter(request)

    def fresh(count: Annotated[int, fw.Depends(counter, use_cache=False)]) -> int:
        return count

    @app.get("/scopes")
    def scopes(
        u: Annotated[int, fw.Security(user, scopes=["me"])],
        d: Annotated[int, fw.Depends(counter)],
    ) -> dict[str, int]:
        return {"u": u, "d": d}

    @app.get("/exit-scopes")
    def exit_scopes(
        a: Annotated[int, fw.Depends(session, scope="function")],
        b: Annotated[int, fw.Depends(session)],
    ) -> dict[str, int]:
        return {"a": a, "b": b}

    @app.get("/no-cache")
    def no_cache(
        x: Annotated[int, fw.Depends(user)],
        y: Annotated[int, fw.Depends(fresh)],
        z: Annotated[int, fw.Depends(counter)],
    ) -> dict[str, int]:
        return {"x": x, "y": y, "z": z}

    return app


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/scopes", b'{"u":1,"d":1}'),
        ("/exit-scopes", b'{"a":1,"b":2}'),
        ("/no-cache", b'{"x":1,"y":2,"z":1}'),
    ],
    ids=["scopes-not-used", "exit-scope-in-key", "uncached-leaves-cache"],
)
def test_which_calls_share_a_value_as_fastapi(path: str, expected: bytes) -> None:
    assert compare(build_caching, "GET", path).body == expected
