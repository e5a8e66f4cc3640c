"""Which gate is wrong: replay a graph node by node against each node's own forward.

A whole-function gradient check says *that* a gradient is wrong. Because reverse mode is
the chain rule applied gate by gate, a wrong gradient means some gate's rule disagrees with
its own forward (or the function did work the graph did not record). :func:`blame` finds
that gate: for every node, in forward order, it compares the node's VJP with a central
difference of the node's own ``array_fn`` at the inputs recorded in the graph, and names
the first node that disagrees, with the source line that created it.

Source lines cost a frame walk per node, so they are recorded only inside
:func:`trace_sources` (which :func:`blame` and ``detect_anomaly`` turn on themselves);
outside it node creation is untouched.
"""

from __future__ import annotations

import linecache
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import Node, has_rule, on_create, vjp, walk
from ..formatting import number as fmt_number
from ..math_namespaces import sum_to_shape
from ..tensor import ARRAY_MODE, Tensor, as_array
from .numeric import Slopes, slopes
from .report_html import report_html

# -- source lines ---------------------------------------------------------------------------

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__))
_sources: dict[int, tuple[weakref.ref, str, int]] = {}
_short_paths: dict[str, str] = {}


def _remember(node: Node) -> None:
    """Record the innermost frame outside chainrule and numpy; formatted only when asked."""
    frame: Any = sys._getframe(1)
    while frame is not None:
        path = frame.f_code.co_filename
        if not (path.startswith(_PACKAGE_DIR) or path.startswith(_NUMPY_DIR)):
            key = id(node)
            forget: Any = lambda _r, k=key: _sources.pop(k, None)
            _sources[key] = (weakref.ref(node, forget),
                             path, frame.f_lineno)
            return
        frame = frame.f_back


def _short(path: str) -> str:
    short = _short_paths.get(path)
    if short is None:
        short = path if path.startswith("<") else os.path.relpath(path)
        if short.startswith(".."):
            short = path
        _short_paths[path] = short
    return short


def source_of(node: Node) -> str | None:
    """The source line (``file:line: code``) that created ``node``, if it was created
    inside :func:`trace_sources` (or ``detect_anomaly``); None otherwise."""
    entry = _sources.get(id(node))
    if entry is None or entry[0]() is not node:
        return None
    _, path, line = entry
    code = linecache.getline(path, line).strip()
    return f"{_short(path)}:{line}: {code}" if code else f"{_short(path)}:{line}"


@contextmanager
def trace_sources() -> Iterator[None]:
    """Context manager: every graph node created inside remembers the line of user code
    that created it (see :func:`source_of`). Costs a frame walk per node, so it is off
    by default; nesting is allowed."""
    with on_create(_remember):
        yield


# -- replaying one gate ----------------------------------------------------------------------

def n_inputs(node: Node) -> int:
    """How many of ``node.parents`` are the op's inputs (the rest are parameters)."""
    prim = node.prim
    return len(node.parents) - 1 if prim.variadic else prim.n_inputs


def node_label(node: Node, number: int | None = None) -> str:
    """``'s' (sigmoid)`` for a named node, ``sigmoid node #3`` otherwise."""
    op = node.prim.name if node.prim is not None else "input"
    if node.name:
        return f"{node.name!r} ({op})"
    return f"{op} node #{number}" if number is not None else f"{op} node"


def _f64(v: Any) -> Any:
    if isinstance(v, (float, np.floating)) or (isinstance(v, np.ndarray) and v.dtype.kind == "f"):
        return np.asarray(v, dtype=np.float64)
    return v


def _show(x: Any) -> str:
    a = np.asarray(x, dtype=np.float64)
    if a.size == 1:
        return fmt_number(a.item(), 10)
    if a.size <= 12:
        return np.array2string(a.ravel() if a.ndim > 2 else a, precision=6,
                               separator=", ").replace("\n", "")
    return (f"array of shape {a.shape} (min {fmt_number(a.min(), 4)}, "
            f"mean {fmt_number(a.mean(), 4)}, max {fmt_number(a.max(), 4)})")


@dataclass
class GateCheck:
    """The comparison of one edge of one gate: ``got`` (its rule, J^T u) against
    ``expected`` (central difference of its forward), for the cotangent ``u``."""

    node: Node
    number: int
    input_index: int
    expected: np.ndarray
    got: np.ndarray
    at: dict[str, Any]
    ok: bool
    kink: bool = False
    ones: bool = False


