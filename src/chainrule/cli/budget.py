"""The work budget of the ``chainrule`` command: how much a formula may allocate and compute.

The formula limits (characters, parts, elements per value) bound each value, not the work:
``sum(x - transpose(x))`` at a 14,000-element row builds a 196-million-element matrix. So
before anything runs, :func:`estimate` walks the formula with the shapes of the given values
and adds up the elements every intermediate keeps in the graph and the arithmetic every op
does; :meth:`Limits.admit` refuses a formula over the limits with a message naming the limit
and the option that raises it. While the formula runs, :class:`Guard` is the second line of
defence: it counts the elements actually allocated and the wall-clock time, between ops.

The defaults keep one command well inside a small shared machine (2 cores, a few GB free):
20 million elements (160 MB of float64 values, about half a GB with the backward pass's
cotangents) and 10 seconds of estimated work.
"""

from __future__ import annotations

import ast
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..primitive import REGISTRY
from .formula import FUNCTIONS, Formula, _param_value, metering
from .parser import MAX_ELEMENTS, MAX_SECONDS
from .terminal import MathError

ELEMENTWISE_PER_SECOND = 1e7
"""Elementwise work per second assumed by the estimate, per element of every intermediate:
measured on a shared 2-core machine, where writing fresh memory dominates, with room for the
backward pass (about twice the forward) and Python."""
MATMUL_FLOPS_PER_SECOND = 8e8
"""Multiply-adds per second of a matrix product (OpenBLAS on one busy core), forward and
backward together."""


class BudgetError(MathError):
    """The formula would exceed (or did exceed) a work limit (exit status 3)."""


@dataclass(frozen=True)
class Estimate:
    """What a formula will cost at the given shapes: ``elements`` every intermediate keeps,
    ``elementwise`` operations, ``flops`` of matrix products, and the ``largest`` value
    (its element count, shape and the span of its part of the formula)."""

    elements: int
    elementwise: int
    flops: int
    largest: tuple[int, tuple[int, ...], tuple[int | None, int | None]]

    @property
    def seconds(self) -> float:
        """The estimated time of one forward and backward pass."""
        return self.elementwise / ELEMENTWISE_PER_SECOND + self.flops / MATMUL_FLOPS_PER_SECOND

    def times(self, k: float) -> Estimate:
        """The cost of ``k`` passes (what a check or a Hessian runs)."""
        return Estimate(int(self.elements * k), int(self.elementwise * k),
                        int(self.flops * k), self.largest)


@dataclass(frozen=True)
class Limits:
    """The limits of one command: ``max_elements`` in the graph at once, ``max_seconds`` of
    estimated work (and of wall-clock time while running)."""

    max_elements: int = MAX_ELEMENTS
    max_seconds: float = MAX_SECONDS

    def admit(self, formula: Formula, cost: Estimate, what: str = "the formula") -> None:
        """Raise BudgetError naming the limit and how to raise it when ``cost`` is over."""
        if cost.elements > self.max_elements:
            size, shape, _ = cost.largest
            raise BudgetError(
                f"{what} would hold about {cost.elements:,} elements in its graph (the "
                f"largest value has shape {shape}, {size:,} elements); the limit is "
                f"{self.max_elements:,} (raise it with --max-elements N)")
        if cost.seconds > self.max_seconds:
            raise BudgetError(
                f"{what} would take about {cost.seconds:.3g} s ({cost.elementwise:,} "
                f"elementwise operations, {cost.flops:,} multiply-adds); the limit is "
                f"{self.max_seconds:g} s (raise it with --max-seconds S)")

    @contextmanager
    def guard(self) -> Iterator[Guard]:
        """Run the body under a :class:`Guard`: every formula evaluated inside is metered."""
        g = Guard(self)
        with metering(g):
            yield g


