"""Gradients are the caller's own arrays: never the seed, never another node's."""

import numpy as np

import chainrule as cr


def test_root_and_pass_through_grads_do_not_alias_the_seed_or_each_other():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    h = y + 0.0
    seed = np.array([1.0, 1.0])
    h.backward(seed)
    assert h.grad is not seed and y.grad is not h.grad and x.grad is not y.grad
    h.grad[0] = 99.0
    y.grad[1] = 77.0
    np.testing.assert_array_equal(seed, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    s = cr.tensor([3.0], requires_grad=True)
    out = s + 0.0
    seed_t = cr.tensor([2.0])
    out.backward(seed_t)
    out.grad[0] = 5.0
    np.testing.assert_array_equal(seed_t.value, [2.0])
    np.testing.assert_array_equal(s.grad, [2.0])
