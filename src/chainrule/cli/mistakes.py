"""The homework's three mistakes (docs/homework.md), each in a few lines: what was written,
what is right, at which gate, and the numbers that show it. Every number is computed here,
from the homework's transcribed code and the engine."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checking.hand import check_hand_gradients, check_local_gradient
from ..layout import wrap
from ..tensor import Tensor
from .homework import (
    P1_POINT,
    P2_W,
    P2_X,
    hand_partial,
    homework_comp_graph2,
    problem1_code,
    problem2,
)
from .terminal import Style, fmt_array, fmt_number

HOMEWORK_DOC = "docs/homework.md"


def _n(x: Any) -> str:
    return fmt_number(x, 6)


def _facts(say: Any, style: Style, rows: list[list[str]]) -> None:
    """``label  text`` lines indented by 3, the text wrapped between words under itself."""
    lw = max(len(label) for label, _ in rows)
    for label, text in rows:
        lines = wrap(text, max(20, style.width - 5 - lw)).splitlines()
        for i, line in enumerate(lines):
            say("   " + (label if i == 0 else "").ljust(lw) + "  " + line)


def mistakes(say: Any, style: Style) -> None:
    """Print the three mistakes with ``say`` (a line printer) in ``style``'s width."""
    say("chainrule demo: the three mistakes in the homework's backpropagation", "bold")
    say(f"(the two problems and the mistakes in words: {HOMEWORK_DOC}; every number "
        "below is computed now)", "dim")

    # 1. Problem 1: hand formulas derived for sin**2, code computes sin
    hand = {n: hand_partial(n) for n in P1_POINT}
    report = check_hand_gradients(problem1_code, hand, P1_POINT, n_random=20, seed=0)
    given = next(r for r in report.rows if r.name == "x2" and r.given)
    worst = max((r for r in report.rows if r.name == "x2" and not r.ok),
                key=lambda r: r.error)
    where = ", ".join(f"{k}={v:.3g}" for k, v in worst.point.items())
    say()
    say("1. Problem 1: the hand formulas differentiate another function", "bold")
    _facts(say, style, [
        ["written", "code: f = 1/(2 + sin(x1*w1) + cos(x2*w2)); hand formulas: for "
                    "1/(2 + sin(x1*w1)**2 + cos(x2*w2)), e.g. df/dx2 = "
                    "sin(x2*w2)*w2/(2 + sin(x1*w1)**2 + cos(x2*w2))**2"],
        ["right", "differentiate the function the code computes (or square the sin in "
                  "the code)"],
        ["gate", "sin(x1*w1) -> square: the square gate is in the formulas, not in the code"],
        ["numbers", f"df/dx2 at x1 = x2 = pi/2: hand {_n(given.got)}, engine "
                    f"{_n(given.expected)} (agree: sin = sin**2 = 1 there)"],
        ["", f"at {where}: hand {_n(worst.got)}, engine {_n(worst.expected)}"],
        ["", f"wrong at {sum(1 for r in report.rows if r.name == 'x2' and not r.ok)} of "
             f"{sum(1 for r in report.rows if r.name == 'x2')} points; the given point "
             "hides it"],
    ])

    # 2. Problem 2: sigmoid's local gradient in terms of its input
    local = check_local_gradient("sigmoid", lambda x: x * (1 - x), points=[1.0, 2.0, 3.0])
    hw_x = homework_comp_graph2(P2_X.astype(int), P2_W.astype(int), "x")
    W = Tensor(P2_W, requires_grad=True, name="W")
    x = Tensor(P2_X, requires_grad=True, name="x")
    problem2(W, x).backward()
    say()
    say("2. Problem 2: the sigmoid gate's local gradient uses the gate's input", "bold")
    _facts(say, style, [
        ["written", "dsigdx = x*(1-x), x the gate's input"],
        ["right", "s*(1-s) with s = sigmoid(x), the gate's output"],
        ["gate", "sigmoid(W @ x)"],
        ["numbers", "at x = 1, 2, 3: written "
                    + ", ".join(_n(r.hand[0]) for r in local.rows) + "; right "
                    + ", ".join(_n(r.engine[0]) for r in local.rows)],
        ["", f"df/dx: homework {fmt_array(hw_x.ravel(), 4)}, engine "
             f"{fmt_array(x.grad.ravel(), 4)}"],
    ])

    # 3. Problem 2: dx = upstream * ones, right only for W = I
    rng = np.random.default_rng(0)
    W_r = rng.standard_normal((3, 3)).round(2)
    W_t = Tensor(W_r, requires_grad=True, name="W")
    x_t = Tensor(P2_X, requires_grad=True, name="x")
    problem2(W_t, x_t).backward()
    fixed_x = homework_comp_graph2(P2_X, W_r, "x", sigmoid_fixed=True)
    say()
    say("3. Problem 2: the matmul gate's dx ignores W", "bold")
    _facts(say, style, [
        ["written", "dx = upstream * [1, 1, 1]"],
        ["right", "dx = W.T @ upstream (the rule of W @ x)"],
        ["gate", "W @ x; the two agree only because the homework's W is the identity"],
        ["numbers", f"at a random W, even with the sigmoid fixed: homework df/dx "
                    f"{fmt_array(fixed_x.ravel(), 4)}, engine {fmt_array(x_t.grad.ravel(), 4)}"],
    ])

    say()
    say("Each mistake agrees with the right answer at the homework's one point and is "
        "caught by checking at random points, e.g.:")
    say('   chainrule check "1/(2 + sin(x1*w1) + cos(x2*w2))" --at x1=pi/2 w1=1 x2=pi/2 w2=1 \\',
        "cyan")
    say('     --hand "x2=sin(x2*w2)*w2/(2 + sin(x1*w1)**2 + cos(x2*w2))**2"', "cyan")
    say("Every table (gates, forward and backward steps, closed forms, pictures): "
        "chainrule demo --full, or --problem 1 / --problem 2.")
