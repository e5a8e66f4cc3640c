"""``chainrule grade``: many learners' hand-derived partial derivatives checked in one run.

The answers file is CSV (a header ``id,<var>,<var>...``; each cell the learner's formula
for df/d<var>, or a number) or JSON (a list of objects with the same keys). Every answer
is evaluated at the given point and at random points and judged by
:func:`chainrule.cli.verdicts.judge`; the engine's gradients are computed once per point
and an answer written the same way by several learners is judged once.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import pathlib
from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

from ..layout import clip, wrap
from .budget import BudgetError, Estimate, Limits, estimate, limits_of
from .formula import Formula, FormulaError, escape, parse
from .problem import (
    Problem,
    gradients,
    read_problem,
    require_drawable,
    require_finite_at_the_point,
)
from .terminal import EXIT_MATH, EXIT_OK, Style, UsageError, json_safe, table
from .verdicts import VERDICTS, Verdict, judge, without_each_term


def read_answers(path: str, variables: Sequence[str]) -> list[dict[str, str]]:
    """The rows of the answers file as ``{"id": ..., var: text}``. Raises UsageError naming
    the file and what is wrong with it: not readable, not UTF-8, not CSV/JSON of the right
    form, a column twice in the header, or two learners with the same id."""
    file = pathlib.Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start + 1} cannot be read); "
                         "save the answers as UTF-8 CSV or JSON") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    where: list[str] = []
    if file.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") \
                from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise UsageError(f"{path}: the JSON must be a list of objects, one per learner")
        rows = [{str(k): _json_cell(v) for k, v in r.items()} for r in data]
        where = [f"entry {k + 1}" for k in range(len(rows))]
    else:
        reader = csv.DictReader(text.splitlines())
        header = [name.strip() for name in reader.fieldnames or []]
        twice = [name for name, n in Counter(header).items() if n > 1]
        if twice:
            raise UsageError(f"{path}: the column {twice[0]!r} appears twice in the header; "
                             "give each partial one column")
        rows = []
        for r in reader:
            if None in r:
                raise UsageError(f"{path}, line {reader.line_num}: more cells than columns "
                                 '(quote a formula that holds a comma: "[1, 2]")')
            rows.append({k.strip(): (v or "").strip() for k, v in r.items()})
            where.append(f"line {reader.line_num}")
        if reader.fieldnames is None:
            raise UsageError(f"{path}: the file is empty; it needs a header id,"
                             + ",".join(variables))
    columns = set().union(*(r.keys() for r in rows)) if rows else set()
    if rows and "id" not in columns:
        raise UsageError(f"{path}: no id column (the columns: {', '.join(sorted(columns))})")
    if rows and not columns & set(variables):
        raise UsageError(f"{path}: no column names a variable of the formula "
                         f"({', '.join(variables)})")
    first: dict[str, int] = {}
    for k, r in enumerate(rows):
        r.setdefault("id", str(k + 1))
        if r["id"] in first:
            raise UsageError(f"{path}: two learners have the id {r['id']!r} "
                             f"({where[first[r['id']]]} and {where[k]}); give each learner "
                             "its own id")
        first[r["id"]] = k
    return rows


def _json_cell(value: Any) -> str:
    """A JSON answer as formula text: a string as it is, a number as Python writes it
    (``inf`` for 1e999), null as no answer, anything else as JSON text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)  # the formula parser names True/False as not a number
    if isinstance(value, (int, float)):
        return repr(value)
    return value if isinstance(value, str) else json.dumps(value)


