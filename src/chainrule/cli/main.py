"""The ``chainrule`` command: differentiate a formula from the shell.

Subcommands: ``grad`` (value and partial derivatives, with --explain, --graph, --check,
--hessian, --jacobian, --json), ``check`` (a learner's hand-derived partials against the
engine), ``grade`` (many learners' answers at once), ``demo`` (the homework's mistakes, then
on request the full walk-through) and ``functions`` (the formula language).

Exit status: 0 success, 1 a math problem (incompatible shapes, a non-finite result, a failed
check), 2 a usage problem (bad syntax, unknown name, missing value, bad option), 3 over the
work budget (--max-elements, --max-seconds) or out of memory. No
traceback reaches the user; set CHAINRULE_DEBUG=1 to see one for an internal error.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from importlib import import_module
from typing import Any

from .parser import build_parser, protect_formula


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: sys.argv[1:]); return the exit status."""
    parser = build_parser()
    argv = protect_formula(list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)  # --version and --help stop here, having loaded little
    from .formula import escape
    from .terminal import EXIT_USAGE, Style

    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    out = sys.stdout
    width = getattr(args, "width", None)
    style = Style.for_stream(out, args.color, width)
    err_style = Style.for_stream(sys.stderr, args.color, width)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = _run(args, out, style, err_style)
    # numpy's warnings become the command's own notes, once each, without file paths
    for message in dict.fromkeys(str(w.message) for w in caught):
        sys.stderr.write(err_style("chainrule: note: ", "yellow") + escape(message) + "\n")
    return status


def _run(args: Any, out: Any, style: Any, err_style: Any) -> int:
    from .budget import BudgetError
    from .formula import FormulaMathError, FormulaUsageError
    from .terminal import EXIT_BUDGET, EXIT_MATH, EXIT_OK, EXIT_USAGE, MathError, UsageError

    try:
        module, function = args.handler.split(":")
        run = getattr(import_module(f".{module}", __package__), function)
        return run(args, out, style)
    except BudgetError as exc:
        return _fail(err_style, str(exc), EXIT_BUDGET)
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
    except MemoryError:
        return _fail(err_style, "out of memory: the arrays are too large for this machine; "
                     "lower --max-elements or use smaller values", EXIT_BUDGET)
    except Exception as exc:  # the promise: no traceback reaches the user
        if os.environ.get("CHAINRULE_DEBUG"):
            raise
        return _fail(err_style, f"internal error ({type(exc).__name__}: {exc}); "
                     "please report it with the command line (CHAINRULE_DEBUG=1 shows "
                     "the traceback)", EXIT_MATH)


def _fail(style: Any, message: str, status: int) -> int:
    from .formula import escape

    sys.stderr.write(style("chainrule: error: ", "red", "bold")
                     + escape(message, keep_newlines=True) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
