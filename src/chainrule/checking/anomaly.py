"""Where a NaN or an infinity came from.

A NaN is passed on by every node after the one that made it, so the first node to show it
in a traceback is rarely the one to fix. Here the culprit is the first node whose value
(forward) or gradient contribution (backward) became non-finite while everything it was
computed from was finite, and the report says why: for ``where(x > 0, sqrt(x), 0)`` at
``x = 0``, "sqrt'(x) at x = 0 is inf, multiplied by upstream gradient 0 from where -> nan".

:func:`detect_anomaly` makes every backward pass report to an observer that checks each
node's upstream gradient and each edge's contribution (the core reads the flag once per
pass, so it costs nothing when off); :func:`find_nonfinite` checks the forward values of a
graph already built.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import Node, Observer, observe_passes, vjp, walk
from ..formatting import number
from ..tensor import ARRAY_MODE
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


_num = number


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


def find_nonfinite(output: Node) -> NonFiniteReport | None:
    """Check the forward values of the graph below ``output`` (a Scalar or Tensor).

    Returns the first node, in forward order, whose value contains NaN or an infinity
    while all of its inputs are finite (an input leaf holding NaN is itself reported),
    or None when every value is finite. Names the element, the input values there and
    the op's domain; the source line is known if the graph was built inside
    ``detect_anomaly`` or ``trace_sources``. Raises TypeError when ``output`` is not a
    Scalar or Tensor.
    """
    if not isinstance(output, Node):
        raise TypeError(f"find_nonfinite: expected a Scalar or Tensor, got "
                        f"{type(output).__name__}")
    for node in walk(output, every=True):
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
        raw = np.asarray(vjp(prim, i, g, ans, args, ARRAY_MODE), dtype=np.float64)
        idx = _first_bad(raw) if not np.all(np.isfinite(raw)) else ()
        sender = ", ".join(dict.fromkeys(node_label(s) for s in senders)) or "the seed"
        name = prim.inputs[i] if i < len(prim.inputs) else f"x{i}"
        inputs = _inputs_at(node, raw.shape, idx)
        at = ", ".join(f"{k} = {_num(v)}" for k, v in inputs.items())
        where = f" (element {idx})" if idx else ""
        if raw.shape == g.shape:
            local = np.asarray(vjp(prim, i, np.ones_like(g), ans, args, ARRAY_MODE),
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


class _Watch(Observer):
    """The observer ``detect_anomaly`` puts on every backward pass: it refuses a
    non-finite output and raises at the first node whose contribution, or whose sum of
    finite contributions, is non-finite while everything it came from was finite."""

    def __init__(self, root: Node) -> None:
        if not _finite(root.value):
            report = find_nonfinite(root)
            detail = report.text() if report is not None else "the output is non-finite"
            raise AnomalyError(f"detect_anomaly: backward() from a non-finite output; "
                               f"{detail}", node=report.node if report is not None else root,
                               phase="forward")
        self.g: Any = None
        # per receiving node: the nodes that sent to it, and its contributions while all
        # are finite (to name the addition that overflowed); dropped when it is reached
        self.senders: dict[int, list[Node]] = {}
        self.parts: dict[int, list[Any] | None] = {}

    def node(self, node: Node, g: Any) -> None:
        self.g = g = _raw(g)
        parts = self.parts.pop(id(node), None)
        if parts and len(parts) > 1 and not _finite(g):
            raise AnomalyError(
                f"detect_anomaly: the gradient of {node_label(node)}{_where(node)} became "
                f"non-finite when its contributions were added: "
                + " + ".join(_num(np.ravel(c)[0]) for c in parts)
                + " overflow or cancel (inf - inf)", node=node, phase="backward",
                input_index=None)

    def edge(self, node: Node, i: int, parent: Node, c: Any) -> None:
        c = _raw(c)
        if not _finite(c) and _finite(self.g):
            if all(_finite(p) for p in node.parents[: n_inputs(node)]):
                why = _backward_reason(node, i, self.g, self.senders.get(id(node), []))
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
        self.senders.setdefault(k, []).append(node)
        parts = self.parts.setdefault(k, [])
        if parts is not None:
            if _finite(c):
                parts.append(c)
            else:
                self.parts[k] = None


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Context manager: every backward pass run inside checks each gradient
    contribution as it is computed and raises :class:`AnomalyError` at the first node
    whose contribution is NaN or infinite while its upstream gradient and its inputs
    were finite (the culprit, not the nodes that passed it on), saying why; a backward
    pass from a non-finite output is refused with the forward culprit
    (see :func:`find_nonfinite`). Nodes created inside remember their source line.
    Slower than a normal pass (one finiteness check per edge); off by default."""
    with observe_passes(_Watch), trace_sources():
        yield
