"""What ``t.grad`` is: an ndarray that also answers PyTorch's Tensor methods.

numpy code keeps treating a gradient as the array it is (``np.linalg.norm(w.grad)``,
plotting, arithmetic), and PyTorch code can call ``w.grad.zero_()``, ``w.grad.clone()``,
``w.grad.norm()``, ``w.grad.abs().max().item()``. The array is a view of the stored
gradient, so the in-place methods change the gradient itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class GradArray(np.ndarray):
    """An ndarray with ``zero_``, ``fill_``, ``add_``, ``mul_``, ``clone``, ``detach``,
    ``numpy`` and ``norm`` (PyTorch's spellings); everything else is numpy's."""

    def zero_(self) -> GradArray:
        """Set every element to 0, in place."""
        self[...] = 0
        return self

    def fill_(self, value: Any) -> GradArray:
        """Set every element to ``value``, in place."""
        self[...] = value
        return self

    def add_(self, other: Any, *, alpha: float = 1) -> GradArray:
        """``self += alpha * other``, in place."""
        self += alpha * np.asarray(other)
        return self

    def mul_(self, other: Any) -> GradArray:
        """``self *= other``, in place."""
        self *= np.asarray(other)
        return self

    def clone(self) -> GradArray:
        """A copy."""
        return self.copy()

    def detach(self) -> GradArray:
        """The array itself (a gradient is not part of a graph)."""
        return self

    def numpy(self) -> np.ndarray:
        """The gradient as a plain ndarray (no copy)."""
        return self.view(np.ndarray)

    def norm(self, p: Any = 2) -> float:
        """The ``p``-norm of all elements (2 by default) as a Python float."""
        return float(np.linalg.norm(self.view(np.ndarray).reshape(-1), p))

