"""Tensor methods and numpy's protocols, attached to :class:`~chainrule.tensor.Tensor`
from this layer so that the engine does not import the functions built on it. The methods
are the rule table's ``methods`` (and the composites'), kept in sync with the registry."""

from __future__ import annotations

from typing import Any

from ..primitive import Primitive, on_register
from ..scalar import Scalar
from ..tensor import Tensor
from . import functions as F
from .numpy_api import __array_function__, __array_ufunc__


def _method(fn: Any, name: str) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = fn.__doc__
    return method


def _expose(prim: Primitive, added: bool) -> None:
    if prim.function is None:
        return
    if added:
        taken = [name for name in prim.methods if hasattr(Tensor, name)]
        if taken:
            raise ValueError(f"primitive {prim.name!r}: Tensor already has {taken}")
    for name in prim.methods:
        if added:
            setattr(Tensor, name, _method(F.FUNCTIONS[prim.function], name))
        else:
            delattr(Tensor, name)


def install() -> None:
    """Give Tensor its methods (``t.sum()``, ``t.exp()``, ``abs(t)``, ``np.exp(t)``)."""
    for entry in F.COMPOSITES.values():
        for name in entry.methods:
            setattr(Tensor, name, _method(entry.fn, name))
    on_register(_expose)
    Tensor.__array_ufunc__ = __array_ufunc__  # type: ignore[attr-defined]
    Tensor.__array_function__ = __array_function__  # type: ignore[attr-defined]
    Scalar.__array_ufunc__ = __array_ufunc__  # type: ignore[attr-defined]  # np.sin(Scalar)
