"""Running a plan: dependency order, caching, `yield` cleanup, scopes and errors."""

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import anyio
import pytest

from minifast import BackgroundTasks, Depends, FastAPI, HTTPException, Security
from minifast.exceptions import FastAPIError
from minifast.security import SecurityScopes
from tests.support import request

Log = list[str]


def logging_dependencies(log: Log) -> Any:
    async def outer() -> AsyncIterator[str]:
        log.append("outer enter")
        try:
            yield "outer"
        except Exception as error:
            log.append(f"outer rollback {type(error).__name__}")
            raise
        else:
            log.append("outer commit")

    def inner(value: Annotated[str, Depends(outer)]) -> Iterator[str]:
        in_worker = threading.current_thread() is not threading.main_thread()
        log.append(f"inner enter in {'worker' if in_worker else 'main'}")
        yield value + "/inner"
        log.append("inner exit")

    return outer, inner


def test_cleanup_runs_innermost_first_after_the_response_is_sent() -> None:
    log: Log = []
    _, inner = logging_dependencies(log)
    app = FastAPI()

    @app.get("/")
    def endpoint(value: Annotated[str, Depends(inner)], tasks: BackgroundTasks) -> str:
        log.append("endpoint")
        tasks.add_task(log.append, "background")
        return value

    assert request(app, "GET", "/").body == b'"outer/inner"'
    assert log == [
        "outer enter", "inner enter in worker", "endpoint", "background",
        "inner exit", "outer commit",
    ]  # fmt: skip


def test_an_exception_is_thrown_into_each_generator_so_it_can_roll_back() -> None:
    log: Log = []
    outer, _ = logging_dependencies(log)
    app = FastAPI()

    @app.post("/")
    async def endpoint(value: Annotated[str, Depends(outer)]) -> None:
        raise HTTPException(409, "conflict")

    answer = request(app, "POST", "/")
    assert (answer.status, answer.body) == (409, b'{"detail":"conflict"}')
    assert log == ["outer enter", "outer rollback HTTPException"]


def test_function_scope_exits_before_the_response_is_sent() -> None:
    log: Log = []
    app = FastAPI()

    async def per_function() -> AsyncIterator[int]:
        yield 1
        log.append("function exit")

    async def per_request() -> AsyncIterator[int]:
        yield 2
        log.append("request exit")

    @app.get("/")
    async def endpoint(
        a: Annotated[int, Depends(per_function, scope="function")],
        b: Annotated[int, Depends(per_request, scope="request")],
    ) -> int:
        return a + b

    async def app_with_send_log(scope: Any, receive: Any, send: Any) -> None:
        async def logged(message: Any) -> None:
            if message["type"] == "http.response.start":
                log.append("sent")
            await send(message)

        await app(scope, receive, logged)

    assert request(app_with_send_log, "GET", "/").body == b"3"
    assert log == ["function exit", "sent", "request exit"]


def test_swallowing_the_endpoints_exception_is_an_error() -> None:
    app = FastAPI()

    async def swallow() -> AsyncIterator[None]:
        try:  # noqa: SIM105 - the mistake under test, written as users write it
            yield
        except Exception:
            pass

    @app.get("/")
    async def endpoint(_: Annotated[None, Depends(swallow)]) -> None:
        raise RuntimeError("lost")

    with pytest.raises(FastAPIError, match="a dependency with yield catches it"):
        request(app, "GET", "/")


def test_each_dependency_is_called_once_per_request_unless_told_otherwise() -> None:
    calls: list[int] = []
    app = FastAPI()

    def counted() -> int:
        calls.append(1)
        return len(calls)

    def twice(a: Annotated[int, Depends(counted)], b: Annotated[int, Depends(counted)]) -> int:
        return a + b

    @app.get("/")
    def endpoint(
        total: Annotated[int, Depends(twice)],
        again: Annotated[int, Depends(counted)],
        fresh: Annotated[int, Depends(counted, use_cache=False)],
    ) -> list[int]:
        return [total, again, fresh]

    assert request(app, "GET", "/").body == b"[2,1,2]"
    assert request(app, "GET", "/").body == b"[6,3,4]"


