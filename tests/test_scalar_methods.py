"""Scalars as micrograd's ``Value``: op methods from the rule table, ``.data``, ``.grad``,
``label=``, and micrograd's own engine tests.

Oracles: central differences on the op's own float forward, closed forms, and the values
PyTorch computes for micrograd's two engine tests (constants below, recomputed with torch
when it is installed).
"""

from __future__ import annotations

import copy
import math
import pickle
import random
import warnings

import pytest

import chainrule as cr
from chainrule.primitive import REGISTRY, Primitive, float_forward, unary, unregister


def _scalar_entries() -> list[Primitive]:
    """Every table entry defined on one number that gives methods."""
    return [p for p in REGISTRY.values()
            if p.float_fn is not None and p.function is not None and p.methods]


def _point(prim: Primitive, i: int, rng: random.Random) -> float:
    low, high = prim.sample[i]
    while True:
        v = rng.uniform(low, high)
        if all(abs(v - a) > 0.1 for a in prim.avoid):
            return v


def _central(f, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def test_the_table_gives_scalars_methods():
    names = {name for p in _scalar_entries() for name in p.methods}
    assert {"relu", "tanh", "exp", "log", "sigmoid", "sin", "cos", "tan", "sqrt", "abs",
            "__abs__"} <= names


@pytest.mark.parametrize("prim", _scalar_entries(), ids=lambda p: p.name)
def test_every_scalar_method_records_like_its_function(prim: Primitive):
    rng = random.Random(prim.name)
    fn = getattr(cr, prim.function)
    args = [_point(prim, i, rng) for i in range(prim.n_inputs)]
    rest = args[1:]
    expected = _central(lambda v: float_forward(prim, [v, *rest]), args[0])
    for name in prim.methods:
        x, x2 = cr.Scalar(args[0]), cr.Scalar(args[0])
        by_method = getattr(x, name)(*rest)
        by_function = fn(x2, *rest)
        assert type(by_method) is cr.Scalar
        assert by_method.prim is prim and by_function.prim is prim
        assert by_method.value == by_function.value == float_forward(prim, args)
        by_method.backward()
        by_function.backward()
        assert x.grad == x2.grad
        assert x.grad == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_tensor_only_entries_give_scalars_no_method():
    x = cr.Scalar(1.0)
    for name in ("sum", "reshape", "matmul", "softmax", "transpose"):
        assert not hasattr(x, name), name


def test_abs_of_a_scalar_and_its_gradient():
    x = cr.Scalar(-3.0)
    y = abs(x)
    y.backward()
    assert (y.value, x.grad) == (3.0, -1.0)


def test_a_registered_entry_gives_scalars_its_method_until_unregistered():
    unary("cube_m", lambda x: x**3, lambda x: x**3, lambda M, g, ans, x: g * 3 * x**2,
          "3*x**2", formula=False)
    try:
        x = cr.Scalar(2.0)
        y = x.cube_m()
        y.backward()
        assert (y.value, x.grad) == (8.0, 12.0)
        assert cr.tensor([2.0]).cube_m().value.tolist() == [8.0]
    finally:
        unregister("cube_m")
    assert not hasattr(cr.Scalar, "cube_m") and not hasattr(cr.Tensor, "cube_m")


def test_a_method_name_scalar_already_has_is_refused():
    with pytest.raises(ValueError, match="Scalar already has"):
        unary("tangent_m", lambda x: x, lambda x: x, lambda M, g, ans, x: g, "1",
              methods=("tangent",), formula=False)
    assert "tangent_m" not in REGISTRY and not hasattr(cr.Tensor, "tangent")


# -- .data ------------------------------------------------------------------------------
def test_data_reads_the_value_without_a_warning():
    x = cr.Scalar(2.0)
    y = x * 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.exp(y.data) == math.exp(6.0)
        assert x.data == 2.0 and type(x.data) is float


def test_writing_data_on_a_leaf_changes_the_next_forward():
    w = cr.Scalar(2.0)
    w.data -= 0.5               # micrograd's update: p.data += -lr * p.grad
    assert w.value == 1.5
    y = w * w * w
    y.backward()
    assert (y.value, w.grad) == (1.5**3, 3 * 1.5**2)


def test_data_written_after_recording_makes_backward_raise_naming_the_op():
    w = cr.Scalar(2.0, name="w")
    y = cr.exp(w * w)
    w.data = 1.0
    with pytest.raises(RuntimeError, match=r"input 'w' of mul was modified"):
        y.backward()
    assert w.grad is None


def test_the_stale_graph_is_refused_also_on_the_observed_pass():
    w = cr.Scalar(2.0)
    y = w * w
    w.data = 1.0
    with cr.detect_anomaly(), pytest.raises(RuntimeError, match=r"\(now 1\.0\) of mul"):
        y.backward()


def test_a_graph_recorded_after_the_write_backpropagates():
    w = cr.Scalar(2.0)
    w.data = 5.0
    y = w * w
    y.backward()
    assert w.grad == 10.0


def test_data_of_a_computed_scalar_cannot_be_set():
    y = cr.Scalar(2.0) * 3
    with pytest.raises(AttributeError, match="computed by mul"):
        y.data = 1.0
    assert y.value == 6.0


def test_data_must_be_a_number():
    w = cr.Scalar(2.0)
    with pytest.raises(TypeError, match="Scalar.data"):
        w.data = "3"
    with pytest.raises(TypeError):
        w.data = cr.Scalar(1.0)
    assert w.value == 2.0


# -- .grad, backward, label, repr -------------------------------------------------------
def test_grad_is_none_until_backward_and_can_be_reset_to_zero():
    w = cr.Scalar(3.0)
    assert w.grad is None
    (w * w).backward()
    assert w.grad == 6.0
    w.grad = 0                  # micrograd's zero_grad
    (w * w).backward()
    assert w.grad == 6.0
    w.grad = None               # PyTorch's
    (w * 2).backward()
    assert w.grad == 2.0


def test_backward_twice_adds_the_gradient_twice():
    x = cr.Scalar(1.5)
    y = x * x * 3
    y.backward()
    y.backward()
    assert x.grad == 2 * 6 * 1.5


def test_label_is_another_spelling_of_name():
    x = cr.Scalar(2.0, label="x")
    assert x.name == x.label == "x"
    y = x * 2
    y.label = "y"
    assert y.name == "y"
    assert cr.Scalar(1.0, name="a", label="a").name == "a"
    with pytest.raises(ValueError, match="differ"):
        cr.Scalar(1.0, name="a", label="b")


def test_repr_shows_value_and_grad():
    x = cr.Scalar(-4.0)
    (x * x).backward()
    assert repr(x) == "Scalar(-4.0, grad=-8.0)"


def test_builtin_sum_of_scalars():
    xs = [cr.Scalar(float(i)) for i in range(1, 5)]
    total = sum(x * x for x in xs)
    total.backward()
    assert total.value == 30.0
    assert [x.grad for x in xs] == [2.0, 4.0, 6.0, 8.0]


def test_a_leaf_copies_and_pickles_as_an_independent_leaf():
    w = cr.Scalar(2.0, name="w", tangent=1.0)
    (w * w).backward()
    for copied in (copy.copy(w), copy.deepcopy(w), pickle.loads(pickle.dumps(w))):
        assert copied is not w and copied.is_leaf
        assert (copied.data, copied.name, copied.grad, copied.tangent) == (2.0, "w", 4.0, 1.0)
        copied.data = 3.0
        assert w.data == 2.0
    snapshot = copy.deepcopy([w])
    w.data -= 1.0
    assert snapshot[0].data == 2.0


def test_a_computed_scalar_refuses_to_be_copied():
    y = cr.Scalar(2.0) * 3
    with pytest.raises(TypeError, match="computed by mul"):
        copy.deepcopy(y)


# -- micrograd's engine tests (test/test_engine.py), values from PyTorch ----------------
SANITY = {"y": -20.0, "x.grad": 46.0}
MORE_OPS = {"g": 24.70408163265306, "a.grad": 138.83381924198252,
            "b.grad": 645.5772594752186}


def _sanity(x):
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def _more_ops(a, b):
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def test_micrograd_sanity_check():
    x = cr.Scalar(-4.0)
    y = _sanity(x)
    y.backward()
    assert (y.data, x.grad) == (SANITY["y"], SANITY["x.grad"])


def test_micrograd_more_ops():
    a, b = cr.Scalar(-4.0), cr.Scalar(2.0)
    g = _more_ops(a, b)
    g.backward()
    assert abs(g.data - MORE_OPS["g"]) < 1e-6
    assert abs(a.grad - MORE_OPS["a.grad"]) < 1e-6
    assert abs(b.grad - MORE_OPS["b.grad"]) < 1e-6


def test_micrograd_constants_are_torchs():
    torch = pytest.importorskip("torch")
    x = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    y = _sanity(x)
    y.backward()
    assert (y.item(), x.grad.item()) == (SANITY["y"], SANITY["x.grad"])
    a = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    g = _more_ops(a, b)
    g.backward()
    assert (g.item(), a.grad.item(), b.grad.item()) == (
        MORE_OPS["g"], MORE_OPS["a.grad"], MORE_OPS["b.grad"])


# -- micrograd's demo: an MLP of Scalars trained by hand --------------------------------
def _mlp(rng: random.Random, sizes: list[int]) -> list[list[list[cr.Scalar]]]:
    """Layers of neurons, each neuron [w_1..w_n, b], as micrograd's nn.MLP."""
    return [[[cr.Scalar(rng.uniform(-1, 1)) for _ in range(n_in + 1)] for _ in range(n_out)]
            for n_in, n_out in zip(sizes, sizes[1:])]


def _forward(layers, x):
    for k, layer in enumerate(layers):
        last = k == len(layers) - 1
        out = []
        for neuron in layer:
            act = sum((wi * xi for wi, xi in zip(neuron, x)), neuron[-1])
            out.append(act if last else act.tanh())
        x = out
    return x[0]


def _loss(layers, xs, ys):
    return sum((_forward(layers, x) - y) ** 2 for x, y in zip(xs, ys))


XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def test_micrograd_style_training_loop_decreases_the_loss():
    layers = _mlp(random.Random(0), [3, 4, 4, 1])
    params = [p for layer in layers for neuron in layer for p in neuron]
    losses = []
    for _ in range(30):
        loss = _loss(layers, XS, YS)
        for p in params:
            p.grad = 0
        loss.backward()
        for p in params:
            p.data -= 0.05 * p.grad
        losses.append(loss.data)
    assert losses[-1] < 0.1 * losses[0]
    assert all(b < a for a, b in zip(losses, losses[1:]))


def test_micrograd_style_gradients_equal_finite_differences():
    layers = _mlp(random.Random(1), [3, 4, 1])
    params = [p for layer in layers for neuron in layer for p in neuron]
    loss = _loss(layers, XS, YS)
    loss.backward()
    grads = [p.grad for p in params]
    for p, g in zip(params, grads):
        v = p.data
        h = 1e-6
        p.data = v + h
        up = _loss(layers, XS, YS).data
        p.data = v - h
        down = _loss(layers, XS, YS).data
        p.data = v
        assert g == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-7)


