# The contract between compiling and running. Above it, a route declares an EndpointSpec;
# compiling (plan.py and its helpers) turns the spec into an EndpointPlan; running (resolve.py)
# reads only the plan. Rules: a spec knows no route object and no app, a plan knows no route
# and no request, and everything here is frozen, so one plan serves every request at once.
# Each record is built by keyword, and its repr is one short line a reader can check by eye
# (`explain(route)` prints the whole tree).
"""EndpointSpec (what a route declares) and the frozen plan types compiling makes of it."""

from __future__ import annotations

import dataclasses
from collections import UserDict
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined, SchemaSerializer, SchemaValidator

from minifast import params
from minifast._extract import FieldKeys
from minifast._types_util import callable_name, type_name
from minifast.concurrency import ConcurrencyLimit
from minifast.responses import Response

# The most body bytes a route reads unless it, its router or the app says otherwise.
DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024


class _Inferred(Enum):
    FROM_ANNOTATION = "from the return annotation"


# `response_model=` left unset: the return annotation is the model (None: no model at all).
FROM_ANNOTATION = _Inferred.FROM_ANNOTATION


# PERF: specs and plans are never compared or hashed (caches key on the callables they hold):
# `eq=False` spares compiling an __eq__ and a __hash__ per class, where Python 3.11 compiles
# each generated method from source: -0.15 ms of start-up per class. Each has a short repr.
@dataclasses.dataclass(frozen=True, slots=True, eq=False, kw_only=True, repr=False)
class EndpointSpec:
    """What a route declares: its endpoint and the options that change how it is compiled."""

    path: str
    endpoint: Callable[..., Any]
    path_names: frozenset[str]  # the template's parameter names
    dependencies: tuple[params.Depends, ...] = ()  # `dependencies=[...]`, router's first
    websocket: bool = False
    status_code: int | None = None
    response_model: Any = FROM_ANNOTATION
    response_class: type[Response] | None = None  # the route's own choice
    default_response_class: type[Response] | None = None  # its router's or the app's
    responses: Mapping[int | str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    response_model_include: Any = None
    response_model_exclude: Any = None
    response_model_by_alias: bool = True
    response_model_exclude_unset: bool = False
    response_model_exclude_defaults: bool = False
    response_model_exclude_none: bool = False
    max_body_size: int | None = DEFAULT_MAX_BODY_SIZE  # None: no limit
    strict_content_type: bool = True  # False: a body with no Content-Type is read as JSON

    def __repr__(self) -> str:
        kind = "websocket" if self.websocket else "http"
        return f"<EndpointSpec {kind} {self.path} {callable_name(self.endpoint)}>"


class Source(Enum):
    """Where a parameter is read from."""

    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    COOKIE = "cookie"
    BODY = "body"


class Injected(Enum):
    """The live objects a parameter may be handed instead of a validated value."""

    REQUEST = "request"
    WEBSOCKET = "websocket"
    CONNECTION = "connection"  # the Request or the WebSocket, whichever the route serves
    RESPONSE = "response"  # a Response whose status and headers are copied to the answer
    BACKGROUND_TASKS = "background_tasks"
    SECURITY_SCOPES = "security_scopes"


class CallKind(Enum):
    """How a callable is run."""

    ASYNC = "async"
    SYNC = "sync"  # run in the thread pool
    INLINE = "inline"  # sync, but only moves values (see _nonblocking.py): no thread pool
    ASYNC_GENERATOR = "async generator"  # a `yield` dependency
    SYNC_GENERATOR = "sync generator"  # a `yield` dependency stepped in the thread pool


GENERATOR_KINDS = frozenset({CallKind.ASYNC_GENERATOR, CallKind.SYNC_GENERATOR})


@dataclasses.dataclass(frozen=True, slots=True, eq=False, kw_only=True, repr=False)
class ParamPlan:
    """One validated parameter: where it is read from and how it is declared."""

    name: str  # keyword passed to the callable
    source: Source
    key: str  # alias looked up in that source
    annotation: Any
    marker: FieldInfo  # constraints and docs, as declared (Query(...), Body(...), ...)
    default: Any  # PydanticUndefined when required
    is_sequence: bool  # read every value of a repeated key
    other_keys: tuple[str, ...] = ()  # AliasChoices after the first, also accepted

    @property
    def required(self) -> bool:
        return self.default is PydanticUndefined and self.marker.default_factory is None

    def default_value(self) -> Any:
        if self.default is PydanticUndefined:
            return self.marker.get_default(call_default_factory=True)
        return self.default

    def __repr__(self) -> str:
        text = f"{self.name}: {type_name(self.annotation)}"
        text += " required" if self.required else f" = {self.default_value()!r}"
        key = "" if self.key == self.name else f" key={self.key!r}"
        return f"<ParamPlan {self.source.value} {text}{key}>"


@dataclasses.dataclass(frozen=True, slots=True, eq=False, kw_only=True, repr=False)
class SourcePlan:
    """The parameters of one source of one callable, validated together in one call."""

    source: Source
    params: tuple[ParamPlan, ...]
    validator: SchemaValidator  # of a model whose field `p<i>` is params[i], or the group's
    group: tuple[FieldKeys, ...] | None = None  # set when params[0] is a model of parameters
    model: type[BaseModel] | None = None  # that model (params[0] may be Optional of it)
    is_optional: bool = False  # params[0] is `Model | None`: left out unless its keys are sent

    def __repr__(self) -> str:
        names = ", ".join(param.name for param in self.params)
        return f"<SourcePlan {self.source.value}: {names}>"


@dataclasses.dataclass(frozen=True, slots=True, eq=False, kw_only=True, repr=False)
class FormModel:
    """One model of form fields: where its fields are read, and when it counts as sent."""

    fields: tuple[FieldKeys, ...]
    own_keys: frozenset[str]  # every name its fields may be sent under
    counts_extras: bool  # extra="allow" or "forbid": any key at all means it was sent
    model: type[BaseModel]  # the model itself, which OpenAPI documents

    def __repr__(self) -> str:
        return f"<FormModel {self.model.__name__}>"


@dataclasses.dataclass(frozen=True, slots=True, eq=False, kw_only=True, repr=False)
class FormMember:
    """One body parameter of a form and its own validator."""

    param: ParamPlan
    keys: FieldKeys  # where a plain field is read
    validator: SchemaValidator
    models: tuple[FormModel, ...] = ()  # set for a model of form fields (a union: several)
    is_optional: bool = False  # the model may be left out: its default then applies

    def __repr__(self) -> str:
        return f"<FormMember {self.param.name}>"


@dataclasses.dataclass(frozen=True, slots=True, eq=False, kw_only=True, repr=False)
class FormPlan:
    """How one callable's body parameters are read from a form, in declaration order."""

    members: tuple[FormMember, ...]

    def __repr__(self) -> str:
        return f"<FormPlan {', '.join(member.param.name for member in self.members)}>"


@dataclasses.dataclass(frozen=True, slots=True, eq=False, kw_only=True, repr=False)
class BodyPlan:
    """How one callable reads its body parameters from the parsed body."""

    params: tuple[ParamPlan, ...]
    embedded: bool  # the body is an object keyed by parameter; else params[0] *is* the body
    validator: SchemaValidator | None  # None for a form (each member has its own)
    form: FormPlan | None = None  # set when the body is read as a form

    def __repr__(self) -> str:
        kind = "form" if self.form is not None else "json"
        shape = " embedded" if self.embedded else ""
        return f"<BodyPlan {kind}{shape}: {', '.join(param.name for param in self.params)}>"


@dataclasses.dataclass(frozen=True, slots=True, eq=False, kw_only=True, repr=False)
class CallablePlan:
    """An endpoint or a dependency: what to call and how to fill each of its parameters."""

    call: Callable[..., Any]
    kind: CallKind
    sources: tuple[SourcePlan, ...] = ()  # path, query, header, cookie: only those used
    body: BodyPlan | None = None
    injected: tuple[tuple[str, Injected], ...] = ()  # (keyword, what it is handed)
    dependencies: tuple[DependencyPlan, ...] = ()
    security_scopes: tuple[str, ...] = ()
    # A `yield` dependency as a context manager factory; None for the other kinds. PERF: wrapped
    # here once, not per request: 1.3 µs less for each.
    exit_factory: Callable[..., Any] | None = None

    def __repr__(self) -> str:
        parts = [f"sources: {', '.join(s.source.value for s in self.sources)}"]
        parts = parts if self.sources else []
        parts += ["body"] if self.body is not None else []
        parts += [f"depends on {len(self.dependencies)}"] if self.dependencies else []
        inside = f" ({', '.join(parts)})" if parts else ""
        return f"<CallablePlan {callable_name(self.call)} {self.kind.value}{inside}>"


@dataclasses.dataclass(frozen=True, slots=True, eq=False, kw_only=True, repr=False)
class DependencyPlan:
    """One dependency of a callable: its plan, and which calls of a request share its value."""

    name: str | None  # keyword in the dependent; None for `dependencies=[...]`
    plan: CallablePlan
    use_cache: bool
    scope: str | None  # "function", "request", "lifespan", or None (request for `yield`)
    uses_scopes: bool  # it, or something it depends on, reads OAuth2 scopes
    cache_key: tuple[Any, ...]  # calls with equal keys share one value per request
    limit: ConcurrencyLimit | None = None  # Depends(max_concurrency=...)

    def __repr__(self) -> str:
        marks = "".join(
            f" {mark}"
            for mark, on in (("cached", self.use_cache), (f"scope={self.scope}", self.scope))
            if on
        )
        return f"<DependencyPlan {self.name or '-'} = {callable_name(self.plan.call)}{marks}>"


# How a stream's items are sent: JSON lines, SSE events, or as they are.
StreamFormat = Literal["jsonl", "sse", "raw"]  # raw: a chosen response class streams them as is


@dataclasses.dataclass(frozen=True, slots=True, eq=False, kw_only=True, repr=False)
class StreamPlan:
    """How a generator endpoint's items are sent."""

    format: StreamFormat
    is_async: bool
    adapter: TypeAdapter[Any] | None  # the item type, when the annotation gives one
    dump_options: dict[str, Any]
    validator: SchemaValidator | None = None  # PERF: the adapter's halves, as in ResponsePlan
    serializer: SchemaSerializer | None = None

    def __repr__(self) -> str:
        item = "" if self.adapter is None else f" of {type_name(self.adapter._type)}"
        return f"<StreamPlan {self.format}{item}>"


@dataclasses.dataclass(frozen=True, slots=True, eq=False, kw_only=True, repr=False)
class ResponsePlan:
    """How a route turns its endpoint's return value into a Response."""

    status_code: int | None
    response_class: type[Response]
    adapter: TypeAdapter[Any] | None  # the response model, if any
    dumps_json: bool  # a model and no explicit response class: pydantic writes the bytes
    dump_options: dict[str, Any]  # include, exclude, by_alias, exclude_unset, ... when set
    # PERF: the adapter's pydantic-core halves, called without TypeAdapter's wrappers and with
    # only the options that differ from pydantic's defaults: (c) 2.4 -> 1.1 µs per response.
    validator: SchemaValidator | None = None
    serializer: SchemaSerializer | None = None
    stream: StreamPlan | None = None  # set for a generator endpoint
    # The `responses={code: {"model": ...}}` models: built here so a wrong one fails at
    # registration, as in FastAPI; only OpenAPI reads them.
    extras: dict[int | str, TypeAdapter[Any]] = dataclasses.field(default_factory=dict)
    endpoint: Callable[..., Any] | None = None  # named by a ResponseValidationError

    def __repr__(self) -> str:
        model = "" if self.adapter is None else f" model={type_name(self.adapter._type)}"
        status = "" if self.status_code is None else f" {self.status_code}"
        return f"<ResponsePlan{status} {self.response_class.__name__}{model}>"


@dataclasses.dataclass(frozen=True, slots=True, eq=False, kw_only=True, repr=False)
class EndpointPlan:
    """Everything a request to one route needs, decided at registration."""

    endpoint: CallablePlan
    response: ResponsePlan | None  # None for a websocket endpoint
    reads_body: bool = False  # whether any callable in the tree has body parameters
    body_params: tuple[ParamPlan, ...] = ()  # all of them, for OpenAPI and error bodies
    has_cleanup: bool = False  # whether any dependency is a `yield` generator
    reads_form: bool = False  # the body is a form (urlencoded or multipart), not JSON
    max_body_size: int | None = DEFAULT_MAX_BODY_SIZE  # None: no limit
    exits_before_response: bool = False  # a `yield` dependency has scope="function"
    json_without_content_type: bool = False  # strict_content_type=False: no header reads as JSON

    def __repr__(self) -> str:
        body = " form" if self.reads_form else " body" if self.reads_body else ""
        cleanup = " cleanup" if self.has_cleanup else ""
        return f"<EndpointPlan {callable_name(self.endpoint.call)}{body}{cleanup}>"


class DependencyOverrides(UserDict[Callable[..., Any], Callable[..., Any]]):
    """`app.dependency_overrides`: a mapping whose `version` changes with every change.

    A route compiles a plan under the overrides on its first request after a change, and
    keeps it while `version` stays the same (see APIRoute.plan_under). Every mutation goes
    through __setitem__ or __delitem__.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.version = object()
        super().__init__(*args, **kwargs)

    def __setitem__(self, key: Callable[..., Any], value: Callable[..., Any]) -> None:
        super().__setitem__(key, value)
        self.version = object()

    def __delitem__(self, key: Callable[..., Any]) -> None:
        super().__delitem__(key)
        self.version = object()
