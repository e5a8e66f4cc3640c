"""A formula with its point, as the commands read it from the command line: the value, the
gradients, the Hessian and the numeric check that ``grad``, ``check`` and ``grade`` share."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import Node, backprop
from ..errors import IndependentOutputWarning
from ..scalar import Scalar
from ..tensor import Tensor
from .formula import (
    Formula,
    FormulaError,
    FormulaUsageError,
    _suggest,
    constant,
    parse,
    split_assignment,
)
from .terminal import MathError, UsageError


@dataclass
class Problem:
    """A parsed formula with its values: what ``grad`` and ``check`` work on."""

    formula: Formula
    values: dict[str, Any]
    wrt: list[str]
    tensors: bool = field(default=False)

    def leaves(self) -> dict[str, Node]:
        """Fresh graph leaves for every variable (requiring grad for ``wrt``)."""
        if not self.tensors:
            return {n: Scalar(float(v), n) for n, v in self.values.items()}
        return {n: Tensor(v, requires_grad=n in self.wrt, name=n)
                for n, v in self.values.items()}

    def as_function(self) -> Any:
        """``f(*wrt_values)`` on Tensors, the other variables fixed: for gradcheck."""
        fixed = {n: v for n, v in self.values.items() if n not in self.wrt}

        def f(*args: Any) -> Any:
            env = dict(fixed)
            env.update(zip(self.wrt, args))
            return self.formula.evaluate(env)

        return f


def read_problem(text: str, at: Sequence[str], wrt: Sequence[str] | None,
                 extra_names: Sequence[str] = ()) -> Problem:
    """Parse the formula and the ``--at`` values; check ``--wrt``. Raises FormulaError or
    UsageError naming what is wrong."""
    formula = parse(text)
    values: dict[str, Any] = {}
    for item in at:
        name, value_text = split_assignment(item, "--at")
        if name in values:
            raise UsageError(f"--at gives {name} twice")
        try:
            values[name] = constant(value_text)
        except FormulaError as exc:
            exc.message = f"--at {name}: {exc.message}"
            raise
    for name in formula.variables:
        if name not in values:
            hint = _suggest(name, list(values))
            start, end = formula.first_use(name)
            raise FormulaUsageError(f"the variable {name} has no value: add {name}=... to "
                                    f"--at{hint}", formula.text, start, end)
    known = set(formula.variables) | set(extra_names)
    for name in values:
        if name not in known:
            hint = _suggest(name, list(formula.variables))
            listed = ", ".join(formula.variables) or "none"
            raise UsageError(f"--at {name}: the formula has no variable {name}{hint} "
                             f"(its variables: {listed})")
    if not formula.variables:
        raise UsageError("the formula has no variables, so there is nothing to "
                         "differentiate; write one, e.g. sin(x) --at x=1")
    chosen = list(wrt) if wrt else list(formula.variables)
    for name in chosen:
        if name not in formula.variables:
            hint = _suggest(name, list(formula.variables))
            raise UsageError(f"--wrt {name}: the formula has no variable {name}{hint} "
                             f"(its variables: {', '.join(formula.variables)})")
    chosen = list(dict.fromkeys(chosen))
    tensors = formula.needs_tensors or any(isinstance(v, np.ndarray) for v in values.values())
    return Problem(formula, values, chosen, tensors)


def _evaluate(problem: Problem, leaves: dict[str, Node]) -> Node:
    with np.errstate(all="ignore"):
        out = problem.formula.evaluate(leaves)
    if not isinstance(out, Node):
        raise MathError("the formula does not depend on the variables being "
                        "differentiated")
    if isinstance(out, Tensor) and out.value.size != 1:
        raise MathError(f"the formula's value has shape {out.shape}; a gradient needs a "
                        "single number: wrap it, e.g. sum(...) or norm(...), or ask for "
                        "the matrix of every output's partial derivatives with --jacobian")
    return out


def gradients(problem: Problem) -> tuple[Node, dict[str, Node], dict[str, Any]]:
    """Evaluate at the given point and run the backward pass.

    Returns the output node, the leaves (so --explain and --graph can show the graph) and
    ``{name: gradient}`` for ``problem.wrt`` (a float, or an array shaped like the value).
    """
    leaves = problem.leaves()
    out = _evaluate(problem, leaves)
    wanted = tuple(leaves[n] for n in problem.wrt)
    with np.errstate(all="ignore"):
        found = backprop(out, out.backward_seed(), out.backward_mode, accumulate=False,
                         wanted=wanted)
    grads: dict[str, Any] = {}
    for name in problem.wrt:
        leaf = leaves[name]
        g = found.get(id(leaf))
        if isinstance(leaf, Scalar):
            grads[name] = float(g) if g is not None else 0.0
        else:
            grads[name] = (np.zeros_like(leaf.value) if g is None
                           else np.asarray(g, dtype=float).reshape(np.shape(leaf.value)))
            if grads[name].ndim == 0:
                grads[name] = float(grads[name])
    return out, leaves, grads


def jacobian_of(problem: Problem) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The value and ``{name: Jacobian}`` for ``problem.wrt``, each of shape
    ``value.shape + variable.shape``, from one reverse pass with a batch of seeds."""
    from ..transforms import jacobian

    fixed = {n: Tensor(v, name=n) for n, v in problem.values.items() if n not in problem.wrt}

    def f(*args: Any) -> Any:
        env: dict[str, Any] = dict(fixed)
        env.update(zip(problem.wrt, args))
        out = problem.formula.evaluate(env)
        if not isinstance(out, Node):
            raise MathError("the formula does not depend on the variables being "
                            "differentiated")
        return out

    args = [np.asarray(problem.values[n], dtype=float) for n in problem.wrt]
    with np.errstate(all="ignore"):
        value = np.asarray(f(*[Tensor(a) for a in args]).value, dtype=float)
        found = jacobian(f, tuple(range(len(args))))(*args)
    return value, {n: np.asarray(J, dtype=float) for n, J in zip(problem.wrt, found)}


