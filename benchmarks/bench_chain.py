"""A 1,000,000-deep chain ``x = sin(x)``, forward + backward: wall time and peak memory.

Every engine runs in a fresh subprocess (``python -m benchmarks.bench_chain --worker
ENGINE DEPTH``), so one engine's heap cannot inflate another's numbers.

Memory is *peak resident set size* (RSS, what the operating system sees: Python objects
and C/C++ allocations alike). The worker imports its engine and warms it up, resets the
kernel's high-water mark (``/proc/self/clear_refs``), notes the current RSS, then builds the
chain and runs the backward pass; "bytes per node" is (peak RSS - RSS before) / depth.
The peak is read from ``/proc/self/status`` (VmHWM); ``getrusage``'s ``ru_maxrss`` is not
used there because it also counts the parent process's RSS at the moment of ``exec``.
Where the high-water mark cannot be reset, the import-time peak may hide part of the growth
(the report says which method was used).

Times: forward (building the chain), backward, and freeing the graph, each measured once
per run; with several runs the medians are reported. micrograd sorts its graph recursively:
it is run with the recursion limit raised, and the report says whether the default limit
raises RecursionError.

With the environment variable ``CHAINRULE_BENCH_BASELINE`` set to another checkout's
``src`` folder, a second chainrule engine, "chainrule (baseline)", imports chainrule from
there and runs interleaved with the first: a before/after comparison in one run.
"""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import sys

from benchmarks import harness
from benchmarks.harness import clock

X0 = 0.5
TARGETS = {"seconds": 1.5, "bytes_per_node": 200}     # per 1,000,000 nodes; chainrule
BASELINE_VAR = "CHAINRULE_BENCH_BASELINE"
BASELINE = "chainrule (baseline)"
ENGINES = ["chainrule", "hand floats", "torch", "autograd", "mygrad", "micrograd"]
MODULES = {"torch": "torch", "autograd": "autograd", "mygrad": "mygrad",
           "micrograd": "micrograd.engine"}


# -- the worker side ------------------------------------------------------------------

def _rss() -> int:
    """Current resident set size in bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak() -> int:
    """Peak RSS in bytes: the kernel's VmHWM. (``getrusage``'s ru_maxrss is not used where
    VmHWM exists: it also counts the parent's RSS at exec time.)"""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def make_chainrule():
    import chainrule as cr

    sin = cr.sin

    def forward(depth):
        x0 = cr.Scalar(X0)
        x = x0
        for _ in range(depth):
            x = sin(x)
        return x0, x

    def backward(graph):
        x0, x = graph
        x.backward()
        return x0.grad

    return forward, backward


def make_hand():
    """The floor: values kept in a list, the derivative is the product of the cosines."""
    sin, cos = math.sin, math.cos

    def forward(depth):
        xs = [X0]
        x = X0
        for _ in range(depth):
            x = sin(x)
            xs.append(x)
        return xs

    def backward(xs):
        g = 1.0
        for x in reversed(xs[:-1]):
            g *= cos(x)
        return g

    return forward, backward


def make_torch():
    import torch

    torch.set_num_threads(1)

    def forward(depth):
        x0 = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
        x = x0
        for _ in range(depth):
            x = torch.sin(x)
        return x0, x

    def backward(graph):
        x0, x = graph
        x.backward()
        return x0.grad.item()

    return forward, backward


def make_autograd():
    import autograd
    import autograd.numpy as anp

    def forward(depth):
        def f(x):
            for _ in range(depth):
                x = anp.sin(x)
            return x
        vjp, _ = autograd.make_vjp(f)(X0)
        return vjp

    def backward(vjp):
        return float(vjp(1.0))

    return forward, backward


def make_mygrad():
    import mygrad as mg

    def forward(depth):
        x0 = mg.tensor(X0)
        x = x0
        for _ in range(depth):
            x = mg.sin(x)
        return x0, x

    def backward(graph):
        x0, x = graph
        x.backward()
        return float(x0.grad)

    return forward, backward


def make_micrograd():
    from micrograd.engine import Value

    sin, _ = harness.micrograd_trig(Value)

    def forward(depth):
        x0 = Value(X0)
        x = x0
        for _ in range(depth):
            x = sin(x)
        return x0, x

    def backward(graph):
        x0, x = graph
        x.backward()
        return x0.grad

    return forward, backward


MAKERS = {"chainrule": make_chainrule, BASELINE: make_chainrule, "hand floats": make_hand,
          "torch": make_torch, "autograd": make_autograd, "mygrad": make_mygrad,
          "micrograd": make_micrograd}


def worker(engine: str, depth: int) -> dict:
    """Run one chain in this process; return times, memory and the gradient."""
    forward, backward = MAKERS[engine]()
    report: dict = {"engine": engine, "depth": depth}
    if engine == "micrograd":
        try:
            backward(forward(2 * sys.getrecursionlimit()))
            report["default_limit"] = "ok"
        except RecursionError:
            report["default_limit"] = "RecursionError"
        sys.setrecursionlimit(depth * 2 + 10_000)
    backward(forward(100))  # warm-up: lazy imports and caches before the baseline
    reset = _reset_peak()
    before = _rss()
    t0 = clock()
    graph = forward(depth)
    t1 = clock()
    grad = backward(graph)
    t2 = clock()
    peak = _peak() if reset else max(_peak(), _rss())
    del graph
    t3 = clock()
    report.update(forward=t1 - t0, backward=t2 - t1, free=t3 - t2, grad=grad,
                  bytes_per_node=(peak - before) / depth,
                  memory="peak RSS (VmHWM) after clear_refs" if reset else "ru_maxrss (not reset)")
    return report