def _points(problem: Problem, n_random: int, seed: int) -> tuple[list[dict], list[dict]]:
    """The given point and the random points where the value and gradients are finite:
    the points and the engine's gradients at each."""
    from ..checking.hand import _random_point  # the points `chainrule check` uses

    require_finite_at_the_point(problem, "grade")
    rng = np.random.default_rng(seed)
    points = [dict(problem.values)] + [_random_point(problem.values, rng)
                                       for _ in range(n_random)]
    kept, grads = [], []
    for k, point in enumerate(points):
        out, _, g = gradients(dataclasses.replace(problem, values=point))
        finite = np.all(np.isfinite(np.asarray(out.value))) and all(
            np.all(np.isfinite(v)) for v in g.values())
        if k == 0 or finite:
            kept.append(point)
            grads.append(g)
    return kept, grads


def grade_answers(problem: Problem, rows: list[dict[str, str]], *, n_random: int, seed: int,
                  rtol: float, atol: float, limits: Limits | None = None
                  ) -> list[dict[str, str]]:
    """``[{"id", "variable", "verdict", "detail"}]`` for every learner and variable. With
    ``limits``, an answer whose estimated work is over them is ``invalid`` unevaluated."""
    points, engine = _points(problem, n_random, seed)
    cache: dict[tuple[str, str], Verdict] = {}
    results = []
    # the partials asked for are the file's columns; a learner without one has no answer
    asked = [n for n in problem.formula.variables if any(n in row for row in rows)]
    for row in rows:
        for name in asked:
            text = row.get(name, "")
            key = (name, text)
            if key not in cache:
                cache[key] = _judge_one(name, text, points, [g[name] for g in engine],
                                        rtol, atol, limits)
            v = cache[key]
            results.append({"id": row["id"], "variable": name, "verdict": v.word,
                            "detail": v.detail})
    return results


def _at_points(cost: Estimate, n: int) -> Estimate:
    """The cost of one evaluation at each of ``n`` points: the time adds up, the graph of
    one point is freed before the next."""
    return dataclasses.replace(cost, elementwise=cost.elementwise * n, flops=cost.flops * n)


def _judge_one(name: str, text: str, points: list[dict], engine: list[Any], rtol: float,
               atol: float, limits: Limits | None = None) -> Verdict:
    if not text.strip():
        return Verdict("invalid", "no answer")
    try:
        formula = parse(text)
    except FormulaError as exc:
        start = getattr(exc, "start", None)
        at = f" (at character {start + 1} of {text!r})" if start is not None else ""
        return Verdict("invalid", f"{exc.message}{at}")
    unknown = [v for v in formula.variables if v not in points[0]]
    if unknown:
        return Verdict("invalid", f"{unknown[0]} is not a variable of the formula")
    if limits is not None:
        try:
            limits.admit(formula, _at_points(estimate(formula, points[0]), len(points)),
                         f"the answer, at {len(points)} points,")
        except BudgetError as exc:
            return Verdict("invalid", str(exc))
    try:
        with np.errstate(all="ignore"):
            hand = _evaluate_at(formula, points)
    except FormulaError as exc:
        return Verdict("invalid", exc.message)
    verdict = judge(name, engine, hand, rtol=rtol, atol=atol)
    if verdict.word in ("wrong", "hidden"):
        extra = extra_term(text, points, engine, rtol, atol)
        if extra is not None:
            hidden = " (right at the given point: the point hides it)" \
                if verdict.word == "hidden" else ""
            return Verdict(extra.word, extra.detail + hidden)
    return verdict


def extra_term(text: str, points: list[dict], engine: list[Any], rtol: float,
               atol: float) -> Verdict | None:
    """A ``term`` verdict when the answer is right without one of its top-level terms."""
    for term, rest in without_each_term(text):
        try:
            with np.errstate(all="ignore"):
                values = _evaluate_at(parse(rest), points)
        except FormulaError:
            continue
        if judge("", engine, values, rtol=rtol, atol=atol).ok:
            return Verdict("term", f"the term {term} is extra: without it the answer is "
                           "right")
    return None


