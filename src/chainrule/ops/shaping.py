"""numpy's shape functions on Tensors, made of the structural primitives: axis moves
(``swapaxes``, ``moveaxis``, ``squeeze``, ``expand_dims``, ``ravel``, ``atleast_*d``) are
reshapes and transposes; element moves (``flip``, ``roll``, ``rot90``, ``tile``,
``repeat``, ``take``, ``take_along_axis``, ``diagonal``, ``sort``, ``partition``) are one
gather: numpy's own function applied to the *positions* of the elements picks which
element lands where, and ``x.ravel()[positions]`` (``getitem``, whose rule scatters the
gradient back) does the move. Each has numpy's signature."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core import Node
from .functions import (
    FUNCTIONS,
    Array,
    _ndim,
    _raw,
    _shape_of,
    composite,
    normalize_axes,
    refuse_out,
    reshape_in_order,
)


def _gather(x: Array, move: Callable[[np.ndarray], np.ndarray]) -> Array:
    """``move`` (a numpy function that only moves elements) applied to ``x``."""
    if not isinstance(x, Node):
        return move(np.asarray(x))
    shape = _shape_of(x)
    positions = move(np.arange(int(np.prod(shape))).reshape(shape))
    return FUNCTIONS["reshape"](x, -1)[positions]


def _axis(op: str, x: Array, axis: int) -> int:
    return normalize_axes(op, _ndim(x), axis)[0] + _ndim(x)


@composite(methods=("swapaxes",), numpy=(np.swapaxes,),
           doc="np.swapaxes: exchange two axes")
def swapaxes(x: Array, axis1: int, axis2: int) -> Array:
    """``x`` with axes ``axis1`` and ``axis2`` exchanged (a transpose)."""
    perm = list(range(_ndim(x)))
    a, b = _axis("swapaxes", x, axis1), _axis("swapaxes", x, axis2)
    perm[a], perm[b] = b, a
    return FUNCTIONS["transpose"](x, perm)


@composite(numpy=(np.moveaxis,), doc="np.moveaxis: move axes to new positions")
def moveaxis(x: Array, source: int | Sequence[int], destination: int | Sequence[int]) -> Array:
    """``x`` with the axes ``source`` moved to ``destination`` (the others keep their
    order). Raises ValueError when the two have different lengths."""
    nd = _ndim(x)
    src = [a + nd for a in normalize_axes("moveaxis", nd, source)]
    dst = [a + nd for a in normalize_axes("moveaxis", nd, destination)]
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same number of "
                         "elements")
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return FUNCTIONS["transpose"](x, order)


@composite(numpy=(np.squeeze,), doc="np.squeeze: drop axes of length 1")
def squeeze(x: Array, axis: int | Sequence[int] | None = None) -> Array:
    """``x`` without its length-1 axes (only those in ``axis`` if given; ValueError if one
    of them is longer)."""
    shape = _shape_of(x)
    axes = [a + len(shape) for a in normalize_axes("squeeze", len(shape), axis)]
    if axis is None:
        axes = [a for a in axes if shape[a] == 1]
    bad = [a for a in axes if shape[a] != 1]
    if bad:
        raise ValueError(f"squeeze: axis {bad[0]} of shape {shape} has length "
                         f"{shape[bad[0]]}, not 1")
    return FUNCTIONS["reshape"](x, tuple(s for i, s in enumerate(shape) if i not in axes))


@composite(numpy=(np.expand_dims,), doc="np.expand_dims: insert axes of length 1")
def expand_dims(x: Array, axis: int | Sequence[int]) -> Array:
    """``x`` with new length-1 axes at the positions ``axis`` of the result."""
    shape = _shape_of(x)
    nd = len(shape) + (len(axis) if isinstance(axis, (tuple, list)) else 1)
    new = {a + nd for a in normalize_axes("expand_dims", nd, axis)}
    it = iter(shape)
    return FUNCTIONS["reshape"](x, tuple(1 if i in new else next(it) for i in range(nd)))


@composite(methods=("ravel",), numpy=(np.ravel,),
           doc="np.ravel: the elements as one axis")
def ravel(x: Array, order: str = "C") -> Array:
    """The elements of ``x`` as a 1-D Tensor, read in ``order`` ('C': last index fastest,
    'F': first index fastest)."""
    return reshape_in_order(x, -1, order)


def _atleast(n: int) -> Any:
    def fn(*arys: Array) -> Any:
        out = []
        for a in arys:
            shape = _shape_of(a)
            if len(shape) >= n:
                out.append(a)
                continue
            new: tuple[int, ...]
            if n == 3 and len(shape) == 2:
                new = shape + (1,)
            else:
                new = (1,) * (n - len(shape) - (n == 3 and len(shape) == 1)) + shape
                new = new + (1,) * (n - len(new))
            out.append(FUNCTIONS["reshape"](a, new))
        return out[0] if len(out) == 1 else out

    fn.__name__ = fn.__qualname__ = f"atleast_{n}d"
    fn.__doc__ = (f"Each input with at least {n} dimensions (numpy's placement of the new "
                  "axes); one input gives one result, several a list.")
    return composite(numpy=(getattr(np, f"atleast_{n}d"),),
                     doc=f"np.atleast_{n}d: view with at least {n} dimensions")(fn)


atleast_1d = _atleast(1)
atleast_2d = _atleast(2)
atleast_3d = _atleast(3)


@composite(numpy=(np.flip,), doc="np.flip: reverse the order along axes")
def flip(x: Array, axis: int | Sequence[int] | None = None) -> Array:
    """``x`` with the elements along ``axis`` (all axes if None) in reverse order."""
    nd = _ndim(x)
    axes = {a + nd for a in normalize_axes("flip", nd, axis)}
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(nd))]


@composite(numpy=(np.fliplr,), doc="np.fliplr: reverse the columns")
def fliplr(x: Array) -> Array:
    """``x`` with axis 1 reversed (ValueError below 2 dimensions)."""
    if _ndim(x) < 2:
        raise ValueError("fliplr: the input must have at least 2 dimensions")
    return flip(x, 1)


@composite(numpy=(np.flipud,), doc="np.flipud: reverse the rows")
def flipud(x: Array) -> Array:
    """``x`` with axis 0 reversed (ValueError for a 0-d input)."""
    if _ndim(x) < 1:
        raise ValueError("flipud: the input must have at least 1 dimension")
    return flip(x, 0)


@composite(numpy=(np.rot90,), doc="np.rot90: rotate by 90 degrees in a plane")
def rot90(x: Array, k: int = 1, axes: Sequence[int] = (0, 1)) -> Array:
    """``x`` rotated ``k`` times by 90 degrees from the first axis of ``axes`` towards the
    second."""
    return _gather(x, lambda p: np.rot90(p, k, tuple(axes)))  # type: ignore[arg-type]


@composite(numpy=(np.roll,), doc="np.roll: shift elements cyclically")
def roll(x: Array, shift: int | Sequence[int], axis: int | Sequence[int] | None = None) -> Array:
    """``x`` with its elements shifted by ``shift`` along ``axis`` (of the flattened input
    if None), those falling off one end coming back at the other."""
    return _gather(x, lambda p: np.roll(p, shift, axis))


@composite(numpy=(np.tile,), doc="np.tile: repeat the whole array")
def tile(x: Array, reps: int | Sequence[int]) -> Array:
    """``x`` repeated ``reps`` times along each axis; the gradient of each element is the
    sum over its copies."""
    return _gather(x, lambda p: np.tile(p, reps))


@composite(numpy=(np.repeat,), doc="np.repeat: repeat each element")
def repeat(x: Array, repeats: int | Sequence[int], axis: int | None = None) -> Array:
    """Each element of ``x`` repeated ``repeats`` times along ``axis`` (flattened if
    None)."""
    return _gather(x, lambda p: np.repeat(p, repeats, axis))


@composite(methods=("take",), numpy=(np.take,),
           doc="np.take: elements at indices along an axis")
def take(x: Array, indices: Any, axis: int | None = None, out: Any = None,
         mode: str = "raise") -> Array:
    """The elements of ``x`` at ``indices`` along ``axis`` (of the flattened input if None;
    ``mode`` 'raise', 'wrap' or 'clip' as numpy). Raises TypeError for ``out=``."""
    refuse_out("take", out)
    return _gather(x, lambda p: np.take(p, np.asarray(_raw(indices)), axis,
                                       mode=mode))  # type: ignore[call-overload]


@composite(numpy=(np.take_along_axis,), doc="np.take_along_axis: gather along an axis")
def take_along_axis(x: Array, indices: Any, axis: int | None = -1) -> Array:
    """``x`` gathered along ``axis`` at ``indices`` (the same number of dimensions), as
    returned by ``argsort``/``argmax`` with keepdims."""
    return _gather(x, lambda p: np.take_along_axis(p, np.asarray(_raw(indices)), axis))


@composite(methods=("diagonal",), numpy=(np.diagonal,),
           doc="np.diagonal: the diagonal of two axes")
def diagonal(x: Array, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Array:
    """The diagonal ``offset`` of the plane ``(axis1, axis2)``, as a last axis."""
    return _gather(x, lambda p: np.diagonal(p, offset, axis1, axis2))


@composite(methods=("trace",), numpy=(np.trace,),
           doc="np.trace: sum of the diagonal")
def trace(x: Array, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None,
          out: Any = None) -> Array:
    """The sum of the diagonal ``offset`` of the plane ``(axis1, axis2)``. Raises TypeError
    for ``out=`` and ``dtype=``."""
    refuse_out("trace", out, dtype)
    return FUNCTIONS["sum"](diagonal(x, offset, axis1, axis2), -1)


@composite(numpy=(np.sort,), doc="np.sort: sorted copy")
def sort(x: Array, axis: int | None = -1, kind: str | None = None, order: Any = None, *,
         stable: bool | None = None) -> Array:
    """``x`` sorted along ``axis`` (flattened if None). Tied values keep their order
    (a stable sort), so each element's gradient is the one of the position it lands in."""
    if order is not None:
        raise TypeError("np.sort(order=...) sorts structured arrays; a Tensor holds numbers")
    values = np.asarray(_raw(x))
    if axis is None:
        values, x, axis = values.ravel(), ravel(x), -1
    ranks = np.argsort(values, axis=axis, kind="stable")
    return take_along_axis(x, ranks, axis)


