"""minifast.templating: Jinja2 templates rendered into HTML responses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest

from minifast import FastAPI, Request
from minifast.responses import HTMLResponse
from minifast.templating import Jinja2Templates
from minifast.testclient import TestClient


@pytest.fixture
def template_dir(tmp_path: Path) -> Path:
    (tmp_path / "item.html").write_text(
        "<a href=\"{{ url_for('read_item', item_id=id) }}\">{{ id }}</a> {{ site }}"
    )
    return tmp_path


def _app(templates: Jinja2Templates) -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}", response_class=HTMLResponse)
    async def read_item(request: Request, item_id: str) -> Any:
        return templates.TemplateResponse(
            request, "item.html", {"id": item_id}, headers={"x-page": "item"}
        )

    return app


def test_a_template_renders_with_its_context_url_for_and_processors(template_dir: Path) -> None:
    templates = Jinja2Templates(
        directory=template_dir, context_processors=[lambda request: {"site": "shop"}]
    )
    response = TestClient(_app(templates), root_path="/api").get("/items/7")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-page"] == "item"
    assert response.text == '<a href="http://testserver/api/items/7">7</a> shop'


def test_a_ready_environment_can_be_given(template_dir: Path) -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir))
    templates = Jinja2Templates(env=env)
    assert templates.env is env
    assert templates.get_template("item.html").name == "item.html"
    assert "url_for" in env.globals


@pytest.mark.parametrize(
    "arguments", [{}, {"directory": "x", "env": jinja2.Environment()}], ids=["none", "both"]
)
def test_directory_or_env_exactly_one(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="either 'directory' or 'env'"):
        Jinja2Templates(**arguments)


@pytest.mark.anyio
async def test_the_debug_extension_is_told_the_template_and_context(template_dir: Path) -> None:
    templates = Jinja2Templates(directory=template_dir)
    scope: dict[str, Any] = {
        "type": "http", "method": "GET", "path": "/items/3", "raw_path": b"/items/3",
        "root_path": "", "scheme": "http", "query_string": b"", "headers": [],
        "server": ("testserver", 80), "extensions": {"http.response.debug": {}},
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await _app(templates)(scope, receive, send)
    debug = sent[0]
    assert debug["type"] == "http.response.debug"
    assert debug["info"]["template"].name == "item.html"
    assert debug["info"]["context"]["id"] == "3"
    assert [message["type"] for message in sent[1:]] == [
        "http.response.start",
        "http.response.body",
    ]


@pytest.mark.parametrize("path", ["/items/7", "/items/7?debug=1"])
def test_templates_render_as_starlettes(template_dir: Path, path: str) -> None:
    """The same toolkit app on Starlette and on minifast: context, url_for, processors."""
    import importlib

    (template_dir / "page.html").write_text(
        "{{ url_for('page', item_id=item_id) }} {{ item_id }} {{ who }} {{ request.url.query }}"
    )

    def who(request: Any) -> dict[str, str]:
        return {"who": "processor"}

    answers = []
    for name in ("starlette", "minifast"):
        load = lambda module, name=name: importlib.import_module(f"{name}.{module}")  # noqa: E731
        templates = load("templating").Jinja2Templates(
            directory=str(template_dir), context_processors=[who]
        )

        async def page(request: Any, templates: Any = templates) -> Any:
            item_id = request.path_params["item_id"]
            return templates.TemplateResponse(request, "page.html", {"item_id": item_id})

        route = load("routing").Route("/items/{item_id:int}", page, name="page")
        app = load("applications").Starlette(routes=[route])
        answer = TestClient(app).get(path)  # one client for both: the apps differ
        answers.append((answer.status_code, answer.headers["content-type"], answer.text))
    assert answers[0] == answers[1]
    assert answers[1][2].startswith("http://testserver/items/7 7 processor")
