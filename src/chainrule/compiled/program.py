"""A trace turned into a program: one straight-line Python function of numpy calls.

The forward is every recorded op's own ``array_fn`` in the order recorded; the backward is
the rule table's VJPs on ndarrays, in exactly the order the eager backward pass calls them
(the same child-count walk, simulated once over the trace), each contribution summed to
its input's shape and dtype as the eager pass does, and added in the same order. So the
same numpy calls run on the same arrays and the results are identical, bit for bit.

Every value lives in a local variable of the generated function: inputs ``a0, a1, ...``,
op results ``v0, v1, ...``, cotangents ``g_v3``; the functions and constants are bound in
its namespace (``f3`` is op 3's forward, ``r3_0`` its rule for input 0, ``K2`` a
constant). Nothing is recorded and no graph object exists while it runs. Ops whose results
reach neither an output nor the backward pass are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import Node
from ..math_namespaces import ARRAY, sum_to_shape
from ..tensor import ARRAY_MODE, Tensor
from .tracing import NO_GRADIENT, ConcretizationError

_ndarray = np.ndarray


@dataclass
class _Edge:
    """One backward edge: input ``i`` of ``node`` receives a contribution."""
    node: Tensor
    i: int
    parent: Tensor
    first: bool                       # the parent's first contribution (else added)
    fix: tuple[bool, bool, bool] = (True, True, True)   # asarray, sum_to, astype


@dataclass
class _Program:
    source: str
    namespace: dict[str, Any] = field(default_factory=dict)


def _inputs(node: Tensor) -> int:
    """How many of ``node``'s parents are inputs (the rest are parameters)."""
    prim = node.prim
    return len(node.parents) - 1 if prim.variadic else prim.n_inputs


