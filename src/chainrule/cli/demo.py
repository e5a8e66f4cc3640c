"""``chainrule demo``: the homework this project was born from, computed, explained, checked.

The homework (``shared/seed/``) asks for scalar backpropagation of
``f = 1/(2 + sin(x1*w1)**2 + cos(x2*w2))`` (Problem 1) and vector backpropagation of
``f = ||sigmoid(W x)||**2`` (Problem 2), both at a single point. Its code got several
things wrong that the single point hid. The demo shows, for each problem: the gate table,
the forward and backward steps, the correct gradients against a closed form, a numeric
check, and what the homework's code got wrong and why (the homework's functions are
transcribed below, line for line, so their numbers can be reproduced and compared).
"""

from __future__ import annotations

import math
import pathlib
import sys
from typing import Any, TextIO

import numpy as np

from ..checking.gradcheck import gradcheck
from ..checking.hand import check_hand_gradients, check_local_gradient
from ..core import Node
from ..explanation.draw import GraphvizNotFound, render
from ..explanation.steps import explain
from ..ops import functions as F
from ..scalar import Scalar
from ..tensor import Tensor

HALF_PI = 0.5 * math.pi
P1_POINT = {"x1": HALF_PI, "w1": 1.0, "x2": HALF_PI, "w2": 1.0}
P1_ELSEWHERE = {"x1": 0.3, "w1": 1.7, "x2": -0.4, "w2": 2.2}


# -- the homework's own code, transcribed from the seed ---------------------------------------

def homework_f1(x1: float, w1: float, x2: float, w2: float) -> float:
    """Problem 1's ``originalFunction``: note sin(x1*w1), not sin(x1*w1)**2."""
    return 1 / (2 + math.sin(x1 * w1) + math.cos(x2 * w2))


def homework_hand1(x1: float, w1: float, x2: float, w2: float) -> dict[str, float]:
    """Problem 1's hand formulas ``dfdx1 ... dfdw2`` (they differentiate sin**2)."""
    d = (2 + math.sin(x1 * w1) ** 2 + math.cos(x2 * w2)) ** 2
    return {"x1": -2 * math.sin(x1 * w1) * math.cos(x1 * w1) * w1 / d,
            "w1": -2 * math.sin(x1 * w1) * math.cos(x1 * w1) * x1 / d,
            "x2": math.sin(x2 * w2) * w2 / d,
            "w2": math.sin(x2 * w2) * x2 / d}


def homework_comp_graph1(x1: float, w1: float, x2: float, w2: float, key: str) -> float:
    """Problem 1's ``compGraph``: local gradients hard-coded at x1 = x2 = pi/2."""
    upstream_grad: float = 1
    f_xw = homework_f1(x1, w1, x2, w2)
    local_grad = upstream_grad * (f_xw**2) * (-1)
    upstream_grad = local_grad
    local_grad = upstream_grad * 1
    upstream_grad = local_grad
    if key in ("x1", "w1"):
        local_grad = upstream_grad * 2 * 0
        upstream_grad = local_grad
        local_grad = upstream_grad * math.cos(0.5 * math.pi)
        upstream_grad = local_grad
        local_grad = upstream_grad * (w1 if key == "x1" else x1)
    else:
        local_grad = upstream_grad * (-math.sin(0.5 * math.pi))
        upstream_grad = local_grad
        local_grad = upstream_grad * (w2 if key == "x2" else x2)
    return local_grad


def homework_comp_graph2(x: np.ndarray, W: np.ndarray, key: str,
                         sigmoid_fixed: bool = False) -> np.ndarray:
    """Problem 2's ``compGraph``; ``sigmoid_fixed`` replaces x*(1-x) by s*(1-s) to show
    the second mistake on its own."""
    f = 1 / (np.exp(-np.dot(W, x)) + 1)
    local_grad = 2 * f
    upstream_grad = local_grad
    dsigdx = f * (1 - f) if sigmoid_fixed else x * (1 - x)
    local_grad = upstream_grad * dsigdx
    upstream_grad = local_grad
    if key == "W":
        return upstream_grad * np.vstack((x.T, x.T, x.T))
    return upstream_grad * np.array([1, 1, 1]).reshape((3, 1))


