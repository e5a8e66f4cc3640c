"""Weight initializations (Kaiming/He and Xavier/Glorot), drawn from a seedable numpy
``Generator`` so that a network is reproducible from one integer.

Each function returns a plain ndarray of ``shape`` and ``dtype``; a layer wraps it in a
``Tensor(..., requires_grad=True)``. ``fan_in``/``fan_out`` are read from a weight of shape
``(out_features, in_features)``, PyTorch's layout (``y = x @ W.T + b``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..seeding import default_generator
from ..tensor import Tensor

Rng = np.random.Generator | int | None

GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}


def generator(rng: Rng = None) -> np.random.Generator:
    """``rng`` as a numpy Generator: an int seeds a new one, None is the global stream
    that ``cr.manual_seed`` restarts, a Generator is used as it is (so several layers can
    share one stream)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return default_generator()
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got "
                    f"{type(rng).__name__}")


def gain(nonlinearity: str) -> float:
    """The recommended scale for weights feeding ``nonlinearity`` ('relu': sqrt(2),
    'tanh': 5/3, 'linear'/'sigmoid': 1)."""
    try:
        return GAINS[nonlinearity]
    except KeyError:
        raise ValueError(f"gain: unknown nonlinearity {nonlinearity!r}; known: "
                         f"{sorted(GAINS)}") from None


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape`` = (out_features, in_features, *kernel),
    PyTorch's layout: fan_in = in * prod(kernel), fan_out = out * prod(kernel)."""
    if len(shape) < 2:
        raise ValueError(f"fans: a weight needs at least 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return int(shape[1]) * receptive, int(shape[0]) * receptive


def _draw(shape: tuple[int, ...], std: float, dist: str, rng: Rng, dtype: Any) -> np.ndarray:
    gen = generator(rng)
    if dist == "uniform":
        bound = math.sqrt(3.0) * std   # U(-b, b) has standard deviation b / sqrt(3)
        out = gen.uniform(-bound, bound, size=shape)
    elif dist == "normal":
        out = gen.normal(0.0, std, size=shape)
    else:
        raise ValueError(f"unknown distribution {dist!r}; use 'uniform' or 'normal'")
    return out.astype(dtype, copy=False)


def kaiming(shape: tuple[int, ...], *, nonlinearity: str = "relu", dist: str = "uniform",
            rng: Rng = None, dtype: Any = np.float64) -> np.ndarray:
    """He initialization: standard deviation ``gain / sqrt(fan_in)``, so activations keep
    their scale through ReLU layers. ``shape`` is (out_features, in_features)."""
    fan_in, _ = fans(shape)
    return _draw(shape, gain(nonlinearity) / math.sqrt(fan_in), dist, rng, dtype)


def xavier(shape: tuple[int, ...], *, nonlinearity: str = "linear", dist: str = "uniform",
           rng: Rng = None, dtype: Any = np.float64) -> np.ndarray:
    """Glorot initialization: standard deviation ``gain * sqrt(2 / (fan_in + fan_out))``,
    for tanh/sigmoid/linear layers. ``shape`` is (out_features, in_features)."""
    fan_in, fan_out = fans(shape)
    return _draw(shape, gain(nonlinearity) * math.sqrt(2.0 / (fan_in + fan_out)), dist, rng,
                 dtype)


# -- PyTorch's names: fill a Tensor in place, drawing from the cr.manual_seed stream -------
def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"init: expected a Tensor, got {type(t).__name__}")
    t.value[...] = values
    return t


def _torch_gain(nonlinearity: str, a: float) -> float:
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1 + a * a))
    return gain(nonlinearity)


def _fan(t: Tensor, mode: str) -> int:
    fan_in, fan_out = fans(t.shape)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform_(t: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """PyTorch's He uniform: U(-b, b), b = gain * sqrt(3 / fan)."""
    b = _torch_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(t, mode))
    return _fill(t, default_generator().uniform(-b, b, t.shape))


def kaiming_normal_(t: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """PyTorch's He normal: N(0, std), std = gain / sqrt(fan)."""
    std = _torch_gain(nonlinearity, a) / math.sqrt(_fan(t, mode))
    return _fill(t, default_generator().normal(0.0, std, t.shape))


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    """PyTorch's Glorot uniform: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(t.shape)
    b = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill(t, default_generator().uniform(-b, b, t.shape))


def xavier_normal_(t: Tensor, gain: float = 1.0) -> Tensor:
    """PyTorch's Glorot normal: N(0, gain * sqrt(2 / (fan_in + fan_out)))."""
    fan_in, fan_out = fans(t.shape)
    return _fill(t, default_generator().normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)),
                                               t.shape))


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with U(a, b) draws."""
    return _fill(t, default_generator().uniform(a, b, t.shape))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with N(mean, std) draws."""
    return _fill(t, default_generator().normal(mean, std, t.shape))


def constant_(t: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(t, np.full(t.shape, val))


def zeros_(t: Tensor) -> Tensor:
    """Fill with 0."""
    return constant_(t, 0.0)


def ones_(t: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(t, 1.0)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's gains: 'relu' sqrt(2), 'tanh' 5/3, 'leaky_relu' sqrt(2 / (1 + a**2)),
    'linear'/'sigmoid' 1."""
    return _torch_gain(nonlinearity, 0.01 if param is None else param)
