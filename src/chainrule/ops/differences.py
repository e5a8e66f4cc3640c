"""numpy's finite differences on Tensors: ``diff`` (differences of neighbours, ``n`` times,
with ``prepend``/``append``) and ``gradient`` (central differences inside, one-sided at
the edges, of first or second order). Both are sums of slices, so their derivatives are
exact and of any order."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Node
from .functions import FUNCTIONS, Array, _ndim, _raw, _shape_of, composite, normalize_axes


def _along(x: Array, axis: int, part: slice | int) -> Array:
    """``x[..., part, ...]`` with ``part`` on axis ``axis`` (negative)."""
    return x[(Ellipsis, part) + (slice(None),) * (-axis - 1)]


def _as_end(v: Any, shape: tuple[int, ...], axis: int) -> Any:
    """``prepend``/``append`` as numpy takes them: a number is broadcast to one slice of
    ``shape`` along ``axis``; an array keeps its own length there."""
    if _ndim(v) == 0:
        end = list(shape)
        end[axis] = 1
        return FUNCTIONS["broadcast_to"](v, tuple(end)) if isinstance(v, Node) else \
            np.broadcast_to(v, tuple(end))
    return v


@composite(numpy=(np.diff,), doc="np.diff: differences of neighbours along an axis")
def diff(a: Array, n: int = 1, axis: int = -1, prepend: Any = np._NoValue,
         append: Any = np._NoValue) -> Array:
    """``a[..., 1:] - a[..., :-1]`` along ``axis``, ``n`` times: the axis shrinks by ``n``
    (to 0 at most). ``prepend``/``append`` (numbers or arrays, differentiable too) are
    joined to ``a`` first. Raises ValueError for a negative ``n`` or a 0-d ``a``."""
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    if n == 0:  # numpy returns the input as it is, prepend and append ignored
        return a
    if _ndim(a) == 0:
        raise ValueError("diff: requires input that is at least one dimensional")
    ax = normalize_axes("diff", _ndim(a), axis)[0]
    parts = [v for v in (prepend, a, append) if v is not np._NoValue]
    if len(parts) > 1:
        shape = _shape_of(a)
        a = FUNCTIONS["concatenate"]([_as_end(v, shape, ax) if v is not a else v
                                      for v in parts], ax)
    boolean = np.asarray(_raw(a)).dtype == bool       # numpy: != for booleans
    for _ in range(min(n, _shape_of(a)[ax])):
        later, earlier = _along(a, ax, slice(1, None)), _along(a, ax, slice(None, -1))
        a = later != earlier if boolean else later - earlier
    return a


def _one_axis(f: Array, ax: int, h: float, edge_order: int) -> Array:
    inner = (_along(f, ax, slice(2, None)) - _along(f, ax, slice(None, -2))) / (2.0 * h)
    if edge_order == 1:
        first = (_along(f, ax, slice(1, 2)) - _along(f, ax, slice(0, 1))) / h
        last = (_along(f, ax, slice(-1, None)) - _along(f, ax, slice(-2, -1))) / h
    else:
        first = (-3.0 * _along(f, ax, slice(0, 1)) + 4.0 * _along(f, ax, slice(1, 2))
                 - _along(f, ax, slice(2, 3))) / (2.0 * h)
        last = (3.0 * _along(f, ax, slice(-1, None)) - 4.0 * _along(f, ax, slice(-2, -1))
                + _along(f, ax, slice(-3, -2))) / (2.0 * h)
    return FUNCTIONS["concatenate"]([first, inner, last], ax)


@composite(numpy=(np.gradient,), doc="np.gradient: central differences, one-sided at edges")
def gradient(f: Array, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """numpy's ``gradient`` with uniform spacings: ``(f[i+1] - f[i-1]) / 2h`` inside and
    one-sided differences of order ``edge_order`` (1 or 2) at the two ends; one array of
    ``f``'s shape per axis in ``axis`` (all axes if None: a tuple when there are several).
    ``varargs`` is one spacing for every axis or one per axis (numbers). Raises TypeError
    for coordinate arrays as spacings and ValueError, as numpy, for an axis shorter than
    ``edge_order + 1`` or an ``edge_order`` other than 1 or 2."""
    shape = _shape_of(f)
    axes = normalize_axes("gradient", len(shape), axis)
    if len(varargs) == 0:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1:
        spacings = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError(f"gradient: {len(varargs)} spacings for {len(axes)} axes; give one "
                        "spacing, or one per axis")
    if any(np.ndim(h) for h in spacings):
        raise TypeError("np.gradient with coordinate arrays as spacings is not supported on "
                        "Tensors; give one number per axis (a uniform spacing)")
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    for ax in axes:
        if shape[ax] < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
    out = [_one_axis(f, ax, float(h), edge_order) for ax, h in zip(axes, spacings)]
    return out[0] if len(out) == 1 else tuple(out)
