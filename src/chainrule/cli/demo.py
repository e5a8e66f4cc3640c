"""``chainrule demo``: the homework this project was born from (docs/homework.md), its
mistakes found and explained.

By default the demo leads with the point: the homework's three mistakes, each in a few
lines (what was written, what is right, at which gate, the numbers). ``--full`` (or
``--problem 1`` / ``--problem 2``) adds each problem's full walk-through: the gate table,
the forward and backward steps, the gradients against a closed form, a numeric check, what
the homework's code got wrong in detail, and the graph pictures.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import TextIO, cast

import numpy as np

from ..checking.gradcheck import gradcheck
from ..checking.hand import check_hand_gradients, check_local_gradient
from ..core import Node
from ..explanation.draw import GraphvizNotFound, render
from ..explanation.render import Explanation
from ..explanation.steps import explain
from ..layout import wrap
from ..scalar import Scalar
from ..tensor import Tensor
from .homework import (
    P1_ELSEWHERE,
    P1_POINT,
    P2_W,
    P2_X,
    hand_partial,
    homework_comp_graph1,
    homework_comp_graph2,
    problem1,
    problem1_closed_form,
    problem1_code,
    problem2,
    problem2_closed_form,
)
from .mistakes import mistakes
from .terminal import Style, UsageError, fmt_array, fmt_number, table


class _Printer:
    """Writes lines to the output, prose wrapped between words to the style's width."""

    def __init__(self, out: TextIO, style: Style) -> None:
        self.out = out
        self.style = style

    def __call__(self, text: str = "", *styles: str) -> None:
        self.out.write(self.style(wrap(text, self.style.width, "  "), *styles) + "\n")

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
            return made
    steps = cast(Explanation, explain(cast("Scalar | Tensor", y)))  # reverse mode
    made.append(steps.page(folder / f"{stem}.html"))
    return made


def cmd_demo(args: argparse.Namespace, out: TextIO, style: Style) -> int:
    """``chainrule demo [--full | --problem N] [--out DIR]``."""
    problems = (1, 2) if args.full else ((args.problem,) if args.problem else ())
    return run(args.out, out, style, problems)


def run(out_dir: str | pathlib.Path = "chainrule-demo", out: TextIO | None = None,
        style: Style | None = None, full: tuple[int, ...] = ()) -> int:
    """Print the homework's three mistakes to ``out`` (default stdout), then the full
    walk-through of each problem in ``full``, writing its graph pictures (.dot always;
    .svg and .png where Graphviz is installed) into ``out_dir``. Returns 0, the exit status
    of ``chainrule demo``. Raises UsageError if ``out_dir`` cannot be created."""
    out = out or sys.stdout
    style = style or Style.for_stream(out)
    say = _Printer(out, style)
    mistakes(say, style)
    if not full:
        return 0
    folder = pathlib.Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {folder}: cannot create the folder: "
                         f"{exc.strerror or exc}") from None
    pictures: list[pathlib.Path] = []
    if 1 in full:
        pictures += full_problem1(say, style, folder)
    if 2 in full:
        pictures += full_problem2(say, style, folder)
    say.heading("Pictures")
    say(f"written to {folder}/:")
    for p in pictures:
        say(f"  {p}")
    return 0


def full_problem1(say: _Printer, style: Style, folder: pathlib.Path) -> list[pathlib.Path]:
    """Problem 1's walk-through; returns the pictures written."""
    say.heading("Problem 1: scalar backpropagation")
    say("f(x1, w1, x2, w2) = 1/(2 + sin(x1*w1)**2 + cos(x2*w2))   at x1 = x2 = pi/2, "
        "w1 = w2 = 1")
    leaves = {n: Scalar(v, n) for n, v in P1_POINT.items()}
    y1 = problem1(**leaves)
    y1.name = "f"
    say()
    say(explain(y1).text(width=style.width).rstrip())
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
    hand = {n: hand_partial(n) for n in P1_POINT}
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
    return _pictures(y1, folder, "problem1", say)

    # -- Problem 2 -----------------------------------------------------------------------


def full_problem2(say: _Printer, style: Style, folder: pathlib.Path) -> list[pathlib.Path]:
    """Problem 2's walk-through; returns the pictures written."""
    say.heading("Problem 2: vector backpropagation")
    say("f(W, x) = ||sigmoid(W @ x)||**2   at W = eye(3), x = [[1], [2], [3]]")
    W0, x0 = P2_W, P2_X
    W = Tensor(W0, requires_grad=True, name="W")
    x = Tensor(x0, requires_grad=True, name="x")
    y2 = problem2(W, x)
    y2.name = "f"
    say()
    say(explain(y2).text(width=style.width).rstrip())
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
    rng = np.random.default_rng(0)
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
    return _pictures(y2, folder, "problem2", say)


def _signed(number: str) -> str:
    return number if number.startswith("-") else " " + number


def _indent(text: str, n: int) -> str:
    return "\n".join(" " * n + line for line in text.splitlines())
