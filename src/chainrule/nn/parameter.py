"""``nn.Parameter``: a leaf Tensor that requires grad, as PyTorch spells it."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a module's parameter: a leaf with ``requires_grad=True`` (by
    default), float64 unless the data is float32. Computing with it gives plain Tensors.
    Any leaf Tensor that requires grad set on a module counts as a parameter too."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        Tensor.__init__(self, np.zeros(0) if data is None else data,
                        requires_grad=requires_grad)

    @classmethod
    def _node(cls, value: np.ndarray, parents: tuple, prim: Any, needs: bool) -> Tensor:
        return Tensor._node(value, parents, prim, needs)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)
