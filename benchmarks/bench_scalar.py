"""Scalar graph: the homework's Problem-1 formula summed over ~11k points (~100k nodes).

    loss(w1, w2) = sum_k 1 / (2 + sin(x1_k * w1)**2 + cos(x2_k * w2))

``w1, w2`` are the differentiated scalars, the ``x``'s plain floats. Each point costs
chainrule 9 graph nodes (mul, sin, pow, add, mul, cos, add, div, and the add into the sum),
so 11,111 points make 99,999 nodes. Every engine is timed on the same workload and divided
by that same node count, so "us per node" compares like with like (micrograd needs more
nodes of its own for the same formula: it wraps constants and divides via ``**-1``).

The garbage collector is in its default state while timing (what users get); it is run
between calls so every call starts from the same heap. Because the collector's cost grows
with everything alive in the process, each engine runs alone in a fresh interpreter that
has imported only its own library (a process holding torch, autograd and micrograd at once
has ~8x as many tracked objects, which made chainrule's forward ~1.5x slower). The time the
collector itself took in each phase is measured with ``gc.callbacks`` and reported as a
column of its own (it is part of the phase's time, not subtracted).

With the environment variable ``CHAINRULE_BENCH_BASELINE`` set to another checkout's
``src`` folder, a second chainrule engine, "chainrule (baseline)", imports chainrule from
there and runs interleaved with the first: a before/after comparison in one run.
"""

from __future__ import annotations

import gc
import json
import math
import os
import statistics
import sys

import numpy as np

from benchmarks import harness
from benchmarks.harness import clock

NODES_PER_POINT = 9
W1, W2 = 0.7, 1.3
TARGETS = {"forward": 1.0, "backward": 0.5}    # us per node, chainrule, collector on
BASELINE_VAR = "CHAINRULE_BENCH_BASELINE"
BASELINE = "chainrule (baseline)"


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
    sin, cos = harness.micrograd_trig(Value)

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


ENGINES = ["chainrule", "hand floats", "torch", "autograd", "micrograd"]
MODULES = {"torch": "torch", "autograd": "autograd", "micrograd": "micrograd.engine"}


def make(engine: str, x1s: list[float], x2s: list[float]):
    if engine in ("chainrule", BASELINE):
        return chainrule_engine(x1s, x2s)
    if engine == "hand floats":
        return hand_engine(x1s, x2s)
    if engine == "torch":
        import torch

        torch.set_num_threads(1)
        return torch_engine(torch, x1s, x2s)
    if engine == "autograd":
        import autograd

        return autograd_engine(autograd, x1s, x2s)
    if engine == "micrograd":
        import micrograd.engine

        # micrograd's backward sorts recursively, one frame per graph level.
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 20 * len(x1s) + 1000))
        return micrograd_engine(micrograd.engine, x1s, x2s)
    raise ValueError(f"bench_scalar: unknown engine {engine!r}; known: {ENGINES}")


class CollectorTime:
    """Total time spent in the garbage collector, through ``gc.callbacks``, on the
    benchmarks' clock (CPU time unless ``--clock wall``)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = clock()
        else:
            self.total += clock() - self._start


def worker(engine: str, n_points: int, repeat: int) -> dict:
    """In a fresh interpreter holding only this engine: one warm-up on 10 points, then
    ``repeat`` timed runs on ``n_points``, ``gc.collect()`` before each. Besides the
    phases, ``gc`` holds the collector's share of the run (forward + backward)."""
    make(engine, *points(10))[1]()
    run, grads = make(engine, *points(n_points))
    samples: dict = {"forward": [], "backward": [], "gc": []}
    collector = CollectorTime()
    gc.callbacks.append(collector)
    try:
        for _ in range(repeat):
            gc.collect()
            collector.total = 0.0
            for phase, sec in run().items():
                samples[phase].append(sec)
            samples["gc"].append(collector.total)
    finally:
        gc.callbacks.remove(collector)
    samples["grads"] = grads()
    return samples


def _run_worker(engine: str, args: list[str]) -> dict:
    """One worker process; the baseline engine imports chainrule from the baseline path."""
    if engine != BASELINE:
        return harness.in_subprocess("benchmarks.bench_scalar", [engine, *args])
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.environ[BASELINE_VAR]
    try:
        return harness.in_subprocess("benchmarks.bench_scalar", [engine, *args])
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved


def spread(values: list[float], per: float) -> str:
    """``median [min - max]`` of seconds, in us per ``per``."""
    us = sorted(v / per * 1e6 for v in values)
    return f"{statistics.median(us):.3f} [{us[0]:.3f} - {us[-1]:.3f}]"


def main(quick: bool = False) -> dict[str, dict[str, float]]:
    n_points = 1111 if quick else 11111
    rounds, repeat = (1, 3) if quick else (3, 2)
    nodes = NODES_PER_POINT * n_points
    print(f"Problem-1 formula summed over {n_points} points = {nodes} chainrule nodes; "
          f"gc default; each engine alone in a fresh interpreter, {rounds} interleaved "
          f"round(s) x {repeat} runs")
    engines = [e for e in ENGINES if e not in MODULES or harness.optional(MODULES[e])]
    for e in ENGINES:
        if e not in engines:
            harness.skip_note(e)
    if os.environ.get(BASELINE_VAR):
        print(f"  {BASELINE}: chainrule imported from {os.environ[BASELINE_VAR]}")
        engines.insert(1, BASELINE)

    phases = ("forward", "backward", "gc")
    samples: dict[str, dict[str, list[float]]] = {e: {p: [] for p in phases} for e in engines}
    results: dict[str, list[float]] = {"closed form": closed_form(*points(n_points))}
    for r in range(rounds):
        k = r % len(engines)
        for e in engines[k:] + engines[:k]:
            out = _run_worker(e, [str(n_points), str(repeat)])
            if "error" in out:
                raise RuntimeError(f"bench_scalar: {e} failed: {out['error']}")
            results[e] = out["grads"]
            harness.check_agree(results, "closed form", rtol=1e-9, atol=1e-9)
            for phase in phases:
                samples[e][phase] += out[phase]
    oracle = results["closed form"]
    print(f"  gradients agree with the closed form: dL/dw1 = {oracle[0]:.12g}, "
          f"dL/dw2 = {oracle[1]:.12g}")
    medians = {}
    for e, per in samples.items():
        medians[e] = {phase: statistics.median(v) for phase, v in per.items()}
        medians[e]["total"] = medians[e]["forward"] + medians[e]["backward"]
    harness.table("  us per node (medians; gc = the collector's share of forward + "
                  "backward)", medians, "chainrule",
                  phases=("forward", "backward", "total", "gc"), unit="us", per=nodes)
    print("  spread, us per node: median [min - max] over "
          f"{len(samples['chainrule']['forward'])} runs")
    for e in ("chainrule", BASELINE):
        if e in samples:
            print(f"    {e:<21} forward {spread(samples[e]['forward'], nodes)}   "
                  f"backward {spread(samples[e]['backward'], nodes)}   "
                  f"gc {spread(samples[e]['gc'], nodes)}")
    cr = medians["chainrule"]
    for phase, target in TARGETS.items():
        worst = max(samples["chainrule"][phase]) / nodes * 1e6
        harness.verdict(f"{phase} (median)", cr[phase] / nodes * 1e6, target, "us/node")
        print(f"    slowest run {worst:.3f} us/node -> "
              f"{'within' if worst <= target else 'over'} the target")
    return medians


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    else:
        main(quick="--quick" in sys.argv)
