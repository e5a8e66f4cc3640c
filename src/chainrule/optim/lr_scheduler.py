"""Learning-rate schedules with PyTorch's names and update rules. Call ``scheduler.step()``
once per epoch (``OneCycleLR``: once per batch; ``ReduceLROnPlateau``: ``step(metric)``).
Each sets ``lr`` in every parameter group of its optimizer; ``get_last_lr()`` lists them.
The closed forms below are PyTorch's, so a schedule can be checked by hand."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .optimizers import Optimizer


class LRScheduler:
    """Base class: ``last_epoch`` counts the ``step()`` calls; ``lr_at(base, epoch,
    group)`` gives each group's rate from its ``initial_lr``."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, base: float, epoch: int, group: dict[str, Any]) -> float:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the new learning rates."""
        self.last_epoch += 1
        for g, base in zip(self.optimizer.param_groups, self.base_lrs):
            g["lr"] = self.lr_at(base, self.last_epoch, g)

    def get_last_lr(self) -> list[float]:
        """The current learning rate of each group."""
        return [g["lr"] for g in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """lr = base * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size, self.gamma = int(step_size), float(gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base: float, epoch: int, group: dict[str, Any]) -> float:
        return base * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """lr = base * gamma ** (number of milestones <= epoch)."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones, self.gamma = sorted(int(m) for m in milestones), float(gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base: float, epoch: int, group: dict[str, Any]) -> float:
        return base * self.gamma ** sum(1 for m in self.milestones if m <= epoch)


class ExponentialLR(LRScheduler):
    """lr = base * gamma ** epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = float(gamma)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base: float, epoch: int, group: dict[str, Any]) -> float:
        return base * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base - eta_min) * (1 + cos(pi * epoch / T_max)) / 2 (PyTorch's
    closed form; after T_max it rises again, as PyTorch's does)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        self.T_max, self.eta_min = int(T_max), float(eta_min)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base: float, epoch: int, group: dict[str, Any]) -> float:
        return self.eta_min + (base - self.eta_min) * (
            1 + math.cos(math.pi * epoch / self.T_max)) / 2


class OneCycleLR(LRScheduler):
    """The one-cycle policy (Smith), stepped once per batch: from max_lr / div_factor up to
    ``max_lr`` over ``pct_start`` of the ``total_steps`` (cosine by default, or
    'linear'), then down to initial / final_div_factor. ``total_steps`` or ``epochs`` and
    ``steps_per_epoch``. Stepping past total_steps raises ValueError, as PyTorch."""

    def __init__(self, optimizer: Optimizer, max_lr: float | Sequence[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        if three_phase:
            raise ValueError("OneCycleLR: three_phase=True is not supported")
        n = len(optimizer.param_groups)
        maxes: list[Any] = list(max_lr) if isinstance(max_lr, (list, tuple)) else [max_lr] * n
        self.total_steps = int(total_steps)
        self.anneal = anneal_strategy
        self.phase_end = float(pct_start * self.total_steps) - 1
        self.maxes = [float(m) for m in maxes]
        self.final_div_factor = float(final_div_factor)
        for g, m in zip(optimizer.param_groups, self.maxes):
            g["initial_lr"] = m / div_factor
            g["max_lr"] = m
            g["min_lr"] = g["initial_lr"] / final_div_factor
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def step(self) -> None:
        if self.last_epoch + 1 > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped more than total_steps={self.total_steps} "
                             "times")
        super().step()

    def lr_at(self, base: float, epoch: int, group: dict[str, Any]) -> float:
        if epoch <= self.phase_end:
            return self._anneal(base, group["max_lr"], epoch / self.phase_end)
        pct = (epoch - self.phase_end) / (self.total_steps - 1 - self.phase_end)
        return self._anneal(group["max_lr"], group["min_lr"], pct)


class ReduceLROnPlateau:
    """Multiply lr by ``factor`` when ``step(metric)`` has not improved for more than
    ``patience`` calls (PyTorch's rule, relative threshold by default), then wait
    ``cooldown`` calls; never below ``min_lr``."""

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float = 0.0, eps: float = 1e-8) -> None:
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError("ReduceLROnPlateau: mode must be 'min' or 'max' and "
                             "threshold_mode 'rel' or 'abs'")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, float(factor), int(patience)
        self.threshold, self.threshold_mode = float(threshold), threshold_mode
        self.cooldown, self.min_lr, self.eps = int(cooldown), float(min_lr), float(eps)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def _better(self, a: float) -> bool:
        t = self.threshold
        if self.mode == "min":
            edge = self.best * (1 - t) if self.threshold_mode == "rel" else self.best - t
            return a < edge
        edge = self.best * (1 + t) if self.threshold_mode == "rel" else self.best + t
        return a > edge

    def step(self, metrics: Any) -> None:
        """Record this epoch's ``metrics`` (a number) and reduce lr if it has plateaued."""
        current = float(metrics)
        self.last_epoch += 1
        if self._better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for g in self.optimizer.param_groups:
                new = max(g["lr"] * self.factor, self.min_lr)
                if g["lr"] - new > self.eps:
                    g["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

    def get_last_lr(self) -> list[float]:
        """The current learning rate of each group."""
        return [g["lr"] for g in self.optimizer.param_groups]
