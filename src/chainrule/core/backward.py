"""The backward pass shared by the Scalar and the Tensor engine.

The backward pass is the iterative child-count walk of HIPS autograd: a first loop counts,
for every node reached, how many edges lead into it; a second loop pops a node once all of
its cotangent has arrived, so the order is deterministic, no recursion is used and each
cotangent is released as soon as it has been passed on.
"""

from __future__ import annotations

from typing import Any

from .node import ONE_PARENT, Node
from .recording import _state


def walk(root: Node) -> list[Node]:
    """Every node reachable from ``root`` that needs a gradient, in reverse topological
    order (root first), each once; iterative and deterministic."""
    order: list[Node] = []
    if not root.needs:
        return [root]
    _count_edges(root, ())
    ready = [root]
    while ready:
        node = ready.pop()
        node._pending = 0
        order.append(node)
        ps = node._p
        if ps.__class__ is not tuple:       # the parents property, inlined: hot loop
            q = node._q
            ps = (ps,) if q is ONE_PARENT else (ps, q)
        for p in ps:
            if isinstance(p, Node) and p.needs:
                p._pending -= 1
                if p._pending == 0:
                    ready.append(p)
    return order


def _count_edges(root: Node, stop: set[int] | tuple) -> None:
    """Set ``_pending`` of each node below root to the number of edges leading into it;
    the walk does not go past the nodes whose ids are in ``stop``."""
    root._pending = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if stop and id(node) in stop:
            continue
        ps = node._p
        if ps.__class__ is not tuple:       # the parents property, inlined: hot loop
            q = node._q
            ps = (ps,) if q is ONE_PARENT else (ps, q)
        for p in ps:
            if isinstance(p, Node) and p.needs:
                if p._pending == 0:
                    stack.append(p)
                p._pending += 1


class Mode:
    """How a backward pass computes: ``math`` is the namespace the rules call (floats,
    ndarrays or recording Tensors), ``graph`` whether the rules see nodes (so that the
    gradient is itself differentiable), ``sum_to`` the one place where a cotangent is
    summed back to the shape of the input it flows into (None for Python floats),
    ``own`` makes a leaf's first gradient its own (not an array a rule passed through),
    ``fallback`` recomputes a rule that raised on Python floats with numpy semantics,
    ``floats`` says every value is a Python float, which lets a plain ``backward()`` take
    the float-specialised loop."""

    __slots__ = ("math", "graph", "sum_to", "own", "fallback", "floats")

    def __init__(self, math: Any, graph: bool, sum_to: Any = None, own: Any = None,
                 fallback: Any = None, floats: bool = False) -> None:
        self.math = math
        self.graph = graph
        self.sum_to = sum_to
        self.own = own
        self.fallback = fallback
        self.floats = floats


def backprop(root: Node, seed: Any, mode: Mode, *, batch_ndim: int = 0,
             accumulate: bool = True, wanted: tuple[Node, ...] = (),
             on_edge: Any = None) -> dict[int, Any]:
    """Run one reverse pass from ``root`` with cotangent ``seed``.

    With ``accumulate`` the cotangent reaching each node is added to its ``.grad``.
    The cotangents of the nodes in ``wanted`` are returned by ``id``; the walk does not go
    past them. ``batch_ndim`` leading axes of ``seed`` are independent cotangents pushed
    through together (how ``jacobian`` gets every row in one pass). ``on_edge(node, i,
    parent, contribution)`` is called for every edge (explanations record them).
    """
    stop = {id(w) for w in wanted} if wanted else ()
    found: dict[int, Any] = {}
    if not root.needs:
        return found
    if _state["anomaly"] is not None:
        on_edge = _state["anomaly"](root, seed, mode, on_edge)
    if mode.floats and accumulate and not stop and on_edge is None:
        _count_float_edges(root)
        _float_pass(root, seed, mode)
        return found
    _count_edges(root, stop)
    math, graph, sum_to, own = mode.math, mode.graph, mode.sum_to, mode.own
    c = None
    root._ct = seed
    ready = [root]
    pop = ready.pop
    push = ready.append
    finished = False
    try:
        while ready:
            node = pop()
            g = node._ct
            node._ct = None
            prim = node.prim
            if accumulate and g is not None:
                old = node.grad
                if old is None:
                    node.grad = own(g) if (own is not None and prim is None) else g
                else:
                    node.grad = old + g
            if stop and id(node) in stop:
                if g is not None:
                    found[id(node)] = g
                continue
            if prim is None:
                continue
            parents = node._p
            if parents.__class__ is not tuple:
                q = node._q
                parents = (parents,) if q is ONE_PARENT else (parents, q)
            if graph:
                args = parents
                ans = node
            else:
                args = []
                for p in parents:
                    args.append(p.value if isinstance(p, Node) else p)
                ans = node.value
            vjps = prim.vjps
            i = -1
            for p in parents:
                i += 1
                if not isinstance(p, Node) or not p.needs:
                    continue
                vjp = vjps[i]
                if vjp is None or g is None:    # no gradient flows along this edge
                    p._pending -= 1
                    if p._pending == 0:
                        push(p)
                    continue
                try:
                    c = vjp(math, g, ans, *args)
                except (ZeroDivisionError, ValueError, OverflowError):
                    if mode.fallback is None:
                        raise
                    c = mode.fallback(vjp, g, ans, args)
                if sum_to is not None:
                    c = sum_to(c, p, batch_ndim)
                if on_edge is not None:
                    on_edge(node, i, p, c)
                if p._ct is None:
                    p._ct = c
                else:
                    p._ct = p._ct + c
                p._pending -= 1
                if p._pending == 0:
                    push(p)
            # drop our reference, so a leaf can tell its gradient array is its own
            c = None
        finished = True
    finally:
        if not finished:
            _reset(root)
    return found


