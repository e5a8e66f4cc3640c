"""``chainrule grade`` on a class of 1,000 learners: Problem 1 of the homework (four partial
derivatives each, so 4,000 answers), checked at the given point and 20 random points.

The answers mix every verdict a scalar problem can get (right, hidden, sign, factor, term,
invalid, wrong), and every answer's text is different (a learner-specific ``+ 0*k``), so
that no answer is judged from the cache of identical ones: the worst case. The command
runs as a fresh process, as a teacher runs it; figures are medians of its CPU and
wall-clock time. Goal: under 10 s.
"""

from __future__ import annotations

import csv
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")
P1 = "1/(2 + sin(x1*w1)**2 + cos(x2*w2))"
AT = ["x1=pi/2", "w1=1", "x2=pi/2", "w2=1"]
D = "(2 + sin(x1*w1)**2 + cos(x2*w2))**2"
RIGHT = {"x1": f"-2*sin(x1*w1)*cos(x1*w1)*w1/{D}", "w1": f"-2*sin(x1*w1)*cos(x1*w1)*x1/{D}",
         "x2": f"sin(x2*w2)*w2/{D}", "w2": f"sin(x2*w2)*x2/{D}"}
KINDS = {
    "right": lambda r, k: f"{r} + 0*{k}",
    "hidden": lambda r, k: f"{r.replace('**2 +', ' +', 1)} + 0*{k}",
    "sign": lambda r, k: f"-({r}) + 0*{k}",
    "factor": lambda r, k: f"2*({r}) + 0*{k}",
    "term": lambda r, k: f"{r} + 1 + 0*{k}",
    "invalid": lambda r, k: f"{r} + * {k}",
    "wrong": lambda r, k: f"sin(x1)*{k % 7 + 2}",
}


def write_answers(path: Path, learners: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    weights = [50, 10, 8, 8, 8, 6, 10]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", *RIGHT])
        for k in range(learners):
            kinds = rng.choices(list(KINDS), weights, k=len(RIGHT))
            w.writerow([f"s{k:04d}"] + [KINDS[kind](RIGHT[n], k)
                                        for kind, n in zip(kinds, RIGHT)])


def run_once(answers: Path, out: Path) -> tuple[float, float, str]:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "chainrule", "grade", P1, str(answers), "--at",
                        *AT, "--out", str(out), "--width", "100"], env=env,
                       capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode not in (0, 1):
        raise SystemExit(f"chainrule grade failed: {r.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), \
        r.stdout


def main(quick: bool = False) -> None:
    learners = 200 if quick else 1000
    runs = 1 if quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        answers, out = Path(tmp) / "answers.csv", Path(tmp) / "results.csv"
        write_answers(answers, learners)
        results = [run_once(answers, out) for _ in range(runs)]
        rows = sum(1 for _ in csv.DictReader(out.open()))
    cpu = statistics.median(r[1] for r in results)
    wall = statistics.median(r[0] for r in results)
    print(f"chainrule grade: {learners:,} learners x 4 partials = {rows:,} answers, 21 "
          f"points each; median of {runs} run(s)")
    print(f"  CPU {cpu:.2f} s, wall {wall:.2f} s   goal < 10 s: "
          f"{'met' if cpu < 10 else 'missed'}")
    print("  its summary:")
    for line in results[-1][2].splitlines()[:8]:
        print("    " + line)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
