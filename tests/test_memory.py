"""No memory growth over many forward/backward cycles of a small graph (tracemalloc).

The leaves live across cycles, as in a training loop, so a graph that stayed reachable from
them (or from any module-level state) would pile up. Traced memory is read, after a full
garbage collection, once the first 1,000 cycles have warmed every cache and again after
10,000: the difference must stay below a small bound.
"""

from __future__ import annotations

import gc
import math
import tracemalloc
from collections.abc import Callable

import numpy as np

import chainrule as cr

WARM, TOTAL = 1_000, 10_000
BOUND = 64 * 1024  # bytes; a graph kept per cycle costs hundreds of bytes x 9,000 cycles


def traced_growth(cycle: Callable[[], None]) -> tuple[int, int]:
    """Traced bytes after WARM cycles and after TOTAL cycles (gc collected before each)."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        for _ in range(WARM):
            cycle()
        gc.collect()
        warm = tracemalloc.get_traced_memory()[0]
        for _ in range(TOTAL - WARM):
            cycle()
        gc.collect()
        end = tracemalloc.get_traced_memory()[0]
    finally:
        if started:
            tracemalloc.stop()
    return warm, end


def test_scalar_cycles_do_not_grow():
    """Problem 1: f = 1 / (2 + sin(x1 w1)^2 + cos(x2 w2)) at x = pi/2, w = 1."""
    x1, w1 = cr.Scalar(math.pi / 2, "x1"), cr.Scalar(1.0, "w1")
    x2, w2 = cr.Scalar(math.pi / 2, "x2"), cr.Scalar(1.0, "w2")
    leaves = (x1, w1, x2, w2)
    seen = {}

    def cycle():
        for leaf in leaves:
            leaf.grad = 0.0
        f = 1 / (2 + cr.sin(x1 * w1) ** 2 + cr.cos(x2 * w2))
        f.backward()
        seen["f"] = f.value

    warm, end = traced_growth(cycle)
    # the last cycle computed the homework's values (grads reset each cycle)
    assert seen["f"] == 1 / 3
    assert math.isclose(x2.grad, 1 / 9, rel_tol=1e-12)
    assert math.isclose(w2.grad, math.pi / 18, rel_tol=1e-12)
    assert end - warm < BOUND, (f"traced memory grew by {end - warm} bytes from cycle "
                                f"{WARM} to {TOTAL} (bound {BOUND})")


def test_tensor_cycles_do_not_grow():
    """Problem 2's numpy line, f = ||sigmoid(W x)||^2, W = I (3x3), x = (1, 2, 3)."""
    W = cr.tensor(np.eye(3), requires_grad=True)
    x = cr.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    seen = {}

    def cycle():
        W.grad = None
        x.grad = None
        f = np.linalg.norm(1 / (np.exp(-np.dot(W, x)) + 1), ord=2) ** 2
        f.backward()
        seen["f"] = f.item()

    warm, end = traced_growth(cycle)
    s = 1 / (1 + np.exp(-np.array([[1.0], [2.0], [3.0]])))
    gz = 2 * s * s * (1 - s)  # df/dz for z = W x, by hand
    assert math.isclose(seen["f"], 2.2176476050544203, rel_tol=1e-12)
    np.testing.assert_allclose(x.grad, gz, rtol=1e-12)
    np.testing.assert_allclose(W.grad, gz @ np.array([[1.0, 2.0, 3.0]]), rtol=1e-12)
    assert end - warm < BOUND, (f"traced memory grew by {end - warm} bytes from cycle "
                                f"{WARM} to {TOTAL} (bound {BOUND})")


def test_forward_mode_cycles_do_not_grow():
    """Each cycle seeds a fresh leaf's tangent, kept beside the graph: it must go with the
    leaf. d/dx of sin(x w) x at x = 1, w = 0.5 is w cos(w) + sin(w)."""
    w = cr.Scalar(0.5, "w")
    seen = {}

    def cycle():
        x = cr.Scalar(1.0, tangent=1.0)
        y = cr.sin(x * w) * x
        seen["t"] = y.tangent

    warm, end = traced_growth(cycle)
    assert math.isclose(seen["t"], 0.5 * math.cos(0.5) + math.sin(0.5), rel_tol=1e-14)
    assert end - warm < BOUND, (f"traced memory grew by {end - warm} bytes from cycle "
                                f"{WARM} to {TOTAL} (bound {BOUND})")
