"""The command line against generated formulas and values, each run in its own process
under a 2 GB memory limit and a 30 s timeout: no run goes over either, none prints a
traceback or "internal error", none writes a file other than the one named, and every
exit status is one the command documents."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule

resource = pytest.importorskip("resource")

MEMORY = 2 * 1024 ** 3
TIMEOUT = 30.0
SRC = str(pathlib.Path(chainrule.__file__).resolve().parents[1])

UNARY = ["sin", "cos", "exp", "log", "sqrt", "tanh", "abs", "relu", "sigmoid", "tan"]
REDUCE = ["sum", "mean", "max", "min", "logsumexp", "norm"]
SIZES = st.sampled_from([0, 1, 2, 3, 100, 3000, 20000, 1000000])


def _limit() -> None:      # pragma: no cover (runs in the child process)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def formulas() -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.sampled_from(["x", "y", "x", "pi", "inf", "0", "1e308", "2"]),
        st.integers(-10 ** 6, 10 ** 6).map(str),
        st.floats(allow_nan=False).map(repr),
        st.builds(lambda n: f"ones({n})", SIZES),
    )

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.builds(lambda a, op, b: f"{a} {op} {b}", inner,
                      st.sampled_from(["+", "-", "*", "/", "**", "@"]), inner),
            st.builds(lambda f, a: f"{f}({a})", st.sampled_from(UNARY + REDUCE), inner),
            st.builds(lambda a: f"-{a}", inner),
            st.builds(lambda a, b: f"[{a}, {b}]", inner, inner),
            st.builds(lambda a: f"transpose({a})", inner),
            st.builds(lambda a, n: f"reshape({a}, {n}, -1)", inner, SIZES),
            st.builds(lambda a, f: f"{f}({a}, axis=0)", inner, st.sampled_from(REDUCE)),
        )

    body = st.recursive(leaf, grow, max_leaves=8)
    # a few hostile additions: comments, control characters, a leading minus
    return st.builds(lambda b, tail: b + tail, body,
                     st.sampled_from(["", "", "", " # f = 1", "\x1b[31m", "\t", "\r"]))


def values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.floats(allow_nan=False).map(repr),
        st.sampled_from(["0", "-1", "pi/2", "1e308", "0x" + "f" * 300, "[[1, 2], [3, 4]]",
                         "eye(3)", "[1, 2, 3]", "[]"]),
        st.builds(lambda a, b: f"ones({a}, {b})", SIZES, SIZES),
        st.builds(lambda n: f"zeros({n})", SIZES),
    )


OPTIONS = st.lists(st.sampled_from([
    ["--check"], ["--explain"], ["--hessian"], ["--json"], ["--graph", "out.dot"],
    ["--random", "1000"], ["--seed", "7"], ["--precision", "3"],
]), max_size=3)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(formula=formulas(), x=values(), y=values(), options=OPTIONS,
       command=st.sampled_from(["grad", "grad", "check"]))
def test_the_command_holds_on_generated_input(formula, x, y, options, command):
    argv = [command, formula, "--at", f"x={x}"]
    if "y" in formula:
        argv.append(f"y={y}")
    argv += [a for opt in options for a in opt]
    if command == "check":
        argv += ["--hand", "x=2*x"]
        argv = [a for a in argv if a not in ("--explain", "--hessian", "--graph", "out.dot",
                                             "--check")]
    named = argv[argv.index("--graph") + 1] if "--graph" in argv else None
    env = {**os.environ, "PYTHONPATH": SRC, "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "NO_COLOR": "1"}
    env.pop("CHAINRULE_DEBUG", None)
    with tempfile.TemporaryDirectory() as folder:
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "chainrule", *argv], cwd=folder,
                              env=env, capture_output=True, text=True, timeout=TIMEOUT,
                              preexec_fn=_limit)
        elapsed = time.monotonic() - start
        written = sorted(p.name for p in pathlib.Path(folder).iterdir())
    text = done.stdout + done.stderr
    assert elapsed < TIMEOUT
    assert "Traceback" not in text and "internal error" not in text, (argv, text[-2000:])
    assert "\x1b" not in text, argv
    assert done.returncode in (0, 1, 2, 3), (argv, done.returncode, text[-2000:])
    assert set(written) <= ({named} if named else set()), (argv, written)
