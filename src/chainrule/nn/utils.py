"""``nn.utils``: gradient clipping with PyTorch's names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor


def _grads(parameters: Any) -> list[Tensor]:
    ps = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in ps if p.grad is not None]


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float = 2.0) -> float:
    """Scale every gradient in place so that their joint ``norm_type``-norm is at most
    ``max_norm`` (scale max_norm / (norm + 1e-6), as PyTorch); returns the norm before
    clipping. Parameters without a gradient are skipped."""
    ps = _grads(parameters)
    if not ps:
        return 0.0
    if norm_type == np.inf:
        total = max(float(np.max(np.abs(p.grad))) for p in ps)
    else:
        total = float(sum(float(np.sum(np.abs(p.grad) ** norm_type)) for p in ps)
                      ** (1.0 / norm_type))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for p in ps:
            p.grad *= scale
    return total


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clip every gradient element to [-clip_value, clip_value], in place."""
    for p in _grads(parameters):
        np.clip(p.grad, -clip_value, clip_value, out=p.grad)
