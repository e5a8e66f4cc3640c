"""The losses as modules, with PyTorch's names and arguments: ``loss_fn = CrossEntropyLoss();
loss = loss_fn(logits, labels)``."""

from __future__ import annotations

from typing import Any

from . import losses
from .module import Module


class CrossEntropyLoss(Module):
    """Softmax cross-entropy of logits (N, C) against integer labels (N,), with PyTorch's
    ``weight``, ``ignore_index``, ``reduction`` and ``label_smoothing``."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        self.weight, self.ignore_index = weight, ignore_index
        self.reduction, self.label_smoothing = reduction, label_smoothing

    def forward(self, logits: Any, labels: Any) -> Any:
        return losses.cross_entropy(logits, labels, self.weight, self.ignore_index,
                                    self.reduction, self.label_smoothing)


class NLLLoss(Module):
    """Negative log-likelihood of log-probabilities (N, C) against labels (N,)."""

    def __init__(self, weight: Any = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        self.weight, self.ignore_index, self.reduction = weight, ignore_index, reduction

    def forward(self, log_probs: Any, labels: Any) -> Any:
        return losses.nll_loss(log_probs, labels, self.weight, self.ignore_index,
                               self.reduction)


class _Elementwise(Module):
    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = reduction


class MSELoss(_Elementwise):
    """Mean squared error (``reduction``: 'mean', 'sum' or 'none')."""

    def forward(self, prediction: Any, target: Any) -> Any:
        return losses.mse_loss(prediction, target, self.reduction)


class L1Loss(_Elementwise):
    """Mean absolute error (``reduction``: 'mean', 'sum' or 'none')."""

    def forward(self, prediction: Any, target: Any) -> Any:
        return losses.l1_loss(prediction, target, self.reduction)


class BCEWithLogitsLoss(_Elementwise):
    """Binary cross-entropy of sigmoid(logits) against targets in [0, 1]."""

    def forward(self, logits: Any, targets: Any) -> Any:
        return losses.binary_cross_entropy_with_logits(logits, targets, self.reduction)


class HuberLoss(Module):
    """Huber loss with threshold ``delta`` (1.0)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        self.reduction, self.delta = reduction, delta

    def forward(self, prediction: Any, target: Any) -> Any:
        return losses.huber_loss(prediction, target, self.reduction, self.delta)
