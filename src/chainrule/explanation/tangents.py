"""Forward mode, step by step: the tangent table (``cr.explain(f, mode="forward",
wrt="x1")``).

Each node, in the order the forward pass computed it, with its value and its tangent: its
derivative with respect to the chosen input, ``dot(v) = sum over inputs of local x
dot(input)``, the same local derivatives the backward table uses, applied in the other
direction. The chosen input's tangent is 1 (ones for a Tensor, or the ``seed`` given);
every other leaf's is 0. The output's tangent is then d output / d input: one forward
sweep per input, where one backward pass gives every input's gradient at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Node
from ..core.forward import jvp, push_forward
from ..formatting import fmt, jsonable
from ..layout import fit_table, output_width, wrap
from .formulas import local_formula
from .render import _md
from .trace import Trace, n_inputs


class TangentTable:
    """The forward-mode explanation: ``rows`` of ``{"step", "node", "op", "inputs",
    "value", "terms": [{"input", "local_formula", "local", "input_tangent",
    "contribution"}], "tangent"}`` (``local`` is a number for Scalar graphs, None for
    Tensors). ``text()`` (``str``), ``markdown()``, ``_repr_html_()`` and ``to_dict()``
    render it."""

    def __init__(self, title: str, wrt: str, scalar: bool, rows: list[dict],
                 notes: list[str]) -> None:
        self.title = title
        self.wrt = wrt
        self.scalar = scalar
        self.rows = rows
        self.notes = notes

    def table(self) -> tuple[list[str], list[list[str]]]:
        """The header and the rows as strings."""
        header = ["step", "node", "op", "inputs", "value",
                  f"tangent = sum of local x dot(input)   (dot = d/d{self.wrt})", "tangent"]
        rows = []
        for r in self.rows:
            if r["terms"]:
                how = " + ".join(
                    f"{_grouped(t['local_formula'])} x dot({t['input']})" if self.scalar
                    else f"d{r['node']}/d{t['input']} . dot({t['input']})"
                    for t in r["terms"])
                if self.scalar:
                    how += " = " + " + ".join(f"{fmt(t['local'])} x {fmt(t['input_tangent'])}"
                                              for t in r["terms"])
            else:
                how = r["seed"]
            rows.append([str(r["step"]), r["node"], r["op"], ", ".join(r["inputs"]),
                         fmt(r["value"]), how, fmt(r["tangent"])])
        return header, rows

    def text(self, width: int | None = None) -> str:
        """The tangent table as plain text no wider than ``width`` (default: the terminal's
        width; in a pipe ``COLUMNS``, else 100), laid out as ``Explanation.text`` is."""
        width = output_width(requested=width)
        header, rows = self.table()
        out = [wrap(self.title, width, "  "), "",
               wrap(f"Forward mode (tangents with respect to {self.wrt})", width, "  ")]
        out += fit_table(header, rows, width, indent=2, rule=True)
        if self.notes:
            out += ["", "Notes"] + [wrap(f"  - {n}", width, "  ") for n in self.notes]
        return "\n".join(out).rstrip() + "\n"

    def markdown(self) -> str:
        header, rows = self.table()
        out = [f"**{_md(self.title)}**", "",
               "| " + " | ".join(_md(h) for h in header) + " |",
               "|" + "|".join("---" for _ in header) + "|"]
        out += ["| " + " | ".join(f"`{_md(c)}`" if c else "" for c in row) + " |"
                for row in rows]
        out += [""] + [f"- {_md(n)}" for n in self.notes]
        return "\n".join(out).rstrip() + "\n"

    def _repr_html_(self) -> str:
        import html
        header, rows = self.table()
        cells = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
        cells += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                  for row in rows]
        return (f"<div class='chainrule-explain'><p><b>{html.escape(self.title)}</b></p>"
                "<table style='font-family:monospace'>" + "".join(cells) + "</table></div>")

    def to_dict(self) -> dict:
        return {"title": self.title, "mode": "forward", "wrt": self.wrt,
                "engine": "scalar" if self.scalar else "tensor",
                "rows": jsonable(self.rows), "notes": list(self.notes)}

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<TangentTable: {self.title}>"


def _grouped(formula: str) -> str:
    """``formula`` in parentheses where it is more than one term or factor."""
    return f"({formula})" if any(c in formula[1:] for c in "+-*/ ") else formula


def explain_forward(output: Node, wrt: Any, seed: Any = None) -> TangentTable:
    """The tangent table of ``output`` with respect to the input ``wrt`` (its name, as
    shown by ``cr.explain``, or the node itself). Raises ValueError if ``wrt`` names no
    input of the graph, TypeError if ``output`` is not a Scalar or a Tensor."""
    trace = Trace(output)
    leaves = [n for n in trace.order if n.prim is None and n.needs]
    chosen = [n for n in leaves if n is wrt or trace.name(n) == wrt]
    if not chosen:
        names = ", ".join(trace.name(n) for n in leaves) or "none"
        raise ValueError(f"explain(mode='forward'): wrt={wrt!r} is not an input of this "
                         f"graph; its inputs are: {names}")
    x = chosen[0]
    name = trace.name(x)
    mode = trace.mode
    if seed is None:
        seed = 1.0 if trace.scalar else np.ones_like(x.value)
    tangents = push_forward(trace.order, {id(x): seed}, mode)
    rows = []
    for k, node in enumerate(trace.order):
        n_in = n_inputs(node)
        inputs = [trace.name(p) for p in node.parents[:n_in]]
        terms = []
        if node.prim is not None:
            args = [p.value if isinstance(p, Node) else p for p in node.parents]
            for i, p in enumerate(node.parents[:n_in]):
                t = tangents.get(id(p)) if isinstance(p, Node) else None
                if t is None:
                    continue
                local = (jvp(node.prim, i, 1.0, node.value, args, mode) if trace.scalar
                         else None)
                terms.append({"input": trace.name(p), "local_formula":
                              local_formula(trace, node, i), "local": local,
                              "input_tangent": t,
                              "contribution": jvp(node.prim, i, t, node.value, args, mode)})
        tangent = tangents.get(id(node))
        if tangent is None:
            tangent = 0.0 if trace.scalar else np.zeros_like(node.value)
        op = node.prim.name if node.prim is not None else trace.kind(node)
        rows.append({"step": k + 1, "node": trace.name(node), "op": op, "inputs": inputs,
                     "value": node.value, "terms": terms, "tangent": tangent,
                     "seed": (f"seed: dot({name}) = {fmt(seed)}" if node is x else
                              "0 (does not depend on " + name + ")")})
    out_name = trace.name(output)
    title = (f"d{out_name}/d{name} = {fmt(rows[-1]['tangent'])}  (forward mode: "
             f"{len(rows)} nodes, one sweep for the input {name})")
    notes = ["forward mode gives the derivative with respect to ONE input per sweep (all "
             "outputs at once); reverse mode gives every input's gradient of ONE output per "
             "pass: forward is cheaper when there are fewer inputs than outputs"]
    return TangentTable(title, name, trace.scalar, rows, notes)


def tangent_marks(output: Node, wrt: Any) -> tuple[str, dict[int, Any], dict[tuple, Any]]:
    """For pictures: the chosen input's name, each node's tangent by ``id`` and each edge's
    contribution by ``(id(node), input index)``, from :func:`explain_forward`'s sweep.
    Raises as :func:`explain_forward`."""
    table = explain_forward(output, wrt)
    trace = Trace(output)
    by_name = {trace.name(n): n for n in trace.order}
    nodes: dict[int, Any] = {}
    edges: dict[tuple, Any] = {}
    for row in table.rows:
        node = by_name[row["node"]]
        nodes[id(node)] = row["tangent"]
        for term in row["terms"]:
            for i, p in enumerate(node.parents[:n_inputs(node)]):
                if isinstance(p, Node) and trace.name(p) == term["input"]:
                    edges[(id(node), i)] = term["contribution"]
    return table.wrt, nodes, edges
