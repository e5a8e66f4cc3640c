"""``chainrule.scipy.integrate.odeint``: scipy's ODE solver, differentiable in the initial
state and the parameters by the adjoint method.

``odeint(func, y0, t, *args)`` solves ``dy/dt = func(y, t, *args)`` with scipy's
``odeint`` (LSODA) and returns ``y`` at the times ``t``, shape ``(len(t),) + y0.shape``.
``func`` is written with chainrule's functions (or numpy's, which dispatch), as for any
function ``cr.grad`` differentiates. The gradient with respect to ``y0`` and each entry of
``args`` comes from the adjoint ODE, integrated backwards from the last time to the first
with the same solver: a(t) = dL/dy(t) obeys da/dt = -a df/dy, the parameters' gradient
accumulates -a df/dargs, and each output time adds its cotangent to a. The products
``a df/dy`` and ``a df/dargs`` are reverse-mode gradients of ``func``; neither the
solver's steps nor the Jacobian are ever stored.

The times ``t`` are constants (a Tensor there that requires a gradient raises TypeError);
second derivatives are not offered (the adjoint solve is not recorded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.integrate as si

from ..core import Node
from ..primitive import Primitive, apply
from ..transforms import grad
from ._batch import per_batch, shape_of


class _Spec:
    """The solver's settings, one parameter of the node (not an input)."""

    __slots__ = ("func", "rtol", "atol")

    def __init__(self, func: Callable[..., Any], rtol: float, atol: float) -> None:
        self.func, self.rtol, self.atol = func, rtol, atol

    def __repr__(self) -> str:
        return f"{getattr(self.func, '__name__', 'func')}, rtol={self.rtol}, atol={self.atol}"


def _raw(x: Any) -> np.ndarray:
    return np.asarray(x.value if isinstance(x, Node) else x, dtype=float)


def _forward(*args: Any) -> np.ndarray:
    y0, t, *params, spec = args
    func, rtol, atol = spec.func, spec.rtol, spec.atol
    y0 = np.asarray(y0, dtype=float)

    def rhs(y: np.ndarray, tt: float) -> np.ndarray:
        return np.ravel(_raw(func(y.reshape(y0.shape), tt, *params)))

    ys = si.odeint(rhs, np.ravel(y0), np.asarray(t, dtype=float), rtol=rtol, atol=atol)
    return ys.reshape((len(t),) + y0.shape)


def _adjoint(g: np.ndarray, ys: np.ndarray, y0: np.ndarray, t: np.ndarray,
             params: list[np.ndarray], spec: _Spec) -> list[np.ndarray]:
    """The gradients of ``sum(g * ys)`` with respect to y0 and each parameter."""
    func, rtol, atol = spec.func, spec.rtol, spec.atol
    shape, n = y0.shape, y0.size
    sizes = [np.size(p) for p in params]
    nums = tuple(range(1 + len(params)))

    def rhs(state: np.ndarray, tt: float) -> np.ndarray:
        y, a = state[:n].reshape(shape), state[n:2 * n].reshape(shape)
        fy = _raw(func(y, tt, *params))
        vjps = grad(lambda y_, *p_: (func(y_, tt, *p_) * a).sum(), nums)(y, *params)
        return np.concatenate([np.ravel(fy)] + [-np.ravel(v) for v in vjps])

    a = g[-1].copy()
    acc = [np.zeros(s) for s in sizes]
    for i in range(len(t) - 1, 0, -1):
        state = np.concatenate([np.ravel(ys[i]), np.ravel(a)] + [np.ravel(x) for x in acc])
        out = si.odeint(rhs, state, [t[i], t[i - 1]], rtol=rtol, atol=atol)[-1]
        a = out[n:2 * n].reshape(shape) + g[i - 1]
        start = 2 * n
        for k, s in enumerate(sizes):
            acc[k] = out[start:start + s]
            start += s
    return [a] + [x.reshape(np.shape(p)) for x, p in zip(acc, params)]


def _rule(i: int, M: Any, g: Any, ans: Any, *args: Any) -> Any:
    if getattr(M, "graph", False):
        raise NotImplementedError("odeint: second derivatives are not supported (the "
                                  "adjoint solve is not recorded)")
    y0, t, *params, spec = args
    if i == 1:
        raise TypeError("odeint: no derivative with respect to the times t; give them as "
                        "constants")
    core = len(shape_of(ans))

    def one(gi: Any) -> Any:
        grads = _adjoint(np.asarray(gi, dtype=float), np.asarray(ans), np.asarray(y0, float),
                         np.asarray(t, float), [np.asarray(p, float) for p in params], spec)
        return grads[0] if i == 0 else grads[i - 1]

    return per_batch(M, g, core, one)


ODEINT = Primitive("odeint", array_fn=_forward, vjps=_rule, variadic=True,
                   inputs=("y0", "t", "args"), expr="odeint(func, y0, t, *args)",
                   derivs=["adjoint: a(t0)", "(none: times)", "adjoint: -int a df/dargs"],
                   second_order="no: the adjoint solve is not recorded")


def odeint(func: Callable[..., Any], y0: Any, t: Any, args: tuple = (),
           rtol: float = 1.49012e-8, atol: float = 1.49012e-8) -> Any:
    """scipy.integrate.odeint(func, y0, t, args): ``y`` at each time of ``t`` (shape
    ``(len(t),) + y0.shape``), differentiable in ``y0`` and ``args`` (adjoint method).
    Raises TypeError if ``t`` requires a gradient, ValueError if ``t`` is not a 1-d
    increasing or decreasing sequence of at least one time."""
    if isinstance(t, Node) and t.needs:
        raise TypeError("odeint: no derivative with respect to the times t; give them as "
                        "constants")
    times = _raw(t)
    if times.ndim != 1 or times.size < 1:
        raise ValueError(f"odeint: t must be a 1-d sequence of times, got shape {times.shape}")
    y0 = y0 if isinstance(y0, Node) else np.asarray(y0, dtype=float)
    params = [p if isinstance(p, Node) else np.asarray(p, dtype=float) for p in args]
    return apply(ODEINT, y0, times, *params, _Spec(func, rtol, atol))


__all__ = ["odeint"]
