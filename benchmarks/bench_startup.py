"""Start-up time: how long a fresh Python process takes to ``import chainrule``, to run
``chainrule --version`` and to run ``chainrule grad`` on the homework's Problem 1.

Each command runs as a new process, the commands interleaved in rounds; figures are the
medians of the process's CPU time (user + system: steady when the machine is shared,
where wall-clock time mostly measures the wait for a free core) and of wall-clock time.
``python -c pass`` and ``import numpy`` are measured alongside as the floor. Then
``python -X importtime`` gives chainrule's own share of ``import chainrule``.

Bytecode is cached as an installed package has it (in a temporary folder, so that the
tree stays clean even where PYTHONDONTWRITEBYTECODE is set).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")
P1 = ["grad", "1/(2 + sin(x1*w1)**2 + cos(x2*w2))", "--at", "x1=pi/2", "w1=1",
      "x2=pi/2", "w2=1"]
CLI = ["-c", "import sys; from chainrule.cli.main import main; sys.exit(main())"]
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "import numpy": ["-c", "import numpy"],
    "import chainrule": ["-c", "import chainrule"],
    "chainrule --version": [*CLI, "--version"],
    "chainrule grad (Problem 1)": [*CLI, *P1],
}
TARGETS = {"import chainrule": 0.15, "chainrule --version": 0.25,
           "chainrule grad (Problem 1)": 0.4}


CACHE = tempfile.mkdtemp(prefix="chainrule-bench-pycache-")


def _env() -> dict[str, str]:
    """This tree's sources, with compiled bytecode cached (outside the tree) as an installed
    package has it: without it every start compiles chainrule from source."""
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = CACHE
    return env


def run_once(args: list[str]) -> tuple[float, float]:
    """(wall-clock, CPU) seconds of one fresh process running ``python *args``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=_env(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def importtime() -> tuple[float, float, int]:
    """(total, chainrule's own self time, chainrule modules) of ``import chainrule`` under
    ``-X importtime``, in seconds."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", "import chainrule"],
                       env=_env(), capture_output=True, text=True, check=True)
    total = own = 0.0
    count = 0
    for line in r.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[0].strip().split()[-1].isdigit():
            continue
        self_us, cumulative_us, name = int(parts[0].split()[-1]), int(parts[1]), parts[2]
        if name.strip() == "chainrule":
            total = cumulative_us / 1e6
        if name.strip().startswith("chainrule"):
            own += self_us / 1e6
            count += 1
    return total, own, count


def main(quick: bool = False) -> None:
    rounds = 5 if quick else 21
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in COMMANDS}
    for args in COMMANDS.values():  # a first round writes the bytecode cache
        run_once(args)
    for _ in range(rounds):
        for name, args in COMMANDS.items():
            times[name].append(run_once(args))
    print(f"start-up, medians of {rounds} fresh processes, seconds (CPU: the process's "
          "user + system time, steady on a shared machine; wall: what a user waits)")
    print(f"  {'':<28} {'CPU':>7} {'wall':>7}")
    for name, ts in times.items():
        cpu = statistics.median(t[1] for t in ts)
        wall = statistics.median(t[0] for t in ts)
        target = TARGETS.get(name)
        goal = f"   goal <= {target:g} s: {'met' if cpu <= target else 'missed'}" \
            if target else ""
        print(f"  {name:<28} {cpu:7.3f} {wall:7.3f}{goal}")
    total, own, count = importtime()
    print(f"  -X importtime: import chainrule {total:.3f} s, of which chainrule's own "
          f"{count} modules {own:.3f} s (the rest is numpy and the standard library)")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
