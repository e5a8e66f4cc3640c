"""The ``chainrule`` command: differentiate a formula from the shell.

Subcommands: ``grad`` (value and partial derivatives, with --explain, --graph, --check,
--hessian, --jacobian, --json), ``check`` (a learner's hand-derived partials against the
engine), ``grade`` (many learners' answers at once), ``demo`` (the homework's mistakes, then
on request the full walk-through) and ``functions`` (the formula language).

Exit status: 0 success, 1 a math problem (incompatible shapes, a non-finite result, a failed
check), 2 a usage problem (bad syntax, unknown name, missing value, bad option). No
traceback reaches the user; set CHAINRULE_DEBUG=1 to see one for an internal error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Any

from .parser import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: sys.argv[1:]); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)  # --version and --help stop here, having loaded little
    from .formula import FormulaMathError, FormulaUsageError
    from .terminal import EXIT_MATH, EXIT_OK, EXIT_USAGE, MathError, Style, UsageError

    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    out = sys.stdout
    width = getattr(args, "width", None)
    style = Style.for_stream(out, args.color, width)
    err_style = Style.for_stream(sys.stderr, args.color, width)
    try:
        module, function = args.handler.split(":")
        run = getattr(import_module(f".{module}", __package__), function)
        return run(args, out, style)
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


def _fail(style: Any, message: str, status: int) -> int:
    sys.stderr.write(style("chainrule: error: ", "red", "bold") + message + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
