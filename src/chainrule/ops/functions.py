"""The differentiable functions of ``cr``: ``cr.sin``, ``cr.sum``, ``cr.matmul``...

Each applies a primitive from :mod:`chainrule.rules`: on a Scalar it returns a Scalar, on a
Tensor a Tensor, on plain numbers or arrays a plain result. Axis arguments follow numpy
(an int, a tuple or None, negative counting from the end).

The functions are generated from the rule table (:data:`chainrule.primitive.REGISTRY`):
each entry's ``kind`` picks a maker (unary, binary, reduction) and its ``function`` names
the result. Ops whose arguments need more than a maker gives (``norm``, ``reshape``...)
are written here by hand and marked with :func:`custom`; ``dot``, built from other ops, is
a :func:`composite`. :data:`FUNCTIONS` holds them all, in sync with the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import ONE_PARENT, Node
from ..core.recording import recording
from ..primitive import REGISTRY, Primitive, apply, on_register
from ..rules import elementwise as ew
from ..rules import linalg, reductions, structural
from ..scalar import Scalar, _new, float_forward
from ..shape_checks import check_broadcast, check_matmul
from ..tensor import Tensor, _recorded, check_complex
from ..validation import whole_number

Array = Any  # a Tensor, an ndarray, a list or a number


def _elementwise(prim: Primitive) -> Callable[[Array], Array]:
    ffn: Any = prim.float_fn

    def fn(x: Array) -> Array:
        if type(x) is Scalar:
            try:
                value = ffn(x.value)
            except (ZeroDivisionError, ValueError, OverflowError):
                value = float_forward(prim, (x.value,))
            return _new(value, x, ONE_PARENT, prim)
        if type(x) is Tensor:
            return Tensor._unary(prim, x)
        return apply(prim, x)

    fn.__doc__ = (f"{prim.doc} {prim.expr}: a Scalar, Tensor (same shape), number or array."
                  f"\n\nDerivative: {prim.rule(0)}. Domain: {prim.domain}."
                  + (f" Convention: {prim.kink}." if prim.kink else ""))
    return fn


def _broadcasting(prim: Primitive) -> Callable[[Array, Array], Array]:
    def fn(x: Array, y: Array) -> Array:
        xs, ys = _shape_of(x), _shape_of(y)
        if xs != ys:
            check_broadcast(prim.name, xs, ys)
        return apply(prim, x, y)

    fn.__doc__ = (f"{prim.doc} {prim.expr} with numpy broadcasting; shapes must broadcast "
                  f"(ShapeError otherwise).\n\nDerivatives: {prim.rule(0)}; {prim.rule(1)}."
                  + (f" Convention: {prim.kink}." if prim.kink else ""))
    return fn


def _shape_of(x: Any) -> tuple[int, ...]:
    if isinstance(x, Node):
        return np.shape(x.value)
    return np.shape(x)


def _ndim(x: Any) -> int:
    return len(_shape_of(x))


def _raw(x: Any) -> Any:
    return x.value if isinstance(x, Node) else x


def normalize_axes(op: str, ndim: int, axis: int | Sequence[int] | None) -> tuple[int, ...]:
    """``axis`` as a tuple of distinct negative axes (None: all axes)."""
    if axis is None:
        return tuple(range(-ndim, 0))
    items = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in items:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {a!r}")
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(
                f"{op}: axis {a} is out of bounds for an input with {ndim} dimension(s)")
        out.append(int(a) - ndim if a >= 0 else int(a))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(out)


_ALL_AXES = [tuple(range(-n, 0)) for n in range(65)]    # numpy allows 64 dims


def _tensor_only(op: str, x: Any) -> None:
    if isinstance(x, Scalar):
        raise TypeError(f"{op} is defined for Tensors only; a Scalar is already one number")


def _reduction(prim: Primitive) -> Callable[..., Array]:
    def fn(x: Array, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Array:
        if type(x) is Tensor:
            xv = x.value
            axes = _ALL_AXES[xv.ndim] if axis is None else normalize_axes(
                prim.name, xv.ndim, axis)
            keepdims = bool(keepdims)
            try:
                out = prim.array_fn(xv, axes, keepdims)
            except ValueError as exc:
                raise reduction_error(prim.name, xv.shape, exc) from None
            if type(out) is not np.ndarray:
                out = np.asarray(out)
            check_complex(prim, x, out)
            if x.needs and recording():
                return _recorded(out, (x, axes, keepdims), prim)
            return Tensor._node(out, (), None, False)
        _tensor_only(prim.name, x)
        return apply(prim, x, normalize_axes(prim.name, _ndim(x), axis), bool(keepdims))

    fn.__doc__ = (f"{prim.doc} over ``axis`` (int, tuple or None for all); the result has the "
                  f"input's shape without those axes (kept as size 1 with keepdims).\n\n"
                  f"Derivative: {prim.rule(0)}." + (f" Convention: {prim.kink}."
                                                    if prim.kink else ""))
    return fn


def reduction_error(op: str, shape: tuple[int, ...], exc: ValueError) -> ValueError:
    """The error of a reduction that numpy refused: for an empty array (max, min and
    logsumexp have no identity) a message saying so, else numpy's own."""
    if 0 not in shape:
        return exc
    return ValueError(f"{op}: the array is empty (shape {shape}); {op} of no elements is "
                      "not defined")


