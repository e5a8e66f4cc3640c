"""The math namespaces that derivative rules are written against.

A rule calls ``M.cos(x)``, ``M.sum(g, axis, True)``, ``M.reshape(g, shape)``... and works
unchanged on three kinds of values:

- ``FLOAT``: Python floats (the Scalar engine), through :mod:`math`;
- ``ARRAY``: ndarrays (the Tensor engine, first-order), through numpy;
- ``TENSOR`` (built in :mod:`chainrule.tensor`): Tensors, so that the gradient is recorded
  and can be differentiated again (``create_graph``, ``hessian``).

Each namespace provides the same names with numpy's signatures. ``value(x)`` strips a node
to its raw value, for masks and other constants that carry no gradient.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np


def _float_sign(x: float) -> float:
    return (x > 0) - (x < 0)


FLOAT = SimpleNamespace(
    sin=math.sin, cos=math.cos, tan=math.tan, exp=math.exp, log=math.log, sqrt=math.sqrt,
    tanh=math.tanh, sinh=math.sinh, cosh=math.cosh, sign=_float_sign, value=lambda x: x,
    where=lambda c, a, b: a if c else b,
)


_add_reduce = np.add.reduce


def sum_to_shape(c: np.ndarray, shape: tuple[int, ...], nb: int) -> np.ndarray:
    """Sum ``c`` down to ``c.shape[:nb] + shape``: undo numpy broadcasting, keeping ``nb``
    leading batch axes. The one place where broadcasting is undone."""
    cs = c.shape
    if cs[nb:] == shape:
        return c
    lead = len(cs) - len(shape)         # the batch axes and the axes broadcasting added
    axes = tuple(range(nb, lead))
    stretched = False
    i = lead
    for s in shape:                     # a loop, not a generator: this runs per edge
        if s == 1 and cs[i] != 1:
            axes += (i,)
            stretched = True
        i += 1
    if not stretched:                   # only leading axes to sum: a fresh array, no reshape
        return _add_reduce(c, axis=axes)
    return _add_reduce(c, axis=axes, keepdims=True).reshape(cs[:nb] + shape)


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with 1 at each (negative) axis in ``axes``: a reduction with keepdims."""
    out = list(shape)
    for a in axes:                      # a loop, not a generator: this runs per edge
        out[a] = 1
    return tuple(out)


def index_add(g: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices add up): the
    adjoint of ``x[index]``."""
    out = np.zeros(shape, dtype=g.dtype if hasattr(g, "dtype") else float)
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def _is_basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice, type(None), type(Ellipsis))) or
               (isinstance(i, np.integer)) for i in items)


def _swapaxes(x: Any) -> Any:
    return x.swapaxes(-1, -2)


def _expand_dims(x: Any, axis: int) -> Any:
    if axis == -1:
        return x[..., None]
    if axis == -2:
        return x[..., None, :]
    shape = np.shape(x)
    axis = axis % (len(shape) + 1)
    return np.reshape(x, shape[:axis] + (1,) + shape[axis:])


def _reshape(x: Any, shape: Any) -> Any:
    # the method where there is one: np.reshape adds two Python layers per call
    return x.reshape(shape) if type(x) is np.ndarray else np.reshape(x, shape)


def _broadcast_to(x: Any, shape: tuple[int, ...]) -> np.ndarray:
    # a writable, contiguous result: cheaper than np.broadcast_to's view for small arrays
    # and safe to hand to a leaf's .grad
    out = np.empty(shape, dtype=getattr(x, "dtype", np.float64))
    out[...] = x
    return out


ARRAY = SimpleNamespace(
    sin=np.sin, cos=np.cos, tan=np.tan, exp=np.exp, log=np.log, sqrt=np.sqrt, tanh=np.tanh,
    sinh=np.sinh, cosh=np.cosh,
    sign=np.sign, value=lambda x: x, where=np.where, abs=np.abs,
    sum=lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims),
    reshape=_reshape, broadcast_to=_broadcast_to, matmul=np.matmul,
    swapaxes=_swapaxes, expand_dims=_expand_dims, transpose=np.transpose,
    sum_to=sum_to_shape, index_add=index_add, getitem=lambda x, i: x[i],
    stack=np.stack,
)
