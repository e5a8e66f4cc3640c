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


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_cross_entropy_mean_is_np_mean_bit_for_bit(dtype):
    from chainrule.nn.losses import _reduce

    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 128, 1000, 4099):
        losses = (rng.standard_normal(n) * 50).astype(dtype)
        got, expected = _reduce(losses, "mean"), np.mean(losses)
        assert type(got) is type(expected)
        assert got == expected
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        assert np.isnan(_reduce(np.zeros(0, dtype), "mean"))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_gradient_in_place_is_the_formula_bit_for_bit(reduction, dtype):
    rng = np.random.default_rng(4)
    logits = rng.standard_normal((6, 5)).astype(dtype)
    labels = rng.integers(0, 5, 6)
    x = cr.tensor(logits, requires_grad=True)
    loss = cr.nn.cross_entropy(x, labels, reduction=reduction)
    loss.backward(np.ones(loss.shape, dtype) if reduction == "none" else None)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(6), labels] -= 1
    scale = np.ones((1, 1), dtype) / 6 if reduction == "mean" else np.ones((1, 1), dtype)
    if reduction == "none":
        scale = np.ones((6, 1), dtype)
    np.testing.assert_array_equal(x.grad, scale * p)
    assert x.grad.dtype == dtype


def test_cross_entropy_labels_equal_to_ignore_index_anywhere_in_their_range_are_skipped():
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]]))
    full = cr.nn.cross_entropy(cr.tensor(logits), np.array([0, 1, 2]), reduction="none")
    for ignore, labels in [(1, [0, 1, 2]), (0, [0, 1, 2]), (2, [0, 1, 2]), (-100, [0, 1, 2])]:
        got = cr.nn.cross_entropy(cr.tensor(logits), np.array(labels), ignore_index=ignore)
        keep = [i for i, lab in enumerate(labels) if lab != ignore]
        np.testing.assert_allclose(got.item(), full.value[keep].mean(), rtol=1e-15)
    # an ignore_index between the smallest and largest label that no label equals
    got = cr.nn.cross_entropy(cr.tensor(logits), np.array([0, 2, 2]), ignore_index=1)
    np.testing.assert_allclose(got.item(), -np.mean(logits[[0, 1, 2], [0, 2, 2]]),
                               rtol=1e-15)
    with pytest.raises(ValueError, match="labels must lie in"):
        cr.nn.cross_entropy(cr.tensor(logits), np.array([0, 3, 1]), ignore_index=1)