FUNCTIONS: dict[str, Callable[..., Any]] = {}
"""Every ``cr.`` function by name, generated from the rule table (plus the composites)."""

NumpyCall = Callable[..., Any]


@dataclass(frozen=True)
class Composite:
    """A ``cr.`` function built from other ops (no primitive of its own), with the same
    exposure fields a rule-table entry has."""

    function: str
    fn: Callable[..., Any]
    methods: tuple[str, ...] = ()
    numpy: tuple[Any, ...] = ()
    formula: str | bool = False
    doc: str = ""

    @property
    def usage(self) -> str:
        return self.formula if isinstance(self.formula, str) else f"{self.function}(...)"


COMPOSITES: dict[str, Composite] = {}
_CUSTOM: dict[str, Callable[..., Any]] = {}


def custom(prim: Primitive, numpy: NumpyCall | None = None) -> Callable[[Callable], Callable]:
    """Mark ``fn`` as the hand-written ``cr.`` function of the custom-kind ``prim``;
    ``numpy(fn, *args, **kwargs)`` adapts numpy's signature when it differs from ``fn``'s."""
    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.numpy_call = numpy  # type: ignore[attr-defined]
        _CUSTOM[prim.name] = fn
        return fn
    return mark


def composite(*, methods: Sequence[str] = (), numpy: Sequence[Any] = (),
              formula: str | bool = False, doc: str = "") -> Callable[[Callable], Callable]:
    """Declare ``fn`` a ``cr.`` function made of other ops, exposed like a table entry."""
    def declare(fn: Callable[..., Any]) -> Callable[..., Any]:
        COMPOSITES[fn.__name__] = Composite(fn.__name__, fn, tuple(methods), tuple(numpy),
                                            formula, doc)
        FUNCTIONS[fn.__name__] = fn
        return fn
    return declare


def refuse_out(name: str, out: Any, dtype: Any = None) -> bool:
    """Raise TypeError for numpy's ``out=`` (in place: not differentiable) or ``dtype=``
    arguments of ``np.<name>``; True when neither is given."""
    if out is not None:
        raise TypeError(f"np.{name}(..., out=...) writes in place, which is not "
                        "differentiable; drop out=")
    if dtype is not None:
        raise TypeError(f"np.{name}(..., dtype=...) is not supported on Tensors; "
                        "cast the data first")
    return True


@custom(reductions.SOFTMAX)
def softmax(x: Array, axis: int = -1) -> Array:
    """exp(x) / sum(exp(x)) along ``axis`` (default: last); same shape as ``x``; stable for
    inputs around +-1000."""
    _tensor_only("softmax", x)
    return apply(reductions.SOFTMAX, x, normalize_axes("softmax", _ndim(x), axis))


@custom(reductions.LOG_SOFTMAX)
def log_softmax(x: Array, axis: int = -1) -> Array:
    """x - logsumexp(x) along ``axis`` (default: last); same shape as ``x``; stable."""
    _tensor_only("log_softmax", x)
    return apply(reductions.LOG_SOFTMAX, x, normalize_axes("log_softmax", _ndim(x), axis))


@custom(reductions.NORM)
def norm(x: Array, ord: Any = None, axis: int | Sequence[int] | None = None,
         keepdims: bool = False) -> Array:
    """``np.linalg.norm``: the 2-norm of all elements by default; every ``ord`` numpy takes:
    along one axis any number (inf, -inf, 0, p), over two axes 'fro', 'nuc', 1, -1, 2, -2,
    inf, -inf. The gradient at 0 is 0. Raises ValueError for another ord."""
    _tensor_only("norm", x)
    nd = _ndim(x)
    if axis is None and ord is not None and nd not in (1, 2):
        raise ValueError(f"norm: ord={ord!r} needs axis= for an input with {nd} dimensions")
    axes = normalize_axes("norm", nd, axis)
    try:
        reductions.norm_kind(ord, axes)
    except ValueError:
        if not OTHER_NORMS:                     # pragma: no cover - chainrule.ops fills it
            raise
        return OTHER_NORMS["norm"](x, ord, axes, bool(keepdims))
    return apply(reductions.NORM, x, ord, axes, bool(keepdims))


