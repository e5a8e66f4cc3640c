"""The one backward pass: its observer, the float loop it specialises, the rule call with
its fallback, and a clean state after a pass that stopped half-way."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.core import Mode, Node, Observer, backprop, observe_passes, vjp, walk
from chainrule.primitive import REGISTRY
from chainrule.scalar import FLOAT_MODE

# a 3-input gate (its parents are kept as a tuple) and a gate with a None rule
FMA = cr.primitive("fma", lambda a, b, c: a * b + c,
                   [lambda M, g, ans, a, b, c: g * b, lambda M, g, ans, a, b, c: g * a,
                    lambda M, g, ans, a, b, c: g],
                   inputs=("a", "b", "c"), derivs=("b", "a", "1"))
STOP_B = cr.primitive("stop_b", lambda a, b: a * b,
                      [lambda M, g, ans, a, b: g * b, None], inputs=("a", "b"))
GENERAL = Mode(FLOAT_MODE.math, False, fallback=FLOAT_MODE.fallback)


class Recorder(Observer):
    def __init__(self):
        self.upstream = {}
        self.edges = []

    def node(self, node, g):
        assert id(node) not in self.upstream, "a node was reported twice"
        self.upstream[id(node)] = g

    def edge(self, node, i, parent, c):
        self.edges.append((node, i, parent, c))


def graph():
    """A Scalar graph with fan-out, a 3-input gate, a None rule, a 1/0 and a constant."""
    x, w, b = cr.Scalar(0.7, "x"), cr.Scalar(-1.3, "w"), cr.Scalar(0.25, "b")
    h = FMA(x, w, b)
    s = cr.sin(h) * x + STOP_B(h, w) + cr.tanh(x * x)
    return (x, w, b), s + 2.0


def test_the_general_loop_gives_the_float_loops_numbers_bit_for_bit():
    (x, w, b), y = graph()
    y.backward()
    fast = [repr(n.grad) for n in walk(y)]
    cr.zero_grad(y)
    backprop(y, 1.0, GENERAL)
    assert [repr(n.grad) for n in walk(y)] == fast
    # and they are right: d/dx of sin(x w + b) x + (x w + b) w + tanh(x^2)
    h = 0.7 * -1.3 + 0.25
    assert x.grad == pytest.approx(math.cos(h) * -1.3 * 0.7 + math.sin(h) + -1.3 * -1.3
                                   + (1 - math.tanh(0.49) ** 2) * 1.4, rel=1e-14)
    assert b.grad == pytest.approx(math.cos(h) * 0.7 + -1.3, rel=1e-14)


def test_the_observer_sees_each_nodes_complete_upstream_gradient_as_backward_gives_it():
    (x, w, b), y = graph()
    y.backward()
    grads = {id(n): n.grad for n in walk(y)}
    seen = Recorder()
    backprop(y, 1.0, FLOAT_MODE, accumulate=False, observer=seen)
    assert seen.upstream == grads
    # every edge's contribution adds up, in order, to its parent's gradient
    totals = {}
    for _, _, p, c in seen.edges:
        totals[id(p)] = totals[id(p)] + c if id(p) in totals else c
    assert totals == {k: g for k, g in grads.items() if k != id(y)}


def test_a_none_rule_sends_nothing_along_its_edge():
    a, c = cr.Scalar(3.0), cr.Scalar(5.0)
    y = STOP_B(a, c)
    seen = Recorder()
    backprop(y, 1.0, FLOAT_MODE, accumulate=False, observer=seen)
    assert [(i, p) for _, i, p, _ in seen.edges] == [(0, a)]
    y.backward()
    assert (a.grad, c.grad) == (5.0, None)


def test_a_one_input_gate_with_a_none_rule_stops_the_gradient_in_both_loops():
    detach = cr.primitive("detach_", lambda x: x, [None])
    for mode in (FLOAT_MODE, GENERAL):
        x = cr.Scalar(2.0)
        y = detach(x * 3.0) * x
        backprop(y, 1.0, mode)
        assert x.grad == 6.0                 # only the direct edge: d/dx of (6) * x


def test_nodes_reached_only_by_none_rules_pass_nothing_on_in_both_loops():
    a, c = cr.Scalar(3.0), cr.Scalar(0.5)
    inner = FMA(c, 2.0, c)                 # reached only through stop_b's None edge
    low = cr.sin(inner)                    # a one-input gate with no cotangent
    for mode in (FLOAT_MODE, GENERAL):
        y = STOP_B(a, low)
        backprop(y, 1.0, mode)
        assert (a.grad, c.grad, inner.grad, low.grad) == (math.sin(1.5), None, None, None)
        cr.zero_grad(y)
    found = backprop(STOP_B(a, low), 1.0, FLOAT_MODE, accumulate=False, wanted=(low, a))
    assert found == {id(a): math.sin(1.5)}   # nothing reached low


def test_explain_and_the_picture_show_the_numbers_backward_gives():
    (x, w, b), y = graph()
    y.backward()
    e = cr.explain(y)
    got = {r["node"]: r["grad"] for r in e.gradients}
    assert got == {"x": x.grad, "w": w.grad, "b": b.grad}
    assert f"grad {x.grad:.4g}" in cr.to_dot(y)


def test_detect_anomaly_observes_the_same_numbers_as_the_float_loop():
    (x, w, b), y = graph()
    y.backward()
    plain = (x.grad, w.grad, b.grad)
    cr.zero_grad(y)
    with cr.detect_anomaly():
        y.backward()
    assert (x.grad, w.grad, b.grad) == plain


def test_the_fallback_gives_numpy_semantics_in_both_loops():
    for mode in (FLOAT_MODE, GENERAL):
        x = cr.Scalar(0.0)
        with np.errstate(all="ignore"):
            y = FMA(1.0 / x, x, x) + cr.log(x)   # 1/x and log at 0: math raises, numpy says inf
            backprop(y, 1.0, mode)
        assert x.grad == -math.inf or math.isnan(x.grad)


def test_vjp_is_the_rule_with_the_fallback_and_none_for_no_gradient():
    div = REGISTRY["div"]
    assert vjp(div, 0, 2.0, 0.5, [1.0, 2.0], FLOAT_MODE) == 1.0
    with np.errstate(divide="ignore"):
        assert vjp(div, 0, 1.0, math.inf, [1.0, 0.0], FLOAT_MODE) == math.inf
    with pytest.raises(ZeroDivisionError):
        vjp(div, 0, 1.0, math.inf, [1.0, 0.0], GENERAL.__class__(FLOAT_MODE.math, False))
    assert vjp(STOP_B, 1, 1.0, 6.0, [2.0, 3.0], FLOAT_MODE) is None


class Interrupt:
    """A rule that raises once (KeyboardInterrupt: not an Exception), then works."""

    def __init__(self, error=KeyboardInterrupt):
        self.armed = True
        self.error = error

    def __call__(self, M, g, ans, x):
        if self.armed:
            self.armed = False
            raise self.error("stop")
        return g * 2.0


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
@pytest.mark.parametrize("loop", ["float", "general", "tensor"])
def test_every_later_pass_delivers_gradients_after_an_interrupted_one(loop, error):
    twice = cr.primitive("twice", lambda x: 2 * x, [Interrupt(error)])
    if loop == "tensor":
        x = cr.tensor([1.0, -2.0], requires_grad=True)
        y = cr.sum(twice(cr.exp(x)) * x)
    else:
        x = cr.Scalar(0.5)
        y = twice(cr.exp(x)) * x + x * 3.0

    def run():
        if loop == "general":
            backprop(y, 1.0, FLOAT_MODE, observer=Recorder())
        else:
            y.backward()

    with pytest.raises(error):
        run()
    for node in walk(y, every=True):
        assert node._ct is None and node._pending == 0
    for _ in range(2):                   # the next passes are whole and correct
        cr.zero_grad(y)
        run()
        xv = np.asarray(x.value)
        expected = 2 * np.exp(xv) * xv + 2 * np.exp(xv) + (0.0 if loop == "tensor" else 3.0)
        np.testing.assert_allclose(x.grad, expected, rtol=1e-14)


def test_an_observer_that_raises_leaves_a_clean_graph():
    class Stop(Observer):
        def edge(self, node, i, parent, c):
            raise KeyboardInterrupt

    (x, w, b), y = graph()
    with pytest.raises(KeyboardInterrupt):
        backprop(y, 1.0, FLOAT_MODE, observer=Stop())
    y.backward()
    fast = x.grad
    cr.zero_grad(y)
    backprop(y, 1.0, GENERAL)
    assert x.grad == fast


def test_passes_observed_from_outside_report_to_every_observer():
    made = []

    def start(root):
        made.append(Recorder())
        return made[-1]

    x = cr.Scalar(2.0)
    y = x * x
    with observe_passes(start), observe_passes(start):
        y.backward()
        own = Recorder()
        backprop(y, 1.0, FLOAT_MODE, accumulate=False, observer=own)
    assert len(made) == 4 and all(m.upstream == {id(y): 1.0, id(x): 4.0} for m in made)
    assert own.upstream == {id(y): 1.0, id(x): 4.0} and x.grad == 4.0


def test_walk_gives_forward_order_with_constants_only_when_asked():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    k = cr.tensor([3.0, 4.0])               # a constant node
    y = cr.sum(x * k + x)
    assert walk(y)[0] is x and walk(y)[-1] is y and all(n is not k for n in walk(y))
    every = walk(y, every=True)
    pos = {id(n): i for i, n in enumerate(every)}
    assert id(k) in pos and pos[id(k)] < pos[id(y.parents[0])]
    assert walk(k) == [k]


def test_each_engine_names_its_mode_and_seed():
    s = cr.Scalar(1.0)
    t = cr.tensor([[1.0, 2.0]], dtype=np.float32, requires_grad=True)
    assert cr.Scalar.backward_mode.floats and not cr.Tensor.backward_mode.floats
    assert s.backward_seed() == 1.0 and s.backward_seed(cr.Scalar(3.0)) == 3.0
    seed = t.backward_seed()
    assert seed.dtype == np.float32 and seed.shape == (1, 2) and np.all(seed == 1)
    with pytest.raises(cr.ShapeError, match=r"grad has shape \(2,\)"):
        t.backward_seed([1.0, 2.0])


def test_a_walk_stopped_half_way_leaves_no_counts_behind():
    class Trap(Node):
        __slots__ = ()

        @property
        def needs(self):
            raise KeyboardInterrupt

        @needs.setter
        def needs(self, value):
            pass

    x = cr.Scalar(1.5)
    first = x * 2.0
    y = Node(0.0, (first, Trap(1.0)), REGISTRY["mul"], needs=True)
    with pytest.raises(KeyboardInterrupt):
        walk(y)
    assert x._pending == 0 and first._pending == 0 and y._pending == 0
    first.backward()
    assert x.grad == 2.0


def test_a_plain_node_has_no_backward_pass():
    with pytest.raises(NotImplementedError, match="Node defines no backward pass"):
        Node(1.0).backward_seed()
    assert Node.backward_mode is None


def test_recording_state_inside_no_grad():
    from chainrule.core import grad_enabled, on_create

    seen = []
    with cr.no_grad():
        assert not grad_enabled()
        with on_create(seen.append):
            cr.Scalar(1.0) * 2.0
    assert grad_enabled() and seen == []


def gate(op, a, b, k, zero):
    """One gate of :func:`random_program`: ``a``, ``b`` Scalars, ``k`` a constant."""
    if op == "div":
        return a / (b - b.value if zero else b)     # a quotient by 0 when asked
    return {"add": a + b, "sub": a - b, "mul": a * b, "rdiv": k / a, "radd": k + a,
            "rsub": k - a, "rmul": k * a, "sq": a * a, "sin": cr.sin(a), "fma": FMA(a, k, b),
            "pow": a ** 2, "stop": STOP_B(a, b)}[op]


def random_program(rng, leaves):
    """A random Scalar program over ``leaves``: every arithmetic gate with Scalars and
    constants on either side, squares as x * x, quotients that hit 0, a unary gate and a
    3-input gate, with fan-out (values are reused)."""
    pool = list(leaves)
    ops = ["add", "sub", "mul", "div", "rdiv", "radd", "rsub", "rmul", "sq", "sin", "fma",
           "pow", "stop"]
    for _ in range(40):
        a = pool[rng.integers(len(pool))]
        b = pool[rng.integers(len(pool))]
        k = float(rng.choice([0.0, 0.5, -2.0, 3.0]))
        with np.errstate(all="ignore"):
            pool.append(gate(ops[rng.integers(len(ops))], a, b, k, rng.random() < 0.2))
    total = pool[-1]
    for v in pool[-8:-1]:
        total = total + v
    return total


@pytest.mark.parametrize("seed", range(12))
def test_the_float_loop_computes_every_arithmetic_gate_as_its_rule(seed):
    """The float loop computes add, sub, mul and div inline: bit for bit the numbers of
    the general loop, which calls each gate's rule, including 1/0 and x * x."""
    rng = np.random.default_rng(seed)
    leaves = [cr.Scalar(float(v)) for v in rng.uniform(-2, 2, 4)]
    y = random_program(rng, leaves)
    with np.errstate(all="ignore"):
        y.backward()
        fast = [repr(n.grad) for n in walk(y)]
        cr.zero_grad(y)
        backprop(y, 1.0, GENERAL)
    assert [repr(n.grad) for n in walk(y)] == fast


