"""``chainrule grad`` (value, partial derivatives, --explain, --graph, --check, --hessian,
--jacobian) and ``chainrule functions`` (the formula language's functions)."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any, TextIO

import numpy as np

from ..core import Node
from ..layout import clip, shorten, table_width, wrap
from . import page_options
from .budget import estimate, limits_of
from .check import CheckResult, numeric_check
from .formula import CONSTANTS, FUNCTIONS, escape
from .problem import (
    Problem,
    gradients,
    hessian_of,
    jacobian_of,
    read_problem,
)
from .terminal import (
    EXIT_MATH,
    EXIT_OK,
    MathError,
    Style,
    UsageError,
    fmt_array,
    fmt_number,
    fmt_shape,
    json_safe,
    table,
)


def cmd_grad(args: argparse.Namespace, out: TextIO, style: Style) -> int:
    """``chainrule grad FORMULA --at ...``: the value and the partial derivatives."""
    page_options.check_paths(args)
    problem = read_problem(args.formula, args.at, args.wrt)
    limits = limits_of(args)
    cost = estimate(problem.formula, problem.values)
    limits.admit(problem.formula, cost)
    if args.hessian or args.jacobian:
        n = sum(int(np.size(problem.values[v])) for v in problem.wrt)
        limits.admit(problem.formula, cost.times(2 * n + 1),
                     "--hessian" if args.hessian else "--jacobian")
    with limits.guard():
        if args.jacobian:
            return _cmd_jacobian(args, problem, out, style)
        return _grad(args, out, style, problem, cost, limits)


def _grad(args: argparse.Namespace, out: TextIO, style: Style, problem: Problem,
          cost: Any, limits: Any) -> int:
    y, leaves, grads = gradients(problem)
    value = float(np.asarray(y.value).reshape(()))
    p = args.precision
    report: dict[str, Any] = {
        "formula": problem.formula.text,
        "engine": "tensor" if problem.tensors else "scalar",
        "at": dict(problem.values), "value": value, "gradient": grads,
    }
    hess = hessian_of(problem) if args.hessian else None
    if hess is not None:
        report["hessian"] = {"variables": hess[0], "matrix": hess[1]}
    check = (numeric_check(problem, args.random, args.seed, cost, limits) if args.check
             else None)
    if check is not None:
        report["check"] = {"ok": check.ok, "points": check.points, "skipped": check.skipped,
                           "failure": check.failure, "notes": list(check.notes),
                           "conclusive": check.conclusive}
    explanation = _explain(y) if args.explain else None
    if explanation is not None:
        report["explain"] = explanation.to_dict()
    if args.graph:
        report["graph"] = str(_render(y, args.graph, args.keep_dot, args.force))
    made, made_lines = page_options.write_outputs(args, y)
    report.update(made)

    if args.json:
        out.write(json.dumps(json_safe(report), indent=2, allow_nan=False) + "\n")
    else:
        _print_grad(out, style, problem, value, grads, p)
        if hess is not None:
            out.write("\n" + style("Hessian", "bold") + wrap(
                " (second derivatives, reverse-over-reverse)", style.width - len("Hessian"),
                "  ") + "\n")
            out.write(_hessian_table(hess[0], hess[1], p, style) + "\n")
        if explanation is not None:
            out.write("\n" + explanation.text(width=style.width).rstrip() + "\n")
        if check is not None:
            out.write("\n" + wrap(_check_line(check, args.random, style), style.width, "  ") + "\n")
        if args.graph:
            out.write(wrap(f"\ngraph written to {report['graph']}", style.width) + "\n")
        out.writelines(f"\n{line}\n" for line in made_lines)
    finite = math.isfinite(value) and all(np.all(np.isfinite(g)) for g in grads.values())
    if not finite:
        sys.stderr.write(style(_NOT_FINITE + "\n", "yellow"))
        return EXIT_MATH
    return EXIT_OK if check is None or check.ok else EXIT_MATH


_NOT_FINITE = ("chainrule: the value or a gradient is not finite (inf or nan): a division by "
               "zero or a value outside a function's domain, such as log of a negative "
               "number")


def _cmd_jacobian(args: argparse.Namespace, problem: Problem, out: TextIO,
                  style: Style) -> int:
    for flag in ("explain", "graph", "check", "hessian", "page", "latex"):
        if getattr(args, flag):
            raise UsageError(f"--jacobian does not combine with --{flag}")
    value, jac = jacobian_of(problem)
    if args.json:
        report = {"formula": problem.formula.text, "at": dict(problem.values),
                  "value": value, "jacobian": jac}
        out.write(json.dumps(json_safe(report), indent=2, allow_nan=False) + "\n")
    else:
        p = args.precision
        names = ", ".join(problem.formula.variables)
        out.write(style(clip(f"f({names}) = {escape(problem.formula.text)}", style.width),
                        "bold") + "\n")
        shape = f"  ({fmt_shape(value)})" if value.ndim else ""
        out.write(f"f  =  {fmt_array(value, p, indent=6, width=style.width)}{shape}\n")
        for n, J in jac.items():
            rows = max(1, value.size)
            matrix = J.reshape(rows, -1)
            out.write("\n" + wrap(f"df/d{n}: {value.size} x {matrix.shape[1]} (row: an "
                                  f"element of f, column: an element of {n}, both in "
                                  "row-major order)", style.width, "  ") + "\n")
            out.write(style(fmt_array(matrix, p, width=style.width), "cyan") + "\n")
    finite = bool(np.all(np.isfinite(value))) and all(np.all(np.isfinite(J))
                                                       for J in jac.values())
    if not finite:
        sys.stderr.write(style(_NOT_FINITE + (
            "; in a Jacobian an infinite local derivative can make other rows nan "
            "(0 x inf)" if any(np.any(np.isnan(J)) for J in jac.values()) else "") + "\n",
            "yellow"))
    return EXIT_OK if finite else EXIT_MATH


def _print_grad(out: TextIO, style: Style, problem: Problem, value: float,
                grads: dict[str, Any], p: int) -> None:
    names = ", ".join(problem.formula.variables)
    out.write(style(clip(f"f({names}) = {escape(problem.formula.text)}", style.width), "bold")
              + "\n")
    engine = "Tensor engine" if problem.tensors else "Scalar engine"
    rows = []
    for i, (n, v) in enumerate(problem.values.items()):
        shape = "" if np.ndim(v) == 0 else f"  ({fmt_shape(v)})"
        room = style.width - 12 - len(n) - len(shape)
        rows.append(["at" if i == 0 else "", n, "=", fmt_array(v, p, width=room) + shape])
    out.write(table(rows, style) + "\n")
    out.write(style(f"({engine})", "dim") + "\n\n")
    label_w = max(len(f"df/d{n}") for n in grads) if grads else 5
    label_w = max(label_w, len("f"))
    if label_w + 5 + 12 > style.width:
        # names too long for one column: each label on its own line, its value below
        out.write(f"f\n    =  {style(_signed(fmt_number(value, p)), 'cyan')}\n")
        for n, g in grads.items():
            body = fmt_array(g, p, indent=7, width=style.width)
            body = _signed(body) if np.ndim(g) == 0 else body
            out.write(f"{shorten(f'df/d{n}', style.width)}\n    =  {style(body, 'cyan')}\n")
        return
    out.write(f"{'f'.ljust(label_w)}  =  {style(_signed(fmt_number(value, p)), 'cyan')}\n")
    for n, g in grads.items():
        label = f"df/d{n}".ljust(label_w)
        body = fmt_array(g, p, indent=label_w + 5, width=style.width)
        body = _signed(body) if np.ndim(g) == 0 else body
        out.write(f"{label}  =  {style(body, 'cyan')}\n")


def _signed(number: str) -> str:
    """A leading space for a number without a minus sign, so that a column of numbers
    lines up."""
    return number if number.startswith("-") else " " + number


def _hessian_table(labels: list[str], H: np.ndarray, p: int, style: Style) -> str:
    rows = [[lab] + [_signed(fmt_number(v, p)) for v in row] for lab, row in zip(labels, H)]
    if len(labels) <= 12 and table_width(["", *labels], rows) <= style.width:
        return table(rows, style, header=["", *labels])
    order = wrap("rows and columns in the order " + ", ".join(labels), style.width, "  ")
    return order + "\n" + fmt_array(H, p, width=style.width)


def _check_line(check: CheckResult, n_random: int, style: Style) -> str:
    if check.ok and not check.points:
        return style("check not done", "yellow", "bold") + (
            f": the value is not finite at the given point and at all {check.skipped - 1} "
            "random point(s)")
    if check.ok:
        skipped = check.skipped - check.given_skipped
        skipped_text = (f", {skipped} skipped where the value is not finite"
                        if skipped else "")
        random = check.points - (not check.given_skipped)
        points = f"{random} random {'point' if random == 1 else 'points'}"
        where = (f"at {points} (the given point was skipped: the value is not finite there)"
                 if check.given_skipped else f"at the given point and at {points}")
        sampled = (f"; element-wise comparisons sampled {check.sampled[0]:,} of "
                   f"{check.sampled[1]:,} elements" if check.sampled else "")
        return style("check passed", "green", "bold") + (
            f": the engine's gradient agrees with central differences {where}"
            f"{skipped_text}{sampled}") + "".join(
            f"\n  judged by {n}" for n in check.notes)
    if not check.conclusive:
        return style("check INCONCLUSIVE", "yellow", "bold") + f" {check.failure}"
    return style("check FAILED", "red", "bold") + f" {check.failure}"


def _explain(y: Any) -> Any:
    try:
        from ..explanation.steps import explain
    except ImportError:
        raise UsageError("--explain needs chainrule.explain, which this installation "
                         "lacks") from None
    return explain(y)


def _render(y: Node, path: str, keep_dot: bool = False, force: bool = False) -> Any:
    try:
        from ..explanation.draw import GraphvizNotFound, render
    except ImportError:
        raise UsageError("--graph needs chainrule.draw, which this installation "
                         "lacks") from None
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".dot", ".svg", ".png", ".pdf"):
        raise UsageError(f"--graph {path}: the file must end in .dot, .svg, .png or .pdf")
    try:
        return render(y, path, keep_dot=keep_dot, overwrite=force)
    except GraphvizNotFound as exc:
        raise MathError(f"{exc} (a .dot file needs no Graphviz: --graph graph.dot)") from None
    except FileExistsError:
        raise UsageError(f"--graph {path}: the file exists; add --force to replace "
                         "it") from None
    except OSError as exc:
        raise UsageError(f"--graph {path}: cannot write the file: {exc.strerror or exc}") \
            from None


def cmd_functions(args: argparse.Namespace, out: TextIO, style: Style) -> int:
    from ..primitive import REGISTRY

    by_function = {p.function: p for p in REGISTRY.values() if p.function}
    rows = []
    for name in sorted(FUNCTIONS):
        fn = FUNCTIONS[name]
        prim = by_function.get(name)
        rule = ("; ".join(prim.rule(i) for i in range(len(prim.derivs)))
                if prim is not None and prim.derivs else fn.help)
        rows.append([fn.usage, rule])
    header = ("function", "derivative / notes")
    if table_width(header, rows) <= style.width:
        out.write(table(rows, style, header=header) + "\n\n")
    else:  # each function on its line, its rule wrapped between words below it
        for usage, rule in rows:
            out.write(style(clip(usage, style.width), "bold") + "\n")
            out.write(wrap("    " + rule, style.width, "  ") + "\n")
        out.write("\n")
    out.write(wrap("operators: + - * / ** @ and unary -;  constants: "
                   + ", ".join(f"{k} = {v:.6g}" for k, v in CONSTANTS.items())
                   + ";  arrays: [[1, 2], [3, 4]], eye(n), zeros(m, n), ones(m, n)",
                   style.width, "  ") + "\n")
    return EXIT_OK
