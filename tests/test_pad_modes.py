"""np.pad's modes computed from the data ('maximum', 'minimum', 'mean', 'median',
'linear_ramp') on Tensors: values as numpy's, gradients against central differences
(the op matrix covers more forms; these are the edge cases)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad

import chainrule as cr

X = np.random.default_rng(5).standard_normal((3, 4))


@pytest.mark.parametrize("mode", ["maximum", "minimum", "mean", "median", "linear_ramp"])
def test_an_axis_left_unpadded_is_left_alone(mode):
    pad = ((0, 0), (2, 1))
    w = np.arange(21.0).reshape(3, 7)
    out = np.pad(cr.tensor(X, requires_grad=True), pad, mode)
    np.testing.assert_allclose(out.data, np.pad(X, pad, mode), rtol=1e-12)
    got = cr.grad(lambda x: np.sum(np.pad(x, pad, mode) * w))(X)
    expected = numeric_grad(lambda x: np.sum(np.pad(x, pad, mode) * w), [X], 0)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


def test_plain_arrays_are_padded_by_numpy():
    np.testing.assert_array_equal(cr.pad(X, 1, "median"), np.pad(X, 1, "median"))


def test_numpy_checks_the_arguments():
    with pytest.raises(ValueError, match="stat_length of 0"):
        np.pad(cr.tensor(X, requires_grad=True), 1, "maximum", stat_length=0)


def test_a_stat_length_longer_than_the_axis_takes_the_whole_axis():
    out = np.pad(cr.tensor(X), 1, "mean", stat_length=10)
    np.testing.assert_allclose(out.data, np.pad(X, 1, "mean", stat_length=10), rtol=1e-12)
