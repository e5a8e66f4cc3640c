"""A gradient is never dropped without a word: conversions to numbers are flagged, nested
transforms stay in the outer graph, argnums may name an argument twice."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chainrule as cr


def test_math_on_a_scalar_warns_and_names_the_cr_function():
    x1, w1, x2, w2 = (cr.Scalar(v) for v in (1.0, 2.0, 3.0, 0.5))
    with pytest.warns(cr.GradientDroppedWarning, match="use cr.cos instead of math.cos"):
        f = 1 / (2 + cr.sin(x1 * w1) ** 2 + math.cos(x2 * w2))
    assert isinstance(f, cr.Scalar)
    g = 1 / (2 + cr.sin(x1 * w1) ** 2 + cr.cos(x2 * w2))
    g.backward()
    d = 2 + math.sin(2.0) ** 2 + math.cos(1.5)
    assert x2.grad == pytest.approx(math.sin(1.5) * 0.5 / d ** 2)


def test_implicit_conversions_warn_explicit_reads_do_not():
    s = cr.Scalar(2.0)
    t = cr.tensor(3.0, requires_grad=True)
    for convert in (float, np.float64):
        with pytest.warns(cr.GradientDroppedWarning, match="write it with cr. functions"):
            assert convert(s * 1) == 2.0
    with pytest.warns(cr.GradientDroppedWarning, match="float"):
        assert float(t * 1) == 3.0
    with pytest.warns(cr.GradientDroppedWarning, match="int"):
        assert int(t * 1) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (s * 1).value == 2.0
        assert (t * 1).item() == 3.0
        assert (t * 1).detach().numpy() == 3.0
        assert float(cr.tensor(3.0)) == 3.0          # no grad required: a plain number
        with cr.no_grad():
            assert float(s * 1) == 2.0 and float(t) == 3.0


@pytest.mark.parametrize("convert", [float, int, np.float64, math.sin, lambda v: v.item()])
def test_any_conversion_inside_a_transform_raises(convert):
    with pytest.raises(cr.GradientDroppedError, match="being differentiated inside cr.grad"):
        cr.grad(lambda x: convert(x) * x)(1.0)


def test_math_sin_inside_grad_names_cr_sin():
    with pytest.raises(cr.GradientDroppedError, match="use cr.sin instead of math.sin"):
        cr.grad(lambda x: math.sin(x) * x)(1.0)
    assert cr.grad(lambda x: cr.sin(x) * x)(1.0) == pytest.approx(
        math.sin(1.0) + math.cos(1.0))


def test_numpy_ufuncs_on_a_scalar_work_like_cr():
    x = cr.Scalar(1.0)
    y = np.sin(x) * np.exp(x)
    assert isinstance(y, cr.Scalar) and type(y.value) is float
    y.backward()
    assert x.grad == pytest.approx(math.cos(1.0) * math.e + math.sin(1.0) * math.e)
    z = np.float64(2.0) * x
    assert isinstance(z, cr.Scalar) and type(z.value) is float and z.value == 2.0


def test_an_output_independent_of_an_argument_warns():
    with pytest.warns(cr.IndependentOutputWarning, match="grad: the output of f does not "
                                                         "depend on argument 0"):
        assert cr.grad(lambda x: cr.tensor(1.0) * 2)(1.0) == 0.0
    with pytest.warns(cr.IndependentOutputWarning, match="jacobian.*argument 1"):
        J = cr.jacobian(lambda x, y: x * 2, argnums=(0, 1))(np.ones(2), np.ones(3))
    np.testing.assert_array_equal(J[1], np.zeros((2, 3)))


def test_nested_grad_with_a_closure_is_traced():
    assert cr.grad(lambda y: cr.grad(lambda x: x * y)(1.0))(2.0) == 1.0
    assert cr.grad(lambda x: x * cr.grad(lambda y: x * y)(2.0))(1.0) == 2.0
    H = cr.hessian(lambda x: np.sum(x * cr.grad(lambda y: np.sum(x * y))(np.ones(2))))(
        np.array([1.0, 2.0]))
    np.testing.assert_allclose(H, 2 * np.eye(2))
    # a nested transform that does not use the outer value gives a constant
    assert cr.grad(lambda x: x * cr.grad(lambda y: y * y)(3.0))(1.0) == 6.0


def test_a_failing_transform_leaves_the_level_at_zero():
    from chainrule.core.recording import transform_level

    with pytest.raises(ZeroDivisionError):
        cr.grad(lambda x: 1 / 0)(1.0)
    assert transform_level() == 0
    s = cr.Scalar(1.0)
    with pytest.warns(cr.GradientDroppedWarning):
        float(s * 1)                                 # outside again: a warning, no error


@pytest.mark.parametrize("argnums", [(0, 0), (0, -2)])
def test_duplicate_argnums_get_the_gradient_twice(argnums):
    assert cr.grad(lambda x, y: x * y, argnums=argnums)(2.0, 3.0) == (3.0, 3.0)
    J = cr.jacobian(lambda x, y: x * y, argnums=argnums)(np.ones(2), np.full(2, 3.0))
    np.testing.assert_array_equal(J[0], 3 * np.eye(2))
    np.testing.assert_array_equal(J[1], 3 * np.eye(2))


def test_a_transform_under_no_grad_still_differentiates():
    with cr.no_grad():
        assert cr.grad(lambda x: x * x)(3.0) == 6.0


def test_a_grad_closing_over_a_parameter_stays_in_its_graph():
    w = cr.tensor(2.0, requires_grad=True)
    g = cr.grad(lambda x: x * x * w)(3.0)           # 2 x w, a Tensor in w's graph
    assert isinstance(g, cr.Tensor) and g.value == 12.0
    g.backward()
    assert w.grad == 6.0
    with cr.no_grad():
        assert cr.grad(lambda x: x * w)(3.0) == 2.0  # nothing to record into: a number
