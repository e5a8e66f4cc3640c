"""HIPS autograd's way of defining an op: ``@primitive``, ``defvjp``, ``defjvp``.

    from chainrule.extend import primitive, defvjp, defjvp

    @primitive
    def double(x):
        return x * 2.0

    defvjp(double, lambda ans, x: lambda g: g * 2.0)     # one maker per argument, in order
    defjvp(double, lambda g, ans, x: g * 2.0)            # optional: forward mode

A function decorated with :func:`primitive` called on plain numbers or arrays just runs.
Called on Scalars or Tensors, it computes on their values and records one graph node whose
gradient for positional argument ``i`` is ``maker_i(ans, *args, **kwargs)(g)``. Arguments
that are not Scalars or Tensors (numbers, strings, keyword arguments) are constants. The
makers may call other ops (or other ``@primitive`` functions), which makes second
derivatives work when they do.

This is built on :class:`chainrule.primitive.Primitive`: each pattern of positional
arguments a function is called with (which of them are Scalars or Tensors, how many there
are) gets one Primitive, whose inputs are those arguments and whose one parameter carries
the constants.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from itertools import count
from typing import Any

import numpy as np

from .core import Node
from .primitive import Primitive, _float_via, over_batch
from .primitive import primitive as _named_primitive

Maker = Callable[..., Any]

_MISSING = object()


class _Constants:
    """The arguments of one call that are not inputs, and its keyword arguments."""

    __slots__ = ("args", "kwargs", "positions")

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any],
                 positions: tuple[int, ...]) -> None:
        self.args = args
        self.kwargs = kwargs
        self.positions = positions

    def full(self, inputs: tuple[Any, ...]) -> list[Any]:
        """The call's positional arguments with ``inputs`` put back in their places."""
        full = list(self.args)
        for p, v in zip(self.positions, inputs):
            full[p] = v
        return full

    def __repr__(self) -> str:
        """The call with its inputs as ``_``: ``(_, 3, 'neg', scale=0.5)``."""
        shown = ["_" if p in self.positions else repr(a) for p, a in enumerate(self.args)]
        shown += [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"({', '.join(shown)})"


class AutogradPrimitive:
    """A function made differentiable with :func:`primitive` (autograd's spelling)."""

    def __init__(self, fun: Callable[..., Any]) -> None:
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.name: str = getattr(fun, "__name__", "primitive")
        self.vjp_makers: dict[int, Maker | None] = {}
        self.vjp_argnum: Callable[..., Any] | None = None
        self.jvp_makers: dict[int, Maker | None] = {}
        self._prims: dict[tuple[int, tuple[int, ...]], Primitive] = {}
        try:
            self._names = [p.name for p in inspect.signature(fun).parameters.values()]
        except (TypeError, ValueError):  # a builtin without a signature
            self._names = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        positions = tuple(i for i, a in enumerate(args) if isinstance(a, Node))
        if not positions:
            return self.fun(*args, **kwargs)
        prim = self._prim(len(args), positions)
        consts = _Constants(tuple(None if isinstance(a, Node) else a for a in args), kwargs,
                            positions)
        return prim(*(args[p] for p in positions), consts)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    # -- autograd's older spellings, deprecated there as here ------------------------------
    def defgrad(self, gradfun: Maker, argnum: int = 0) -> None:
        """Deprecated: ``defvjp(f, gradfun, argnums=[argnum])``."""
        _deprecated("defgrad")
        defvjp(self, gradfun, argnums=[argnum])

    def defvjp(self, vjpfun: Callable[..., Any], argnum: int = 0) -> None:
        """Deprecated: ``vjpfun(g, ans, vs, gvs, *args, **kwargs)``, where ``vs`` and
        ``gvs`` describe the argument and ``g`` (``.shape``, ``.zeros()``, ``.ones()``)."""
        _deprecated("defvjp")

        def maker(ans: Any, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
            return lambda g: vjpfun(g, ans, _Space(args[argnum]), _Space(g), *args, **kwargs)
        defvjp(self, maker, argnums=[argnum])

    def defvjp_is_zero(self, argnums: Any = (0,)) -> None:
        """Deprecated: ``defvjp(f, None, ..., argnums=argnums)``."""
        _deprecated("defvjp_is_zero")
        argnums = tuple(argnums)
        defvjp(self, *[None] * len(argnums), argnums=argnums)

    def _changed(self) -> None:
        self._prims.clear()

    def _prim(self, nargs: int, positions: tuple[int, ...]) -> Primitive:
        key = (nargs, positions)
        prim = self._prims.get(key)
        if prim is None:
            prim = self._prims[key] = self._build(positions)
        return prim

    def _input_name(self, p: int) -> str:
        return self._names[p] if p < len(self._names) else f"x{p}"

    def _build(self, positions: tuple[int, ...]) -> Primitive:
        fun = self.fun

        def forward(*vals: Any) -> Any:
            consts: _Constants = vals[-1]
            return fun(*consts.full(vals[:-1]), **consts.kwargs)

        vjps = [self._vjp_rule(p, positions) for p in positions]
        jvps = None if not self.jvp_makers else [self._jvp_rule(p) for p in positions]
        names = tuple(self._input_name(p) for p in positions)
        return Primitive(self.name, array_fn=forward, float_fn=_float_via(forward),
                         vjps=vjps, jvps=jvps, inputs=names, params=("constants",))

    def _vjp_maker(self, p: int) -> Any:
        if p in self.vjp_makers:
            return self.vjp_makers[p]
        argnum = self.vjp_argnum
        if argnum is not None:
            return lambda ans, *args, **kwargs: argnum(p, ans, args, kwargs)
        return _MISSING

    def _vjp_rule(self, p: int, positions: tuple[int, ...]) -> Callable[..., Any] | None:
        maker = self._vjp_maker(p)
        name = self.name
        if maker is None:
            return None                 # defvjp(f, None): no gradient flows there
        if maker is _MISSING:
            def missing(M: Any, g: Any, ans: Any, *vals: Any) -> Any:
                raise NotImplementedError(
                    f"VJP of {name} wrt argnum {p} not defined: give it with "
                    f"defvjp({name}, ...) (forward mode without defjvp derives its rule "
                    "from it too)")
            return missing

        def rule(M: Any, g: Any, ans: Any, *vals: Any) -> Any:
            consts: _Constants = vals[-1]
            vjp = maker(ans, *consts.full(vals[:-1]), **consts.kwargs)
            nb = np.ndim(_raw(g)) - np.ndim(_raw(ans))
            if nb > 0:      # a batch of cotangents (jacobian): the maker takes one at a time
                out = over_batch(vjp, g, nb, np.shape(_raw(vals[positions.index(p)])), M)
            else:
                out = vjp(g)
            if out is None:
                raise TypeError(f"the VJP of {name} for argnum {p} returned None; return "
                                "the gradient (give None to defvjp instead of a maker when "
                                "no gradient flows into that argument)")
            return out
        return rule

    def _jvp_rule(self, p: int) -> Callable[..., Any] | None:
        name = self.name
        if p not in self.jvp_makers:
            def missing(M: Any, t: Any, ans: Any, *vals: Any) -> Any:
                raise NotImplementedError(
                    f"JVP of {name} wrt argnum {p} not defined: give it with "
                    f"defjvp({name}, ...)")
            return missing
        jvp_maker = self.jvp_makers[p]
        if jvp_maker is None:
            return None                 # defjvp(f, None): no tangent flows from there

        def rule(M: Any, t: Any, ans: Any, *vals: Any) -> Any:
            consts: _Constants = vals[-1]
            args = consts.full(vals[:-1])

            def push(tb: Any) -> Any:
                return jvp_maker(tb, ans, *args, **consts.kwargs)
            nb = np.ndim(_raw(t)) - np.ndim(_raw(args[p]))
            if nb > 0:      # a batch of tangents (jacfwd): the rule takes one at a time
                return over_batch(push, t, nb, np.shape(_raw(ans)), M)
            return push(t)
        return rule


class _Space:
    """The shape of a value, for autograd's deprecated ``vs`` / ``gvs`` arguments."""

    __slots__ = ("shape",)

    def __init__(self, x: Any) -> None:
        self.shape: tuple[int, ...] = np.shape(_raw(x))

    def zeros(self) -> Any:
        return np.zeros(self.shape)

    def ones(self) -> Any:
        return np.ones(self.shape)


def _deprecated(what: str) -> None:
    warnings.warn(f"the {what} method is deprecated (as in autograd): use "
                  "chainrule.extend.defvjp(f, maker, ...) instead", DeprecationWarning,
                  stacklevel=3)


def _raw(x: Any) -> Any:
    return x.value if isinstance(x, Node) else x


def primitive(*args: Any, **kwargs: Any) -> Any:
    """Make a differentiable op.

    ``@primitive`` on a function (HIPS autograd's spelling): the function becomes an op
    whose gradients you give with :func:`defvjp` (and, optionally, :func:`defjvp`).
    ``primitive(name, forward, vjps, ...)``: chainrule's own spelling, see
    :func:`chainrule.primitive.primitive`.
    """
    if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], str):
        fun = args[0]
        return fun if isinstance(fun, AutogradPrimitive) else AutogradPrimitive(fun)
    return _named_primitive(*args, **kwargs)


