"""``chainrule.scipy.integrate.odeint``: scipy's ODE solver, differentiable in the initial
state, the output times and the parameters by the adjoint method, to any order.

``odeint(func, y0, t, *args)`` solves ``dy/dt = func(y, t, *args)`` with scipy's
``odeint`` (LSODA) and returns ``y`` at the times ``t``, shape ``(len(t),) + y0.shape``.
``func`` is written with chainrule's functions (or numpy's, which dispatch), as for any
function ``cr.grad`` differentiates. The gradients come from the adjoint ODE, integrated
backwards from the last time to the first with the same solver, as HIPS autograd does
(Froehlich et al., 2017): a(t) = dL/dy(t) obeys da/dt = -a df/dy, the parameters'
gradient accumulates -a df/dargs, and each output time adds its cotangent to a. An output
time t_i (i > 0) gets g_i . func(y(t_i), t_i, *args); the first time t_0 gets minus the
adjoint-propagated sum of those, plus the integral of a df/dt. The products ``a df/dy``,
``a df/dt`` and ``a df/dargs`` are reverse-mode gradients of ``func``; neither the
solver's steps nor the Jacobian are ever stored.

The adjoint solve is itself an ``odeint`` (of the state augmented with the adjoint), so
the gradient can be differentiated again (``hessian``, a VJP of a VJP): each further
order solves a system twice the size, with ``func`` differentiated once more.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from math import prod
from typing import Any

import numpy as np
import scipy.integrate as si

from ..core import Node
from ..errors import IndependentOutputWarning
from ..ops.functions import FUNCTIONS as F
from ..primitive import Primitive, apply
from ..transforms import grad
from ._batch import shape_of


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


def _augmented(func: Callable[..., Any], shape: tuple[int, ...]) -> Callable[..., Any]:
    """The dynamics of the state (y, a, a_t, a_args) flattened into one vector: y moves as
    ``func``, the adjoint a by -a df/dy, the accumulators by -a df/dt and -a df/dargs.
    Written with chainrule's functions, so it is differentiable in turn."""
    n = prod(shape)
    reshape, concat = F["reshape"], F["concatenate"]

    def augmented(state: Any, tt: Any, *params: Any) -> Any:
        y, a = reshape(state[:n], shape), reshape(state[n:2 * n], shape)
        fy = func(y, tt, *params)
        nums = tuple(range(3 + len(params)))
        # a is an argument, not a closure, so that the inner pass stops at it: reaching
        # past it would differentiate this very solve again, without end
        with warnings.catch_warnings():     # func need not depend on t or on every arg
            warnings.simplefilter("ignore", IndependentOutputWarning)
            vy, vt, _, *vp = grad(lambda y_, t_, a_, *p_: F["sum"](func(y_, t_, *p_) * -a_),
                                  nums)(y, tt, a, *params)
        return concat([reshape(fy, (n,)), reshape(vy, (n,)), reshape(vt, (1,))]
                      + [reshape(v, (-1,)) for v in vp])

    augmented.__name__ = f"adjoint of {getattr(func, '__name__', 'func')}"
    return augmented


def _adjoint(g: Any, ys: Any, args: tuple) -> list[Any]:
    """The gradients of ``sum(g * ys)`` in y0, t and each parameter (``ys`` the solution
    at the times t), written with recorded ops: under a recording pass they are Tensors
    that can be differentiated again."""
    y0, t, *params, spec = args
    shape = shape_of(y0)
    n, count = prod(shape), shape_of(t)[0]
    sizes = [prod(shape_of(p)) for p in params]
    reshape, concat, stack = F["reshape"], F["concatenate"], F["stack"]
    aug = _Spec(_augmented(spec.func, shape), spec.rtol, spec.atol)
    a: Any = reshape(g[count - 1], (n,))
    t0: Any = np.zeros(1)
    acc: Any = np.zeros(sum(sizes))
    times: list[Any] = [None] * count
    for i in range(count - 1, 0, -1):
        moved = F["sum"](spec.func(ys[i], t[i], *params) * g[i])     # d L / d t_i
        times[i] = moved
        t0 = t0 - moved
        state = concat([reshape(ys[i], (n,)), a, t0, acc])
        back = apply(ODEINT, state, stack([t[i], t[i - 1]]), *params, aug)[1]
        a = back[n:2 * n] + reshape(g[i - 1], (n,))
        t0, acc = back[2 * n:2 * n + 1], back[2 * n + 1:]
    times[0] = reshape(t0, ())
    grads = [reshape(a, shape), stack(times)]
    start = 0
    for p, size in zip(params, sizes):
        grads.append(reshape(acc[start:start + size], shape_of(p)))
        start += size
    return grads


class _Adjoints:
    """What one node's rules share: its inputs, and the gradients of every input for the
    last cotangent seen (one adjoint solve serves them all)."""

    __slots__ = ("args", "g", "grads")

    def __init__(self, args: Any) -> None:
        self.args: tuple = tuple(args)
        self.g: Any = None
        self.grads: list[Any] = []


def _rule(i: int, M: Any, g: Any, ans: Any, ctx: _Adjoints) -> Any:
    if ctx.g is not g:
        lead = shape_of(g)[:len(shape_of(g)) - len(shape_of(ans))]
        if not lead:
            ctx.grads = _adjoint(g, ans, ctx.args)
        else:                               # a batch of cotangents, one solve each
            flat = M.reshape(g, (prod(lead),) + shape_of(ans))
            parts = [_adjoint(M.getitem(flat, k), ans, ctx.args) for k in range(prod(lead))]
            ctx.grads = [M.reshape(M.stack([p[j] for p in parts]), lead + shape_of(parts[0][j]))
                         for j in range(len(parts[0]))]
        ctx.g = g
    return ctx.grads[i]


ODEINT = Primitive("odeint", array_fn=_forward, vjps=_rule, variadic=True, prep=_Adjoints,
                   inputs=("y0", "t", "args"), expr="odeint(func, y0, t, *args)",
                   derivs=["adjoint: a(t0)", "g_i . func(y_i, t_i) (t_0: minus the "
                           "adjoint-propagated sum)", "adjoint: int a df/dargs"])


def odeint(func: Callable[..., Any], y0: Any, t: Any, args: tuple = (),
           rtol: float = 1.49012e-8, atol: float = 1.49012e-8) -> Any:
    """scipy.integrate.odeint(func, y0, t, args): ``y`` at each time of ``t`` (shape
    ``(len(t),) + y0.shape``), differentiable in ``y0``, ``t`` and ``args`` (adjoint
    method), to any order. Raises ValueError if ``t`` is not a 1-d sequence of at least
    one time."""
    times = t if isinstance(t, Node) else np.asarray(t, dtype=float)
    if len(shape_of(times)) != 1 or shape_of(times)[0] < 1:
        raise ValueError(f"odeint: t must be a 1-d sequence of times, got shape "
                         f"{shape_of(times)}")
    y0 = y0 if isinstance(y0, Node) else np.asarray(y0, dtype=float)
    params = [p if isinstance(p, Node) else np.asarray(p, dtype=float) for p in args]
    return apply(ODEINT, y0, times, *params, _Spec(func, rtol, atol))


__all__ = ["odeint"]
