"""``cr.r_`` and ``cr.c_``: numpy's ``np.r_`` / ``np.c_`` for Tensors.

numpy builds ``np.r_[x, y]`` by converting every item to an ndarray, with no hook a Tensor
could answer, so a Tensor there would lose its graph (chainrule refuses that conversion).
These two objects take the same items and join them with ``concatenate``, so the result
is differentiable in every Tensor item:

    cr.r_[x, c, 1:4]     # along the first axis; numbers and slices as np.r_ makes them
    cr.c_[x, c]          # along the last axis, 1-D items as columns
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Node
from .functions import FUNCTIONS, _ndim, _raw


class AxisConcatenator:
    """``self[items]``: the items joined along ``axis`` after each is given at least
    ``ndmin`` (1 or 2) dimensions: a number as ``(1,)`` or ``(1, 1)``, a 1-D item of
    length n as the column ``(n, 1)``, as numpy's object of the same name does. String
    directives (``np.r_['0,2', ...]``) raise TypeError, no item ValueError."""

    def __init__(self, name: str, axis: int, ndmin: int) -> None:
        self.name, self.axis, self.ndmin = name, axis, ndmin

    def __repr__(self) -> str:
        return f"cr.{self.name}"

    def _item(self, item: Any) -> Any:
        if isinstance(item, slice):
            item = np.r_[item]           # numpy's own arange/linspace of a slice
        elif isinstance(item, str):
            raise TypeError(f"cr.{self.name}: string directives ({item!r}) are not "
                            "supported; use cr.concatenate with axis= and cr.reshape")
        elif not isinstance(item, Node):
            item = np.asarray(item)
        nd = _ndim(item)
        if nd >= self.ndmin:
            return item
        if nd == 0:
            return FUNCTIONS["reshape"](item, (1,) * self.ndmin)
        return FUNCTIONS["reshape"](item, (-1, 1))      # 1-D with ndmin 2: a column

    def __getitem__(self, key: Any) -> Any:
        items = key if isinstance(key, tuple) else (key,)
        if not items:
            raise ValueError(f"cr.{self.name}[]: give at least one item")
        arrays = [_raw(i) for i in items if isinstance(i, (Node, np.ndarray))]
        if arrays:      # Python numbers do not widen the arrays' dtype (numpy's rule)
            dt = np.result_type(*arrays, *(i for i in items if type(i) in (int, float, complex)))
            items = tuple(np.asarray(i, dt) if type(i) in (int, float, complex) else i
                          for i in items)
        return FUNCTIONS["concatenate"]([self._item(i) for i in items], self.axis)


r_ = AxisConcatenator("r_", 0, 1)
c_ = AxisConcatenator("c_", -1, 2)
