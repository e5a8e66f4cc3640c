"""Pictures of a computation graph: DOT text (no dependency), SVG and PNG through Graphviz.

Data flows left to right. Each node shows its name, its op, its value and its gradient
(d output / d node, from a backward pass of its own that changes no ``.grad``); each edge
its local gradient (Scalars: the rule and its number) or its VJP formula (Tensors). A node
used twice gets two edges. Colours tell inputs, parameters, constants, gates and the output
apart, and a legend says which is which. Graphs with more than ``max_nodes`` nodes keep the
nodes nearest the inputs and nearest the output, and replace the middle by one box that
counts what was elided. Every walk is a loop, so a 100,000-node chain draws.
"""

from __future__ import annotations

import html
import os
import pathlib
import re
import shutil
import subprocess
from typing import Any

import numpy as np

from ..core import Node
from ..formatting import fmt, number
from .formulas import _node_mapping, local_formula, substitute, vjp_formula
from .tangents import tangent_marks
from .trace import Trace, is_input, n_inputs

COLOURS = {
    # kind: (fill, border, what the legend says)
    "input": ("#dbeafe", "#2563eb", "input (requires grad)"),
    "parameter": ("#dcfce7", "#16a34a", "parameter"),
    "constant": ("#f3f4f6", "#9ca3af", "constant (no gradient)"),
    "gate": ("#ffffff", "#4b5563", "gate (op)"),
    "output": ("#fef3c7", "#d97706", "output"),
}
_INSTALL = ("install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install "
            "graphviz` (macOS), `conda install graphviz`, or https://graphviz.org/download/")


class GraphvizNotFound(RuntimeError):
    """Graphviz's ``dot`` program, needed for SVG and PNG pictures, is not installed."""


def _short(v: Any) -> str:
    """A number in a picture: 4 significant digits, whole numbers as ``2.0``."""
    if isinstance(v, float) and v != 0 and v == v and abs(v) not in (float("inf"),):
        if v != int(v) or abs(v) >= 1e15:
            return number(v, 4)
    return fmt(v)


def _param_ids(params: Any) -> set[int]:
    if params is None:
        return set()
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, Node):
        params = (params,)
    return {id(p) for p in params}


def _kind(trace: Trace, node: Node, params: set[int]) -> str:
    kind = trace.kind(node)
    if kind == "input" and (id(node) in params or type(node).__name__ == "Parameter"):
        return "parameter"
    return kind


def label_head(trace: Trace, node: Node, kind: str) -> list[str]:
    """A node label's first rows: ``v5 = x2 * w2  mul`` (or ``x1 input``), then its shape
    for a Tensor."""
    esc = html.escape
    name = esc(trace.name(node))
    if node.prim is not None:
        expr = substitute(node.prim.expr, _node_mapping(trace, node))
        head = (f'<b>{name}</b> = {esc(expr)}  <font color="#6b7280" point-size="9">'
                f'{esc(node.prim.name)}</font>')
    else:
        head = f'<b>{name}</b> <font color="#6b7280">{esc(kind)}</font>'
    rows = [head]
    if isinstance(node.value, np.ndarray):
        rows.append(f"shape {esc(str(node.value.shape))}")
    return rows


def label_table(rows: list[str]) -> str:
    """Rows of an HTML-like label as one left-aligned borderless table."""
    cells = "".join(f'<tr><td align="left">{r}</td></tr>' for r in rows)
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{cells}</table>>'


def _label(trace: Trace, node: Node, kind: str, tangent: Any = None, wrt: str = "") -> str:
    rows = label_head(trace, node, kind)
    value = node.value
    rows.append("value " + _lines(value))
    grad = trace.grads.get(id(node))
    if grad is not None:
        rows.append(f'<font color="#b91c1c">grad {_lines(grad)}</font>')
    if tangent is not None:
        rows.append(f'<font color="#1d4ed8">d/d{html.escape(wrt)} {_lines(tangent)}</font>')
    return label_table(rows)


