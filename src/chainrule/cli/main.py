"""The ``chainrule`` command: differentiate a formula from the shell.

Subcommands: ``grad`` (value and partial derivatives, with --explain, --graph, --check,
--hessian, --json), ``check`` (a learner's hand-derived partials against the engine),
``demo`` (the homework walk-through) and ``functions`` (the formula language).

Exit status: 0 success, 1 a math problem (incompatible shapes, a non-finite result, a failed
check), 2 a usage problem (bad syntax, unknown name, missing value, bad option). No
traceback reaches the user; set CHAINRULE_DEBUG=1 to see one for an internal error.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from ..checking.gradcheck import gradcheck
from ..core import Node, backprop
from ..errors import GradcheckError
from ..scalar import Scalar
from ..tensor import Tensor
from .formula import (
    CONSTANTS,
    FUNCTIONS,
    Formula,
    FormulaError,
    FormulaMathError,
    FormulaUsageError,
    _suggest,
    constant,
    parse,
    split_assignment,
)
from .terminal import (
    MathError,
    Style,
    UsageError,
    fmt_array,
    fmt_number,
    fmt_shape,
    json_safe,
    table,
)

EXIT_OK, EXIT_MATH, EXIT_USAGE = 0, 1, 2


@dataclass
class Problem:
    """A parsed formula with its values: what ``grad`` and ``check`` work on."""

    formula: Formula
    values: dict[str, Any]
    wrt: list[str]
    tensors: bool = field(default=False)

    def leaves(self) -> dict[str, Node]:
        """Fresh graph leaves for every variable (requiring grad for ``wrt``)."""
        if not self.tensors:
            return {n: Scalar(float(v), n) for n, v in self.values.items()}
        return {n: Tensor(v, requires_grad=n in self.wrt, name=n)
                for n, v in self.values.items()}

    def as_function(self) -> Any:
        """``f(*wrt_values)`` on Tensors, the other variables fixed: for gradcheck."""
        fixed = {n: v for n, v in self.values.items() if n not in self.wrt}

        def f(*args: Any) -> Any:
            env = dict(fixed)
            env.update(zip(self.wrt, args))
            return self.formula.evaluate(env)

        return f


def read_problem(text: str, at: Sequence[str], wrt: Sequence[str] | None,
                 extra_names: Sequence[str] = ()) -> Problem:
    """Parse the formula and the ``--at`` values; check ``--wrt``. Raises FormulaError or
    UsageError naming what is wrong."""
    formula = parse(text)
    values: dict[str, Any] = {}
    for item in at:
        name, value_text = split_assignment(item, "--at")
        if name in values:
            raise UsageError(f"--at gives {name} twice")
        try:
            values[name] = constant(value_text)
        except FormulaError as exc:
            exc.message = f"--at {name}: {exc.message}"
            raise
    for name in formula.variables:
        if name not in values:
            hint = _suggest(name, list(values))
            start, end = formula.first_use(name)
            raise FormulaUsageError(f"the variable {name} has no value: add {name}=... to "
                                    f"--at{hint}", formula.text, start, end)
    known = set(formula.variables) | set(extra_names)
    for name in values:
        if name not in known:
            hint = _suggest(name, list(formula.variables))
            listed = ", ".join(formula.variables) or "none"
            raise UsageError(f"--at {name}: the formula has no variable {name}{hint} "
                             f"(its variables: {listed})")
    if not formula.variables:
        raise UsageError("the formula has no variables, so there is nothing to "
                         "differentiate; write one, e.g. sin(x) --at x=1")
    chosen = list(wrt) if wrt else list(formula.variables)
    for name in chosen:
        if name not in formula.variables:
            hint = _suggest(name, list(formula.variables))
            raise UsageError(f"--wrt {name}: the formula has no variable {name}{hint} "
                             f"(its variables: {', '.join(formula.variables)})")
    chosen = list(dict.fromkeys(chosen))
    tensors = formula.needs_tensors or any(isinstance(v, np.ndarray) for v in values.values())
    return Problem(formula, values, chosen, tensors)


def _evaluate(problem: Problem, leaves: dict[str, Node]) -> Node:
    with np.errstate(all="ignore"):
        out = problem.formula.evaluate(leaves)
    if not isinstance(out, Node):
        raise MathError("the formula does not depend on the variables being "
                        "differentiated")
    if isinstance(out, Tensor) and out.value.size != 1:
        raise MathError(f"the formula's value has shape {out.shape}; a gradient needs a "
                        "single number: wrap it, e.g. sum(...) or norm(...)")
    return out


def gradients(problem: Problem) -> tuple[Node, dict[str, Node], dict[str, Any]]:
    """Evaluate at the given point and run the backward pass.

    Returns the output node, the leaves (so --explain and --graph can show the graph) and
    ``{name: gradient}`` for ``problem.wrt`` (a float, or an array shaped like the value).
    """
    leaves = problem.leaves()
    out = _evaluate(problem, leaves)
    wanted = tuple(leaves[n] for n in problem.wrt)
    with np.errstate(all="ignore"):
        found = backprop(out, out.backward_seed(), out.backward_mode, accumulate=False,
                         wanted=wanted)
    grads: dict[str, Any] = {}
    for name in problem.wrt:
        leaf = leaves[name]
        g = found.get(id(leaf))
        if isinstance(leaf, Scalar):
            grads[name] = float(g) if g is not None else 0.0
        else:
            grads[name] = (np.zeros_like(leaf.value) if g is None
                           else np.asarray(g, dtype=float).reshape(np.shape(leaf.value)))
            if grads[name].ndim == 0:
                grads[name] = float(grads[name])
    return out, leaves, grads


def hessian_of(problem: Problem) -> tuple[list[str], np.ndarray]:
    """The Hessian over every element of the ``wrt`` variables, by reverse-over-reverse.

    Returns the labels of the rows/columns (``x``, ``W[0,1]``) and the n x n matrix.
    """
    from ..transforms import hessian

    shapes = [np.shape(problem.values[n]) for n in problem.wrt]
    sizes = [int(np.prod(s)) for s in shapes]
    total = sum(sizes)
    if total > 400:
        raise UsageError(f"--hessian: the variables have {total} elements in all; the limit "
                         "is 400 (a 400 x 400 matrix)")
    labels = []
    for name, shape in zip(problem.wrt, shapes):
        if not shape:
            labels.append(name)
        else:
            labels += [f"{name}[{','.join(map(str, i))}]" for i in np.ndindex(*shape)]
    fixed = {n: Tensor(v, name=n) for n, v in problem.values.items() if n not in problem.wrt}

    def flat(v: Tensor) -> Tensor:
        env = dict(fixed)
        offset = 0
        for name, shape, size in zip(problem.wrt, shapes, sizes):
            env[name] = v[offset:offset + size].reshape(shape)
            offset += size
        out = problem.formula.evaluate(env)
        return out.sum() if isinstance(out, Tensor) else out

    v0 = np.concatenate([np.ravel(problem.values[n]) for n in problem.wrt]).astype(float)
    with np.errstate(all="ignore"):
        H = np.asarray(hessian(flat)(v0), dtype=float).reshape(total, total)
    return labels, H


@dataclass
class CheckResult:
    """The engine's gradients against central differences, at the point and at random ones."""

    points: int
    skipped: int
    failure: str | None

    @property
    def ok(self) -> bool:
        return self.failure is None