OTHER_NORMS: dict[str, Callable[..., Any]] = {}
"""The norms made of other ops (``'nuc'``, matrix ``1``/``inf``, vector ``-inf``, ``0``,
``p < 1``), filled in by :mod:`chainrule.ops.linalg`."""


@custom(linalg.MATMUL)
def matmul(a: Array, b: Array) -> Array:
    """``a @ b`` with numpy's rules: (..., m, n) @ (..., n, k) -> (..., m, k); a 1-D operand
    acts as a row (left) or column (right) vector. ShapeError if inner dimensions differ."""
    check_matmul(_shape_of(a), _shape_of(b))
    return apply(linalg.MATMUL, a, b)


@composite(methods=("dot",), formula="dot(x, y)",
           doc="np.dot for 0-, 1- and 2-D operands, and N-D as numpy",
           numpy=((np.dot, lambda dot, a, b, out=None: dot(a, b) if refuse_out("dot", out)
                   else None),))
def dot(a: Array, b: Array) -> Array:
    """``np.dot``: a product (0-d), an inner product, ``matmul`` (1- and 2-D), and beyond
    the last axis of ``a`` against the second-to-last of ``b`` (``cr.tensordot``)."""
    na, nb = _ndim(a), _ndim(b)
    if na == 0 or nb == 0:
        return FUNCTIONS["multiply"](a, b)
    if na > 2 or nb > 2:
        return FUNCTIONS["tensordot"](a, b, ([-1], [-2 if nb > 1 else -1]))
    return matmul(a, b)


def _read_order(op: str, x: Any, order: str) -> str:
    """numpy's memory order as the order elements are read: 'C' or 'F' ('A' and 'K': 'F'
    for an array laid out in Fortran order only)."""
    if order in ("A", "K"):
        value = np.asarray(_raw(x))
        return "F" if value.flags.f_contiguous and not value.flags.c_contiguous else "C"
    if order not in ("C", "F"):
        raise ValueError(f"{op}: order must be 'C', 'F', 'A' or 'K', got {order!r}")
    return order


def reshape_in_order(x: Array, shape: Any, order: str = "C") -> Array:
    """``np.reshape(x, shape, order)``: 'F' reads and writes the elements with the first
    index fastest (a reshape between two transposes)."""
    if _read_order("reshape", x, order) == "C":
        return reshape(x, shape)
    sizes = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    return transpose(reshape(transpose(x), sizes[::-1]))


def _np_reshape(reshape: Any, a: Any, shape: Any = None, order: str = "C", *,
                newshape: Any = None, copy: bool | None = None) -> Any:
    # copy= is honoured as it stands: the result is always a new Tensor
    return reshape_in_order(a, shape if newshape is None else newshape, order)


@custom(structural.RESHAPE, numpy=_np_reshape)
def reshape(x: Array, *shape: Any) -> Array:
    """``x`` with a new shape of the same size (one entry may be -1)."""
    _tensor_only("reshape", x)
    sizes: Any = shape
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        sizes = tuple(shape[0])
    return apply(structural.RESHAPE, x, tuple(whole_number("reshape", "shape", s)
                                              for s in sizes))


def _np_transpose(transpose: Any, a: Array, axes: Any = None) -> Array:
    return transpose(a, axes)


@custom(structural.TRANSPOSE, numpy=_np_transpose)
def transpose(x: Array, *axes: Any) -> Array:
    """Permute the axes of ``x``: reverse them when no axes are given, else as the tuple
    ``axes`` (numpy's ``transpose(x, (2, 0, 1))``; three or more separate ints too). Two
    separate ints swap those two axes, as ``torch.transpose(x, 0, 1)`` (numpy refuses
    that spelling; read as a permutation it would leave a matrix unchanged)."""
    _tensor_only("transpose", x)
    given: Any = axes
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        given = axes[0]
    nd = _ndim(x)
    perm = None
    if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
        a, b = (int(v) % nd if -nd <= v < nd else _axis_error("transpose", v, nd)
                for v in axes)
        swapped = list(range(nd))
        swapped[a], swapped[b] = swapped[b], swapped[a]
        given = tuple(swapped)
    if given:
        perm = tuple(a % nd if -nd <= a < nd else _axis_error("transpose", a, nd)
                     for a in given)
        if sorted(perm) != list(range(nd)):
            raise ValueError(f"transpose: axes {perm} are not a permutation of {nd} axes")
    return apply(structural.TRANSPOSE, x, perm)


