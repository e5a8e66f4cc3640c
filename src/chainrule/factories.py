"""Constructors with PyTorch's names: ``cr.zeros``, ``cr.ones``, ``cr.full``, the
``*_like`` forms, ``cr.rand``, ``cr.randn``, ``cr.randint``, ``cr.arange``, ``cr.linspace``,
``cr.eye``, ``cr.cat``; and the dtypes ``cr.float32``, ``cr.float64``, ``cr.int64``.

Each takes ``dtype=`` and ``requires_grad=``. The default dtype is float64 (chainrule's,
where PyTorch's is float32); ``arange`` and ``randint`` of integers give int64, as in
PyTorch. A Tensor that requires grad is always floating point. Random draws come from the
stream ``cr.manual_seed`` restarts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .ops import functions as F
from .ops.torch_methods import as_dtype
from .seeding import default_generator
from .tensor import Tensor

float32 = np.float32
float64 = np.float64
float16 = np.float16
int32 = np.int32
int64 = np.int64
bool_ = np.bool_
long = np.int64
double = np.float64


def _shape(size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise TypeError(f"size must be non-negative ints, got {size!r}")
    return tuple(int(s) for s in size)


def _make(arr: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    if dtype is not None:
        arr = arr.astype(as_dtype(dtype), copy=False)
    if requires_grad and arr.dtype.kind not in "fc":
        raise TypeError(f"requires_grad=True needs a floating dtype, got {arr.dtype} "
                        "(only floating point Tensors can require gradients)")
    return Tensor(arr, requires_grad=requires_grad)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of zeros: ``cr.zeros(2, 3)`` or ``cr.zeros((2, 3))``; float64 by default."""
    return _make(np.zeros(_shape(size)), dtype, requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of ones of ``size``; float64 by default."""
    return _make(np.ones(_shape(size)), dtype, requires_grad)


def full(size: Sequence[int], fill_value: Any, *, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A Tensor of ``size`` filled with ``fill_value`` (its dtype when none is given)."""
    return _make(np.full(_shape((size,)), fill_value), dtype, requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Like ``zeros`` (chainrule never hands out uninitialised memory)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def _like(t: Any) -> tuple[tuple[int, ...], np.dtype]:
    arr = t.value if isinstance(t, Tensor) else np.asarray(t)
    return arr.shape, arr.dtype


def zeros_like(t: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``t``'s shape and dtype (or ``dtype``)."""
    shape, dt = _like(t)
    return _make(np.zeros(shape, dt), dtype, requires_grad)


def ones_like(t: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of ``t``'s shape and dtype (or ``dtype``)."""
    shape, dt = _like(t)
    return _make(np.ones(shape, dt), dtype, requires_grad)


def full_like(t: Any, fill_value: Any, *, dtype: Any = None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` in ``t``'s shape and dtype (or ``dtype``)."""
    shape, dt = _like(t)
    return _make(np.full(shape, fill_value, dt), dtype, requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform draws in [0, 1) of ``size``, from the ``cr.manual_seed`` stream."""
    return _make(default_generator().random(_shape(size)), dtype, requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal draws of ``size``, from the ``cr.manual_seed`` stream."""
    return _make(default_generator().standard_normal(_shape(size)), dtype, requires_grad)


def randint(low: int, high: int | None = None, size: Sequence[int] = (), *,
            dtype: Any = None) -> Tensor:
    """Integers in [low, high) (or [0, low) when ``high`` is omitted) of ``size``, int64."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    draws = default_generator().integers(low, high, _shape((tuple(size),)), dtype=np.int64)
    return _make(draws, dtype, False)


def randperm(n: int, *, dtype: Any = None) -> Tensor:
    """A random permutation of 0 .. n-1 (int64)."""
    return _make(default_generator().permutation(int(n)).astype(np.int64), dtype, False)


def arange(start: float, end: float | None = None, step: float = 1, *, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` below ``end`` (``arange(n)``: 0 .. n-1); int64 when all
    arguments are ints, float64 otherwise."""
    if end is None:
        start, end = 0, start
    ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    arr = np.arange(start, end, step, dtype=np.int64 if ints else np.float64)
    return _make(arr, dtype, requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    return _make(np.linspace(start, end, int(steps)), dtype, requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The (n, m) identity matrix (m = n by default)."""
    return _make(np.eye(int(n), None if m is None else int(m)), dtype, requires_grad)


def cat(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join Tensors along an existing ``dim`` (PyTorch's name for ``cr.concatenate``);
    differentiable."""
    if axis is not None:
        dim = axis
    return F.concatenate(list(tensors), dim)


__all__ = ["arange", "bool_", "cat", "double", "empty", "eye", "float16", "float32",
           "float64", "full", "full_like", "int32", "int64", "linspace", "long", "ones",
           "ones_like", "rand", "randint", "randn", "randperm", "zeros", "zeros_like"]