# -- the correct computation ---------------------------------------------------------------

def problem1(x1: Any, w1: Any, x2: Any, w2: Any) -> Any:
    """Problem 1's function, as the homework's figure and hand formulas define it."""
    return 1 / (2 + F.sin(x1 * w1) ** 2 + F.cos(x2 * w2))


def problem1_code(x1: Any, w1: Any, x2: Any, w2: Any) -> Any:
    """Problem 1's function as the homework's code computes it (no square)."""
    return 1 / (2 + F.sin(x1 * w1) + F.cos(x2 * w2))


def problem1_closed_form(x1: float, w1: float, x2: float, w2: float) -> dict[str, float]:
    """d(1/D)/dv = -dD/dv / D**2 with D = 2 + sin(x1 w1)**2 + cos(x2 w2)."""
    d = 2 + math.sin(x1 * w1) ** 2 + math.cos(x2 * w2)
    s2 = 2 * math.sin(x1 * w1) * math.cos(x1 * w1)
    return {"x1": -s2 * w1 / d**2, "w1": -s2 * x1 / d**2,
            "x2": math.sin(x2 * w2) * w2 / d**2, "w2": math.sin(x2 * w2) * x2 / d**2}


def problem2(W: Any, x: Any) -> Any:
    """Problem 2's function: ||sigmoid(W x)||**2."""
    return F.norm(F.sigmoid(W @ x)) ** 2


