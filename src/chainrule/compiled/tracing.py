"""Tracing: run a function once on Tensors and keep every op it records, in order.

While a trace runs in a thread, the Tensors it follows (its inputs and every op node
computed from them) answer the operations that would otherwise leave the graph silently:

- comparisons (``x > 0``, ``==``, ``~``, ``&``, ``|``) are recorded as ops without a
  gradient, so that a mask computed from the inputs is recomputed on every replay;
- ``.detach()`` is recorded as an op that stops the gradient;
- ``bool()``, ``float()``, ``int()``, ``.item()``, ``operator.index()`` and ``np.asarray``
  raise :class:`ConcretizationError`: their Python value would be frozen at trace time;
- ``.data``, ``cr.tensor(x)``, ``.backward()``, in-place writes into any Tensor and
  random draws from chainrule's stream (dropout, ``cr.rand``) raise :class:`TraceError`.

These answers are installed on the Tensor class only while some trace is running and
check the thread's trace first, so code in other threads (and outside traces) runs as it
always does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

from .. import seeding
from ..core.recording import enter_transform, exit_transform, on_create
from ..primitive import Primitive
from ..tensor import Tensor


class TraceError(TypeError):
    """A function cannot be traced by ``cr.compile``: what it does would happen once, when
    it is traced, and not on each call (an in-place write, a random draw, ``.data``)."""


class ConcretizationError(TraceError):
    """A traced value was needed as a Python value (``if x > 0``, ``float(x)``,
    ``.item()``, an index of a list) while ``cr.compile`` traced the function: the branch
    taken would be frozen into every later call."""


_ADVICE = ("use cr.where(cond, a, b) to choose by value, or mark the argument static "
           "(cr.compile(f, static_argnums=...)) so that each of its values gets its own "
           "trace; or call f without cr.compile")


def _no_gradient(name: str, fn: Callable[..., Any], n: int) -> Primitive:
    """An op with no gradient that the trace records so the replay recomputes it."""
    inputs = ("x", "y")[:n]
    return Primitive(name, array_fn=fn, vjps=[None] * n, inputs=inputs)


STOP_GRADIENT = _no_gradient("detach", lambda x: x, 1)
_COMPARISONS = {
    "__lt__": _no_gradient("less", np.less, 2),
    "__le__": _no_gradient("less_equal", np.less_equal, 2),
    "__gt__": _no_gradient("greater", np.greater, 2),
    "__ge__": _no_gradient("greater_equal", np.greater_equal, 2),
    "__eq__": _no_gradient("equal", np.equal, 2),
    "__ne__": _no_gradient("not_equal", np.not_equal, 2),
    "__and__": _no_gradient("logical_and", np.bitwise_and, 2),
    "__or__": _no_gradient("logical_or", np.bitwise_or, 2),
}
_INVERT = _no_gradient("invert", np.invert, 1)
NO_GRADIENT = frozenset([STOP_GRADIENT, _INVERT, *_COMPARISONS.values()])
"""The ops a trace records that carry no gradient (eager mode computes them off the graph)."""


class Trace:
    """What one trace saw: its input leaves and the op nodes recorded, in order."""

    def __init__(self) -> None:
        self.nodes: list[Tensor] = []
        self.leaves: list[Tensor] = []
        self.ids: set[int] = set()

    def add(self, node: Tensor) -> None:
        self.nodes.append(node)
        self.ids.add(id(node))

    def follows(self, x: Any) -> bool:
        """Whether ``x`` is one of this trace's Tensors (an input or a node computed from
        one)."""
        return id(x) in self.ids and isinstance(x, Tensor)

    def leaf(self, value: np.ndarray) -> Tensor:
        """A new input of the trace holding ``value``."""
        t = Tensor._node(value, (), None, True)
        self.ids.add(id(t))
        self.leaves.append(t)
        return t


_CURRENT: ContextVar[Trace | None] = ContextVar("chainrule_trace", default=None)
_LOCK = threading.Lock()
_ACTIVE = [0]
_SAVED: dict[str, Any] = {}
_MISSING = object()


def _shape(x: Any) -> str:
    return f"a traced Tensor of shape {x.shape}"


def _compare(name: str, prim: Primitive) -> Callable[..., Any]:
    def method(self: Tensor, other: Any) -> Any:
        trace = _CURRENT.get()
        if trace is not None and other is not None and (
                trace.follows(self) or trace.follows(other)):
            return Tensor._apply(prim, (self, other))
        return _SAVED[name](self, other)
    method.__name__ = name
    return method


def _invert(self: Tensor) -> Any:
    trace = _CURRENT.get()
    if trace is not None and trace.follows(self):
        return Tensor._apply(_INVERT, (self,))
    return _SAVED["__invert__"](self)


def _detach(self: Tensor) -> Tensor:
    trace = _CURRENT.get()
    if trace is not None and trace.follows(self):
        return Tensor._apply(STOP_GRADIENT, (self,))
    return _SAVED["detach"](self)


def _concrete(name: str, what: str) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        trace = _CURRENT.get()
        if trace is not None and trace.follows(self):
            raise ConcretizationError(
                f"{what} of {_shape(self)} inside cr.compile: the function is traced once "
                "and replayed, so a Python value (a branch, a number, an index) computed "
                f"from its inputs would be frozen at its first value; {_ADVICE}")
        original = _SAVED[name]
        if original is _MISSING:
            raise TypeError(f"'{type(self).__name__}' object cannot be interpreted as an "
                            "integer")
        return original(self, *args, **kwargs)
    method.__name__ = name
    return method


def _data_get(self: Tensor) -> np.ndarray:
    trace = _CURRENT.get()
    if trace is not None and trace.follows(self):
        raise TraceError(
            f".data of {_shape(self)} inside cr.compile: the array read would be frozen "
            "into every replay; use the Tensor itself, or .detach() to stop its gradient")
    return _SAVED["data"].fget(self)


def _mark_written(self: Tensor) -> None:
    if _CURRENT.get() is not None:
        raise TraceError(
            f"an in-place write into a Tensor of shape {self.shape} inside cr.compile (an "
            "in-place operator, an item assignment, .data =, an optimizer step, a BatchNorm's "
            "running statistics in training mode, which .eval() turns off): a side "
            "effect runs once, when the function is traced, not on each call; build new "
            "Tensors and return them, and keep state updates outside the compiled function")
    _SAVED["_mark_written"](self)


def _init(self: Tensor, data: Any, *args: Any, **kwargs: Any) -> None:
    trace = _CURRENT.get()
    if trace is not None and trace.follows(data):
        raise TraceError(
            f"cr.tensor(...) of {_shape(data)} inside cr.compile: the new Tensor would "
            "hold the values of the first call in every replay; use the Tensor itself, or "
            ".detach() to stop its gradient")
    _SAVED["__init__"](self, data, *args, **kwargs)


def _backward(self: Tensor, *args: Any, **kwargs: Any) -> None:
    if _CURRENT.get() is not None:
        raise TraceError(
            f"backward() of a Tensor of shape {self.shape} inside cr.compile: its "
            "gradients would be "
            "added to .grad once, when the function is traced; compile the gradient "
            "instead: cr.compile(cr.value_and_grad(loss)) returns the loss and the "
            "gradients on every call")
    _SAVED["backward"](self, *args, **kwargs)


class _GuardedStream:
    """chainrule's random stream while a trace runs: refused in the tracing thread."""

    def __init__(self, real: np.random.Generator) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        if _CURRENT.get() is not None:
            raise TraceError(
                "a random draw (dropout, cr.rand, cr.randn...) inside cr.compile: the "
                "numbers would be drawn once, when the function is traced, and every call "
                "would reuse them; draw the mask outside and pass it as an argument, or "
                "call the function without cr.compile")
        return getattr(self.real, name)


