"""Terminal output of the ``chainrule`` command: errors it reports, colour, numbers,
arrays and tables."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

from ..formatting import number
from ..layout import DEFAULT_WIDTH, fit_table, output_width

EXIT_OK, EXIT_MATH, EXIT_USAGE, EXIT_BUDGET = 0, 1, 2, 3
"""The command's exit status: success, a math problem (a failed check too), a usage
problem."""


class UsageError(Exception):
    """A command line that cannot be carried out as written (exit status 2)."""


class MathError(Exception):
    """A computation that failed or a check that did not pass (exit status 1)."""


# -- output for people ----------------------------------------------------------------------

class Style:
    """How output is written: ANSI colour when writing to a terminal, plain text otherwise
    (or with NO_COLOR), and the ``width`` no line may exceed."""

    CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33",
             "blue": "34", "cyan": "36"}

    def __init__(self, enabled: bool, width: int = DEFAULT_WIDTH) -> None:
        self.enabled = enabled
        self.width = width

    @classmethod
    def for_stream(cls, stream: TextIO, flag: bool | None = None,
                   width: int | None = None) -> Style:
        """Colour iff ``flag`` says so, or (flag None) the stream is a terminal, NO_COLOR is
        unset or empty and TERM is not 'dumb'; the width is ``width`` or the stream's
        (:func:`chainrule.layout.output_width`)."""
        tty = hasattr(stream, "isatty") and stream.isatty()
        if flag is None:
            flag = tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        return cls(bool(flag), output_width(stream, width))

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        codes = ";".join(self.CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


def fmt_number(x: float, precision: int) -> str:
    """``x`` with ``precision`` significant digits; -0 shown as 0."""
    return number(x, precision)


def fmt_array(a: Any, precision: int, indent: int = 0, width: int | None = None) -> str:
    """A number, or an array laid out with aligned columns (rows on separate lines).

    With ``width``, no line (after ``indent``) is wider: middle columns give way to ``…``
    and middle rows of a tall matrix to one ``…`` row; arrays of more than two dimensions
    are summarized by numpy in the width.
    """
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return fmt_number(a.item(), precision)
    room = None if width is None else max(10, width - indent)
    if a.ndim > 2 or a.size > 400:
        fmt: Any = {"float_kind": lambda v: fmt_number(v, precision)}
        body = np.array2string(a, precision=precision, threshold=100, formatter=fmt,
                               max_line_width=room or 75)
        return body.replace("\n", "\n" + " " * indent)
    rows = a.reshape(1, -1) if a.ndim == 1 else a
    cells = [[fmt_number(v, precision) for v in row] for row in rows]
    if room is not None and len(cells) > 40:
        cells = cells[:20] + [["…"] * len(cells[0])] + cells[-20:]
    widths = [max(len(r[j]) for r in cells) for j in range(rows.shape[1])] if cells else []
    if room is not None:
        cells, widths = _elide_columns(cells, widths, room - 4)
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    if a.ndim == 1:
        return f"[{lines[0]}]"
    pad = " " * indent
    out = [("[[" if i == 0 else pad + " [") + line + ("]]" if i == len(lines) - 1 else "]")
           for i, line in enumerate(lines)]
    return "\n".join(out) if out else "[]"


def _elide_columns(cells: list[list[str]], widths: list[int], room: int
                   ) -> tuple[list[list[str]], list[int]]:
    """Keep the first and last columns that fit in ``room`` with a ``…`` column between."""
    if sum(widths) + 2 * (len(widths) - 1) <= room:
        return cells, widths
    left, right, used = 0, 0, 3  # the "…" column and its separator
    while left + right < len(widths):
        k = left if left <= right else len(widths) - 1 - right
        if used + widths[k] + 2 > room and left + right >= 1:
            break
        used += widths[k] + 2
        if left <= right:
            left += 1
        else:
            right += 1
    keep = list(range(left)) + list(range(len(widths) - right, len(widths)))
    cells = [[r[j] for j in keep[:left]] + ["…"] + [r[j] for j in keep[left:]] for r in cells]
    widths = [widths[j] for j in keep[:left]] + [1] + [widths[j] for j in keep[left:]]
    return cells, widths


def fmt_shape(a: Any) -> str:
    shape = np.shape(a)
    return "x".join(str(s) for s in shape) if shape else "number"


def table(rows: Sequence[Sequence[str]], style: Style, header: Sequence[str] = (),
          indent: int = 0) -> str:
    """Rows of cells as aligned columns no wider than ``style.width`` (a cell may span
    several lines, as an array does); a table too wide is abbreviated or stacked
    (:func:`chainrule.layout.fit_table`). The header line is bold."""
    lines = fit_table(header, rows, style.width, indent=indent)
    if header and lines and style.enabled:
        lines[0] = style(lines[0], "bold")
    return "\n".join(lines)


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