@composite(numpy=(np.partition,), doc="np.partition: partial sort around kth")
def partition(x: Array, kth: int | Sequence[int], axis: int | None = -1,
              kind: str = "introselect", order: Any = None) -> Array:
    """``x`` with the element that would be at position ``kth`` of the sorted axis put
    there, smaller ones before it and larger ones after (in numpy's order)."""
    if order is not None:
        raise TypeError("np.partition(order=...) sorts structured arrays; a Tensor holds "
                        "numbers")
    values = np.asarray(_raw(x))
    if axis is None:
        values, x, axis = values.ravel(), ravel(x), -1
    return take_along_axis(x, np.argpartition(values, kth, axis=axis), axis)


@composite(numpy=(np.rollaxis,), doc="np.rollaxis: move one axis to a position")
def rollaxis(x: Array, axis: int, start: int = 0) -> Array:
    """``x`` with ``axis`` moved to before position ``start`` (numpy's older
    ``moveaxis``). Raises AxisError for ``start`` outside ``[-ndim, ndim]``."""
    nd = _ndim(x)
    a = _axis("rollaxis", x, axis)
    if not -nd <= start <= nd:
        raise np.exceptions.AxisError(f"rollaxis: start {start} is out of bounds for "
                                      f"{nd} dimension(s)")
    start = start + nd if start < 0 else start
    if a < start:
        start -= 1
    order = [i for i in range(nd) if i != a]
    order.insert(start, a)
    return FUNCTIONS["transpose"](x, order)
