"""State that must not leak: recording modes per thread, passes that take turns and leave
no scratch space behind when interrupted, rules whose contribution has the wrong shape."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule.core import Node, backprop, walk
from chainrule.core.recording import grad_enabled, observer_factory, transform_level
from chainrule.errors import ShapeError
from chainrule.primitive import REGISTRY


def _in_thread(fn):
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as exc:  # handed back to the test
            out["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_no_grad_in_one_thread_leaves_another_recording():
    inside = threading.Event()
    release = threading.Event()

    def hold():
        with cr.no_grad():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    inside.wait(5)
    try:
        x = cr.Scalar(3.0)
        y = x * x
        y.backward()
        assert x.grad == 6.0
        w = cr.tensor([1.0, 2.0], requires_grad=True)
        (w * w).sum().backward()
        np.testing.assert_allclose(w.grad, [2.0, 4.0])
        assert grad_enabled()
    finally:
        release.set()
        t.join()


def test_a_new_thread_records_even_inside_no_grad():
    with cr.no_grad():
        assert not grad_enabled()
        assert _in_thread(grad_enabled) is True
    assert grad_enabled()


def test_out_of_order_exits_only_touch_this_thread():
    a, b = cr.no_grad(), cr.enable_grad()
    a.__enter__()
    b.__enter__()
    a.__exit__(None, None, None)        # out of order: restores "recording"
    b.__exit__(None, None, None)        # restores what b saw: not recording
    assert _in_thread(grad_enabled) is True
    with cr.enable_grad():
        assert grad_enabled()
    from chainrule.core.recording import _GRAD
    _GRAD.set(True)
    assert grad_enabled()


def test_anomaly_and_source_tracing_are_per_thread():
    with cr.detect_anomaly():
        assert observer_factory() is not None
        assert _in_thread(observer_factory) is None
    assert observer_factory() is None


def test_nested_no_grad_and_hooks_restore_on_exit():
    seen = []
    with cr.core.on_create(seen.append):
        with cr.core.on_create(seen.append):
            cr.Scalar(1.0) * 2
        with cr.no_grad():
            with cr.core.on_create(seen.append):
                cr.Scalar(1.0) * 2
    assert len(seen) == 2 and seen[0] is seen[1]
    assert grad_enabled() and transform_level() == 0


class _Interrupting(Node):
    """A node whose ``needs`` raises KeyboardInterrupt the n-th time it is read."""

    __slots__ = ("count",)

    def __init__(self, n):
        super().__init__(1.0, needs=True)
        object.__setattr__(self, "count", n)

    def __getattribute__(self, name):
        if name == "needs":
            n = object.__getattribute__(self, "count") - 1
            object.__setattr__(self, "count", n)
            if n == 0:
                raise KeyboardInterrupt
        return object.__getattribute__(self, name)


def _no_scratch(nodes):
    return all(n._pending == 0 and n._ct is None for n in nodes)


def test_an_interrupted_edge_count_leaves_no_stale_counts():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    a = w * 2.0
    b = a * 3.0
    bad = _Interrupting(1)
    root = cr.Tensor._node(np.ones(2), (b, bad), REGISTRY["add"], True)
    with pytest.raises(KeyboardInterrupt):
        backprop(root, np.ones(2), cr.Tensor.backward_mode)
    assert _no_scratch([w, a, b, root])
    with pytest.raises(KeyboardInterrupt):
        walk(cr.Tensor._node(np.ones(2), (b, _Interrupting(1)),
                             REGISTRY["add"], True))
    assert _no_scratch([w, a, b])
    # the parameter still receives its gradient in later graphs
    (w * 2.0).sum().backward()
    np.testing.assert_allclose(w.grad, [2.0, 2.0])


def test_an_interrupt_in_the_middle_of_a_walk_leaves_no_stale_counts():
    class Stop(cr.core.Observer):
        def __init__(self):
            self.n = 0

        def node(self, node, g):
            self.n += 1
            if self.n == 2:
                raise KeyboardInterrupt

    w = cr.tensor([1.0, 2.0], requires_grad=True)
    h = w * 2.0
    y = (h * h).sum()
    with pytest.raises(KeyboardInterrupt):
        backprop(y, np.ones(()), cr.Tensor.backward_mode, observer=Stop())
    assert _no_scratch(walk(y))
    model = cr.nn.Linear(2, 1)
    out = model(cr.tensor([[1.0, 2.0]])).sum()
    out.backward()
    assert model.weight.grad is not None


def test_an_interrupted_scalar_pass_leaves_no_stale_counts(monkeypatch):
    from chainrule.rules import elementwise

    x = cr.Scalar(2.0)
    y = cr.sin(x * x)

    def boom(M, g, ans, a):
        raise KeyboardInterrupt

    monkeypatch.setattr(elementwise.SIN, "vjps", [boom])
    with pytest.raises(KeyboardInterrupt):
        y.backward()
    monkeypatch.undo()
    assert _no_scratch([x, y] + list(y.parents))
    z = x * 3.0
    z.backward()
    assert x.grad == 3.0


def test_passes_in_two_threads_over_shared_nodes_do_not_corrupt_each_other():
    rng = np.random.default_rng(0)
    W = cr.tensor(rng.normal(size=(4, 4)), requires_grad=True)
    xs = [rng.normal(size=(4,)) for _ in range(8)]

    def expected(x):
        return 2 * np.outer(np.tanh(W.value @ x) * (1 - np.tanh(W.value @ x) ** 2), x)

    shared = cr.tanh(W @ cr.tensor(xs[0]))
    errors = []

    def explain_many():
        for _ in range(40):
            g = cr.grad(lambda w: cr.sum(cr.tanh(w @ cr.tensor(xs[0])) ** 2))(W.value)
            if not np.allclose(g, expected(xs[0])):
                errors.append("explain")
            walk((shared * shared).sum())

    t = threading.Thread(target=explain_many)
    t.start()
    total = np.zeros((4, 4))
    for _ in range(40):
        for x in xs:
            (cr.tanh(W @ cr.tensor(x)) ** 2).sum().backward()
            total += expected(x)
        ((shared * shared).sum()).backward()
        total += expected(xs[0])
    t.join()
    assert errors == []
    np.testing.assert_allclose(W.grad, total, rtol=1e-10)


def test_a_rule_returning_the_wrong_shape_is_named():
    too_long = cr.primitive("too_long", lambda x: x * 1.0,
                            [lambda M, g, ans, x: np.ones(5)], derivs=["1"])
    too_many_rows = cr.primitive("too_many_rows", lambda x: x * 1.0,
                                 [lambda M, g, ans, x: np.ones((3, 2))], derivs=["1"])

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ShapeError, match=r"too_long: the gradient rule for input 0 "
                                         r"returned shape \(5,\), but input 0 has shape \(2,\)"):
        too_long(x).sum().backward()
    with pytest.raises(ShapeError, match=r"too_many_rows.*\(3, 2\)"):
        too_many_rows(x).sum().backward()
    with pytest.raises(ShapeError, match="too_many_rows"):
        cr.hessian(lambda v: cr.sum(too_many_rows(v) * v))(np.array([1.0, 2.0]))
    assert _no_scratch([x])
    # broadcasting contributions stay accepted (matmul over a batch, add with a row)
    A = cr.tensor(np.ones((2, 2, 3)), requires_grad=True)
    B = cr.tensor(np.ones((3, 2)), requires_grad=True)
    (A @ B).sum().backward()
    np.testing.assert_allclose(B.grad, np.full((3, 2), 4.0))
