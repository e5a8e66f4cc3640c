"""The forward sweep: tangents pushed from inputs to outputs over a recorded graph.

Forward mode (``cr.jvp``, ``cr.jacfwd``, a Scalar's ``tangent``) records the function once,
as reverse mode does, then visits the nodes in topological order (:func:`walk`) and asks
each node's primitive for the JVP of every input that carries a tangent; the node's
tangent is their sum. A node no seeded input reaches has no tangent (zero). Seeds are
given by node ``id``, so an inner derivative that seeds a fresh leaf (or an identity node
over an outer one) never confuses its tangent with an outer one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .backward import _FALLBACK_ERRORS, Mode
from .node import ONE_PARENT, Node

Derive = Callable[[Any, int, Any, Any, Any, Mode, int], Any]


def jvp(prim: Any, i: int, t: Any, ans: Any, args: Any, mode: Mode, batch_ndim: int = 0,
        derive: Derive | None = None) -> Any:
    """The contribution of input ``i``'s tangent ``t`` to ``prim``'s output tangent (None
    where no tangent flows). A primitive that declares no JVPs has them made by ``derive``
    (``derive(prim, i, t, ans, args, mode, batch_ndim)``). Raises TypeError if it has none
    and there is no ``derive``."""
    rules = prim.jvps
    if rules is None:
        if derive is None:
            raise TypeError(f"{prim.name} declares no forward-mode (JVP) rule, and one cannot "
                            "be derived on Python floats; use Tensors (cr.jvp)")
        return derive(prim, i, t, ans, args, mode, batch_ndim)
    rule = rules[i]
    if rule is None:
        return None
    try:
        return rule(mode.math, t, ans, *args)
    except _FALLBACK_ERRORS:
        if mode.fallback is None:
            raise
        return mode.fallback(rule, t, ans, args)


def push_forward(order: Iterable[Node], seeds: dict[int, Any], mode: Mode, *,
                 batch_ndim: int = 0, derive: Derive | None = None) -> dict[int, Any]:
    """Tangents of the nodes in ``order`` (topological: inputs first), by ``id``, starting
    from ``seeds`` (tangents by node ``id``). ``batch_ndim`` leading axes of every tangent
    are independent tangents pushed through together. Nodes no seed reaches are absent."""
    tangents = dict(seeds)
    get = tangents.get
    math, graph, floats = mode.math, mode.graph, mode.floats
    for node in order:
        prim = node.prim
        if prim is None or id(node) in tangents:
            continue
        parents = node._p                   # node.parents, unboxed inline (the hot loop)
        if parents.__class__ is not tuple:
            q = node._q
            parents = (parents,) if q is ONE_PARENT else (parents, q)
        ins = [get(id(p)) for p in parents]     # constants and parameters: never seeded
        for t in ins:
            if t is not None:
                break
        else:
            continue
        rules = prim.jvps
        args: Any = parents if graph else [p.value if isinstance(p, Node) else p
                                           for p in parents]
        ans = node if graph else node.value
        total = None
        for i, t in enumerate(ins):
            if t is None:
                continue
            if batch_ndim and prim.elementwise and rules is not None:
                t = _lined_up(math, t, node.value.ndim, batch_ndim)
            rule = rules[i] if rules is not None else None
            if rule is None:                # derived, or no tangent flows (jvp says which)
                c = jvp(prim, i, t, ans, args, mode, batch_ndim, derive)
                if c is None:
                    continue
            else:
                try:
                    c = rule(math, t, ans, *args)
                except _FALLBACK_ERRORS:
                    c = jvp(prim, i, t, ans, args, mode, batch_ndim, derive)
            if batch_ndim:
                c = _lined_up(math, c, node.value.ndim, batch_ndim)
            total = c if total is None else total + c
        if total is None:
            continue
        if not floats:
            shape = getattr(total, "shape", ())
            full = node.value.shape
            if batch_ndim:
                full = tuple(shape[:batch_ndim]) + full
            if shape != full:
                total = math.broadcast_to(total, full)
        tangents[id(node)] = total
    return tangents


def _lined_up(math: Any, t: Any, ndim: int, batch_ndim: int) -> Any:
    """``t`` (batch axes, then an input's axes) with 1s inserted after the batch axes so
    that it broadcasts against a value of ``ndim`` axes as the input did."""
    shape = tuple(t.shape)
    missing = ndim + batch_ndim - len(shape)
    if missing <= 0:
        return t
    return math.reshape(t, shape[:batch_ndim] + (1,) * missing + shape[batch_ndim:])
