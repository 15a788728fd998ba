# Which sync callables may be called on the event loop. Like FastAPI, minifast calls a sync
# endpoint or dependency in the thread pool, so that blocking code cannot stall the other
# requests. That round trip costs 40-190 µs on this machine: far more than the whole call when
# the code only moves values, as a dependency class whose `__init__` copies its arguments onto
# `self` ("classes as dependencies") or an endpoint returning a literal dict. Such code runs no
# user code at all, and its bytecode shows it: it loads arguments and constants, stores them as
# attributes of the new instance (a plain class: no own `__new__`, `__setattr__`, `__del__`,
# metaclass or property), builds tuples, lists and dicts with constant keys, and returns. That
# is checked once, at registration; anything else, or an opcode this check does not know
# (another Python version's), keeps the thread pool.
"""Whether a sync callable provably cannot block, so it can skip the thread pool."""

from __future__ import annotations

import abc
import dis
import inspect
import types
from collections.abc import Callable
from enum import Enum
from typing import Any


class _Entry(Enum):
    """What the bytecode simulation knows of one value on the stack."""

    SELF = "the instance being initialised"
    CONSTANT = "a constant: hashing it runs no user code"
    VALUE = "anything else: an argument or a container"


_LOADS_ARGUMENT = {"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_BORROW"}
_LOADS_TWO_ARGUMENTS = {"LOAD_FAST_LOAD_FAST", "LOAD_FAST_BORROW_LOAD_FAST_BORROW"}
_LOADS_CONSTANT = {"LOAD_CONST", "LOAD_SMALL_INT"}
# How many entries each container build takes, given its oparg n (a dict's keys come first).
_BUILDS = {
    "BUILD_TUPLE": lambda n: n,
    "BUILD_LIST": lambda n: n,
    "BUILD_CONST_KEY_MAP": lambda n: n + 1,  # n values, then the tuple of constant keys
    "BUILD_MAP": lambda n: 2 * n,  # key, value, key, value...
}
# Metaclasses whose instances are built by type.__call__ and looked up as plain classes.
_PLAIN_METACLASSES = (type, abc.ABCMeta)
# What a class must inherit from `object` untouched: no code of its own when built and set.
# `__del__` too: an __init__ that raises (a name missing from __slots__) drops the instance.
_BUILTIN_SLOTS = {
    "__new__": object.__dict__["__new__"],
    "__setattr__": object.__dict__["__setattr__"],
    "__del__": None,
}
_STACK_UNCHANGED = {"RESUME", "NOP", "CACHE", "RETURN_CONST"}


def cannot_block(call: Callable[..., Any]) -> bool:
    """Whether calling `call` only moves values: then it runs without the thread pool."""
    if inspect.isclass(call):
        return _plain_construction(call)
    if inspect.isfunction(call):
        return _attributes_stored(call.__code__, self_name=None) == set()
    return False  # a partial, a callable instance, a builtin: not looked into


def _plain_construction(cls: type) -> bool:
    """Whether building an instance runs no code but an `__init__` that only moves values.

    Looked up statically (as the interpreter does for these slots), so that no metaclass or
    `staticmethod` can show one thing here and run another.
    """
    if type(cls) not in _PLAIN_METACLASSES:
        return False
    for name, builtin in _BUILTIN_SLOTS.items():
        if inspect.getattr_static(cls, name, None) is not builtin:
            return False
    init = inspect.getattr_static(cls, "__init__")
    if init is object.__dict__["__init__"]:
        return True
    if type(init) is not types.FunctionType or init.__code__.co_argcount == 0:
        return False
    stored = _attributes_stored(init.__code__, self_name=init.__code__.co_varnames[0])
    return stored is not None and not any(_runs_code_when_set(cls, name) for name in stored)


def _runs_code_when_set(cls: type, name: str) -> bool:
    """Whether `instance.name = value` calls a descriptor (a property setter, say)."""
    attribute = inspect.getattr_static(cls, name, None)
    if isinstance(attribute, types.MemberDescriptorType):
        return False  # a __slots__ slot: stored in C
    return hasattr(type(attribute), "__set__") or hasattr(type(attribute), "__delete__")


def _attributes_stored(code: types.CodeType, self_name: str | None) -> set[str] | None:
    """The attributes the code stores on `self`, or None when it may do anything else."""
    stack: list[_Entry] = []
    stored: set[str] = set()
    for instruction in dis.get_instructions(code):
        if not _step(instruction, stack, self_name, stored):
            return None
    return stored


def _step(
    instruction: dis.Instruction, stack: list[_Entry], self_name: str | None, stored: set[str]
) -> bool:
    """Simulate one instruction; False when it may run user code (or is not known here)."""
    operation, argument = instruction.opname, instruction.argval
    if operation in _LOADS_ARGUMENT:
        stack.append(_Entry.SELF if argument == self_name else _Entry.VALUE)
    elif operation in _LOADS_TWO_ARGUMENTS:
        stack.extend(_Entry.SELF if name == self_name else _Entry.VALUE for name in argument)
    elif operation in _LOADS_CONSTANT:
        stack.append(_Entry.CONSTANT)
    elif operation in _BUILDS:
        return _build(stack, operation, instruction.arg or 0)
    elif operation == "STORE_ATTR":
        if len(stack) < 2 or stack.pop() is not _Entry.SELF:
            return False
        stack.pop()
        stored.add(argument)
    elif operation in ("RETURN_VALUE", "POP_TOP"):
        if not stack:
            return False
        stack.pop()
    elif operation not in _STACK_UNCHANGED:
        return False
    return True


def _build(stack: list[_Entry], operation: str, count: int) -> bool:
    """Replace a container's entries by the container; False when that may run user code."""
    taken = _BUILDS[operation](count)
    if taken > len(stack):
        return False
    entries = stack[len(stack) - taken :]
    if operation == "BUILD_MAP" and any(key is not _Entry.CONSTANT for key in entries[::2]):
        return False  # hashing a key that is not a constant may call its __hash__
    del stack[len(stack) - taken :]
    stack.append(_Entry.VALUE)
    return True
