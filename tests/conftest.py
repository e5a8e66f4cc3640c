"""Oracles shared by the core's test files: central finite differences in float64.

These helpers are deliberately independent of chainrule (plain numpy), so they can judge it;
``cr.gradcheck`` is itself under test and is never used as an oracle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

EPS = 1e-6


def numeric_jacobian(f: Callable[..., object], args: Sequence[np.ndarray], i: int,
                     eps: float = EPS) -> np.ndarray:
    """d f(*args) / d args[i] by central differences: shape ``out.shape + args[i].shape``.

    ``f`` takes float64 arrays and returns a number or an array (anything np.asarray takes).
    """
    arrays = [np.array(a, dtype=np.float64) for a in args]
    x = arrays[i]
    out_shape = np.shape(np.asarray(f(*arrays), dtype=np.float64))
    jac = np.zeros(out_shape + x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        plus = np.asarray(f(*arrays), dtype=np.float64)
        x[idx] = old - eps
        minus = np.asarray(f(*arrays), dtype=np.float64)
        x[idx] = old
        jac[(Ellipsis,) + idx] = (plus - minus) / (2 * eps)
    return jac


def numeric_grad(f: Callable[..., object], args: Sequence[np.ndarray], i: int = 0,
                 eps: float = EPS) -> np.ndarray:
    """Gradient of a one-number ``f`` with respect to ``args[i]``, shape ``args[i].shape``."""
    jac = numeric_jacobian(f, args, i, eps)
    return jac.reshape(np.shape(args[i]))


def sample_away(rng: np.random.Generator, low: float, high: float, shape: tuple[int, ...],
                avoid: Sequence[float] = (), margin: float = 0.15) -> np.ndarray:
    """Uniform float64 samples in [low, high) at least ``margin`` away from every ``avoid``
    point (kinks, poles), drawn again until they are."""
    x = rng.uniform(low, high, size=shape)
    for _ in range(1000):
        bad = np.zeros(shape, dtype=bool)
        for a in avoid:
            bad |= np.abs(x - a) < margin
        if not bad.any():
            return x
        x = np.where(bad, rng.uniform(low, high, size=shape), x)
    raise AssertionError(f"could not sample [{low}, {high}) away from {avoid}")
