"""Oracles shared by the core's test files: central finite differences in float64.

These helpers are deliberately independent of chainrule (plain numpy), so they can judge it;
``cr.gradcheck`` is itself under test and is never used as an oracle.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (a red CI must be reproducible);
# HYPOTHESIS_PROFILE=explore draws new ones.
settings.register_profile("repeatable", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

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


# -- the Scalar engine's two backward loops --------------------------------------------------

@pytest.fixture(params=["float loop", "both loops"])
def scalar_loops(request, monkeypatch):
    """Run a Scalar test as it is (``backward()`` takes the float-specialised loop), and
    again with every ``backward()`` run through both loops from the same starting
    gradients: the general loop's gradients must equal the float loop's bit for bit
    (same numbers, same sign of zero, same NaNs), and an error in one must be an error of
    the same type in the other."""
    if request.param == "float loop":
        yield
        return
    import chainrule.scalar as scalar_module
    from chainrule.core import Mode, walk
    from chainrule.core.backward import backprop as real

    def both(root, seed, mode, **options):
        if not mode.floats or options:
            return real(root, seed, mode, **options)
        nodes = walk(root)
        before = [n.grad for n in nodes]
        fast_error = None
        try:
            real(root, seed, mode)
        except Exception as exc:  # compared with the general loop's below
            fast_error = exc
        fast = [repr(n.grad) for n in nodes]
        for n, g in zip(nodes, before):
            n.grad = g
        general = Mode(mode.math, mode.graph, mode.sum_to, mode.own, mode.fallback,
                       floats=False)
        try:
            real(root, seed, general)
        except Exception as exc:
            assert fast_error is not None and type(exc) is type(fast_error), (
                f"only the general loop raised {exc!r}")
            raise
        assert fast_error is None, f"only the float loop raised {fast_error!r}"
        assert [repr(n.grad) for n in nodes] == fast, "the two loops disagree"
        return {}

    monkeypatch.setattr(scalar_module, "backprop", both)
    yield
