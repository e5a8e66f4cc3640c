"""The differentiable functions of ``cr``: ``cr.sin``, ``cr.sum``, ``cr.matmul``...

Each applies a primitive from :mod:`chainrule.rules`: on a Scalar it returns a Scalar, on a
Tensor a Tensor, on plain numbers or arrays a plain result. Axis arguments follow numpy
(an int, a tuple or None, negative counting from the end).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core import ONE_PARENT, Node
from ..core.recording import _state
from ..primitive import Primitive, apply
from ..rules import elementwise as ew
from ..rules import linalg, reductions
from ..rules import structural as shape_mod
from ..scalar import Scalar, _new, float_forward
from ..shape_checks import check_broadcast, check_matmul
from ..tensor import Tensor, _recorded

Array = Any  # a Tensor, an ndarray, a list or a number


def _elementwise(prim: Primitive) -> Callable[[Array], Array]:
    ffn = prim.float_fn

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

    fn.__name__ = fn.__qualname__ = prim.name
    fn.__doc__ = (f"Elementwise {prim.expr}: a Scalar, Tensor (same shape), number or array."
                  f"\n\nDerivative: {prim.rule(0)}. Domain: {prim.domain}."
                  + (f" Convention: {prim.kink}." if prim.kink else ""))
    return fn


sin = _elementwise(ew.SIN)
cos = _elementwise(ew.COS)
tan = _elementwise(ew.TAN)
exp = _elementwise(ew.EXP)
log = _elementwise(ew.LOG)
sqrt = _elementwise(ew.SQRT)
tanh = _elementwise(ew.TANH)
sigmoid = _elementwise(ew.SIGMOID)
relu = _elementwise(ew.RELU)
abs = _elementwise(ew.ABS)
negative = _elementwise(ew.NEG)


def _broadcasting(prim: Primitive) -> Callable[[Array, Array], Array]:
    def fn(x: Array, y: Array) -> Array:
        xs, ys = _shape_of(x), _shape_of(y)
        if xs != ys:
            check_broadcast(prim.name, xs, ys)
        return apply(prim, x, y)

    fn.__name__ = fn.__qualname__ = prim.name
    fn.__doc__ = (f"Elementwise {prim.expr} with numpy broadcasting; shapes must broadcast "
                  f"(ShapeError otherwise).\n\nDerivatives: {prim.rule(0)}; {prim.rule(1)}."
                  + (f" Convention: {prim.kink}." if prim.kink else ""))
    return fn


add = _broadcasting(ew.ADD)
subtract = _broadcasting(ew.SUB)
multiply = _broadcasting(ew.MUL)
divide = _broadcasting(ew.DIV)
power = _broadcasting(ew.POW)
maximum = _broadcasting(ew.MAXIMUM)
minimum = _broadcasting(ew.MINIMUM)


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


_ALL_AXES = [tuple(range(-n, 0)) for n in range(33)]


def _tensor_only(op: str, x: Any) -> None:
    if isinstance(x, Scalar):
        raise TypeError(f"{op} is defined for Tensors only; a Scalar is already one number")


def _reduction(prim: Primitive, doc: str) -> Callable[..., Array]:
    def fn(x: Array, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Array:
        if type(x) is Tensor:
            xv = x.value
            axes = _ALL_AXES[xv.ndim] if axis is None else normalize_axes(
                prim.name, xv.ndim, axis)
            keepdims = bool(keepdims)
            out = prim.array_fn(xv, axes, keepdims)
            if type(out) is not np.ndarray:
                out = np.asarray(out)
            if x.needs and _state["grad_enabled"]:
                return _recorded(out, (x, axes, keepdims), prim)
            return Tensor._node(out, (), None, False)
        _tensor_only(prim.name, x)
        return apply(prim, x, normalize_axes(prim.name, _ndim(x), axis), bool(keepdims))

    fn.__name__ = fn.__qualname__ = prim.name
    fn.__doc__ = (f"{doc} over ``axis`` (int, tuple or None for all); the result has the "
                  f"input's shape without those axes (kept as size 1 with keepdims).\n\n"
                  f"Derivative: {prim.rule(0)}." + (f" Convention: {prim.kink}."
                                                    if prim.kink else ""))
    return fn


sum = _reduction(reductions.SUM, "Sum")
mean = _reduction(reductions.MEAN, "Mean")
max = _reduction(reductions.MAX, "Maximum")
min = _reduction(reductions.MIN, "Minimum")
logsumexp = _reduction(reductions.LOGSUMEXP, "log(sum(exp(x))), computed stably,")


def softmax(x: Array, axis: int = -1) -> Array:
    """exp(x) / sum(exp(x)) along ``axis`` (default: last); same shape as ``x``; stable for
    inputs around +-1000."""
    _tensor_only("softmax", x)
    return apply(reductions.SOFTMAX, x, normalize_axes("softmax", _ndim(x), axis))


def log_softmax(x: Array, axis: int = -1) -> Array:
    """x - logsumexp(x) along ``axis`` (default: last); same shape as ``x``; stable."""
    _tensor_only("log_softmax", x)
    return apply(reductions.LOG_SOFTMAX, x, normalize_axes("log_softmax", _ndim(x), axis))


def norm(x: Array, ord: Any = None, axis: int | Sequence[int] | None = None,
         keepdims: bool = False) -> Array:
    """``np.linalg.norm``: the 2-norm of all elements by default; ``ord`` 1, 2, inf or p > 1
    along one axis; 'fro' or 2 (spectral) over two axes. The gradient at 0 is 0."""
    _tensor_only("norm", x)
    nd = _ndim(x)
    if axis is None and ord is not None and nd not in (1, 2):
        raise ValueError(f"norm: ord={ord!r} needs axis= for an input with {nd} dimensions")
    axes = normalize_axes("norm", nd, axis)
    reductions.norm_kind(ord, axes)
    return apply(reductions.NORM, x, ord, axes, bool(keepdims))


def matmul(a: Array, b: Array) -> Array:
    """``a @ b`` with numpy's rules: (..., m, n) @ (..., n, k) -> (..., m, k); a 1-D operand
    acts as a row (left) or column (right) vector. ShapeError if inner dimensions differ."""
    check_matmul(_shape_of(a), _shape_of(b))
    return apply(linalg.MATMUL, a, b)


def dot(a: Array, b: Array) -> Array:
    """``np.dot`` for 0-, 1- and 2-D operands (a product, an inner product or ``matmul``)."""
    na, nb = _ndim(a), _ndim(b)
    if na == 0 or nb == 0:
        return multiply(a, b)
    if na > 2 or nb > 2:
        raise TypeError(f"dot: operands with {na} and {nb} dimensions are not supported; "
                        "use cr.matmul (batched) instead")
    return matmul(a, b)


def reshape(x: Array, *shape: int | Sequence[int]) -> Array:
    """``x`` with a new shape of the same size (one entry may be -1)."""
    _tensor_only("reshape", x)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return apply(shape_mod.RESHAPE, x, tuple(int(s) for s in shape))


def transpose(x: Array, *axes: int | Sequence[int]) -> Array:
    """Permute the axes of ``x`` (reverse them when no axes are given)."""
    _tensor_only("transpose", x)
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    nd = _ndim(x)
    if axes:
        axes = tuple(a % nd if -nd <= a < nd else _axis_error("transpose", a, nd)
                     for a in axes)
        if sorted(axes) != list(range(nd)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of {nd} axes")
    else:
        axes = None
    return apply(shape_mod.TRANSPOSE, x, axes)


def _axis_error(op: str, a: int, nd: int) -> int:
    raise np.exceptions.AxisError(f"{op}: axis {a} is out of bounds for {nd} dimension(s)")


def broadcast_to(x: Array, shape: Sequence[int]) -> Array:
    """``x`` repeated to ``shape`` (numpy broadcasting rules)."""
    shape = tuple(shape)
    check_broadcast("broadcast_to", _shape_of(x), shape)
    return apply(shape_mod.BROADCAST_TO, x, shape)


def concatenate(xs: Sequence[Array], axis: int = 0) -> Array:
    """Join a sequence of arrays along an existing ``axis`` (default 0)."""
    xs = list(xs)
    if not xs:
        raise ValueError("concatenate: needs at least one array")
    nd = _ndim(xs[0])
    (ax,) = normalize_axes("concatenate", nd, axis)
    return apply(shape_mod.CONCATENATE, *xs, ax)


def stack(xs: Sequence[Array], axis: int = 0) -> Array:
    """Join a sequence of same-shape arrays along a new ``axis`` (default 0)."""
    xs = list(xs)
    if not xs:
        raise ValueError("stack: needs at least one array")
    (ax,) = normalize_axes("stack", _ndim(xs[0]) + 1, axis)
    return apply(shape_mod.STACK, *xs, ax)


def where(cond: Array, x: Array, y: Array) -> Array:
    """``x`` where ``cond`` is true, else ``y`` (all three broadcast together). The
    condition carries no gradient."""
    c = np.asarray(_raw(cond), dtype=bool)
    check_broadcast("where", c.shape, _shape_of(x))
    check_broadcast("where", c.shape, _shape_of(y))
    return apply(ew.WHERE, c, x, y)


def sum_to(x: Array, shape: tuple[int, ...], nb: int = 0) -> Array:
    """Sum ``x`` down to ``x.shape[:nb] + shape`` (undoes broadcasting)."""
    return apply(shape_mod.SUM_TO, x, tuple(shape), nb)



METHODS: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (sin, cos, tan, exp, log, sqrt, tanh, sigmoid, relu, abs, norm,
                            logsumexp, softmax, log_softmax, matmul, dot, maximum, minimum)
}

