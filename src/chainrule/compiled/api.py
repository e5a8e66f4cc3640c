"""``cr.compile`` (also ``cr.jit``): trace a function once per argument signature, then
replay it as straight-line numpy code.

The signature of a call is the structure of its arguments, the shape and dtype of every
array in them and the value of everything else (Python numbers, strings, None: constants
of the trace). A new signature traces again; the programs are cached by signature.

``cr.compile(cr.grad(f))`` and ``cr.compile(cr.value_and_grad(f, argnums))`` trace ``f``
alone and append the backward pass the eager engine would run (the rule table's VJPs on
ndarrays, in the same order), so their results equal eager mode's bit for bit.
"""

from __future__ import annotations

import builtins
import operator
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ..core import Node
from ..core.recording import transform_level
from ..errors import IndependentOutputWarning
from ..pytree import TreeDef, is_numbers, tree_flatten, tree_unflatten
from ..tensor import Tensor
from ..transforms import _argnums, _check_complex, made_by
from .guard import SCALARS, collect
from .program import Program
from .tracing import Trace, TraceError, tracing

_ndarray = np.ndarray
_NUMBER = (int, float, complex, np.integer, np.floating, np.complexfloating)
_FLOAT_ITEMS = frozenset(map(np.dtype, (np.float16, np.float32, np.float64)))


class _Signature:
    """How one call's arguments split into the arrays a program takes (``dynamic``) and
    the key of its cache entry."""

    __slots__ = ("key", "dynamic", "defs", "leaves", "kinds")

    def __init__(self, args: tuple, kwargs: dict, static: frozenset[int],
                 differentiated: frozenset[int]) -> None:
        key: list[Any] = []
        self.dynamic: list[Any] = []
        self.defs: list[TreeDef | None] = []
        self.leaves: list[list[Any]] = []
        self.kinds: list[list[str]] = []
        for i, a in enumerate(args):
            if i in static:
                leaves, d = [a], None
            elif is_numbers(a) or type(a) is _ndarray or isinstance(a, Node):
                leaves, d = [a], None
            else:
                leaves, tree = tree_flatten(a)
                d = None if tree.kind == "leaf" else tree
            kinds = [self._leaf(x, i in static, i in differentiated, key) for x in leaves]
            key.append(d)
            self.defs.append(d)
            self.leaves.append(leaves)
            self.kinds.append(kinds)
        for name in sorted(kwargs):
            value = kwargs[name]
            key.append(("kw", name, _hashable(value, f"keyword argument {name!r}")))
        self.key = tuple(key)

    def _leaf(self, x: Any, static: bool, differentiated: bool, key: list[Any]) -> str:
        """Classify one leaf: ``"float"`` (a traced Tensor), ``"int"`` (an integer or
        boolean array passed through as itself) or ``"static"`` (a constant of the trace)."""
        if not static:
            if isinstance(x, Node):     # a Tensor that needs no gradient
                x = x.value
            elif type(x) is not _ndarray and (is_numbers(x) or (
                    differentiated and isinstance(x, _NUMBER) and not isinstance(x, bool))):
                x = np.asarray(x)
            if type(x) is _ndarray:
                kind = x.dtype.kind
                if differentiated and kind in "biu":
                    x = x.astype(np.float64)
                    kind = "f"
                if kind not in "fcbiu":
                    raise TypeError(f"cr.compile: an argument of dtype {x.dtype} cannot be "
                                    "traced; give numbers")
                key.append((x.shape, x.dtype))
                self.dynamic.append(x)
                return "float" if kind in "fc" else "int"
            if differentiated:
                raise TypeError(f"cannot differentiate with respect to {type(x).__name__} "
                                f"{x!r}; give a float, a list or an array")
        key.append(("static", type(x), _hashable(x, "a static argument")))
        return "static"


def _hashable(x: Any, what: str) -> Any:
    try:
        hash(x)
    except TypeError:
        raise TypeError(f"cr.compile: {what} of type {type(x).__name__} is a constant of the "
                        "trace and must be hashable (it keys the cache of traces); pass "
                        "arrays as positional arguments") from None
    return x


