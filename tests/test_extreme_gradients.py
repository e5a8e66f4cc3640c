"""Gradients at extreme and degenerate inputs where a textbook formula underflows or
divides 0 by 0: division by a tiny number, arctan2 and hypot near and at the origin, the
product over an empty axis. Each against torch (when installed) and closed forms."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def _grads(f, *values):
    """Gradients of sum(f(*inputs)) with respect to each input (Tensors)."""
    xs = [cr.tensor(np.asarray(v, dtype=float), requires_grad=True) for v in values]
    f(*xs).sum().backward()
    return [x.grad for x in xs]


def _torch_grads(f, *values):
    xs = [torch.tensor(np.asarray(v, dtype=float), requires_grad=True) for v in values]
    f(*xs).sum().backward()
    return [x.grad.numpy() for x in xs]


# -- division ---------------------------------------------------------------------------
TINY = np.array([1e-200, -3e-170, 2.5e-300, 1e-160, 1e-155])


def test_a_quotient_by_tiny_numbers_has_finite_gradients_where_they_are():
    x = np.array([1e-200, 4e-170, -2.5e-300, 1.5e-160, 1e-310])
    gx, gy = _grads(lambda a, b: a / b, x, TINY)
    exact = [float(-Fraction(a) / Fraction(b) ** 2) for a, b in zip(x, TINY)]
    np.testing.assert_allclose(gy, exact, rtol=1e-15)
    np.testing.assert_allclose(gx, [float(1 / Fraction(b)) for b in TINY], rtol=1e-15)
    assert np.all(np.isfinite(gy))


@needs_torch
def test_a_quotient_by_tiny_numbers_matches_torch():
    x = np.array([1.0, 1e-200, 4e-170, -2.5e-300, 3.0])
    y = np.array([1e-200, 1e-200, -3e-170, 2.5e-300, 1e-300])
    with np.errstate(over="ignore"):
        ours = _grads(lambda a, b: a / b, x, y)
    for o, t in zip(ours, _torch_grads(lambda a, b: a / b, x, y)):
        np.testing.assert_allclose(o, t, rtol=1e-15)    # -1/y**2 overflows to -inf in both

