"""Gradient checking against central finite differences in float64.

The fast check compares one directional derivative: for random directions ``v`` (inputs)
and ``u`` (output), ``u . J v`` from one reverse pass against
``(u.f(x + eps v) - u.f(x - eps v)) / (2 eps)``: two extra evaluations of ``f``, whatever
the size of the inputs. Only when that disagrees is the element-wise comparison computed,
to say which argument and which element is wrong.

When the check fails, :func:`chainrule.blame.blame` replays the graph gate by gate and the
error message names the first gate whose rule disagrees with its own forward (op, name,
source line, expected vs got); the report is also on the error as ``.blame``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import Node, backprop, no_grad
from ..errors import GradcheckError
from ..formatting import number
from ..pytree import is_container
from ..tensor import Tensor, as_array
from ..validation import positive
from .numeric import directional, slopes


def _call(f: Callable[..., Any], arrays: list[np.ndarray], grad: bool):
    leaves = [Tensor._node(a, (), None, grad) for a in arrays]
    y = f(*leaves)
    if isinstance(y, Node):
        if not isinstance(y, Tensor):
            raise TypeError("gradcheck: f must return a Tensor or an array")
        return leaves, y
    return leaves, Tensor._node(as_array(y), (), None, False)


def _numeric_value(f, arrays) -> np.ndarray:
    with no_grad():
        return np.asarray(_call(f, arrays, False)[1].value, dtype=np.float64)


def _analytic(f, arrays, u) -> list[np.ndarray]:
    leaves, y = _call(f, arrays, True)
    if y.shape != u.shape:
        raise ValueError("gradcheck: f's output shape changed between calls")
    found = backprop(y, y.backward_seed(u.astype(y.dtype)), y.backward_mode,
                     accumulate=False, wanted=tuple(leaves)) if y.needs else {}
    return [np.asarray(found.get(id(leaf), np.zeros_like(leaf.value)), dtype=np.float64)
            for leaf in leaves]


def gradcheck(f: Callable[..., Any], *args: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, fast: bool = True, seed: int = 0,
              notes: list[str] | None = None) -> bool:
    """Check the gradients of ``f`` at ``args`` against central differences (float64).

    ``f`` takes Tensors (one per argument) and returns a Tensor of any shape. Passes when
    ``|analytic - numeric| <= atol + rtol * |numeric|``. Returns True, or raises
    :class:`GradcheckError` naming the argument, the element, the analytic and the
    numeric value, followed by the first wrong gate found by replaying the graph node by
    node (``err.blame``: a :class:`~chainrule.blame.BlameReport`, or None when every gate
    agrees with its forward). ``fast=False`` always runs the element-wise comparison.

    The default ``rtol=1e-3`` absorbs finite-difference noise on badly scaled functions;
    it also lets a rule that is off by less than 0.1% pass. Use ``rtol=1e-5`` (central
    differences in float64 are good to about 1e-8 on well-scaled functions) to catch
    such small errors.

    Where ``f`` is not differentiable or the step leaves its domain, each element is
    judged by what its one-sided differences allow: at a kink (the slopes left and right
    differ, as for ``relu`` at 0) any value between them passes, which includes the
    convention the rule declares (``relu'(0) = 0``); where ``x - eps`` or ``x + eps``
    leaves the domain (``sqrt`` at 1e-12) the step shrinks until it fits, and on the edge
    itself a one-sided difference is used (an infinite derivative passes where the
    one-sided slope grows without bound). Each such judgement is appended to ``notes``
    (a list) when given, and named in the error if the check fails.
    """
    eps = positive("gradcheck", "eps", eps)
    atol = positive("gradcheck", "atol", atol, zero=True)
    rtol = positive("gradcheck", "rtol", rtol, zero=True)
    try:
        return _gradcheck(f, args, eps, atol, rtol, fast, seed,
                          notes if notes is not None else [])
    except GradcheckError as err:
        raise _with_blame(err, f, args, eps, atol, rtol, seed) from None


def _with_blame(err: GradcheckError, f, args, eps, atol, rtol, seed) -> GradcheckError:
    from .blame import blame
    try:
        report = blame(f, *args, eps=eps, atol=atol, rtol=rtol, seed=seed)
    except Exception as exc:  # the replay is a diagnosis: never hide the original failure
        report = None
        extra = f"blame: could not replay the graph ({type(exc).__name__}: {exc})"
    if report is not None:
        extra = report.text()
    elif "extra" not in locals():
        extra = ("blame: every gate's rule agrees with a central difference of its own "
                 "forward, so the chain rule through the recorded graph is right; the "
                 "mismatch comes from work the graph did not record (values taken out with "
                 ".value/.data/.detach() or plain numpy on raw data) or from a point where "
                 "f is not differentiable")
    new = GradcheckError(f"{err}\n{extra}", argnum=err.argnum, index=err.index,
                         analytic=err.analytic, numeric=err.numeric)
    new.blame = report
    new.judged = err.judged
    return new


def _gradcheck(f, args, eps, atol, rtol, fast, seed, notes) -> bool:
    for i, a in enumerate(args):
        try:
            value = as_array(a)
        except (TypeError, ValueError):
            if not is_container(a):
                raise
            raise TypeError(f"gradcheck: argument {i} is a {type(a).__name__} that is not "
                            "one array; gradcheck takes arrays and numbers: pass the leaves "
                            "as separate arguments (cr.flatten(tree) gives one vector and "
                            "the way back)") from None
        if np.iscomplexobj(value):
            raise TypeError(f"gradcheck: argument {i} is complex; gradcheck compares with "
                            "real finite differences, so pass the real and imaginary parts "
                            "as two real arguments")
    arrays = [np.array(as_array(a), dtype=np.float64) for a in args]
    for i, a in enumerate(arrays):
        bad = np.argwhere(~np.isfinite(a))
        if bad.size:            # no difference quotient exists there: not a wrong gradient
            where = f"element {tuple(int(v) for v in bad[0])}" if a.ndim else "its value"
            raise ValueError(f"gradcheck: argument {i} has a non-finite value "
                             f"({a[tuple(bad[0])]}) at {where}; finite differences need "
                             "finite inputs")
    rng = np.random.default_rng(seed)
    y0 = _numeric_value(f, arrays)
    # a one-number output is checked as it is; a larger one through a random projection
    u = np.ones(y0.shape) if y0.size == 1 else rng.standard_normal(y0.shape)
    if fast:
        vs = [rng.standard_normal(a.shape) for a in arrays]
        grads = _analytic(f, arrays, u)
        analytic = float(np.sum([np.vdot(g, v) for g, v in zip(grads, vs)]))
        with np.errstate(all="ignore"):
            numeric = float(np.vdot(u, directional(lambda *a: _numeric_value(f, list(a)),
                                                   arrays, vs, eps)))
        if abs(analytic - numeric) <= atol + rtol * abs(numeric):
            return True
    before = len(notes)
    _elementwise(f, arrays, u, eps, atol, rtol, notes)
    if fast and not np.isfinite(numeric):
        notes.append("the directional difference left f's domain; every element was judged "
                     "on its own")
    if fast and len(notes) == before:
        raise GradcheckError(
            f"gradcheck: the directional derivative disagrees (analytic {number(analytic, 10)}, "
            f"numeric {number(numeric, 10)}) but no single element exceeds the tolerance; the "
            "errors are spread over many elements", analytic=analytic, numeric=numeric)
    return True


def _close(a: float, b: float, atol: float, rtol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


def _judge(phi: Callable[[float], Any], analytic: float, eps: float, atol: float,
           rtol: float) -> tuple[float, float, str]:
    """``(excess, numeric, how)`` for one element: how far ``analytic`` is outside the
    tolerance (<= 0: it passes), the numeric value it was judged against, and how that was
    obtained ("" for a plain central difference; else a sentence for the notes)."""
    s = slopes(phi, eps)
    if np.isfinite(s.central) and np.isfinite(s.forward) and np.isfinite(s.backward):
        gap = abs(s.forward - s.backward)
        if gap > atol + rtol * max(abs(s.forward), abs(s.backward)):
            finer = slopes(phi, eps / 10)
            if abs(finer.forward - finer.backward) > 0.5 * gap:       # a kink, not curvature
                lo, hi = sorted((s.forward, s.backward))
                excess = max(lo - analytic, analytic - hi) - atol
                return excess, s.central, (
                    f"a kink (one-sided slopes {number(s.backward, 6)} left, "
                    f"{number(s.forward, 6)} right): any value between them passes")
        return abs(analytic - s.central) - (atol + rtol * abs(s.central)), s.central, ""
    h = eps
    while h > eps * 1e-9:                   # the step leaves the domain: shrink it
        h /= 10
        if np.isfinite(slopes(phi, h).central):
            numeric = slopes(phi, h / 100).central
            if np.isfinite(numeric):
                return (abs(analytic - numeric) - (atol + rtol * abs(numeric)), numeric,
                        f"a central difference of step {h / 100:.1e} (the step {eps:g} "
                        "leaves f's domain)")
    side, one = ("right", s.forward) if np.isfinite(s.forward) else ("left", s.backward)
    how = f"a one-sided ({side}) difference on the edge of f's domain"
    if np.isinf(analytic) and np.isfinite(one) and np.sign(analytic) == np.sign(one):
        steeper = slopes(phi, eps / 100)
        if abs(steeper.forward if side == "right" else steeper.backward) > 5 * abs(one):
            return -1.0, one, how + " (the slope grows without bound: infinite)"
    if not np.isfinite(one):
        return (0.0 if np.isnan(analytic) else np.inf), one, "no finite difference exists"
    return abs(analytic - one) - (atol + rtol * abs(one)), one, how


def _elementwise(f, arrays, u, eps, atol, rtol, notes: list[str]) -> None:
    """Compare every element of every argument; raise on the worst offender. How an
    element at a kink or a domain edge was judged goes into ``notes``."""
    grads = _analytic(f, arrays, u)
    worst = None
    for k, (a, g) in enumerate(zip(arrays, grads)):
        for idx in np.ndindex(a.shape):
            e = np.zeros(a.shape)
            e[idx] = 1.0

            def phi(t: float, k: int = k, e: np.ndarray = e) -> Any:
                bumped = list(arrays)
                bumped[k] = arrays[k] + t * e
                return np.vdot(u, _numeric_value(f, bumped))

            analytic = float(g[idx])
            with np.errstate(all="ignore"):
                excess, numeric, how = _judge(phi, analytic, eps, atol, rtol)
            where = f"element {idx}" if idx else "its value"
            if how:
                notes.append(f"argument {k} at {where}: {how}")
            if excess > 0 and (worst is None or excess > worst[0]):
                worst = (excess, k, idx, analytic, numeric, how)
    if worst is not None:
        _, k, idx, analytic, numeric, how = worst
        where = f"element {idx}" if idx else "its value"
        judged = f"; judged by {how}" if how else ""
        err = GradcheckError(
            f"gradcheck: gradient of argument {k} at {where} is wrong: analytic "
            f"{number(analytic, 10)}, numeric {number(numeric, 10)} (difference "
            f"{abs(analytic - numeric):.3g}, tolerance atol={atol:g} + rtol={rtol:g}*|numeric|"
            f"{judged})", argnum=k, index=idx, analytic=analytic, numeric=numeric)
        err.judged = how
        raise err