class Compiled:
    """A function compiled by :func:`compile`: call it as the function itself.

    ``traces`` counts the traces made so far (one per argument signature, and again
    after the state ``f`` reads besides its arguments changed: see ``guard``);
    ``program(*args)`` returns the :class:`~chainrule.compiled.program.Program` that a
    call with these arguments runs (its ``source`` is the generated code).
    """

    def __init__(self, f: Callable[..., Any], static_argnums: int | Sequence[int] = (),
                 check: bool = True) -> None:
        if not callable(f):
            raise TypeError(f"cr.compile: expected a function, got {type(f).__name__}")
        self.f = f
        self.static_argnums = ((static_argnums,) if isinstance(static_argnums, int)
                               else tuple(static_argnums))
        self.check = check
        made = made_by(f)
        self.transform: str | None = made[0] if made else None
        self.inner: Callable[..., Any] = made[1] if made else f
        self.argnums: Any = made[2] if made else None
        self.holomorphic = made[3] if made else False
        self._cache: dict[Any, Any] = {}
        # calls whose every argument is one plain ndarray (the common case) skip the
        # signature: keyed by the shapes and dtypes alone
        self._fast: dict[tuple, Program] = {}
        # the last of those signatures: a generated entry that checks the arguments (no key
        # built, nothing hashed) and runs its program, or answers _MISS
        self._last: Callable[[tuple], Any] = _miss
        self._entries: dict[tuple, Callable[[tuple], Any]] = {}
        # state f reads besides its arguments (closed-over Tensors, globals, modules'
        # buffers): answers True once it may differ from when the programs were traced,
        # and every program is dropped. None: f reads none (nothing is checked).
        self._guard: Callable[[], bool] | None = None
        self._statics: dict[int, Any] = {}    # static arguments that may hold state
        self.traces = 0
        self.__name__ = f"compile({getattr(f, '__name__', 'f')})"
        self.__doc__ = getattr(f, "__doc__", None)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs and not transform_level():
            out = self._last(args)
            if out is not _MISS:
                return out
            self._revalidate()
            fast = _fast_key(args)
            if fast is not None:
                known = self._fast.get(fast[0])
                if known is not None:
                    self._remember(fast[0], known)
                    return known.run(*fast[1])
        if transform_level() or _in_graph(args):
            return self.f(*args, **kwargs)     # inside another transform: eager
        self._revalidate()
        sig = self._signature(args, kwargs)
        program = self._cache.get(sig.key)
        if program is None:
            program = self._cache[sig.key] = self._trace(sig, args, kwargs)
        fast = None if kwargs else _fast_key(args)
        if fast is not None and len(fast[1]) == len(sig.dynamic) and all(
                a is d for a, d in zip(fast[1], sig.dynamic)):
            self._fast[fast[0]] = program
            self._remember(fast[0], program)
        return program.run(*sig.dynamic)

    @property
    def guard(self) -> Callable[[], bool] | None:
        """The generated check of the state ``f`` reads besides its arguments (closed-over
        Tensors, globals, modules' buffers), as of the last trace: ``guard()`` is True when
        some of it changed (the next call traces again), ``guard.source`` is its code;
        None when ``f`` reads no such state (nothing is checked)."""
        return self._guard

    def _remember(self, key: tuple, program: Program) -> None:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _entry(key, program.run, self._guard)
        self._last = entry

    def _revalidate(self) -> None:
        """Drop every program if the state they froze may have changed."""
        if self._guard is not None and self._guard():
            self._cache.clear()
            self._fast.clear()
            self._entries.clear()
            self._last = _miss
            self._guard = None
            self._statics.clear()

    def _watch(self, sig: _Signature, kwargs: dict) -> None:
        """After a trace: watch the state f reaches, and its static arguments (a Module
        given as one), as they are now."""
        for leaves, kinds in zip(sig.leaves, sig.kinds):
            for x, kind in zip(leaves, kinds):
                if kind == "static" and not isinstance(x, SCALARS):
                    self._statics[id(x)] = x
        for x in kwargs.values():
            if not isinstance(x, SCALARS):
                self._statics[id(x)] = x
        guard = collect(self.inner, list(self._statics.values()))
        if guard is not None or self._guard is not None:
            self._entries.clear()       # their checks call the guard they were made with
            self._last = _miss
        self._guard = guard

    def program(self, *args: Any, **kwargs: Any) -> Program:
        """The program a call with these arguments runs (traced now if it is new)."""
        self._revalidate()
        sig = self._signature(args, kwargs)
        if sig.key not in self._cache:
            self._cache[sig.key] = self._trace(sig, args, kwargs)
        return self._cache[sig.key]

    def _nums(self, n: int) -> tuple[tuple[int, ...], bool]:
        return _argnums(self.argnums, n) if self.transform else ((), False)

    def _signature(self, args: tuple, kwargs: dict) -> _Signature:
        n = len(args)
        static = frozenset(i % n for i in self.static_argnums if -n <= i < n)
        nums = frozenset(self._nums(n)[0])
        return _Signature(args, kwargs, static, nums)

    def _trace(self, sig: _Signature, args: tuple, kwargs: dict) -> Program:
        trace = Trace()
        inputs: list[Any] = []
        traced_args = []
        arg_leaves: list[list[Any]] = []
        values = iter(sig.dynamic)
        for d, leaves, kinds in zip(sig.defs, sig.leaves, sig.kinds):
            new = []
            for x, kind in zip(leaves, kinds):
                if kind == "static":
                    new.append(x)
                    continue
                v = np.array(next(values))      # our own copy, as eager leaves are
                leaf = trace.leaf(v) if kind == "float" else v
                inputs.append(leaf)
                new.append(leaf)
            arg_leaves.append(new)
            traced_args.append(new[0] if d is None else tree_unflatten(d, new))
        nums, single = self._nums(len(args))
        with tracing(trace):
            out = self.inner(*traced_args, **kwargs)
        self.traces += 1
        if self.transform is None:
            outs, out_def = tree_flatten(out)
            # what f returned: its Tensors computed from the inputs as new Tensors, the
            # Tensors it closed over as themselves
            wrap = ["T" if trace.follows(o) else "K" if isinstance(o, Node) else ""
                    for o in outs]
            closed = [o if w == "K" else None for o, w in zip(outs, wrap)]

            def pack(results: list[str], program: Program) -> str:
                program.namespace["T"] = _new_tensor
                leaves = iter(f"T({r})" if w == "T" else program.constant(c) if w == "K"
                              else r for r, w, c in zip(results, wrap, closed))
                return _tree_expr(out_def, leaves, program)

            program = Program(inputs, trace.nodes, outs, pack=pack)
        else:
            program = self._gradient_program(trace, inputs, out, sig, arg_leaves, nums,
                                             single)
        if self.check:
            _check(self, program, sig, kwargs)
        self._watch(sig, kwargs)
        return program

    def _gradient_program(self, trace: Trace, inputs: list[Any], out: Any, sig: _Signature,
                          arg_leaves: list[list[Any]], nums: tuple[int, ...],
                          single: bool) -> Program:
        if not isinstance(out, Tensor):
            from ..transforms import _as_output
            out = _as_output(out, "grad")
        if out.value.size != 1:
            raise TypeError(f"grad: f must return a single number, got shape {out.shape}; "
                            "use cr.jacobian for vector outputs")
        wanted: list[Tensor] = []
        for i in nums:
            wanted.extend(arg_leaves[i])
        _check_complex(out, wanted, tuple(j for j in nums for _ in arg_leaves[j]),
                       self.holomorphic, "grad")
        with_value = self.transform == "value_and_grad"
        scalar = out.value.ndim == 0
        # .item() of a 0-d array; float() gives the same Python float for the usual float
        # dtypes, and faster (also of a numpy scalar, whose .item() is slow)
        number = "float({})" if out.value.dtype in _FLOAT_ITEMS else "{}.item()"

        numbers = {i: [_python_number(x) for x in sig.leaves[i]] for i in nums}
        defs = {i: sig.defs[i] for i in nums}

        def pack(results: list[str], program: Program) -> str:
            # as eager mode returns them: the value as a Python number for a 0-d output,
            # a float (a complex) for a gradient of a Python float (complex), each
            # argument's gradients in the argument's structure
            leaves = iter(results[1:])
            per = []
            for i in nums:
                grads = iter(f"{kind}({next(leaves)})" if kind else next(leaves)
                             for kind in numbers[i])
                per.append(_tree_expr(defs[i], grads, program))
            grads_expr = per[0] if single else f"({', '.join(per)},)"
            if not with_value:
                return grads_expr
            value = number.format(results[0]) if scalar else results[0]
            return f"({value}, {grads_expr})"

        root = out if trace.follows(out) else None
        program = Program(inputs, trace.nodes, [out], root, wanted, pack=pack)
        for w, i in zip(wanted, [j for j in nums for _ in arg_leaves[j]]):
            if id(w) not in program.reached:
                warnings.warn(IndependentOutputWarning(
                    f"grad: the output of f does not depend on argument {i} (no "
                    "differentiable path reaches it), so its derivative is zeros; if it "
                    "should, look for float(), math.* or .item() cutting the graph"),
                    stacklevel=4)
        return program