# -- the parent side ------------------------------------------------------------------

def run_engine(engine: str, depth: int, timeout: float) -> dict:
    """One worker process; the baseline engine imports chainrule from the baseline path."""
    from benchmarks import harness

    saved = os.environ.get("PYTHONPATH")
    if engine == BASELINE:
        os.environ["PYTHONPATH"] = os.environ[BASELINE_VAR]
    try:
        return {"engine": engine, **harness.in_subprocess("benchmarks.bench_chain",
                                                         [engine, str(depth)], timeout)}
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def spread(values: list[float], fmt: str) -> str:
    """``median [min - max]`` of ``values``."""
    v = sorted(values)
    return f"{statistics.median(v):{fmt}} [{v[0]:{fmt}} - {v[-1]:{fmt}}]"


def main(quick: bool = False) -> dict[str, dict]:
    from benchmarks import harness

    depth = 20_000 if quick else 1_000_000
    rounds = 1 if quick else 3
    slow = 15.0  # an engine whose run takes longer than this is run once only
    print(f"sin chain of depth {depth}, each run in a fresh subprocess, up to {rounds} "
          f"interleaved round(s) (engines slower than {slow:.0f} s run once)")
    engines = [e for e in ENGINES if e not in MODULES or harness.optional(MODULES[e])]
    for e in ENGINES:
        if e not in engines:
            harness.skip_note(e)
    if os.environ.get(BASELINE_VAR):
        print(f"  {BASELINE}: chainrule imported from {os.environ[BASELINE_VAR]}")
        engines.insert(1, BASELINE)
    runs: dict[str, list[dict]] = {e: [] for e in engines}
    for r in range(rounds):
        for e in engines[r % len(engines):] + engines[: r % len(engines)]:
            prev = runs[e]
            if prev and ("error" in prev[0] or prev[0]["forward"] + prev[0]["backward"] > slow):
                continue  # a failed or slow engine is not run again
            runs[e].append(run_engine(e, depth, timeout=600))

    hand = runs["hand floats"][0]
    if "error" in hand:
        raise RuntimeError(f"hand-written chain failed: {hand['error']}")
    results = {"hand floats": [hand["grad"]]}
    medians: dict[str, dict] = {}
    for e, rs in runs.items():
        failed = [r["error"] for r in rs if "error" in r]
        rs = [r for r in rs if "error" not in r]
        if not rs:
            medians[e] = {"error": failed[0]}
            continue
        for r in rs:
            results[e] = [r["grad"]]
            harness.check_agree(results, "hand floats", rtol=1e-8, atol=1e-300)
        medians[e] = {k: statistics.median(r[k] for r in rs)
                      for k in ("forward", "backward", "free", "bytes_per_node")}
        medians[e]["total"] = medians[e]["forward"] + medians[e]["backward"]
        medians[e]["runs"] = len(rs)
        medians[e]["memory"] = rs[0]["memory"]
        if "default_limit" in rs[0]:
            medians[e]["default_limit"] = rs[0]["default_limit"]
    print(f"  gradients agree with the hand-written chain: d x_n / d x_0 = {hand['grad']:.12g}")
    ok = {e: m for e, m in medians.items() if "error" not in m}
    harness.table("  seconds (medians; total = forward + backward)", ok, "chainrule",
                  phases=("forward", "backward", "total", "free"), unit="s")
    print("  peak memory, bytes per node (" + next(iter(ok.values()))["memory"] + "):")
    for e, m in ok.items():
        note = f", {m['runs']} run(s)"
        if "default_limit" in m:
            note += f"; at the default recursion limit: {m['default_limit']}"
        print(f"    {e:<12} {m['bytes_per_node']:8.0f}{note}")
    for e, m in medians.items():
        if "error" in m:
            print(f"    {e:<12} failed: {m['error']}")
    if "chainrule" not in ok:
        raise RuntimeError(f"chainrule's chain failed: {medians['chainrule']['error']}")
    print("  spread: median [min - max] over the runs")
    for e in ("chainrule", BASELINE):
        rs = [r for r in runs.get(e, []) if "error" not in r]
        if rs:
            print(f"    {e:<21} forward+backward "
                  f"{spread([r['forward'] + r['backward'] for r in rs], '.3f')} s   "
                  f"peak {spread([r['bytes_per_node'] for r in rs], '.0f')} bytes/node")
    cr = ok["chainrule"]
    mine = [r for r in runs["chainrule"] if "error" not in r]
    scale = depth / 1_000_000
    harness.verdict("time (median)", cr["total"], TARGETS["seconds"] * scale, "s")
    slowest = max(r["forward"] + r["backward"] for r in mine)
    print(f"    slowest run {slowest:.3f} s -> "
          f"{'within' if slowest <= TARGETS['seconds'] * scale else 'over'} the target")
    harness.verdict("memory (median)", cr["bytes_per_node"], TARGETS["bytes_per_node"],
                    "bytes/node")
    largest = max(r["bytes_per_node"] for r in mine)
    print(f"    largest run {largest:.0f} bytes/node -> "
          f"{'within' if largest <= TARGETS['bytes_per_node'] else 'over'} the target")
    return medians


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], int(sys.argv[3]))))
    else:
        main(quick="--quick" in sys.argv)
