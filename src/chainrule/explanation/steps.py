"""Step-by-step explanations of one forward and one backward pass (``cr.explain``).

An :class:`Explanation` is what a learner writes by hand for the homework, computed from the
rule table that drives the engine: the gate table (each distinct gate and its local
derivative), the forward table (each node, its op, inputs and value) and the backward table
(each edge: upstream gradient, local gradient, contribution upstream x local, and the
gradient accumulated so far at the input), followed by the gradient of every input with
fan-out and zeros explained.

The explanation runs its own backward pass (``accumulate=False``), recording every edge's
contribution through ``backprop``'s ``on_edge`` hook, so no ``.grad`` is changed. All walks
are loops; graphs longer than ``max_steps`` are shown with their first and last steps and a
count of what was left out.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..core import Node, backprop
from ..scalar import FLOAT_MODE, Scalar
from ..tensor import ARRAY_MODE, Tensor

SMALL = 12
"""Arrays with at most this many elements are printed in full; larger ones summarized."""


# -- formatting of values ------------------------------------------------------------------

def fmt(v: Any) -> str:
    """A value as one short line: numbers to 6 significant digits, small arrays in full,
    large arrays as shape and min/mean/max."""
    if isinstance(v, Node):
        v = v.value
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.number)):
        return _num(float(v))
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return _num(float(v))
        if v.size <= SMALL:
            body = np.array2string(v, separator=", ", max_line_width=10_000,
                                   formatter={"float_kind": _short})
            return re.sub(r"\s*\n\s*", " ", body)
        return summary(v)
    return repr(v)


def summary(v: np.ndarray) -> str:
    """``shape (a, b): min .., mean .., max ..`` for a large array."""
    if v.size == 0:
        return f"shape {v.shape}: empty"
    vf = v.astype(np.float64, copy=False)
    return (f"shape {v.shape}: min {_num(float(np.min(vf)))}, mean {_num(float(np.mean(vf)))}"
            f", max {_num(float(np.max(vf)))}")


def _short(x: float) -> str:
    return f"{x:.4g}"


def _num(x: float) -> str:
    if x == 0:
        return "0.0"  # also for -0.0, whose sign is noise to a learner
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return f"{int(x)}.0"
    return f"{x:.6g}"


def _is_zero(v: Any) -> bool:
    if isinstance(v, np.ndarray):
        return v.size > 0 and not np.any(v)
    return v == 0


def _jsonable(v: Any) -> Any:
    if isinstance(v, Node):
        v = v.value
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return float(v)
        if v.size <= SMALL:
            return {"shape": list(v.shape), "values": v.tolist()}
        vf = v.astype(np.float64, copy=False)
        return {"shape": list(v.shape), "min": float(np.min(vf)),
                "mean": float(np.mean(vf)), "max": float(np.max(vf))}
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, np.number):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, (int, float, str)):
        return v
    return repr(v)


# -- the graph, traced once ------------------------------------------------------------------

def forward_order(root: Node) -> list[Node]:
    """Every node reachable from ``root`` (including constant Tensors), inputs first, each
    once: an iterative depth-first post-order, deterministic."""
    order: list[Node] = []
    seen = {id(root)}
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:
        node, i = stack[-1]
        parents = node.parents
        pushed = False
        while i < len(parents):
            p = parents[i]
            i += 1
            if isinstance(p, Node) and id(p) not in seen:
                seen.add(id(p))
                stack[-1] = (node, i)
                stack.append((p, 0))
                pushed = True
                break
        if not pushed:
            stack.pop()
            order.append(node)
    return order


def n_inputs(node: Node) -> int:
    """How many of ``node.parents`` are the op's inputs (the rest are parameters)."""
    prim = node.prim
    if prim is None:
        return 0
    return len(node.parents) - 1 if prim.variadic else prim.n_inputs


def input_symbols(node: Node) -> list[str]:
    """The rule table's names of the op's inputs (``x``, ``y``; ``A``, ``B``; ``xs[0]``)."""
    prim = node.prim
    n = n_inputs(node)
    if prim.variadic:
        return [f"xs[{j}]" for j in range(n)]
    return list(prim.inputs[:n])


def is_input(p: Any) -> bool:
    """Whether a parent is a differentiable graph node (else a constant)."""
    return isinstance(p, Node) and p.needs