def _python_number(x: Any) -> str:
    """How eager mode hands out the gradient of a Python number ``x``: ``complex``,
    ``float``, or ``""`` (an array)."""
    if isinstance(x, complex):
        return "complex"
    return "float" if isinstance(x, (float, int)) and not isinstance(x, bool) else ""


def _new_tensor(value: np.ndarray) -> Tensor:
    return Tensor._node(value, (), None, False)


def _tree_expr(d: TreeDef | None, leaves: Iterator[str], program: Program) -> str:
    """The expression building structure ``d`` around the leaf expressions ``leaves``."""
    if d is None or d.kind == "leaf":
        return next(leaves)
    parts = [_tree_expr(c, leaves, program) for c in d.children]
    if d.kind == "dict":
        return "{" + ", ".join(f"{program.constant(k)}: {p}"
                               for k, p in zip(d.keys, parts)) + "}"
    if d.kind == "list":
        return f"[{', '.join(parts)}]"
    return f"({', '.join(parts)}{',' if len(parts) == 1 else ''})"


_SORTED: dict[tuple, tuple] = {}
# (type, shape, dtype) of an array: a key that no Tensor or other array-like matches
_array_key = operator.attrgetter("__class__", "shape", "dtype")


_MISS = object()


def _miss(args: tuple) -> Any:
    return _MISS


