"""Checking a learner's hand-derived gradients against the engine.

Two questions a homework asks: "are my partial derivatives right?" and "is my local
gradient for this gate right?". One point is not enough to answer either: at
``x1 = pi/2`` the hand formulas for ``sin(x1*w1)**2`` and the code for ``sin(x1*w1)``
give the same numbers, because ``cos(pi/2) = 0`` wipes out the difference. So both checks
evaluate at the given point *and* at random points, and say which partial (or gate) is
wrong, where, and by how much.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import Node, vjp
from ..formatting import fmt, number
from ..primitive import REGISTRY, Primitive
from ..scalar import Scalar
from ..tensor import ARRAY_MODE, Tensor
from .numeric import central_difference
from .report_html import report_html


def _fmt(x: Any) -> str:
    a = np.asarray(x, dtype=np.float64)
    if a.size == 1:
        return number(a.item())
    return fmt(a.ravel() if a.ndim <= 1 or a.shape[-1] == 1 else a)


def _point_text(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in point.items())


# -- partial derivatives -----------------------------------------------------------------------

@dataclass
class PartialRow:
    """One partial at one point: ``expected`` (the engine), ``got`` (the hand formula),
    ``error`` (largest absolute difference), ``ok``, ``given`` (True at the given point)."""

    name: str
    point: dict[str, Any]
    given: bool
    expected: Any
    got: Any
    error: float
    ok: bool


@dataclass
class HandCheckReport:
    """The result of :func:`check_hand_gradients`.

    ``rows``: one :class:`PartialRow` per partial and point (the given point first);
    ``wrong``: names of partials wrong at some point; ``hidden``: those among them that
    agree at the given point (the point hides the error); ``skipped``: random points
    where the function was not finite; ``ok``: no partial is wrong.
    """

    rows: list[PartialRow]
    names: list[str]
    n_points: int
    skipped: int = 0
    rtol: float = 1e-6
    atol: float = 1e-9
    wrong: list[str] = field(init=False)
    hidden: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.wrong = [n for n in self.names if any(not r.ok for r in self.rows if r.name == n)]
        self.hidden = [n for n in self.wrong
                       if all(r.ok for r in self.rows if r.name == n and r.given)]

    @property
    def ok(self) -> bool:
        return not self.wrong

    def __repr__(self) -> str:
        where = f"{len(self.names)} partial(s) at {self.n_points} point(s)"
        if self.ok:
            return f"<HandCheckReport: right: {where}>"
        hidden = f"; the given point hides {', '.join(self.hidden)}" if self.hidden else ""
        return f"<HandCheckReport: WRONG: {', '.join(self.wrong)} ({where}){hidden}>"

    def _repr_html_(self) -> str:
        verdict = ("right: every partial agrees with the engine" if self.ok else
                   "wrong: " + ", ".join(f"d/d{n}" for n in self.wrong))
        return report_html(verdict, self.ok, self.text())

    def __bool__(self) -> bool:
        """``if report:`` is ``if report.ok:``."""
        return self.ok

    def failures(self, name: str) -> list[PartialRow]:
        """The rows where partial ``name`` is wrong."""
        return [r for r in self.rows if r.name == name and not r.ok]

    def text(self) -> str:
        """A per-partial summary, then the worst disagreement of each wrong partial."""
        lines = [f"hand gradients checked at the given point and {self.n_points - 1} random "
                 f"point(s) (tolerance atol={self.atol:g} + rtol={self.rtol:g}*|engine|)"]
        if self.skipped:
            lines.append(f"  ({self.skipped} random point(s) skipped: f not finite there)")
        for n in self.names:
            rows = [r for r in self.rows if r.name == n]
            bad = [r for r in rows if not r.ok]
            given = rows[0]
            if not bad:
                lines.append(f"  d/d{n}: right at all {len(rows)} points")
                continue
            g_text = "agrees" if given.ok else "disagrees"
            lines.append(f"  d/d{n}: WRONG at {len(bad)} of {len(rows)} points; at the given "
                         f"point it {g_text} (engine {_fmt(given.expected)}, "
                         f"hand {_fmt(given.got)})")
            if n in self.hidden:
                lines.append("    the given point hides the error: the hand formula agrees "
                             "there and disagrees elsewhere")
            worst = max(bad, key=lambda r: r.error)
            lines.append(f"    worst at {_point_text(worst.point)}: engine "
                         f"{_fmt(worst.expected)}, hand {_fmt(worst.got)} "
                         f"(off by {worst.error:.3g})")
        lines.append("all partials are right" if self.ok else
                     f"wrong partial(s): {', '.join(self.wrong)}")
        return "\n".join(lines)

    __str__ = text


def _engine_gradient(f: Callable[..., Any],
                     point: dict[str, Any]) -> tuple[dict[str, Any], float]:
    scalars = all(np.ndim(v) == 0 for v in point.values())
    leaves: dict[str, Any]
    if scalars:
        leaves = {k: Scalar(float(v), k) for k, v in point.items()}
    else:
        leaves = {k: Tensor(np.asarray(v, dtype=np.float64), requires_grad=True, name=k)
                  for k, v in point.items()}
    y = f(**leaves)
    if not isinstance(y, Node):
        raise TypeError("check_hand_gradients: f must compute its result with cr operations "
                        f"(Scalars or Tensors), it returned {type(y).__name__}")
    if np.size(y.value) != 1:
        raise TypeError(f"check_hand_gradients: f must return one number, got shape "
                        f"{np.shape(y.value)}")
    y.backward()  # type: ignore[attr-defined]  # Scalar or Tensor
    out = {}
    for k, leaf in leaves.items():
        g = leaf.grad
        if g is None:                   # not reached: the output does not depend on it
            out[k] = 0.0 if scalars else np.zeros(np.shape(point[k]))
        else:
            out[k] = float(g) if scalars else np.asarray(g, dtype=np.float64)
    return out, float(np.asarray(y.value))


def _random_point(at: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Each variable drawn uniformly from [-2s, 2s], s = max(1, |given value|), with its
    shape and the given values' type (floats stay floats)."""
    out = {}
    for k, v in at.items():
        a = np.asarray(v, dtype=np.float64)
        s = max(1.0, float(np.max(np.abs(a)))) if a.size else 1.0
        r = rng.uniform(-2 * s, 2 * s, size=a.shape)
        out[k] = float(r) if a.ndim == 0 else r
    return out


