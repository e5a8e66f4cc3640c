"""The math namespace of a differentiable backward pass (``create_graph``, ``hessian``).

It offers the names of :mod:`chainrule.math_namespaces` with numpy's signatures, but every
function applies a primitive, so a rule run on Tensors records its own graph and the
gradient it returns can be differentiated again.
"""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace
from typing import Any

import numpy as np

from .core import Node
from .core.backward import bad_contribution
from .errors import ShapeError
from .math_namespaces import ARRAY
from .primitive import REGISTRY, apply
from .rules import elementwise as ew
from .rules import linalg, reductions, special_elementwise, structural  # noqa: F401
from .rules.complex import REAL


def _raw(x: Any) -> Any:
    return x.value if isinstance(x, Node) else x


def _axes(x: Any, axis: Any) -> tuple[int, ...]:
    nd = np.ndim(_raw(x))
    if axis is None:
        return tuple(range(-nd, 0))
    items = axis if isinstance(axis, tuple) else (axis,)
    return tuple(int(a) - nd if a >= 0 else int(a) for a in items)


def _sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return apply(reductions.SUM, x, _axes(x, axis), bool(keepdims))


def _where(c: Any, x: Any, y: Any) -> Any:
    return apply(ew.WHERE, np.asarray(_raw(c), dtype=bool), x, y)


def _swapaxes(x: Any) -> Any:
    nd = np.ndim(_raw(x))
    return apply(structural.TRANSPOSE, x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _expand_dims(x: Any, axis: int) -> Any:
    s = np.shape(_raw(x))
    axis = axis % (len(s) + 1)
    return apply(structural.RESHAPE, x, s[:axis] + (1,) + s[axis:])


def _sum_to(c: Any, shape: tuple[int, ...], nb: int = 0) -> Any:
    return apply(structural.SUM_TO, c, tuple(shape), nb)


def _sum_to_node(c: Any, p: Node, nb: int, node: Node, i: int) -> Any:
    """The graph mode's ``sum_to``: ``c`` summed back to the shape of input ``p``."""
    shape = np.shape(_raw(c))
    if np.iscomplexobj(_raw(c)) and p.value.dtype.kind != "c":
        c = apply(REAL, c)      # a real input of a complex op: its gradient is the real part
    if shape[nb:] != p.value.shape:
        wrong = bad_contribution(node, i, shape, nb)
        if wrong:
            raise ShapeError(wrong)
        return apply(structural.SUM_TO, c, p.value.shape, nb)
    return c


# The elementwise functions that rules may call (the ones the array namespace offers),
# taken from the rule table: M.cos(x) applies the ``cos`` primitive.
_ELEMENTWISE = {prim.function: partial(apply, prim) for prim in REGISTRY.values()
                if prim.kind == "unary" and prim.function and hasattr(ARRAY, prim.function)}

TENSOR_MATH = SimpleNamespace(
    graph=True, **_ELEMENTWISE,
    sign=lambda x: np.sign(_raw(x)), value=_raw, where=_where, sum=_sum,
    reshape=lambda x, s: apply(structural.RESHAPE, x, tuple(s)),
    broadcast_to=lambda x, s: apply(structural.BROADCAST_TO, x, tuple(s)),
    matmul=lambda a, b: apply(linalg.MATMUL, a, b), swapaxes=_swapaxes,
    expand_dims=_expand_dims,
    transpose=lambda x, axes: apply(structural.TRANSPOSE, x, axes),
    sum_to=_sum_to, sum_to_node=_sum_to_node,
    index_add=lambda g, s, i: apply(structural.INDEX_ADD, g, tuple(s), i),
    getitem=lambda x, i: apply(structural.GETITEM, x, i),
    stack=lambda xs: apply(structural.STACK, *xs, 0),
)
