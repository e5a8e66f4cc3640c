"""Rules written for speed on small arrays give the numbers of their plain formulas, bit for
bit, in every dtype (0-d constants of the array's dtype instead of Python numbers, work in
place, x + x for 2 * x)."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.math_namespaces import ARRAY
from chainrule.rules.elementwise import POW, SIGMOID

FLOATS = [np.float16, np.float32, np.float64, np.longdouble]
POINTS = [-800.0, -30.0, -2.5, -0.0, 0.0, 1e-8, 0.75, 3.0, 40.0, np.inf, -np.inf, np.nan]


def _same(got, expected):
    assert type(got) is type(expected)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected, strict=True)
    for part in (np.real, np.imag):
        assert np.array_equal(np.signbit(part(got)), np.signbit(part(expected)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_forward_is_the_tanh_formula_in_every_float_dtype(dtype):
    x = np.array(POINTS, dtype=dtype).reshape(3, 4)
    _same(SIGMOID.array_fn(x), 0.5 + 0.5 * np.tanh(0.5 * x))


@pytest.mark.parametrize("x", [np.array(0.75), np.float32(-2.5), 3.0, 2,
                               np.array([1, 2, 3]), np.array([0.5], dtype=np.float32)])
def test_sigmoid_forward_on_numbers_0d_and_integer_arrays(x):
    _same(SIGMOID.array_fn(x), 0.5 + 0.5 * np.tanh(0.5 * x))


def test_sigmoid_forward_does_not_write_its_input():
    x = np.array([0.5, -1.0])
    SIGMOID.array_fn(x)
    np.testing.assert_array_equal(x, [0.5, -1.0])


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_vjp_is_g_s_one_minus_s(dtype):
    x = np.array(POINTS, dtype=dtype)
    s = SIGMOID.array_fn(x)
    g = np.linspace(-2, 2, x.size).astype(dtype)
    _same(SIGMOID.vjps[0](ARRAY, g, s, x), g * s * (1 - s))
    gb = np.ones((2,) + x.shape, dtype=dtype)        # a batch of cotangents
    _same(SIGMOID.vjps[0](ARRAY, gb, s, x), gb * s * (1 - s))


@pytest.mark.parametrize("x", [np.array([-3.0, -0.0, 0.0, 2.5, np.inf, np.nan]),
                               np.array([1.5, -2.0], dtype=np.float32),
                               np.array([1 + 2j, -0.0 - 3j])])
def test_square_vjp_is_g_times_2x(x):
    g = np.ones_like(x) * 0.5
    _same(POW.vjps[0](ARRAY, g, x ** 2, x, 2), g * (2 * x))