def check_hand_gradients(f: Callable[..., Any], hand: Mapping[str, Callable[..., Any]],
                         at: Mapping[str, Any], *, n_random: int = 20, seed: int = 0,
                         rtol: float = 1e-6, atol: float = 1e-9) -> HandCheckReport:
    """Compare hand-derived partial derivatives with the engine's, at ``at`` and at
    ``n_random`` random points.

    ``f(**point)`` computes the function with cr operations; it is called with Scalars
    when every value of the point is a number, else with Tensors (each of the value's
    shape). ``hand`` maps a variable name to the hand formula for df/d(name), called as
    ``hand[name](**point)`` with plain floats or ndarrays, returning a number or an array
    of that variable's shape. ``at`` is the given point (name -> value). Random points
    draw each variable from [-2s, 2s] with s = max(1, |given value|); points where f is
    not finite are skipped. A partial is right where
    ``|hand - engine| <= atol + rtol * |engine|`` elementwise.

    Returns a :class:`HandCheckReport` (``.ok``, ``.wrong``, ``.hidden``, ``.rows``,
    ``.text()``). Raises KeyError if ``hand`` names a variable that is not in ``at``.
    """
    unknown = [n for n in hand if n not in at]
    if unknown:
        raise KeyError(f"check_hand_gradients: hand formulas for {unknown} but the point "
                       f"only has {list(at)}")
    rng = np.random.default_rng(seed)
    points = [dict(at)] + [_random_point(at, rng) for _ in range(n_random)]
    rows: list[PartialRow] = []
    skipped = 0
    for k, point in enumerate(points):
        with np.errstate(all="ignore"):
            engine, value = _engine_gradient(f, point)
        if k > 0 and not (np.isfinite(value)
                          and all(np.all(np.isfinite(g)) for g in engine.values())):
            skipped += 1
            continue
        for name, formula in hand.items():
            expected = engine[name]
            got = formula(**point)
            got_arr = np.asarray(got, dtype=np.float64)
            exp_arr = np.asarray(expected, dtype=np.float64)
            if got_arr.shape != exp_arr.shape and got_arr.size == exp_arr.size == 1:
                got_arr = got_arr.reshape(exp_arr.shape)
            if got_arr.shape != exp_arr.shape:
                error, ok = float("inf"), False
            else:
                diff = np.abs(got_arr - exp_arr)
                error = float(np.max(diff)) if diff.size else 0.0
                ok = bool(np.all(diff <= atol + rtol * np.abs(exp_arr)))
            rows.append(PartialRow(name, point, k == 0, expected, got, error, ok))
    return HandCheckReport(rows, list(hand), len(points), skipped, rtol, atol)


