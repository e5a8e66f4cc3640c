"""An explanation's tables and how they are rendered: plain text for a terminal, Markdown,
HTML for a notebook, and JSON-ready data."""

from __future__ import annotations

import html
import pathlib
from collections.abc import Callable
from typing import Any

from ..formatting import fmt, jsonable
from ..layout import fit_table, output_width, table_width, wrap


class Explanation:
    """One forward and backward pass, step by step.

    Structured rows (lists of dicts, values kept as numbers or ndarrays):

    - ``gates``: ``{"op", "gate", "derivatives": {symbol: formula}, "vjps": {symbol:
      formula}, "nodes": [names]}`` for each distinct gate;
    - ``forward``: ``{"step", "node", "op", "inputs": [names or constants], "value",
      "shape"}`` (``op`` is ``"input"``/``"constant"`` for leaves);
    - ``backward``: one per edge: ``{"step", "node", "op", "upstream", "input",
      "input_index", "local_formula", "local", "vjp", "contribution", "accumulated"}``
      (``local`` is a number for Scalars, None for Tensors; ``accumulated`` is the input's
      gradient after this contribution);
    - ``gradients``: ``{"node", "value", "grad", "contributions", "how"}`` for each input.

    ``text()`` (``str(e)``), ``markdown()`` and ``_repr_html_()`` render the same tables;
    ``to_dict()`` is JSON-serializable.
    """

    def __init__(self, *, title: str, scalar: bool, gates: list[dict], forward: list[dict],
                 backward: list[dict], gradients: list[dict], notes: list[str],
                 elided: dict[str, int], trace: Any = None,
                 pager: Callable[..., Any] | None = None) -> None:
        self.title = title
        self._trace = trace
        # the page maker (page.build), handed in by cr.explain: the page module draws
        # with draw.py, which sits above this module
        self._pager = pager
        self.scalar = scalar
        self.gates = gates
        self.forward = forward
        self.backward = backward
        self.gradients = gradients
        self.notes = notes
        self.elided = elided

    # the tables as header + rows of strings, shared by every rendering
    def tables(self) -> list[tuple[str, list[str], list[list[str]]]]:
        """``[(caption, header, rows)]`` for the gate, forward, backward and gradient tables;
        a row ``["...", "..."]`` marks elided steps."""
        gates = [[g["gate"], g["derivative_text"], ", ".join(_cap(g["nodes"]))]
                 for g in self.gates]
        gate_header = ["gate", "local derivative", "used at"]
        if not self.scalar:
            gate_header.insert(2, "VJP (g: upstream)")
            for row, g in zip(gates, self.gates):
                row.insert(2, ", ".join(f"d{s} = {v}" for s, v in g["vjps"].items()))
        fwd = [[str(r["step"]), r["node"], r["op"], ", ".join(_cap(r["inputs"])),
                fmt(r["value"])]
               for r in self.forward]
        fwd_header = ["step", "node", "op", "inputs", "value"]
        if not self.scalar:
            fwd_header.insert(4, "shape")
            for row, r in zip(fwd, self.forward):
                row.insert(4, str(r["shape"]))
        _mark_elided(fwd, self.forward, self.elided.get("forward", 0), "steps")
        if self.scalar:
            bwd_header = ["step", "node", "upstream", "input", "local gradient",
                          "contribution", "input's grad so far"]
            bwd = [[str(r["step"]), r["node"], fmt(r["upstream"]), r["input"],
                    _formula_value(r["local_formula"], r["local"]),
                    f"{fmt(r['upstream'])} x {fmt(r['local'])} = {fmt(r['contribution'])}",
                    fmt(r["accumulated"])] for r in self.backward]
        else:
            bwd_header = ["step", "node", "upstream g", "input", "VJP", "contribution",
                          "input's grad so far"]
            bwd = [[str(r["step"]), r["node"], fmt(r["upstream"]), r["input"],
                    f"d{r['input']} = {r['vjp']}", fmt(r["contribution"]),
                    fmt(r["accumulated"])] for r in self.backward]
        _mark_elided(bwd, self.backward, self.elided.get("backward", 0), "edges")
        grads = [[r["node"], fmt(r["value"]), fmt(r["grad"]), r["how"]]
                 for r in self.gradients]
        return [
            ("Gates (local derivatives, from the rule table)",
             gate_header, gates),
            ("Forward pass", fwd_header, fwd),
            ("Backward pass (upstream x local = contribution, added into the input's grad)",
             bwd_header, bwd),
            ("Gradients", ["input", "value", "gradient", "how"], grads),
        ]

    def text(self, width: int | None = None) -> str:
        """Aligned plain-text tables no wider than ``width`` (default: the terminal's width;
        in a pipe ``COLUMNS``, else 100). A table too wide has its longest cells
        abbreviated with ``…`` or is stacked, one block per row."""
        width = output_width(requested=width)
        out = [wrap(self.title, width, "  "), ""]
        for caption, header, rows in self.tables():
            if "contribution" in header and table_width(header, rows, 2) > width:
                # "upstream x local = contribution" repeats two columns: keep its result
                k = header.index("contribution")
                rows = [r[:k] + [r[k].rpartition(" = ")[2]] + r[k + 1:] for r in rows]
            out.append(wrap(caption, width, "  "))
            out.extend(fit_table(header, rows, width, indent=2, rule=True))
            out.append("")
        shown = {f"{r['node']} {r['how']}" for r in self.gradients}
        notes = [n for n in self.notes if n not in shown]  # not twice: in Gradients already
        if notes:
            out.append("Notes")
            out.extend(wrap(f"  - {n}", width, "  ") for n in notes)
        return "\n".join(out).rstrip() + "\n"

    def markdown(self) -> str:
        """The same tables as Markdown (pipe tables)."""
        out = [f"**{_md(self.title)}**", ""]
        for caption, header, rows in self.tables():
            out.append(f"*{_md(caption)}*")
            out.append("")
            out.append("| " + " | ".join(_md(h) for h in header) + " |")
            out.append("|" + "|".join("---" for _ in header) + "|")
            out.extend("| " + " | ".join(f"`{_md(c)}`" if c else "" for c in row) + " |"
                       for row in rows)
            out.append("")
        if self.notes:
            out.extend(f"- {_md(n)}" for n in self.notes)
        return "\n".join(out).rstrip() + "\n"

    def _repr_html_(self) -> str:
        """HTML tables, so that ``cr.explain(f)`` as the last line of a notebook cell
        shows them."""
        esc = html.escape
        out = [f"<div class='chainrule-explain'><p><b>{esc(self.title)}</b></p>"]
        for caption, header, rows in self.tables():
            out.append("<table style='font-family:monospace;border-collapse:collapse'>")
            out.append(f"<caption style='text-align:left'><i>{esc(caption)}</i></caption>")
            out.append("<tr>" + "".join(f"<th style='text-align:left;padding:0 8px'>"
                                        f"{esc(h)}</th>" for h in header) + "</tr>")
            for row in rows:
                out.append("<tr>" + "".join(f"<td style='text-align:left;padding:0 8px'>"
                                            f"{esc(c)}</td>" for c in row) + "</tr>")
            out.append("</table><br/>")
        if self.notes:
            out.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in self.notes) + "</ul>")
        if self._trace is not None:
            out.append("<p><i>Step through it, or test yourself: <code>display(e.page())</code>"
                       ", <code>e.page(exercise=True)</code>; as LaTeX: <code>e.latex()</code>"
                       "</i></p>")
        out.append("</div>")
        return "\n".join(out)

    def page(self, path: str | pathlib.Path | None = None, *,
             exercise: bool = False) -> Any:
        """The interactive page of this pass: one self-contained HTML file (graph and
        step table side by side; Next/Back and the arrow keys step the forward pass node by
        node, then the backward pass edge by edge).

        With ``exercise=True`` the local gradients and contributions are hidden and the
        learner types them. Returns the written path, or (``path=None``) a
        :class:`~chainrule.explanation.page.Page` that a notebook shows inline. Raises
        GraphvizNotFound when Graphviz's ``dot`` is missing.
        """
        if self._trace is None or self._pager is None:
            raise ValueError("page: this Explanation was not made by cr.explain")
        return self._pager(self._trace, path, exercise=exercise)

    def latex(self, *, document: bool = False) -> str:
        """The gate table, the forward and backward steps and the gradients as LaTeX
        (``gather*``/``align*``, needs ``amsmath``), gates in the homework's form:
        ``f(x) = \\frac{1}{x} \\quad \\frac{df}{dx} = -\\frac{1}{x^{2}}``.
        ``document=True`` gives a complete ``article`` that ``pdflatex`` compiles."""
        from .latex import to_latex
        return to_latex(self, document=document)

    def _repr_latex_(self) -> str:
        return self.latex()

    def to_dict(self) -> dict:
        """Everything as JSON-serializable data (arrays: shape and values, or shape and
        min/mean/max when large)."""
        return {
            "title": self.title, "engine": "scalar" if self.scalar else "tensor",
            "gates": jsonable(self.gates), "forward": jsonable(self.forward),
            "backward": jsonable(self.backward), "gradients": jsonable(self.gradients),
            "notes": list(self.notes), "elided": dict(self.elided),
        }

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<Explanation: {self.title}>"


def _formula_value(formula: str, value: float) -> str:
    """``cos(v1) = 0.540302``; just the number when the formula is one (``1``)."""
    try:
        if float(formula) == value:
            return fmt(value)
    except ValueError:
        pass
    return f"{formula} = {fmt(value)}"


def _cap(names: list[str], n: int = 6) -> list[str]:
    return names if len(names) <= n else names[:n] + [f"... ({len(names) - n} more)"]


def _mark_elided(rows: list[list[str]], data: list[dict], count: int, what: str) -> None:
    if not count:
        return
    for k, r in enumerate(data):
        if r.get("elided_before"):
            gap = ["..."] * len(rows[k])
            gap[1] = f"... {count:,} {what} elided ..."
            rows.insert(k, gap)
            return


def _md(s: str) -> str:
    return s.replace("|", "\\|")
