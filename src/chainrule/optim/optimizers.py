"""Optimizers with PyTorch's update rules: ``SGD`` (momentum, Nesterov, weight decay),
``Adam``, ``AdamW``, ``RMSprop`` and ``Adagrad``.

An optimizer holds parameter groups (``param_groups``: dicts with ``params`` and the
hyperparameters, so each group can have its own ``lr`` or ``weight_decay``), built from a
list of parameters (leaf Tensors with ``requires_grad=True``) or a list of such dicts.
``step()`` reads each ``p.grad`` and updates ``p.data`` in place, in the parameter's dtype
(float32 parameters stay float32); parameters whose ``grad`` is None are skipped.
``zero_grad()`` sets every ``p.grad`` to None (``set_to_none=False``: fills it with 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np

from ..core.node import GRAD_SLOT
from ..tensor import Tensor
from ..validation import distinct, positive

# The stored gradient array itself (Tensor.grad gives users a view with PyTorch's methods).
_get_grad, _set_grad = GRAD_SLOT.__get__, GRAD_SLOT.__set__

_AXPY: dict[np.dtype, Any] | None = None
"""BLAS's saxpy/daxpy from SciPy by dtype, once looked up ({} without SciPy)."""

AXPY_MIN_SIZE = 1024
"""Below this many elements an update is cheaper through numpy than through a BLAS call."""


def _axpy(dtype: np.dtype) -> Any:
    global _AXPY
    if _AXPY is None:
        try:
            from scipy.linalg import blas
        except ImportError:
            _AXPY = {}
        else:
            _AXPY = {np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy}
    return _AXPY.get(dtype)


def descend(w: np.ndarray, g: np.ndarray, lr: float) -> None:
    """``w -= lr * g`` in place. Where SciPy is installed, a large float32/float64 ``w``
    and ``g`` of one shape, dtype and memory order are updated by one BLAS axpy
    (``w += (-lr) g`` in a single pass with no temporary: PyTorch's ``add_(g, alpha=-lr)``,
    whose fused multiply-add can differ from ``w - lr * g`` in the last bit); otherwise
    by numpy, with one temporary."""
    if (g.__class__ is np.ndarray and w.size >= AXPY_MIN_SIZE and g.dtype == w.dtype
            and g.shape == w.shape):
        axpy = _axpy(w.dtype)
        if axpy is not None:
            wf, gf = w.flags, g.flags
            order: Literal["C", "F"] | None = (
                "C" if wf.c_contiguous and gf.c_contiguous else
                "F" if wf.f_contiguous and gf.f_contiguous else None)
            if order is not None and wf.writeable:
                flat = w.ravel(order)       # a view: the same memory, in its own order
                out = axpy(g.ravel(order), flat, a=-lr)
                if out is not flat:         # (BLAS wrote elsewhere: never seen, but safe)
                    flat[...] = out
                return
    w -= lr * g


