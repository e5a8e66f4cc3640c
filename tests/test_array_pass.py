"""Tensor.backward's own loop over raw arrays: the same gradients as the general pass on the
less common paths (gradient-free edges, a leaf that stopped requiring grad, parents kept in
slots, writes after recording), checked against the general loop and closed forms."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.core import ONE_PARENT, backprop
from chainrule.core.backward import Observer, walk
from chainrule.rules.elementwise import MUL
from chainrule.tensor import ARRAY_MODE, Tensor


def _general_pass_grads(root, leaves):
    """The gradients of the general loop: an observer keeps a pass off the array loop."""
    for leaf in leaves:
        leaf.grad = None
    backprop(root, np.ones(root.shape, root.dtype), ARRAY_MODE, observer=Observer())
    return [None if leaf.grad is None else np.array(leaf.grad) for leaf in leaves]


def test_a_node_reached_only_through_a_gradient_free_edge_passes_nothing_on():
    # first(a, b) = a: no gradient flows into b, so sin(x) is reached with none
    first = cr.primitive("first", lambda a, b: a * 1.0, [lambda M, g, ans, a, b: g, None])
    x = cr.tensor([0.5, -1.0, 2.0], requires_grad=True)
    h = cr.sin(x)
    out = first(x * 2.0, h).sum()
    out.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])
    assert h.grad is None
    assert x._pending == 0 and h._pending == 0
    expected = _general_pass_grads(out, [x])
    np.testing.assert_array_equal(x.grad, expected[0])
    # a leaf reached only through such a node is released too, and gets no gradient
    y = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = cr.tensor([4.0, 5.0, 6.0], requires_grad=True)
    k = z * 3.0                    # its second parent is a constant: skipped
    first(y * 2.0, k).sum().backward()
    np.testing.assert_array_equal(y.grad, [2.0, 2.0, 2.0])
    assert z.grad is None and k.grad is None and z._pending == 0


def test_a_leaf_that_stops_requiring_grad_after_recording_gets_no_gradient():
    x = cr.tensor([0.3, 0.7], requires_grad=True)
    w = cr.tensor([2.0, -1.0], requires_grad=True)
    out = (cr.exp(x) * w).sum()
    x.requires_grad = False
    out.backward()
    assert x.grad is None
    assert x._ct is None and x._pending == 0     # no scratch left for the next pass
    np.testing.assert_allclose(w.grad, np.exp([0.3, 0.7]), rtol=1e-15)


def test_two_parents_kept_in_slots_give_the_same_gradients_as_a_tuple():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, -4.0], requires_grad=True)
    prod = Tensor._node(a.value * b.value, (), MUL, True)
    prod._p, prod._q = a, b        # the slot form the Scalar engine uses for two inputs
    assert prod._q is not ONE_PARENT and prod.parents == (a, b)
    out = prod.sum()
    out.backward()
    np.testing.assert_array_equal(a.grad, [3.0, -4.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0])


def test_a_write_after_recording_is_refused_and_an_unrelated_write_is_not():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    other = cr.tensor([5.0], requires_grad=True)
    out = (w * w).sum()
    with cr.no_grad():
        other -= 1.0               # the clock moves, but not for w
    out.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])
    out2 = (w * w).sum()
    with cr.no_grad():
        w -= 0.5
    with pytest.raises(RuntimeError, match="modified in place after the graph was recorded"):
        out2.backward()


def test_a_rule_error_stops_the_pass_and_leaves_no_scratch_behind():
    def bad_rule(M, g, ans, x):
        raise ValueError("bad rule")

    op = cr.primitive("bad_op", lambda x: x * 1.0, [bad_rule])
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    out = op(h).sum()
    with pytest.raises(ValueError, match="bad rule"):
        out.backward()
    assert h._ct is None and h._pending == 0 and x._pending == 0
    (h * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])


def test_an_operand_hook_raising_value_error_is_reported_under_the_op_name():
    class Refuses(np.ndarray):
        def __array_wrap__(self, arr, context=None, return_scalar=False):
            raise ValueError("this array refuses results")

    with pytest.raises(cr.ShapeError, match=r"add: cannot apply to shapes \(2,\), \(2,\)"):
        cr.tensor([1.0, 2.0]) + np.array([1.0, 2.0]).view(Refuses)


# -- the .grad of computed Tensors ------------------------------------------------------
def _chain(x, n):
    """n elementwise ops in a row; returns every intermediate (held by the caller)."""
    out = [x]
    for i in range(n):
        out.append(cr.sin(out[-1]) if i % 2 else cr.exp(out[-1] * 0.1))
    return out


def test_a_computed_tensor_the_caller_holds_keeps_its_grad():
    x = cr.tensor([0.1, -0.4, 0.9], requires_grad=True)
    h = cr.tanh(x)                 # held in a variable
    kept = [cr.exp(h)]             # held in a list
    out = (kept[0] * 3.0).sum()
    out.backward()
    s = 1 - np.tanh(x.value) ** 2
    e = np.exp(np.tanh(x.value))
    np.testing.assert_allclose(kept[0].grad, [3.0, 3.0, 3.0], rtol=0, atol=0)
    np.testing.assert_allclose(h.grad, 3.0 * e, rtol=1e-15)
    np.testing.assert_allclose(x.grad, 3.0 * e * s, rtol=1e-15)
    assert out.grad is not None                  # the root too
    # a second pass adds into every .grad that is kept, as before
    out.backward()
    np.testing.assert_allclose(h.grad, 6.0 * e, rtol=1e-15)


def test_a_temporary_only_the_graph_holds_keeps_no_grad_and_leaves_are_unchanged():
    x = cr.tensor([0.1, -0.4, 0.9], requires_grad=True)
    w = cr.tensor([2.0, 0.5, -1.0], requires_grad=True)
    out = (cr.sin(x * w) ** 2).sum()
    out.backward()
    product = out.parents[0].parents[0].parents[0]     # x * w, reached through the graph
    assert product.prim.name == "mul" and product.grad is None
    assert out.parents[0].grad is None
    got = [np.array(x.grad), np.array(w.grad)]
    # the general loop (which keeps every .grad) gives the same leaf gradients, bit for bit
    expected = _general_pass_grads(out, [x, w])
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    z = x.value * w.value
    np.testing.assert_allclose(got[0], 2 * np.sin(z) * np.cos(z) * w.value, rtol=1e-14)
    assert all(n._ct is None and n._pending == 0 for n in walk(out))


def test_intermediate_grads_match_the_general_loop_where_they_are_kept():
    x = cr.tensor(np.linspace(-1, 1, 5), requires_grad=True)
    chain = _chain(x, 6)
    out = chain[-1].sum()
    out.backward()
    fast = [np.array(t.grad) for t in chain]
    general = _general_pass_grads(out, chain)
    for a, b in zip(fast, general):
        np.testing.assert_array_equal(a, b)


def test_the_pass_frees_the_gradients_of_temporaries_as_it_goes():
    import tracemalloc

    n, size = 16, 1 << 17          # 16 ops on 1 MB arrays
    x = cr.tensor(np.linspace(0, 1, size), requires_grad=True)

    def loss():
        h = x
        for i in range(n):
            h = cr.sin(h) if i % 2 else cr.exp(h * 0.1)
        return h.sum()

    out = loss()
    tracemalloc.start()
    try:
        out.backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # x.grad plus a few live cotangents; keeping one per op would take over 24 MB
    assert peak < 8 * size * 8, f"backward peaked at {peak / 1e6:.1f} MB"
    np.testing.assert_allclose(x.grad, _general_pass_grads(out, [x])[0], rtol=0, atol=0)
