"""``chainrule grad``'s --page, --exercise and --latex: the interactive step-through page
and the LaTeX of the explanation. The parser imports this module, so the explanation is
imported only when a page or LaTeX is asked for."""

from __future__ import annotations

import argparse
import pathlib
from typing import Any, cast


def add_options(parser: argparse.ArgumentParser) -> None:
    """Add --page FILE, --exercise and --latex [FILE] to ``parser``."""
    parser.add_argument("--page", metavar="FILE",
                        help="write the interactive page that steps through the forward and "
                             "backward pass (.html, one self-contained file)")
    parser.add_argument("--exercise", action="store_true",
                        help="with --page: hide the local gradients and contributions; the "
                             "learner types them and the page says right or wrong")
    parser.add_argument("--latex", metavar="FILE", nargs="?", const="-",
                        help="the gate table and every step as LaTeX: a complete document "
                             "written to FILE, or printed (no FILE)")


def write_outputs(args: argparse.Namespace, y: Any) -> tuple[dict[str, Any], list[str]]:
    """Make what --page and --latex ask for. Returns the JSON report's entries and the
    lines to print. Raises UsageError (--exercise without --page, a file that cannot be
    written) or MathError (Graphviz missing for --page)."""
    from ..explanation.draw import GraphvizNotFound
    from ..explanation.render import Explanation
    from ..explanation.steps import explain
    from .terminal import MathError, UsageError

    page, latex = getattr(args, "page", None), getattr(args, "latex", None)
    if getattr(args, "exercise", False) and not page:
        raise UsageError("--exercise needs --page FILE: it hides the answers in the page")
    report: dict[str, Any] = {}
    lines: list[str] = []
    if not page and not latex:
        return report, lines
    force = bool(getattr(args, "force", False))
    if page:
        if pathlib.Path(page).suffix.lower() not in (".html", ".htm"):
            raise UsageError(f"--page {page}: the file must end in .html")
        _writable("--page", page, force, UsageError)
    if latex and latex != "-":
        _writable("--latex", latex, force, UsageError)
    e = cast(Explanation, explain(y))  # reverse mode: an Explanation
    if page:
        try:
            e.page(page, exercise=args.exercise)
        except GraphvizNotFound as exc:
            raise MathError(f"--page needs Graphviz to lay out the graph: {exc}") from None
        except OSError as exc:
            raise UsageError(f"--page {page}: cannot write the file: "
                             f"{exc.strerror or exc}") from None
        report["page"] = page
        lines.append(f"{'exercise ' if args.exercise else ''}page written to {page} (open it "
                     "in a browser; Next/Back or the arrow keys step through)")
    if latex == "-":
        report["latex"] = e.latex()
        lines.append(e.latex().rstrip())
    elif latex:
        try:
            pathlib.Path(latex).write_text(e.latex(document=True), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--latex {latex}: cannot write the file: "
                             f"{exc.strerror or exc}") from None
        report["latex"] = latex
        lines.append(f"LaTeX written to {latex} (pdflatex {latex} makes a PDF)")
    return report, lines


def _writable(option: str, name: str, force: bool, error: type[Exception]) -> None:
    """Refuse what --graph refuses: a folder, a file in a folder that does not exist, and
    an existing file unless --force."""
    path = pathlib.Path(name)
    if name.endswith(("/", "\\")) or path.is_dir():
        raise error(f"{option} {name}: that is a folder; name a file")
    if not path.parent.is_dir():
        raise error(f"{option} {name}: the folder {path.parent} does not exist")
    if path.exists() and not force:
        raise error(f"{option} {name}: the file exists; add --force to replace it")


def check_paths(args: argparse.Namespace) -> None:
    """Refuse, before anything is computed, an empty file name for --graph, --page or
    --latex, and two of them (or --keep-dot's DOT file) naming one file: the second
    would replace the first without a word. Raises UsageError."""
    from .terminal import UsageError

    named: list[tuple[str, str]] = []
    for option in ("graph", "page", "latex"):
        value = getattr(args, option, None)
        if value is None or (option == "latex" and value == "-"):
            continue
        if not value.strip():
            raise UsageError(f"--{option}: the file name is empty")
        named.append((f"--{option}", value))
        if option == "graph" and getattr(args, "keep_dot", False):
            dot = pathlib.Path(value).with_suffix(".dot")
            if dot != pathlib.Path(value):
                named.append(("--keep-dot", str(dot)))
    seen: dict[pathlib.Path, str] = {}
    for option, value in named:
        where = pathlib.Path(value).resolve()
        if where in seen:
            raise UsageError(f"{seen[where]} and {option} name the same file {value}; give "
                             "each its own file")
        seen[where] = option
