"""Tensor methods and numpy's protocols, attached to :class:`~chainrule.tensor.Tensor`
from this layer so that the engine does not import the functions built on it. The methods
are the rule table's ``methods`` (and the composites'), kept in sync with the registry;
PyTorch's names and meanings (:mod:`chainrule.ops.torch_methods`) go on top of them.
A Scalar gets the methods of every entry defined on one number (``x.relu()``,
``x.tanh()``, ``abs(x)``, as micrograd's ``Value`` has them)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Node
from ..primitive import Primitive, on_register
from ..scalar import Scalar
from ..tensor import Tensor
from . import functions as F
from . import torch_methods as T
from .grad_array import GradArray
from .numpy_api import __array_function__, __array_ufunc__


def _method(fn: Any, name: str) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = fn.__doc__
    return method


def _classes(prim: Primitive) -> tuple[type, ...]:
    """The engines whose values get ``prim``'s methods: Tensor, and Scalar too when the
    op is defined on one number (its entry has a forward on Python floats)."""
    return (Tensor, Scalar) if prim.float_fn is not None else (Tensor,)


def _expose(prim: Primitive, added: bool) -> None:
    if prim.function is None:
        return
    classes = _classes(prim)
    if added:
        for cls in classes:
            taken = [name for name in prim.methods if hasattr(cls, name)]
            if taken:
                raise ValueError(f"primitive {prim.name!r}: {cls.__name__} already has "
                                 f"{taken}")
    for name in prim.methods:
        for cls in classes:
            if added:
                setattr(cls, name, _method(F.FUNCTIONS[prim.function], name))
            else:
                delattr(cls, name)


def _with_dim(fn: Any, name: str) -> Any:
    def method(self: Tensor, dim: Any = None, *, axis: Any = None, **kwargs: Any) -> Any:
        a = T._axis(name, dim, axis)
        return fn(self) if a is None else fn(self, a, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = fn.__doc__
    return method


class ElementCount(int):
    """``t.size``: the number of elements (numpy's attribute) that is also PyTorch's
    method: ``t.size()`` is the shape, ``t.size(d)`` one axis's length."""

    shape: tuple[int, ...]

    def __new__(cls, shape: tuple[int, ...]) -> ElementCount:
        n = 1
        for s in shape:
            n *= s
        self = super().__new__(cls, n)
        self.shape = shape
        return self

    def __call__(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]


_GRAD_SLOT: Any = Node.__dict__["grad"]
_slot_get, _slot_set = _GRAD_SLOT.__get__, _GRAD_SLOT.__set__
_ndarray = np.ndarray


def _get_grad(self: Tensor) -> Any:
    g = _slot_get(self)     # as_grad, inlined: every read of t.grad pays it
    return g.view(GradArray) if type(g) is _ndarray else g


def _set_grad(self: Tensor, g: Any) -> None:
    _slot_set(self, g.view(_ndarray) if type(g) is GradArray else g)    # plain, inlined


def install() -> None:
    """Give Tensor its methods (``t.sum()``, ``t.exp()``, ``abs(t)``, ``np.exp(t)``), then
    PyTorch's (``t.view``, ``t.max(dim)``, ``t.size()``, ``t.zero_()``...)."""
    for entry in F.COMPOSITES.values():
        for name in entry.methods:
            setattr(Tensor, name, _method(entry.fn, name))
    on_register(_expose)
    Tensor.__array_ufunc__ = __array_ufunc__  # type: ignore[attr-defined]
    Tensor.__array_function__ = __array_function__  # type: ignore[attr-defined]
    Scalar.__array_ufunc__ = __array_ufunc__  # type: ignore[attr-defined]  # np.sin(Scalar)
    for name in T.REDUCTIONS:
        setattr(Tensor, name, T._reduce_with(F.FUNCTIONS[name], name))
    for name in T.AXIS_METHODS:
        setattr(Tensor, name, _with_dim(F.FUNCTIONS[name], name))
    for name, fn in T.METHODS.items():
        setattr(Tensor, name, _method(fn, name))
    attributes = {
        "copy": _method(T.clone, "copy"),          # numpy's spelling of clone
        "size": property(lambda self: ElementCount(self.value.shape),
                         doc=ElementCount.__doc__),
        "grad": property(_get_grad, _set_grad, doc=(
            "The gradient: None, or an ndarray of this Tensor's shape that also has "
            "PyTorch's zero_(), clone(), norm() (see chainrule.ops.grad_array).")),
        "__getattr__": T.missing_attribute,
    }
    for name, value in attributes.items():
        setattr(Tensor, name, value)