class Trace:
    """One graph, named and differentiated once: what explanations and pictures share.

    ``order`` is every node, inputs first; ``names`` maps ``id(node)`` to its user name or a
    generated ``v<k>``; ``edges`` lists ``(node, i, parent, contribution)`` in the order
    the backward pass produced them; ``grads`` maps ``id(node)`` to the total gradient that
    reached it; ``received`` to the list of contributions it received, in order.
    """

    def __init__(self, root: Node, seed: Any = None) -> None:
        if not isinstance(root, Node):
            raise TypeError(f"explain/to_dot: expected a Scalar or a Tensor output, got "
                            f"{type(root).__name__}; build it from cr.Scalar or cr.tensor "
                            f"inputs (requires_grad=True)")
        self.root = root
        self.order = forward_order(root)
        self.names = _names(self.order)
        self.scalar = isinstance(root, Scalar)
        self.edges: list[tuple[Node, int, Node, Any]] = []
        self.grads: dict[int, Any] = {}
        self.received: dict[int, list[Any]] = {}
        self.seed_note = ""
        if not root.needs:
            self.seed = None
            return
        if self.scalar:
            self.seed = 1.0 if seed is None else float(seed)
            mode = FLOAT_MODE
        else:
            if seed is None:
                self.seed = np.ones_like(root.value)
                if root.value.size != 1:
                    self.seed_note = ("the output is not one number: the seed is ones, so "
                                      "the gradients are those of sum(output)")
            else:
                self.seed = np.asarray(seed.value if isinstance(seed, Node) else seed,
                                       dtype=root.value.dtype)
                if self.seed.shape != root.value.shape:
                    raise ValueError(f"explain: seed has shape {self.seed.shape} but the "
                                     f"output has shape {root.value.shape}")
            mode = ARRAY_MODE
        self.grads[id(root)] = self.seed
        backprop(root, self.seed, mode, accumulate=False, on_edge=self._record)

    def _record(self, node: Node, i: int, parent: Node, c: Any) -> None:
        self.edges.append((node, i, parent, c))
        key = id(parent)
        got = self.received.get(key)
        if got is None:
            self.received[key] = [c]
            self.grads[key] = c
        else:
            got.append(c)
            self.grads[key] = self.grads[key] + c

    def name(self, x: Any) -> str:
        """A node's name, or a constant's value."""
        if isinstance(x, Node):
            return self.names[id(x)]
        return fmt(x)

    def kind(self, node: Node) -> str:
        """'output', 'input', 'constant' or 'gate'."""
        if node is self.root:
            return "output"
        if node.prim is None:
            return "input" if node.needs else "constant"
        return "gate" if node.needs else "constant"

    def local(self, node: Node, i: int) -> float:
        """The local derivative d node / d input i, a number (Scalar graphs)."""
        args = [p.value if isinstance(p, Node) else p for p in node.parents]
        vjp = node.prim.vjps[i]
        try:
            return float(vjp(FLOAT_MODE.math, 1.0, node.value, *args))
        except (ZeroDivisionError, ValueError, OverflowError):
            return float(FLOAT_MODE.fallback(vjp, 1.0, node.value, args))


def _names(order: Sequence[Node]) -> dict[int, str]:
    taken = {n.name for n in order if n.name}
    names: dict[int, str] = {}
    k = 0
    for node in order:
        if node.name:
            names[id(node)] = node.name
            continue
        k += 1
        while f"v{k}" in taken:
            k += 1
        names[id(node)] = f"v{k}"
    return names


# -- formulas: the rule table's text with this graph's names ------------------------------------

_IDENT = re.compile(r"(?<![\w.])[A-Za-z_][\w\[\]]*")
_MINUS_ONE = re.compile(r"\((-?\d+(?:\.\d+)?)-1\)")
_POW_ONE = re.compile(r"\*\*1(?![\d.])")


def substitute(text: str, mapping: dict[str, str]) -> str:
    """Replace whole identifiers of ``text`` by ``mapping`` (all at once), then fold
    constant exponents: ``2 * x**(2-1)`` becomes ``2 * x``."""
    if mapping:
        text = _IDENT.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)
    text = _MINUS_ONE.sub(lambda m: _exponent(float(m.group(1)) - 1), text)
    return _POW_ONE.sub("", text)


def _exponent(e: float) -> str:
    s = str(int(e)) if e == int(e) else _num(e)
    return f"({s})" if e < 0 else s


def _scalar_constant(p: Any) -> bool:
    if isinstance(p, Node):
        return False
    if isinstance(p, (int, float, np.number)) and not isinstance(p, bool):
        return True
    return isinstance(p, np.ndarray) and p.ndim == 0


