"""Scalar graph: the homework's Problem-1 formula summed over ~11k points (~100k nodes).

    loss(w1, w2) = sum_k 1 / (2 + sin(x1_k * w1)**2 + cos(x2_k * w2))

``w1, w2`` are the differentiated scalars, the ``x``'s plain floats. Each point costs
chainrule 9 graph nodes (mul, sin, pow, add, mul, cos, add, div, and the add into the sum),
so 11,111 points make 99,999 nodes. Every engine is timed on the same workload and divided
by that same node count, so "us per node" compares like with like (micrograd needs more
nodes of its own for the same formula: it wraps constants and divides via ``**-1``).

The garbage collector is in its default state while timing (what users get); it is run
between calls so every call starts from the same heap.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from benchmarks import harness
from benchmarks.harness import clock

NODES_PER_POINT = 9
W1, W2 = 0.7, 1.3


def points(n: int) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(0)
    return rng.uniform(-2, 2, n).tolist(), rng.uniform(-2, 2, n).tolist()


def closed_form(x1s: list[float], x2s: list[float]) -> list[float]:
    """d loss / d(w1, w2) from the derivative written out by hand (the oracle)."""
    d1 = d2 = 0.0
    for x1, x2 in zip(x1s, x2s):
        s, c = math.sin(x1 * W1), math.cos(x1 * W1)
        den = (2 + s * s + math.cos(x2 * W2)) ** 2
        d1 += -2 * s * c * x1 / den
        d2 += math.sin(x2 * W2) * x2 / den
    return [d1, d2]


# -- engines: each returns (run, gradients); run() -> {"forward": s, "backward": s} ------

def chainrule_engine(x1s, x2s):
    import chainrule as cr

    sin, cos, Scalar = cr.sin, cr.cos, cr.Scalar
    last = {}

    def run():
        t0 = clock()
        w1, w2 = Scalar(W1), Scalar(W2)
        total = 0.0
        for x1, x2 in zip(x1s, x2s):
            total = total + 1 / (2 + sin(x1 * w1) ** 2 + cos(x2 * w2))
        t1 = clock()
        total.backward()
        t2 = clock()
        last["grads"] = [w1.grad, w2.grad]
        return {"forward": t1 - t0, "backward": t2 - t1}

    return run, lambda: (run(), last["grads"])[1]


def hand_engine(x1s, x2s):
    """Forward and backward written by hand on floats, keeping the intermediates a
    reverse pass needs: the floor no library can beat."""
    sin, cos = math.sin, math.cos
    last = {}

    def run():
        t0 = clock()
        tape = []
        total = 0.0
        for x1, x2 in zip(x1s, x2s):
            a = x1 * W1
            b = x2 * W2
            sa = sin(a)
            den = 2 + sa * sa + cos(b)
            tape.append((x1, x2, a, b, sa, den))
            total += 1 / den
        t1 = clock()
        g1 = g2 = 0.0
        for x1, x2, a, b, sa, den in tape:
            gden = -1 / (den * den)
            g1 += gden * 2 * sa * cos(a) * x1
            g2 += gden * -sin(b) * x2
        t2 = clock()
        last["grads"] = [g1, g2]
        return {"forward": t1 - t0, "backward": t2 - t1}

    return run, lambda: (run(), last["grads"])[1]


def torch_engine(torch, x1s, x2s):
    last = {}

    def run():
        t0 = clock()
        w1 = torch.tensor(W1, dtype=torch.float64, requires_grad=True)
        w2 = torch.tensor(W2, dtype=torch.float64, requires_grad=True)
        total = 0.0
        for x1, x2 in zip(x1s, x2s):
            total = total + 1 / (2 + torch.sin(x1 * w1) ** 2 + torch.cos(x2 * w2))
        t1 = clock()
        total.backward()
        t2 = clock()
        last["grads"] = [w1.grad.item(), w2.grad.item()]
        return {"forward": t1 - t0, "backward": t2 - t1}

    return run, lambda: (run(), last["grads"])[1]


def autograd_engine(autograd, x1s, x2s):
    anp = autograd.numpy
    last = {}

    def loss(ws):
        w1, w2 = ws
        total = 0.0
        for x1, x2 in zip(x1s, x2s):
            total = total + 1 / (2 + anp.sin(x1 * w1) ** 2 + anp.cos(x2 * w2))
        return total

    def run():
        t0 = clock()
        vjp, _ = autograd.make_vjp(loss)((W1, W2))
        t1 = clock()
        g = vjp(1.0)
        t2 = clock()
        last["grads"] = [float(g[0]), float(g[1])]
        return {"forward": t1 - t0, "backward": t2 - t1}

    return run, lambda: (run(), last["grads"])[1]


def micrograd_engine(engine, x1s, x2s):
    """micrograd has no sin/cos: they are added here the way its own ops are written."""
    Value = engine.Value

    def sin(v):
        out = Value(math.sin(v.data), (v,), "sin")

        def _backward():
            v.grad += math.cos(v.data) * out.grad
        out._backward = _backward
        return out

    def cos(v):
        out = Value(math.cos(v.data), (v,), "cos")

        def _backward():
            v.grad += -math.sin(v.data) * out.grad
        out._backward = _backward
        return out

    last = {}

    def run():
        t0 = clock()
        w1, w2 = Value(W1), Value(W2)
        total = Value(0.0)
        for x1, x2 in zip(x1s, x2s):
            total = total + 1 / (2 + sin(x1 * w1) ** 2 + cos(x2 * w2))
        t1 = clock()
        total.backward()  # recursive topological sort: needs the raised limit
        t2 = clock()
        last["grads"] = [w1.grad, w2.grad]
        return {"forward": t1 - t0, "backward": t2 - t1}

    return run, lambda: (run(), last["grads"])[1]


def main(quick: bool = False) -> dict[str, dict[str, float]]:
    n_points = 1111 if quick else 11111
    rounds = 3 if quick else 5
    x1s, x2s = points(n_points)
    nodes = NODES_PER_POINT * n_points
    print(f"Problem-1 formula summed over {n_points} points = {nodes} chainrule nodes; "
          f"gc default; {rounds} interleaved rounds")

    engines = {"chainrule": chainrule_engine(x1s, x2s), "hand floats": hand_engine(x1s, x2s)}
    torch = harness.optional("torch")
    if torch is not None:
        harness.pin_threads()
        engines["torch"] = torch_engine(torch, x1s, x2s)
    else:
        harness.skip_note("torch")
    autograd = harness.optional("autograd")
    if autograd is not None:
        engines["autograd"] = autograd_engine(autograd, x1s, x2s)
    else:
        harness.skip_note("autograd")
    micro = harness.optional("micrograd.engine")
    if micro is not None:
        # micrograd's backward sorts recursively, one frame per graph level (~40k here).
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 200_000))
        engines["micrograd"] = micrograd_engine(micro, x1s, x2s)
    else:
        harness.skip_note("micrograd")

    oracle = closed_form(x1s, x2s)
    results = {"closed form": oracle}
    results.update({name: grads() for name, (_, grads) in engines.items()})
    harness.check_agree(results, "closed form", rtol=1e-9, atol=1e-9)
    print(f"  gradients agree with the closed form: dL/dw1 = {oracle[0]:.12g}, "
          f"dL/dw2 = {oracle[1]:.12g}")

    medians = harness.interleaved({name: run for name, (run, _) in engines.items()},
                                  rounds=rounds, warmup=0)
    harness.table("  us per node (medians)", medians, "chainrule",
                  phases=("forward", "backward", "total"), unit="us", per=nodes)
    cr = medians["chainrule"]
    harness.verdict("forward", cr["forward"] / nodes * 1e6, 1.0, "us/node")
    harness.verdict("backward", cr["backward"] / nodes * 1e6, 1.0, "us/node")
    return medians


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