class Guard:
    """The running check: called after each op of a formula with the size of its result;
    raises BudgetError once the values allocated pass twice ``max_elements`` per pass (the
    estimate is refused above ``max_elements``, so this only fires when it was wrong) or
    the wall clock passes ``max_seconds`` plus a second."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_seconds + 1.0
        self.pass_elements = 0

    def new_pass(self) -> None:
        """A new evaluation starts: its graph is new (the last one can be freed)."""
        self.pass_elements = 0

    def __call__(self, size: int) -> None:
        self.pass_elements += size
        if self.pass_elements > 2 * self.limits.max_elements:
            raise BudgetError(f"the formula allocated more than {2 * self.limits.max_elements:,}"
                              " elements; stopped (raise the limit with --max-elements N)")
        if time.monotonic() > self.deadline:
            raise BudgetError(f"the command ran for more than {self.limits.max_seconds:g} s; "
                              "stopped (raise the limit with --max-seconds S)")


def limits_of(args: Any) -> Limits:
    """The limits the command line asked for."""
    return Limits(getattr(args, "max_elements", MAX_ELEMENTS),
                  getattr(args, "max_seconds", MAX_SECONDS))


# -- the estimate -----------------------------------------------------------------------------

def estimate(formula: Formula, values: Mapping[str, Any]) -> Estimate:
    """The cost of evaluating ``formula`` once (and differentiating it) with ``values``,
    from shapes alone: nothing is computed. Incompatible shapes are left for the evaluation
    to report."""
    walker = _Shapes(formula, {n: np.shape(v) for n, v in values.items()})
    walker.shape(formula.tree.body)
    return Estimate(walker.elements, walker.elementwise, walker.flops, walker.largest)


def _size(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def _broadcast(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return max(shapes, key=_size)


def _matmul(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    if not a or not b:
        return _broadcast(a, b), max(_size(a), _size(b))
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    batch = _broadcast(a2[:-2], b2[:-2])
    m, k, n = a2[-2], a2[-1], b2[-1]
    out = batch + ((m,) if len(a) > 1 else ()) + ((n,) if len(b) > 1 else ())
    return out, _size(batch) * m * k * n


def _reduce(shape: tuple[int, ...], axis: Any, keepdims: Any) -> tuple[int, ...]:
    nd = len(shape)
    if axis is None:
        axes = set(range(nd))
    else:
        given = axis if isinstance(axis, tuple) else (axis,)
        axes = {a % nd for a in given if isinstance(a, int) and nd and -nd <= a < nd}
    if keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


class _Shapes:
    """Walks a formula's syntax tree with shapes, the way the evaluator walks it with
    values, adding up the cost of every node."""

    def __init__(self, formula: Formula, shapes: dict[str, tuple[int, ...]]) -> None:
        self.formula = formula
        self.shapes = shapes
        self.elements = 0
        self.elementwise = 0
        self.flops = 0
        self.largest: tuple[int, tuple[int, ...], tuple[int | None, int | None]] = (
            0, (), (None, None))

    def add(self, node: ast.AST, shape: tuple[int, ...], work: int | None = None) -> None:
        size = _size(shape)
        self.elements += size
        self.elementwise += size if work is None else work
        if size > self.largest[0]:
            self.largest = (size, shape, self.formula.span(node))

    def shape(self, node: ast.AST) -> tuple[int, ...]:
        # the parser bounded the depth, so recursion is safe
        if isinstance(node, ast.Constant):
            return ()
        if isinstance(node, ast.Name):
            return self.shapes.get(node.id, ())
        if isinstance(node, ast.BinOp):
            a, b = self.shape(node.left), self.shape(node.right)
            if isinstance(node.op, ast.MatMult):
                out, flops = _matmul(a, b)
                self.flops += flops
                self.add(node, out)
            else:
                out = _broadcast(a, b)
                self.add(node, out)
            return out
        if isinstance(node, ast.UnaryOp):
            out = self.shape(node.operand)
            self.add(node, out)
            return out
        if isinstance(node, ast.List):
            items = [self.shape(e) for e in node.elts]
            out = (len(items),) + max(items, key=_size)
            self.add(node, out)
            return out
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        return self.call(node, node.func.id)

    def call(self, node: ast.Call, name: str) -> tuple[int, ...]:
        fn = FUNCTIONS[name]
        pairwise = name in ("max", "min") and len(node.args) == 2 and not node.keywords
        n_values = 2 if pairwise else fn.values
        ins = [self.shape(a) for a in node.args[:n_values]]
        params = dict(zip(fn.params, (_param_value(p) for p in node.args[n_values:])))
        params.update((kw.arg, _param_value(kw.value)) for kw in node.keywords if kw.arg)
        star = tuple(_param_value(p) for p in node.args[n_values:]) if fn.star else ()
        if len(star) == 1 and isinstance(star[0], tuple):
            star = star[0]
        prim = next((p for p in REGISTRY.values() if p.function == name), None)
        kind = prim.kind if prim is not None else ""
        size_in = sum(_size(s) for s in ins)
        if fn.makes_array:
            dims = tuple(d for d in star if isinstance(d, int) and d >= 0)
            out = (dims[0], dims[0]) if name == "eye" and dims else dims
        elif pairwise or kind == "binary":
            out = _broadcast(*ins)
        elif kind == "unary":
            out = ins[0]
        elif kind == "reduction" or name == "norm":
            out = _reduce(ins[0], params.get("axis"), params.get("keepdims"))
            self.add(node, out, size_in)
            return out
        elif name in ("matmul", "dot"):
            out, flops = _matmul(ins[0], ins[1])
            self.flops += flops
        elif name == "reshape":
            dims = tuple(d for d in star if isinstance(d, int))
            known = _size(tuple(d for d in dims if d >= 0)) or 1
            out = tuple(_size(ins[0]) // known if d < 0 else d for d in dims)
        elif name == "transpose":
            axes = [a for a in star if isinstance(a, int)]
            shape = ins[0]
            out = (tuple(shape[a] for a in axes if -len(shape) <= a < len(shape))
                   if len(axes) == len(shape) else shape[::-1])
        elif name in ("softmax", "log_softmax"):
            out = ins[0]
            self.add(node, out, 4 * size_in)
            return out
        else:   # a function added later: assume elementwise over its largest input
            out = max(ins, key=_size) if ins else ()
            self.add(node, out, size_in)
            return out
        self.add(node, out)
        return out
