"""Where a NaN or an infinity came from.

A NaN is passed on by every node after the one that made it, so the first node to show it
in a traceback is rarely the one to fix. Here the culprit is the first node whose value
(forward) or gradient contribution (backward) became non-finite while everything it was
computed from was finite, and the report says why: for ``where(x > 0, sqrt(x), 0)`` at
``x = 0``, "sqrt'(x) at x = 0 is inf, multiplied by upstream gradient 0 from where -> nan".

:func:`detect_anomaly` switches the check on for backward passes (through a flag the core
reads once per pass, so it costs nothing when off); :func:`find_nonfinite` checks the
forward values of a graph already built.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import Node
from ..core.recording import _state
from ..math_namespaces import ARRAY
from .blame import n_inputs, node_label, source_of, trace_sources


class AnomalyError(FloatingPointError):
    """A value or gradient became non-finite. Attributes: ``node`` (the culprit),
    ``op``, ``name``, ``source`` (the line that created it, or None), ``phase``
    ("forward" or "backward"), ``input_index`` (the edge, for backward; else None)."""

    def __init__(self, message: str, *, node: Node, phase: str,
                 input_index: int | None = None) -> None:
        super().__init__(message)
        self.node = node
        self.op = node.prim.name if node.prim is not None else "input"
        self.name = node.name
        self.source = source_of(node)
        self.phase = phase
        self.input_index = input_index


def _raw(x: Any) -> Any:
    return x.value if isinstance(x, Node) else x


def _finite(x: Any) -> bool:
    if type(x) is float:  # the Scalar engine: skip numpy
        return x - x == 0.0
    x = _raw(x)
    if type(x) is float:
        return x - x == 0.0
    if isinstance(x, (bool, int, str, tuple, type(None))):
        return True
    try:
        return bool(np.all(np.isfinite(x)))
    except TypeError:
        return True


def _num(x: Any) -> str:
    return f"{float(x):.6g}"


def _first_bad(a: np.ndarray) -> tuple:
    return tuple(int(k) for k in np.argwhere(~np.isfinite(a))[0]) if a.ndim else ()


def _inputs_at(node: Node, shape: tuple, idx: tuple) -> dict[str, float]:
    """The node's input values at element ``idx`` of a result of ``shape``."""
    prim = node.prim
    names = prim.inputs if not prim.variadic else ()
    out = {}
    for k, p in enumerate(node.parents[: n_inputs(node)]):
        v = np.asarray(_raw(p), dtype=np.float64)
        try:
            v = np.broadcast_to(v, shape)[idx] if shape else v
        except ValueError:
            continue
        if np.size(v) == 1:
            out[names[k] if k < len(names) else f"x{k}"] = float(v)
    return out


def _input_name(node: Node, i: int) -> str:
    names = node.prim.inputs
    return names[i] if i < len(names) and not node.prim.variadic else f"#{i}"


def _where(node: Node) -> str:
    src = source_of(node)
    return f", created at {src}" if src else ""


# -- forward ---------------------------------------------------------------------------------

@dataclass
class NonFiniteReport:
    """The first node whose forward value is non-finite while its inputs are finite:
    ``node``, ``op``, ``name``, ``source``, ``index`` (the first bad element), ``inputs``
    (input values at that element), ``value`` (the bad value), ``reason``."""

    node: Node
    op: str
    name: str | None
    source: str | None
    index: tuple
    inputs: dict[str, float]
    value: float
    reason: str

    def text(self) -> str:
        """One paragraph naming the node, the line that created it and why."""
        return (f"find_nonfinite: {node_label(self.node)} is the first node with a "
                f"non-finite value{_where(self.node)}\n  {self.reason}")

    __str__ = text