def _micrograd_trace(root):
    # the lecture's draw_dot helper, as written for micrograd's Value
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)
    build(root)
    return nodes, edges


def test_micrograd_lecture_draw_dot_reads_prev_and_op():
    x1, x2 = cr.Scalar(2.0, label="x1"), cr.Scalar(0.0, label="x2")
    w1, w2 = cr.Scalar(-3.0, label="w1"), cr.Scalar(1.0, label="w2")
    b = cr.Scalar(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()
    nodes, edges = _micrograd_trace(o)
    assert len(nodes) == 10 and len(edges) == 9
    assert sorted(v._op for v in nodes) == ["", "", "", "", "", "*", "*", "+", "+", "tanh"]
    assert o._prev == {n} and x1._prev == set() and x1._op == ""
    assert x1.grad == pytest.approx(-3.0 * (1 - o.data ** 2))      # the lecture's -1.5
    sq = (x1 ** 2) - x1 / w1
    assert sq._op == "-" and {v._op for v in sq._prev} == {"**2", "/"}
    assert (x1 ** w2)._op == "**" and (x1 ** w2)._prev == {x1, w2}


def test_scalar_compared_with_a_non_number_is_unequal():
    x = cr.Scalar(1.0)
    assert (x != "1.0") is True and (x == "1.0") is False
    assert (x != None) is True                       # noqa: E711