def gate(node: Node) -> tuple[str, list[tuple[int, str, str, str]]]:
    """How a learner writes this gate: ``("1 / x", [(1, "x", "-1/x**2", "g * -1/x**2")])``.

    Scalar constants are written in (``x / y`` with numerator 2 is ``2 / x``); a gate with
    one differentiable input calls it ``x``. Returns the expression and, for each
    differentiable input ``i``: its symbol, its local derivative and its VJP formula.
    """
    prim = node.prim
    syms = input_symbols(node)
    parents = node.parents
    mapping: dict[str, str] = {}
    live = [j for j, s in enumerate(syms) if is_input(parents[j])]
    for j, s in enumerate(syms):
        if _scalar_constant(parents[j]):
            mapping[s] = fmt(parents[j])
    kept = {s for j, s in enumerate(syms) if j not in live and s not in mapping}
    if len(live) == 1 and syms[live[0]] != "x" and "x" not in kept:
        mapping[syms[live[0]]] = "x"
    expr = substitute(prim.expr, mapping) if not prim.variadic else prim.expr
    out = []
    for j in live:
        if prim.vjps[j] is None:
            continue
        sym = mapping.get(syms[j], syms[j])
        deriv = prim.derivs[j] if j < len(prim.derivs) else None
        deriv = substitute(deriv, mapping) if deriv else f"see VJP {prim.vjp_formula(j)}"
        out.append((j, sym, deriv, substitute(prim.vjp_formula(j), mapping)))
    return expr, out


def _node_mapping(trace: Trace, node: Node) -> dict[str, str]:
    """Symbols of the rule table -> this node's actual input names (constants by value)."""
    mapping = {}
    for j, s in enumerate(input_symbols(node)):
        p = node.parents[j]
        if isinstance(p, Node):
            mapping[s] = trace.name(p)
        elif _scalar_constant(p):
            mapping[s] = fmt(p)
    return mapping


def local_formula(trace: Trace, node: Node, i: int) -> str:
    """The local derivative of input ``i`` written with the graph's names: ``cos(v1)``."""
    prim = node.prim
    mapping = _node_mapping(trace, node)
    if i < len(prim.derivs) and not prim.variadic:
        return substitute(prim.derivs[i], mapping)
    return substitute(prim.vjp_formula(i), mapping)


def vjp_formula(trace: Trace, node: Node, i: int) -> str:
    """The VJP of input ``i`` written with the graph's names: ``d x = W.T @ g``."""
    return substitute(node.prim.vjp_formula(i), _node_mapping(trace, node))


def gate_text(expr: str, derivs: Iterable[tuple[int, str, str, str]]) -> tuple[str, str]:
    derivs = list(derivs)
    args = ", ".join(d[1] for d in derivs)
    return (f"f({args}) = {expr}",
            ", ".join(f"df/d{sym} = {d}" for _, sym, d, _ in derivs))


# -- zero gradients -------------------------------------------------------------------------

def _gate_zero_reason(trace: Trace, node: Node, i: int, here: bool) -> str:
    prim = node.prim
    where = "here" if here else f"at {trace.name(node)}"
    x = node.parents[i]
    xv = x.value if isinstance(x, Node) else x
    if prim.zero_reason:
        return prim.zero_reason.format(where=where, x=fmt(xv))
    formula = local_formula(trace, node, i)
    return f"the local gradient of {prim.name} {where} is 0 ({formula} = 0.0)"


def zero_reasons(trace: Trace) -> dict[int, str]:
    """For each node whose whole gradient is 0, why: a gate that is off (relu, a product by
    0), contributions that cancel, or a zero coming from further down the graph."""
    reasons: dict[int, str] = {}
    causes: dict[int, str] = {}  # id -> the root cause, phrased from elsewhere
    zero = {k for k, g in trace.grads.items() if _is_zero(g)}
    if not zero:
        return reasons
    incoming: dict[int, list[tuple[Node, int, Any]]] = {}
    for node, i, parent, c in trace.edges:
        if id(parent) in zero:
            incoming.setdefault(id(parent), []).append((node, i, c))
    for node in reversed(trace.order):
        key = id(node)
        if key not in zero or node is trace.root:
            continue
        edges = incoming.get(key, [])
        parts = [c for _, _, c in edges]
        if any(not _is_zero(c) for c in parts):
            reasons[key] = ("0: the contributions cancel: "
                            + " + ".join(fmt(c) for c in parts) + " = 0")
            causes[key] = f"contributions to {trace.name(node)} cancel"
            continue
        child, i, _ = edges[0]
        if _is_zero(trace.grads.get(id(child), 0)) and child is not trace.root:
            cause = causes.get(id(child), f"{trace.name(child)}'s gradient is 0")
            reasons[key] = f"0 because {cause}, downstream of this node"
            causes[key] = cause
        else:
            reasons[key] = "0 because " + _gate_zero_reason(trace, child, i, here=True)
            causes[key] = _gate_zero_reason(trace, child, i, here=False)
    return reasons