def _entry(key: tuple, run: Callable[..., Any],
           guard: Callable[[], bool] | None = None) -> Callable[[tuple], Any]:
    """A generated function of a call's arguments: ``run`` on their arrays if they are what
    :func:`_fast_key` made ``key`` from (plain ndarrays of exactly those shapes and dtypes,
    dicts with exactly those keys) and ``guard`` (if any) sees no change, else ``_MISS``.
    An equal dtype that is another object misses too, and the call takes the keyed path."""
    namespace: dict[str, Any] = {"nd": _ndarray, "run": run, "MISS": _MISS, "changed": guard}
    lines: list[str] = []
    tests: list[str] = []
    inputs: list[str] = []

    def array(var: str, k: tuple) -> None:
        n = len(inputs)
        namespace[f"S{n}"], namespace[f"D{n}"] = k[1], k[2]
        tests.extend([f"{var}.__class__ is nd", f"{var}.shape == S{n}", f"{var}.dtype is D{n}"])
        inputs.append(var)

    i = j = 0
    while i < len(key):
        if key[i][0] is dict:
            names = key[i][1]
            lines.append(f"    if p{j}.__class__ is not dict or len(p{j}) != {len(names)}:")
            lines.append("        return MISS")
            for m, name in enumerate(names):
                namespace[f"N{j}_{m}"] = name
                lines.append(f"    p{j}_{m} = p{j}.get(N{j}_{m})")
                array(f"p{j}_{m}", key[i + 1 + m])
            i += 1 + len(names)
        else:
            array(f"p{j}", key[i])
            i += 1
        j += 1
    if guard is not None:
        tests.append("not changed()")
    head = ["def entry(args):", f"    if len(args) != {j}:", "        return MISS"]
    if j:
        head.append(f"    {', '.join(f'p{n}' for n in range(j))}, = args")
    lines = head + lines + [f"    if {' and '.join(tests) or 'True'}:",
                            f"        return run({', '.join(inputs)})", "    return MISS"]
    source = "\n".join(lines) + "\n"
    exec(builtins.compile(source, "<chainrule.compile entry>", "exec"), namespace)  # noqa: S102
    return namespace["entry"]


def _fast_key(args: tuple) -> tuple[tuple, list[np.ndarray]] | None:
    """For arguments that are plain ndarrays and dicts of them (parameters), the common
    case: the cache key from their shapes and dtypes alone and the arrays in the order of
    the program's inputs; None for anything else (the full signature is computed)."""
    key: list[Any] = []
    arrays: list[np.ndarray] = []
    for a in args:
        kind = type(a)
        if kind is _ndarray:
            key.append(_array_key(a))
            arrays.append(a)
        elif kind is dict:
            given = tuple(a)
            names = _SORTED.get(given)
            if names is None:
                # the order of tree_flatten, remembered for dicts built the same way
                names = _SORTED[given] = tuple(sorted(given, key=repr))
                if len(_SORTED) > 256:
                    _SORTED.clear()
            key.append((dict, names))     # never equal to an array's key
            for name in names:
                v = a[name]
                if type(v) is not _ndarray:
                    return None
                key.append(_array_key(v))
                arrays.append(v)
        else:
            return None
    return tuple(key), arrays