def _methods() -> dict[str, Any]:
    methods: dict[str, Any] = {name: _compare(name, prim) for name, prim in _COMPARISONS.items()}
    methods.update({
        "__invert__": _invert, "detach": _detach,
        "__bool__": _concrete("__bool__", "bool() (an `if`, `while`, `and`/`or` or `not`)"),
        "__float__": _concrete("__float__", "float()"),
        "__int__": _concrete("__int__", "int()"),
        "__index__": _concrete("__index__", "using it as an integer (a list index, "
                                            "range())"),
        "item": _concrete("item", ".item()"),
        "tolist": _concrete("tolist", ".tolist()"),
        "__array__": _concrete("__array__", "converting it to an ndarray (np.asarray, a "
                                            "numpy function without a chainrule rule)"),
        "data": property(_data_get, Tensor.__dict__["data"].fset),
        "_mark_written": _mark_written, "__init__": _init, "backward": _backward,
    })
    return methods


_METHODS = _methods()


def _install() -> None:
    with _LOCK:
        if not _ACTIVE[0]:
            for name, method in _METHODS.items():
                _SAVED[name] = Tensor.__dict__.get(name, _MISSING)
                setattr(Tensor, name, method)
            _SAVED["stream"] = seeding._STREAM["generator"]
            seeding._STREAM["generator"] = _GuardedStream(_SAVED["stream"])  # type: ignore[assignment]
        _ACTIVE[0] += 1


def _uninstall() -> None:
    with _LOCK:
        _ACTIVE[0] -= 1
        if not _ACTIVE[0]:
            for name in _METHODS:
                if _SAVED[name] is _MISSING:
                    delattr(Tensor, name)
                else:
                    setattr(Tensor, name, _SAVED[name])
            stream = seeding._STREAM["generator"]
            if isinstance(stream, _GuardedStream):
                seeding._STREAM["generator"] = stream.real
            _SAVED.clear()


@contextmanager
def tracing(trace: Trace) -> Iterator[None]:
    """Context manager: record every op of this thread into ``trace`` (one transform
    level deeper, so that a ``cr.grad`` inside is recorded too)."""
    _install()
    token = _CURRENT.set(trace)
    tokens = enter_transform()
    try:
        with on_create(trace.add):
            yield
    finally:
        exit_transform(tokens)
        _CURRENT.reset(token)
        _uninstall()
