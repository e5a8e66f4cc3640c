"""One helper for rules of ops whose scipy routine takes no batch axes: a cotangent (or
tangent) with leading batch axes is handled one batch entry at a time, and the results
stacked, all with recordable ops so the rule stays differentiable."""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any

import numpy as np

from ..core import Node
from ..primitive import apply
from ..rules.structural import STACK


def shape_of(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(x.value if isinstance(x, Node) else x))


def per_batch(M: Any, g: Any, core_ndim: int, fn: Callable[[Any], Any]) -> Any:
    """``fn`` applied to each ``g[i]`` over ``g``'s leading axes beyond its last
    ``core_ndim``, the results stacked back (``fn(g)`` itself when there are none)."""
    shape = shape_of(g)
    lead = shape[:len(shape) - core_ndim]
    if not lead:
        return fn(g)
    flat = M.reshape(g, (prod(lead),) + shape[len(lead):])
    parts = [fn(M.getitem(flat, i)) for i in range(prod(lead))]
    stacked = apply(STACK, *parts, -(len(shape_of(parts[0])) + 1))
    return M.reshape(stacked, lead + shape_of(parts[0]))
