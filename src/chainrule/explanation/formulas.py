"""Gate formulas: the rule table's text written with one graph's names (``cos(v1)``,
``d x = W.T @ g``), constants folded in."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..core import Node, has_rule
from ..formatting import fmt, number
from .trace import Trace, input_symbols, is_input, n_inputs

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
    s = str(int(e)) if e == int(e) else number(e, point=True)
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
    if prim.variadic:
        return _many_inputs_gate(node, live)
    expr = substitute(prim.expr, mapping)
    out = []
    for j in live:
        if not has_rule(prim, j):
            continue
        sym = mapping.get(syms[j], syms[j])
        deriv = prim.derivs[j] if j < len(prim.derivs) else None
        deriv = substitute(deriv, mapping) if deriv else f"see VJP {prim.vjp_formula(j)}"
        out.append((j, sym, deriv, substitute(prim.vjp_formula(j), mapping)))
    return expr, out


def _many_inputs_gate(node: Node, live: list[int]) -> tuple[str, list[tuple[int, str, str,
                                                                           str]]]:
    """A variadic gate (``stack``) is one rule for every input ``xs[i]``, shown once:
    ``stack(5000 inputs)``, so its text does not grow with the number of inputs."""
    prim = node.prim
    n = n_inputs(node)
    expr = f"{prim.name}({n} input{'s' if n != 1 else ''})"
    if not live or not has_rule(prim, live[0]):
        return expr, []
    return expr, [(live[0], "xs[i]", prim.derivs[0] if prim.derivs else
                   f"see VJP {prim.vjp_formula(0)}", prim.vjp_formula(0))]


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
    if prim.variadic:
        return prim.vjp_formula(0)
    mapping = _node_mapping(trace, node)
    if i < len(prim.derivs):
        return substitute(prim.derivs[i], mapping)
    return substitute(prim.vjp_formula(i), mapping)


def vjp_formula(trace: Trace, node: Node, i: int) -> str:
    """The VJP of input ``i`` written with the graph's names: ``d x = W.T @ g``."""
    prim = node.prim
    if prim.variadic:   # one rule for every input: a node of n inputs costs O(n), not O(n^2)
        return prim.vjp_formula(0)
    return substitute(prim.vjp_formula(i), _node_mapping(trace, node))


def gate_text(expr: str, derivs: Iterable[tuple[int, str, str, str]]) -> tuple[str, str]:
    derivs = list(derivs)
    args = ", ".join(d[1] for d in derivs)
    return (f"f({args}) = {expr}",
            ", ".join(f"df/d{sym} = {d}" for _, sym, d, _ in derivs))