def numeric_check(problem: Problem, n_random: int, seed: int) -> CheckResult:
    """``cr.gradcheck`` of the formula at the given point, then at ``n_random`` points drawn
    as the given values plus standard normal noise (points where the value or gradient is
    not finite are skipped)."""
    f = problem.as_function()
    rng = np.random.default_rng(seed)
    base = [np.asarray(problem.values[n], dtype=float) for n in problem.wrt]
    points = [base] + [[b + rng.standard_normal(b.shape) for b in base]
                       for _ in range(n_random)]
    checked = skipped = 0
    for k, point in enumerate(points):
        with np.errstate(all="ignore"):
            try:
                tensors = [Tensor(p, requires_grad=True) for p in point]
                y = f(*tensors)
                if not np.all(np.isfinite(np.asarray(y.value))):
                    skipped += 1
                    continue
                gradcheck(f, *point, seed=seed)
            except GradcheckError as exc:
                where = "at the given point" if k == 0 else f"at random point {k}"
                values = ", ".join(f"{n}={fmt_array(p, 6)}" for n, p in
                                   zip(problem.wrt, point))
                name = problem.wrt[exc.argnum] if exc.argnum is not None else "the gradient"
                index = f"[{','.join(map(str, exc.index))}]" if exc.index else ""
                if exc.argnum is None:
                    detail = str(exc)
                else:
                    detail = (f"d/d{name}{index}: engine {exc.analytic:.10g}, central "
                              f"difference {exc.numeric:.10g}")
                return CheckResult(checked, skipped, f"{where} ({values}): {detail}")
        checked += 1
    return CheckResult(checked, skipped, None)


