"""Weight initializations (Kaiming/He and Xavier/Glorot), drawn from a seedable numpy
``Generator`` so that a network is reproducible from one integer.

Each function returns a plain ndarray of ``shape`` and ``dtype``; a layer wraps it in a
``Tensor(..., requires_grad=True)``. ``fan_in``/``fan_out`` are read from a weight of shape
``(in_features, out_features)``, chainrule's layout (``y = x @ W + b``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Rng = np.random.Generator | int | None

GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}


def generator(rng: Rng = None) -> np.random.Generator:
    """``rng`` as a numpy Generator: an int seeds a new one, None draws a fresh seed, a
    Generator is used as it is (so several layers can share one stream)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
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
    """(fan_in, fan_out) of a weight of ``shape`` = (in_features, out_features)."""
    if len(shape) < 2:
        raise ValueError(f"fans: a weight needs at least 2 dimensions, got shape {shape}")
    return int(shape[0]), int(shape[1])


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
    their scale through ReLU layers. ``shape`` is (in_features, out_features)."""
    fan_in, _ = fans(shape)
    return _draw(shape, gain(nonlinearity) / math.sqrt(fan_in), dist, rng, dtype)


def xavier(shape: tuple[int, ...], *, nonlinearity: str = "linear", dist: str = "uniform",
           rng: Rng = None, dtype: Any = np.float64) -> np.ndarray:
    """Glorot initialization: standard deviation ``gain * sqrt(2 / (fan_in + fan_out))``,
    for tanh/sigmoid/linear layers. ``shape`` is (in_features, out_features)."""
    fan_in, fan_out = fans(shape)
    return _draw(shape, gain(nonlinearity) * math.sqrt(2.0 / (fan_in + fan_out)), dist, rng,
                 dtype)