def test_the_float_loop_handles_a_quotient_by_a_constant_zero_and_constant_operands():
    x = cr.Scalar(2.0)
    with np.errstate(all="ignore"):
        y = x / 0 + 3.0 / x + (x - 1.0) * (1.0 - x)
        y.backward()
    assert x.grad == math.inf
    x.grad = None
    z = 3.0 / x + (x - 1.0) * (1.0 - x)
    z.backward()
    assert x.grad == -3.0 / 4.0 + (1.0 - 2.0) - (2.0 - 1.0)


def test_a_float_pass_stopped_in_its_walk_leaves_no_counts_behind():
    class Trap(Node):
        __slots__ = ()

        @property
        def _pending(self):
            raise KeyboardInterrupt

        @_pending.setter
        def _pending(self, value):
            pass

    x = cr.Scalar(1.5)
    first = x * 2.0
    y = cr.Scalar._node(0.0, (first, Trap(1.0), 2.0), FMA)
    with pytest.raises(KeyboardInterrupt):
        y.backward()
    assert x._pending == 0 and first._pending == 0 and y._pending == 0
    assert x._ct is None and first._ct is None
    first.backward()
    assert x.grad == 2.0


def test_rules_that_send_nothing_or_raise_behave_alike_in_both_loops():
    """A None rule on the first input of a 2-input gate and on a 3-input gate, and a
    3-input rule that divides by 0 (numpy semantics through the fallback)."""
    stop_a = cr.primitive("stop_a", lambda a, b: a * b, [None, lambda M, g, ans, a, b: g * a],
                          inputs=("a", "b"))
    ratio = cr.primitive("ratio3", lambda a, b, c: a / b + c if b else math.inf,
                         [None, lambda M, g, ans, a, b, c: -g * a / (b * b),
                          lambda M, g, ans, a, b, c: g], inputs=("a", "b", "c"))
    got = []
    for mode in (FLOAT_MODE, GENERAL):
        x, z = cr.Scalar(2.0), cr.Scalar(0.0)
        with np.errstate(all="ignore"):
            y = stop_a(x, z + 3.0) + ratio(x, z, x)
            backprop(y, 1.0, mode)
        got.append((x.grad, z.grad))
    assert got[0] == got[1]
    assert got[0] == (1.0, -math.inf)      # x: only as c; z: 2 + (-2/0)


def test_a_nested_grad_calls_no_rule_on_the_outer_values_it_closes_over():
    # the inner pass wants x only: the history of c (dbl of the outer w) is not its business
    calls = []

    def rule(M, g, ans, x):
        calls.append(1)
        return 2 * g
    dbl = cr.primitive("dbl_counted", lambda x: 2 * x, [rule])

    def outer(w):
        c = dbl(w)                                   # one input: one slot
        d = cr.stack([c, c * w, w])                  # three inputs (a tuple); c reached twice
        inner = cr.grad(lambda x: cr.sum(x * c * x) + cr.sum(d[1] * x))(np.ones(3))
        return cr.sum(inner)
    w = np.array([1.0, 2.0, 3.0])
    g = cr.grad(outer)(w)
    # inner = 2 x c + c w = 4 w + 2 w^2 at x = 1, so d/dw sum(inner) = 4 + 4 w
    np.testing.assert_allclose(g, 4 + 4 * w)
    assert len(calls) == 1                           # the outer pass's own call