# -- the subcommands ------------------------------------------------------------------------

def cmd_grad(args: argparse.Namespace, out: TextIO, style: Style) -> int:
    problem = read_problem(args.formula, args.at, args.wrt)
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
    check = numeric_check(problem, args.random, args.seed) if args.check else None
    if check is not None:
        report["check"] = {"ok": check.ok, "points": check.points, "skipped": check.skipped,
                           "failure": check.failure}
    explanation = _explain(y) if args.explain else None
    if explanation is not None:
        report["explain"] = explanation.to_dict()
    if args.graph:
        report["graph"] = str(_render(y, args.graph))

    if args.json:
        out.write(json.dumps(json_safe(report), indent=2, allow_nan=False) + "\n")
    else:
        _print_grad(out, style, problem, value, grads, p)
        if hess is not None:
            out.write("\n" + style("Hessian", "bold") + " (second derivatives, "
                      "reverse-over-reverse)\n")
            out.write(_hessian_table(hess[0], hess[1], p, style) + "\n")
        if explanation is not None:
            out.write("\n" + explanation.text().rstrip() + "\n")
        if check is not None:
            out.write("\n" + _check_line(check, args.random, style) + "\n")
        if args.graph:
            out.write(f"\ngraph written to {report['graph']}\n")
    finite = math.isfinite(value) and all(np.all(np.isfinite(g)) for g in grads.values())
    if not finite:
        sys.stderr.write(style("chainrule: the value or a gradient is not finite (inf or "
                               "nan): a division by zero or a value outside a function's "
                               "domain, such as log of a negative number\n", "yellow"))
        return EXIT_MATH
    return EXIT_OK if check is None or check.ok else EXIT_MATH


def _print_grad(out: TextIO, style: Style, problem: Problem, value: float,
                grads: dict[str, Any], p: int) -> None:
    names = ", ".join(problem.formula.variables)
    out.write(style(f"f({names}) = {problem.formula.text}", "bold") + "\n")
    engine = "Tensor engine" if problem.tensors else "Scalar engine"
    rows = []
    for i, (n, v) in enumerate(problem.values.items()):
        shape = "" if np.ndim(v) == 0 else f"  ({fmt_shape(v)})"
        rows.append(["at" if i == 0 else "", n, "=", fmt_array(v, p, indent=0) + shape])
    out.write(table(rows, style) + "\n")
    out.write(style(f"({engine})", "dim") + "\n\n")
    label_w = max(len(f"df/d{n}") for n in grads) if grads else 5
    label_w = max(label_w, len("f"))
    out.write(f"{'f'.ljust(label_w)}  =  {style(_signed(fmt_number(value, p)), 'cyan')}\n")
    for n, g in grads.items():
        label = f"df/d{n}".ljust(label_w)
        body = fmt_array(g, p, indent=label_w + 5)
        body = _signed(body) if np.ndim(g) == 0 else body
        out.write(f"{label}  =  {style(body, 'cyan')}\n")


def _signed(number: str) -> str:
    """A leading space for a number without a minus sign, so that a column of numbers
    lines up."""
    return number if number.startswith("-") else " " + number


def _hessian_table(labels: list[str], H: np.ndarray, p: int, style: Style) -> str:
    if len(labels) > 12:
        return fmt_array(H, p)
    cells = [[fmt_number(v, p) for v in row] for row in H]
    widths = [max(len(labels[j]), *(len(r[j]) for r in cells)) for j in range(len(labels))]
    lw = max(len(s) for s in labels)
    head = " " * lw + "  " + "  ".join(s.rjust(w) for s, w in zip(labels, widths))
    lines = [style(head, "bold")]
    for lab, r in zip(labels, cells):
        lines.append(style(lab.ljust(lw), "bold") + "  "
                     + "  ".join(c.rjust(w) for c, w in zip(r, widths)))
    return "\n".join(lines)