# -- one gate's local derivative ---------------------------------------------------------------

def _lambda_text(fn: Callable[..., Any]) -> str:
    """``x*(1-x)`` for ``lambda x: x*(1-x)``; the function's name otherwise."""
    name = getattr(fn, "__name__", "formula")
    if name != "<lambda>":
        return name
    try:
        lines, start = inspect.getsourcelines(fn)
        source = textwrap.dedent("".join(lines))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return "your formula"
    code = fn.__code__
    args = list(code.co_varnames[: code.co_argcount])
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda) and [a.arg for a in node.args.args] == args:
            text = ast.get_source_segment(source, node.body)
            if text:
                return text
    return "your formula"


@dataclass
class LocalRow:
    """One point: the input values ``at``, the learner's ``hand`` value, the engine's
    ``engine`` value (from its rule) and a central difference ``numeric`` of the op's
    forward (an independent witness), per input."""

    at: tuple[float, ...]
    hand: tuple[float, ...]
    engine: tuple[float, ...]
    numeric: tuple[float, ...]
    ok: bool


@dataclass
class LocalCheckReport:
    """The result of :func:`check_local_gradient`: ``op`` (the primitive), ``formula``
    (the learner's, as text), ``rows``, ``ok``, ``text()``."""

    op: Primitive
    formula: str
    rows: list[LocalRow]
    rtol: float = 1e-6
    atol: float = 1e-9

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def __bool__(self) -> bool:
        """``if report:`` is ``if report.ok:``."""
        return self.ok

    @property
    def n_wrong(self) -> int:
        return sum(not r.ok for r in self.rows)

    def __repr__(self) -> str:
        verdict = ("right" if self.ok else
                   f"WRONG at {self.n_wrong} of {len(self.rows)} points")
        return f"<LocalCheckReport: {self.op.name} gate, {self.formula}: {verdict}>"

    def _repr_html_(self) -> str:
        verdict = (f"right: {self.formula} agrees with the {self.op.name} rule" if self.ok
                   else f"wrong at {self.n_wrong} of {len(self.rows)} points: {self.formula}")
        return report_html(verdict, self.ok, self.text())

    def text(self) -> str:
        """A verdict naming the gate, then the values side by side."""
        prim = self.op
        rules = "; ".join(prim.rule(i) for i in range(prim.n_inputs))
        yours = "" if self.formula == "your formula" else f" {self.formula}"
        head = (f"{prim.name} gate: your local gradient{yours} "
                + ("agrees with" if self.ok else
                   f"is WRONG at {self.n_wrong} of {len(self.rows)} points; the engine's rule is")
                + f" {rules}")
        names = prim.inputs
        cols = [f"{n:>10}" for n in names]
        many = prim.n_inputs > 1
        for n in names:
            suffix = f" d/d{n}" if many else ""
            cols += [f"{'yours' + suffix:>14}", f"{'engine' + suffix:>14}",
                     f"{'numeric' + suffix:>14}"]
        lines = [head, "  " + " ".join(cols)]
        for r in self.rows:
            cells = [number(v, 4).rjust(10) for v in r.at]
            for h, e, d in zip(r.hand, r.engine, r.numeric):
                cells += [number(h).rjust(14), number(e).rjust(14), number(d).rjust(14)]
            lines.append("  " + " ".join(cells) + ("   ok" if r.ok else "   WRONG"))
        return "\n".join(lines)

    __str__ = text


