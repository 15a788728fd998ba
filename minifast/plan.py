# How a plan is made: when a route is registered, its EndpointSpec is compiled once (the rule:
# compiling reads the spec and the endpoint's signature, never a route, an app or a request). A
# `Depends()` parameter becomes a plan of its own, recursively; a special type (Request,
# Response, BackgroundTasks, ...) is injected; any other parameter gets its source by FastAPI's
# rules (see _parameters.py): a marker (`Query()`, `Header()`, ...) decides, else a name in the
# path template is a path parameter, else a scalar is a query parameter and anything else (a
# model, a list, a dict) is the body. The plain parameters of one source are validated together
# by one pydantic model built here; a model of parameters has its own validator. If any body
# parameter is a Form()/File() (an UploadFile is one), the body is read as a form. The result is
# frozen (its types are in contract.py): resolve.py runs it per request without looking at a
# signature again.
"""compile_endpoint(): signature → frozen EndpointPlan."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, NamedTuple

import typing_extensions
from pydantic import TypeAdapter
from pydantic_core import SchemaValidator

from minifast import params
from minifast._form_plan import compile_form
from minifast._nonblocking import cannot_block
from minifast._parameters import (
    compile_container,
    compile_param,
    compile_sources,
    declared_marker,
)
from minifast._response_plan import compile_response
from minifast._types_util import annotate, annotated_parts, call_target
from minifast.background import BackgroundTasks
from minifast.contract import (
    GENERATOR_KINDS,
    BodyPlan,
    CallablePlan,
    CallKind,
    DependencyPlan,
    EndpointPlan,
    EndpointSpec,
    Injected,
    ParamPlan,
    Source,
)
from minifast.exceptions import DependencyScopeError, FastAPIError
from minifast.requests import HTTPConnection, Request
from minifast.responses import Response
from minifast.security.base import SecurityBase
from minifast.security.oauth2 import SecurityScopes
from minifast.websockets import WebSocket

# An endpoint of these kinds streams what it yields (see serialization.py).
_GENERATORS: dict[CallKind, Literal["async", "sync"]] = {
    CallKind.ASYNC_GENERATOR: "async",
    CallKind.SYNC_GENERATOR: "sync",
}

# Types whose parameters are handed the live object instead of a validated value; the first
# class the annotation is a subclass of decides (a Request is an HTTPConnection too).
INJECTED: dict[type[Any], Injected] = {
    SecurityScopes: Injected.SECURITY_SCOPES,
    Request: Injected.REQUEST,
    WebSocket: Injected.WEBSOCKET,
    HTTPConnection: Injected.CONNECTION,
    Response: Injected.RESPONSE,
    BackgroundTasks: Injected.BACKGROUND_TASKS,
}


class _Compiling(NamedTuple):
    """What every callable of one endpoint's tree is compiled against.

    PERF: a NamedTuple, not a dataclass: nothing to compile from source, -0.3 ms of start-up.
    """

    path_names: frozenset[str]
    overrides: Mapping[Callable[..., Any], Callable[..., Any]]
    chain: tuple[Callable[..., Any], ...] = ()  # dependencies being compiled, outermost first
    security_scopes: tuple[str, ...] = ()


def compile_endpoint(
    spec: EndpointSpec,
    overrides: Mapping[Callable[..., Any], Callable[..., Any]] | None = None,
) -> EndpointPlan:
    """Read the endpoint (and its dependencies) once; fail now, at import, if it is wrong.

    `overrides` (the app's `dependency_overrides`) swaps dependencies for others; the route
    compiles such a plan once per change of the mapping, on its next request.
    """
    context = _Compiling(path_names=spec.path_names, overrides=overrides or {})
    plan = compile_callable(spec.endpoint, context, list(spec.dependencies))
    body_params = tuple(_body_params(plan))
    embed = len(body_params) > 1 or any(_embeds(param) for param in body_params)
    is_form = any(isinstance(param.marker, params.Form) for param in body_params)
    plan = _with_body(plan, embed, is_form)
    if spec.websocket:
        if body_params:
            raise FastAPIError(f"websocket endpoint {spec.path} cannot read a request body")
        return EndpointPlan(endpoint=plan, response=None, has_cleanup=_has_generators(plan))
    return EndpointPlan(
        endpoint=plan,
        response=compile_response(spec, _GENERATORS.get(plan.kind)),
        reads_body=bool(body_params),
        body_params=body_params,
        has_cleanup=_has_generators(plan),
        reads_form=is_form,
        max_body_size=spec.max_body_size,
        exits_before_response=_has_generators(plan, scope="function"),
        json_without_content_type=not spec.strict_content_type,
    )


def _has_generators(plan: CallablePlan, scope: str | None = None) -> bool:
    """Whether a `yield` dependency is in the tree (of that exit scope, if one is given)."""
    return any(
        (dep.plan.exit_factory is not None and scope in (None, dep.scope))
        or _has_generators(dep.plan, scope)
        for dep in plan.dependencies
    )


def compile_callable(
    call: Callable[..., Any],
    context: _Compiling,
    extra_dependencies: list[params.Depends] | None = None,
) -> CallablePlan:
    """Plan one callable; its body validator comes later, once embedding is known."""
    found: dict[Source, list[ParamPlan]] = {source: [] for source in Source}
    injected: list[tuple[str, Injected]] = []
    dependencies = [_dependency(None, dep, context) for dep in extra_dependencies or []]
    for name, annotation, marker, default in _signature(call):
        if isinstance(marker, params.Depends):
            dependencies.append(_dependency(name, _fill_dependency(marker, annotation), context))
        elif (what := _injected(annotation)) is not None:
            injected.append((name, what))
        else:
            param = compile_param(name, annotation, marker, default, context.path_names)
            found[param.source].append(param)
    sources = tuple(
        source_plan
        for source in (Source.PATH, Source.QUERY, Source.HEADER, Source.COOKIE)
        for source_plan in compile_sources(source, tuple(found[source]))
    )
    body = None
    if found[Source.BODY]:  # its validator comes later, once embedding is known
        body = BodyPlan(params=tuple(found[Source.BODY]), embedded=False, validator=None)
    kind = _call_kind(call)
    return CallablePlan(
        call=call, kind=kind, sources=sources, body=body, injected=tuple(injected),
        dependencies=tuple(dependencies), security_scopes=context.security_scopes,
        exit_factory=_exit_factory(call, kind),
    )  # fmt: skip


def _exit_factory(call: Callable[..., Any], kind: CallKind) -> Callable[..., Any] | None:
    if kind is CallKind.ASYNC_GENERATOR:
        return contextlib.asynccontextmanager(call)
    if kind is CallKind.SYNC_GENERATOR:
        return contextlib.contextmanager(call)
    return None


# `type X = ...` makes a typing.TypeAliasType (3.12+); typing_extensions has its own before 3.14.
_TYPE_ALIASES: tuple[Any, ...] = tuple(
    {
        alias
        for module in (typing, typing_extensions)
        if (alias := getattr(module, "TypeAliasType", None))
    }
)


def _signature(call: Callable[..., Any]) -> list[tuple[str, Any, Any, Any]]:
    """(name, annotation, marker, default) for each parameter, `Annotated` unpacked."""
    hints = _parameter_hints(call_target(call))
    result = []
    for parameter in inspect.signature(call).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        hint: Any = hints.get(parameter.name, Any)
        if isinstance(hint, _TYPE_ALIASES):
            hint = hint.__value__  # COMPAT: `type Alias = Annotated[...]` declares what it holds
        annotation, markers = annotated_parts(hint)
        marker, default = declared_marker(parameter.name, markers, parameter.default)
        result.append((parameter.name, annotation, marker, default))
    return result


def _parameter_hints(target: Callable[..., Any]) -> dict[str, Any]:
    """The evaluated annotations of `target`'s parameters.

    COMPAT: as in FastAPI, only the parameters' annotations need to resolve: a return
    annotation naming what is imported under `if TYPE_CHECKING:` is not an error.
    """
    try:
        return typing.get_type_hints(target, include_extras=True)
    except NameError:
        annotations = dict(inspect.get_annotations(target))
        if annotations.pop("return", None) is None:
            raise
    holder = types.SimpleNamespace(__annotations__=annotations)
    namespace = getattr(inspect.unwrap(target), "__globals__", {})
    return typing.get_type_hints(holder, globalns=namespace, include_extras=True)


def _dependency(name: str | None, marker: params.Depends, context: _Compiling) -> DependencyPlan:
    """Plan a dependency, or its override; a dependency that needs itself is refused."""
    original = marker.dependency
    if original is None:
        raise FastAPIError(f"Depends() for {name!r} needs a callable or a class annotation")
    if original in context.chain:
        cycle = " -> ".join(_name(call) for call in (*context.chain, original))
        raise FastAPIError(f"dependency cycle: {cycle}")
    scopes = context.security_scopes
    if isinstance(marker, params.Security):
        scopes = (*scopes, *(marker.scopes or ()))
    inner = context._replace(chain=(*context.chain, original), security_scopes=scopes)
    plan = compile_callable(context.overrides.get(original, original), inner)
    if marker.scope == "lifespan":
        _check_lifespan_scoped(plan)
    _check_exit_scopes(plan, marker.scope)
    uses_scopes = _uses_scopes(plan, marker)
    return DependencyPlan(
        name=name, plan=plan, use_cache=marker.use_cache, scope=marker.scope,
        uses_scopes=uses_scopes, cache_key=_cache_key(plan, marker.scope, uses_scopes),
        limit=marker._concurrency,
    )  # fmt: skip


def _check_exit_scopes(plan: CallablePlan, scope: str | None) -> None:
    """A `yield` dependency exiting after the response cannot use one exiting before it."""
    if plan.kind not in GENERATOR_KINDS or scope not in (None, "request"):
        return
    for dependency in plan.dependencies:
        if dependency.scope == "function":
            # COMPAT: FastAPI's wording, which tests match.
            name = getattr(plan.call, "__name__", type(plan.call).__name__)
            raise DependencyScopeError(
                f'The dependency "{name}" has a scope of "request", it cannot '
                'depend on dependencies with scope "function".'
            )


def _uses_scopes(plan: CallablePlan, marker: params.Depends) -> bool:
    own_scopes = isinstance(marker, params.Security) and bool(marker.scopes)
    reads_scopes = any(what is Injected.SECURITY_SCOPES for _, what in plan.injected)
    return (
        own_scopes or reads_scopes or isinstance(plan.call, SecurityBase)
        or any(dependency.uses_scopes for dependency in plan.dependencies)
    )  # fmt: skip


def _cache_key(plan: CallablePlan, scope: str | None, uses_scopes: bool) -> tuple[Any, ...]:
    """What makes two uses of a dependency share one call in a request.

    COMPAT: as in FastAPI, the OAuth2 scopes count only for dependencies that use scopes, and a
    `yield` dependency's exit scope ("request" unless set) counts too.
    """
    scopes = tuple(sorted(set(plan.security_scopes))) if uses_scopes else ()
    generator = plan.kind in GENERATOR_KINDS
    return plan.call, scopes, scope or ("request" if generator else "")


def _name(call: Callable[..., Any]) -> str:
    return getattr(call, "__qualname__", None) or type(call).__qualname__


def _check_lifespan_scoped(plan: CallablePlan) -> None:
    """A dependency built once for the whole app can read nothing from a request."""
    reads_request = plan.sources or plan.body or plan.injected
    if reads_request or any(dep.scope != "lifespan" for dep in plan.dependencies):
        raise FastAPIError(
            f"{_name(plan.call)} is lifespan-scoped, so it is built once at start-up: it may "
            "depend only on other lifespan-scoped dependencies, not on request data"
        )


def _fill_dependency(marker: params.Depends, annotation: Any) -> params.Depends:
    """COMPAT: `Depends()` with no callable calls the annotated class itself."""
    if marker.dependency is not None:
        return marker
    if not inspect.isclass(annotation) or annotation is Any:
        return marker  # _dependency() refuses it, naming the parameter
    return dataclasses.replace(marker, dependency=annotation)


def _injected(annotation: Any) -> Injected | None:
    if not inspect.isclass(annotation):
        return None
    return next((what for kind, what in INJECTED.items() if issubclass(annotation, kind)), None)


# What calling a callable returns, as the functions that may tell, first match wins.
_KIND_TESTS: tuple[tuple[Callable[[Any], bool], CallKind], ...] = (
    (inspect.isasyncgenfunction, CallKind.ASYNC_GENERATOR),
    (inspect.isgeneratorfunction, CallKind.SYNC_GENERATOR),
    (inspect.iscoroutinefunction, CallKind.ASYNC),
)


def _call_kind(call: Callable[..., Any]) -> CallKind:
    """How to call `call`: awaited, stepped as a generator, in the thread pool, or inline.

    COMPAT: as in FastAPI, a kind shows through `functools.partial`, through decorators that
    set `__wrapped__`, and through a callable object's `__call__`; a decorator's own kind
    counts too, so an async wrapper around a sync function is awaited.
    """
    views = _kind_views(call)
    for test, kind in _KIND_TESTS:
        if any(test(view) for view in views):
            return kind
    # PERF: (d)'s `Pagination` class skips the thread-pool round trip, 202 -> 41 µs in-process.
    return CallKind.INLINE if cannot_block(call) else CallKind.SYNC


def _kind_views(call: Callable[..., Any]) -> list[Any]:
    """`call` without partials, then unwrapped; then the `__call__` of each, likewise."""
    views = _bare_and_unwrapped(call)
    if inspect.isclass(views[-1]):
        return views  # calling a class builds an instance, whatever its __call__ does
    for view in tuple(views):
        views.extend(_bare_and_unwrapped(view.__call__))
    return views


def _bare_and_unwrapped(call: Any) -> list[Any]:
    while isinstance(call, functools.partial):
        call = call.func
    return [call, inspect.unwrap(call)]


def _body_params(plan: CallablePlan) -> list[ParamPlan]:
    """Every body parameter in the tree, each name once.

    COMPAT: in FastAPI's order, which the OpenAPI body schema shows: a callable's own
    parameters, then those of its dependencies.
    """
    found: dict[str, ParamPlan] = {}
    for param in plan.body.params if plan.body else ():
        found.setdefault(param.key, param)
    for dependency in plan.dependencies:
        for param in _body_params(dependency.plan):
            found.setdefault(param.key, param)
    return list(found.values())


def _embeds(param: ParamPlan) -> bool:
    return isinstance(param.marker, params.Body) and bool(param.marker.embed)


def _with_body(plan: CallablePlan, embed: bool, is_form: bool) -> CallablePlan:
    """Give each callable of the tree its body validator, now that embedding is decided.

    COMPAT: with several body parameters anywhere in the tree, or `Body(embed=True)`, the
    body is an object keyed by parameter; otherwise the single body parameter *is* the body.
    """
    dependencies = tuple(
        dataclasses.replace(dep, plan=_with_body(dep.plan, embed, is_form))
        for dep in plan.dependencies
    )
    body = plan.body
    if body is not None and is_form:
        body = _form_body(body.params)
    elif body is not None:
        validator = compile_container("body", body.params) if embed else _adapter(body.params[0])
        body = BodyPlan(params=body.params, embedded=embed, validator=validator)
    return dataclasses.replace(plan, dependencies=dependencies, body=body)


def _adapter(param: ParamPlan) -> SchemaValidator:
    adapter: TypeAdapter[Any] = TypeAdapter(annotate(param.annotation, param.marker))
    return adapter.validator  # type: ignore[return-value]


def _form_body(found: tuple[ParamPlan, ...]) -> BodyPlan:
    """COMPAT: as in FastAPI, each form parameter is validated on its own (see _form_plan.py)."""
    return BodyPlan(params=found, embedded=True, validator=None, form=compile_form(found))
