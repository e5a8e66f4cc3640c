"""``chainrule grad --check``: the engine's gradients against central differences, at a cost
the work budget bounds.

At each point (the given one, then ``--random`` points drawn one at a time as the given
values plus standard normal noise) the gradient is compared along a random direction: two
evaluations, whatever the size of the variables. Where the directional check disagrees (a
wrong rule, or a kink such as a tie in ``max``) the elements are compared one by one: all of
them when that fits the time limit (with :func:`~chainrule.gradcheck`'s messages), else a
random sample sized to fit, and the report says how many were sampled.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checking.gradcheck import gradcheck
from ..core import no_grad
from ..errors import GradcheckError
from ..tensor import Tensor
from .budget import BudgetError, Estimate, Limits
from .terminal import fmt_array

EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3
LARGE = 1e5
"""Above this magnitude a step of EPS is lost to rounding (x + 1e-6 == x from 2**53 on):
such an element is stepped by about cbrt(3 ulp(x)) instead, the step that balances rounding
against truncation."""


@dataclass
class CheckResult:
    """What ``--check`` found: ``points`` checked, ``skipped`` (value not finite there),
    whether the given point itself was skipped, the ``failure`` (None: passed) and, when
    element-wise comparisons were sampled, how many of how many elements."""

    points: int
    skipped: int
    failure: str | None
    given_skipped: bool = False
    sampled: tuple[int, int] | None = None
    notes: tuple[str, ...] = ()
    conclusive: bool = True
    """False for a failure among values so large (over LARGE) that float64 resolves them
    too coarsely for central differences: the engine is not shown wrong, only unconfirmed."""

    @property
    def ok(self) -> bool:
        return self.failure is None


def _points(base: list[np.ndarray], n_random: int, seed: int) -> Iterator[list[np.ndarray]]:
    """The given point, then ``n_random`` random ones, each drawn only when it is needed."""
    rng = np.random.default_rng(seed)
    yield base
    for _ in range(n_random):
        yield [b + rng.standard_normal(b.shape) for b in base]


def numeric_check(problem: Any, n_random: int, seed: int, cost: Estimate,
                  limits: Limits) -> CheckResult:
    """Check ``problem``'s gradients at the given point and ``n_random`` random ones.

    ``cost`` is one pass's estimate; raises BudgetError when even the directional checks
    would pass ``limits.max_seconds`` (fewer ``--random`` points or a higher limit help).
    """
    n_points = 1 + n_random
    per_pass = max(cost.seconds, 2e-4)     # an evaluation costs at least Python's overhead
    if 3 * n_points * per_pass > limits.max_seconds:
        raise BudgetError(
            f"--check at {n_points} point(s) would take about {3 * n_points * per_pass:.3g} s; "
            f"the limit is {limits.max_seconds:g} s (fewer points with --random N, or raise "
            "the limit with --max-seconds S)")
    f = problem.as_function()
    base = [np.asarray(problem.values[n], dtype=float) for n in problem.wrt]
    n_elements = sum(b.size for b in base)
    # what is left after the directional checks, spread over the points, two passes each
    affordable = int((limits.max_seconds / 2) / (n_points * 2 * per_pass))
    sample = max(8, affordable)
    rng = np.random.default_rng(seed)
    checked = skipped = 0
    given_skipped = False
    sampled = None
    notes: list[str] = []
    for k, point in enumerate(_points(base, n_random, seed)):
        with np.errstate(all="ignore"):
            with no_grad():
                y = np.asarray(f(*[Tensor(p) for p in point]).value)
            if not np.all(np.isfinite(y)):
                skipped += 1
                given_skipped = given_skipped or k == 0
                continue
            g, at, scales = _stepped(f, point)
            try:
                if n_elements <= sample:
                    before = len(notes)
                    # scaled elements are stepped one by one: a step of exactly +-EPS
                    # keeps point +- step exact, a random direction would not
                    gradcheck(g, *at, eps=EPS, seed=seed, notes=notes, fast=scales is None)
                    where = "at the given point" if k == 0 else f"at random point {k}"
                    notes[before:] = [f"{where}: {n}" for n in notes[before:]]
                else:
                    sampled = (sample, n_elements)
                    _sampled_check(g, at, rng, sample)
            except GradcheckError as exc:
                _unscale(exc, scales)
                return CheckResult(checked, skipped, _failure(problem, k, point, exc),
                                   given_skipped, sampled, tuple(notes),
                                   conclusive=scales is None)
        checked += 1
    return CheckResult(checked, skipped, None, given_skipped, sampled, tuple(notes))


def _stepped(f: Any, point: list[np.ndarray]) -> tuple[Any, list[np.ndarray],
                                                       list[np.ndarray] | None]:
    """``f`` and ``point`` as the check sees them. Where an element is larger than LARGE
    the check runs on ``u -> f(point + scale * u)`` at ``u = 0``, so that a step of EPS
    in ``u`` is one of ``scale * EPS`` in the element (its gradient is ``scale`` times
    f's); elsewhere the scale is 1. Returns (function, point, scales or None)."""
    big = [np.abs(p) > LARGE for p in point]
    if not any(b.any() for b in big):
        return f, point, None
    # the step: a power of two times the element's ulp (p +- step is then exact, no step
    # is lost to rounding), near cbrt(3 ulp)
    ulp = [np.spacing(np.abs(p)) for p in point]
    steps = [u * np.exp2(np.maximum(0, np.round(np.log2(np.cbrt(3 * u) / u)))) for u in ulp]
    scales = [np.where(b, h / EPS, 1.0) for b, h in zip(big, steps)]

    def g(*us: Any) -> Any:
        return f(*[Tensor(p) + Tensor(c) * u for p, c, u in zip(point, scales, us)])

    return g, [np.zeros_like(p) for p in point], scales


def _unscale(exc: GradcheckError, scales: list[np.ndarray] | None) -> None:
    """The failure's numbers back in the variables' own units, and the coarsest step (what
    the failure message names: the check could not judge finer than that)."""
    if scales is None:
        return
    if exc.argnum is not None:
        c = float(scales[exc.argnum][tuple(exc.index or ())])
        exc.analytic, exc.numeric = exc.analytic / c, exc.numeric / c
    exc.resolution = float(max(np.max(c) for c in scales)) * EPS  # type: ignore[attr-defined]


def _failure(problem: Any, k: int, point: list[np.ndarray], exc: GradcheckError) -> str:
    where = "at the given point" if k == 0 else f"at random point {k}"
    values = ", ".join(f"{n}={fmt_array(p, 6)}" for n, p in zip(problem.wrt, point))
    name = problem.wrt[exc.argnum] if exc.argnum is not None else "the gradient"
    index = f"[{','.join(map(str, exc.index))}]" if exc.index else ""
    if exc.argnum is None:
        # (for a scaled check the replay of the graph would blame the scaling's own gate)
        detail = str(exc).split("\n")[0] if getattr(exc, "resolution", None) else str(exc)
    else:
        detail = (f"d/d{name}{index}: engine {exc.analytic:.10g}, central difference "
                  f"{exc.numeric:.10g}")
        if getattr(exc, "judged", None):
            detail = f"d/d{name}{index}: engine {exc.analytic:.10g}, not allowed by {exc.judged}"
    resolution = getattr(exc, "resolution", None)
    if resolution:
        detail += (f" (some values are so large that float64 resolves them only to steps of "
                   f"{resolution:.3g}, and f's value as coarsely: central differences cannot "
                   "judge a function that curves within such a step, nor a small element "
                   "beside large ones; check at smaller values)")
    return f"{where} ({values}): {detail}"


def _value(f: Any, arrays: list[np.ndarray]) -> float:
    with no_grad():
        return float(np.sum(np.asarray(f(*[Tensor(a) for a in arrays]).value)))


def _sampled_check(f: Any, point: list[np.ndarray], rng: np.random.Generator,
                   sample: int) -> None:
    """The directional check, then (if it disagrees) ``sample`` random elements compared
    one by one; raises GradcheckError at the first element over the tolerance."""
    tensors = [Tensor(p, requires_grad=True) for p in point]
    out = f(*tensors)
    out.sum().backward() if np.size(out.value) != 1 else out.backward()
    grads = [np.zeros_like(p) if t.grad is None else np.asarray(t.grad) for t, p in
             zip(tensors, point)]
    vs = [rng.standard_normal(p.shape) for p in point]
    analytic = float(sum(np.vdot(g, v) for g, v in zip(grads, vs)))
    numeric = (_value(f, [p + EPS * v for p, v in zip(point, vs)])
               - _value(f, [p - EPS * v for p, v in zip(point, vs)])) / (2 * EPS)
    if abs(analytic - numeric) <= ATOL + RTOL * abs(numeric):
        return
    _elements(f, point, grads, rng, sample)
    raise GradcheckError(
        f"the directional derivative disagrees (engine {analytic:.10g}, central difference "
        f"{numeric:.10g}) but none of {sample:,} sampled elements is over the tolerance: "
        "a kink (such as a tie in max) or errors spread over many elements",
        analytic=analytic, numeric=numeric)


def _elements(f: Any, point: list[np.ndarray], grads: list[np.ndarray],
              rng: np.random.Generator, sample: int) -> None:
    sizes = [p.size for p in point]
    for flat in rng.choice(sum(sizes), size=sample, replace=False):
        argnum = int(np.searchsorted(np.cumsum(sizes), flat, side="right"))
        offset = int(flat) - sum(sizes[:argnum])
        idx = np.unravel_index(offset, point[argnum].shape)
        plus = [p.copy() for p in point]
        minus = [p.copy() for p in point]
        plus[argnum][idx] += EPS
        minus[argnum][idx] -= EPS
        num = (_value(f, plus) - _value(f, minus)) / (2 * EPS)
        ana = float(grads[argnum][idx])
        if abs(ana - num) > ATOL + RTOL * abs(num):
            raise GradcheckError(f"gradient of argument {argnum} at element {idx} is wrong",
                                 argnum=argnum, index=tuple(int(i) for i in idx),
                                 analytic=ana, numeric=num)


__all__ = ["BudgetError", "CheckResult", "numeric_check"]