def _sample_points(prim: Primitive, n: int, rng: np.random.Generator) -> list[tuple]:
    points: list[tuple] = []
    while len(points) < n:
        p = tuple(float(rng.uniform(lo, hi)) for lo, hi in prim.sample[: prim.n_inputs])
        if all(abs(v - a) > 1e-3 for v in p for a in prim.avoid):
            points.append(p)
    return points


def _along(prim: Primitive, point: tuple, i: int) -> Callable[[float], float]:
    """``t -> prim(point with input i moved by t)``, on floats."""
    forward = prim.float_fn
    assert forward is not None  # check_local_gradient refuses Tensor-only ops first
    return lambda t: forward(*(v + t if j == i else v for j, v in enumerate(point)))


def check_local_gradient(op: str | Primitive, hand: Callable[..., Any], *,
                         points: Sequence[Any] | None = None, n: int = 20,
                         seed: int = 0, rtol: float = 1e-6,
                         atol: float = 1e-9) -> LocalCheckReport:
    """Compare a learner's local derivative of one gate with the engine's rule.

    ``op`` is a primitive's name (``"sigmoid"``) or a :class:`Primitive` with a float
    forward (an elementwise op on numbers). ``hand(*inputs)`` is the learner's local
    derivative as a function of the op's input(s), e.g. ``lambda x: x*(1-x)``; for an
    op with several inputs it returns one value per input (a tuple). Evaluated at
    ``points`` (numbers, or tuples for several inputs) or at ``n`` points drawn from the
    op's sample ranges away from its kinks. Each row shows the inputs, yours, the
    engine's (its rule with upstream gradient 1) and a central difference of the op's
    forward. Raises KeyError for an unknown op name, TypeError for a Tensor-only op.
    """
    prim = op if isinstance(op, Primitive) else REGISTRY.get(op)
    if prim is None:
        raise KeyError(f"check_local_gradient: no primitive named {op!r}; known: "
                       f"{', '.join(sorted(REGISTRY))}")
    if prim.float_fn is None or prim.variadic:
        raise TypeError(f"check_local_gradient: {prim.name} is not an op on numbers; it "
                        "checks the local derivative of an elementwise gate")
    k = prim.n_inputs
    rng = np.random.default_rng(seed)
    if points is None:
        pts = _sample_points(prim, n, rng)
    else:
        pts = [tuple(float(v) for v in (p if isinstance(p, (tuple, list)) else (p,)))
               for p in points]
    rows = []
    for p in pts:
        if len(p) != k:
            raise ValueError(f"check_local_gradient: {prim.name} takes {k} input(s), "
                             f"the point {p} has {len(p)}")
        ans = np.float64(prim.float_fn(*p))
        args = [np.float64(v) for v in p]
        engine = tuple(float(c) if (c := vjp(prim, i, np.float64(1.0), ans, args,
                                                ARRAY_MODE)) is not None else 0.0
                       for i in range(k))
        numeric = [float(central_difference(_along(prim, p, i), 1e-6 * max(1.0, abs(p[i]))))
                   for i in range(k)]
        yours = hand(*p)
        yours = tuple(float(v) for v in (yours if isinstance(yours, (tuple, list))
                                         else (yours,)))
        if len(yours) != k:
            raise ValueError(f"check_local_gradient: {prim.name} has {k} inputs; the hand "
                             f"formula must return {k} values, it returned {len(yours)}")
        ok = all(abs(y - e) <= atol + rtol * abs(e) for y, e in zip(yours, engine))
        rows.append(LocalRow(p, yours, engine, tuple(numeric), ok))
    return LocalCheckReport(prim, _lambda_text(hand), rows, rtol, atol)
