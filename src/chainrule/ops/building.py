"""Building and cutting arrays of Tensors with numpy's signatures: ``cr.array`` of nested
lists mixing Tensors and numbers, the stacks (``vstack``, ``hstack``, ``dstack``,
``column_stack``), the splits (``split``, ``array_split``, ``hsplit``, ``vsplit``,
``dsplit``), ``append``, ``pad``, ``triu``/``tril``, ``diag``, ``select`` and ``copy``.
All are made of the structural primitives (stack, concatenate, getitem, index_add,
where)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import Node
from ..primitive import REGISTRY
from ..tensor import Tensor, as_array
from . import padding
from .functions import FUNCTIONS, Array, _ndim, _raw, _shape_of, composite, normalize_axes
from .shaping import _gather, atleast_1d, atleast_2d, atleast_3d, ravel


def _has_node(data: Any) -> bool:
    if isinstance(data, Node):
        if not isinstance(data, Tensor):
            raise TypeError(f"array: a {type(data).__name__} cannot go into a Tensor; use "
                            "cr.tensor(value, requires_grad=True) for each entry")
        return True
    return isinstance(data, (list, tuple)) and any(_has_node(d) for d in data)


def _build(data: Any) -> Any:
    if isinstance(data, Node):
        return data
    if isinstance(data, (list, tuple)) and _has_node(data):
        return FUNCTIONS["stack"]([_build(d) for d in data])
    return as_array(data)


@composite(doc="a Tensor from nested lists of Tensors and numbers")
def array(data: Any, dtype: Any = None) -> Tensor:
    """A Tensor from ``data``: nested lists (or tuples) mixing Tensors and numbers, stacked
    so that the gradient flows back into each Tensor; what ``np.array([...])`` would build.
    (numpy's own ``np.array`` cannot return a Tensor: call ``cr.array``.) Raises
    ValueError for ragged lists and TypeError for a ``dtype`` other than a float type."""
    if dtype is not None and np.dtype(dtype).kind not in "f":
        raise TypeError(f"array: dtype {np.dtype(dtype)} cannot be differentiated")
    out = _build(data)
    if not isinstance(out, Tensor):
        return Tensor(out, dtype=dtype)
    if dtype is not None and out.dtype != np.dtype(dtype):
        raise TypeError(f"array: the Tensors are {out.dtype}; cast them before "
                        f"building a {np.dtype(dtype)} array")
    return out


@composite(doc="same as cr.array")
def asarray(data: Any, dtype: Any = None) -> Tensor:
    """``cr.array(data, dtype)``: a Tensor from nested lists of Tensors and numbers."""
    return array(data, dtype)


@composite(numpy=(np.copy,), doc="np.copy: a copy (gradient flows through)")
def copy(x: Array, order: str = "K", subok: bool = False) -> Array:
    """A new node with ``x``'s values; the gradient flows through unchanged."""
    return REGISTRY["identity"](x)


def _no_dtype(name: str, dtype: Any, casting: str) -> None:
    if dtype is not None or casting != "same_kind":
        raise TypeError(f"np.{name}: dtype= and casting= are not supported on Tensors; "
                        "cast the data first")


def _stacker(name: str, lift: Any, axis: int) -> Any:
    def fn(tup: Sequence[Array], *, dtype: Any = None, casting: str = "same_kind") -> Array:
        _no_dtype(name, dtype, casting)
        parts = [lift(t) for t in tup]
        return FUNCTIONS["concatenate"](parts, axis)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"np.{name}: join the inputs along axis {axis} (after numpy's reshape)."
    return composite(numpy=(getattr(np, name),), doc=f"np.{name}")(fn)


def _column(t: Array) -> Array:
    return FUNCTIONS["reshape"](t, (-1, 1)) if _ndim(t) < 2 else t


vstack = _stacker("vstack", atleast_2d, 0)
dstack = _stacker("dstack", atleast_3d, 2)
column_stack = _stacker("column_stack", _column, 1)


@composite(numpy=(np.hstack,), doc="np.hstack: join along the columns")
def hstack(tup: Sequence[Array], *, dtype: Any = None, casting: str = "same_kind") -> Array:
    """Join the inputs along axis 1 (axis 0 for 1-D inputs), as numpy does."""
    _no_dtype("hstack", dtype, casting)
    parts = [atleast_1d(t) for t in tup]
    return FUNCTIONS["concatenate"](parts, 0 if _ndim(parts[0]) == 1 else 1)


def _cut(name: str, x: Array, sections: Any, axis: int, even: bool) -> list[Array]:
    shape = _shape_of(x)
    (ax,) = normalize_axes(name, len(shape), axis)
    n = shape[ax]
    if isinstance(sections, (int, np.integer)):
        if sections <= 0:
            raise ValueError(f"{name}: the number of sections must be larger than 0")
        if even and n % sections:
            raise ValueError(f"{name}: array split does not result in an equal division "
                             f"({n} into {sections})")
        size, extra = divmod(n, int(sections))
        bounds = np.cumsum([0] + [size + 1] * extra + [size] * (int(sections) - extra))
    else:
        bounds = np.array([0, *[min(int(i), n) for i in sections], n])
    head = (slice(None),) * (len(shape) + ax)
    return [x[head + (slice(int(a), max(int(a), int(b))),)] for a, b in zip(bounds[:-1],
                                                                           bounds[1:])]


@composite(numpy=(np.split,), doc="np.split: equal pieces or at indices")
def split(x: Array, indices_or_sections: Any, axis: int = 0) -> list[Array]:
    """``x`` cut along ``axis`` into equal pieces (an int that divides the length; else
    ValueError) or at the given indices."""
    return _cut("split", x, indices_or_sections, axis, True)


@composite(numpy=(np.array_split,), doc="np.array_split: nearly equal pieces")
def array_split(x: Array, indices_or_sections: Any, axis: int = 0) -> list[Array]:
    """As ``split``, but an int need not divide the length: the first pieces get one more."""
    return _cut("array_split", x, indices_or_sections, axis, False)


@composite(numpy=(np.hsplit,), doc="np.hsplit: split along the columns")
def hsplit(x: Array, indices_or_sections: Any) -> list[Array]:
    """``split`` along axis 1 (axis 0 for 1-D input)."""
    return _cut("hsplit", x, indices_or_sections, 0 if _ndim(x) == 1 else 1, True)


@composite(numpy=(np.vsplit,), doc="np.vsplit: split along the rows")
def vsplit(x: Array, indices_or_sections: Any) -> list[Array]:
    """``split`` along axis 0 (ValueError below 2 dimensions)."""
    if _ndim(x) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return _cut("vsplit", x, indices_or_sections, 0, True)


@composite(numpy=(np.dsplit,), doc="np.dsplit: split along the depth")
def dsplit(x: Array, indices_or_sections: Any) -> list[Array]:
    """``split`` along axis 2 (ValueError below 3 dimensions)."""
    if _ndim(x) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return _cut("dsplit", x, indices_or_sections, 2, True)


@composite(numpy=(np.append,), doc="np.append: values joined at the end")
def append(x: Array, values: Array, axis: int | None = None) -> Array:
    """``values`` joined after ``x`` along ``axis`` (both flattened if None)."""
    if axis is None:
        return FUNCTIONS["concatenate"]([ravel(x), ravel(values)], 0)
    return FUNCTIONS["concatenate"]([x, values], axis)


_GATHER_PADS = ("edge", "reflect", "symmetric", "wrap")


@composite(numpy=(np.pad,), doc="np.pad: constant, edge, reflect, symmetric, wrap, "
           "maximum, minimum, mean, median, linear_ramp")
def pad(x: Array, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Array:
    """``x`` padded by ``pad_width`` (numpy's forms) in ``mode`` 'constant' (with
    ``constant_values``), 'edge', 'reflect', 'symmetric' or 'wrap' (``reflect_type``
    'even'), or from statistics of the data: 'maximum', 'minimum', 'mean', 'median'
    (``stat_length``), 'linear_ramp' (``end_values``). Other modes raise TypeError."""
    if mode in padding.MODES:
        if not isinstance(x, Node):
            return np.pad(x, pad_width, mode, **kwargs)  # type: ignore[call-overload]
        return padding.pad_from_data(x, pad_width, mode, kwargs)
    if mode in _GATHER_PADS and kwargs.get("reflect_type", "even") == "even":
        return _gather(x, lambda p: np.pad(p, pad_width, mode))  # type: ignore[call-overload]
    if mode != "constant" or set(kwargs) - {"constant_values"}:
        raise TypeError(f"np.pad: mode={mode!r} with {sorted(kwargs)} is not supported on "
                        f"Tensors; supported: 'constant', {', '.join(map(repr, _GATHER_PADS))}, "
                        f"{', '.join(map(repr, padding.MODES))}")
    shape = _shape_of(x)
    background = np.pad(np.zeros(shape, np.asarray(_raw(x)).dtype), pad_width, "constant", **kwargs)
    # numpy's forms: n, (n,), (before, after), ((before, after),), one pair per axis
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (len(shape), 2))
    inside = tuple(slice(int(w), int(w) + s) for (w, _), s in zip(widths, shape))
    return REGISTRY["index_add"](x, background.shape, inside) + background


def _triangle(name: str, keep: Any) -> Any:
    def fn(m: Array, k: int = 0) -> Array:
        shape = _shape_of(m)
        if len(shape) < 2:
            raise ValueError(f"{name}: the input must have at least 2 dimensions")
        mask = keep(np.ones(shape[-2:], dtype=bool), k)
        return FUNCTIONS["where"](mask, m, 0.0)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``m`` with the elements {'below' if name == 'triu' else 'above'} the "
                  f"``k``-th diagonal set to 0 (over the last two axes).")
    return composite(numpy=(getattr(np, name),), doc=f"np.{name}")(fn)


