"""Step-by-step explanations of one forward and one backward pass (``cr.explain``).

An :class:`Explanation` is what a learner writes by hand for the homework, computed from the
rule table that drives the engine: the gate table (each distinct gate and its local
derivative), the forward table (each node, its op, inputs and value) and the backward table
(each edge: upstream gradient, local gradient, contribution upstream x local, and the
gradient accumulated so far at the input), followed by the gradient of every input with
fan-out and zeros explained.

The explanation observes one backward pass of the core (:class:`~.trace.Trace`), which
reports each node's complete upstream gradient and each edge's contribution; no ``.grad``
is changed. All walks are loops; graphs longer than ``max_steps`` are shown with their
first and last steps and a count of what was left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Node
from ..formatting import fmt
from ..scalar import Scalar
from ..tensor import Tensor
from .formulas import _scalar_constant, gate, gate_text, local_formula, vjp_formula
from .page import build as build_page
from .render import Explanation
from .tangents import TangentTable, explain_forward
from .trace import Trace, is_input, n_inputs
from .zero_gradients import zero_reasons


def _keep(n: int, max_steps: int) -> tuple[range, range]:
    """Which of ``n`` steps to show: all, or the first and last halves of ``max_steps``."""
    if n <= max_steps:
        return range(n), range(0)
    half = max(1, max_steps // 2)
    return range(half), range(n - half, n)


def explain(output: Scalar | Tensor, *, wrt: Any = (), seed: Any = None,
            max_steps: int = 200, mode: str = "reverse") -> Explanation | TangentTable:
    """A step-by-step account of the forward and backward pass that computed ``output``.

    Args:
        output: a Scalar, or a Tensor of any shape (its seed is ones unless ``seed`` is
            given, i.e. the gradients of ``sum(output)``).
        wrt: extra inputs to report in the gradient table, such as one the output does not
            depend on ("0: output does not depend on this input").
        seed: the upstream gradient of the output (a number, or an array of its shape).
        max_steps: at most this many forward steps and backward edges are listed; longer
            graphs show the first and last ``max_steps // 2`` with a count of the rest.
        mode: ``"reverse"`` (the default: the tables above) or ``"forward"``: the tangent
            table (:class:`~.tangents.TangentTable`), each node's value and its derivative
            with respect to the one input ``wrt`` (its name, ``"x1"``, or the node), step
            by step; ``seed`` is then that input's tangent (default 1, or ones).

    Returns an :class:`Explanation`; ``print(e)`` shows the tables, ``e.gates``,
    ``e.forward``, ``e.backward``, ``e.gradients`` hold them as dicts. No ``.grad`` is
    changed. Raises TypeError when ``output`` is not a Scalar or Tensor, ValueError for
    another ``mode`` or, in forward mode, a ``wrt`` that is not an input of the graph.
    """
    if mode == "forward":
        return explain_forward(output, wrt, seed)
    if mode != "reverse":
        raise ValueError(f"explain: mode must be 'reverse' or 'forward', got {mode!r}")
    trace = Trace(output, seed)
    scalar = trace.scalar

    gates: dict[tuple, dict] = {}
    for node in trace.order:
        if node.prim is None or not node.needs:
            continue
        # gates with the same op and the same constants are one gate: render it once
        pattern = (node.prim, tuple(_pattern(p) for p in node.parents[:n_inputs(node)]))
        entry = gates.get(pattern)
        if entry is None:
            expr, derivs = gate(node)
            head, dtext = gate_text(expr, derivs)
            entry = gates[pattern] = {
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
    n_leaves = len(order) - n_gates
    title = (f"{trace.name(output)} = {fmt(output.value)}  ({kind}; "
             f"{_count(len(order), 'node')}: {_count(n_leaves, 'leaf', 'leaves')}, "
             f"{_count(n_gates, 'gate')})")
    elided = {"forward": len(order) - len(forward), "backward": len(edges) - len(backward)}
    return Explanation(title=title, scalar=scalar, gates=list(gates.values()),
                       forward=forward, backward=backward, gradients=gradients,
                       notes=notes, elided={k: v for k, v in elided.items() if v},
                       trace=trace, pager=build_page)


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


def _count(n: int, one: str, many: str = "") -> str:
    """``1 node``, ``2 nodes``; ``1 leaf``, ``3 leaves``."""
    return f"{n} {one}" if n == 1 else f"{n} {many or one + 's'}"


def _contributions_text(got: list[Any]) -> str:
    if not got:
        return "no contribution"
    if len(got) == 1:
        return "1 contribution"
    total = got[0]
    for c in got[1:]:
        total = total + c
    terms = fmt(got[0]) + "".join(
        f" - {fmt(-c)}" if np.ndim(c) == 0 and float(c) < 0 else f" + {fmt(c)}"
        for c in got[1:])
    return f"receives {len(got)} contributions: {terms} = {fmt(total)}"


__all__ = ["Explanation", "explain", "fmt"]
