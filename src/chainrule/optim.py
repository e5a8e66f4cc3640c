"""Optimizers: ``SGD`` (momentum, weight decay) and ``Adam``, with PyTorch's update rules.

An optimizer holds a list of parameters (leaf Tensors with ``requires_grad=True``).
``step()`` reads each ``p.grad`` and updates ``p.data`` in place, in the parameter's dtype
(float32 parameters stay float32); parameters whose ``grad`` is None are skipped.
``zero_grad()`` sets every ``p.grad`` to None.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .tensor import Tensor
from .validation import distinct, positive


class Optimizer:
    """Base class: keeps the parameter list and per-parameter state (``state[i]``)."""

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = distinct(type(self).__name__, params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, p in enumerate(self.params):
            if not (isinstance(p, Tensor) and p.requires_grad and p.is_leaf):
                raise TypeError(f"{type(self).__name__}: parameter {i} must be a leaf Tensor "
                                f"with requires_grad=True, got {p!r:.80}")
        self.lr = positive(type(self).__name__, "lr", lr)
        for i, p in enumerate(self.params):
            if not p.value.flags.writeable:
                raise ValueError(f"{type(self).__name__}: parameter {i}'s data is read-only; "
                                 "an optimizer updates it in place (give it a writable copy)")
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``p.grad = None``)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for p, state in zip(self.params, self.state):
            if p.grad is not None:
                self._update(p.value, np.asarray(p.grad), state)
                p._mark_written()   # graphs recorded before the step refuse to use it

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent. With ``weight_decay`` wd, g = grad + wd * w; with
    ``momentum`` m, buf = m * buf + g (buf = g at the first step) and w -= lr * buf;
    ``nesterov`` uses g + m * buf instead of buf. Otherwise w -= lr * g."""

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, lr)
        momentum = positive("SGD", "momentum", momentum, zero=True)
        weight_decay = positive("SGD", "weight_decay", weight_decay, zero=True)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum}")
        if weight_decay < 0:
            raise ValueError(f"SGD: weight_decay must be >= 0, got {weight_decay}")
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov needs a momentum > 0")
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        self.nesterov = nesterov

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * w
        if self.momentum:
            buf = state.get("momentum")
            if buf is None:
                buf = state["momentum"] = g.copy()
            else:
                buf *= self.momentum
                buf += g
            g = g + self.momentum * buf if self.nesterov else buf
        w -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba): m = b1 m + (1-b1) g, v = b2 v + (1-b2) g**2, then
    w -= lr * m_hat / (sqrt(v_hat) + eps) with the bias corrections m_hat = m / (1-b1**t),
    v_hat = v / (1-b2**t). ``weight_decay`` adds wd * w to g first (L2, as torch.optim.Adam)."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        eps = positive("Adam", "eps", eps)
        weight_decay = positive("Adam", "weight_decay", weight_decay, zero=True)
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"Adam: betas must be in [0, 1), got {betas}")
        if eps <= 0 or weight_decay < 0:
            raise ValueError(f"Adam: eps must be > 0 and weight_decay >= 0, got eps={eps}, "
                             f"weight_decay={weight_decay}")
        self.betas = (float(b1), float(b2))
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        b1, b2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * w
        if not state:
            state["t"] = 0
            state["m"] = np.zeros_like(w)
            state["v"] = np.zeros_like(w)
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        w -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