def _lines(v: Any) -> str:
    """A value for an HTML-like label: a small matrix one row per line."""
    if not isinstance(v, np.ndarray):
        return html.escape(_short(v))
    if v.ndim == 0:
        return html.escape(_short(float(v)))
    text = fmt(v)
    if v.ndim == 2 and v.shape[1] > 1 and v.size <= 12:
        rows = text[1:-1].split("], ")
        text = "[" + "],<br/>&nbsp;".join(html.escape(r) for r in rows) + "]"
        return text
    return html.escape(text)


def _edge_label(trace: Trace, node: Node, i: int) -> str:
    if trace.scalar:
        formula = local_formula(trace, node, i)
        value = trace.local(node, i)
        try:
            same = float(formula) == value
        except ValueError:
            same = False
        return _short(value) if same else f"{formula} = {_short(value)}"
    return f"d{trace.name(node.parents[i])} = {vjp_formula(trace, node, i)}"


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def node_line(nid: str, label: str, kind: str, attrs: str = "") -> str:
    """One node of the picture in ``kind``'s colours (``label``: DOT, quoted or HTML-like;
    ``attrs``: more DOT attributes, each ending in ``, ``)."""
    fill, border, _ = COLOURS[kind]
    return f'  {nid} [{attrs}label={label}, fillcolor="{fill}", color="{border}"];'


def constant_lines(cid: str, text: str, to: str) -> list[str]:
    """A constant input (``2`` in ``2 + x``): a small grey ellipse, a dashed edge."""
    fill, border, _ = COLOURS["constant"]
    return [f'  {cid} [label={_quote(text)}, shape=ellipse, fillcolor="{fill}", '
            f'color="{border}", fontsize=9, width=0.3, height=0.25, margin="0.03,0.01"];',
            f'  {cid} -> {to} [style=dashed, color="#9ca3af"];']


def _legend(kinds: set[str]) -> str:
    """One row of coloured boxes, for the kinds this graph uses only."""
    cells = "".join(
        f'<td bgcolor="{fill}" color="{border}" border="1">{html.escape(text)}</td>'
        for kind, (fill, border, text) in COLOURS.items() if kind in kinds)
    return ('  legend [shape=plaintext, style=filled, fillcolor=white, margin=0, '
            'label=<<table border="0" cellspacing="3" '
            f'cellpadding="3"><tr><td><b>legend</b></td>{cells}'
            '<td><font point-size="9">edge label: local gradient<br/>'
            'grad: d output / d node</font></td></tr></table>>];')


def _leaf_dot(leaf: Node, params: Any) -> str:
    """A leaf drawn as itself: its name, kind, value and its own ``.grad`` (not the seed
    of a backward pass from it)."""
    kind = "input" if leaf.needs else "constant"
    if kind == "input" and (id(leaf) in _param_ids(params) or
                            type(leaf).__name__ == "Parameter"):
        kind = "parameter"
    esc = html.escape
    rows = [f'<b>{esc(leaf.name or "(unnamed)")}</b> <font color="#6b7280">{kind}</font>']
    if isinstance(leaf.value, np.ndarray):
        rows.append(f"shape {esc(str(leaf.value.shape))}")
    rows.append("value " + _lines(leaf.value))
    grad = leaf.grad
    rows.append('<font color="#b91c1c">grad ' + ("None (no backward pass has reached it)"
                                                 if grad is None else _lines(grad)) + "</font>")
    return ('digraph chainrule {\n  graph [bgcolor="white", pad=0.1];\n'
            '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];\n'
            f'{node_line("n0", label_table(rows), kind)}\n}}\n')


