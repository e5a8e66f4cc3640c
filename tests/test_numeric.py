"""checking/numeric.py, the finite-difference oracle of gradcheck, blame and the hand checks,
judged against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.checking.numeric import central_difference, directional, partials, slopes


def test_the_central_slope_of_sin_is_cos():
    s = slopes(lambda t: math.sin(0.3 + t), 1e-6)
    assert s.central == pytest.approx(math.cos(0.3), abs=1e-9)
    # one-sided slopes are off by about h/2 * sin''
    assert s.forward == pytest.approx(math.cos(0.3), abs=1e-6)
    assert s.backward == pytest.approx(math.cos(0.3), abs=1e-6)


def test_a_quadratic_is_differentiated_exactly_up_to_rounding():
    # (x + h)^2 - (x - h)^2 = 4 x h: no truncation error at all
    assert central_difference(lambda t: (1.5 + t) ** 2, 1e-3) == pytest.approx(3.0, abs=1e-12)


def test_one_sided_slopes_show_a_kink():
    s = slopes(lambda t: abs(0.0 + t), 1e-6)
    assert (s.forward, s.backward, s.central) == (1.0, -1.0, 0.0)


def test_central_difference_of_an_array_valued_function_has_its_shape():
    d = central_difference(lambda t: np.array([[t, t ** 3], [np.exp(t), 1.0]]), 1e-5)
    np.testing.assert_allclose(d, [[1.0, 0.0], [1.0, 0.0]], atol=1e-9)


def test_directional_derivative_of_a_product():
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    v, w = np.array([0.5, 1.0]), np.array([2.0, 0.0])
    got = directional(lambda a, b: np.sum(a * b), [x, y], [v, w], 1e-6)
    assert got == pytest.approx(np.sum(v * y + x * w), abs=1e-8)


def test_partials_of_a_sum_of_squares_are_twice_the_input():
    x = np.array([[0.5, -1.0, 2.0], [3.0, 0.0, -0.25]])
    got = partials(lambda a, k: np.sum(a ** 2) * k, [x, 1.0], 0, 1e-6)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, 2 * x, atol=1e-8)


def test_partials_work_in_float64_whatever_the_input_dtype():
    x = np.array([1.0, 2.0], dtype=np.float32)
    got = partials(lambda a: np.sum(np.log(a)), [x], 0, 1e-7)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, [1.0, 0.5], atol=1e-7)


def test_gradcheck_at_large_values_uses_a_step_above_float64_rounding():
    # a fixed step of 1e-6 at 1e8 is mostly rounding: gradcheck(lambda x: x, 1e8) failed
    from chainrule.checking.numeric import step
    assert step(1e-6, 2.0) == 1e-6 and step(1e-6, 1e3) == 1e-6
    assert step(1e-6, 1e8) == pytest.approx(1e-6 * 1e5 ** (2 / 3))
    assert step(1e-6, float("inf")) == 1e-6
    assert cr.gradcheck(lambda x: x, np.array(1e8))
    assert cr.gradcheck(lambda x: cr.sum(x ** 2), np.array([1e8, 3.0, -2e9]))
    assert cr.gradcheck(lambda x: cr.sin(x), np.array(1e8))
    wrong = cr.primitive("sin_off_1pc", np.sin, [lambda M, g, ans, x: g * M.cos(x) * 1.01])
    with pytest.raises(cr.GradcheckError):
        cr.gradcheck(lambda x: wrong(x), np.array(1e8))
    np.testing.assert_allclose(partials(lambda x: np.sum(x ** 2), [np.array([1e8])], 0, 1e-6),
                               [2e8], rtol=1e-5)