def problem2_closed_form(W: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """With s = sigmoid(W x) and g = 2 s * s (1 - s): df/dW = g x^T, df/dx = W^T g."""
    s = 1 / (1 + np.exp(-(W @ x)))
    g = 2 * s * s * (1 - s)
    return g @ x.T, W.T @ g


# -- the walk-through ----------------------------------------------------------------------

class _Printer:
    def __init__(self, out: TextIO, style: Any) -> None:
        self.out = out
        self.style = style

    def __call__(self, text: str = "", *styles: str) -> None:
        self.out.write(self.style(text, *styles) + "\n")

    def heading(self, text: str) -> None:
        self()
        self(text, "bold", "blue")
        self("=" * len(text), "blue")

    def section(self, text: str) -> None:
        self()
        self(text, "bold")


def _pictures(y: Node, folder: pathlib.Path, stem: str, say: _Printer) -> list[pathlib.Path]:
    made = [render(y, folder / f"{stem}.dot")]
    for suffix in (".svg", ".png"):
        try:
            made.append(render(y, folder / f"{stem}{suffix}"))
        except GraphvizNotFound:
            say(f"  note: Graphviz's dot program is not installed, so {stem}{suffix} was "
                "not drawn (the .dot file was)", "yellow")
            break
    return made


def run(out_dir: str | pathlib.Path = "chainrule-demo", out: TextIO | None = None,
        style: Any = None) -> int:
    """Print the walk-through to ``out`` (default stdout) and write the graph pictures
    (problem1/problem2 .dot always; .svg and .png where Graphviz is installed) into
    ``out_dir``. Returns 0, the exit status of ``chainrule demo``."""
    from .terminal import Style, UsageError, fmt_array, fmt_number, table

    out = out or sys.stdout
    style = style or Style.for_stream(out)
    say = _Printer(out, style)
    folder = pathlib.Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {folder}: cannot create the folder: "
                         f"{exc.strerror or exc}") from None

    say("chainrule demo: the homework in shared/seed/, computed, explained and checked",
        "bold")
    pictures: list[pathlib.Path] = []

    # -- Problem 1 -----------------------------------------------------------------------
    say.heading("Problem 1: scalar backpropagation")
    say("f(x1, w1, x2, w2) = 1/(2 + sin(x1*w1)**2 + cos(x2*w2))   at x1 = x2 = pi/2, "
        "w1 = w2 = 1")
    leaves = {n: Scalar(v, n) for n, v in P1_POINT.items()}
    y1 = problem1(**leaves)
    y1.name = "f"
    say()
    say(explain(y1).text().rstrip())
    y1.backward()

    say.section("The gradients: engine against the closed form -dD/dv / D**2")
    closed = problem1_closed_form(**P1_POINT)
    rows = [[f"df/d{n}", _signed(fmt_number(leaves[n].grad, 10)),
             _signed(fmt_number(closed[n], 10))] for n in P1_POINT]
    say(table(rows, style, header=("partial", "engine", "closed form")))
    say("  df/dx1 and df/dw1 are 0 in exact arithmetic (cos(pi/2) = 0); the -1.4e-17 is "
        "cos of the float nearest pi/2, 6.1e-17, carried through honestly.", "dim")

    say.section("Numeric check (cr.gradcheck: central differences in float64)")
    rng = np.random.default_rng(0)
    points = [list(P1_POINT.values())] + [list(rng.uniform(-2, 2, 4)) for _ in range(20)]
    for p in points:
        gradcheck(lambda a, b, c, d: problem1(a, b, c, d), *p)
    say("  passed at the given point and at 20 random points", "green")

    say.section("What the homework got wrong, and why")
    say("1. Its code computes 1/(2 + sin(x1*w1) + cos(x2*w2)) -- no square -- while its hand "
        "formulas differentiate sin(x1*w1)**2.")
    say("   At pi/2 the two functions agree (sin = sin**2 = 1) and cos(pi/2) = 0 removes "
        "the x1 and w1 terms, so comparing at that one point could not notice. At random "
        "points it does:")
    hand = {n: _hand_partial(n) for n in P1_POINT}
    report = check_hand_gradients(problem1_code, hand, P1_POINT, n_random=20, seed=0)
    say(_indent(report.text(), 3))
    intended = check_hand_gradients(problem1, hand, P1_POINT, n_random=20, seed=0)
    say(f"   The same hand formulas against the function with sin**2: "
        f"{'all right' if intended.ok else 'wrong: ' + ', '.join(intended.wrong)}.",
        "green" if intended.ok else "red")
    say("2. Its compGraph hard-codes the local gradients at pi/2: `2 * 0` for the square "
        "gate (the rule is 2*sin(x1*w1), which is 2 there, not 0), `cos(0.5*pi)` for "
        "cos(x1*w1) and `-sin(0.5*pi)` for -sin(x2*w2).")
    say("   Its answers are right at pi/2 only (and for x1, w1 by luck: the 0 of `2 * 0` "
        "multiplies the 0 of cos(pi/2)). Elsewhere, e.g. at "
        + ", ".join(f"{k}={v:g}" for k, v in P1_ELSEWHERE.items()) + ":")
    elsewhere = {n: Scalar(v, n) for n, v in P1_ELSEWHERE.items()}
    problem1(**elsewhere).backward()
    rows = [[f"df/d{n}", _signed(fmt_number(homework_comp_graph1(**P1_ELSEWHERE, key=n), 6)),
             _signed(fmt_number(elsewhere[n].grad, 6))] for n in P1_ELSEWHERE]
    say(_indent(table(rows, style, header=("partial", "homework compGraph", "engine")), 3))
    say("   (its forward value also uses the unsquared sin: the same mistake as in 1.)",
        "dim")
    pictures += _pictures(y1, folder, "problem1", say)

    # -- Problem 2 -----------------------------------------------------------------------
    say.heading("Problem 2: vector backpropagation")
    say("f(W, x) = ||sigmoid(W @ x)||**2   at W = eye(3), x = [[1], [2], [3]]")
    W0, x0 = np.eye(3), np.array([[1.0], [2.0], [3.0]])
    W = Tensor(W0, requires_grad=True, name="W")
    x = Tensor(x0, requires_grad=True, name="x")
    y2 = problem2(W, x)
    y2.name = "f"
    say()
    say(explain(y2).text().rstrip())
    y2.backward()

    say.section("The gradients: engine against the closed form (s = sigmoid(W x), "
                "g = 2 s * s(1-s))")
    dW, dx = problem2_closed_form(W0, x0)
    say(table([["df/dW", fmt_array(W.grad, 6, 0), fmt_array(dW, 6, 0)],
               ["df/dx", fmt_array(x.grad, 6, 0), fmt_array(dx, 6, 0)]], style,
              header=("", "engine (g @ x.T, W.T @ g)", "closed form")))
    say(f"  largest difference: {max(np.abs(W.grad - dW).max(), np.abs(x.grad - dx).max()):.1e}",
        "dim")

    say.section("Numeric check (cr.gradcheck)")
    gradcheck(problem2, W0, x0)
    gradcheck(problem2, rng.standard_normal((3, 3)), rng.standard_normal((3, 1)))
    say("  passed at the given point and at a random W and x", "green")

    say.section("What the homework got wrong, and why")
    homework_W = homework_comp_graph2(x0.astype(int), W0.astype(int), "W")
    homework_x = homework_comp_graph2(x0.astype(int), W0.astype(int), "x")
    say("1. The sigmoid gate's local gradient is written x*(1-x), in terms of the gate's "
        "input; the rule is s*(1-s) with s the gate's OUTPUT. At x = 1, 2, 3:")
    local = check_local_gradient("sigmoid", lambda x: x * (1 - x), points=[1.0, 2.0, 3.0])
    say(_indent(local.text(), 3))
    say("   That is where the homework's negative gradients come from (reproduced here):")
    say(_indent(table([["df/dW", fmt_array(homework_W, 7, 0), fmt_array(W.grad, 6, 0)],
                       ["df/dx", fmt_array(homework_x, 7, 0), fmt_array(x.grad, 6, 0)]],
                      style, header=("", "homework compGraph", "engine")), 3))
    say("2. dx multiplies the upstream gradient by ones; the rule for W @ x is W.T @ "
        "upstream. The two agree only because W = I. Even with the sigmoid fixed, at a "
        "random W:")
    W_r = rng.standard_normal((3, 3)).round(2)
    W_t = Tensor(W_r, requires_grad=True, name="W")
    x_t = Tensor(x0, requires_grad=True, name="x")
    problem2(W_t, x_t).backward()
    fixed_x = homework_comp_graph2(x0, W_r, "x", sigmoid_fixed=True)
    say(_indent(table([["W", fmt_array(W_r, 3, 0), ""],
                       ["df/dx", fmt_array(fixed_x, 6, 0), fmt_array(x_t.grad, 6, 0)]],
                      style, header=("", "homework (sigmoid fixed)", "engine")), 3))
    say("3. Its dW, upstream * vstack((x.T, x.T, x.T)), is the outer product g @ x.T: right "
        "in form; only the sigmoid mistake makes its numbers wrong.")
    say("   And 'The answer is as same as I calculate by my hand': the hand derivation made "
        "the same two mistakes, so agreeing with it proved nothing. A numeric check would "
        "have caught both.")
    pictures += _pictures(y2, folder, "problem2", say)

    say.heading("Pictures")
    say(f"written to {folder}/:")
    for p in pictures:
        say(f"  {p}")
    return 0


def _hand_partial(name: str) -> Any:
    return lambda **point: homework_hand1(**point)[name]


def _signed(number: str) -> str:
    return number if number.startswith("-") else " " + number


def _indent(text: str, n: int) -> str:
    return "\n".join(" " * n + line for line in text.splitlines())