def to_dot(output: Node, *, max_nodes: int = 200, params: Any = None,
           legend: bool = True, wrt: Any = None) -> str:
    """The graph that computed ``output`` (a Scalar or Tensor) as Graphviz DOT text.

    Args:
        output: the node to draw the graph of; its gradients are computed for the labels
            (seed 1, or ones for a Tensor with several elements) without touching ``.grad``.
        max_nodes: graphs with more nodes are collapsed: the ``max_nodes // 2`` nodes
            nearest the inputs and nearest the output are kept, the rest become one box
            saying how many nodes were elided.
        params: nodes (or a module with ``.parameters()``) to colour as parameters rather
            than inputs.
        legend: whether to include the colour legend.
        wrt: an input (its name or the node): forward mode is drawn too, each node's
            tangent d node / d wrt and, on each edge, the tangent it carries.

    Returns the DOT source (``digraph``). Raises TypeError if ``output`` is not a node.
    """
    if max_nodes < 2:
        raise ValueError(f"to_dot: max_nodes must be at least 2, got {max_nodes}")
    if isinstance(output, Node) and output.prim is None:
        return _leaf_dot(output, params)
    trace = Trace(output)
    order = trace.order
    pids = _param_ids(params)
    wrt_name, tangents, carried = tangent_marks(output, wrt) if wrt is not None else ("", {}, {})
    n = len(order)
    index = {id(node): k for k, node in enumerate(order)}
    if n > max_nodes:
        half = max_nodes // 2
        kept = set(range(half)) | set(range(n - half, n))
    else:
        kept = set(range(n))
    elided = n - len(kept)

    shown = _short(output.value) if trace.scalar else fmt(output.value)
    title = f"{trace.name(output)} = {shown}   ({n:,} nodes)"
    lines = [
        "digraph chainrule {",
        f'  graph [rankdir=LR, fontname="Helvetica", fontsize=12, labelloc=t, '
        f'label={_quote(title)}, nodesep=0.25, ranksep=0.45, bgcolor="white", pad=0.2];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, '
        'penwidth=1.4, margin="0.08,0.04"];',
        '  edge [fontname="Helvetica", fontsize=9, color="#6b7280", fontcolor="#374151", '
        'arrowsize=0.7];',
    ]
    legend_at = len(lines)
    if trace.seed_note:
        lines.append(f"  // {trace.seed_note}")
    const_count = 0
    to_elided: set[int] = set()
    kinds: set[str] = set()
    for k in sorted(kept):
        node = order[k]
        kind = _kind(trace, node, pids)
        kinds.add(kind)
        label = _label(trace, node, kind, tangents.get(id(node)), wrt_name)
        lines.append(node_line(f"n{k}", label, kind))
        if node.prim is None:
            continue
        for i, p in enumerate(node.parents[:n_inputs(node)]):
            if isinstance(p, Node):
                pk = index[id(p)]
                if pk not in kept:
                    to_elided.add(k)
                    continue
                if is_input(p):
                    label = _edge_label(trace, node, i)
                    if (id(node), i) in carried:
                        c = carried[(id(node), i)]
                        label += f"  (tangent {fmt(c) if isinstance(c, np.ndarray) else _short(c)})"
                    lines.append(f"  n{pk} -> n{k} [label={_quote(' ' + label + ' ')}];")
                else:
                    lines.append(f'  n{pk} -> n{k} [style=dashed, color="#9ca3af"];')
            else:
                const_count += 1
                kinds.add("constant")
                text = fmt(p) if isinstance(p, np.ndarray) else _short(p)
                lines += constant_lines(f"c{const_count}", text, f"n{k}")
    if elided:
        from_kept: set[int] = set()
        for k in range(n):
            if k in kept:
                continue
            for p in order[k].parents:
                if isinstance(p, Node) and index[id(p)] in kept:
                    from_kept.add(index[id(p)])
        lines.append(f'  elided [label={_quote(f"... {elided:,} nodes elided ...")}, '
                     'shape=box, style="dashed,rounded", color="#6b7280", fontcolor="#374151"];')
        lines.extend(f'  n{pk} -> elided [style=dashed];' for pk in sorted(from_kept))
        lines.extend(f'  elided -> n{k} [style=dashed];' for k in sorted(to_elided))
    if legend:
        lines.insert(legend_at, _legend(kinds))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_program() -> str:
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFound(f"Graphviz's `dot` program was not found on PATH; it turns DOT "
                               f"text into SVG/PNG. {_INSTALL}. Without it, cr.to_dot(...) "
                               f"still gives the DOT text.")
    return exe


