"""A part of the graph reached only through gradient-free edges: the backward pass walks
it (so that every node's count of pending edges reaches zero) and gives it no gradient."""

from __future__ import annotations

import numpy as np

import chainrule as cr


def test_an_input_reached_only_through_a_gradient_free_edge_gets_no_gradient():
    first = cr.primitive("first", lambda a, b: a * 1.0, [lambda M, g, ans, a, b: g, None])
    x = cr.tensor([0.5, -1.0], requires_grad=True)
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    h = cr.sin(x) * np.array([2.0, 2.0]) + cr.tensor([1.0, 1.0])   # constants beside x
    out = first(w * 2.0, h).sum()
    out.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 2.0])
    assert x.grad is None and h.grad is None
    assert x._pending == 0 and h._pending == 0