class Program:
    """A traced function compiled to straight-line numpy code.

    ``program(*inputs)`` takes the arrays of the trace's inputs in order and returns a
    tuple: the forward outputs asked for, then the gradients asked for, or what ``pack``
    makes of their expressions (the caller's structure, built by the generated code).
    ``source`` is the generated code (print it to see the schedule); ``steps`` lists the
    forward ops kept.
    """

    def __init__(self, inputs: Sequence[Any], nodes: Sequence[Tensor], outputs: Sequence[Any],
                 root: Any = None, wanted: Sequence[Tensor] = (),
                 pack: Callable[[list[str], Program], str] | None = None) -> None:
        self._pack = pack
        self._names: dict[int, str] = {}
        self._consts: dict[int, str] = {}
        self.namespace: dict[str, Any] = {"M": ARRAY, "asarray": np.asarray,
                                          "ones_like": np.ones_like, "zeros": np.zeros,
                                          "sum_to_shape": sum_to_shape}
        self.n_inputs = len(inputs)
        for j, x in enumerate(inputs):
            self._name(x, f"a{j}")
        for k, node in enumerate(nodes):
            self._name(node, f"v{k}")
        self._nodes = list(nodes)
        self._wanted = list(wanted)
        self._root = root
        self._reached: set[int] = set()
        self.edges = self._backward_edges(root, wanted) if root is not None else []
        self._outputs = list(outputs)
        self._args = {id(node): [self._expr(p, node, i >= _inputs(node)) for i, p in
                                 enumerate(node.parents)] for node in nodes}
        self._foldable = self._constant_edges(root)
        self._folded: dict[int, Any] = {}
        self._kept = self._live()
        probe = self._compile(probing=True)
        self._probe_fixes: dict[int, tuple[bool, bool, bool]] = {}
        self._wraps: set[int] = set()
        self.namespace["A"] = self._probe_forward
        self.namespace["S"] = self._probe_edge
        probed = probe(*[x.value if isinstance(x, Tensor) else x for x in inputs])
        # eager mode hands gradients out through np.asarray (a sum of 0-d arrays is a
        # numpy scalar)
        first = len(self._outputs)
        self._scalar_grads = {k for k in range(len(self._wanted))
                              if type(probed[first + k]) is not _ndarray}
        for k, e in enumerate(self.edges):
            e.fix = self._probe_fixes.get(k, (False, False, False))
        self._kept = self._live()           # without what only folded edges read
        self.run = self._compile(probing=False)
        # keep no part of the trace: its arrays (the first call's) would live as long as
        # the program
        self.steps: list[str] = [node.prim.name for node in self._kept]
        self.reached = frozenset(self._reached)
        del self._nodes, self._kept, self._outputs, self._wanted, self._root, self._args
        del self.edges, self._pack, self._reached, self._folded

    # -- names and expressions ----------------------------------------------------------
    def _name(self, x: Any, name: str) -> None:
        self._names[id(x)] = name
        value = x.value if isinstance(x, Tensor) else x
        self._names.setdefault(id(value), name)

    def constant(self, value: Any) -> str:
        """The name under which the generated code sees ``value``."""
        return self._const(value)

    def _const(self, value: Any) -> str:
        key = id(value)
        if key not in self._consts:
            self._consts[key] = name = f"K{len(self._consts)}"
            self.namespace[name] = value
        return self._consts[key]

    def _expr(self, p: Any, node: Tensor, param: bool = True) -> str:
        """The expression of parent ``p`` of ``node``: a variable, a constant, or (for a
        parameter holding a traced array, such as an index) the variable inside it."""
        if isinstance(p, Node):
            if id(p) in self._names:
                return self._names[id(p)]
            return self._const(p) + ".value"      # closed over: read at each call
        if id(p) in self._names:
            if param and isinstance(p, _ndarray) and p.dtype == np.bool_ and p.ndim \
                    and self._names[id(p)].startswith("v"):
                raise ConcretizationError(
                    f"{node.prim.name}: a boolean mask computed from the traced inputs (as "
                    "in x[x > 0]) gives a result whose shape depends on the values, so it "
                    "cannot be replayed; use cr.where(mask, x, 0) instead")
            return self._names[id(p)]
        if type(p) in (tuple, list):
            parts = [self._expr(q, node, param) for q in p]
            if any(not part.startswith("K") for part in parts):
                inner = ", ".join(parts) + ("," if len(parts) == 1 else "")
                return f"({inner})" if type(p) is tuple else f"[{inner}]"
        return self._const(p)

    # -- the backward schedule ------------------------------------------------------------
    def _backward_edges(self, root: Any, wanted: Sequence[Tensor]) -> list[_Edge]:
        """The edges of the eager backward pass from ``root`` to ``wanted``, in its order:
        the same child-count walk as ``core.backward._pass``, over the trace, with the
        ``needs`` flags eager mode would have set (only ``wanted`` inputs need a gradient;
        ops without a gradient and constants do not)."""
        stop = {id(w) for w in wanted}
        needs: dict[int, bool] = {id(w): True for w in wanted}
        for node in self._nodes:
            needs[id(node)] = node.prim not in NO_GRADIENT and any(
                needs.get(id(p), False) for p in node.parents if isinstance(p, Node))
        self._reached = set()
        if not needs.get(id(root), False):
            return []

        def parents_needing(node: Tensor) -> list[tuple[int, Any]]:
            return [(i, p) for i, p in enumerate(node.parents)
                    if isinstance(p, Node) and needs.get(id(p), False)]

        pending: dict[int, int] = {id(root): 0}
        found = [root]
        for node in found:                  # _discover
            if id(node) in stop:
                continue
            for _, p in parents_needing(node):
                if not pending.get(id(p)):
                    found.append(p)
                    pending[id(p)] = 0
                pending[id(p)] += 1
        edges: list[_Edge] = []
        has = {id(root)}
        ready = [root]
        while ready:                        # _pass
            node = ready.pop()
            got = id(node) in has
            if id(node) in stop or node.prim is None:
                continue
            rules = node.prim.vjps
            for i, p in parents_needing(node):
                if got and rules[i] is not None:
                    edges.append(_Edge(node, i, p, id(p) not in has))
                    has.add(id(p))
                pending[id(p)] -= 1
                if not pending[id(p)]:
                    ready.append(p)
        self._reached = has
        return edges

    def _constant_edges(self, root: Any) -> set[int]:
        """The edges whose contribution is the same at every call: a VJP that reads only
        the shapes of its arguments (``shapes_only``, as sum's) given a constant cotangent
        (the seed, or the one contribution such an edge made). The probe run computes
        them; the program copies them (each call hands out fresh arrays, as eager mode)."""
        constant = {id(root)}
        edges = set()
        for n, e in enumerate(self.edges):
            fold = id(e.node) in constant and not e.node.prim.variadic and getattr(
                e.node.prim.vjps[e.i], "shapes_only", False)
            if fold:
                edges.add(n)
            if fold and e.first:
                constant.add(id(e.parent))
            else:               # a contribution computed at each call, or added to one
                constant.discard(id(e.parent))
        return edges

    def _live(self) -> list[Tensor]:
        """The forward ops whose results are used: by an output, by the backward pass
        (its inputs and results) or by another kept op."""
        used: set[str] = set()

        def use(expr: str) -> None:
            for token in expr.replace("(", " ").replace(")", " ").replace(",", " ") \
                             .replace("[", " ").replace("]", " ").split():
                used.add(token.split(".")[0])

        for out in self._outputs:
            if id(out) in self._names:
                use(self._names[id(out)])
        for n, e in enumerate(self.edges):
            if n in self._folded:
                continue
            use(self._names[id(e.node)])
            for a in self._args[id(e.node)]:
                use(a)
        if self._root is not None and id(self._root) in self._names:
            use(self._names[id(self._root)])
        kept = []
        for node in reversed(self._nodes):
            if self._names[id(node)] in used:
                kept.append(node)
                for a in self._args[id(node)]:
                    use(a)
        kept.reverse()
        return kept

    # -- code generation ------------------------------------------------------------------
    def _compile(self, probing: bool) -> Any:
        ns = self.namespace
        lines = [f"def program({', '.join(f'a{j}' for j in range(self.n_inputs))}):"]
        for node in self._kept:
            k = self._names[id(node)][1:]
            ns[f"f{k}"] = node.prim.array_fn
            call = f"f{k}({', '.join(self._args[id(node)])})"
            if probing:
                call = f"A({k}, {call})"
            elif int(k) in self._wraps:
                call = f"asarray({call})"
            lines.append(f"    v{k} = {call}")
        root = self._names.get(id(self._root)) if self._root is not None else None
        from_root = [n for n, e in enumerate(self.edges) if e.node is self._root]
        if root is not None and id(self._root) in self._reached and (
                not from_root or any(n not in self._folded for n in from_root)):
            # eager mode seeds with ones_like(y) on each pass: the same ones, made once
            # (read-only, so that no caller can change them through a gradient that is a
            # view of the seed)
            seed = np.ones_like(self._root.value)
            seed.setflags(write=False)
            lines.append(f"    g_{root} = {self._const(seed)}")
        done: set[int] = set()
        for n, e in enumerate(self.edges):
            target = f"g_{self._names[id(e.parent)]}"
            if n in self._folded:
                value = self._folded[n]
                copy = ".copy()" if type(value) is _ndarray else ""
                c = f"{self._const(value)}{copy}"
                lines.append(f"    {target} = {c}" if e.first else f"    {target} = {target} + {c}")
                continue
            name = self._names[id(e.node)]
            args = ", ".join(self._args[id(e.node)])
            if e.node.prim.variadic:
                if id(e.node) not in done:
                    done.add(id(e.node))
                    ns[f"V{name}"] = e.node.prim.vjps
                    lines.append(f"    each_{name} = V{name}.each([{args}])")
                call = f"each_{name}.call({e.i}, M, g_{name}, {name})"
            else:
                ns[f"r{name}_{e.i}"] = e.node.prim.vjps[e.i]
                call = f"r{name}_{e.i}(M, g_{name}, {name}, {args})"
            if not probing and e.first and not any(e.fix):
                lines.append(f"    {target} = {call}")
                continue
            lines.append(f"    c = {call}")
            pv = e.parent.value
            if probing:
                lines.append(f"    c = S({n}, c)")
            else:
                fix_array, fix_shape, fix_dtype = e.fix
                if fix_array:
                    lines.append("    c = asarray(c)")
                if fix_shape:
                    lines.append(f"    c = sum_to_shape(c, {pv.shape!r}, 0)")
                if fix_dtype:
                    lines.append(f"    c = c.astype({self._const(pv.dtype)})")
            lines.append(f"    {target} = c" if e.first else f"    {target} = {target} + c")
        results = []
        for out in self._outputs:
            if isinstance(out, Node) and id(out) not in self._names:
                results.append(self._const(out) + ".value")
            elif id(out) in self._names:
                results.append(self._names[id(out)])
            else:
                results.append(self._const(out))
        for j, w in enumerate(self._wanted):
            name = self._names[id(w)]
            if id(w) in self._reached:
                wrap = not probing and j in self._scalar_grads
                results.append(f"asarray(g_{name})" if wrap else f"g_{name}")
            else:
                results.append(f"zeros({w.value.shape!r}, {self._const(w.value.dtype)})")
        if probing or self._pack is None:
            lines.append(f"    return ({', '.join(results)}{',' if len(results) == 1 else ''})")
        else:
            lines.append(f"    return {self._pack(results, self)}")
        if not probing:
            lines = self._unwrapped(lines)
        source = "\n".join(lines) + "\n"
        if not probing:
            self.source = source
        exec(compile(source, "<chainrule.compile>", "exec"), ns)  # noqa: S102
        return ns["program"]

    def _unwrapped(self, lines: list[str]) -> list[str]:
        """``lines`` without the ``asarray`` around a forward result that is read only by
        ``float()`` (a loss whose VJP was folded): a numpy scalar gives the same number."""
        for k in self._wraps:
            define = f"    v{k} = asarray("
            at = [i for i, line in enumerate(lines) if line.startswith(define)]
            use = re.compile(rf"\bv{k}\b")
            if at and not any(use.search(line.replace(f"float(v{k})", ""))
                              for i, line in enumerate(lines) if i != at[0]):
                lines[at[0]] = f"    v{k} = {lines[at[0]][len(define):-1]}"
        return lines

    def _probe_forward(self, k: int, out: Any) -> Any:
        if type(out) is not _ndarray:
            self._wraps.add(k)
            out = np.asarray(out)
        return out

    def _probe_edge(self, n: int, c: Any) -> Any:
        e = self.edges[n]
        pv = e.parent.value
        fixes = (type(c) is not _ndarray, np.shape(c) != pv.shape,
                 np.asarray(c).dtype != pv.dtype)
        self._probe_fixes[n] = fixes
        c = ARRAY_MODE.sum_to(c, e.parent, 0, e.node, e.i)
        if n in self._foldable:
            self._folded[n] = c.copy() if type(c) is _ndarray else c
        return c

    def __call__(self, *inputs: Any) -> tuple:
        return self.run(*inputs)
