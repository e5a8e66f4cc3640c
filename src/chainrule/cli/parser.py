"""The ``chainrule`` command's arguments: one parser for every subcommand.

Each subcommand names its handler as ``"module:function"`` (``handler``), which
:func:`chainrule.cli.main.main` imports only when that subcommand runs, so that
``chainrule --version`` and ``chainrule grad`` load only what they use.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from typing import Any, NoReturn

from .page_options import add_options as add_page_options

EXAMPLES = """\
examples:
  chainrule grad "1/(2 + sin(x1*w1)**2 + cos(x2*w2))" \\
      --at x1=pi/2 w1=1 x2=pi/2 w2=1
  chainrule check "x**2*y" --at x=3 y=2 --hand "x=2*x*y" "y=x**2"
  chainrule grade "x**2*y" answers.csv --at x=3 y=2 --out results.csv
  chainrule demo
"""

DEFAULT_RTOL, DEFAULT_ATOL = 1e-6, 1e-9
"""The tolerances of ``check`` and ``grade``: a hand value h agrees with the engine's e when
|h - e| <= atol + rtol * |e| (so a true 0 and a rounding 1e-17 agree)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors worded like the command's own: ``chainrule: error: ...``
    first, then the usage."""

    def error(self, message: str) -> NoReturn:
        if "required: formula" in message:
            message += ("; a formula that starts with '-' goes after --, e.g. "
                        "chainrule grad --at x=1 -- \"-x**2\"")
        self.exit(2, f"chainrule: error: {message}\n{self.format_usage()}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``chainrule`` command."""
    parser = _Parser(
        prog="chainrule", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Differentiate a formula from the shell, see each backprop step, and "
                    "check hand-derived gradients.",
        epilog=EXAMPLES)
    parser.add_argument("--version", action="version", version=f"chainrule {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def output(p: argparse.ArgumentParser) -> None:
        p.add_argument("--no-color", dest="color", action="store_false", default=None,
                       help="plain text even in a terminal")
        p.add_argument("--width", type=_width, metavar="N",
                       help="the widest line to print (default: the terminal's width; in a "
                            "pipe COLUMNS, else 100)")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("formula", help="the function, e.g. \"sin(x)*y\" (see `chainrule "
                                       "functions`)")
        p.add_argument("--at", nargs="+", action="extend", metavar="NAME=VALUE", default=[],
                       help="the point: a value for every variable, e.g. x=pi/2 "
                            "W=eye(3) \"v=[[1],[2]]\"")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument("--precision", type=_precision, default=6, metavar="DIGITS",
                       help="significant digits shown (default 6; --json is always full "
                            "precision)")
        p.add_argument("--random", type=_count, default=20, metavar="N",
                       help="how many random points the checks use (default 20)")
        p.add_argument("--seed", type=_seed, default=0,
                       help="seed of the random points (a whole number, 0 or more)")
        output(p)
        add_options(p)

    def tolerances(p: argparse.ArgumentParser) -> None:
        p.add_argument("--rtol", type=_tolerance, default=DEFAULT_RTOL, metavar="R",
                       help=f"relative tolerance (default {DEFAULT_RTOL:g})")
        p.add_argument("--atol", type=_tolerance, default=DEFAULT_ATOL, metavar="A",
                       help=f"absolute tolerance (default {DEFAULT_ATOL:g}: a true 0 and "
                            "1e-17 agree)")

    g = sub.add_parser("grad", help="value and partial derivatives of a formula",
                       description="Print the value of FORMULA at --at and its partial "
                                   "derivatives (--jacobian for a vector-valued formula).")
    common(g)
    g.add_argument("--wrt", nargs="+", action="extend", metavar="NAME",
                   help="differentiate with respect to these variables only")
    g.add_argument("--explain", action="store_true",
                   help="show the gate table and every forward and backward step")
    g.add_argument("--graph", metavar="FILE", help="write the graph picture (.svg, .png, "
                                                   ".pdf, .dot) to FILE, and no other file")
    g.add_argument("--keep-dot", action="store_true",
                   help="with --graph: also write the DOT text beside the picture")
    g.add_argument("--force", action="store_true",
                   help="with --graph: replace FILE if it exists")
    add_page_options(g)
    g.add_argument("--check", action="store_true",
                   help="check against central differences here and at random points")
    g.add_argument("--hessian", action="store_true", help="also the matrix of second "
                                                           "derivatives")
    g.add_argument("--jacobian", action="store_true",
                   help="a vector- or matrix-valued formula: the matrix of the partial "
                        "derivatives of every output element")
    g.set_defaults(handler="commands_grad:cmd_grad")

    c = sub.add_parser("check", help="check hand-derived partial derivatives",
                       description="Compare hand-derived partial derivatives (--hand) with "
                                   "the engine at --at and at random points.")
    common(c)
    c.add_argument("--hand", nargs="+", action="extend", metavar="NAME=FORMULA", required=True,
                   help="your formula for df/dNAME, e.g. \"x=2*x*y\"")
    tolerances(c)
    c.set_defaults(handler="commands_check:cmd_check")

    r = sub.add_parser("grade", help="grade many learners' partial derivatives at once",
                       description="Check every learner's answers in FILE (CSV with columns "
                                   "id,<var>,... or a JSON list of objects) against the "
                                   "engine at --at and at random points, and name what is "
                                   "wrong.")
    common(r)
    r.add_argument("file", metavar="FILE", help="the answers, .csv or .json")
    r.add_argument("--out", metavar="FILE.csv",
                   help="also write one row per learner and variable: id,variable,verdict,"
                        "detail")
    tolerances(r)
    r.set_defaults(handler="grade:cmd_grade")

    d = sub.add_parser("demo", help="the homework's mistakes, found and explained",
                       description="The homework's three mistakes, each with the numbers "
                                   "that show it; --full (or --problem 1/2) adds every "
                                   "table: gates, forward and backward steps, gradients "
                                   "against closed forms, pictures.")
    d.add_argument("--full", action="store_true", help="both problems' full walk-through")
    d.add_argument("--problem", type=int, choices=(1, 2),
                   help="one problem's full walk-through")
    d.add_argument("--out", default="chainrule-demo", metavar="DIR",
                   help="folder for the graph pictures of --full (default ./chainrule-demo)")
    output(d)
    d.set_defaults(handler="demo:cmd_demo")

    fns = sub.add_parser("functions", help="list the functions a formula may use")
    output(fns)
    fns.set_defaults(handler="commands_grad:cmd_functions")
    return parser


def _whole_number(lo: int, hi: int, what: str) -> Callable[[str], int]:
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
_seed = _whole_number(0, 2 ** 63 - 1, "")
_count = _whole_number(0, 1000, "")
_width = _whole_number(40, 1000, " columns")


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1e3:
        raise argparse.ArgumentTypeError(f"{text} is not a tolerance (0 <= tolerance)")
    return value


def _version() -> str:
    from .. import __version__
    return __version__


# -- the work budget's options (the limits themselves are applied by budget.py) --------------

MAX_ELEMENTS = 20_000_000
"""Default of ``--max-elements``: elements all the formula's values may hold together."""
MAX_SECONDS = 10.0
"""Default of ``--max-seconds``: the estimated (and enforced) time of one command."""


def positive(kind: type, what: str) -> Any:
    """An argparse type: a positive ``kind`` (int or float), finite."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"{text} must be a positive {what}")
        return value
    return parse


def add_options(parser: Any) -> None:
    """``--max-elements`` and ``--max-seconds`` on a subcommand's parser."""
    parser.add_argument("--max-elements", type=positive(int, "whole number"),
                        default=MAX_ELEMENTS, metavar="N",
                        help=f"elements the formula's values may hold in all (default "
                             f"{MAX_ELEMENTS:,})")
    parser.add_argument("--max-seconds", type=positive(float, "number of seconds"),
                        default=MAX_SECONDS, metavar="S",
                        help=f"estimated and enforced time of the command (default "
                             f"{MAX_SECONDS:g} s)")


def protect_formula(argv: list[str]) -> list[str]:
    """The command line with a formula that starts with ``-`` (``-x**2``) marked so that
    argparse reads it as the formula, not as an option: everything that starts with one
    ``-`` and is neither ``-h`` nor a plain negative number gets a leading space (which
    :func:`parse` strips)."""
    return [" " + a if (a.startswith("-") and not a.startswith("--") and a != "-h"
                        and not _NEGATIVE.match(a)) else a for a in argv]


_NEGATIVE = re.compile(r"-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\Z")
