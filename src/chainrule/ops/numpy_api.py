"""numpy's own functions on Tensors: ``np.exp(t)``, ``np.dot(W, t)``, ``np.linalg.norm(t)``
return differentiable Tensors (numpy's ``__array_ufunc__`` / ``__array_function__``
protocols). The tables are generated from the rule table's ``numpy`` fields. A numpy
function with no rule raises a TypeError naming it by its real path (``np.linalg.inv``)
and, where one is known, the chainrule function to use instead; it never silently drops
the graph."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from ..core import Node
from ..primitive import Primitive, on_register
from ..tensor import Tensor, _defers
from . import functions as F
from .functions import refuse_out

_UFUNCS: dict[Any, Any] = {}
_FUNCTIONS: dict[Any, Any] = {}


def _reduction_call(fn: Any, name: str) -> Any:
    def call(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
        refuse_out(name, out, dtype)
        if kw:
            raise TypeError(f"np.{name}: options {sorted(kw)} are not supported on Tensors")
        return fn(a, axis, keepdims)
    return call


def _calls(entry: Any, fn: Any) -> list[tuple[Any, Any]]:
    """``(numpy function, how to call it on Tensors)`` for each numpy item of ``entry``."""
    calls = []
    for item in entry.numpy:
        if isinstance(item, tuple):
            np_fn, adapt = item
            calls.append((np_fn, partial(adapt, fn)))
        elif isinstance(item, np.ufunc):
            calls.append((item, fn))
        elif getattr(entry, "kind", None) == "reduction":
            calls.append((item, _reduction_call(fn, item.__name__)))
        elif getattr(fn, "numpy_call", None) is not None:
            calls.append((item, partial(fn.numpy_call, fn)))
        else:
            calls.append((item, fn))
    return calls


def _install(entry: Any, fn: Any, added: bool) -> None:
    calls = _calls(entry, fn)
    taken = [numpy_path(f) for f, _ in calls if added and f in {**_UFUNCS, **_FUNCTIONS}]
    if taken:
        raise ValueError(f"{entry.function or entry.name}: {', '.join(taken)} already answered "
                         "by another op")
    for np_fn, call in calls:
        table = _UFUNCS if isinstance(np_fn, np.ufunc) else _FUNCTIONS
        if added:
            table[np_fn] = call
        else:
            del table[np_fn]


def _expose(prim: Primitive, added: bool) -> None:
    fn = F.FUNCTIONS[prim.function] if prim.function else prim
    _install(prim, fn, added)


for _entry in F.COMPOSITES.values():
    _install(_entry, _entry.fn, True)
on_register(_expose)


def numpy_path(fn: Any) -> str:
    """numpy's public spelling of ``fn``: ``np.exp``, ``np.linalg.inv``, ``np.fft.fft``."""
    module = getattr(fn, "__module__", None) or "numpy"
    parts = [p for p in module.split(".")[1:] if not p.startswith("_")]
    return ".".join(["np", *parts, fn.__name__])


# numpy functions whose chainrule spelling differs: a curated list, never a string guess
_ALTERNATIVES = {"np.linalg.lstsq": "np.linalg.pinv (x = pinv(a) @ b, for a full-rank a)"}


def _unsupported(path: str) -> TypeError:
    alternative = _ALTERNATIVES.get(path)
    hint = (f"; the nearest chainrule function is {alternative}" if alternative else
            "; define one with cr.primitive")
    return TypeError(f"numpy function {path} has no chainrule derivative rule, so it "
                     f"cannot be applied to a Tensor{hint}")


# Questions about the values rather than functions of them: they have no derivative to
# drop, so they answer on the data and return plain arrays (as torch's argmax does).
_VALUE_UFUNCS = {np.isnan, np.isfinite, np.isinf, np.sign, np.greater, np.greater_equal,
                 np.less, np.less_equal, np.equal, np.not_equal, np.signbit, np.logical_and,
                 np.logical_or, np.logical_xor, np.logical_not}
_VALUE_FUNCTIONS = {np.argmax, np.argmin, np.argsort, np.nonzero, np.count_nonzero,
                    np.any, np.all, np.allclose, np.isclose, np.array_equal, np.argwhere,
                    np.shape, np.ndim, np.size, np.zeros_like, np.ones_like,
                    np.empty_like, np.full_like, np.argpartition, np.isnan, np.isfinite,
                    np.isposinf, np.isneginf, np.iscomplexobj, np.isrealobj,
                    np.flatnonzero, np.searchsorted, np.iscomplex, np.isreal}


def _raw(x: Any) -> Any:
    if isinstance(x, Node):
        return x.value
    if isinstance(x, (list, tuple)):
        return type(x)(_raw(v) for v in x)
    return x


def _only_data(values: Any) -> bool:
    """Whether every Tensor among ``values`` (nested in lists, tuples and dicts) holds
    integers or booleans (labels, masks, counts): no derivative exists to drop."""
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, Node):
            if np.asarray(v.value).dtype.kind not in "biu":
                return False
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return True


def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
    """numpy ufuncs on Tensors (``np.exp(t)``, ``W + t``) return Tensors."""
    if any(not isinstance(x, Node) and _defers(type(x)) for x in inputs):
        return NotImplemented           # the other operand's __array_ufunc__ decides
    if method == "__call__" and (ufunc in _VALUE_UFUNCS or (
            ufunc not in _UFUNCS and _only_data(inputs))):
        return ufunc(*(_raw(x) for x in inputs), **kwargs)
    fn = _UFUNCS.get(ufunc)
    if method != "__call__" or fn is None:
        path = numpy_path(ufunc)
        raise _unsupported(path if method == "__call__" else f"{path}.{method}")
    if kwargs:
        refuse_out(ufunc.__name__, kwargs.pop("out", None), kwargs.pop("dtype", None))
        if kwargs:
            raise TypeError(f"np.{ufunc.__name__}: options {sorted(kwargs)} are not "
                            "supported on Tensors")
    return fn(*inputs)


def __array_function__(self, func, types, args, kwargs):
    """numpy functions on Tensors (``np.dot``, ``np.sum``, ``np.linalg.norm``...)."""
    if any(not issubclass(t, (Tensor, np.ndarray)) for t in types):
        return NotImplemented           # another array type takes part: let it decide
    if func in _VALUE_FUNCTIONS:
        return func(*(_raw(a) for a in args), **kwargs)
    fn = _FUNCTIONS.get(func)
    if fn is None:
        if _only_data((args, kwargs)):  # np.unique(labels), np.bincount(y): no derivative
            return func(*(_raw(a) for a in args),
                        **{k: _raw(v) for k, v in kwargs.items()})
        raise _unsupported(numpy_path(func))
    return fn(*args, **kwargs)


def answer(entry: Any, fn: Any) -> None:
    """Make the numpy functions and ufuncs in ``entry.numpy`` call ``fn`` on Tensors, for
    an op kept out of the rule table (``chainrule.scipy``'s, loaded on demand). Raises
    ValueError if one is already answered."""
    _install(entry, fn, True)