def check_gate(node: Node, i: int, *, number: int = 0, eps: float = 1e-6,
               atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0,
               ones: bool = False) -> GateCheck:
    """Compare the VJP of input ``i`` of ``node`` with a central difference of the node's
    own ``array_fn`` at the recorded inputs (float64). Inputs and outputs of any shape;
    ``expected``/``got`` are the local derivative for one-element inputs and outputs,
    else ``J^T u`` for a random cotangent ``u`` (shape of the output), or for ``u`` = 1
    everywhere with ``ones`` (each element's local derivative, for an elementwise op)."""
    prim = node.prim
    args = [_f64(p.value if isinstance(p, Node) else p) for p in node.parents]
    ans = np.asarray(prim.array_fn(*args), dtype=np.float64)
    x = args[i]
    rng = np.random.default_rng(seed)
    u = np.ones(ans.shape) if ones or ans.size == 1 else rng.standard_normal(ans.shape)
    raw = vjp(prim, i, u, ans, args, ARRAY_MODE)
    got = sum_to_shape(np.asarray(raw, dtype=np.float64), np.shape(x), 0) \
        if np.shape(raw) != np.shape(x) else np.asarray(raw, dtype=np.float64)

    def directional(v: np.ndarray, h: float) -> Slopes:
        def at(t: float) -> float:
            bumped = list(args)
            bumped[i] = x + t * v
            return float(np.vdot(u, np.asarray(prim.array_fn(*bumped), dtype=np.float64)))
        return slopes(at, h)

    size = int(np.size(x))
    if size <= 16:
        # small input: every element, so expected and got can be shown side by side
        expected = np.zeros(np.shape(x))
        kink = False
        for idx in np.ndindex(np.shape(x)):
            e = np.zeros(np.shape(x))
            e[idx] = 1.0
            s = directional(e, eps)
            expected[idx] = s.central
            kink = kink or _is_kink(directional, e, s, eps)
        bad = np.abs(got - expected) > atol + rtol * np.abs(expected)
        ok = not bool(np.any(bad))
    else:
        v = rng.standard_normal(np.shape(x))
        s = directional(v, eps)
        expected = np.asarray(s.central)
        analytic = float(np.vdot(got, v))
        ok = abs(analytic - s.central) <= atol + rtol * abs(s.central)
        kink = _is_kink(directional, v, s, eps)
        got = np.asarray(analytic)
    names = prim.inputs if not prim.variadic else tuple(f"xs[{k}]" for k in range(len(args) - 1))
    at = {names[k] if k < len(names) else f"x{k}": args[k] for k in range(n_inputs(node))}
    return GateCheck(node, number, i, np.asarray(expected), np.asarray(got), at, ok,
                     kink and not ok, ones or ans.size == 1)


def _is_kink(directional: Callable, v: np.ndarray, s: Slopes, eps: float) -> bool:
    """One-sided slopes that differ by a jump that does not shrink with the step: the
    op is not differentiable here, so any convention (relu'(0) = 0...) is acceptable."""
    jump = abs(s.forward - s.backward)
    if jump <= max(1e-3, 1e-3 * (abs(s.forward) + abs(s.backward))):
        return False
    finer = directional(v, eps / 100)
    return abs(finer.forward - finer.backward) > 0.5 * jump


# -- the report -----------------------------------------------------------------------------