# -- the explanation ------------------------------------------------------------------------

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
                 elided: dict[str, int]) -> None:
        self.title = title
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
        fwd = [[str(r["step"]), r["node"], r["op"], ", ".join(r["inputs"]), fmt(r["value"])]
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

    def text(self) -> str:
        """Aligned plain-text tables, for a terminal."""
        out = [self.title, ""]
        for caption, header, rows in self.tables():
            out.append(caption)
            out.extend(_aligned(header, rows))
            out.append("")
        if self.notes:
            out.append("Notes")
            out.extend(f"  - {n}" for n in self.notes)
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
        out.append("</div>")
        return "\n".join(out)

    def to_dict(self) -> dict:
        """Everything as JSON-serializable data (arrays: shape and values, or shape and
        min/mean/max when large)."""
        return {
            "title": self.title, "engine": "scalar" if self.scalar else "tensor",
            "gates": _jsonable(self.gates), "forward": _jsonable(self.forward),
            "backward": _jsonable(self.backward), "gradients": _jsonable(self.gradients),
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


def _aligned(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [len(h) for h in header]
    for row in rows:
        for k, c in enumerate(row):
            widths[k] = max(widths[k], len(c))

    def line(cells: list[str]) -> str:
        return ("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths))).rstrip()

    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


def _md(s: str) -> str:
    return s.replace("|", "\\|")


def _keep(n: int, max_steps: int) -> tuple[range, range]:
    """Which of ``n`` steps to show: all, or the first and last halves of ``max_steps``."""
    if n <= max_steps:
        return range(n), range(0)
    half = max(1, max_steps // 2)
    return range(half), range(n - half, n)


def explain(output: Scalar | Tensor, *, wrt: Sequence[Node] = (), seed: Any = None,
            max_steps: int = 200) -> Explanation:
    """A step-by-step account of the forward and backward pass that computed ``output``.

    Args:
        output: a Scalar, or a Tensor of any shape (its seed is ones unless ``seed`` is
            given, i.e. the gradients of ``sum(output)``).
        wrt: extra inputs to report in the gradient table, such as one the output does not
            depend on ("0: output does not depend on this input").
        seed: the upstream gradient of the output (a number, or an array of its shape).
        max_steps: at most this many forward steps and backward edges are listed; longer
            graphs show the first and last ``max_steps // 2`` with a count of the rest.

    Returns an :class:`Explanation`; ``print(e)`` shows the tables, ``e.gates``,
    ``e.forward``, ``e.backward``, ``e.gradients`` hold them as dicts. No ``.grad`` is
    changed. Raises TypeError when ``output`` is not a Scalar or Tensor.
    """
    trace = Trace(output, seed)
    scalar = trace.scalar

    gates: dict[tuple, dict] = {}
    for node in trace.order:
        if node.prim is None or not node.needs:
            continue
        # gates with the same op and the same constants are one gate: render it once
        key = (node.prim, tuple(_pattern(p) for p in node.parents[:n_inputs(node)]))
        entry = gates.get(key)
        if entry is None:
            expr, derivs = gate(node)
            head, dtext = gate_text(expr, derivs)
            entry = gates[key] = {
                "op": node.prim.name, "gate": head, "derivative_text": dtext,
                "derivatives": {d[1]: d[2] for d in derivs},
                "vjps": {d[1]: d[3] for d in derivs}, "nodes": []}
        entry["nodes"].append(trace.name(node))

    order = trace.order
    first, last = _keep(len(order), max_steps)
    forward = []
    for k in (*first, *last):
        node = order[k]
        n_in = n_inputs(node)
        params = node.parents[n_in:]
        inputs = [trace.name(p) for p in node.parents[:n_in]]
        op = node.prim.name if node.prim is not None else trace.kind(node)
        if op == "output":
            op = "input"
        if params and node.prim.name not in ("sum_to",):
            shown = _params_text(node, params)
            if shown:
                op += f"({shown})"
        row = {"step": k + 1, "node": trace.name(node), "op": op, "inputs": inputs,
               "value": node.value, "shape": np.shape(node.value)}
        if last and k == last.start:
            row["elided_before"] = True
        forward.append(row)

    step_of: dict[int, int] = {}
    acc: dict[int, Any] = {}
    edges = trace.edges
    e_first, e_last = _keep(len(edges), max_steps)
    keep = set(e_first) | set(e_last)
    backward = []
    for k, (node, i, parent, c) in enumerate(edges):
        step = step_of.setdefault(id(node), len(step_of) + 1)
        pk = id(parent)
        acc[pk] = c if pk not in acc else acc[pk] + c
        if k not in keep:
            continue
        row = {"step": step, "node": trace.name(node), "op": node.prim.name,
               "upstream": trace.grads[id(node)], "input": trace.name(parent),
               "input_index": i, "local_formula": local_formula(trace, node, i),
               "local": trace.local(node, i) if scalar else None,
               "vjp": vjp_formula(trace, node, i), "contribution": c,
               "accumulated": acc[pk]}
        if e_last and k == e_last.start:
            row["elided_before"] = True
        backward.append(row)

    reasons = zero_reasons(trace)
    gradients = []
    notes = [trace.seed_note] if trace.seed_note else []
    if not output.needs:
        notes.append("no input of this Tensor requires grad (requires_grad=True): "
                     "there is no backward pass to show")
    listed = [n for n in order if n.prim is None and n.needs]
    listed += [w for w in wrt if isinstance(w, Node) and all(w is not n for n in listed)]
    for node in listed:
        key = id(node)
        got = trace.received.get(key, [])
        grad = trace.grads.get(key)
        if key not in trace.names:
            how = "0: output does not depend on this input"
            grad = 0.0 if isinstance(node, Scalar) else np.zeros_like(node.value)
            name = node.name or "(unnamed input)"
        else:
            name = trace.name(node)
            how = reasons.get(key) or _contributions_text(got)
        if grad is None:
            grad = 0.0 if isinstance(node, Scalar) else np.zeros_like(node.value)
        gradients.append({"node": name, "value": node.value, "grad": grad,
                          "contributions": got, "how": how})
    for node in order:
        key = id(node)
        got = trace.received.get(key, [])
        if len(got) > 1:
            notes.append(f"{trace.name(node)} {_contributions_text(got)}")
        if node.prim is not None and key in reasons:
            notes.append(f"{trace.name(node)}'s gradient is {reasons[key]}")

    kind = "Scalar" if scalar else f"Tensor of shape {np.shape(output.value)}"
    n_gates = sum(1 for n in order if n.prim is not None)
    title = (f"{trace.name(output)} = {fmt(output.value)}  ({kind}; {len(order)} nodes: "
             f"{len(order) - n_gates} leaves, {n_gates} gates)")
    elided = {"forward": len(order) - len(forward), "backward": len(edges) - len(backward)}
    return Explanation(title=title, scalar=scalar, gates=list(gates.values()),
                       forward=forward, backward=backward, gradients=gradients,
                       notes=notes, elided={k: v for k, v in elided.items() if v})


def _pattern(p: Any) -> Any:
    if is_input(p):
        return "input"
    return fmt(p) if _scalar_constant(p) else "constant"


def _params_text(node: Node, params: tuple) -> str:
    """``axis=(-1,)``: the parameters a reader needs, by name; defaults (every axis, no
    keepdims, the default ord) are left out."""
    names = node.prim.params
    if len(names) != len(params):
        return ", ".join(_param_text(p) for p in params)
    first = node.parents[0]
    ndim = np.ndim(first.value if isinstance(first, Node) else first)
    shown = []
    for name, value in zip(names, params):
        if value is None or value is False:
            continue
        if name == "axis" and isinstance(value, tuple) and len(value) == ndim:
            continue
        shown.append(f"{name}={_param_text(value)}")
    return ", ".join(shown)


def _param_text(p: Any) -> str:
    if isinstance(p, np.ndarray):
        return fmt(p)
    return repr(p)


def _contributions_text(got: list[Any]) -> str:
    if not got:
        return "no contribution"
    if len(got) == 1:
        return "1 contribution"
    total = got[0]
    for c in got[1:]:
        total = total + c
    return (f"receives {len(got)} contributions: " + " + ".join(fmt(c) for c in got)
            + f" = {fmt(total)}")


__all__ = ["Explanation", "explain", "fmt"]