class Optimizer:
    """Base class: ``param_groups`` (each a dict: ``params`` and hyperparameters, the
    defaults filled in) and per-parameter ``state`` (keyed by the Tensor)."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        given = list(params)
        if not given:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = given if isinstance(given[0], dict) else [{"params": given}]
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        for g in groups:
            self.add_param_group(g)
        self.state: dict[Tensor, dict[str, Any]] = {}

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group: ``{"params": [...], "lr": ...}``; missing hyperparameters take the
        optimizer's defaults. Raises TypeError for a parameter that is not a leaf Tensor
        with requires_grad, ValueError for a bad hyperparameter."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{type(self).__name__}: a parameter group is a dict with "
                            "'params'")
        ps = group["params"]
        ps = [ps] if isinstance(ps, Tensor) else list(ps)
        name = type(self).__name__
        for i, p in enumerate(ps):
            if not (isinstance(p, Tensor) and p.requires_grad and p.is_leaf):
                raise TypeError(f"{name}: parameter {i} must be a leaf Tensor "
                                f"with requires_grad=True, got {p!r:.80}")
            if p.value.dtype.kind == "c":
                raise TypeError(f"{name}: parameter {i} is complex; the optimizers update "
                                "real parameters (the gradient of a complex one is dL/dx - "
                                "i dL/dy, whose descent direction is its conjugate): keep "
                                "its real and imaginary parts as two real parameters")
            if not p.value.flags.writeable:
                raise ValueError(f"{name}: parameter {i}'s data is read-only; an optimizer "
                                 "updates it in place (give it a writable copy)")
        distinct(name, [*self.params, *ps])      # a parameter listed twice: refused
        full = {**self.defaults, **group, "params": ps}
        self._check(full)
        full.setdefault("initial_lr", full["lr"])
        self.param_groups.append(full)

    def _check(self, group: dict[str, Any]) -> None:
        name = type(self).__name__
        group["lr"] = positive(name, "lr", group["lr"])
        for key in ("weight_decay", "momentum", "dampening"):
            if key in group:
                group[key] = positive(name, key, group[key], zero=True)
        if "eps" in group:
            group["eps"] = positive(name, "eps", group["eps"])

    @property
    def params(self) -> list[Tensor]:
        """Every parameter of every group, in order."""
        return [p for g in self.param_groups for p in g["params"]]

    @property
    def lr(self) -> float:
        """The first group's learning rate."""
        return float(self.param_groups[0]["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        for g in self.param_groups:
            g["lr"] = float(value)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: ``p.grad = None``, or zeros with
        ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or _get_grad(p) is None:
                    _set_grad(p, None)
                else:
                    _set_grad(p, np.zeros_like(p.value))

    def step(self, closure: Any = None) -> Any:
        """Update every parameter that has a gradient, in place. ``closure`` (optional)
        recomputes the loss first and its value is returned."""
        loss = closure() if closure is not None else None
        state, update = self.state, self._update
        for group in self.param_groups:
            if self._plain(group):
                self._plain_step(group)
                continue
            for p in group["params"]:
                g = _get_grad(p)    # the stored array itself, not the view users get
                if g is not None:
                    s = state.get(p)
                    if s is None:
                        s = state[p] = {}
                    update(p.value, g if g.__class__ is np.ndarray else np.asarray(g), s,
                           group)
                    p._mark_written()   # graphs recorded before the step refuse to use it
        return loss

    def _plain(self, group: dict[str, Any]) -> bool:
        """Whether ``group`` takes :meth:`_plain_step` (no state, one update per array)."""
        return False

    def _plain_step(self, group: dict[str, Any]) -> None:
        raise NotImplementedError

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """The hyperparameters of each group and each parameter's state, by position."""
        index = {id(p): i for i, p in enumerate(self.params)}
        return {"param_groups": [{k: v for k, v in g.items() if k != "params"}
                                 for g in self.param_groups],
                "state": {index[id(p)]: {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                         for k, v in s.items()}
                          for p, s in self.state.items()}}


class SGD(Optimizer):
    """Stochastic gradient descent. With ``weight_decay`` wd, g = grad + wd * w; with
    ``momentum`` m, buf = m * buf + (1 - dampening) g (buf = g at the first step) and
    w -= lr * buf; ``nesterov`` uses g + m * buf instead of buf. Otherwise w -= lr * g."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum}")
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov needs a momentum > 0")
        super().__init__(params, {"lr": lr, "momentum": float(momentum),
                                  "dampening": float(dampening),
                                  "weight_decay": float(weight_decay), "nesterov": nesterov})

    def _plain(self, group: dict[str, Any]) -> bool:
        return not (group["weight_decay"] or group["momentum"])

    def _plain_step(self, group: dict[str, Any]) -> None:
        # w -= lr * g for every parameter with a gradient, as _update does without
        # momentum or weight decay, keeping no state (torch's SGD keeps none either)
        lr = group["lr"]
        for p in group["params"]:
            g = _get_grad(p)
            if g is not None:
                descend(p.value, g if g.__class__ is np.ndarray else np.asarray(g), lr)
                p._mark_written()

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        wd, m = group["weight_decay"], group["momentum"]
        if wd:
            g = g + wd * w
        if m:
            buf = state.get("momentum")
            if buf is None:
                buf = state["momentum"] = g.copy()
            else:
                buf *= m
                buf += (1 - group["dampening"]) * g
            g = g + m * buf if group["nesterov"] else buf
        descend(w, g, group["lr"])


class Adam(Optimizer):
    """Adam (Kingma & Ba): m = b1 m + (1-b1) g, v = b2 v + (1-b2) g**2, then
    w -= lr * m_hat / (sqrt(v_hat) + eps) with the bias corrections m_hat = m / (1-b1**t),
    v_hat = v / (1-b2**t). ``weight_decay`` adds wd * w to g first (L2, as torch.optim.Adam)."""

    decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        b1, b2 = betas
        name = type(self).__name__
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"{name}: betas must be in [0, 1), got {betas}")
        if eps <= 0 or weight_decay < 0:
            raise ValueError(f"{name}: eps must be > 0 and weight_decay >= 0, got eps={eps}, "
                             f"weight_decay={weight_decay}")
        super().__init__(params, {"lr": lr, "betas": (float(b1), float(b2)),
                                  "eps": float(eps), "weight_decay": float(weight_decay)})

    @property
    def betas(self) -> tuple[float, float]:
        return self.param_groups[0]["betas"]

    @property
    def eps(self) -> float:
        return float(self.param_groups[0]["eps"])

    @property
    def weight_decay(self) -> float:
        return float(self.param_groups[0]["weight_decay"])

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        b1, b2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        if wd and self.decoupled:
            w *= 1 - lr * wd
        elif wd:
            g = g + wd * w
        if not state:
            state["t"] = 0
            state["m"] = np.zeros_like(w)
            state["v"] = np.zeros_like(w)
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        # torch.optim.Adam's own form: the bias corrections folded into two scalars, every
        # array operation in place in one scratch array
        tmp = np.multiply(g, 1 - b1, dtype=m.dtype)
        m *= b1
        m += tmp
        np.multiply(g, g, out=tmp, casting="same_kind")
        tmp *= 1 - b2
        v *= b2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp /= math.sqrt(1 - b2 ** t)
        tmp += group["eps"]
        np.divide(m, tmp, out=tmp)
        tmp *= lr / (1 - b1 ** t)
        w -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): w *= 1 - lr * wd before the
    Adam step, which sees the plain gradient. ``weight_decay`` defaults to 0.01, as in
    PyTorch."""

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


class RMSprop(Optimizer):
    """RMSprop as PyTorch's: v = alpha v + (1 - alpha) g**2, w -= lr * g / (sqrt(v) + eps);
    with ``momentum`` m, buf = m buf + g / (sqrt(v) + eps) and w -= lr * buf;
    ``centered`` divides by sqrt(v - mean(g)**2) instead."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        if not 0.0 <= alpha <= 1.0 or eps <= 0 or momentum < 0:
            raise ValueError(f"RMSprop: need 0 <= alpha <= 1, eps > 0, momentum >= 0; got "
                             f"alpha={alpha}, eps={eps}, momentum={momentum}")
        super().__init__(params, {"lr": lr, "alpha": float(alpha), "eps": float(eps),
                                  "weight_decay": float(weight_decay),
                                  "momentum": float(momentum), "centered": centered})

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if group["weight_decay"]:
            g = g + group["weight_decay"] * w
        a = group["alpha"]
        if not state:
            state["square_avg"] = np.zeros_like(w)
            if group["momentum"]:
                state["momentum_buffer"] = np.zeros_like(w)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(w)
        v = state["square_avg"]
        v *= a
        v += (1 - a) * g * g
        if group["centered"]:
            ga = state["grad_avg"]
            ga *= a
            ga += (1 - a) * g
            denom = np.sqrt(v - ga * ga) + group["eps"]
        else:
            denom = np.sqrt(v) + group["eps"]
        if group["momentum"]:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += g / denom
            w -= group["lr"] * buf
        else:
            w -= group["lr"] * g / denom


class Adagrad(Optimizer):
    """Adagrad as PyTorch's: s += g**2, w -= clr * g / (sqrt(s) + eps) with
    clr = lr / (1 + (t - 1) * lr_decay); ``initial_accumulator_value`` starts s."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        if lr_decay < 0 or initial_accumulator_value < 0 or eps <= 0:
            raise ValueError("Adagrad: need lr_decay >= 0, initial_accumulator_value >= 0 "
                             "and eps > 0")
        super().__init__(params, {"lr": lr, "lr_decay": float(lr_decay),
                                  "weight_decay": float(weight_decay),
                                  "initial_accumulator_value": float(initial_accumulator_value),
                                  "eps": float(eps)})

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(w, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * w
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"]
        s += g * g
        w -= clr * g / (np.sqrt(s) + group["eps"])
