"""Activations with PyTorch's names: the functions (``gelu``, ``leaky_relu``, ``softmax``
with ``dim``...) and their modules (``GELU``, ``LeakyReLU``, ``Softmax``, ``LogSoftmax``,
``Identity``, ``Flatten``). ``erf`` is a rule of its own (derivative 2/sqrt(pi)
exp(-x**2)), so GELU is differentiable to any order."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core import Node
from ..ops import functions as F
from ..primitive import Primitive, apply
from ..tensor import Tensor
from .module import Module

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _erf_forward(x: np.ndarray) -> np.ndarray:
    return _erf(x).astype(np.result_type(x, np.float32), copy=False)


ERF = Primitive(
    "erf", array_fn=_erf_forward, float_fn=math.erf,
    vjps=[lambda M, g, ans, x: g * (2.0 / math.sqrt(math.pi)) * M.exp(-(x * x))],
    expr="erf(x)", derivs=["2/sqrt(pi) * exp(-x**2)"],
    vjp_text=["g * 2/sqrt(pi) * exp(-x**2)"])


def erf(x: Any) -> Any:
    """The error function, elementwise; any shape."""
    return apply(ERF, x)


def gelu(x: Any, approximate: str = "none") -> Any:
    """x * Phi(x) (Phi: the standard normal CDF), or its tanh approximation with
    ``approximate='tanh'``, as PyTorch's."""
    if approximate == "tanh":
        c = math.sqrt(2.0 / math.pi)
        return 0.5 * x * (1.0 + F.tanh(c * (x + 0.044715 * x * x * x)))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    """x where x > 0, negative_slope * x elsewhere."""
    xv = x.value if isinstance(x, Node) else np.asarray(x)
    return F.where(xv > 0, x, x * negative_slope)


def softmax(x: Any, dim: int = -1) -> Any:
    """``cr.softmax`` along ``dim`` (PyTorch's spelling)."""
    return F.softmax(x, dim)


def log_softmax(x: Any, dim: int = -1) -> Any:
    """``cr.log_softmax`` along ``dim`` (PyTorch's spelling)."""
    return F.log_softmax(x, dim)


class GELU(Module):
    """``gelu`` elementwise (``approximate``: 'none' or 'tanh'); any shape."""

    def __init__(self, approximate: str = "none") -> None:
        self.approximate = approximate

    def forward(self, x: Any) -> Any:
        return gelu(x, self.approximate)


class LeakyReLU(Module):
    """``leaky_relu`` elementwise with ``negative_slope`` (0.01); any shape."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Any:
        return leaky_relu(x, self.negative_slope)


class Softmax(Module):
    """Softmax along ``dim``; same shape as the input."""

    def __init__(self, dim: int = -1) -> None:
        self.dim = dim

    def forward(self, x: Any) -> Any:
        return F.softmax(x, self.dim)


class LogSoftmax(Module):
    """Log-softmax along ``dim``; same shape as the input."""

    def __init__(self, dim: int = -1) -> None:
        self.dim = dim

    def forward(self, x: Any) -> Any:
        return F.log_softmax(x, self.dim)


class Identity(Module):
    """Returns its input unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Merge dims ``start_dim`` (1) .. ``end_dim`` (-1): (N, C, H, W) -> (N, C*H*W)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Any) -> Any:
        t = x if isinstance(x, Tensor) else Tensor(x)
        return t.flatten(self.start_dim, self.end_dim)
