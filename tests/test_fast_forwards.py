"""The forwards written for speed compute exactly what their plain formulas compute."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.rules.elementwise import SIGMOID
from chainrule.rules.reductions import SUM


@pytest.mark.parametrize("x", [np.linspace(-40.0, 40.0, 17), np.array(0.75),
                               np.linspace(-3, 3, 6, dtype=np.float32).reshape(2, 3)])
def test_sigmoid_in_place_is_the_tanh_formula_bit_for_bit(x):
    got = SIGMOID.array_fn(x)
    expected = 0.5 + 0.5 * np.tanh(0.5 * x)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected)
    assert cr.sigmoid(cr.tensor(x)).shape == x.shape


@pytest.mark.parametrize("x", [np.arange(6, dtype=np.int8).reshape(2, 3),
                               np.array([[True, False], [True, True]]),
                               np.linspace(0, 1, 6, dtype=np.float32).reshape(3, 2)])
def test_sum_is_ndarray_sum_with_its_dtype(x):
    for axes, keep in [((-1,), False), ((-2, -1), True), ((), False)]:
        got = SUM.array_fn(x, axes, keep)
        expected = x.sum(axis=axes, keepdims=keep)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
