"""``python -m benchmarks [names...] [--quick]``: run the benchmark modules.

Every ``benchmarks/bench_*.py`` defines ``main(quick: bool = False)``. With no names, all
of them run (in the order below, then any others alphabetically); a name is the module
name with or without its ``bench_`` prefix (``scalar``, ``bench_chain``). ``--quick``
shrinks every workload so the whole run takes about a minute.
"""

from __future__ import annotations

import os

# One BLAS thread, set before anything imports numpy or torch.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import importlib  # noqa: E402
import pkgutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from benchmarks import harness  # noqa: E402

ORDER = ["bench_scalar", "bench_chain", "bench_tiny", "bench_dispatch", "bench_mlp", "bench_digits",
         "bench_hessian", "bench_numpy"]


def discover() -> list[str]:
    """The benchmark module names, in running order."""
    here = Path(__file__).parent
    found = {m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_")}
    return [n for n in ORDER if n in found] + sorted(found - set(ORDER))


def resolve(names: list[str], available: list[str]) -> list[str]:
    """Map command-line names to module names; an unknown name is an error listing the
    available ones."""
    chosen = []
    for name in names:
        mod = name if name.startswith("bench_") else f"bench_{name}"
        mod = mod.removesuffix(".py")
        if mod not in available:
            short = ", ".join(n.removeprefix("bench_") for n in available)
            raise SystemExit(f"benchmarks: no benchmark named {name!r}; available: {short}")
        chosen.append(mod)
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="small workloads, about a minute in all")
    parser.add_argument("--clock", choices=sorted(harness.CLOCKS), default="cpu",
                        help="cpu: process CPU time (default; robust to a shared machine), "
                             "wall: wall-clock time")
    args = parser.parse_args(argv)
    harness.set_clock(args.clock)
    available = discover()
    chosen = resolve(args.names, available) if args.names else available

    pinned = harness.pin_threads()
    print("chainrule benchmarks" + (" (--quick)" if args.quick else ""))
    print(f"  threads: {pinned}")
    for key, value in harness.machine_notes().items():
        print(f"  {key}: {value}")
    print(f"  clock: {args.clock} time; medians over interleaved rounds (the machine may be "
          "shared: expect noise)")
    start = time.perf_counter()
    for name in chosen:
        print(f"\n=== {name} ===", flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        module.main(quick=args.quick)
        sys.stdout.flush()
    print(f"\nall done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
