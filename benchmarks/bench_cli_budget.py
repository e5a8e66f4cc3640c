"""The command's work budget: the largest formulas the default limits admit, and how long
the command takes on them (parse, estimate, forward, backward, printing).

For each formula family the size is the largest the estimate admits under the defaults
(20,000,000 elements, 10 s); the row shows that size, the estimate, and the measured time
of ``chainrule grad`` run in-process (peak memory of a fresh process is left to ``time -v``).
"""

from __future__ import annotations

import contextlib
import io
import sys
import time

import numpy as np


def _shaped(*shape: int) -> np.ndarray:
    """An array of ``shape`` that takes no memory: the estimate only reads shapes."""
    return np.broadcast_to(0.0, shape)


FAMILIES = {
    "outer difference": ("sum(x - transpose(x))", lambda n: {"x": _shaped(1, n)},
                         lambda n: f"x=ones(1,{n})"),
    "matmul chain x10": ("sum(" + " @ ".join(["A"] * 10) + ")",
                         lambda n: {"A": _shaped(n, n)}, lambda n: f"A=ones({n},{n})"),
    "elementwise x20": ("sum(" + "*".join(["sin(x)"] * 20) + ")",
                        lambda n: {"x": _shaped(n)}, lambda n: f"x=ones({n})"),
}


def largest(text: str, values, limits) -> int:
    """The largest n whose estimate the limits admit (bisection)."""
    from chainrule.cli.budget import BudgetError, estimate
    from chainrule.cli.formula import MAX_ELEMENTS, parse

    formula = parse(text)
    lo, hi = 1, 1_000_000
    while lo < hi:
        mid = (lo + hi + 1) // 2
        given = values(mid)
        try:
            if max(v.size for v in given.values()) > MAX_ELEMENTS:
                raise BudgetError("a value is over the per-value limit")
            limits.admit(formula, estimate(formula, given))
            lo = mid
        except BudgetError:
            hi = mid - 1
    return lo


def main(quick: bool = False) -> dict[str, dict[str, float]]:
    from chainrule.cli.budget import Limits, estimate
    from chainrule.cli.formula import parse
    from chainrule.cli.main import main as command

    limits = Limits()
    print(f"largest admitted size under the defaults ({limits.max_elements:,} elements, "
          f"{limits.max_seconds:g} s); wall time of `chainrule grad` in-process")
    print(f"  {'formula':<18} {'n':>8} {'elements':>12} {'estimate s':>11} {'measured s':>11}")
    results = {}
    for name, (text, values, at) in FAMILIES.items():
        n = largest(text, values, limits)
        if quick:
            n = max(1, n // 4)
        cost = estimate(parse(text), values(n))
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            status = command(["grad", text, "--at", at(n), "--json"])
        took = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"bench_cli_budget: {name} at n={n} exited {status}")
        results[name] = {"n": n, "elements": cost.elements, "estimate": cost.seconds,
                         "seconds": took}
        print(f"  {name:<18} {n:>8,} {cost.elements:>12,} {cost.seconds:>11.2f} {took:>11.2f}")
    return results


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