def _evaluate_at(formula: Formula, points: list[dict]) -> list[Any]:
    """The formula's value at every point. Where every variable is a number, all points
    go through in one evaluation on arrays (elementwise), else one evaluation per point."""
    if all(isinstance(v, float) for v in points[0].values()) and not formula.needs_tensors:
        batch = {k: np.array([p[k] for p in points]) for k in points[0]}
        try:
            value = np.asarray(getattr(v := formula.evaluate(batch), "value", v))
        except FormulaError:
            value = None  # e.g. a function of one number only: evaluate point by point
        if value is not None and value.shape in ((), (len(points),)):
            return list(np.broadcast_to(value, (len(points),)))
    out = []
    for point in points:
        value = formula.evaluate(point)
        out.append(getattr(value, "value", value))
    return out


def cmd_grade(args: argparse.Namespace, out: TextIO, style: Style) -> int:
    """``chainrule grade FORMULA FILE --at ... [--out FILE.csv | --json]``."""
    if args.out is not None:
        if not args.out.strip():
            raise UsageError("--out: the file name is empty")
        if pathlib.Path(args.out).resolve() == pathlib.Path(args.file).resolve():
            raise UsageError(f"--out {args.out} is the answers file: writing the results "
                             "there would replace the answers; name another file")
    problem = read_problem(args.formula, args.at, None)
    require_drawable(problem, "grade")
    rows = read_answers(args.file, problem.formula.variables)
    limits = limits_of(args)
    cost = estimate(problem.formula, problem.values)
    limits.admit(problem.formula, cost)
    limits.admit(problem.formula, _at_points(cost, 1 + args.random),
                 f"grade at {1 + args.random} point(s)")
    with np.errstate(all="ignore"), limits.guard():
        results = grade_answers(problem, rows, n_random=args.random, seed=args.seed,
                                rtol=args.rtol, atol=args.atol, limits=limits)
    if args.out:
        try:
            with open(args.out, "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, ["id", "variable", "verdict", "detail"])
                writer.writeheader()
                writer.writerows(results)
        except OSError as exc:
            raise UsageError(f"--out {args.out}: cannot write the file: "
                             f"{exc.strerror or exc}") from None
    learners = len(rows)
    all_right = sum(1 for r in rows if all(x["verdict"] == "right" for x in results
                                           if x["id"] == r["id"]))
    if args.json:
        data = {"formula": problem.formula.text, "learners": learners,
                "all_right": all_right, "results": results}
        out.write(json.dumps(json_safe(data), indent=2) + "\n")
        return EXIT_OK if all_right == learners else EXIT_MATH
    counts = {n: Counter(r["verdict"] for r in results if r["variable"] == n)
              for n in problem.formula.variables}
    used = [v for v in VERDICTS if any(c[v] for c in counts.values())]
    head = f"f({', '.join(problem.formula.variables)}) = {escape(problem.formula.text)}"
    out.write(style(clip(head, style.width), "bold") + "\n")
    learner_word = "learner" if learners == 1 else "learners"
    out.write(wrap(f"{learners} {learner_word}, {all_right} with every partial right "
                   f"(tolerance |yours - engine| <= {args.atol:g} + {args.rtol:g} * "
                   f"|engine|)", style.width, "  ") + "\n\n")
    summary = [[f"df/d{n}"] + [str(counts[n][v]) for v in used]
               for n in problem.formula.variables if counts[n]]
    out.write(table(summary, style, header=["partial", *used]) + "\n")
    if learners <= 20:
        wrong = [r for r in results if r["verdict"] != "right"]
        if wrong:
            out.write("\n")
        for r in wrong:
            # the ids and answers are the learners' text: escaped, never terminal codes
            out.write(wrap(escape(f"{r['id']}  df/d{r['variable']}: {r['verdict']}: "
                                  f"{r['detail']}"), style.width, "    ") + "\n")
    if args.out:
        out.write(f"\n{len(results)} rows written to {args.out}\n")
    elif learners > 20:
        out.write(wrap("\nevery learner's verdicts: --out results.csv or --json",
                       style.width) + "\n")
    return EXIT_OK if all_right == learners else EXIT_MATH
