"""The interactive page: one self-contained HTML file that steps through a forward and a
backward pass (``cr.explain(f).page("steps.html")``).

The graph is laid out by Graphviz when the page is made and inlined as SVG; the page's
JavaScript and CSS (``assets/page.js``, ``assets/page.css``) are inlined too, so the file
needs no network. The engine's numbers are embedded as JSON: each forward step is one node,
each backward step one edge (upstream x local = contribution, added into the input's grad).
In exercise mode the page hides the local gradients and the contributions and checks what
the learner types (a number, or a formula in the node's variables evaluated by the page's
own expression reader: the formula language's grammar, never ``eval``).
"""

from __future__ import annotations

import html
import json
import pathlib
import re
from importlib import resources
from typing import Any

import numpy as np

from ..core import Node
from ..formatting import fmt
from .draw import _kind, _quote, _run_dot, constant_lines, label_head, label_table, node_line
from .formulas import _node_mapping, local_formula, substitute, vjp_formula
from .trace import Trace, is_input, n_inputs

_MAX_SUM_TERMS = 4
"""A fan-out node lists its contributions on the graph up to this many terms."""
_MAX_EDGES_OUT = 4
"""A leaf with more uses than this is drawn again beside each use (see page_dot)."""


def _number(v: Any) -> Any:
    """A value as JSON numbers for the page's answer checks (floats or nested lists)."""
    if isinstance(v, np.ndarray):
        return np.asarray(v, dtype=np.float64).tolist()
    return float(v)


def _finite(v: Any) -> bool:
    return bool(np.all(np.isfinite(np.asarray(v, dtype=np.float64))))


def _sum_text(parts: list[Any]) -> str:
    """``a + b = c`` for the contributions a node has received so far; beyond
    ``_MAX_SUM_TERMS`` terms, the first two, the last and the count."""
    total = parts[0]
    for c in parts[1:]:
        total = total + c
    if len(parts) == 1:
        return fmt(total)
    terms = [fmt(c) for c in parts]
    if len(parts) > _MAX_SUM_TERMS:
        terms = terms[:2] + ["..."] + terms[-1:]
        return " + ".join(terms) + f" = {fmt(total)} ({len(parts)} contributions)"
    return " + ".join(terms) + f" = {fmt(total)}"


def page_data(trace: Trace, *, exercise: bool = False, title: str = "") -> dict:
    """The steps of the page as JSON-ready data: ``nodes`` (forward order) and ``steps``
    (one per node, then the seed, then one per edge in the order the backward pass sent
    them)."""
    order = trace.order
    index = {id(n): k for k, n in enumerate(order)}
    nodes = []
    steps: list[dict] = []
    for k, node in enumerate(order):
        name = trace.name(node)
        kind = trace.kind(node)
        value = node.value
        shape = list(np.shape(value)) if isinstance(value, np.ndarray) else None
        if node.prim is None:
            text = f"{name} = {fmt(value)} ({kind})"
            expr = ""
        else:
            expr = substitute(node.prim.expr, _node_mapping(trace, node))
            ins = [p for p in node.parents[:n_inputs(node)]]
            plugged = substitute(node.prim.expr, {
                s: fmt(p.value if isinstance(p, Node) else p)
                for s, p in zip(_symbols(node), ins)}) if trace.scalar else ""
            text = f"{name} = {expr}" + (f" = {plugged}" if plugged and plugged != expr
                                         else "") + f" = {fmt(value)}"
        grads = trace.received.get(id(node), [])
        final = (_sum_text(grads) if len(grads) > 1
                 else fmt(trace.grads[id(node)]) if id(node) in trace.grads else "")
        nodes.append({"id": f"n{k}", "name": name, "kind": kind, "op": (
            node.prim.name if node.prim is not None else kind), "expr": expr,
            "value": fmt(value), "shape": shape, "grad": final,
            "needs": bool(node.needs)})
        steps.append({"kind": "forward", "node": k, "text": text})
    if trace.seed is not None:
        root = index[id(trace.root)]
        steps.append({"kind": "seed", "node": root, "grad": fmt(trace.seed),
                      "text": f"{trace.name(trace.root)}.grad = {fmt(trace.seed)} "
                              f"(the seed: d {trace.name(trace.root)} / d itself)"})
    so_far: dict[int, list[Any]] = {}
    for node, i, parent, c in trace.edges:
        k, pk = index[id(node)], index[id(parent)]
        parts = so_far.setdefault(pk, [])
        parts.append(c)
        upstream = trace.grads[id(node)]
        pname, nname = trace.name(parent), trace.name(node)
        step = {"kind": "edge", "node": k, "parent": pk, "edge": f"e{k}_{i}",
                "upstream": fmt(upstream), "contribution": fmt(c),
                "contribution_value": _number(c) if _finite(c) else None,
                "accumulated": _sum_text(parts), "fanout": len(parts) > 1,
                "input": pname, "output": nname, "shape": (
                    list(np.shape(c)) if isinstance(c, np.ndarray) else None)}
        if trace.scalar:
            formula = local_formula(trace, node, i)
            local = trace.local(node, i)
            step.update(local_formula=formula, local=fmt(local),
                        local_value=local if _finite(local) else None,
                        variables=_variables(trace, node))
            shown = fmt(local) if _same(formula, local) else f"{formula} = {fmt(local)}"
            step["text"] = (f"upstream {fmt(upstream)} x local {shown} -> contribution "
                            f"{fmt(c)}, added into {pname}.grad: {_sum_text(parts)}")
        else:
            vjp = vjp_formula(trace, node, i)
            step.update(vjp=f"d{pname} = {vjp}")
            step["text"] = (f"upstream g = {fmt(upstream)}, VJP d{pname} = {vjp} -> "
                            f"contribution {fmt(c)}, added into {pname}.grad: "
                            f"{_sum_text(parts)}")
        steps.append(step)
    return {"title": title or f"{trace.name(trace.root)} = {fmt(trace.root.value)}",
            "scalar": trace.scalar, "exercise": bool(exercise), "nodes": nodes,
            "steps": steps, "note": trace.seed_note}


