"""The contract: a frozen spec in, frozen plans out, each printable on one short line."""

import dataclasses
from typing import Annotated

import pytest
from pydantic import BaseModel

from minifast import Body, Depends, FastAPI, Query
from minifast.api_routes import APIRoute
from minifast.contract import DependencyOverrides, EndpointSpec
from minifast.plan import compile_endpoint
from minifast.testclient import TestClient


class Item(BaseModel):
    name: str


def common(limit: int = 10) -> int:
    return limit


def build() -> tuple[FastAPI, APIRoute]:
    app = FastAPI()

    @app.post("/items/{item_id}", status_code=201)
    async def save(
        item_id: int,
        item: Annotated[Item, Body(embed=True)],
        q: Annotated[str | None, Query(max_length=5)] = None,
        limit: int = Depends(common),
    ) -> Item:
        return item

    route = app.routes[-1]
    assert isinstance(route, APIRoute)
    return app, route


def test_every_plan_object_prints_one_short_line() -> None:
    _, route = build()
    plan = route.plan
    shown = {
        "spec": repr(route.spec),
        "plan": repr(plan),
        "endpoint": repr(plan.endpoint),
        "sources": repr(plan.endpoint.sources),
        "body": repr(plan.endpoint.body),
        "dependency": repr(plan.endpoint.dependencies[0]),
        "response": repr(plan.response),
    }
    assert shown == {
        "spec": "<EndpointSpec http /items/{item_id} save>",
        "plan": "<EndpointPlan save body>",
        "endpoint": "<CallablePlan save async (sources: path, query, body, depends on 1)>",
        "sources": "(<SourcePlan path: item_id>, <SourcePlan query: q>)",
        "body": "<BodyPlan json embedded: item>",
        "dependency": "<DependencyPlan limit = common cached>",
        "response": "<ResponsePlan 201 JSONResponse model=Item>",
    }
    params = [repr(param) for source in plan.endpoint.sources for param in source.params]
    assert params == [
        "<ParamPlan path item_id: int required>",
        "<ParamPlan query q: str | None = None>",
    ]


def test_a_spec_is_frozen_and_compiles_without_its_route() -> None:
    _, route = build()
    with pytest.raises(dataclasses.FrozenInstanceError):
        route.spec.path = "/elsewhere"  # type: ignore[misc]
    plan = compile_endpoint(route.spec)
    assert repr(plan) == repr(route.plan) and plan is not route.plan
    assert not any(isinstance(value, APIRoute) for value in vars_of(route.spec))


def vars_of(spec: EndpointSpec) -> list[object]:
    return [getattr(spec, field.name) for field in dataclasses.fields(spec)]


def test_the_route_keeps_one_plan_per_version_of_the_overrides() -> None:
    app, route = build()

    def fewer() -> int:
        return 1

    client = TestClient(app)
    app.dependency_overrides[common] = fewer
    client.post("/items/1", json={"item": {"name": "a"}})
    first = route._override_plan
    client.post("/items/1", json={"item": {"name": "a"}})
    assert route._override_plan is first  # the same version: compiled once
    app.dependency_overrides[common] = lambda: 2
    assert client.post("/items/1", json={"item": {"name": "a"}}).status_code == 201
    assert route._override_plan is not first


def test_overrides_change_version_on_every_change() -> None:
    overrides = DependencyOverrides()
    seen = [overrides.version]
    overrides[common] = common
    seen.append(overrides.version)
    del overrides[common]
    seen.append(overrides.version)
    assert len({id(version) for version in seen}) == 3
