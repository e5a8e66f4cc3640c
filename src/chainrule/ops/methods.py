"""Tensor methods and numpy's protocols, attached to :class:`~chainrule.tensor.Tensor`
from this layer so that the engine does not import the functions built on it."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functions as F
from .numpy_api import __array_function__, __array_ufunc__


def _method(fn: Any) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def install() -> None:
    """Give Tensor its methods (``t.sum()``, ``t.exp()``, ``abs(t)``, ``np.exp(t)``)."""
    for name in ("sum", "mean", "max", "min", "reshape", "transpose"):
        setattr(Tensor, name, _method(getattr(F, name)))
    for name, fn in F.METHODS.items():
        setattr(Tensor, name, _method(fn))
    Tensor.__abs__ = _method(F.abs)
    Tensor.__array_ufunc__ = __array_ufunc__
    Tensor.__array_function__ = __array_function__