def _run_dot(source: str, fmt_: str, timeout: float = 120.0) -> bytes:
    args = [_dot_program(), f"-T{fmt_}"]
    if fmt_ == "png":
        args.append("-Gdpi=144")
    done = subprocess.run(args, input=source.encode(), capture_output=True, timeout=timeout,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"Graphviz's dot failed (exit {done.returncode}) making {fmt_}: "
                           f"{done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def render(output: Node, path: str | pathlib.Path, *, max_nodes: int = 200,
           params: Any = None, wrt: Any = None, keep_dot: bool = False,
           overwrite: bool = True) -> pathlib.Path:
    """Draw the graph of ``output`` to the file ``path``, and to no other file.

    The suffix says what to write: ``.dot`` (the DOT text, no Graphviz needed), or ``.svg``,
    ``.png``, ``.pdf`` (made by Graphviz's ``dot`` program). ``keep_dot=True`` also writes
    the DOT text to ``path`` with the suffix ``.dot``. An existing file is replaced, as
    ``open(path, "w")`` would, unless ``overwrite=False``. Nothing is written when an error
    is raised. Returns ``path``.

    Raises ValueError for a missing or unknown suffix; IsADirectoryError when ``path`` is a
    folder (or ends in a separator); FileNotFoundError when its folder does not exist;
    FileExistsError when it exists and ``overwrite`` is False; GraphvizNotFound when a
    picture is asked for and ``dot`` is not installed. ``wrt`` draws forward mode too (see
    :func:`to_dot`).
    """
    text = os.fspath(path)
    path = pathlib.Path(path)
    if text.endswith(("/", os.sep)) or path.is_dir():
        raise IsADirectoryError(f"render: {text} is a folder; name the file to write, e.g. "
                                f"{path / 'graph.svg'}")
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("dot", "svg", "png", "pdf"):
        raise ValueError(f"render: cannot make a {path.suffix or 'suffix-less'!r} file; name "
                         "a .dot, .svg, .png or .pdf file")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"render: the folder {path.parent} does not exist")
    dot_path = path.with_suffix(".dot")
    if not overwrite:
        for target in {path, dot_path} if keep_dot else {path}:
            if target.exists():
                raise FileExistsError(f"render: {target} exists; it is not replaced")
    source = to_dot(output, max_nodes=max_nodes, params=params, wrt=wrt)
    data = source.encode() if kind == "dot" else _run_dot(source, kind)
    path.write_bytes(data)
    if keep_dot and kind != "dot":
        dot_path.write_text(source)
    return path


def to_svg(output: Node, *, max_nodes: int = 200, params: Any = None) -> str:
    """The graph of ``output`` as SVG text (needs Graphviz's ``dot``; GraphvizNotFound
    otherwise)."""
    return _run_dot(to_dot(output, max_nodes=max_nodes, params=params), "svg").decode()


def fit_width(svg: str) -> str:
    """Graphviz's SVG scaled to its container: never wider than the column, never larger
    than its natural size (``width="100%"`` with a ``max-width``)."""
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if m is None:
        return svg
    return (svg[:m.start()] + f'<svg width="100%" style="max-width:{m.group(1)}pt;'
            f'height:auto"' + svg[m.end():])


def svg_or_none(output: Node, max_nodes: int = 60) -> str | None:
    """SVG for Jupyter's ``_repr_svg_``, scaled to the output column: None (so Jupyter
    shows the text repr) when Graphviz is missing or fails."""
    try:
        svg = _run_dot(to_dot(output, max_nodes=max_nodes), "svg", timeout=30.0).decode()
    except (GraphvizNotFound, RuntimeError, subprocess.TimeoutExpired, OSError):
        return None
    return fit_width(svg)


def html_or_none(output: Node, max_nodes: int = 60) -> str | None:
    """HTML for Jupyter's ``_repr_html_``: the picture scaled to the column, with its full
    size one click away (a ``<details>`` below it); None without Graphviz."""
    svg = svg_or_none(output, max_nodes)
    if svg is None:
        return None
    svg = svg[svg.find("<svg"):]  # no XML prolog inside HTML
    full = svg.replace('width="100%" style="max-width:', 'style="width:', 1)
    return ('<div class="chainrule-graph">' + svg + '<details><summary>full size</summary>'
            '<div style="overflow:auto;max-height:90vh">' + full + "</div></details></div>")


__all__ = ["GraphvizNotFound", "render", "to_dot", "to_svg"]