def _in_graph(args: tuple) -> bool:
    for a in args:
        if isinstance(a, Node) and a.needs:
            return True
        if isinstance(a, (dict, list, tuple)) and not is_numbers(a):
            if any(isinstance(x, Node) and x.needs for x in tree_flatten(a)[0]):
                return True
    return False


def _check(compiled: Compiled, program: Program, sig: _Signature, kwargs: dict) -> None:
    """Run ``f`` eagerly once more, with every integer array rolled by one place, and the
    program on the same arguments: values the trace froze (random numbers from a
    generator of the function's own, numpy arithmetic on an integer argument) differ."""
    rolled = [np.roll(x, 1) if x.dtype.kind in "biu" and x.size > 1 else x
              for x in sig.dynamic]
    eager_args = []
    k = 0
    for d, leaves, kinds in zip(sig.defs, sig.leaves, sig.kinds):
        new = []
        for x, kind in zip(leaves, kinds):
            if kind != "static":
                # float arrays are Tensors inside f, as in the trace
                x = rolled[k] if kind == "int" else Tensor(x)
                k += 1
            new.append(x)
        eager_args.append(new[0] if d is None else tree_unflatten(d, new))
    name = getattr(compiled.f, "__name__", "f")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # said once already, by the trace
            expected = compiled.f(*eager_args, **kwargs)
    except Exception as exc:
        raise TraceError(
            f"cr.compile: the check run of {name} (once more without compiling, its "
            f"integer arrays shifted by one place) raised {type(exc).__name__}: {exc}; if "
            "f needs its integer arguments exactly as given, use cr.compile(f, "
            "check=False)") from exc
    got = program.run(*rolled)
    exp_leaves, _ = tree_flatten(expected)
    got_leaves, _ = tree_flatten(got)
    for e, g in zip(exp_leaves, got_leaves):
        e, g = np.asarray(_raw(e)), np.asarray(_raw(g))
        numbers = e.dtype.kind in "biuf" and g.dtype.kind in "biuf"
        if e.shape != g.shape or not (
                np.allclose(e, g, rtol=1e-5, atol=1e-8, equal_nan=True) if numbers
                else np.array_equal(e, g)):
            raise TraceError(
                f"cr.compile: the replay of {name} differs "
                "from running it (checked once, on its first call with these shapes): it "
                "computes something the trace froze, such as random numbers from a "
                "generator of its own or numpy arithmetic on an integer argument outside "
                "chainrule's ops; pass such values in as arguments, mark the argument "
                "static, or call the function without cr.compile")


def _raw(x: Any) -> Any:
    return x.value if isinstance(x, Node) else x


def compile(f: Callable[..., Any], static_argnums: int | Sequence[int] = (), *,  # noqa: A001
            check: bool = True) -> Compiled:
    """Trace ``f`` once per argument signature and replay it as straight-line numpy code.

    The signature of a call is its arguments' structure (dicts, lists, tuples), the shape
    and dtype of each array, and the value of each other leaf (Python ints, strings,
    None, and the arguments in ``static_argnums``): those are constants of the trace, and
    a new signature traces again. Arrays (float, integer or boolean) and Python floats in
    differentiated arguments are the program's inputs; inside ``f`` float arrays are
    Tensors. ``cr.compile(cr.grad(loss))`` and ``cr.compile(cr.value_and_grad(loss,
    argnums))`` replay the forward and the backward pass, with results equal to eager
    mode's, bit for bit.

    What ``f`` reads besides its arguments (the Tensors, arrays, numbers and containers
    it closes over or names as globals, Modules with their parameters and buffers) is
    noted after each trace and checked at each call: if it changed, the programs are
    dropped and ``f`` is traced again (``Compiled.guard``). Attributes of other objects
    are not checked: pass a value that changes between calls as an argument.

    With ``check`` (the default), the first call of each signature also runs ``f``
    eagerly once with its integer arrays rolled, and raises TraceError if the replay
    differs (something the trace froze). Called inside another transform, or on Tensors
    that require grad, the compiled function runs ``f`` eagerly.

    Raises ConcretizationError where ``f`` needs a traced value as a Python value (``if x
    > 0``, ``float(x)``, ``.item()``, a list index), and TraceError for what cannot be
    replayed (random draws, in-place writes, ``.data``).
    """
    return Compiled(f, static_argnums, check)


jit = compile
