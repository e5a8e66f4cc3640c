"""Constructors with PyTorch's names, dtypes and cr.manual_seed."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_shapes_values_and_dtypes():
    assert cr.zeros(2, 3).shape == (2, 3) and cr.zeros((2, 3)).dtype == np.float64
    np.testing.assert_array_equal(cr.ones(2, dtype=cr.float32).data, [1, 1])
    assert cr.ones(2, dtype=cr.float32).dtype == np.float32
    np.testing.assert_array_equal(cr.full((2,), 7).data, [7, 7])
    assert cr.full((2,), 7.0, dtype=cr.int64).dtype == np.int64
    assert cr.empty(3).shape == (3,)
    t = cr.tensor([[1.0, 2.0]], dtype=np.float32)
    assert cr.zeros_like(t).dtype == np.float32 and cr.ones_like(t).shape == (1, 2)
    np.testing.assert_array_equal(cr.full_like(t, 4).data, [[4, 4]])
    assert cr.zeros_like(np.zeros(3), dtype=cr.int64).dtype == np.int64
    np.testing.assert_array_equal(cr.arange(4).data, [0, 1, 2, 3])
    assert cr.arange(4).dtype == np.int64 and cr.arange(0, 1, 0.5).dtype == np.float64
    np.testing.assert_array_equal(cr.arange(1, 7, 2).data, [1, 3, 5])
    np.testing.assert_allclose(cr.linspace(0, 1, 5).data, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(cr.eye(2, 3).data, [[1, 0, 0], [0, 1, 0]])
    assert cr.eye(3, dtype="float32").dtype == np.float32
    assert cr.long is cr.int64 and cr.double is cr.float64


def test_requires_grad_gives_leaves_and_integer_grad_is_refused():
    w = cr.zeros(3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    (w + 1).sum().backward()
    np.testing.assert_array_equal(w.grad, [1, 1, 1])
    with pytest.raises(TypeError, match="floating dtype"):
        cr.arange(3, requires_grad=True)
    with pytest.raises(TypeError, match="non-negative ints"):
        cr.zeros(2.5)


def test_cat_is_differentiable_and_takes_dim():
    a = cr.tensor([[1.0, 2.0]], requires_grad=True)
    b = cr.tensor([[3.0, 4.0]], requires_grad=True)
    c = cr.cat([a, b], dim=1)
    np.testing.assert_array_equal(c.data, [[1, 2, 3, 4]])
    (c * cr.tensor([[1.0, 2.0, 3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(b.grad, [[3, 4]])
    assert cr.cat([a, b], axis=0).shape == (2, 2)


def test_manual_seed_governs_every_draw():
    cr.manual_seed(7)
    first = (cr.rand(3).data, cr.randn(2, 2).data, cr.randint(0, 10, (5,)).data,
             cr.randperm(4).data)
    cr.manual_seed(7)
    second = (cr.rand(3).data, cr.randn(2, 2).data, cr.randint(0, 10, (5,)).data,
              cr.randperm(4).data)
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x, y)
    assert first[2].dtype == np.int64 and set(first[3]) == {0, 1, 2, 3}
    assert 0 <= first[0].min() and first[0].max() < 1
    assert cr.randint(3, size=(100,)).data.max() == 2
    with pytest.raises(ValueError, match="greater than low"):
        cr.randint(3, 3)
    with pytest.raises(TypeError, match="must be an int"):
        cr.manual_seed(1.5)
