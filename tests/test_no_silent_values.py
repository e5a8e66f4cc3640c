"""Values at awkward points: polynomials at 0, negative bases, NaN inputs, the spectral
norm at 0 and at tied singular values."""

import math
import warnings

import numpy as np
import pytest

import chainrule as cr


def test_x_to_the_zero_has_gradient_zero_at_zero():
    assert cr.grad(lambda x: x ** 0)(0.0) == 0.0
    assert cr.grad(lambda x: x ** 0.0)(0.0) == 0.0
    x = cr.Scalar(0.0)
    (x ** 0).backward()
    assert x.grad == 0.0
    g = cr.grad(lambda x: cr.sum(x ** np.array([0.0, 1.0, 2.0])))(np.zeros(3))
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])


def test_a_polynomial_has_finite_derivatives_at_zero():
    assert cr.grad(cr.grad(lambda x: x ** 1.0))(0.0) == 0.0
    p = lambda x: 3 * x ** 3 + 2 * x ** 2 + x ** 1.0 + 5 * x ** 0  # noqa: E731
    assert cr.grad(p)(0.0) == 1.0
    assert cr.grad(cr.grad(p))(0.0) == 4.0
    H = cr.hessian(lambda x: np.sum(x ** 1.0))(np.array([0.0, 1.0]))
    np.testing.assert_array_equal(H, np.zeros((2, 2)))


def test_a_negative_base_to_a_fractional_power_is_nan_with_numpys_warning():
    x = cr.Scalar(-4.0)
    with pytest.warns(RuntimeWarning, match="invalid value"):
        y = x ** 0.5
        y.backward()
    assert math.isnan(y.value) and isinstance(x.grad, float) and math.isnan(x.grad)
    t = cr.tensor(-4.0, requires_grad=True)
    with pytest.warns(RuntimeWarning, match="invalid value"):
        z = t ** 0.5
        z.backward()
    assert np.isnan(z.value) and np.isnan(t.grad)


def test_the_scalar_engine_propagates_nan_like_numpy():
    nan = float("nan")
    assert math.isnan(cr.relu(cr.Scalar(nan)).value)
    assert math.isnan(cr.maximum(cr.Scalar(1.0), nan).value)
    assert math.isnan(cr.maximum(cr.Scalar(nan), 1.0).value)
    assert math.isnan(cr.minimum(cr.Scalar(1.0), nan).value)
    assert math.isnan(cr.minimum(cr.Scalar(nan), 1.0).value)
    assert cr.maximum(cr.Scalar(1.0), 2.0).value == 2.0
    assert cr.minimum(cr.Scalar(1.0), 2.0).value == 1.0
    assert cr.relu(cr.Scalar(-1.0)).value == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for a, b in [(1.0, nan), (nan, 1.0), (2.0, 1.0)]:
            s = cr.maximum(cr.Scalar(a), b).value
            t = cr.maximum(cr.tensor(a), b).value
            assert (math.isnan(s) and np.isnan(t)) or s == t


def test_spectral_norm_at_zero_and_at_ties():
    g0 = cr.grad(lambda m: cr.norm(m, 2))(np.zeros((2, 2)))
    np.testing.assert_array_equal(g0, np.zeros((2, 2)))
    np.testing.assert_allclose(cr.grad(lambda m: cr.norm(m, 2))(np.eye(3)), np.eye(3) / 3)
    M = np.diag([2.0, 2.0, 1.0])
    np.testing.assert_allclose(cr.grad(lambda m: cr.norm(m, 2))(M),
                               np.diag([0.5, 0.5, 0.0]), atol=1e-12)
    rng = np.random.default_rng(1)
    A = rng.normal(size=(3, 4))
    u, s, vt = np.linalg.svd(A)
    np.testing.assert_allclose(cr.grad(lambda m: cr.norm(m, 2))(A),
                               np.outer(u[:, 0], vt[0]), atol=1e-12)
