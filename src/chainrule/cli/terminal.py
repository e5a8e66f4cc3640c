"""Terminal output of the ``chainrule`` command: errors it reports, colour, numbers,
arrays and tables."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

from ..formatting import number


class UsageError(Exception):
    """A command line that cannot be carried out as written (exit status 2)."""


class MathError(Exception):
    """A computation that failed or a check that did not pass (exit status 1)."""


# -- output for people ----------------------------------------------------------------------

class Style:
    """ANSI colour when writing to a terminal, plain text otherwise (or with NO_COLOR)."""

    CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33",
             "blue": "34", "cyan": "36"}

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream: TextIO, flag: bool | None = None) -> Style:
        """Colour iff ``flag`` says so, or (flag None) the stream is a terminal, NO_COLOR is
        unset or empty and TERM is not 'dumb'."""
        if flag is not None:
            return cls(flag)
        tty = hasattr(stream, "isatty") and stream.isatty()
        return cls(tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb")

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        codes = ";".join(self.CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


def fmt_number(x: float, precision: int) -> str:
    """``x`` with ``precision`` significant digits; -0 shown as 0."""
    return number(x, precision)


def fmt_array(a: Any, precision: int, indent: int = 0) -> str:
    """A number, or an array laid out with aligned columns (rows on separate lines)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return fmt_number(a.item(), precision)
    if a.ndim > 2 or a.size > 400:
        fmt: Any = {"float_kind": lambda v: fmt_number(v, precision)}
        body = np.array2string(a, precision=precision, threshold=100, formatter=fmt)
        return body.replace("\n", "\n" + " " * indent)
    rows = a.reshape(1, -1) if a.ndim == 1 else a
    cells = [[fmt_number(v, precision) for v in row] for row in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(rows.shape[1])] if cells else []
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    if a.ndim == 1:
        return f"[{lines[0]}]"
    pad = " " * indent
    out = [("[[" if i == 0 else pad + " [") + line + ("]]" if i == len(lines) - 1 else "]")
           for i, line in enumerate(lines)]
    return "\n".join(out) if out else "[]"


def fmt_shape(a: Any) -> str:
    shape = np.shape(a)
    return "x".join(str(s) for s in shape) if shape else "number"


def table(rows: Sequence[Sequence[str]], style: Style, header: Sequence[str] = ()) -> str:
    """Rows of cells as aligned columns; a cell may span several lines (an array)."""
    all_rows = ([list(header)] if header else []) + [list(r) for r in rows]
    ncol = max(len(r) for r in all_rows)
    split = [[c.split("\n") for c in r] + [[""]] * (ncol - len(r)) for r in all_rows]
    widths = [max(len(line) for r in split for line in r[j]) for j in range(ncol)]
    out = []
    for k, cells in enumerate(split):
        height = max(len(c) for c in cells)
        for i in range(height):
            line = "  ".join((c[i] if i < len(c) else "").ljust(w)
                             for c, w in zip(cells, widths)).rstrip()
            out.append(style(line, "bold") if header and k == 0 else line)
    return "\n".join(out)


def json_safe(x: Any) -> Any:
    """Numbers and arrays as JSON values; inf and nan as the strings "inf", "-inf", "nan"."""
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    if isinstance(x, np.ndarray):
        return json_safe(x.tolist())
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else ("nan" if math.isnan(x) else
                                           ("inf" if x > 0 else "-inf"))
    if isinstance(x, np.integer):
        return int(x)
    return x