primitive.__doc__ = (primitive.__doc__ or "") + "\n" + (_named_primitive.__doc__ or "")


def _as_primitive(fun: Any, what: str) -> AutogradPrimitive:
    if not isinstance(fun, AutogradPrimitive):
        raise TypeError(f"{what}: {getattr(fun, '__name__', fun)!r} is not a @primitive "
                        "function; decorate it with chainrule.extend.primitive first")
    return fun


def _checked(makers: tuple[Any, ...], fun: AutogradPrimitive, what: str) -> None:
    for m in makers:
        if m is not None and not callable(m):
            raise TypeError(f"{what}: bad rule {m!r} for {fun.name!r} (give a function or "
                            "None)")


def defvjp(fun: Any, *vjpmakers: Maker | None, argnums: Any = None) -> None:
    """Give ``fun``'s gradients: ``vjpmakers[k](ans, *args, **kwargs)`` returns the function
    ``g -> gradient for argument argnums[k]`` (``argnums`` defaults to 0, 1, 2...). None:
    no gradient flows into that argument (it counts as zero)."""
    prim = _as_primitive(fun, "defvjp")
    _checked(vjpmakers, prim, "defvjp")
    for argnum, maker in zip(count() if argnums is None else argnums, vjpmakers):
        prim.vjp_makers[argnum] = maker
    prim._changed()


