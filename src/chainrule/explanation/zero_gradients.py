"""Why a gradient is zero: a gate that is off (relu, a product by 0), contributions that
cancel, or a zero coming from further down the graph."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Node
from ..formatting import fmt
from .formulas import local_formula
from .trace import Trace


def is_zero(v: Any) -> bool:
    """Whether a gradient is exactly zero (every element, for an array)."""
    if isinstance(v, np.ndarray):
        return v.size > 0 and not np.any(v)
    return v == 0


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
    zero = {k for k, g in trace.grads.items() if is_zero(g)}
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
        if any(not is_zero(c) for c in parts):
            reasons[key] = ("0: the contributions cancel: "
                            + " + ".join(fmt(c) for c in parts) + " = 0")
            causes[key] = f"contributions to {trace.name(node)} cancel"
            continue
        child, i, _ = edges[0]
        if is_zero(trace.grads.get(id(child), 0)) and child is not trace.root:
            cause = causes.get(id(child), f"{trace.name(child)}'s gradient is 0")
            reasons[key] = f"0 because {cause}, downstream of this node"
            causes[key] = cause
        else:
            reasons[key] = "0 because " + _gate_zero_reason(trace, child, i, here=True)
            causes[key] = _gate_zero_reason(trace, child, i, here=False)
    return reasons
