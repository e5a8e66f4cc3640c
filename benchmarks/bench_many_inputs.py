"""Ops with many inputs: backward through ``stack`` and ``concatenate`` of n small Tensors.

Each input is a leaf of shape (2,); the output is summed and ``backward()`` run, so every
input receives a gradient of ones (checked before timing). Backward must be linear in n:
the time per input stays flat from 10,000 to 100,000 inputs.
"""

from __future__ import annotations

import gc
import statistics
import sys

import numpy as np

from benchmarks import harness


def run_once(op: str, n: int) -> tuple[float, float]:
    import chainrule as cr

    xs = [cr.Tensor(np.ones(2), requires_grad=True) for _ in range(n)]
    fn = cr.stack if op == "stack" else cr.concatenate
    gc.collect()
    start = harness.clock()
    y = fn(xs).sum()
    mid = harness.clock()
    y.backward()
    end = harness.clock()
    if not all(np.array_equal(x.grad, np.ones(2)) for x in xs):
        raise SystemExit(f"bench_many_inputs: {op} of {n} inputs: wrong gradient")
    return mid - start, end - mid


def main(quick: bool = False) -> dict[str, dict[str, float]]:
    sizes = (10_000, 20_000) if quick else (10_000, 100_000)
    rounds = 3
    print(f"forward + backward of op([x_1 .. x_n]).sum(), x_k of shape (2,); median of "
          f"{rounds} runs ({harness.clock_name()} time)")
    print(f"  {'op':<12} {'inputs':>8} {'forward s':>10} {'backward s':>11} "
          f"{'backward us/input':>18}")
    results: dict[str, dict[str, float]] = {}
    for op in ("stack", "concatenate"):
        for n in sizes:
            times = [run_once(op, n) for _ in range(rounds)]
            fwd = statistics.median(t[0] for t in times)
            bwd = statistics.median(t[1] for t in times)
            results[f"{op} {n}"] = {"forward": fwd, "backward": bwd}
            print(f"  {op:<12} {n:>8,} {fwd:>10.3f} {bwd:>11.3f} {bwd / n * 1e6:>18.2f}")
    return results


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
