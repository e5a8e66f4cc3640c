"""Plain text laid out to a width: the one place that decides how wide output may be and
how a table that does not fit is shown.

:func:`output_width` is the width to write to (a terminal's width; in a pipe ``COLUMNS``
when set, else 100); :func:`clip` shortens one line with the marker ``…``; :func:`wrap`
breaks prose between words; :func:`fit_table` lays out a table: aligned columns when they
fit, long cells abbreviated with ``…`` when a little is missing, and otherwise a stacked
layout (one block per row, one ``header  value`` line per cell). No line it returns is
wider than the width, and no cell is broken across lines.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

DEFAULT_WIDTH = 100
"""The width in a pipe when ``COLUMNS`` is not set."""

MARK = "…"
"""Ends a line or cell that was shortened to fit."""

MIN_CELL = 12
"""A column is shortened to no fewer characters than this (or its header's width) before
the table switches to the stacked layout."""


def output_width(stream: Any = None, requested: int | None = None) -> int:
    """The width to lay text out for: ``requested`` when given; else ``COLUMNS`` when set
    (as a shell sets it for a terminal, and a user may for a pipe); else the terminal's
    width when ``stream`` (default stdout) is a terminal; else 100."""
    if requested is not None:
        return max(20, int(requested))
    stream = sys.stdout if stream is None else stream
    try:
        return max(20, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        pass
    if hasattr(stream, "isatty") and stream.isatty():
        try:
            return max(20, os.get_terminal_size(stream.fileno()).columns)
        except (OSError, ValueError, AttributeError):
            pass
    return DEFAULT_WIDTH


def clip(line: str, width: int) -> str:
    """``line`` if it fits in ``width`` characters, else its start and ``…``."""
    if len(line) <= width:
        return line
    return line[:max(0, width - 1)].rstrip() + MARK


def shorten(cell: str, width: int) -> str:
    """``cell`` if it fits in ``width`` characters, else its start, ``…`` and its end (the
    end of ``a x b = c`` or of an array is as telling as its start)."""
    if len(cell) <= width:
        return cell
    if width < 8:
        return clip(cell, width)
    tail = (width - 1) // 2
    return cell[:width - 1 - tail] + MARK + cell[len(cell) - tail:]


def wrap(text: str, width: int, indent: str = "") -> str:
    """Prose broken between words to ``width``; each paragraph line keeps its own leading
    spaces (continuation lines are indented like it, plus ``indent``)."""
    out = []
    for line in text.splitlines() or [""]:
        lead = line[:len(line) - len(line.lstrip())]
        if len(line) <= width or not line.strip():
            out.append(line)
            continue
        out.extend(textwrap.wrap(line.strip(), width, initial_indent=lead,
                                 subsequent_indent=lead + indent,
                                 break_on_hyphens=False))
    return "\n".join(out)


def fit_table(header: Sequence[str], rows: Sequence[Sequence[str]], width: int, *,
              indent: int = 0, rule: bool = False) -> list[str]:
    """The lines of a table of string cells (a cell may hold several lines) no wider than
    ``width``.

    Columns are separated by two spaces and the table is indented by ``indent``; ``rule``
    puts a line of dashes under the header. A table too wide for ``width`` first has its
    headers broken between words where they are wider than their cells, then its widest
    cells abbreviated in the middle (by a quarter at most, and never below ``MIN_CELL``
    characters); if that is not enough it is stacked: for each row, its first cell as a
    title and then one ``header  value`` line per other cell.
    """
    head, cells, natural = _measure(header, rows)
    room = width - indent - 2 * max(0, len(natural) - 1)
    titles = [[h] for h in head]
    if sum(natural) <= room:
        return _aligned(titles, cells, natural, indent, rule, width)
    # a header wider than its column's cells is broken between words first
    data = [max([len(line) for r in cells for line in r[j]] or [0])
            for j in range(len(natural))]
    if head:
        titles = [[h] if len(h) <= data[j] else
                  textwrap.wrap(h, max([data[j]] + [len(w) for w in h.split()]))
                  for j, h in enumerate(head)]
        natural = [max([data[j]] + [len(t) for t in titles[j]]) for j in range(len(data))]
        if sum(natural) <= room:
            return _aligned(titles, cells, natural, indent, rule, width)
    title_w = [max((len(t) for t in title), default=0) for title in titles] or [0] * len(natural)
    floor = [min(w, max(MIN_CELL, title_w[j], -(-3 * w // 4))) for j, w in enumerate(natural)]
    if sum(floor) <= room:
        level = max(floor)
        for candidate in range(max(natural), 0, -1):
            if sum(max(f, min(w, candidate)) for f, w in zip(floor, natural)) <= room:
                level = candidate
                break
        widths = [max(f, min(w, level)) for f, w in zip(floor, natural)]
        return _aligned(titles, cells, widths, indent, rule, width)
    return _stacked(head, cells, indent, width)


def table_width(header: Sequence[str], rows: Sequence[Sequence[str]],
                indent: int = 0) -> int:
    """The width of the table's aligned layout with no cell abbreviated."""
    _, _, natural = _measure(header, rows)
    return indent + sum(natural) + 2 * max(0, len(natural) - 1)


def _measure(header: Sequence[str], rows: Sequence[Sequence[str]]
             ) -> tuple[list[str], list[list[list[str]]], list[int]]:
    ncol = max([len(header)] + [len(r) for r in rows])
    cells = [[c.split("\n") for c in r] + [[""]] * (ncol - len(r)) for r in rows]
    head = list(header) + [""] * (ncol - len(header)) if header else []
    natural = [max([len(head[j]) if head else 0]
                   + [len(line) for r in cells for line in r[j]]) for j in range(ncol)]
    return head, cells, natural


def _aligned(titles: list[list[str]], cells: list[list[list[str]]], widths: list[int],
             indent: int, rule: bool, width: int) -> list[str]:
    pad = " " * indent

    def line(parts: Sequence[str]) -> str:
        text = "  ".join(shorten(p, w).ljust(w) for p, w in zip(parts, widths))
        return clip((pad + text).rstrip(), width)

    out = []
    if titles:
        height = max(len(t) for t in titles)  # a broken header ends on its last line
        for i in range(height):
            out.append(line([t[i - height + len(t)] if i >= height - len(t) else ""
                             for t in titles]))
        if rule:
            out.append(line(["-" * w for w in widths]))
    for row in cells:
        height = max(len(c) for c in row)
        for i in range(height):
            out.append(line([c[i] if i < len(c) else "" for c in row]))
    return out


def _stacked(head: list[str], cells: list[list[list[str]]], indent: int,
             width: int) -> list[str]:
    pad = " " * indent
    labels = head[1:] if head else [""] * (len(cells[0]) - 1 if cells else 0)
    lw = max((len(s) for s in labels), default=0)
    out = []
    for row in cells:
        title = " ".join(x for x in (head[0] if head else "", row[0][0]) if x)
        out.append(clip(pad + title, width))
        out.extend(clip(pad + "  " + line, width) for line in row[0][1:])
        for label, cell in zip(labels, row[1:]):
            if not any(cell):
                continue
            for i, text in enumerate(cell):
                lab = label.ljust(lw) if i == 0 else " " * lw
                room = width - indent - lw - 4
                out.append(clip((pad + "  " + lab + "  " + shorten(text, room)).rstrip(),
                                width))
    return out
