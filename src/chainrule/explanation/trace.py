"""The graph behind an explanation or a picture, traced once: its nodes in forward order,
their names, and what one observed backward pass sent along every edge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import Node, Observer, backprop, vjp, walk
from ..formatting import fmt


def n_inputs(node: Node) -> int:
    """How many of ``node.parents`` are the op's inputs (the rest are parameters)."""
    prim = node.prim
    if prim is None:
        return 0
    return len(node.parents) - 1 if prim.variadic else prim.n_inputs


def input_symbols(node: Node) -> list[str]:
    """The rule table's names of the op's inputs (``x``, ``y``; ``A``, ``B``; ``xs[0]``)."""
    prim = node.prim
    n = n_inputs(node)
    if prim.variadic:
        return [f"xs[{j}]" for j in range(n)]
    return list(prim.inputs[:n])


def is_input(p: Any) -> bool:
    """Whether a parent is a differentiable graph node (else a constant)."""
    return isinstance(p, Node) and p.needs


class Trace(Observer):
    """One graph, named and differentiated once: what explanations and pictures share.

    ``order`` is every node (constant Tensors too), inputs first; ``names`` maps
    ``id(node)`` to its user name or a generated ``v<k>``; ``edges`` lists ``(node, i,
    parent, contribution)`` in the order the backward pass produced them; ``grads`` maps
    ``id(node)`` to the total gradient that reached it (as the pass reported it);
    ``received`` to the list of contributions it received, in order. The pass is the
    core's, observed (``accumulate=False``: no ``.grad`` changes); for a Scalar graph it
    computes the same numbers, in the same order, as ``backward()``'s float loop.
    """

    def __init__(self, root: Node, seed: Any = None) -> None:
        if not isinstance(root, Node) or root.backward_mode is None:
            raise TypeError(f"explain/to_dot: expected a Scalar or a Tensor output, got "
                            f"{type(root).__name__}; build it from cr.Scalar or cr.tensor "
                            f"inputs (requires_grad=True)")
        self.root = root
        self.order = walk(root, every=True)
        self.names = _names(self.order)
        self.mode = root.backward_mode
        self.scalar = bool(self.mode.floats)
        self.edges: list[tuple[Node, int, Node, Any]] = []
        self.grads: dict[int, Any] = {}
        self.received: dict[int, list[Any]] = {}
        self.seed_note = ""
        if not root.needs:
            self.seed = None
            return
        try:
            self.seed = root.backward_seed(seed)
        except ValueError:
            raise ValueError(f"explain: seed has shape {np.shape(seed)} but the output has "
                             f"shape {np.shape(root.value)}") from None
        if seed is None and np.size(root.value) != 1:
            self.seed_note = ("the output is not one number: the seed is ones, so the "
                              "gradients are those of sum(output)")
        backprop(root, self.seed, self.mode, accumulate=False, observer=self)

    def node(self, node: Node, g: Any) -> None:
        self.grads[id(node)] = g

    def edge(self, node: Node, i: int, parent: Node, c: Any) -> None:
        self.edges.append((node, i, parent, c))
        self.received.setdefault(id(parent), []).append(c)

    def name(self, x: Any) -> str:
        """A node's name, or a constant's value."""
        if isinstance(x, Node):
            return self.names[id(x)]
        return fmt(x)

    def kind(self, node: Node) -> str:
        """'output', 'input', 'constant' or 'gate'."""
        if node is self.root:
            return "output"
        if node.prim is None:
            return "input" if node.needs else "constant"
        return "gate" if node.needs else "constant"

    def local(self, node: Node, i: int) -> float:
        """The local derivative d node / d input i, a number (Scalar graphs): the rule
        with upstream 1, as the backward pass computes it (0.0 where the rule table says
        no gradient flows)."""
        args = [p.value if isinstance(p, Node) else p for p in node.parents]
        c = vjp(node.prim, i, 1.0, node.value, args, self.mode)
        return 0.0 if c is None else float(c)


def _names(order: Sequence[Node]) -> dict[int, str]:
    taken = {n.name for n in order if n.name}
    names: dict[int, str] = {}
    k = 0
    for node in order:
        if node.name:
            names[id(node)] = node.name
            continue
        k += 1
        while f"v{k}" in taken:
            k += 1
        names[id(node)] = f"v{k}"
    return names
