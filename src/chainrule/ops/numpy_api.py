"""numpy's own functions on Tensors: ``np.exp(t)``, ``np.dot(W, t)``, ``np.linalg.norm(t)``
return differentiable Tensors (numpy's ``__array_ufunc__`` / ``__array_function__``
protocols). A numpy function with no rule raises a TypeError naming it and the nearest
``cr.`` function; it never silently drops the graph."""

from __future__ import annotations

import difflib
from typing import Any

import numpy as np


def _ufuncs() -> dict[Any, Any]:
    from . import functions as F
    return {
        np.add: F.add, np.subtract: F.subtract, np.multiply: F.multiply,
        np.true_divide: F.divide, np.power: F.power, np.negative: F.negative,
        np.positive: lambda x: x, np.exp: F.exp, np.log: F.log, np.sin: F.sin,
        np.cos: F.cos, np.tan: F.tan, np.sqrt: F.sqrt, np.tanh: F.tanh,
        np.absolute: F.abs, np.maximum: F.maximum, np.minimum: F.minimum,
        np.matmul: F.matmul, np.square: lambda x: F.power(x, 2),
        np.reciprocal: lambda x: F.divide(1.0, x),
    }


def _no_out(name: str, out: Any, dtype: Any = None) -> None:
    if out is not None:
        raise TypeError(f"np.{name}(..., out=...) writes in place, which is not "
                        "differentiable; drop out=")
    if dtype is not None:
        raise TypeError(f"np.{name}(..., dtype=...) is not supported on Tensors; "
                        "cast the data first")


def _functions() -> dict[Any, Any]:
    from . import functions as F

    def reduction(fn, name):
        def call(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
            _no_out(name, out, dtype)
            if kw:
                raise TypeError(f"np.{name}: options {sorted(kw)} are not supported on Tensors")
            return fn(a, axis, keepdims)
        return call

    return {
        np.sum: reduction(F.sum, "sum"), np.mean: reduction(F.mean, "mean"),
        np.max: reduction(F.max, "max"), np.amax: reduction(F.max, "amax"),
        np.min: reduction(F.min, "min"), np.amin: reduction(F.min, "amin"),
        np.dot: lambda a, b, out=None: (_no_out("dot", out), F.dot(a, b))[1],
        np.reshape: lambda a, shape=None, order="C", **kw: F.reshape(a, kw.get("newshape",
                                                                              shape)),
        np.transpose: lambda a, axes=None: F.transpose(a, axes),
        np.concatenate: lambda arrays, axis=0, out=None, **kw: F.concatenate(arrays, axis),
        np.stack: lambda arrays, axis=0, out=None, **kw: F.stack(arrays, axis),
        np.where: lambda c, x, y: F.where(c, x, y),
        np.linalg.norm: lambda x, ord=None, axis=None, keepdims=False: F.norm(
            x, ord, axis, keepdims),
        np.broadcast_to: lambda a, shape, subok=False: F.broadcast_to(a, shape),
        np.shape: lambda a: a.shape, np.ndim: lambda a: a.ndim, np.size: lambda a: a.size,
    }


_TABLES: dict[str, dict[Any, Any]] = {}


def _table(kind: str) -> dict[Any, Any]:
    if kind not in _TABLES:
        _TABLES[kind] = _ufuncs() if kind == "ufunc" else _functions()
    return _TABLES[kind]


# numpy functions whose nearest chainrule spelling is not close as a string
_ALTERNATIVES = {
    "cumsum": "sum", "sort": "max / cr.min (no sort rule)", "clip": "minimum and cr.maximum",
    "squeeze": "reshape", "expand_dims": "reshape", "ravel": "reshape",
    "exp2": "exp", "log10": "log", "log2": "log", "log1p": "log", "expm1": "exp",
    "amax": "max", "amin": "min", "average": "mean", "einsum": "matmul",
    "tensordot": "matmul", "outer": "matmul (with reshape)", "vstack": "concatenate",
    "hstack": "concatenate", "swapaxes": "transpose", "moveaxis": "transpose",
}


def _unsupported(name: str) -> TypeError:
    from . import functions as F
    alternative = _ALTERNATIVES.get(name)
    if alternative is None:
        names = [n for n in dir(F) if not n.startswith("_") and callable(getattr(F, n))]
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        alternative = close[0] if close else None
    hint = (f"; the nearest chainrule function is cr.{alternative}" if alternative else
            "; define one with cr.primitive")
    return TypeError(f"numpy function np.{name} has no chainrule derivative rule, so it "
                     f"cannot be applied to a Tensor{hint}")


# Questions about the values rather than functions of them: they have no derivative to
# drop, so they answer on the data and return plain arrays (as torch's argmax does).
_VALUE_UFUNCS = {np.isnan, np.isfinite, np.isinf, np.sign, np.greater, np.greater_equal,
                 np.less, np.less_equal, np.equal, np.not_equal, np.signbit}
_VALUE_FUNCTIONS = {np.argmax, np.argmin, np.argsort, np.nonzero, np.count_nonzero,
                    np.any, np.all, np.allclose, np.isclose, np.array_equal, np.argwhere}


def _raw(x: Any) -> Any:
    from ..core import Node
    if isinstance(x, Node):
        return x.value
    if isinstance(x, (list, tuple)):
        return type(x)(_raw(v) for v in x)
    return x


def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
    """numpy ufuncs on Tensors (``np.exp(t)``, ``W + t``) return Tensors."""
    if ufunc in _VALUE_UFUNCS and method == "__call__":
        return ufunc(*(_raw(x) for x in inputs), **kwargs)
    fn = _table("ufunc").get(ufunc)
    if method != "__call__" or fn is None:
        name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        raise _unsupported(name)
    if kwargs:
        _no_out(ufunc.__name__, kwargs.pop("out", None), kwargs.pop("dtype", None))
        if kwargs:
            raise TypeError(f"np.{ufunc.__name__}: options {sorted(kwargs)} are not "
                            "supported on Tensors")
    return fn(*inputs)


def __array_function__(self, func, types, args, kwargs):
    """numpy functions on Tensors (``np.dot``, ``np.sum``, ``np.linalg.norm``...)."""
    if func in _VALUE_FUNCTIONS:
        return func(*(_raw(a) for a in args), **kwargs)
    fn = _table("function").get(func)
    if fn is None:
        raise _unsupported(func.__name__)
    return fn(*args, **kwargs)