def _count_float_edges(root: Node) -> None:
    """``_count_edges`` for a Scalar graph, where every node takes part (no ``needs``
    flags, no stop set) and most ops have one input."""
    root._pending = 0
    stack = [root]
    pop = stack.pop
    push = stack.append
    while stack:
        node = pop()
        ps = node._p
        if ps.__class__ is not tuple:       # one or two parents in slots
            q = node._q
            if q is not ONE_PARENT and isinstance(q, Node):
                if not q._pending:
                    push(q)
                q._pending += 1
            if isinstance(ps, Node):
                if not ps._pending:
                    push(ps)
                ps._pending += 1
            continue
        for p in ps:
            if isinstance(p, Node):
                if not p._pending:
                    push(p)
                p._pending += 1


def _float_pass(root: Node, seed: float, mode: Mode) -> None:
    """The loop of ``backprop`` specialised to Python floats (``Scalar.backward``): the
    same walk and the same rules, without the shape, hook and collection cases that only
    arrays and tools need. Scalar ops have one or two inputs; others take the general
    branch."""
    math = mode.math
    fallback = mode.fallback
    root._ct = seed
    ready = [root]
    pop = ready.pop
    push = ready.append
    finished = False
    try:
        while ready:
            node = pop()
            g = node._ct
            node._ct = None
            if g is None:                   # only gradient-free edges led here
                for p in node.parents:
                    if isinstance(p, Node):
                        p._pending -= 1
                        if not p._pending:
                            push(p)
                continue
            node.grad += g
            prim = node.prim
            if prim is None:
                continue
            vjps = prim.vjps
            ans = node.value
            p = node._p
            if p.__class__ is tuple:
                parents = p
                args = [p.value if isinstance(p, Node) else p for p in parents]
            elif node._q is not ONE_PARENT:     # two inputs, kept in slots
                q = node._q
                parents = (p, q)
                args = (p.value if isinstance(p, Node) else p,
                        q.value if isinstance(q, Node) else q)
            else:                               # one input: the most common gate
                vjp = vjps[0]
                if vjp is not None:
                    try:
                        c = vjp(math, g, ans, p.value)
                    except (ZeroDivisionError, ValueError, OverflowError):
                        c = fallback(vjp, g, ans, (p.value,))
                    ct = p._ct
                    p._ct = c if ct is None else ct + c
                p._pending -= 1
                if not p._pending:
                    push(p)
                continue
            i = -1
            for p in parents:
                i += 1
                if not isinstance(p, Node):
                    continue
                vjp = vjps[i]
                if vjp is not None:
                    try:
                        c = vjp(math, g, ans, *args)
                    except (ZeroDivisionError, ValueError, OverflowError):
                        c = fallback(vjp, g, ans, args)
                    ct = p._ct
                    p._ct = c if ct is None else ct + c
                p._pending -= 1
                if not p._pending:
                    push(p)
        finished = True
    finally:
        if not finished:
            _reset(root)


def _reset(root: Node) -> None:
    """Clear scratch space left by a pass that stopped half-way (an exception in a rule)."""
    stack = [root]
    seen = {id(root)}
    while stack:
        node = stack.pop()
        node._ct = None
        node._pending = 0
        for p in node.parents:
            if isinstance(p, Node) and id(p) not in seen:
                seen.add(id(p))
                stack.append(p)


def zero_grad(root: Node) -> None:
    """Clear ``.grad`` of every node of the graph below ``root`` (None for Tensors, 0.0
    for Scalars). Iterative, so it works on graphs of any depth."""
    root.grad = root.empty_grad
    for node in walk(root):
        node.grad = node.empty_grad
