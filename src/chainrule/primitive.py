"""Primitives: the single definition of each differentiable op.

A :class:`Primitive` holds everything there is to know about one op, in one place: its
forward for Python floats (the Scalar engine) and for ndarrays (the Tensor engine), one
vector-Jacobian product (VJP) per differentiable input, the human-readable local derivative
of each input, the VJP written as a formula, its domain and its convention at kinks.

A VJP has the signature ``vjp(M, g, ans, *args) -> contribution`` where ``M`` is the math
namespace of the pass (``chainrule.backends``: math on floats, numpy on arrays, or recording
Tensor functions when the gradient must itself be differentiable), ``g`` the upstream
cotangent, ``ans`` the op's output and ``args`` the op's inputs followed by its
parameters. Because rules only use ``M`` and operators, the same rule gives first-order
gradients on raw numbers and higher-order gradients on Tensors.

Next to each VJP sits a Jacobian-vector product (JVP), ``jvp(M, t, ans, *args) ->
contribution``: the tangent ``t`` of input ``i`` pushed forward to the output (forward
mode); the output's tangent is the sum of the contributions of its inputs (a contribution
may be broadcastable to the output's shape). Tangents too may carry leading batch axes
(``jacfwd`` pushes a batch of them). Where an entry gives no JVPs (``jvps=None``), forward
mode derives each exactly from the VJP by transposition (see ``chainrule.forward``); the
elementwise makers :func:`unary` and :func:`binary` use the VJP rule itself, which is exact
because an elementwise op's Jacobian is diagonal, hence symmetric.

Cotangents may carry extra *leading* axes (a batch of cotangents pushed through together,
as ``jacobian`` does): rules address axes from the end (negative axes) and never assume
``g.ndim == ans.ndim``. Broadcasting is undone by the core, never inside a rule.

Each entry also says where the op shows up: its ``cr.`` function (``function``), its Tensor
methods, the numpy functions it answers for, whether the formula language of the
``chainrule`` command offers it, why its gradient can be zero (for explanations) and whether
its rule can be differentiated again. The layers above (``chainrule.ops``, the command
line, the docs) generate their lists from :data:`REGISTRY`; nothing else lists ops.

Makers keep the common shapes one readable row each: :func:`unary` (elementwise, one input),
:func:`binary` (elementwise, broadcasting), :func:`reduction` (over axes, with
``keepdims``). Users add their own ops with :func:`primitive` (a standalone op) or
:func:`register` (an entry that appears everywhere a built-in op does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .core import Node
from .shape_checks import shape_error
from .validation import operand

Vjp = Callable[..., Any]
Jvp = Callable[..., Any]

REGISTRY: dict[str, Primitive] = {}
"""Every registered primitive by name: the one table the op lists are generated from."""

_LISTENERS: list[Callable[[Primitive, bool], None]] = []

KINDS = ("unary", "binary", "reduction", "custom")
"""The shapes of op the makers know; ``custom`` ops bring their own ``cr.`` wrapper."""


class Primitive:
    """One differentiable op.

    Args:
        name: the op's name as shown in explanations (``"sin"``).
        float_fn: forward on Python floats, or None if the op is Tensor-only.
        array_fn: forward on ndarrays (inputs first, then parameters).
        vjps: one rule per differentiable input (None: no gradient flows there).
        jvps: one forward rule per input, ``jvp(M, t, ans, *args)`` (None for an input: no
            tangent flows from there), a function of ``i`` for a variadic op, or None (the
            default): forward mode derives them from ``vjps`` by transposition.
        inputs: the names of the differentiable inputs, for formulas (``("x",)``).
        expr: the op written with those names (``"sin(x)"``).
        derivs: per input, the local derivative d(expr)/d(input) as text (``"cos(x)"``).
        vjp_text: per input, the VJP as a formula in ``g`` (``"g * cos(x)"``).
        domain: where the op is defined, in words.
        kink: the convention at points where the derivative does not exist, or None.
        sample: for the test matrix, (low, high) ranges to draw each input from, and
            ``avoid``: points near which inputs must not fall (kinks, poles).
        params: the names of the parameters that follow the inputs (``("axis",
            "keepdims")``), for display.
        elementwise: whether the op works element by element with broadcasting (default:
            its kind is ``unary`` or ``binary``); batched tangents reach such an op's JVPs
            lined up with the output's axes.
        kind: the shape of the op, one of :data:`KINDS`; it decides how the ``cr.``
            function is generated (``custom``: written by hand in ``chainrule.ops``).
        function: the op's name in ``cr.`` (``"subtract"`` for ``sub``), or None if the op
            is internal.
        methods: the Tensor methods it is (``("abs", "__abs__")``).
        numpy: the numpy functions and ufuncs it answers for on Tensors (``np.absolute``,
            ``np.linalg.norm``); an item may be a pair ``(np_fn, adapt)`` where
            ``adapt(fn, *args, **kwargs)`` calls the ``cr.`` function ``fn`` for numpy's
            signature (``(np.square, lambda power, x: power(x, 2))``).
        formula: the op's usage in the ``chainrule`` command's formula language
            (``"reshape(x, *shape)"``), True for the usage its kind implies, or False.
        zero_reason: why a gradient through this op can be 0, for explanations; may use
            ``{where}`` ("here", "at v3") and ``{x}`` (the input's value).
        second_order: whether the rule can be differentiated again (``hessian``): True,
            False, or the exception in words.
        doc: one line saying what the op computes, for its ``cr.`` docstring.
        variadic: the op takes any number of inputs (``concatenate``), then its
            parameters; ``vjps`` (and ``jvps``) are then one function
            ``fn(i, M, g, ans, *args)`` for every input.
        prep: for a variadic op, ``prep(args) -> ctx``: what every input's VJP needs,
            computed once per node from the inputs and parameters, so that backward
            through n inputs takes O(n) time; the VJP is then ``fn(i, M, g, ans, ctx)``.
        complex: whether the rules hold for complex data (in the convention of
            ``docs/complex.md``); an op without it refuses complex inputs and results
            while recording, naming itself, rather than lose an imaginary part.
    """

    __slots__ = ("name", "float_fn", "array_fn", "vjps", "jvps", "inputs", "expr", "derivs",
                 "vjp_text", "domain", "kink", "sample", "avoid", "n_inputs", "variadic",
                 "elementwise", "params", "kind", "function", "methods", "numpy",
                 "formula", "zero_reason", "second_order", "doc", "complex", "__dict__")

    def __init__(self, name: str, *, array_fn: Callable[..., Any],
                 vjps: Sequence[Vjp | None] | Callable[..., Any],
                 float_fn: Callable[..., Any] | None = None,
                 jvps: Sequence[Jvp | None] | Callable[..., Any] | None = None,
                 inputs: Sequence[str] = ("x",), expr: str | None = None,
                 derivs: Sequence[str] = (), vjp_text: Sequence[str] = (),
                 domain: str = "all reals", kink: str | None = None,
                 sample: Sequence[tuple[float, float]] | None = None,
                 avoid: Sequence[float] = (), variadic: bool = False,
                 elementwise: bool | None = None,
                 params: Sequence[str] = (), kind: str = "custom",
                 function: str | None = None, methods: Sequence[str] = (),
                 numpy: Sequence[Any] = (), formula: str | bool = False,
                 zero_reason: str | None = None, second_order: bool | str = True,
                 doc: str = "", prep: Callable[[Sequence[Any]], Any] | None = None,
                 complex: bool = False) -> None:
        if kind not in KINDS:
            raise ValueError(f"primitive {name!r}: kind {kind!r} is not one of {KINDS}")
        self.name = name
        self.float_fn = float_fn
        self.array_fn = array_fn
        self.variadic = variadic
        self.elementwise = kind in ("unary", "binary") if elementwise is None else elementwise
        self.vjps: Any = (_EachInput(vjps, prep) if variadic  # type: ignore[arg-type]
                          else tuple(vjps))  # type: ignore[arg-type]
        self.jvps: Any = (None if jvps is None
                          else _EachInput(jvps) if variadic  # type: ignore[arg-type]
                          else tuple(jvps))  # type: ignore[arg-type]
        self.inputs = tuple(inputs)
        self.n_inputs = len(self.inputs)
        self.expr = expr or f"{name}({', '.join(self.inputs)})"
        self.derivs = tuple(derivs)
        self.vjp_text = tuple(vjp_text)
        self.domain = domain
        self.kink = kink
        self.sample = tuple(sample) if sample else ((-2.0, 2.0),) * max(1, self.n_inputs)
        self.avoid = tuple(avoid)
        self.params = tuple(params)
        self.kind = kind
        self.function = function
        self.methods = tuple(methods)
        self.numpy = tuple(numpy)
        self.formula = formula
        self.zero_reason = zero_reason
        self.second_order = second_order
        self.doc = doc
        self.complex = complex

    @property
    def usage(self) -> str:
        """How the formula language calls the op (``"sum(x, axis=..., keepdims=...)"``)."""
        if isinstance(self.formula, str):
            return self.formula
        name = self.function or self.name
        args = list(self.inputs) + [f"{p}=..." for p in self.params]
        return f"{name}({', '.join(args)})"

    def rule(self, i: int = 0) -> str:
        """The human-readable local derivative of input ``i``: ``d/dx sin(x) = cos(x)``."""
        if i < len(self.derivs):
            return f"d/d{self.inputs[i]} {self.expr} = {self.derivs[i]}"
        return f"d/d{self.inputs[i]} {self.expr}: see vjp {self.vjp_formula(i)}"

    def vjp_formula(self, i: int = 0) -> str:
        """The VJP of input ``i`` as a formula in the upstream gradient ``g``."""
        if i < len(self.vjp_text):
            return self.vjp_text[i]
        if i < len(self.derivs):
            return f"g * {self.derivs[i]}"
        return "(no formula given)"

    def __call__(self, *args: Any) -> Any:
        return apply(self, *args)

    def __repr__(self) -> str:
        return f"<primitive {self.name}: {self.expr}>"


class _EachInput:
    """The rules of a variadic op (concatenate, stack), one function for every input.

    With ``prep``, rule ``i`` is ``fn(i, M, g, ans, ctx)`` where ``ctx = prep(args)`` is
    computed from the inputs and parameters once per node (the axis, the inputs' offsets),
    so that a node of n inputs costs O(n) in all, not O(n) per input. Without it, rule
    ``i`` is ``fn(i, M, g, ans, *args)``. :meth:`each` gives every input's rule for one node
    at once (what the backward pass uses); ``rules[i]`` is the standard per-input rule."""

    __slots__ = ("fn", "prep")

    def __init__(self, fn: Callable[..., Any],
                 prep: Callable[[Sequence[Any]], Any] | None = None) -> None:
        self.fn = fn
        self.prep = prep

    def __getitem__(self, i: int) -> Vjp:
        fn, prep = self.fn, self.prep
        if prep is None:
            return lambda M, g, ans, *args: fn(i, M, g, ans, *args)
        return lambda M, g, ans, *args: fn(i, M, g, ans, prep(args))

    def each(self, args: Sequence[Any]) -> _Bound:
        """The rules of one node whose inputs and parameters are ``args``."""
        if self.prep is None:
            fn = self.fn
            return _Bound(lambda i, M, g, ans, ctx: fn(i, M, g, ans, *ctx), tuple(args))
        return _Bound(self.fn, self.prep(args))


class _Bound:
    """The per-input rules of one variadic node, its ``ctx`` computed once."""

    __slots__ = ("fn", "ctx")

    def __init__(self, fn: Callable[..., Any], ctx: Any) -> None:
        self.fn = fn
        self.ctx = ctx

    def call(self, i: int, M: Any, g: Any, ans: Any) -> Any:
        """The contribution to input ``i``: O(1) in the number of inputs."""
        return self.fn(i, M, g, ans, self.ctx)


def defprimitive(name: str, **spec: Any) -> Primitive:
    """Declare a built-in primitive and register it under ``name``."""
    return register(Primitive(name, **spec))


def register(prim: Primitive) -> Primitive:
    """Enter ``prim`` in :data:`REGISTRY`; the layers that listen (``cr.`` functions, Tensor
    methods, numpy interop, the formula language) expose it at once. Raises ValueError if
    the name, its ``cr.`` function, a method or a numpy function is taken (and then leaves
    every list as it was)."""
    if prim.name in REGISTRY:
        raise ValueError(f"a primitive named {prim.name!r} is already registered")
    REGISTRY[prim.name] = prim
    done: list[Callable[[Primitive, bool], None]] = []
    try:
        for listener in _LISTENERS:
            listener(prim, True)
            done.append(listener)
    except Exception:
        for listener in reversed(done):
            listener(prim, False)
        del REGISTRY[prim.name]
        raise
    return prim


def unregister(name: str) -> Primitive:
    """Remove the primitive ``name`` from :data:`REGISTRY` and from every generated list.
    Raises KeyError if there is none."""
    prim = REGISTRY.pop(name)
    for listener in reversed(_LISTENERS):
        listener(prim, False)
    return prim


def on_register(listener: Callable[[Primitive, bool], None]) -> None:
    """Call ``listener(prim, added)`` for every primitive registered so far and for every
    later :func:`register` (added True) and :func:`unregister` (added False)."""
    _LISTENERS.append(listener)
    for prim in list(REGISTRY.values()):
        listener(prim, True)


def unary(name: str, float_fn: Callable[[float], float] | None,
          array_fn: Callable[[Any], Any], vjp: Vjp, deriv: str, **spec: Any) -> Primitive:
    """Register an elementwise op of one input: a ``cr.`` function, a Tensor method, the
    numpy ufunc of the same name and a formula function unless ``spec`` says otherwise."""
    spec.setdefault("function", name)
    spec.setdefault("methods", (spec["function"],) if spec["function"] else ())
    spec.setdefault("numpy", _numpy_named(spec["function"]))
    spec.setdefault("formula", spec["function"] is not None)
    spec.setdefault("doc", "Elementwise")
    spec.setdefault("jvps", [vjp])      # a diagonal Jacobian: the VJP rule is the JVP rule
    return defprimitive(name, kind="unary", float_fn=float_fn or _float_via(array_fn),
                        array_fn=array_fn,
                        vjps=[vjp], derivs=[deriv], **spec)


def binary(name: str, float_fn: Callable[[float, float], float] | None,
           array_fn: Callable[[Any, Any], Any], vjps: Sequence[Vjp],
           derivs: Sequence[str], **spec: Any) -> Primitive:
    """Register an elementwise op of two inputs ``x``, ``y`` that broadcast like numpy."""
    spec.setdefault("function", name)
    spec.setdefault("numpy", _numpy_named(spec["function"]))
    spec.setdefault("inputs", ("x", "y"))
    spec.setdefault("doc", "Elementwise")
    spec.setdefault("jvps", vjps)       # a diagonal Jacobian: the VJP rule is the JVP rule
    return defprimitive(name, kind="binary", float_fn=float_fn, array_fn=array_fn,
                        vjps=vjps, derivs=derivs, **spec)


def reduction(name: str, array_fn: Callable[[Any, tuple[int, ...], bool], Any], vjp: Vjp,
              deriv: str, vjp_text: str, jvp: Jvp | None = None, **spec: Any) -> Primitive:
    """Register a reduction ``f(x, axis=None, keepdims=False)``: ``array_fn(x, axes,
    keepdims)``, ``vjp(M, g, ans, x, axes, keepdims)`` and ``jvp(M, t, ans, x, axes,
    keepdims)`` get ``axes`` as a tuple of negative axes (normalised once, by the generated
    ``cr.`` function)."""
    spec.setdefault("function", name)
    spec.setdefault("methods", (name,))
    spec.setdefault("numpy", _numpy_named(name))
    spec.setdefault("formula", True)
    spec.setdefault("expr", f"{name}(x)")
    return defprimitive(name, kind="reduction", array_fn=array_fn, vjps=[vjp],
                        jvps=None if jvp is None else [jvp],
                        derivs=[deriv], vjp_text=[vjp_text], params=("axis", "keepdims"),
                        **spec)


def _numpy_named(name: str | None) -> tuple[Any, ...]:
    fn = getattr(np, name, None) if name else None
    return (fn,) if callable(fn) else ()


def primitive(name: str, forward: Callable[..., Any], vjps: Sequence[Vjp | None], *,
              float_forward: Callable[..., Any] | None = None,
              jvps: Sequence[Jvp | None] | None = None,
              inputs: Sequence[str] | None = None, derivs: Sequence[str] = (),
              expr: str | None = None, domain: str = "all reals",
              kink: str | None = None, complex: bool = False) -> Primitive:
    """Define a new differentiable op, the way the built-in ops are defined.

    ``forward(*inputs)`` computes the op on numbers or ndarrays (numpy code);
    ``vjps[i](M, g, ans, *inputs)`` returns the gradient flowing into input ``i`` given the
    upstream gradient ``g`` (same shape as ``ans``). Write the rules with ``M``'s functions
    (``M.cos``, ``M.exp``, ``M.sum``...) and operators so they also work on Tensors, which
    makes second derivatives (``hessian``) work too. ``float_forward`` is an optional fast
    forward for Python floats (the Scalar engine falls back to ``forward`` otherwise).
    ``jvps[i](M, t, ans, *inputs)`` are optional forward-mode rules (the tangent ``t`` of
    input ``i`` pushed to the output); without them forward mode (``cr.jvp``) derives them
    exactly from the VJPs. ``complex=True`` declares that the rules also hold for complex
    data in chainrule's convention (see the complex numbers guide); without it the op
    refuses complex data while recording.

    Example::

        cube = cr.primitive("cube", lambda x: x**3, [lambda M, g, ans, x: g * 3 * x**2],
                            derivs=["3*x**2"])
        cube(cr.Scalar(2.0))          # a Scalar, value 8.0, differentiable
        cr.grad(lambda x: cube(x))(2.0)   # 12.0

    Returns the primitive; calling it applies the op to Scalars, Tensors or plain values.
    """
    n = len(vjps)
    names = tuple(inputs) if inputs else (("x",) if n == 1 else tuple(f"x{i}" for i in range(n)))
    if len(names) != n:
        raise ValueError(f"primitive {name!r}: {len(names)} input names for {n} vjps")
    checked = [None if rule is None else _never_none(name, i, rule)
               for i, rule in enumerate(vjps)]
    pushes = None if jvps is None else [None if rule is None else _one_tangent(i, rule)
                                        for i, rule in enumerate(jvps)]
    return Primitive(name, array_fn=forward, vjps=checked, jvps=pushes,
                     float_fn=float_forward or _float_via(forward), inputs=names,
                     derivs=derivs, expr=expr, domain=domain, kink=kink, complex=complex)


def _never_none(name: str, i: int, rule: Vjp) -> Vjp:
    """``rule``, raising TypeError when it returns None (a forgotten ``return``): that
    would silently give a zero gradient. A batch of cotangents (``g`` with leading axes
    ``ans`` does not have, as jacobian and hessian push) goes through ``rule`` one
    cotangent at a time: a user's rule may assume ``g.shape == ans.shape``, and a batch
    broadcast against the inputs instead would give a wrong answer without a word."""
    def once(M: Any, g: Any, ans: Any, *args: Any) -> Any:
        out = rule(M, g, ans, *args)
        if out is None:
            raise TypeError(f"primitive {name!r}: the VJP of input {i} returned None; "
                            "return the gradient (put None in vjps instead of a rule when "
                            "no gradient flows into that input)")
        return out

    def checked(M: Any, g: Any, ans: Any, *args: Any) -> Any:
        nb = np.ndim(_raw(g)) - np.ndim(_raw(ans))
        if nb > 0:
            return over_batch(lambda gb: once(M, gb, ans, *args), g, nb,
                              np.shape(_raw(args[i])), M)
        return once(M, g, ans, *args)
    return checked


def _one_tangent(i: int, rule: Jvp) -> Jvp:
    """``rule``, given a batch of tangents for input ``i`` (leading axes the input does
    not have, as jacfwd pushes) one tangent at a time, for the reason of ``_never_none``."""
    def push(M: Any, t: Any, ans: Any, *args: Any) -> Any:
        nb = np.ndim(_raw(t)) - np.ndim(_raw(args[i]))
        if nb > 0:
            return over_batch(lambda tb: rule(M, tb, ans, *args), t, nb,
                              np.shape(_raw(ans)), M)
        return rule(M, t, ans, *args)
    return push


def over_batch(fn: Callable[[Any], Any], x: Any, nb: int, shape: tuple[int, ...],
               M: Any) -> Any:
    """``fn`` applied to each ``x[b]`` over the ``nb`` leading axes of ``x``, the results
    (each broadcast to ``shape`` or wider) stacked along those axes again: shape
    ``x.shape[:nb] + broadcast(shape, results)``."""
    lead = np.shape(_raw(x))[:nb]
    outs = [fn(x[b]) for b in np.ndindex(lead)]
    full = np.broadcast_shapes(shape, *(np.shape(_raw(o)) for o in outs))
    stacked = M.stack([o if np.shape(_raw(o)) == full else M.broadcast_to(o, full)
                       for o in outs])
    return M.reshape(stacked, lead + full)


def _raw(x: Any) -> Any:
    return x.value if isinstance(x, Node) else x


def _float_via(forward: Callable[..., Any]) -> Callable[..., float]:
    return lambda *xs: float(forward(*xs))


def apply(prim: Primitive, *args: Any) -> Any:
    """Apply ``prim``: on Scalars or Tensors it records a graph node, on plain numbers or
    arrays it just computes. The first graph node among ``args`` picks the engine."""
    for a in args:
        if isinstance(a, Node):
            return type(a)._apply(prim, args)  # type: ignore[attr-defined]  # each engine has one
    if prim.float_fn is not None and all(isinstance(a, (int, float)) and not isinstance(a, bool)
                                         for a in args[: prim.n_inputs]):
        return float_forward(prim, args)
    return array_forward(prim, args)


_FLOAT_ERRORS = (ZeroDivisionError, ValueError, OverflowError)


def float_forward(prim: Primitive, vals: Sequence[Any]) -> float:
    """``prim`` on Python floats, with numpy float64 semantics where math would raise."""
    try:
        return prim.float_fn(*vals)  # type: ignore[misc]  # callers check float_fn
    except _FLOAT_ERRORS:
        return float(prim.array_fn(*[np.float64(v) if isinstance(v, (int, float)) else v
                                     for v in vals]))


def complex_refusal(prim: Primitive) -> str:
    """The message of an op whose rules are for real numbers, given complex data."""
    name = f"cr.{prim.function}" if prim.function else prim.name
    return (f"{name} does not support complex input yet (its derivative rule is for real "
            "numbers); take cr.real/cr.imag parts first, or see the complex numbers guide "
            "for the ops that do")


def array_forward(prim: Primitive, args: tuple) -> Any:
    """``prim`` on plain numbers and arrays (no graph), with chainrule's shape errors."""
    args = tuple(np.asarray(a) if isinstance(a, (list, tuple)) and i < prim.n_inputs
                 and not prim.variadic else a for i, a in enumerate(args))
    n = len(args) - 1 if prim.variadic else prim.n_inputs   # variadic: then one parameter
    for a in args[:n]:
        if a is not None:       # an absent input (clip's bound)
            operand(prim.name, a)
            if not prim.complex and np.iscomplexobj(a):
                raise TypeError(complex_refusal(prim))
    try:
        return prim.array_fn(*args)
    except ValueError as exc:
        raise shape_error(prim, args, exc) from None
