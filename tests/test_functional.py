"""The functional API: grad, value_and_grad, jacobian, hessian (HIPS autograd / JAX style),
against closed forms and central differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import numeric_grad, numeric_jacobian

import chainrule as cr


def test_grad_of_a_float_is_a_float():
    g = cr.grad(lambda x: x ** 3 + cr.sin(x))(2.0)
    assert type(g) is float
    assert g == pytest.approx(3 * 4.0 + math.cos(2.0), rel=1e-14)


def test_grad_of_an_int_argument_is_a_float():
    g = cr.grad(lambda x: x * x)(3)
    assert type(g) is float and g == 6.0


def test_grad_of_a_list_is_an_ndarray_of_its_shape():
    g = cr.grad(lambda x: cr.sum(x * x))([1.0, 2.0, 3.0])
    assert isinstance(g, np.ndarray) and g.shape == (3,)
    np.testing.assert_array_equal(g, [2.0, 4.0, 6.0])


def test_grad_of_an_ndarray_has_its_shape():
    x = np.arange(6.0).reshape(2, 3) / 4
    g = cr.grad(lambda x: cr.sum(cr.exp(x)))(x)
    assert isinstance(g, np.ndarray) and g.shape == (2, 3)
    np.testing.assert_allclose(g, np.exp(x), rtol=1e-15)


def test_grad_accepts_functions_written_with_numpy():
    x = np.array([0.3, -1.2, 2.0])
    g = cr.grad(lambda x: np.sum(np.sin(x) * np.exp(x)))(x)
    np.testing.assert_allclose(g, np.cos(x) * np.exp(x) + np.sin(x) * np.exp(x), rtol=1e-14)


def test_grad_with_argnums_tuple_returns_a_tuple():
    f = lambda x, y, z: x * y ** 2 + z  # noqa: E731
    gx, gz = cr.grad(f, argnums=(0, 2))(2.0, 3.0, 5.0)
    assert (gx, gz) == (9.0, 1.0)
    (gy,) = cr.grad(f, argnums=(1,))(2.0, 3.0, 5.0)
    assert gy == 12.0


def test_grad_with_negative_argnums_counts_from_the_end():
    assert cr.grad(lambda x, y: x * y, argnums=-1)(2.0, 3.0) == 2.0


def test_grad_argnums_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match="argnums 2"):
        cr.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)


def test_grad_of_a_vector_valued_function_says_to_use_jacobian():
    with pytest.raises(TypeError, match=r"\(3,\).*jacobian"):
        cr.grad(lambda x: x * 2)(np.ones(3))


def test_grad_of_an_unused_argument_is_zero_and_says_so():
    with pytest.warns(cr.IndependentOutputWarning, match="does not depend on argument 1"):
        g = cr.grad(lambda x, y: cr.sum(x * 2), argnums=1)(np.ones(2), np.ones((2, 3)))
    np.testing.assert_array_equal(g, np.zeros((2, 3)))


def test_grad_does_not_mutate_or_touch_its_inputs():
    x = np.array([1.0, -2.0, 0.5])
    before = x.copy()
    cr.grad(lambda x: cr.sum(x ** 2))(x)
    np.testing.assert_array_equal(x, before)


def test_value_and_grad_returns_both():
    v, g = cr.value_and_grad(lambda x: cr.sum(cr.tanh(x)))(np.array([0.5, -1.0]))
    assert v == pytest.approx(math.tanh(0.5) + math.tanh(-1.0), rel=1e-15)
    np.testing.assert_allclose(g, 1 - np.tanh([0.5, -1.0]) ** 2, rtol=1e-14)


def test_value_and_grad_with_argnums_tuple():
    v, (gx, gy) = cr.value_and_grad(lambda x, y: x / y, argnums=(0, 1))(3.0, 2.0)
    assert v == 1.5 and gx == 0.5 and gy == -0.75


def test_jacobian_shape_is_output_then_input_and_matches_closed_form():
    W = np.array([[1.0, -2.0, 0.5], [0.3, 0.0, 4.0]])
    x = np.array([0.2, -0.7, 1.1])
    J = cr.jacobian(lambda x: cr.matmul(W, cr.sin(x)))(x)
    assert J.shape == (2, 3)
    np.testing.assert_allclose(J, W * np.cos(x), rtol=1e-14)


def test_jacobian_of_matrix_to_matrix_matches_finite_differences():
    X = np.array([[0.2, -0.7, 1.1], [0.4, 0.9, -1.5]])
    f = lambda X: cr.softmax(X, axis=0) * 3  # noqa: E731
    J = cr.jacobian(f)(X)
    assert J.shape == (2, 3, 2, 3)
    numeric = numeric_jacobian(lambda X: np.exp(X) / np.exp(X).sum(0) * 3, [X], 0)
    np.testing.assert_allclose(J, numeric, rtol=1e-6, atol=1e-8)


def test_jacobian_of_a_scalar_function_has_the_input_shape():
    J = cr.jacobian(lambda x: cr.sum(x ** 2))(np.array([1.0, 2.0]))
    assert J.shape == (2,)
    np.testing.assert_allclose(J, [2.0, 4.0])


def test_jacobian_argnums_tuple():
    Jx, Jy = cr.jacobian(lambda x, y: x * y, argnums=(0, 1))(np.array([1.0, 2.0]),
                                                             np.array([3.0, 4.0]))
    np.testing.assert_array_equal(Jx, np.diag([3.0, 4.0]))
    np.testing.assert_array_equal(Jy, np.diag([1.0, 2.0]))


def test_hessian_of_quadratic_form_is_symmetric_part_of_matrix():
    A = np.array([[2.0, 1.0, 0.0], [3.0, -1.0, 2.0], [0.5, 0.0, 4.0]])
    H = cr.hessian(lambda x: cr.dot(x, cr.matmul(A, x)))(np.array([0.3, -0.2, 1.0]))
    assert H.shape == (3, 3)
    np.testing.assert_allclose(H, A + A.T, rtol=1e-14)


def test_hessian_of_sum_tanh_squared_matches_closed_form_and_finite_differences():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 3))
    x = rng.standard_normal(3)
    H = cr.hessian(lambda x: cr.sum(cr.tanh(cr.matmul(A, x)) ** 2))(x)
    t = np.tanh(A @ x)
    # d2/dz2 tanh(z)^2 = 2 (1 - t^2)(1 - 3 t^2)
    closed = A.T @ np.diag(2 * (1 - t ** 2) * (1 - 3 * t ** 2)) @ A
    np.testing.assert_allclose(H, closed, rtol=1e-12, atol=1e-14)
    g = cr.grad(lambda x: cr.sum(cr.tanh(cr.matmul(A, x)) ** 2))
    np.testing.assert_allclose(H, numeric_jacobian(g, [x], 0), rtol=1e-6, atol=1e-8)


def test_hessian_of_matrix_input_has_shape_in_plus_in():
    X = np.array([[0.5, -1.0], [2.0, 0.1]])
    H = cr.hessian(lambda X: cr.sum(cr.exp(X)))(X)
    assert H.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(H.reshape(4, 4), np.diag(np.exp(X).ravel()), rtol=1e-14)


def test_hessian_of_a_float_is_the_second_derivative():
    H = cr.hessian(lambda x: x ** 4)(2.0)
    assert float(H) == pytest.approx(48.0, rel=1e-14)


def test_hessian_with_an_argnums_tuple_gives_jax_nested_blocks():
    # d2(x*y) : [[0, 1], [1, 0]] as ((H_xx, H_xy), (H_yx, H_yy))
    H = cr.hessian(lambda x, y: x * y, argnums=(0, 1))(3.0, 2.0)
    assert [[float(b) for b in row] for row in H] == [[0.0, 1.0], [1.0, 0.0]]


def test_grad_of_grad_is_the_second_derivative():
    d2 = cr.grad(cr.grad(lambda x: cr.sin(x) * x))
    x = 0.7
    assert d2(x) == pytest.approx(2 * math.cos(x) - x * math.sin(x), rel=1e-14)


def test_third_derivative_by_composing_grad():
    d3 = cr.grad(cr.grad(cr.grad(lambda x: cr.exp(2 * x))))
    assert d3(0.3) == pytest.approx(8 * math.exp(0.6), rel=1e-14)


def test_no_perturbation_confusion():
    # d/dx [ d/dy (x*y) evaluated at y = x ] = d/dx x = 1 (not 2)
    assert cr.grad(lambda x: cr.grad(lambda y: x * y)(x))(1.0) == 1.0


def test_mixed_partial_by_jacobian_of_grad_over_another_argument():
    # f = x^2 y^3: d2f/dx dy = 6 x y^2. The outer jacobian differentiates an argument that
    # the inner grad does not: the inner result must stay in the outer graph.
    f = lambda x, y: x ** 2 * y ** 3  # noqa: E731
    mixed = cr.jacobian(cr.grad(f, argnums=0), argnums=1)(1.5, 0.5)
    assert float(mixed) == pytest.approx(6 * 1.5 * 0.25, rel=1e-14)


def test_mixed_partials_of_vector_function_match_finite_differences():
    f = lambda x, w: cr.sum(cr.sigmoid(x * w) ** 2)  # noqa: E731
    x, w = np.array([0.3, -0.5, 1.2]), np.array([1.1, 0.4, -0.8])
    g_x = cr.grad(f, argnums=0)
    analytic = cr.jacobian(g_x, argnums=1)(x, w)
    np.testing.assert_allclose(analytic, numeric_jacobian(g_x, [x, w], 1), rtol=1e-6,
                               atol=1e-9)


def test_grad_matches_finite_differences_on_a_numpy_written_loss():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, 4))
    x = rng.standard_normal(4)
    loss = lambda W: np.linalg.norm(1 / (np.exp(-np.dot(W, x)) + 1), ord=2) ** 2  # noqa: E731
    np.testing.assert_allclose(cr.grad(loss)(W), numeric_grad(loss, [W], 0), rtol=1e-6,
                               atol=1e-9)


def test_grad_rejects_a_non_numeric_argument_by_name():
    with pytest.raises(TypeError, match="argument 0"):
        cr.grad(lambda s: s)("abc")


@pytest.mark.parametrize("f", [lambda x: np.allclose(x, x * 3.0 / 3.0), lambda x: x > 0,
                               lambda x: bool(np.all(x.data > 0))])
@pytest.mark.parametrize("transform", [cr.grad, cr.jacobian, cr.value_and_grad])
def test_a_boolean_output_is_refused_by_name_not_differentiated_to_zero(f, transform):
    with pytest.raises(TypeError, match=r"returned a boolean .* no derivative"):
        transform(f)(np.array([1.0, 2.0]))
