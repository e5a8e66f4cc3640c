"""User-defined ops through ``cr.primitive``: the documented mechanism, first and second
order, both engines, and the gradcheck meta-test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import numeric_grad, numeric_jacobian

import chainrule as cr

cube = cr.primitive("cube", lambda x: x ** 3, [lambda M, g, ans, x: g * 3 * x ** 2],
                    derivs=["3*x**2"])

hypot = cr.primitive(
    "hypot", np.hypot,
    [lambda M, g, ans, x, y: g * x / ans, lambda M, g, ans, x, y: g * y / ans],
    inputs=("x", "y"), derivs=["x / hypot(x, y)", "y / hypot(x, y)"], domain="(x, y) != 0")

softplus = cr.primitive(
    "softplus", lambda x: np.logaddexp(0.0, x), [lambda M, g, ans, x: g * cr.sigmoid(x)],
    float_forward=lambda x: math.log1p(math.exp(x)), derivs=["sigmoid(x)"])


def test_documented_example_on_a_scalar():
    x = cr.Scalar(2.0)
    y = cube(x)
    assert isinstance(y, cr.Scalar) and y.value == 8.0
    y.backward()
    assert x.grad == 12.0


def test_documented_example_with_grad():
    assert cr.grad(lambda x: cube(x))(2.0) == 12.0


def test_custom_op_on_plain_values_just_computes():
    assert cube(3.0) == 27.0
    np.testing.assert_array_equal(cube(np.array([1.0, 2.0])), [1.0, 8.0])


def test_custom_op_on_a_tensor():
    x = cr.tensor([1.0, -2.0, 0.5], requires_grad=True)
    y = cube(x)
    assert isinstance(y, cr.Tensor) and y.prim.name == "cube"
    cr.sum(y).backward()
    np.testing.assert_allclose(x.grad, 3 * x.data ** 2)


def test_custom_op_second_order_scalar_argument():
    assert cr.grad(cr.grad(cube))(1.5) == pytest.approx(9.0, rel=1e-15)
    assert float(cr.hessian(cube)(1.5)) == pytest.approx(9.0, rel=1e-15)


def test_custom_op_hessian_of_a_vector_function():
    x = np.array([0.3, -1.1, 2.0])
    H = cr.hessian(lambda x: cr.sum(cube(x) * cr.sin(x)))(x)
    g = cr.grad(lambda x: cr.sum(cube(x) * cr.sin(x)))
    np.testing.assert_allclose(H, numeric_jacobian(g, [x], 0), rtol=1e-6, atol=1e-8)


def test_two_input_custom_op_broadcasts_and_sums_back():
    x = cr.tensor([[3.0], [1.0]], requires_grad=True)          # (2, 1)
    y = cr.tensor([4.0, 2.0, 0.5], requires_grad=True)         # (3,)
    z = hypot(x, y)
    assert z.shape == (2, 3)
    cr.sum(z).backward()
    xs, ys = np.array([[3.0], [1.0]]), np.array([4.0, 2.0, 0.5])
    assert x.grad.shape == (2, 1) and y.grad.shape == (3,)
    np.testing.assert_allclose(x.grad, numeric_grad(lambda a, b: np.hypot(a, b).sum(),
                                                    [xs, ys], 0), rtol=1e-7)
    np.testing.assert_allclose(y.grad, numeric_grad(lambda a, b: np.hypot(a, b).sum(),
                                                    [xs, ys], 1), rtol=1e-7)


def test_two_input_custom_op_mixed_second_derivative():
    # d2/dx dy hypot(x, y) = -x y / hypot^3
    mixed = cr.jacobian(cr.grad(hypot, argnums=0), argnums=1)(3.0, 4.0)
    assert float(mixed) == pytest.approx(-12 / 125, rel=1e-14)


def test_custom_op_with_its_own_float_forward_on_scalars():
    x = cr.Scalar(0.7)
    y = softplus(x)
    assert y.value == pytest.approx(math.log1p(math.exp(0.7)), rel=1e-15)
    y.backward()
    assert x.grad == pytest.approx(1 / (1 + math.exp(-0.7)), rel=1e-15)


def test_custom_op_rule_written_with_cr_ops_is_differentiable_twice():
    s = 1 / (1 + math.exp(-0.7))
    assert cr.grad(cr.grad(softplus))(0.7) == pytest.approx(s * (1 - s), rel=1e-14)


def test_custom_op_states_its_rule():
    assert cube.rule(0) == "d/dx cube(x) = 3*x**2"
    assert hypot.rule(1) == "d/dy hypot(x, y) = y / hypot(x, y)"
    assert hypot.domain == "(x, y) != 0"


def test_custom_op_with_mismatched_input_names_is_refused():
    with pytest.raises(ValueError, match="'bad'.*2 input names for 1 vjps"):
        cr.primitive("bad", np.sin, [lambda M, g, ans, x: g], inputs=("x", "y"))


def test_custom_op_with_no_gradient_for_an_input():
    scale = cr.primitive("scale", lambda x, k: x * k, [lambda M, g, ans, x, k: g * k, None],
                         inputs=("x", "k"))
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    k = cr.tensor(3.0, requires_grad=True)
    cr.sum(scale(x, k)).backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert k.grad is None


# -- gradcheck meta-test -----------------------------------------------------------------------

def _sin_off_by(factor):
    return cr.primitive("sin_off", np.sin, [lambda M, g, ans, x: g * M.cos(x) * factor])


def test_gradcheck_passes_a_correct_custom_primitive():
    ok = _sin_off_by(1.0)
    assert cr.gradcheck(lambda x: ok(x), np.array([0.3, -1.2, 2.5]), rtol=1e-5) is True


def test_gradcheck_fails_a_custom_primitive_off_by_five_hundredths_of_a_percent():
    off = _sin_off_by(1.0005)
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(lambda x: off(x), np.array([0.3, -1.2, 2.5]), rtol=1e-5)
    err = info.value
    assert err.argnum == 0
    assert err.analytic == pytest.approx(err.numeric * 1.0005, rel=1e-6)
    assert "argument 0" in str(err)




# A user's rule may assume g has the output's shape (and t the input's): jacobian, hessian
# and jacfwd push batches, which must reach such a rule one row at a time. Broadcasting the
# batch against x instead gave a wrong Hessian with no error.
def _softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


_X = np.array([0.1, 0.5, -0.3])
_P = _softmax(_X)
_SOFTMAX_JACOBIAN = np.diag(_P) - np.outer(_P, _P)   # also the Hessian of log-sum-exp


def _logsumexp_op():
    return cr.primitive("lse", lambda x: np.log(np.sum(np.exp(x))),
                        [lambda M, g, ans, x: g * M.exp(x - ans)])


@pytest.mark.parametrize("second", ["hessian", "jacobian of grad", "jacfwd of grad"])
def test_rule_assuming_one_cotangent_is_right_at_second_order(second):
    lse = _logsumexp_op()
    if second == "hessian":
        H = cr.hessian(lse)(_X)
    elif second == "jacobian of grad":
        H = cr.jacobian(cr.grad(lse))(_X)
    else:
        H = cr.jacfwd(cr.grad(lse))(_X)
    np.testing.assert_allclose(np.asarray(H), _SOFTMAX_JACOBIAN, rtol=1e-12, atol=1e-14)


def test_rule_assuming_one_cotangent_gives_the_jacobian_of_a_stacked_output():
    lse = _logsumexp_op()
    J = cr.jacobian(lambda x: cr.stack([lse(x), 2 * lse(x)]))(_X)
    np.testing.assert_allclose(np.asarray(J), [_P, 2 * _P], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(J), numeric_jacobian(
        lambda x: np.log(np.exp(x).sum()) * np.array([1.0, 2.0]), [_X], 0), atol=1e-7)


def test_rules_assuming_one_tangent_and_one_cotangent_give_the_softmax_jacobian():
    rule = lambda M, g, ans, x: ans * (g - M.sum(g * ans))   # noqa: E731
    sm = cr.primitive("sm", _softmax, [rule], jvps=[rule])
    np.testing.assert_allclose(np.asarray(cr.jacobian(sm)(_X)), _SOFTMAX_JACOBIAN, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(cr.jacfwd(sm)(_X)), _SOFTMAX_JACOBIAN, rtol=1e-12)
    derived = cr.primitive("sm2", _softmax, [rule])          # forward rule from the VJP
    np.testing.assert_allclose(np.asarray(cr.jacfwd(derived)(_X)), _SOFTMAX_JACOBIAN,
                               rtol=1e-12)
    t = np.array([1.0, -2.0, 0.5])                         # one tangent: the rule as given
    _, out = cr.jvp(sm, (_X,), (t,))
    np.testing.assert_allclose(np.asarray(out), _SOFTMAX_JACOBIAN @ t, rtol=1e-12)
