"""``chainrule check``: a learner's hand-derived partial derivatives against the engine."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

import numpy as np

from ..formatting import fmt
from ..layout import clip, wrap
from ..tensor import Tensor
from .budget import estimate, limits_of
from .formula import (
    Formula,
    FormulaError,
    FormulaUsageError,
    _suggest,
    escape,
    parse,
    split_assignment,
)
from .grade import extra_term
from .problem import read_problem, require_drawable, require_finite_at_the_point
from .terminal import EXIT_MATH, EXIT_OK, Style, UsageError, json_safe, table
from .verdicts import judge


def cmd_check(args: argparse.Namespace, out: TextIO, style: Style) -> int:
    from ..checking.hand import check_hand_gradients

    problem = read_problem(args.formula, args.at, None)
    require_drawable(problem, "check")
    hand: dict[str, Formula] = {}
    for item in args.hand:
        name, text = split_assignment(item, "--hand")
        if name not in problem.formula.variables:
            hint = _suggest(name, list(problem.formula.variables))
            raise UsageError(f"--hand {name}: the formula has no variable {name}{hint} "
                             f"(its variables: {', '.join(problem.formula.variables)})")
        if name in hand:
            raise UsageError(f"--hand gives d/d{name} twice")
        try:
            hand[name] = parse(text)
        except FormulaError as exc:
            exc.message = f"--hand {name}: {exc.message}"
            raise
        for var in hand[name].variables:
            if var not in problem.values:
                start, end = hand[name].first_use(var)
                hint = _suggest(var, list(problem.values))
                raise FormulaUsageError(f"--hand {name}: {var} is not a variable of the "
                                        f"formula{hint}", hand[name].text, start, end)
    if problem.formula.needs_tensors and all(np.ndim(v) == 0 for v in problem.values.values()):
        # (grad switches to the Tensor engine; the check's leaves are Scalars for numbers)
        first = problem.formula.variables[0]
        raise UsageError(f"check: this formula uses array functions but every value is a "
                         f"single number; give the values as arrays (e.g. {first}=[1.5])")
    formula = problem.formula

    def f(**point: Any) -> Any:
        out = formula.evaluate(point)
        # a value of one element in an array (min(x, keepdims=True)) is one number, as in grad
        if isinstance(out, Tensor) and out.value.size == 1 and out.value.ndim:
            out = out.reshape(())
        return out

    def hand_fn(h: Formula) -> Any:
        def partial(**point: Any) -> Any:
            with np.errstate(all="ignore"):
                return h.evaluate(point)
        return partial

    limits = limits_of(args)
    cost = estimate(formula, problem.values)
    limits.admit(formula, cost)
    limits.admit(formula, cost.times(3 * (1 + args.random)),
                 f"check at {1 + args.random} point(s)")
    with np.errstate(all="ignore"), limits.guard():
        require_finite_at_the_point(problem, "check")
        report = check_hand_gradients(f, {n: hand_fn(h) for n, h in hand.items()},
                                      problem.values, n_random=args.random, seed=args.seed,
                                      rtol=args.rtol, atol=args.atol)
    verdicts = {n: judge(n, [r.expected for r in report.rows if r.name == n],
                         [r.got for r in report.rows if r.name == n],
                         rtol=args.rtol, atol=args.atol) for n in hand}
    for n, v in verdicts.items():
        if v.word in ("wrong", "hidden"):
            mine = [r for r in report.rows if r.name == n]
            extra = extra_term(hand[n].text, [r.point for r in mine],
                               [r.expected for r in mine], args.rtol, args.atol)
            verdicts[n] = extra or v
    if args.json:
        rows: Any = [{"partial": r.name, "point": r.point, "given_point": r.given,
                      "engine": r.expected, "hand": r.got, "error": r.error, "ok": r.ok}
                     for r in report.rows]
        data = {"formula": formula.text, "ok": report.ok, "wrong": report.wrong,
                "hidden_at_given_point": report.hidden, "points": report.n_points,
                "skipped": report.skipped, "rows": rows,
                "verdicts": {n: {"verdict": v.word, "detail": v.detail}
                             for n, v in verdicts.items()}}
        out.write(json.dumps(json_safe(data), indent=2, allow_nan=False) + "\n")
        return EXIT_OK if report.ok else EXIT_MATH
    width = style.width
    out.write(style(clip(f"f({', '.join(formula.variables)}) = {escape(formula.text)}",
                         width), "bold") + "\n")
    out.write(table([[f"df/d{n}", "=", escape(h.text)] for n, h in hand.items()], style)
              + "\n\n")
    random = report.n_points - 1
    out.write(wrap(f"checked at the given point and {plural(random, 'random point')} "
                   f"(agreeing when |yours - engine| <= {args.atol:g} + {args.rtol:g} * "
                   f"|engine|)", width, "  ") + "\n")
    if report.skipped:
        out.write(wrap(f"  ({plural(report.skipped, 'random point')} skipped: f is not "
                       "finite there)", width, "  ") + "\n")
    for n, v in verdicts.items():
        said = v.detail if v.detail.startswith(v.word) else f"{v.word}: {v.detail}"
        said = said if v.ok else said[:len(v.word)].upper() + said[len(v.word):]
        line = wrap(f"  df/d{n}: {said}", width, "    ")
        out.write(style(line, "green") if v.ok else style(line, "red", "bold"))
        out.write("\n")
        bad = report.failures(n)
        if bad and v.word not in ("shape", "transposed"):
            worst = max(bad, key=lambda r: r.error)
            point = ", ".join(f"{k}={_short(x)}" for k, x in worst.point.items())
            out.write(wrap(f"    worst at {point}: engine {_short(worst.expected)}, yours "
                           f"{_short(worst.got)} (off by {worst.error:.3g})", width,
                           "  ") + "\n")
    if report.ok:
        out.write(style("all partials are right", "green") + "\n")
    else:
        wrong = report.wrong
        out.write(style(f"wrong {'partial' if len(wrong) == 1 else 'partials'}: "
                        + ", ".join(wrong), "red", "bold") + "\n")
    return EXIT_OK if report.ok else EXIT_MATH


def plural(n: int, word: str) -> str:
    """``1 point``, ``2 points``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _short(x: Any) -> str:
    return fmt(x) if np.ndim(x) == 0 else fmt(np.asarray(x, dtype=float))