def _forward_order(output: Node) -> list[Node]:
    """Every node below ``output`` (needing a gradient or not), inputs before the nodes
    computed from them, parents in order; iterative."""
    order: list[Node] = []
    seen = {id(output)}
    stack: list[tuple[Node, bool]] = [(output, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        stack.append((node, True))
        for p in reversed(node.parents):
            if isinstance(p, Node) and id(p) not in seen:
                seen.add(id(p))
                stack.append((p, False))
    return order


def find_nonfinite(output: Node) -> NonFiniteReport | None:
    """Check the forward values of the graph below ``output`` (a Scalar or Tensor).

    Returns the first node, in forward order, whose value contains NaN or an infinity
    while all of its inputs are finite (an input leaf holding NaN is itself reported),
    or None when every value is finite. Names the element, the input values there and
    the op's domain; the source line is known if the graph was built inside
    ``detect_anomaly`` or ``trace_sources``.
    """
    for node in _forward_order(output):
        value = np.asarray(node.value, dtype=np.float64)
        if np.all(np.isfinite(value)):
            continue
        idx = _first_bad(value)
        bad = float(value[idx])
        prim = node.prim
        if prim is None:
            reason = f"this input already holds {bad} (at element {idx})" if idx else \
                f"this input is {bad}"
            return NonFiniteReport(node, "input", node.name, None, idx, {}, bad, reason)
        if not all(_finite(p) for p in node.parents[: n_inputs(node)]):
            continue
        inputs = _inputs_at(node, value.shape, idx)
        args = ", ".join(f"{k} = {_num(v)}" for k, v in inputs.items())
        kind = "undefined" if np.isnan(bad) else "infinite (overflow or a pole)"
        where = f" at element {idx}" if idx else ""
        reason = (f"{prim.expr} = {bad}{where} with {args or 'finite inputs'}: {kind}; "
                  f"domain of {prim.name}: {prim.domain}")
        return NonFiniteReport(node, prim.name, node.name, source_of(node), idx, inputs,
                               bad, reason)
    return None


# -- backward --------------------------------------------------------------------------------

def _backward_reason(node: Node, i: int, g: Any, senders: list[Node]) -> str:
    prim = node.prim
    args = [np.asarray(_raw(p), dtype=np.float64) if isinstance(_raw(p), (float, np.ndarray))
            else _raw(p) for p in node.parents]
    ans = np.asarray(_raw(node.value), dtype=np.float64)
    g = np.asarray(_raw(g), dtype=np.float64)
    with np.errstate(all="ignore"):
        raw = np.asarray(prim.vjps[i](ARRAY, g, ans, *args), dtype=np.float64)
        idx = _first_bad(raw) if not np.all(np.isfinite(raw)) else ()
        sender = ", ".join(dict.fromkeys(node_label(s) for s in senders)) or "the seed"
        name = prim.inputs[i] if i < len(prim.inputs) else f"x{i}"
        inputs = _inputs_at(node, raw.shape, idx)
        at = ", ".join(f"{k} = {_num(v)}" for k, v in inputs.items())
        where = f" (element {idx})" if idx else ""
        if raw.shape == g.shape:
            local = np.asarray(prim.vjps[i](ARRAY, np.ones_like(g), ans, *args),
                               dtype=np.float64)[idx]
            up = g[idx]
            return (f"{prim.name}'({name}) at {at}{where} is {_num(local)} "
                    f"(d/d{name} {prim.expr} = {prim.derivs[i] if i < len(prim.derivs) else '?'}"
                    f"), multiplied by upstream gradient {_num(up)} from {sender} -> "
                    f"{_num(raw[idx])}")
        bad_ans = ans[~np.isfinite(ans)]
        value_note = f"; its own value is non-finite ({_num(bad_ans[0])})" if bad_ans.size \
            else ""
        return (f"its rule {prim.vjp_formula(i)} gave {_num(raw[idx])}{where} from a finite "
                f"upstream gradient (from {sender}) and finite inputs{value_note}")


def _watch(root: Node, seed: Any, mode: Any, on_edge: Any) -> Any:
    """The core's anomaly hook: check the root's value, then return the ``on_edge``
    callback that checks every contribution as the backward pass goes."""
    if not _finite(root.value):
        report = find_nonfinite(root)
        detail = report.text() if report is not None else "the output is non-finite"
        raise AnomalyError(f"detect_anomaly: backward() from a non-finite output; {detail}",
                           node=report.node if report is not None else root, phase="forward")
    cts: dict[int, Any] = {id(root): _raw(seed)}
    senders: dict[int, list[Node]] = {}

    def edge(node: Node, i: int, parent: Node, c: Any) -> None:
        if on_edge is not None:
            on_edge(node, i, parent, c)
        c = _raw(c)
        g = cts.get(id(node))
        if not _finite(c) and _finite(g):
            inputs_ok = all(_finite(p) for p in node.parents[: n_inputs(node)])
            if inputs_ok:
                why = _backward_reason(node, i, g, senders.get(id(node), []))
                raise AnomalyError(
                    f"detect_anomaly: the gradient became non-finite at "
                    f"{node_label(node)}, input {_input_name(node, i)}{_where(node)}\n"
                    f"  {why}\n  "
                    "(everything it was computed from was finite; nodes after it only pass "
                    "the non-finite value on)", node=node, phase="backward", input_index=i)
            report = find_nonfinite(node)
            if report is not None:
                raise AnomalyError(
                    f"detect_anomaly: the gradient became non-finite at {node_label(node)} "
                    f"because a value it uses was already non-finite in the forward pass; "
                    f"{report.text()}", node=report.node, phase="forward")
        k = id(parent)
        old = cts.get(k)
        if old is None:
            cts[k] = c
        else:
            with np.errstate(all="ignore"):
                total = old + c
            if _finite(old) and _finite(c) and not _finite(total):
                raise AnomalyError(
                    f"detect_anomaly: the gradient of {node_label(parent)}{_where(parent)} "
                    f"became non-finite when its contributions were added: "
                    f"{_num(np.ravel(old)[0])} + {_num(np.ravel(c)[0])} overflow or cancel "
                    "(inf - inf)", node=parent, phase="backward", input_index=None)
            cts[k] = total
        senders.setdefault(k, []).append(node)

    return edge


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Context manager: every backward pass run inside checks each gradient
    contribution as it is computed and raises :class:`AnomalyError` at the first node
    whose contribution is NaN or infinite while its upstream gradient and its inputs
    were finite (the culprit, not the nodes that passed it on), saying why; a backward
    pass from a non-finite output is refused with the forward culprit
    (see :func:`find_nonfinite`). Nodes created inside remember their source line.
    Slower than a normal pass (one finiteness check per edge); off by default."""
    previous = _state.get("anomaly")
    _state["anomaly"] = _watch
    try:
        with trace_sources():
            yield
    finally:
        _state["anomaly"] = previous