def _symbols(node: Node) -> list[str]:
    from .trace import input_symbols
    return input_symbols(node)


def _same(formula: str, value: float) -> bool:
    try:
        return float(formula) == value
    except ValueError:
        return False


def _variables(trace: Trace, node: Node) -> dict[str, float]:
    """The names a formula answer may use at this gate, with their recorded values: its
    inputs' names (``v7``), and the gate table's symbols (``x``, or ``x``, ``y``)."""
    n = n_inputs(node)
    inputs = [(s, p) for s, p in zip(_symbols(node), node.parents[:n])
              if isinstance(p, Node) and np.ndim(p.value) == 0 and _finite(p.value)]
    out: dict[str, float] = {}
    live = [(s, p) for s, p in inputs if is_input(p)]
    for s, p in inputs:
        if len(live) != 1:
            out[s] = float(p.value)
    if len(live) == 1:
        out["x"] = float(live[0][1].value)
    # the symbols are aliases; a node's own name (the learner's y in y*x, shown in the
    # formulas) always means that node, and a name of another node is no alias here
    taken = set(trace.names.values())
    out = {s: v for s, v in out.items() if s not in taken}
    for _, p in inputs:
        out[trace.name(p)] = float(p.value)
    return out


def page_dot(trace: Trace) -> str:
    """The page's graph as DOT: every node and edge with an ``id`` the page's script
    finds (``n<k>``, ``e<k>_<i>``), values and gradients in the labels (the script hides
    them until their step)."""
    order = trace.order
    index = {id(n): k for k, n in enumerate(order)}
    data_nodes = page_data_labels(trace)
    lines = ["digraph chainrule {",
             '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.25, '
             'ranksep=0.45, bgcolor="white", pad=0.2];',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, '
             'penwidth=1.4, margin="0.08,0.04"];',
             '  edge [fontname="Helvetica", fontsize=9, color="#6b7280", '
             'fontcolor="#374151", arrowsize=0.7];']
    uses: dict[int, int] = {}
    for node in order:
        for p in node.parents[:n_inputs(node)]:
            if isinstance(p, Node):
                uses[id(p)] = uses.get(id(p), 0) + 1
    # a leaf used by many gates (a shared weight) is drawn again beside each use: one hub
    # with hundreds of long edges makes Graphviz's layout take minutes
    cloned = {id(n) for n in order if n.prim is None and uses.get(id(n), 0) > _MAX_EDGES_OUT}
    const = 0
    for k, node in enumerate(order):
        lines.append(node_line(f"n{k}", data_nodes[k], _kind(trace, node, set()),
                               f'id="n{k}", '))
        if node.prim is None:
            continue
        for i, p in enumerate(node.parents[:n_inputs(node)]):
            if isinstance(p, Node):
                pk = index[id(p)]
                src = f"n{pk}"
                if id(p) in cloned and uses[id(p)] > 0:
                    uses[id(p)] = -1  # the first use is drawn from the node itself
                elif id(p) in cloned:
                    src = f"n{pk}c{k}_{i}"
                    lines.append(node_line(src, _quote(trace.name(p) + " (again)"),
                                           _kind(trace, p, set()),
                                           'style="rounded,filled,dashed", fontsize=9, '))
                if is_input(p):
                    label = _edge_text(trace, node, i)
                    lines.append(f'  {src} -> n{k} [id="e{k}_{i}", '
                                 f'label={_quote(" " + label + " ")}];')
                else:
                    lines.append(f'  {src} -> n{k} [style=dashed, color="#9ca3af"];')
            else:
                const += 1
                lines += constant_lines(f"c{const}", fmt(p), f"n{k}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _edge_text(trace: Trace, node: Node, i: int) -> str:
    if trace.scalar:
        formula = local_formula(trace, node, i)
        value = trace.local(node, i)
        return fmt(value) if _same(formula, value) else f"{formula} = {fmt(value)}"
    return f"d{trace.name(node.parents[i])} = {vjp_formula(trace, node, i)}"


def page_data_labels(trace: Trace) -> list[str]:
    """Each node's HTML-like label: its name and gate, ``value = ...`` and ``grad = ...``
    lines (one text element each, so that the script can hide and show them)."""
    out = []
    for node in trace.order:
        rows = label_head(trace, node, trace.kind(node))
        rows.append("value = " + html.escape(fmt(node.value)))
        got = trace.received.get(id(node), [])
        if id(node) in trace.grads:
            g = _sum_text(got) if len(got) > 1 else fmt(trace.grads[id(node)])
            rows.append(f'<font color="#b91c1c">grad = {html.escape(g)}</font>')
        out.append(label_table(rows))
    return out


def _asset(name: str) -> str:
    return resources.files("chainrule.explanation").joinpath("assets", name).read_text(
        encoding="utf-8")


def _svg_body(svg: str) -> str:
    """Graphviz's SVG without the XML prolog and comments, ready to inline."""
    start = svg.find("<svg")
    body = svg[start:]
    return re.sub(r"<!--.*?-->", "", body, flags=re.S)


# nothing is fetched: the page's own inline script and style only
_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def page_html(trace: Trace, *, exercise: bool = False, title: str = "") -> str:
    """The whole page as one HTML string (needs Graphviz's ``dot``: GraphvizNotFound
    otherwise)."""
    data = page_data(trace, exercise=exercise, title=title)
    svg = _svg_body(_run_dot(page_dot(trace), "svg", timeout=300.0).decode())
    payload = json.dumps(data, allow_nan=False).replace("</", "<\\/")
    esc = html.escape
    mode = "exercise" if exercise else "steps"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>{esc(data['title'])}: backpropagation, step by step</title>
<style>{_asset('page.css')}</style></head>
<body class="mode-{mode}">
<header><h1>{esc(data['title'])}</h1>
<nav aria-label="step controls">
<button id="back" type="button" aria-label="Back" title="Back (ArrowLeft)">&#8592; Back</button>
<button id="next" type="button" aria-label="Next" title="Next (ArrowRight)">Next &#8594;</button>
<span id="counter" role="status" aria-live="polite"></span>
<span class="zoom"><button id="zoom-in" type="button" aria-label="Zoom in">+</button>
<button id="zoom-out" type="button" aria-label="Zoom out">&#8722;</button>
<button id="zoom-fit" type="button" aria-label="Fit the whole graph">Fit</button></span>
</nav></header>
<main>
<section id="graph" aria-label="computation graph (drag to pan, wheel to zoom)" tabindex="0">
{svg}</section>
<section id="side" aria-label="steps">
<div id="panel" aria-live="polite"></div>
<div id="exercise" hidden></div>
<div id="steps-box"><table id="steps"><caption>Steps</caption>
<colgroup><col class="n"><col class="pass"><col class="who"><col></colgroup>
<thead><tr><th>#</th><th>pass</th><th>node</th><th>what happens</th></tr></thead>
<tbody></tbody></table></div>
</section></main>
<script type="application/json" id="chainrule-data">{payload}</script>
<script>{_asset('page.js')}</script>
</body></html>
"""


class Page:
    """An interactive page (``cr.explain(f).page()``): ``html`` is the whole file;
    ``save(path)`` writes it; a notebook shows it inline (``_repr_html_``, an iframe)."""

    def __init__(self, html_text: str, n_steps: int) -> None:
        self.html = html_text
        self.n_steps = n_steps

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write the page to ``path`` (UTF-8) and return the path."""
        path = pathlib.Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
                'style="width:100%;height:640px;border:1px solid #d1d5db" '
                'title="chainrule: backpropagation, step by step"></iframe>')

    def __repr__(self) -> str:
        steps = "1 step" if self.n_steps == 1 else f"{self.n_steps} steps"
        return f"<Page: {steps}, {len(self.html):,} characters of HTML>"


def build(trace: Trace, path: str | pathlib.Path | None = None, *,
          exercise: bool = False) -> Page | pathlib.Path:
    """The page of a traced graph, written to ``path`` (returns the path) or, with no
    path, as a :class:`Page`. Raises GraphvizNotFound when ``dot`` is missing."""
    text = page_html(trace, exercise=exercise)
    page = Page(text, len(trace.order) + len(trace.edges) + (trace.seed is not None))
    return page if path is None else page.save(path)


__all__ = ["Page", "build", "page_data", "page_dot", "page_html"]
