"""Forward mode: jvp, make_jvp, jacfwd, hvp, hessian(mode=...), dual Scalars, nesting."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import numeric_grad, numeric_jacobian

import chainrule as cr
from chainrule.primitive import primitive

RNG = np.random.default_rng(7)
A = RNG.standard_normal((5, 4))


def _problem1(x1, w1, x2, w2):
    return 1 / (2 + cr.sin(x1 * w1) ** 2 + cr.cos(x2 * w2))


# -- Scalars as dual numbers: the homework's Problem 1 ---------------------------------------

def test_problem1_in_forward_mode_gives_the_published_gradients():
    half_pi = math.pi / 2
    x1, w1 = cr.Scalar(half_pi, "x1"), cr.Scalar(1.0, "w1")
    x2, w2 = cr.Scalar(half_pi, "x2", tangent=1.0), cr.Scalar(1.0, "w2")
    f = _problem1(x1, w1, x2, w2)
    assert f.tangent == pytest.approx(0.1111111111111111, abs=1e-15)     # df/dx2
    x2.tangent, w2.tangent = 0.0, 1.0
    assert f.tangent == pytest.approx(0.17453292519943295, abs=1e-15)    # df/dw2
    assert x2.tangent == 0.0 and w2.tangent == 1.0 and x1.tangent == 0.0


def test_scalar_tangents_match_reverse_mode_at_random_points():
    rng = np.random.default_rng(3)
    for _ in range(5):
        point = rng.uniform(-2, 2, 4)
        leaves = [cr.Scalar(float(v)) for v in point]
        f = _problem1(*leaves)
        f.backward()
        for leaf in leaves:
            leaf.tangent = 1.0
            assert f.tangent == pytest.approx(leaf.grad, rel=1e-12, abs=1e-15)
            leaf.tangent = 0.0


def test_scalar_tangent_uses_numpy_semantics_where_math_raises():
    x = cr.Scalar(0.0, tangent=1.0)
    with np.errstate(divide="ignore"):
        assert (x ** 0.5).tangent == math.inf


def test_a_computed_scalars_tangent_cannot_be_set():
    y = cr.Scalar(1.0) * 2
    with pytest.raises(AttributeError, match="leaf"):
        y.tangent = 1.0
    with pytest.raises(TypeError, match="tangent"):
        cr.Scalar(1.0, tangent="1")


def test_a_scalar_op_without_a_jvp_rule_says_so():
    cube = primitive("cube", lambda x: x ** 3, [lambda M, g, ans, x: g * 3 * x ** 2])
    y = cube(cr.Scalar(2.0, tangent=1.0))
    with pytest.raises(TypeError, match="cube declares no forward-mode"):
        _ = y.tangent
    assert cr.jvp(cube, (2.0,), (1.0,)) == (8.0, 12.0)   # on Tensors it is derived


# -- jvp, make_jvp, jacfwd ---------------------------------------------------------------------

def test_jvp_on_numbers_returns_numbers():
    out, t = cr.jvp(lambda x, y: x * cr.sin(y), (2.0, 0.5), (1.0, 3.0))
    assert isinstance(out, float) and isinstance(t, float)
    assert out == pytest.approx(2 * math.sin(0.5))
    assert t == pytest.approx(math.sin(0.5) + 2 * math.cos(0.5) * 3.0)


def test_jvp_matches_the_jacobian_times_the_tangent():
    x, v = RNG.standard_normal(4), RNG.standard_normal(4)
    f = lambda x: cr.tanh(A @ x) * cr.sum(x ** 2)  # noqa: E731
    out, t = cr.jvp(f, (x,), (v,))
    jac = numeric_jacobian(lambda x: np.tanh(A @ x) * np.sum(x ** 2), [x], 0)
    np.testing.assert_allclose(t, jac @ v, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(out, np.tanh(A @ x) * np.sum(x ** 2), rtol=1e-14)


def test_jvp_of_an_output_independent_of_the_input_is_zero():
    out, t = cr.jvp(lambda x: cr.tensor([1.0, 2.0]) * 3, (1.0,), (1.0,))
    np.testing.assert_array_equal(t, [0.0, 0.0])
    assert cr.jvp(lambda x: 5.0, (1.0,), (1.0,)) == (5.0, 0.0)


def test_jvp_checks_its_arguments():
    with pytest.raises(TypeError, match="primals must be a tuple"):
        cr.jvp(cr.sin, 1.0, (1.0,))
    with pytest.raises(ValueError, match="structure"):
        cr.jvp(cr.sin, (1.0,), (1.0, 2.0))
    with pytest.raises(ValueError, match=r"tangent has shape \(2,\) but its primal has "):
        cr.jvp(cr.sin, (np.ones(3),), (np.ones(2),))
    with pytest.raises(TypeError, match="cannot differentiate with respect to str"):
        cr.jvp(cr.sin, ("a",), (1.0,))


def test_jvp_accepts_a_leaf_tensor_primal():
    x = cr.tensor([1.0, 2.0])
    out, t = cr.jvp(cr.exp, (x,), (np.ones(2),))
    np.testing.assert_allclose(t, np.exp([1.0, 2.0]))


def test_make_jvp_is_hips_autograds():
    f = lambda x, y: x * y ** 2  # noqa: E731
    assert cr.make_jvp(f)(3.0, 2.0)(1.0) == (12.0, 4.0)
    assert cr.make_jvp(f, argnums=1)(3.0, 2.0)(1.0) == (12.0, 12.0)


def test_jacfwd_on_a_wide_output_and_several_arguments():
    f = lambda x, b: cr.tanh(A @ x + b)  # noqa: E731
    x, b = RNG.standard_normal(4), RNG.standard_normal(5)
    jx, jb = cr.jacfwd(f, argnums=(0, 1))(x, b)
    rx, rb = cr.jacobian(f, argnums=(0, 1))(x, b)
    np.testing.assert_allclose(jx, rx, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(jb, rb, rtol=1e-13, atol=1e-15)
    assert cr.jacfwd(lambda x: x ** 3)(2.0) == 12.0


# -- second order and nesting ------------------------------------------------------------------

def _loss(x):
    return cr.sum(cr.tanh(A @ x) ** 2)


def _np_loss(x):
    return float(np.sum(np.tanh(A @ x) ** 2))


def test_hvp_is_the_hessian_times_v():
    x, v = RNG.standard_normal(4), RNG.standard_normal(4)
    expected = numeric_jacobian(lambda z: numeric_grad(_np_loss, [z], 0, 1e-4), [x], 0, 1e-4) @ v
    np.testing.assert_allclose(cr.hvp(_loss)(x, v), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cr.hvp(_loss)(x, v), cr.hessian(_loss)(x) @ v, rtol=1e-12)


def test_hvp_with_respect_to_a_later_argument():
    f = lambda a, x: cr.sum(a * x ** 3)  # noqa: E731
    a, x, v = np.array([1.0, 2.0]), np.array([0.5, -1.0]), np.array([1.0, 1.0])
    np.testing.assert_allclose(cr.hvp(f, argnums=1)(a, x, v), 6 * a * x * v)


def test_hessian_modes_agree():
    x = RNG.standard_normal(4)
    fwd = cr.hessian(_loss, mode="fwd-over-rev")(x)
    np.testing.assert_allclose(fwd, cr.hessian(_loss)(x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fwd, fwd.T, rtol=1e-12, atol=1e-14)
    assert cr.hessian(lambda x: x ** 4, mode="fwd-over-rev")(2.0) == 48.0
    with pytest.raises(ValueError, match="mode must be one of"):
        cr.hessian(_loss, mode="fwd")
    (block,) = cr.hessian(_loss, argnums=(0,), mode="fwd-over-rev")(x)[0]   # JAX's nesting
    np.testing.assert_allclose(block, fwd, rtol=1e-12, atol=1e-14)


def test_no_perturbation_confusion_forward_inside_forward():
    # d/dx [x * d/dy (x + y)] = 1; confusing the two tangents gives 2
    out = cr.jvp(lambda x: x * cr.jvp(lambda y: x + y, (1.0,), (1.0,))[1], (2.0,), (1.0,))
    assert out == (2.0, 1.0)


def test_no_perturbation_confusion_forward_inside_reverse():
    # d/dx [d/dy (x * y**2) at y = 3] = 2y = 6
    assert cr.grad(lambda x: cr.jvp(lambda y: x * y * y, (3.0,), (1.0,))[1])(2.0) == 6.0
    # the jvp's own leaf is an identity over x: d/dx [x * d/dx x] = 1
    assert cr.grad(lambda x: x * cr.jvp(lambda y: y, (x,), (1.0,))[1])(2.0) == 1.0


def test_no_perturbation_confusion_reverse_inside_forward():
    # d/dx [d/dy (x * y**2)] = 2y, with the inner gradient taken at y = 3
    inner = cr.grad(lambda x, y: x * y * y, argnums=1)
    assert cr.jvp(lambda x: inner(x, 3.0), (2.0,), (1.0,)) == (12.0, 6.0)
    # the same variable in both: d/dx [x * d/dx x**2] = d/dx 2x**2 = 4x
    g = cr.grad(lambda y: y * y)
    assert cr.jvp(lambda x: x * g(x), (1.5,), (1.0,))[1] == pytest.approx(6.0)


def test_jvp_of_jvp_is_a_second_directional_derivative():
    f = lambda x: cr.sum(cr.sin(x) * x)  # noqa: E731
    x, u, v = RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal(3)
    second = cr.jvp(lambda z: cr.jvp(f, (z,), (u,))[1], (x,), (v,))[1]
    hess = cr.hessian(f)(x)
    assert second == pytest.approx(u @ hess @ v, rel=1e-12)


def test_grad_of_jvp_with_a_closure_over_an_outer_tensor():
    w = np.array([0.3, -0.7])

    def outer(w):
        return cr.jvp(lambda x: cr.sum(cr.tanh(w * x)), (np.array([1.0, 2.0]),),
                      (np.array([1.0, 1.0]),))[1]

    def np_outer(w):
        x = np.array([1.0, 2.0])
        return float(np.sum(w * (1 - np.tanh(w * x) ** 2)))

    np.testing.assert_allclose(cr.grad(outer)(w), numeric_grad(np_outer, [w], 0), rtol=1e-7)


def test_forward_mode_through_a_nested_jacobian_matches_reverse_and_differences():
    # jacobian(jacobian(f)) records sum_to with a batch axis; its JVP must keep that axis
    def f(x):
        return np.sin(np.outer(x, x)) + np.cos(np.dot(x, x))
    x, v = np.array([0.3, -0.7]), np.array([1.0, 0.5])
    np.testing.assert_allclose(cr.jacfwd(cr.jacobian(f))(x), cr.jacobian(cr.jacobian(f))(x),
                               rtol=1e-12, atol=1e-12)

    def g(y):
        return np.sum(np.sin(cr.jacobian(cr.jacobian(f))(y)))
    h = 1e-6
    numeric = (g(x + h * v) - g(x - h * v)) / (2 * h)
    assert cr.jvp(g, (x,), (v,))[1] == pytest.approx(numeric, rel=1e-6)
