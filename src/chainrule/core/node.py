"""Graph nodes: one value in a computation graph, its inputs and the primitive that made it.

A node records the primitive that made it and its ``parents``: the op's inputs in order,
nodes and plain constants alike (``x * 2`` has parents ``(x, 2)``; ``x * x`` has parents
``(x, x)``, so both edges are kept). Nothing else is stored on the hot path: the local
gradient of an edge is recomputed on demand from the primitive's rule.
"""

from __future__ import annotations

from typing import Any


class Node:
    """One value in a computation graph.

    ``value`` is the forward result (a float for Scalars, an ndarray for Tensors), ``grad``
    the accumulated gradient, ``parents`` the op's inputs (nodes or constants) in order,
    ``prim`` the primitive that produced it (None for a leaf), ``needs`` whether any
    gradient must flow into it. ``_ct`` and ``_pending`` are scratch space of a walk or a
    backward pass (None and 0 outside one).
    """

    # The parents are stored without a tuple where possible, so that a node is one object
    # for Python's garbage collector to scan, not two: _p is either the tuple of all
    # parents (_q unused), or the first parent with _q the second (or ONE_PARENT).
    __slots__ = ("value", "grad", "_p", "_q", "prim", "needs", "name", "_ct", "_pending",
                 "__weakref__")
    empty_grad: Any = None
    # When the value was last written in place, on the engine's write clock (Tensors keep
    # it in a slot; an op node keeps the clock at its creation): a backward pass refuses a
    # node whose inputs were written after it was recorded. Never written: 0.
    _stamp: int = 0

    def __init__(self, value: Any, parents: tuple = (), prim: Any = None, needs: bool = False,
                 name: str | None = None) -> None:
        self.value = value
        self.grad = self.empty_grad
        self._p: Any = parents
        self._q: Any = ONE_PARENT
        self.prim = prim
        self.needs = needs
        self.name = name
        self._ct: Any = None
        self._pending = 0

    @property
    def parents(self) -> tuple:
        """The op's inputs in order (nodes and constants), then its parameters."""
        p = self._p
        if p.__class__ is tuple:
            return p
        q = self._q
        return (p,) if q is ONE_PARENT else (p, q)

    @property
    def is_leaf(self) -> bool:
        return self.prim is None

    # Each engine says how a backward pass from one of its nodes computes (a core Mode)
    # and what cotangent it starts from: the one place tools such as explain, the
    # command line and detect_anomaly learn it, without the core importing the engines.
    backward_mode: Any = None

    def backward_seed(self, seed: Any = None) -> Any:
        """The cotangent a backward pass from this node starts with: ``seed`` checked
        and converted, or the engine's default (1 for a Scalar, ones for a Tensor)."""
        raise NotImplementedError(f"{type(self).__name__} defines no backward pass")


ONE_PARENT: Any = type("OneParent", (), {"__repr__": lambda self: "ONE_PARENT"})()
"""The ``_q`` of a node whose only parent is ``_p``."""


GRAD_SLOT: Any = Node.__dict__["grad"]
"""The ``grad`` slot itself. An engine may put a property named ``grad`` in front of it
for users (the Tensor's wraps the array); the backward pass reads and writes the slot."""