def defvjp_argnum(fun: Any, vjpmaker: Callable[..., Any]) -> None:
    """Give all of ``fun``'s gradients with one maker: ``vjpmaker(argnum, ans, args,
    kwargs)`` returns the function ``g -> gradient for argument argnum``."""
    prim = _as_primitive(fun, "defvjp_argnum")
    _checked((vjpmaker,), prim, "defvjp_argnum")
    prim.vjp_argnum = vjpmaker
    prim._changed()


def defjvp(fun: Any, *jvpfuns: Maker | None, argnums: Any = None) -> None:
    """Give ``fun``'s forward-mode rules: ``jvpfuns[k](t, ans, *args, **kwargs)`` is the
    output's tangent due to the tangent ``t`` of argument ``argnums[k]``. None: no tangent
    flows from that argument. Without ``defjvp``, forward mode derives the rules from the
    gradients given with :func:`defvjp` (on Tensors)."""
    prim = _as_primitive(fun, "defjvp")
    _checked(jvpfuns, prim, "defjvp")
    for argnum, maker in zip(count() if argnums is None else argnums, jvpfuns):
        prim.jvp_makers[argnum] = maker
    prim._changed()


__all__ = ["AutogradPrimitive", "defjvp", "defvjp", "defvjp_argnum", "primitive"]
