"""The backward pass shared by the Scalar and the Tensor engine: one walk, one rule call,
one loop (and its float specialisation).

The walk is the iterative child-count walk of HIPS autograd: :func:`_discover`, the one
traversal of a graph in the package, counts for every node reached how many edges lead
into it; the nodes are then released from the root down, a node once all of its
consumers are done, so the order is deterministic and no recursion is used. :func:`walk`
gives that order (reversed: inputs first) to the tools; :func:`backprop` releases the
nodes itself as it calls their rules, so each cotangent is complete when its node is
reached and is dropped as soon as it has been passed on. :func:`vjp` calls a primitive's
rule and is the one place the mode's fallback is applied: tools call it, and the two loops
call a rule directly (one call less per edge) and hand it to :func:`vjp` only when it
raises.

The scratch space of a walk or a pass lives on the nodes (``_ct``, ``_pending``): that is
what keeps the loop fast. Two passes must therefore never run over the same nodes at once:
every walk and pass holds :data:`PASS_LOCK`, so passes in different threads take turns
(the same thread may nest them), and a pass that stops half-way (an exception, Ctrl-C)
clears what it set before it lets go, so no later pass sees a stale count.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from sys import getrefcount
from typing import Any

from .node import GRAD_SLOT, ONE_PARENT, Node
from .recording import observer_factory, observing

_FALLBACK_ERRORS = (ZeroDivisionError, ValueError, OverflowError)

PASS_LOCK = threading.RLock()
"""Held by every walk and backward pass: passes in different threads take turns."""


def _discover(root: Node, every: bool, stop: Any, found: list[Node]) -> None:
    """The one traversal of a graph: every node below ``root`` once, appended to ``found``
    in the order found (``root`` first), each node's ``_pending`` set to the number of
    edges leading into it from the nodes found. Follows the nodes that need a gradient
    (all nodes with ``every``) and does not go past those whose ``id`` is in ``stop``. The
    caller releases the counts (:func:`walk`, or a backward pass as it goes) and clears
    ``found`` (:func:`_clear`) if it stops half-way; so does this walk if interrupted."""
    root._pending = 0
    found.append(root)
    push = found.append
    finished = False
    try:
        for node in found:                  # breadth first: the list is its own queue
            if stop and id(node) in stop:
                continue
            ps = node._p
            if ps.__class__ is not tuple:       # one or two parents in slots: hot loop
                q = node._q
                if q is not ONE_PARENT and isinstance(q, Node) and (every or q.needs):
                    if not q._pending:
                        push(q)
                    q._pending += 1
                if isinstance(ps, Node) and (every or ps.needs):
                    if not ps._pending:
                        push(ps)
                    ps._pending += 1
                continue
            for p in ps:
                if isinstance(p, Node) and (every or p.needs):
                    if not p._pending:
                        push(p)
                    p._pending += 1
        finished = True
    finally:
        if not finished:
            _clear(found)


def walk(root: Node, *, every: bool = False) -> list[Node]:
    """The nodes below ``root`` in forward (topological) order: inputs first, ``root``
    last, each node once; iterative and deterministic. Only nodes that need a gradient
    are followed unless ``every`` (then constant nodes too).

    It releases the edge counts of :func:`_discover` from the root down, a node once all
    of its consumers are out (HIPS autograd's child-count order); a backward pass does
    the same release inline, calling each rule as it goes.
    """
    if not (every or root.needs):
        return [root]
    order: list[Node] = []
    found: list[Node] = []
    with PASS_LOCK:
        try:
            _discover(root, every, (), found)
            ready = [root]
            while ready:
                node = ready.pop()
                order.append(node)
                for p in node.parents:
                    if isinstance(p, Node) and (every or p.needs):
                        p._pending -= 1
                        if not p._pending:
                            ready.append(p)
        except BaseException:
            _clear(found)
            raise
    order.reverse()
    return order


class Mode:
    """How a backward pass computes: ``math`` is the namespace the rules call (floats,
    ndarrays or recording Tensors), ``graph`` whether the rules see nodes (so that the
    gradient is itself differentiable), ``sum_to`` the one place where a cotangent is
    summed back to the shape of the input it flows into (None for Python floats),
    ``own`` makes a node's first gradient its own (not an array a rule passed through, nor
    the caller's seed),
    ``fallback`` recomputes a rule that raised on Python floats with numpy semantics,
    ``floats`` says every value is a Python float, which lets a plain pass (no observer,
    no stop set) take the float-specialised loop; ``arithmetic`` maps the primitives that
    loop may compute inline to their gate (:data:`SUM`, :data:`DIFFERENCE`,
    :data:`PRODUCT`, :data:`QUOTIENT`), whose rules must be exactly those gates'.
    ``clock()`` reads the engine's write clock (see ``Node._stamp``; None: values are never
    written in place); ``array`` is the engine's raw value class (``np.ndarray``): a
    contribution of that class with its input's shape and dtype needs no ``sum_to``, and a
    plain pass of a mode that names it takes the array loop."""

    __slots__ = ("math", "graph", "sum_to", "own", "fallback", "floats", "arithmetic",
                 "clock", "array")

    def __init__(self, math: Any, graph: bool, sum_to: Any = None, own: Any = None,
                 fallback: Any = None, floats: bool = False,
                 arithmetic: dict[Any, int] | None = None, clock: Any = None,
                 array: Any = None) -> None:
        self.math = math
        self.graph = graph
        self.sum_to = sum_to
        self.own = own
        self.fallback = fallback
        self.floats = floats
        self.arithmetic = arithmetic
        self.clock = clock
        self.array = array


def vjp(prim: Any, i: int, g: Any, ans: Any, args: Any, mode: Mode) -> Any:
    """The contribution ``prim``'s rule for input ``i`` sends back for upstream ``g``
    (``ans`` the op's output, ``args`` its inputs and parameters), or None where the rule
    table says no gradient flows. Where the rule raises on Python floats (division by zero,
    a domain error, overflow) the mode's fallback recomputes it with numpy semantics."""
    rule = prim.vjps[i]
    if rule is None:
        return None
    try:
        return rule(mode.math, g, ans, *args)
    except _FALLBACK_ERRORS:
        if mode.fallback is None:
            raise
        return mode.fallback(rule, g, ans, args)


def bad_contribution(node: Node, i: int, shape: tuple, nb: int) -> str | None:
    """None if a contribution of ``shape`` (after ``nb`` batch axes) that a rule of
    ``node``'s primitive sent input ``i`` can be summed back to that input's shape (the
    input broadcasts to it, with no more axes than the op's output), else what went wrong;
    the engines raise it as a ShapeError."""
    cs = tuple(shape[nb:])
    xs = node.parents[i].value.shape
    out = getattr(node.value, "shape", ())
    fits = len(cs) <= max(len(out), len(xs)) and len(xs) <= len(cs) and all(
        x in (1, c) for x, c in zip(xs[::-1], cs[::-1]))
    if fits:
        return None
    return (f"{node.prim.name}: the gradient rule for input {i} returned shape {cs}, but "
            f"input {i} has shape {xs} (the op's output: {out}); a rule must return the "
            "input's shape, or a shape the input broadcasts to in the op")


def _written(node: Node, p: Node) -> RuntimeError:
    shape = getattr(p.value, "shape", None)
    label = (f"{p.name!r}" if p.name else f"of shape {shape}" if shape is not None
             else f"(now {p.value!r})")
    return RuntimeError(
        f"backward(): the input {label} of {node.prim.name} was modified in place after "
        f"the graph was recorded (an optimizer step, an in-place operator or .data "
        f"assignment), so {node.prim.name}'s gradient would use the new values; compute "
        "the forward again after the update, or update after backward()")


def has_rule(prim: Any, i: int) -> bool:
    """Whether any gradient flows into input ``i`` of ``prim`` (its rule is not None)."""
    return prim.vjps[i] is not None


class Observer:
    """What a backward pass reports, for tools that explain or diagnose it.

    ``node(node, g)`` is called once per node reached, when its cotangent ``g`` (the sum
    of everything sent to it) is complete, before its own edges; ``edge(node, i, parent,
    c)`` for every edge, with the contribution ``c`` sent into ``parent`` (input ``i`` of
    ``node``), already summed to the parent's shape. Raising stops the pass (its scratch
    space is cleared). Subclass and override what you need.
    """

    def node(self, node: Node, g: Any) -> None:
        """The complete upstream cotangent ``g`` of ``node``."""

    def edge(self, node: Node, i: int, parent: Node, c: Any) -> None:
        """The contribution ``c`` that input ``i`` (``parent``) of ``node`` receives."""


class _Both(Observer):
    def __init__(self, first: Observer, second: Observer) -> None:
        self.first = first
        self.second = second

    def node(self, node: Node, g: Any) -> None:
        self.first.node(node, g)
        self.second.node(node, g)

    def edge(self, node: Node, i: int, parent: Node, c: Any) -> None:
        self.first.edge(node, i, parent, c)
        self.second.edge(node, i, parent, c)


@contextmanager
def observe_passes(start: Any) -> Iterator[None]:
    """Context manager: every backward pass run inside calls ``start(root)`` and reports
    to the :class:`Observer` it returns (besides the pass's own observer). This is how
    ``detect_anomaly`` watches ``y.backward()``; the flag is read once per pass. It holds
    for the passes of this thread only."""
    previous = observer_factory()
    if previous is None:
        both = start
    else:
        def both(root: Node) -> Observer:
            return _Both(previous(root), start(root))
    with observing(both):
        yield


def backprop(root: Node, seed: Any, mode: Mode, *, batch_ndim: int = 0,
             accumulate: bool = True, wanted: tuple[Node, ...] = (),
             observer: Observer | None = None) -> dict[int, Any]:
    """Run one reverse pass from ``root`` with cotangent ``seed``.

    With ``accumulate`` the cotangent reaching each node is added to its ``.grad``.
    The cotangents of the nodes in ``wanted`` are returned by ``id``; the walk does not go
    past them. Then ``found[0]`` (no node's id) is True if the pass also reached a leaf
    that needs a gradient outside ``wanted``: the output depends on values beyond them.
    ``batch_ndim`` leading axes of ``seed`` are independent cotangents pushed
    through together (how ``jacobian`` gets every row in one pass). ``observer`` (an
    :class:`Observer`) sees every node's cotangent and every edge's contribution.
    A plain accumulating pass of a ``floats`` mode runs the float-specialised loop, which
    computes the same numbers in the same order.
    """
    found: dict[int, Any] = {}
    if not root.needs:
        return found
    start = observer_factory()
    if start is not None:
        watch = start(root)
        observer = watch if observer is None else _Both(observer, watch)
    stop = {id(w) for w in wanted} if wanted else ()
    with PASS_LOCK:
        if mode.floats and accumulate and not stop and observer is None:
            _float_pass(root, seed, mode)
        elif (mode.array is not None and mode.fallback is None and accumulate and not stop
              and observer is None and not batch_ndim):
            _array_pass(root, seed, mode)
        else:
            _pass(root, seed, mode, batch_ndim, accumulate, stop, observer, found)
    return found


def _pass(root: Node, seed: Any, mode: Mode, batch_ndim: int, accumulate: bool, stop: Any,
          observer: Observer | None, found: dict[int, Any]) -> None:
    """The loop of :func:`backprop` for every mode (``found`` receives the cotangents of
    the ``stop`` nodes)."""
    nodes: list[Node] = []
    math, sum_to, own, graph = mode.math, mode.sum_to, mode.own, mode.graph
    c: Any = None
    ct: Any = None
    args: Any
    ready = [root]
    pop = ready.pop
    push = ready.append
    get_grad, set_grad = GRAD_SLOT.__get__, GRAD_SLOT.__set__
    now = mode.clock() if mode.clock is not None else 0
    finished = False
    try:
        _discover(root, False, stop, nodes)
        # With leaves outside ``wanted`` that need gradients (a nested transform whose f
        # closes over the outer one's values), rules are called only on edges that lead
        # to ``wanted``: the others are work thrown away, and can recurse without end.
        useful = (_leading_to(root, stop) if stop and any(
            n.prim is None and id(n) not in stop for n in nodes) else None)
        root._ct = seed
        while ready:
            node = pop()
            g = node._ct
            node._ct = None
            prim = node.prim
            if g is not None:
                if observer is not None:
                    observer.node(node, g)
                if accumulate:
                    old = get_grad(node)
                    if old is None:
                        set_grad(node, g if own is None else own(g))
                    else:
                        set_grad(node, old + g)
            if stop and id(node) in stop:
                if g is not None:
                    found[id(node)] = g
                continue
            if prim is None:
                if stop:            # a leaf outside ``wanted``: see found[0]
                    found[0] = True
                continue
            parents = node._p
            if parents.__class__ is not tuple:
                q = node._q
                parents = (parents,) if q is ONE_PARENT else (parents, q)
            if g is None:                   # only gradient-free edges led here
                for p in parents:
                    if isinstance(p, Node) and p.needs:
                        p._pending -= 1
                        if not p._pending:
                            push(p)
                continue
            if node._stamp != now or observer is not None:
                _check_written(node, parents)
            if graph:
                args = parents
                ans = node
            else:
                args = []
                for p in parents:
                    args.append(p.value if isinstance(p, Node) else p)
                ans = node.value
            vjps = prim.vjps
            # a variadic rule gets what it needs once per node, not all inputs per edge
            each = vjps.each(args) if prim.variadic else None
            i = -1
            for p in parents:
                i += 1
                if not isinstance(p, Node) or not p.needs:
                    continue
                rule = vjps[i]
                if rule is None or (useful is not None and id(p) not in useful):
                    c = None                # no gradient flows along this edge (or it
                    #                         leads to no wanted node)
                elif each is not None:
                    c = each.call(i, math, g, ans)
                else:
                    try:
                        c = rule(math, g, ans, *args)
                    except _FALLBACK_ERRORS:
                        c = vjp(prim, i, g, ans, args, mode)
                if c is not None:
                    if sum_to is not None:
                        c = sum_to(c, p, batch_ndim, node, i)
                    if observer is not None:
                        observer.edge(node, i, p, c)
                    ct = p._ct
                    p._ct = c if ct is None else ct + c
                p._pending -= 1
                if not p._pending:
                    push(p)
            # drop our references, so a leaf can tell its gradient array is its own
            c = ct = None
        finished = True
    finally:
        if not finished:
            _clear(nodes)


def _leading_to(root: Node, stop: Any) -> set[int]:
    """The ids of the nodes below ``root`` (following the nodes that need a gradient)
    from which a node whose id is in ``stop`` can be reached, those included."""
    useful: set[int] = set()
    done: set[int] = set()
    stack = [root]
    while stack:
        node = stack[-1]
        key = id(node)
        if key in done:
            stack.pop()
            continue
        if key in stop:
            useful.add(key)
        else:
            inputs = [p for p in _inputs(node) if isinstance(p, Node) and p.needs]
            later = [p for p in inputs if id(p) not in done]
            if later:
                stack.extend(later)
                continue
            if any(id(p) in useful for p in inputs):
                useful.add(key)
        done.add(key)
        stack.pop()
    return useful


def _inputs(node: Node) -> tuple:
    ps = node._p
    if ps.__class__ is tuple:
        return ps
    q = node._q
    return (ps,) if q is ONE_PARENT else (ps, q)


# The arithmetic gates a ``floats`` mode may name in its ``arithmetic`` table (primitive ->
# one of these), so that the float loop computes their two contributions inline, in the
# same operations as their rules, without a call per edge.
SUM, DIFFERENCE, PRODUCT, QUOTIENT = 1, 2, 3, 4


def _discover_floats(root: Node, found: list[Node]) -> None:
    """:func:`_discover` for a plain float pass (every node, no stop set), unrolled for
    the one- and two-input gates kept in slots. The caller clears ``found`` if it stops
    half-way (:func:`_float_pass` does)."""
    root._pending = 0
    found.append(root)
    push = found.append
    for node in found:                      # breadth first: the list is its own queue
        p = node._p
        if p.__class__ is tuple:            # a leaf (), or three or more inputs
            for r in p:
                if isinstance(r, Node):
                    if not r._pending:
                        push(r)
                    r._pending += 1
            continue
        q = node._q
        if q is not ONE_PARENT and isinstance(q, Node):
            if not q._pending:
                push(q)
            q._pending += 1
        if isinstance(p, Node):
            if not p._pending:
                push(p)
            p._pending += 1


def _check_written(node: Node, parents: tuple) -> None:
    """Raise if an input of ``node`` was written in place after ``node`` was recorded. A
    pass calls it only for a node recorded before the write clock's last tick (and, while
    an observer runs user code, for every node): otherwise no input can be newer."""
    stamp = node._stamp
    for p in parents:
        if isinstance(p, Node) and p._stamp > stamp:
            raise _written(node, p)


def _one_edge_refs() -> int:
    """What ``getrefcount(node)`` reads inside :func:`_array_pass` for a node that only
    the walk's list and one other object refer to, ``node`` being a local variable
    (measured, so that an interpreter that counts references differently is followed)."""
    nodes = [object()]
    edge = [nodes[0]]               # the one consumer's reference  # noqa: F841
    node = nodes[0]
    return getrefcount(node)


_ONE_EDGE = _one_edge_refs()


def _array_pass(root: Node, seed: Any, mode: Mode) -> None:
    """The loop of :func:`backprop` for a plain accumulating pass over raw arrays
    (``Tensor.backward()``: no observer, no stop set, no batch axes, rules on ndarrays
    with no fallback, so a rule's error stops the pass as it is):
    the same walk, rules, order and additions as :func:`_pass`, with the write stamps read
    once per node instead of once per edge, an op of one input taken without building its
    argument list, and ``sum_to`` skipped for a contribution that already has its input's
    shape and dtype."""
    math, sum_to, own, exact = mode.math, mode.sum_to, mode.own, mode.array
    nodes: list[Node] = []
    c: Any = None
    ct: Any = None
    args: Any
    ready = [root]
    pop = ready.pop
    push = ready.append
    get_grad, set_grad = GRAD_SLOT.__get__, GRAD_SLOT.__set__
    now = mode.clock() if mode.clock is not None else 0
    finished = False
    try:
        _discover(root, False, (), nodes)
        root._ct = seed
        while ready:
            node = pop()
            g = node._ct
            prim = node.prim
            if g is None:                   # only gradient-free edges led here
                if prim is not None:
                    for p in node.parents:
                        if isinstance(p, Node) and p.needs:
                            p._pending -= 1
                            if not p._pending:
                                push(p)
                continue
            node._ct = None
            if prim is None:                # a leaf
                old = get_grad(node)
                set_grad(node, (g if own is None else own(g)) if old is None else old + g)
                continue
            parents = p = None              # no stale reference to this node in the loop
            if getrefcount(node) == _ONE_EDGE:
                # Only the graph holds this Tensor, by one edge: nobody can read its .grad,
                # so it keeps none and its cotangent is freed once its rule has run.
                set_grad(node, None)
            else:
                old = get_grad(node)
                set_grad(node, (g if own is None else own(g)) if old is None else old + g)
            if node._stamp != now:
                _check_written(node, node.parents)
            parents = node._p
            if parents.__class__ is not tuple and node._q is ONE_PARENT:
                p = parents                 # one input, unboxed: most unary ops
                rule = prim.vjps[0]
                if rule is not None and p.needs:
                    c = rule(math, g, node.value, p.value)
                    pv = p.value
                    if (c.__class__ is not exact or c.shape != pv.shape
                            or c.dtype is not pv.dtype):
                        c = sum_to(c, p, 0, node, 0)
                    ct = p._ct
                    p._ct = c if ct is None else ct + c
                    c = ct = None
                if p.needs:
                    p._pending -= 1
                    if not p._pending:
                        push(p)
                continue
            if parents.__class__ is not tuple:
                parents = (parents, node._q)
            args = []
            for p in parents:
                args.append(p.value if isinstance(p, Node) else p)
            ans = node.value
            vjps = prim.vjps
            each = vjps.each(args) if prim.variadic else None
            i = -1
            for p in parents:
                i += 1
                if not isinstance(p, Node) or not p.needs:
                    continue
                rule = vjps[i]
                if rule is None:            # no gradient flows along this edge
                    c = None
                elif each is not None:
                    c = each.call(i, math, g, ans)
                else:
                    c = rule(math, g, ans, *args)
                if c is not None:
                    pv = p.value
                    if (c.__class__ is not exact or c.shape != pv.shape
                            or c.dtype is not pv.dtype):
                        c = sum_to(c, p, 0, node, i)
                    ct = p._ct
                    p._ct = c if ct is None else ct + c
                p._pending -= 1
                if not p._pending:
                    push(p)
            # drop our references, so a leaf can tell its gradient array is its own
            c = ct = None
        finished = True
    finally:
        if not finished:
            _clear(nodes)


def _float_pass(root: Node, seed: float, mode: Mode) -> None:
    """The loop of ``backprop`` specialised to Python floats (``Scalar.backward``): the
    same walk, the same rules in the same order and the same additions, without the
    shape, observer and stop cases that only arrays and tools need. One- and two-input
    gates are unrolled (no tuple per node); the arithmetic gates the mode names are
    computed inline. A rule that raises is handed to :func:`vjp`, which applies the
    fallback."""
    math = mode.math
    arithmetic = (mode.arithmetic or {}).get
    c: Any = None
    cy: Any = None
    args: Any
    nodes: list[Node] = []
    ready = [root]
    pop = ready.pop
    push = ready.append
    now = mode.clock() if mode.clock is not None else 0
    finished = False
    try:
        _discover_floats(root, nodes)       # every Scalar needs a gradient
        root._ct = seed
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
            old = node.grad
            node.grad = g if old is None else old + g
            prim = node.prim
            if prim is None:
                continue
            if node._stamp != now:
                _check_written(node, node.parents)
            ans = node.value
            p = node._p
            q = node._q
            if q is ONE_PARENT:
                if p.__class__ is tuple:        # three or more inputs
                    args = [a.value if isinstance(a, Node) else a for a in p]
                    vjps = prim.vjps
                    i = -1
                    for r in p:
                        i += 1
                        if not isinstance(r, Node):
                            continue
                        rule = vjps[i]
                        if rule is not None:
                            try:
                                c = rule(math, g, ans, *args)
                            except _FALLBACK_ERRORS:
                                c = vjp(prim, i, g, ans, args, mode)
                            ct = r._ct
                            r._ct = c if ct is None else ct + c
                        r._pending -= 1
                        if not r._pending:
                            push(r)
                    continue
                rule = prim.vjps[0]             # one input: the most common gate
                if rule is not None:
                    x = p.value
                    try:
                        c = rule(math, g, ans, x)
                    except _FALLBACK_ERRORS:
                        c = vjp(prim, 0, g, ans, (x,), mode)
                    ct = p._ct
                    p._ct = c if ct is None else ct + c
                p._pending -= 1
                if not p._pending:
                    push(p)
                continue
            # two inputs, kept in slots: either may be a constant
            pn = isinstance(p, Node)
            qn = isinstance(q, Node)
            x = p.value if pn else p
            y = q.value if qn else q
            kind = arithmetic(prim)
            if kind == SUM:
                c = cy = g
            elif kind == PRODUCT:
                c = g * y
                cy = g * x
            elif kind == DIFFERENCE:
                c = g
                cy = -g
            elif kind == QUOTIENT and y:
                c = g / y
                cy = -c * (x / y)               # div's rule, -(g/y) * (x/y), bit for bit
            else:                               # any other rule (or a division by 0)
                vjps = prim.vjps
                c = cy = None
                if pn and vjps[0] is not None:
                    try:
                        c = vjps[0](math, g, ans, x, y)
                    except _FALLBACK_ERRORS:
                        c = vjp(prim, 0, g, ans, (x, y), mode)
                if qn and vjps[1] is not None:
                    try:
                        cy = vjps[1](math, g, ans, x, y)
                    except _FALLBACK_ERRORS:
                        cy = vjp(prim, 1, g, ans, (x, y), mode)
            if pn:
                if c is not None:
                    ct = p._ct
                    p._ct = c if ct is None else ct + c
                p._pending -= 1
                if not p._pending:
                    push(p)
            if qn:
                if cy is not None:
                    ct = q._ct
                    q._ct = cy if ct is None else ct + cy
                q._pending -= 1
                if not q._pending:
                    push(q)
        finished = True
    finally:
        if not finished:
            _clear(nodes)


def _clear(nodes: list[Node]) -> None:
    """Clear the scratch space a pass that stopped half-way (an exception in a rule or an
    observer, KeyboardInterrupt) left on the nodes of its walk."""
    for node in nodes:
        node._ct = None
        node._pending = 0


def zero_grad(root: Node) -> None:
    """Clear ``.grad`` of every node of the graph below ``root`` (back to None).
    Iterative, so it works on graphs of any depth. Raises TypeError when ``root`` is not a
    Scalar or Tensor."""
    if not isinstance(root, Node):
        raise TypeError(f"zero_grad: expected a Scalar or Tensor, got "
                        f"{type(root).__name__}")
    root.grad = root.empty_grad
    for node in walk(root):
        node.grad = node.empty_grad