def _axis_error(op: str, a: int, nd: int) -> int:
    raise np.exceptions.AxisError(f"{op}: axis {a} is out of bounds for {nd} dimension(s)")


@custom(structural.BROADCAST_TO,
        numpy=lambda broadcast_to, a, shape, subok=False: broadcast_to(a, shape))
def broadcast_to(x: Array, shape: Sequence[int]) -> Array:
    """``x`` repeated to ``shape`` (numpy broadcasting rules)."""
    shape = tuple(shape)
    check_broadcast("broadcast_to", _shape_of(x), shape)
    return apply(structural.BROADCAST_TO, x, shape)


def _np_joined(name: str) -> Any:
    def call(join: Any, arrays: Any, axis: Any = 0, out: Any = None, *, dtype: Any = None,
             casting: str = "same_kind") -> Any:
        refuse_out(name, out, dtype)
        if casting != "same_kind":
            raise TypeError(f"np.{name}(..., casting=...) is not supported on Tensors; "
                            "cast the data first")
        if axis is None and name == "concatenate":
            return join([reshape(a, -1) for a in arrays], 0)
        return join(arrays, axis)
    return call


@custom(structural.CONCATENATE, numpy=_np_joined("concatenate"))
def concatenate(xs: Sequence[Array], axis: int = 0) -> Array:
    """Join a sequence of arrays along an existing ``axis`` (default 0)."""
    xs = list(xs)
    if not xs:
        raise ValueError("concatenate: needs at least one array")
    nd = _ndim(xs[0])
    (ax,) = normalize_axes("concatenate", nd, axis)
    return apply(structural.CONCATENATE, *xs, ax)


@custom(structural.STACK, numpy=_np_joined("stack"))
def stack(xs: Sequence[Array], axis: int = 0) -> Array:
    """Join a sequence of same-shape arrays along a new ``axis`` (default 0)."""
    xs = list(xs)
    if not xs:
        raise ValueError("stack: needs at least one array")
    (ax,) = normalize_axes("stack", _ndim(xs[0]) + 1, axis)
    return apply(structural.STACK, *xs, ax)


@custom(ew.WHERE)
def where(cond: Array, x: Array, y: Array) -> Array:
    """``x`` where ``cond`` is true, else ``y`` (all three broadcast together). The
    condition carries no gradient."""
    c = np.asarray(_raw(cond), dtype=bool)
    check_broadcast("where", c.shape, _shape_of(x))
    check_broadcast("where", c.shape, _shape_of(y))
    return apply(ew.WHERE, c, x, y)


_MAKERS: dict[str, Callable[[Primitive], Callable[..., Any]]] = {
    "unary": _elementwise, "binary": _broadcasting, "reduction": _reduction,
}


def make_function(prim: Primitive) -> Callable[..., Any]:
    """The ``cr.`` function of ``prim``: made by its kind's maker, or its custom wrapper.
    Raises TypeError for a custom-kind primitive without one."""
    if prim.kind == "custom":
        if prim.name not in _CUSTOM:
            raise TypeError(f"primitive {prim.name!r} is of kind 'custom' but no cr. function "
                            "is marked @custom for it; use a maker's kind or write one")
        return _CUSTOM[prim.name]
    fn = _MAKERS[prim.kind](prim)
    fn.__name__ = fn.__qualname__ = prim.function or prim.name
    return fn


def _expose(prim: Primitive, added: bool) -> None:
    name = prim.function
    if name is None:
        return
    if added:
        if name in FUNCTIONS:
            raise ValueError(f"primitive {prim.name!r}: cr.{name} already exists")
        FUNCTIONS[name] = globals()[name] = make_function(prim)
    else:
        del FUNCTIONS[name]
        globals().pop(name, None)


def function_of(name: str) -> Primitive | Composite:
    """The table entry (primitive or composite) behind ``cr.<name>``. Raises KeyError."""
    for prim in REGISTRY.values():
        if prim.function == name:
            return prim
    return COMPOSITES[name]


def __getattr__(name: str) -> Callable[..., Any]:
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def expose() -> None:
    """Generate the ``cr.`` functions of the rule table (now and on every later
    :func:`~chainrule.primitive.register`); called by :mod:`chainrule.ops` once every
    module with hand-written ``@custom`` functions is loaded."""
    on_register(_expose)