def test_a_dependency_cycle_is_refused_when_the_route_is_added() -> None:
    def first(value: Annotated[int, Depends(lambda: 0)]) -> int:
        return value

    def second(value: Annotated[int, Depends(first)]) -> int:
        return value

    # Close the loop after both exist, as string annotations or re-assigned defaults can.
    first.__annotations__["value"] = Annotated[int, Depends(second)]
    app = FastAPI()

    def endpoint(value: Annotated[int, Depends(first)]) -> int:
        return value

    with pytest.raises(FastAPIError, match=r"dependency cycle: .*first -> .*second -> .*first"):
        app.get("/")(endpoint)


def test_security_scopes_accumulate_down_the_chain() -> None:
    app = FastAPI()

    def token(scopes: SecurityScopes) -> str:
        return scopes.scope_str

    def user(
        granted: Annotated[str, Security(token, scopes=["me"])], scopes: SecurityScopes
    ) -> dict[str, Any]:
        return {"token_saw": granted, "user_saw": scopes.scopes}

    @app.get("/")
    def endpoint(found: Annotated[dict[str, Any], Security(user, scopes=["items"])]) -> Any:
        return found

    assert request(app, "GET", "/").body == b'{"token_saw":"items me","user_saw":["items"]}'


def test_the_client_has_its_answer_before_a_slow_background_task_ends() -> None:
    log: Log = []
    app = FastAPI()

    async def slow() -> None:
        await anyio.sleep(0.05)
        log.append("task finished")

    @app.post("/")
    async def endpoint(tasks: BackgroundTasks) -> str:
        tasks.add_task(slow)
        return "accepted"

    async def server(scope: Any, receive: Any, send: Any) -> None:
        async def logged(message: Any) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                log.append("response complete")  # an ASGI server flushes it to the client now
            await send(message)

        await app(scope, receive, logged)

    assert request(server, "POST", "/").body == b'"accepted"'
    assert log == ["response complete", "task finished"]


def _app_with_async_yield(log: list[str]) -> FastAPI:
    app = FastAPI()

    async def session() -> AsyncIterator[str]:
        log.append("open")
        yield "s"
        log.append("closed")

    @app.get("/")
    async def read(value: Annotated[str, Depends(session)]) -> str:
        return value

    return app


async def _call(app: FastAPI) -> None:
    scope = {
        "type": "http", "method": "GET", "path": "/", "raw_path": b"/", "root_path": "",
        "query_string": b"", "headers": [], "scheme": "http", "server": ("x", 80),
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        pass

    await app(scope, receive, send)


@pytest.mark.parametrize("anyio_loaded", [True, False], ids=["anyio-loaded", "anyio-not-loaded"])
def test_a_plain_asyncio_task_exits_without_a_shield_scope(
    monkeypatch: pytest.MonkeyPatch, anyio_loaded: bool
) -> None:
    """No anyio scope encloses the task, so no scope can cancel its exit code: none is paid for."""
    import asyncio
    import sys

    from minifast import resolve

    def no_scope(context: Any) -> Any:
        raise AssertionError("a shield scope was entered")

    monkeypatch.setattr(resolve, "_cleanup_scope", no_scope)
    if not anyio_loaded:
        monkeypatch.delitem(sys.modules, "anyio._backends._asyncio", raising=False)
    log: list[str] = []
    asyncio.run(_call(_app_with_async_yield(log)))
    assert log == ["open", "closed"]


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_inside_an_anyio_task_the_exit_is_shielded(
    monkeypatch: pytest.MonkeyPatch, anyio_backend: str
) -> None:
    from minifast import resolve

    entered: list[Any] = []
    real = resolve._cleanup_scope

    def spy(context: Any) -> Any:
        entered.append(real(context))
        return entered[-1]

    monkeypatch.setattr(resolve, "_cleanup_scope", spy)
    log: list[str] = []
    async with anyio.create_task_group() as group:
        group.start_soon(_call, _app_with_async_yield(log))
    assert log == ["open", "closed"]
    assert len(entered) == 1
