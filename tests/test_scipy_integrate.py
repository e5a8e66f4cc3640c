"""chainrule.scipy.integrate.odeint: scipy's values, adjoint gradients vs central
differences of scipy's own solution (solved tightly), and the documented refusals."""

from __future__ import annotations

import numpy as np
import pytest

si = pytest.importorskip("scipy.integrate")

import chainrule as cr  # noqa: E402
from chainrule.scipy.integrate import odeint  # noqa: E402

Y0, K, C = np.array([1.0, 2.0]), np.array([0.5, 1.5]), 0.3
T = np.linspace(0.0, 2.0, 5)
U = np.random.default_rng(0).normal(size=(5, 2))


def decay(y, t, k, c):
    return -k * y + c * cr.sin(t)


def _loss_np(y0, k, c):
    ys = si.odeint(lambda y, t: -k * y + c * np.sin(t), y0, T, rtol=1e-12, atol=1e-12)
    return np.sum(ys * U)


def test_values_are_scipys():
    ys = odeint(decay, cr.tensor(Y0, requires_grad=True), T, (K, C))
    assert ys.shape == (5, 2)
    np.testing.assert_array_equal(ys.value, si.odeint(lambda y, t: -K * y + C * np.sin(t),
                                                      Y0, T))


def test_adjoint_gradients_match_finite_differences():
    g0, gk, gc = cr.grad(lambda y0, k, c: cr.sum(odeint(decay, y0, T, (k, c)) * U),
                         argnums=(0, 1, 2))(Y0, K, C)
    eps = 1e-5
    fd0 = [(_loss_np(Y0 + eps * e, K, C) - _loss_np(Y0 - eps * e, K, C)) / (2 * eps)
           for e in np.eye(2)]
    fdk = [(_loss_np(Y0, K + eps * e, C) - _loss_np(Y0, K - eps * e, C)) / (2 * eps)
           for e in np.eye(2)]
    fdc = (_loss_np(Y0, K, C + eps) - _loss_np(Y0, K, C - eps)) / (2 * eps)
    np.testing.assert_allclose(g0, fd0, rtol=1e-5)
    np.testing.assert_allclose(gk, fdk, rtol=1e-5)
    assert gc == pytest.approx(fdc, rel=1e-5)


def test_jacobian_through_the_adjoint_matches_the_closed_form():
    # dy/dt = -k y: y(t) = y0 exp(-k t), so d y(t) / d y0 = diag(exp(-k t))
    jac = cr.jacobian(lambda y0: odeint(lambda y, t, k: -k * y, y0, T, (K,)))(Y0)
    expected = np.stack([np.diag(np.exp(-K * t)) for t in T])
    np.testing.assert_allclose(jac, expected, rtol=1e-6, atol=1e-8)


def test_refusals():
    with pytest.raises(TypeError, match="times t"):
        odeint(decay, Y0, cr.tensor(T, requires_grad=True), (K, C))
    with pytest.raises(ValueError, match="1-d sequence"):
        odeint(decay, Y0, np.ones((2, 2)), (K, C))
    with pytest.raises(NotImplementedError, match="second derivatives"):
        cr.hessian(lambda y0: cr.sum(odeint(decay, y0, T, (K, C))))(Y0)
