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


def _loss_np_t(t, y0=Y0, k=K, c=C):
    ys = si.odeint(lambda y, t: -k * y + c * np.sin(t), y0, t, rtol=1e-12, atol=1e-12)
    return np.sum(ys * U)


def test_gradient_in_the_output_times_matches_finite_differences():
    gt = cr.grad(lambda t: cr.sum(odeint(decay, Y0, t, (K, C)) * U))(T)
    eps = 1e-5
    fd = [(_loss_np_t(T + eps * e) - _loss_np_t(T - eps * e)) / (2 * eps) for e in np.eye(5)]
    np.testing.assert_allclose(gt, fd, rtol=1e-5, atol=1e-8)
    # t_i for i > 0 moves only y(t_i): g_i . func(y(t_i), t_i)
    ys = si.odeint(lambda y, t: -K * y + C * np.sin(t), Y0, T)
    direct = [U[i] @ (-K * ys[i] + C * np.sin(T[i])) for i in range(1, 5)]
    np.testing.assert_allclose(gt[1:], direct, rtol=1e-6)


def test_second_derivatives_match_finite_differences_of_the_gradient():
    def loss(y0, t, k):
        return cr.sum(odeint(decay, y0, t, (k, C)) * U)

    def fd_of(g, x, eps=1e-5):
        return np.stack([(g(x + eps * e) - g(x - eps * e)) / (2 * eps)
                         for e in np.eye(x.size)], -1)

    grad_t = cr.grad(loss, 1)
    # d/dk of the gradient in t; d/dt of the gradient in y0; d/dy0 of the gradient in y0
    mixed = cr.jacobian(lambda k: grad_t(Y0, T, k))(K)
    np.testing.assert_allclose(mixed, fd_of(lambda k: grad_t(Y0, T, k), K), rtol=1e-4,
                               atol=1e-6)
    grad_y0 = cr.grad(loss, 0)
    np.testing.assert_allclose(cr.jacobian(lambda t: grad_y0(Y0, t, K))(T),
                               fd_of(lambda t: grad_y0(Y0, t, K), T), rtol=1e-4, atol=1e-6)
    # a nonlinear system, so the Hessian in y0 is not zero
    def logistic(y, t, r):
        return r * y * (1 - y)

    def loss2(y0):
        return cr.sum(odeint(logistic, y0, T, (1.3,)) * U)

    hess = cr.hessian(loss2)(np.array([0.2, 0.6]))
    assert np.abs(hess).max() > 0.1
    np.testing.assert_allclose(hess, fd_of(cr.grad(loss2), np.array([0.2, 0.6])),
                               rtol=1e-4, atol=1e-6)


def test_forward_mode_matches_reverse_mode():
    def f(y0, t):
        return odeint(decay, y0, t, (K, C))

    np.testing.assert_allclose(cr.jacfwd(f, 1)(Y0, T), cr.jacobian(f, 1)(Y0, T),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(cr.jacfwd(f, 0)(Y0, T), cr.jacobian(f, 0)(Y0, T),
                               rtol=1e-6, atol=1e-8)


def test_one_time_and_a_time_independent_func():
    # a single time: y(t0) = y0, so the gradient in y0 is the cotangent and t0 gets 0
    gy, gt = cr.grad(lambda y0, t: cr.sum(odeint(decay, y0, t, (K, C)) * U[0]),
                     argnums=(0, 1))(Y0, T[:1])
    np.testing.assert_allclose(gy, U[0])
    np.testing.assert_allclose(gt, [0.0])
    # dy/dt = -k y: moving t_0 forward by s is moving every y(t_i) back by s
    gt = cr.grad(lambda t: cr.sum(odeint(lambda y, t, k: -k * y, Y0, t, (K,)) * U))(T)
    ys = Y0 * np.exp(-np.outer(T - T[0], K))
    np.testing.assert_allclose(gt[0], np.sum(U[1:] * K * ys[1:]), rtol=1e-6)


def test_refusals():
    with pytest.raises(ValueError, match="1-d sequence"):
        odeint(decay, Y0, np.ones((2, 2)), (K, C))


def test_third_derivative_matches_finite_differences_of_the_second():
    def loss(y0):
        return cr.sum(odeint(lambda y, t, r: r * y * (1 - y), y0, T[:3], (1.3,)))

    second = cr.grad(cr.grad(loss))
    third = cr.grad(second)(0.3)
    eps = 1e-4
    assert third == pytest.approx((second(0.3 + eps) - second(0.3 - eps)) / (2 * eps), rel=1e-5)
