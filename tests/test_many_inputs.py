"""Ops with many inputs (stack, concatenate): gradients against closed forms, each node's
per-input context computed once (so backward is linear in the number of inputs), and
explanations that do not grow with the square of it."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.core import backprop
from chainrule.primitive import Primitive


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_of_uneven_inputs_sends_each_its_slice(axis):
    rng = np.random.default_rng(0)
    widths = [1, 3, 2, 5]
    arrays = [rng.standard_normal((2, w)) if axis else rng.standard_normal((w, 2))
              for w in widths]
    xs = [cr.Tensor(a, requires_grad=True) for a in arrays]
    joined = np.concatenate(arrays, axis=axis)
    w = rng.standard_normal(joined.shape)
    (cr.concatenate(xs, axis=axis) * w).sum().backward()
    pieces = np.split(w, np.cumsum(widths)[:-1], axis=axis)
    for x, piece in zip(xs, pieces):
        np.testing.assert_array_equal(x.grad, piece)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_stack_sends_each_input_its_row(axis):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((3, 2)) for _ in range(4)]
    xs = [cr.Tensor(a, requires_grad=True) for a in arrays]
    w = rng.standard_normal(np.stack(arrays, axis=axis).shape)
    (cr.stack(xs, axis=axis) * w).sum().backward()
    for k, x in enumerate(xs):
        np.testing.assert_array_equal(x.grad, np.take(w, k, axis=axis))


def test_second_derivatives_through_concatenate_match_the_closed_form():
    # f(x) = sum(concat([x, x**2])**2) = sum(x**2 + x**4); d2f/dx2 = diag(2 + 12 x**2)
    def f(x):
        return (cr.concatenate([x, x ** 2]) ** 2).sum()

    x0 = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(cr.hessian(f)(x0), np.diag(2 + 12 * x0 ** 2))


def test_gradcheck_passes_on_many_input_ops():
    rng = np.random.default_rng(2)
    a, b, c = (rng.standard_normal(s) for s in ((2, 1), (2, 3), (2, 2)))
    assert cr.gradcheck(lambda a, b, c: cr.concatenate([a, b, c], axis=1) ** 2, a, b, c)
    assert cr.gradcheck(lambda a, b: cr.stack([a, b], axis=1).sin(), a[:, 0], b[:, 0])


def test_a_variadic_rule_gets_its_context_once_per_node_not_per_input():
    calls = []

    def prep(args):
        calls.append(len(args))
        return args[-1]

    def rule(i, M, g, ans, ctx):
        return g[i] * ctx

    both = Primitive("scaled_stack", array_fn=lambda *a: np.stack(a[:-1]) * a[-1],
                     vjps=rule, prep=prep, variadic=True, inputs=("xs",))
    xs = [cr.Tensor(float(k), requires_grad=True) for k in range(200)]
    y = cr.Tensor._apply(both, (*xs, 3.0)).sum()
    backprop(y, y.backward_seed(), y.backward_mode)
    assert calls == [201]
    assert all(x.grad == 3.0 for x in xs)
    # tools that ask for one input's rule get the same answer
    assert both.vjps[7](np, np.ones(200), None, *[x.value for x in xs], 3.0) == 3.0


def test_the_explanation_of_a_5000_input_stack_is_abbreviated():
    xs = [cr.Tensor(np.ones(2), requires_grad=True, name=f"a{k}") for k in range(5000)]
    e = cr.explain(cr.stack(xs).sum())
    text = e.text(width=400)
    assert "f(xs[i]) = stack(5000 inputs)" in text
    assert "df/dxs[i] = 1 (each input gets its slice back)" in text
    assert "a0, a1, a2, a3, a4, a5, ... (4994 more)" in text
    assert max(len(line) for line in text.splitlines()) < 400
    assert len(text) < 1_000_000
    assert e.gates[0]["vjps"] == {"xs[i]": "g[..., i, ...] per input"}


def test_every_input_of_a_small_stack_gets_the_rule_text():
    a = cr.Tensor([1.0], requires_grad=True, name="a")
    b = cr.Tensor([2.0], requires_grad=True, name="b")
    e = cr.explain(cr.stack([a, b]).sum())
    assert [r["vjp"] for r in e.backward if r["node"] != e.backward[0]["node"]] == [
        "g[..., i, ...] per input"] * 2


def test_a_variadic_rule_without_prep_gets_every_input():
    def rule(i, M, g, ans, *args):
        return g[i] * args[-1]

    scaled = Primitive("scaled_stack_plain", array_fn=lambda *a: np.stack(a[:-1]) * a[-1],
                       vjps=rule, variadic=True, inputs=("xs",))
    xs = [cr.Tensor(float(k), requires_grad=True) for k in range(5)]
    y = cr.Tensor._apply(scaled, (*xs, 2.0)).sum()
    backprop(y, y.backward_seed(), y.backward_mode)
    assert [x.grad for x in xs] == [2.0] * 5
    assert scaled.vjps[3](np, np.ones(5), None, *[x.value for x in xs], 2.0) == 2.0
