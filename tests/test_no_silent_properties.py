"""Property test: random programs (elementwise ops, broadcasting, fan-out, a nested grad)
differentiated in several threads at once, with passes interrupted half-way and no_grad
toggled in between, agree with central differences every time."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule.core import Observer, backprop

UNARY = [cr.sin, cr.tanh, cr.sigmoid, lambda v: v * v, lambda v: cr.exp(0.3 * v)]


def program(seed: int):
    """A random f(x) of a (3,) vector: a list of values each computed from earlier ones
    (fan-out), with broadcasting against a (2, 1) constant and a nested cr.grad."""
    rng = np.random.default_rng(seed)
    steps = []
    for k in range(int(rng.integers(3, 8))):
        kind = int(rng.integers(0, 5))
        a, b = (int(i) for i in rng.integers(0, k + 1, size=2))
        steps.append((kind, a, b, int(rng.integers(0, len(UNARY))), rng.normal(size=(2, 1))))

    def f(x):
        vals = [x]
        for kind, a, b, u, c in steps:
            va, vb = vals[a], vals[b]
            if kind == 0:
                vals.append(va * vb)
            elif kind == 1:
                vals.append(va - 0.5 * vb)
            elif kind == 2:
                vals.append(UNARY[u](va))
            elif kind == 3:                                  # broadcasting (2,1) x (3,)
                vals.append(cr.sum(cr.tensor(c) * va, axis=0) / 2)
            else:                                            # a nested grad with a closure
                vals.append(cr.grad(lambda z, v=va: cr.sum(cr.sin(z * v)))(np.ones(3)))
        return cr.sum(vals[-1] * vals[-1]) + cr.sum(vals[len(vals) // 2])
    return f


def numeric(f, x, h=1e-6):
    out = np.zeros(3)
    for i in range(3):
        e = np.zeros(3)
        e[i] = h
        with cr.no_grad():
            plus, minus = (f(cr.tensor(x + s)) for s in (e, -e))
            out[i] = (getattr(plus, "value", plus) - getattr(minus, "value", minus)) / (2 * h)
    return out


class _Interrupt(Observer):
    def __init__(self, at):
        self.at = at
        self.n = 0

    def node(self, node, g):
        self.n += 1
        if self.n == self.at:
            raise KeyboardInterrupt


def check(seed: int, errors: list) -> None:
    f = program(seed)
    rng = np.random.default_rng(1000 + seed)
    x0 = rng.normal(size=3)
    expected = numeric(f, x0)
    # the transform
    g = cr.grad(f)(x0)
    if not np.allclose(g, expected, rtol=1e-5, atol=1e-6):
        errors.append((seed, "grad", g, expected))
    # backward on a leaf, first interrupted half-way, then whole
    x = cr.tensor(x0, requires_grad=True)
    y = f(x)
    if not isinstance(y, cr.Tensor) or not y.requires_grad:
        return
    with pytest.raises(KeyboardInterrupt):
        backprop(y, np.ones(()), cr.Tensor.backward_mode, observer=_Interrupt(2))
    with cr.no_grad():
        f(cr.tensor(x0))                    # no_grad here must not stop other threads
    y.backward()
    if not np.allclose(x.grad, expected, rtol=1e-5, atol=1e-6):
        errors.append((seed, "backward", x.grad, expected))


@pytest.mark.parametrize("batch", range(4))
def test_random_programs_in_threads_with_interrupts_match_finite_differences(batch):
    errors: list = []
    seeds = range(batch * 6, batch * 6 + 6)
    threads = [threading.Thread(target=check, args=(s, errors)) for s in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for s in seeds:                         # and each one again on its own
        check(s, errors)
    assert errors == []