triu = _triangle("triu", np.triu)
tril = _triangle("tril", np.tril)


@composite(numpy=(np.diag,), doc="np.diag: build a diagonal matrix or take a diagonal")
def diag(v: Array, k: int = 0) -> Array:
    """For 1-D ``v``: the square matrix with ``v`` on diagonal ``k``; for 2-D: diagonal
    ``k``. Raises ValueError for other dimensions."""
    nd = _ndim(v)
    if nd == 2:
        return _gather(v, lambda p: np.diag(p, k))
    if nd != 1:
        raise ValueError(f"diag: the input must be 1-D or 2-D, got {nd}-D")
    n = _shape_of(v)[0]
    size = n + abs(k)
    i = np.arange(n)
    where = (i - min(k, 0), i + max(k, 0))
    return REGISTRY["index_add"](v, (size, size), where)


@composite(numpy=(np.select,), doc="np.select: choices by conditions")
def select(condlist: Sequence[Any], choicelist: Sequence[Array], default: Array = 0) -> Array:
    """Where the first true condition of ``condlist`` holds, the matching choice; where
    none does, ``default``. The conditions carry no gradient."""
    if len(condlist) != len(choicelist):
        raise ValueError("select: list of cases must be same length as list of conditions")
    out = default
    for cond, choice in zip(reversed(condlist), reversed(choicelist)):
        out = FUNCTIONS["where"](np.asarray(_raw(cond), dtype=bool), choice, out)
    return out
