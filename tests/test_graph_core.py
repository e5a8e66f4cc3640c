"""The shared reverse-mode core (core/, primitive.py): node structure, the iterative walk,
the backward loop's options, per-edge contributions, and the rule text."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.core import Node, Observer, backprop, vjp, walk
from chainrule.primitive import REGISTRY
from chainrule.scalar import FLOAT_MODE
from chainrule.tensor import ARRAY_MODE


def test_parents_hold_inputs_in_order_constants_included():
    x = cr.Scalar(3.0)
    assert (x * 2).parents == (x, 2)
    assert (2 - x).parents == (2, x)
    assert (x * 2).prim is REGISTRY["mul"]


def test_parents_of_a_reduction_end_with_its_parameters():
    t = cr.tensor(np.ones((2, 3)), requires_grad=True)
    s = cr.sum(t, axis=1)
    prim = s.prim
    assert prim.name == "sum" and prim.n_inputs == 1
    assert s.parents[0] is t and len(s.parents) == 3 and s.parents[2] is False


def test_walk_is_topological_each_node_once():
    x, w = cr.Scalar(1.0), cr.Scalar(2.0)
    a = x * w
    b = a + x
    c = b * a
    order = walk(c)
    assert order[-1] is c
    assert len(order) == len({id(n) for n in order}) == 5
    pos = {id(n): k for k, n in enumerate(order)}
    for node in order:
        for p in node.parents:
            if isinstance(p, Node):
                assert pos[id(p)] < pos[id(node)], "a node came before one of its inputs"


def test_walk_is_deterministic():
    def build():
        x = cr.Scalar(1.0, name="x")
        y = cr.Scalar(2.0, name="y")
        h = [cr.sin(x * y), cr.cos(x + y), x * x]
        return h[0] * h[1] + h[2] / y

    names = [[n.prim.name if n.prim else n.name for n in walk(build())] for _ in range(3)]
    assert names[0] == names[1] == names[2]


def test_walk_on_a_node_used_twice_keeps_one_entry_and_both_edges():
    x = cr.Scalar(3.0)
    y = x * x
    assert walk(y) == [x, y]
    assert y.parents == (x, x)


class Edges(Observer):
    def __init__(self):
        self.edges = []

    def edge(self, node, i, p, c):
        self.edges.append((node.prim.name, i, p, c))


def test_the_observer_sees_every_edge_with_its_contribution():
    x, w = cr.Scalar(2.0), cr.Scalar(-1.5)
    y = x * x + x * w
    seen = Edges()
    backprop(y, 1.0, FLOAT_MODE, accumulate=False, observer=seen)
    edges = seen.edges
    into_x = [c for _, _, p, c in edges if p is x]
    assert len(into_x) == 3                      # x*x twice, x*w once
    assert sorted(into_x) == sorted([2.0, 2.0, -1.5])
    assert sum(into_x) == pytest.approx(2 * 2.0 + -1.5)
    assert [c for _, _, p, c in edges if p is w] == [2.0]
    assert x.grad is None and w.grad is None     # accumulate=False touches no .grad


def test_local_derivative_of_an_edge_from_the_rule():
    x = cr.Scalar(0.4)
    y = cr.sin(x * 3)
    vals = [p.value if isinstance(p, Node) else p for p in y.parents]
    assert vjp(y.prim, 0, 1.0, y.value, vals, FLOAT_MODE) == pytest.approx(math.cos(1.2))
    inner = y.parents[0]
    vals = [p.value if isinstance(p, Node) else p for p in inner.parents]
    assert vjp(inner.prim, 0, 1.0, inner.value, vals, FLOAT_MODE) == 3.0


def test_backprop_wanted_returns_cotangents_and_stops_there():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = cr.sum(h * h)
    found = backprop(y, np.array(1.0), ARRAY_MODE, accumulate=False, wanted=(h,))
    np.testing.assert_array_equal(found[id(h)], 2 * h.data)
    assert x.grad is None


def test_backprop_leaves_no_scratch_state():
    x = cr.Scalar(1.0)
    y = cr.exp(x * x) + x
    y.backward()
    stack, seen = [y], set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        assert n._ct is None
        stack.extend(p for p in n.parents if isinstance(p, Node))


def test_first_order_backward_stores_plain_arrays_and_records_nothing():
    x = cr.tensor([0.5, 1.5], requires_grad=True)
    y = cr.sum(cr.tanh(x) * x)
    y.backward()
    assert isinstance(x.grad, np.ndarray)


def test_backward_create_graph_gives_a_differentiable_gradient():
    x = cr.tensor([0.5, -1.5], requires_grad=True)
    cr.sum(x ** 3).backward(create_graph=True)
    g = x.grad
    assert isinstance(g, cr.Tensor)
    np.testing.assert_allclose(g.data, 3 * x.data ** 2)
    x.grad = None
    cr.sum(g).backward()
    np.testing.assert_allclose(x.grad, 6 * x.data)


def test_tensors_without_requires_grad_record_no_graph():
    a = cr.tensor([1.0, 2.0])
    b = cr.exp(a) * 2
    assert b.parents == () and b.prim is None and not b.requires_grad


def test_no_grad_nests_with_enable_grad():
    x = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        with cr.enable_grad():
            inner = x * 2
        outer = x * 2
    assert inner.requires_grad and not outer.requires_grad


def test_requires_grad_can_only_be_set_on_a_leaf():
    y = cr.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(ValueError, match="leaf"):
        y.requires_grad = False


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_primitive_states_its_rule_as_text(name):
    prim = REGISTRY[name]
    assert prim.name == name and prim.expr
    assert prim.derivs, f"{name}: no local derivative text"
    for i in range(prim.n_inputs):
        assert prim.rule(i).startswith(f"d/d{prim.inputs[i]} ")
        if prim.vjps[i] is not None:
            assert prim.vjp_formula(i), f"{name}: no VJP formula for input {i}"
    assert isinstance(prim.domain, str) and prim.domain


def test_rule_text_of_sin():
    assert REGISTRY["sin"].rule(0) == "d/dx sin(x) = cos(x)"
    assert REGISTRY["sin"].vjp_formula(0) == "g * cos(x)"
    assert REGISTRY["div"].rule(1) == "d/dy x / y = -x/y**2"


def test_zero_grad_reaches_intermediates_on_a_tensor_graph():
    x = cr.tensor([1.0], requires_grad=True)
    h = x * 2
    y = cr.sum(h * h)
    y.backward()
    assert h.grad is not None
    cr.zero_grad(y)
    assert h.grad is None and x.grad is None and y.grad is None


def test_deep_tensor_chain_has_no_recursion_limit():
    x = cr.tensor([0.1, 0.2], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    cr.sum(y).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    assert "op=mul" in repr(y)