@dataclass
class BlameReport:
    """The first gate whose rule disagrees with its own forward.

    ``node`` (the graph node), ``op``, ``name`` (the node's name or None), ``number`` (its
    position in forward order), ``input_index``/``input_name`` (which edge), ``source``
    (the line that created it, or None), ``rule`` (its derivative as text), ``at``
    (input values), ``expected`` (central difference of the op's forward) and ``got``
    (what its rule gave), ``checked`` (edges that agreed before it), ``skipped``
    (edges not judged because the op is not differentiable at that point).
    """

    node: Node
    op: str
    name: str | None
    number: int
    input_index: int
    input_name: str
    source: str | None
    rule: str
    at: dict[str, Any]
    expected: np.ndarray
    got: np.ndarray
    checked: int
    skipped: list[str] = field(default_factory=list)
    ones: bool = False

    def __repr__(self) -> str:
        return (f"<BlameReport: first wrong gate {node_label(self.node, self.number)}, "
                f"input {self.input_name}>")

    def _repr_html_(self) -> str:
        return report_html(f"wrong gate: {node_label(self.node, self.number)}, input "
                           f"{self.input_name}", False, self.text())

    def text(self) -> str:
        """A plain-text account, one fact per line."""
        label = node_label(self.node, self.number)
        one = self.expected.size == 1 and all(np.size(v) == 1 for v in self.at.values())
        what = ("local derivative" if one else "upstream 1 per element" if self.ones
                else "J^T u for a random cotangent u")
        diff = np.max(np.abs(self.got - self.expected))
        rel = diff / max(float(np.max(np.abs(self.expected))), 1e-300)
        lines = [f"blame: the first wrong gate is {label}, "
                 f"input {self.input_name} (edge {self.input_index})",
                 f"  created at {self.source or '(unknown: not traced)'}",
                 f"  its rule:  {self.rule}",
                 "  at " + ", ".join(f"{k} = {_show(v)}" for k, v in self.at.items()),
                 f"  {what}: expected {_show(self.expected)} (central difference of "
                 f"{self.op}'s own forward)",
                 f"  {' ' * len(what)}  got      {_show(self.got)} (its rule)",
                 f"  off by {diff:.3g} ({rel:.3g} relative)",
                 f"  the {self.checked} edge(s) checked before it agree with their forwards"]
        if self.skipped:
            lines.append("  not judged (not differentiable there): " + "; ".join(self.skipped))
        return "\n".join(lines)

    __str__ = text


def blame_graph(output: Node, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                seed: int = 0) -> BlameReport | None:
    """Replay the graph below ``output`` (a Scalar or Tensor) gate by gate in forward
    order; the first edge whose rule disagrees with its op's own forward, or None."""
    order = [n for n in walk(output) if n.prim is not None]
    checked = 0
    skipped: list[str] = []
    for number, node in enumerate(order, 1):
        for i, p in enumerate(node.parents[: n_inputs(node)]):
            if not (isinstance(p, Node) and p.needs) or not has_rule(node.prim, i):
                continue
            gate = check_gate(node, i, number=number, eps=eps, atol=atol, rtol=rtol,
                              seed=seed + number)
            if gate.kink:
                skipped.append(f"{node_label(node, number)} at "
                               + ", ".join(f"{k} = {_show(v)}" for k, v in gate.at.items()))
                continue
            if gate.ok:
                checked += 1
                continue
            if np.shape(node.value) == np.shape(p.value):
                # same shape in and out: show each element's local derivative if that
                # also exposes the error (it does for every elementwise gate)
                plain = check_gate(node, i, number=number, eps=eps, atol=atol, rtol=rtol,
                                   ones=True)
                if not plain.ok:
                    gate = plain
            prim = node.prim
            names = prim.inputs
            return BlameReport(
                node=node, op=prim.name, name=node.name, number=number, input_index=i,
                input_name=names[i] if i < len(names) else f"xs[{i}]",
                source=source_of(node), rule=prim.rule(min(i, len(names) - 1)),
                at=gate.at, expected=gate.expected, got=gate.got, checked=checked,
                skipped=skipped, ones=gate.ones)
    return None


def blame(f: Callable[..., Any] | Node, *args: Any, eps: float = 1e-6, atol: float = 1e-5,
          rtol: float = 1e-3, seed: int = 0) -> BlameReport | None:
    """Find the first gate of ``f`` whose derivative rule is wrong.

    ``f`` takes Tensors (one per argument, as for :func:`gradcheck`) and returns a Tensor
    of any shape; it is run once at ``args`` (converted to float64 arrays) with source
    lines traced. Alternatively pass an already-built output node (Scalar or Tensor) as
    ``f`` and no ``args``; its source lines are known only if it was built inside
    :func:`trace_sources`. Every edge is compared with a central difference (step
    ``eps``) of its op's forward at the recorded inputs, passing when
    ``|rule - numeric| <= atol + rtol * |numeric|``. Edges at points where the op is not
    differentiable (relu at 0...) are not judged. Returns the first wrong edge as a
    :class:`BlameReport`, or None when every rule agrees with its forward.
    """
    if isinstance(f, Node):
        if args:
            raise TypeError("blame(output): give either a built output node alone, or a "
                            "function and its arguments")
        return blame_graph(f, eps=eps, atol=atol, rtol=rtol, seed=seed)
    leaves = [Tensor(np.array(as_array(a), dtype=np.float64), requires_grad=True)
              for a in args]
    with trace_sources():
        y = f(*leaves)
    if not isinstance(y, Node):
        return None
    return blame_graph(y, eps=eps, atol=atol, rtol=rtol, seed=seed)