def hessian_of(problem: Problem) -> tuple[list[str], np.ndarray]:
    """The Hessian over every element of the ``wrt`` variables, by reverse-over-reverse.

    Returns the labels of the rows/columns (``x``, ``W[0,1]``) and the n x n matrix.
    """
    from ..transforms import hessian

    shapes = [np.shape(problem.values[n]) for n in problem.wrt]
    sizes = [int(np.prod(s)) for s in shapes]
    total = sum(sizes)
    if total > 400:
        raise UsageError(f"--hessian: the variables have {total} elements in all; the limit "
                         "is 400 (a 400 x 400 matrix)")
    labels = []
    for name, shape in zip(problem.wrt, shapes):
        if not shape:
            labels.append(name)
        else:
            labels += [f"{name}[{','.join(map(str, i))}]" for i in np.ndindex(*shape)]
    fixed = {n: Tensor(v, name=n) for n, v in problem.values.items() if n not in problem.wrt}

    def flat(v: Tensor) -> Tensor:
        env = dict(fixed)
        offset = 0
        for name, shape, size in zip(problem.wrt, shapes, sizes):
            env[name] = v[offset:offset + size].reshape(shape)
            offset += size
        out = problem.formula.evaluate(env)
        return out.sum() if isinstance(out, Tensor) else out

    v0 = np.concatenate([np.ravel(problem.values[n]) for n in problem.wrt]).astype(float)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # a gradient that does not depend on the variables (x*y's over y) has a Hessian of
        # zeros; the library's note about float() or .item() cutting the graph cannot
        # apply to a formula
        warnings.simplefilter("ignore", IndependentOutputWarning)
        H = np.asarray(hessian(flat)(v0), dtype=float).reshape(total, total)
    return labels, H


def require_finite_at_the_point(problem: Problem, command: str) -> None:
    """Raise MathError when the value or a partial derivative is not finite (inf or nan) at
    the given point: hand-derived partials cannot be judged against it there (a right
    answer that is also nan would be called wrong)."""
    out, _, grads = gradients(problem)
    parts = [("f", np.asarray(out.value))] + [(f"df/d{n}", np.asarray(g))
                                              for n, g in grads.items()]
    bad = [f"{label} is {float(v)}" if v.ndim == 0 else f"{label} has inf or nan elements"
           for label, v in parts if not np.all(np.isfinite(v))]
    if bad:
        raise MathError(f"{command}: at the given point {', '.join(bad)}, so no answer can "
                        "be judged there; give a point inside f's domain where every partial "
                        "is finite")


_DRAWABLE = float(np.finfo(float).max) / 4
"""The random points are drawn from [-2s, 2s], s = max(1, |value|): beyond this, 4s
overflows."""


def require_drawable(problem: Problem, command: str) -> None:
    """Raise UsageError when a value is too large to draw random points around it."""
    for name, value in problem.values.items():
        a = np.abs(np.asarray(value, dtype=float))
        if a.size and not np.all(np.isfinite(a)):
            raise UsageError(f"{command}: --at {name}: the value is not finite; answers are "
                             "judged at and around a point of finite values")
        if a.size and np.max(a) > _DRAWABLE:
            raise UsageError(f"{command}: --at {name}: {float(np.max(a)):g} is too large to "
                             f"draw random points around it (they range over four times the "
                             f"value; at most {_DRAWABLE:.3g})")