def _check_line(check: CheckResult, n_random: int, style: Style) -> str:
    if check.ok:
        skipped = (f", {check.skipped} skipped where the value is not finite"
                   if check.skipped else "")
        return style("check passed", "green", "bold") + (
            f": the engine's gradient agrees with central differences at the given point "
            f"and at {check.points - 1} random point(s){skipped}")
    return style("check FAILED", "red", "bold") + f" {check.failure}"


def _explain(y: Any) -> Any:
    try:
        from ..explanation.steps import explain
    except ImportError:
        raise UsageError("--explain needs chainrule.explain, which this installation "
                         "lacks") from None
    return explain(y)


def _render(y: Node, path: str) -> Any:
    try:
        from ..explanation.draw import GraphvizNotFound, render
    except ImportError:
        raise UsageError("--graph needs chainrule.draw, which this installation "
                         "lacks") from None
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".dot", ".svg", ".png", ".pdf"):
        raise UsageError(f"--graph {path}: the file must end in .dot, .svg, .png or .pdf")
    try:
        return render(y, path)
    except GraphvizNotFound as exc:
        raise MathError(f"{exc} (a .dot file needs no Graphviz: --graph graph.dot)") from None
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
    out.write(table(rows, style, header=("function", "derivative / notes")) + "\n\n")
    out.write("operators: + - * / ** @ and unary -;  constants: "
              + ", ".join(f"{k} = {v:.6g}" for k, v in CONSTANTS.items())
              + ";  arrays: [[1, 2], [3, 4]], eye(n), zeros(m, n), ones(m, n)\n")
    return EXIT_OK


# -- entry point ----------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``chainrule`` command."""
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Differentiate a formula from the shell, see each backprop step, and "
                    "check hand-derived gradients.",
        epilog='example: chainrule grad "1/(2 + sin(x1*w1)**2 + cos(x2*w2))" '
               "--at x1=pi/2 w1=1 x2=pi/2 w2=1")
    parser.add_argument("--version", action="version", version=f"chainrule {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("formula", help="the function, e.g. \"sin(x)*y\" (see `chainrule "
                                       "functions`)")
        p.add_argument("--at", nargs="+", metavar="NAME=VALUE", default=[],
                       help="the point: a value for every variable, e.g. x=pi/2 "
                            "W=eye(3) \"v=[[1],[2]]\"")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument("--precision", type=_precision, default=6, metavar="DIGITS",
                       help="significant digits shown (default 6; --json is always full "
                            "precision)")
        p.add_argument("--random", type=_count, default=20, metavar="N",
                       help="how many random points the checks use (default 20)")
        p.add_argument("--seed", type=int, default=0, help="seed of the random points")
        p.add_argument("--no-color", dest="color", action="store_false", default=None,
                       help="plain text even in a terminal")

    g = sub.add_parser("grad", help="value and partial derivatives of a formula",
                       description="Print the value of FORMULA at --at and its partial "
                                   "derivatives.")
    common(g)
    g.add_argument("--wrt", nargs="+", metavar="NAME",
                   help="differentiate with respect to these variables only")
    g.add_argument("--explain", action="store_true",
                   help="show the gate table and every forward and backward step")
    g.add_argument("--graph", metavar="FILE", help="write the graph picture (.svg, .png, .dot)")
    g.add_argument("--check", action="store_true",
                   help="check against central differences here and at random points")
    g.add_argument("--hessian", action="store_true", help="also the matrix of second "
                                                           "derivatives")
    g.set_defaults(run=cmd_grad)

    c = sub.add_parser("check", help="check hand-derived partial derivatives",
                       description="Compare hand-derived partial derivatives (--hand) with "
                                   "the engine at --at and at random points.")
    common(c)
    c.add_argument("--hand", nargs="+", metavar="NAME=FORMULA", required=True,
                   help="your formula for df/dNAME, e.g. \"x=2*x*y\"")
    c.set_defaults(run=cmd_check)

    d = sub.add_parser("demo", help="walk through the homework's two problems",
                       description="The homework (Problem 1: scalar backprop, Problem 2: "
                                   "vector backprop) step by step, with pictures.")
    d.add_argument("--out", default="chainrule-demo", metavar="DIR",
                   help="folder for the graph pictures (default ./chainrule-demo)")
    d.add_argument("--no-color", dest="color", action="store_false", default=None,
                   help="plain text even in a terminal")
    d.set_defaults(run=cmd_demo)

    fns = sub.add_parser("functions", help="list the functions a formula may use")
    fns.add_argument("--no-color", dest="color", action="store_false", default=None)
    fns.set_defaults(run=cmd_functions)
    return parser


