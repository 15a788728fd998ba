"""`explain(route)`: what a route compiled to, as a short tree a reader can check by eye.

A path operation is compiled once, when it is registered (plan.py): every parameter's source,
key, type and constraints, the body, the dependency tree in call order, the response. This
module prints that plan; it reads plans and routes and is never on the request path.

    GET /items/{item_id}  read_item
      read_item  (async)
        path     item_id: int  required
        query    q: str | None = None  max_length=50
        depends  commons = common_parameters  (async)  [cached]
          query    skip: int = 0
      response  200 JSONResponse  model Item (pydantic writes the JSON)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from minifast._types_util import callable_name, type_name
from minifast.api_routes import APIRoute, APIWebSocketRoute
from minifast.contract import (
    BodyPlan,
    CallablePlan,
    CallKind,
    DependencyPlan,
    EndpointPlan,
    ResponsePlan,
)
from minifast.plain_routes import BaseRoute

_INDENT = "  "
# How each kind of callable is run, in the words a reader looks for.
_KINDS = {
    CallKind.ASYNC: "async",
    CallKind.SYNC: "sync, in the thread pool",
    CallKind.INLINE: "sync, inline (it only moves values)",
    CallKind.ASYNC_GENERATOR: "async, yield",
    CallKind.SYNC_GENERATOR: "sync, yield, stepped in the thread pool",
}


def explain(route: BaseRoute) -> str:
    """The route's first line, then for a path operation or websocket its compiled plan."""
    lines = [_headline(route)]
    if isinstance(route, (APIRoute, APIWebSocketRoute)):
        lines += _plan_lines(route.plan, depth=1)
    return "\n".join(lines)


def _headline(route: BaseRoute) -> str:
    methods = " ".join(sorted(route.methods or ())) or _protocol(route)
    path = getattr(route, "path", "") or getattr(route, "host", "")
    kind = "" if isinstance(route, (APIRoute, APIWebSocketRoute)) else f"  ({_plain(route)})"
    return f"{methods} {path}  {route.name or '-'}{kind}"


def _protocol(route: BaseRoute) -> str:
    return "WEBSOCKET" if "http" not in route.scope_types else "ANY"


def _plain(route: BaseRoute) -> str:
    """What a route outside the typed layer does with a request."""
    inner = getattr(route, "routes", None)
    if inner is not None and not hasattr(route, "endpoint"):
        held = f"{len(inner)} routes inside" if inner else "an ASGI app below it"
        return f"{type(route).__name__}: {held}"
    return f"{type(route).__name__}: its endpoint gets the connection as is, nothing validated"


def _plan_lines(plan: EndpointPlan, depth: int) -> list[str]:
    lines = _callable_lines(plan.endpoint, depth)
    if plan.response is not None:
        lines.append(_INDENT * depth + _response_line(plan.response))
    return lines


def _callable_lines(plan: CallablePlan, depth: int) -> list[str]:
    """The callable, then its parameters by source, its body, injections and dependencies."""
    pad = _INDENT * depth
    lines = [f"{pad}{callable_name(plan.call)}  ({_KINDS[plan.kind]})"]
    inner = _INDENT * (depth + 1)
    for source in plan.sources:
        lines += [f"{inner}{source.source.value:<9}{_param(param)}" for param in source.params]
    if plan.body is not None:
        lines += _body_lines(plan.body, inner)
    lines += [f"{inner}{'injected':<9}{keyword}: {what.value}" for keyword, what in plan.injected]
    for dependency in plan.dependencies:
        lines += _dependency_lines(dependency, depth + 1)
    return lines


def _body_lines(body: BodyPlan, pad: str) -> list[str]:
    kind = "form" if body.form is not None else "body"
    shape = "  (an object keyed by parameter)" if body.embedded else ""
    return [f"{pad}{kind:<9}{_param(param)}{shape}" for param in body.params]


def _dependency_lines(dependency: DependencyPlan, depth: int) -> list[str]:
    marks = [mark for mark, on in (("cached", dependency.use_cache),
                                   (f"scope={dependency.scope}", dependency.scope),
                                   ("limited", dependency.limit is not None)) if on]  # fmt: skip
    lines = _callable_lines(dependency.plan, depth)
    keyword = dependency.name or "(dependencies=)"
    lines[0] = f"{_INDENT * depth}depends  {keyword} = {lines[0].strip()}"
    lines[0] += f"  [{', '.join(marks)}]" if marks else ""
    return lines


def _param(param: Any) -> str:
    """`name: type = default  constraint=value ...`, and the key when it differs."""
    text = f"{param.name}: {type_name(param.annotation)}"
    text += "  required" if param.required else f" = {param.default_value()!r}"
    if param.key != param.name:
        text += f"  key {param.key!r}"
    constraints = [_constraint(item) for item in param.marker.metadata]
    return text + "".join(f"  {constraint}" for constraint in constraints)


def _constraint(item: Any) -> str:
    """annotated-types' `MaxLen(max_length=50)` as `max_length=50`; anything else as repr."""
    if dataclasses.is_dataclass(item):
        fields = dataclasses.fields(item)
        return " ".join(f"{field.name}={getattr(item, field.name)!r}" for field in fields)
    return repr(item)


def _response_line(response: ResponsePlan) -> str:
    status = response.status_code if response.status_code is not None else "200"
    text = f"response  {status} {response.response_class.__name__}"
    if response.adapter is not None:
        text += f"  model {type_name(response.adapter._type)}"  # the type it was built from
        if response.dumps_json:
            text += " (pydantic writes the JSON)"
    if response.stream is not None:
        text += "  streamed"
    return text