def _whole_number(lo: int, hi: int, what: str):
    """An argparse type: a whole number in ``lo..hi``, refused with a message otherwise."""
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"{n} is outside {lo}..{hi}{what}")
        return n
    return parse


_precision = _whole_number(1, 17, " significant digits")
_count = _whole_number(0, 1000, "")


def _version() -> str:
    from .. import __version__
    return __version__


def cmd_check(args: argparse.Namespace, out: TextIO, style: Style) -> int:
    from ..checking.hand import check_hand_gradients

    problem = read_problem(args.formula, args.at, None)
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
    if problem.formula.needs_tensors and not problem.tensors:
        raise UsageError("check: this formula uses array functions but every value is a "
                         "single number; give the values as arrays (e.g. x=[1.5])")
    formula = problem.formula

    def f(**point: Any) -> Any:
        return formula.evaluate(point)

    def hand_fn(h: Formula) -> Any:
        def partial(**point: Any) -> Any:
            with np.errstate(all="ignore"):
                return h.evaluate(point)
        return partial

    with np.errstate(all="ignore"):
        report = check_hand_gradients(f, {n: hand_fn(h) for n, h in hand.items()},
                                      problem.values, n_random=args.random, seed=args.seed)
    if args.json:
        rows: Any = [{"partial": r.name, "point": r.point, "given_point": r.given,
                 "engine": r.expected, "hand": r.got, "error": r.error, "ok": r.ok}
                for r in report.rows]
        data = {"formula": formula.text, "ok": report.ok, "wrong": report.wrong,
                "hidden_at_given_point": report.hidden, "points": report.n_points,
                "skipped": report.skipped, "rows": rows}
        out.write(json.dumps(json_safe(data), indent=2, allow_nan=False) + "\n")
    else:
        out.write(style(f"f({', '.join(formula.variables)}) = {formula.text}", "bold") + "\n")
        rows = [[f"df/d{n}", "=", h.text] for n, h in hand.items()]
        out.write(table(rows, style) + "\n\n")
        for line in report.text().splitlines():
            if "WRONG" in line or line.startswith("wrong partial"):
                line = style(line, "red", "bold")
            elif line.startswith("all partials are right") or line.endswith("points"):
                line = style(line, "green")
            out.write(line + "\n")
    return EXIT_OK if report.ok else EXIT_MATH


def cmd_demo(args: argparse.Namespace, out: TextIO, style: Style) -> int:
    from .demo import run
    return run(args.out, out, style)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: sys.argv[1:]); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    out = sys.stdout
    style = Style.for_stream(out, args.color)
    err_style = Style.for_stream(sys.stderr, args.color)
    try:
        return args.run(args, out, style)
    except FormulaMathError as exc:
        return _fail(err_style, exc.show(), EXIT_MATH)
    except FormulaUsageError as exc:
        return _fail(err_style, exc.show(), EXIT_USAGE)
    except UsageError as exc:
        return _fail(err_style, str(exc), EXIT_USAGE)
    except MathError as exc:
        return _fail(err_style, str(exc), EXIT_MATH)
    except BrokenPipeError:
        # the reader (e.g. `head`) went away: stop quietly
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the promise: no traceback reaches the user
        if os.environ.get("CHAINRULE_DEBUG"):
            raise
        return _fail(err_style, f"internal error ({type(exc).__name__}: {exc}); "
                     "please report it with the command line (CHAINRULE_DEBUG=1 shows "
                     "the traceback)", EXIT_MATH)


def _fail(style: Style, message: str, status: int) -> int:
    sys.stderr.write(style("chainrule: error: ", "red", "bold") + message + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
