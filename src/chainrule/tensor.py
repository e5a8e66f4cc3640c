"""The Tensor engine: numpy arrays as graph nodes (vector-based backpropagation).

Data is float64 unless given as float32 (or another float type), which is kept; integer
and boolean data become float64. numpy's own functions applied to a Tensor return a
Tensor (see :mod:`chainrule.numpy_interop`), so numpy code differentiates unchanged.
"""

from __future__ import annotations

import warnings
from sys import getrefcount
from typing import TYPE_CHECKING, Any

import numpy as np

from .conversions import dropped
from .core import ONE_PARENT, Mode, Node, backprop
from .core.backward import bad_contribution
from .core.node import GRAD_SLOT
from .core.recording import recording, transform_level
from .errors import GradientDroppedError, InPlaceError, ShapeError
from .math_namespaces import ARRAY, sum_to_shape
from .primitive import Primitive, complex_refusal
from .rules.complex import IMAG, REAL
from .rules.elementwise import ADD, DIV, MUL, NEG, POW, SUB
from .rules.linalg import MATMUL
from .rules.special_elementwise import FLOOR_DIVIDE, REMAINDER
from .rules.structural import GETITEM, INDEX_PUT
from .shape_checks import check_broadcast, check_matmul, shape_error
from .tensor_math import TENSOR_MATH
from .validation import operand

_alloc = object.__new__
_set_grad_slot = GRAD_SLOT.__set__
_ndarray = np.ndarray
_clock = 0
"""The write clock: advanced by every in-place write into a Tensor (see ``Node._stamp``)."""


_complex_seen = False
"""Whether a complex Tensor was ever made: until then recording skips the complex checks."""


def check_complex(prim: Primitive, parents: Any, out: np.ndarray) -> None:
    """TypeError when complex data reaches ``prim`` (among ``parents``, or its result
    ``out``) and its rules are for real data only: they would lose the imaginary part of
    the gradient (and a forward written for real numbers its value). Cheap until the
    first complex Tensor is made."""
    if _complex_seen or out.dtype.kind == "c":
        _check_complex(prim, parents, out)


def _check_complex(prim: Primitive, parents: Any, out: np.ndarray) -> None:
    global _complex_seen
    if prim.complex:
        if out.dtype.kind == "c":
            _complex_seen = True
        return
    items = parents if type(parents) is tuple else (parents,)
    if out.dtype.kind == "c" or any(isinstance(p, Node) and p.value.dtype.kind == "c"
                                    for p in items):
        raise TypeError(complex_refusal(prim))


def as_array(data: Any, dtype: Any = None, requires_grad: bool = True) -> np.ndarray:
    """``data`` as an ndarray in its own dtype (float32 kept, integers and booleans kept),
    except that integer or boolean data that ``requires_grad`` becomes float64."""
    global _complex_seen
    arr = np.array(data, dtype=dtype)
    if requires_grad and arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    if arr.dtype.kind == "c":
        _complex_seen = True
    elif arr.dtype.kind not in "fbiu":
        raise TypeError(f"tensor: data of dtype {arr.dtype} cannot be differentiated; "
                        "give numbers")
    return arr


def _array_sum_to(c: Any, p: Node, nb: int, node: Node, i: int) -> np.ndarray:
    pv = p.value
    if type(c) is not _ndarray:
        c = np.asarray(c)
    cs = c.shape
    if cs != pv.shape and cs[nb:] != pv.shape:
        # Summing back is right when the input has no more axes than the contribution and
        # it no more than the op's output or the input; then the sum has the input's shape
        # exactly when the input broadcasts to the contribution (see bad_contribution).
        if pv.ndim <= len(cs) - nb <= max(node.value.ndim, pv.ndim):
            c = sum_to_shape(c, pv.shape, nb)
        if c.shape[nb:] != pv.shape:
            raise ShapeError(bad_contribution(node, i, cs, nb))
    if c.dtype != pv.dtype:
        if c.dtype.kind == "c" and pv.dtype.kind != "c":
            c = c.real      # a real input of a complex op: its gradient is the real part
        c = c.astype(pv.dtype)
    return c


def _own_array(g: Any) -> np.ndarray:
    # A rule may pass its upstream array straight through (add, reshape): a leaf keeps a
    # copy unless nothing else can see the array (no other reference to it, and it owns
    # its memory or views an array nothing else holds, such as a transposed product).
    if type(g) is _ndarray and getrefcount(g) <= 3:
        base = g.base
        if base is None or (type(base) is _ndarray and base.base is None
                            and getrefcount(base) <= 3):
            return g
    return np.array(g)


def _now() -> int:
    return _clock


ARRAY_MODE = Mode(ARRAY, graph=False, sum_to=_array_sum_to, own=_own_array, clock=_now,
                  array=_ndarray)


class _Changed(Primitive):
    """The op of a computed Tensor whose values were changed in place (``.data =``,
    ``zero_()`` under no_grad...) after it was computed: its rules would use the changed
    values as the op's result, so a backward or forward pass through it raises instead."""

    def __init__(self, prim: Primitive) -> None:
        name = prim.name

        def refuse(i: int, M: Any, g: Any, ans: Any, *args: Any) -> Any:
            raise RuntimeError(
                f"backward(): the result of {name} was changed in place (.data =, an "
                "in-place method under no_grad) after it was computed, so its gradient "
                "would use the changed values; compute a new Tensor instead of writing "
                "into one that is part of a graph")
        super().__init__(name, array_fn=prim.array_fn, vjps=refuse, variadic=True,
                         inputs=prim.inputs, expr=prim.expr, kind=prim.kind)


class Tensor(Node):
    """A differentiable numpy array.

    Attributes: ``data`` (the ndarray), ``grad`` (ndarray of the same shape, or None),
    ``requires_grad``, ``name``; ``shape``, ``ndim``, ``dtype``, ``T`` as in numpy.
    """

    __slots__ = ("_stamp",)
    __array_priority__ = 1000

    if TYPE_CHECKING:
        # The methods that mirror the cr.* functions (t.sum(), t.exp(), ...) are attached
        # by chainrule.ops from the rule table; the type checker learns of them here.
        def __getattr__(self, name: str) -> Any: ...
    backward_mode = ARRAY_MODE

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None,
                 dtype: Any = None) -> None:
        if isinstance(data, Node):
            data = data.value
        Node.__init__(self, as_array(data, dtype, bool(requires_grad)), (), None,
                      bool(requires_grad), name)
        self._stamp = _clock

    @classmethod
    def _node(cls, value: np.ndarray, parents: tuple, prim: Primitive | None,
              needs: bool) -> Tensor:
        node = _alloc(cls)
        node.value = value
        _set_grad_slot(node, None)
        node._p = parents
        node._q = ONE_PARENT
        node.prim = prim
        node.needs = needs
        node.name = None
        node._ct = None
        node._pending = 0
        node._stamp = _clock
        return node

    @classmethod
    def _apply(cls, prim: Primitive, args: tuple) -> Tensor:
        """Record ``prim`` applied to ``args`` (Tensors, constants, then parameters)."""
        vals = []
        needs = False
        n = len(args) - 1 if prim.variadic else prim.n_inputs   # variadic: then one parameter
        i = -1
        for a in args:
            i += 1
            if isinstance(a, Node):
                if not isinstance(a, Tensor):
                    raise TypeError(f"{prim.name}: cannot mix a {type(a).__name__} and a "
                                    "Tensor in one op")
                vals.append(a.value)
                if a.needs:
                    needs = True
            elif i < n and (type(a) is list or type(a) is tuple):
                a = as_array(a)
                vals.append(a)
                args = args[:i] + (a,) + args[i + 1:]
            elif i < n and a is not None:    # None: an absent input (clip's bound)
                vals.append(operand(prim.name, a))
            else:
                vals.append(a)
        try:
            out = prim.array_fn(*vals)
        except ValueError as exc:
            raise shape_error(prim, vals, exc) from None
        if type(out) is not _ndarray:
            out = np.asarray(out)
        if _complex_seen or out.dtype.kind == "c":
            _check_complex(prim, args, out)
        if needs and recording():
            return _recorded(out, args, prim)
        return cls._node(out, (), None, False)

    @classmethod
    def _unary(cls, prim: Primitive, x: Tensor) -> Tensor:
        """The fast path of ``_apply`` for an op with one Tensor input and no parameters."""
        out = prim.array_fn(x.value)
        if type(out) is not _ndarray:
            out = np.asarray(out)
        if _complex_seen or out.dtype.kind == "c":
            _check_complex(prim, x, out)
        if x.needs and recording():
            return _recorded(out, x, prim)  # type: ignore[arg-type]  # one parent, unboxed
        return cls._node(out, (), None, False)

    # -- array-like attributes ----------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        return self.value

    @data.setter
    def data(self, new: Any) -> None:
        """Replace the values in place of the graph (no gradient flows): an array of numbers
        of the same shape, converted to this Tensor's dtype if it holds integers or bools.
        Raises TypeError for non-numbers, ShapeError for another shape."""
        arr = np.asarray(operand("Tensor.data", new))
        if arr.shape != self.value.shape:
            raise ShapeError(f"Tensor.data: the new value has shape {arr.shape} but the "
                             f"Tensor has shape {self.value.shape}; make a new Tensor for a "
                             "new shape")
        self.value = arr.astype(self.value.dtype) if arr.dtype.kind in "biu" else arr
        self._mark_written()

    def _mark_written(self) -> None:
        """Record that the value changed in place: a backward pass through a graph recorded
        before now refuses to use it (optimizers call this after each step). A computed
        Tensor's own rules would read the changed values too, so they refuse from now on."""
        global _clock
        _clock += 1
        self._stamp = _clock
        if self.prim is not None and not isinstance(self.prim, _Changed):
            self.prim = _Changed(self.prim)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    @property
    def requires_grad(self) -> bool:
        return self.needs

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if self.prim is not None:
            raise ValueError("requires_grad can only be set on a leaf Tensor "
                             "(one not computed from others); use .detach() first")
        if flag and self.value.dtype.kind in "biu":
            self.value = self.value.astype(np.float64)
        self.needs = bool(flag)

    @property
    def T(self) -> Tensor:
        return self.transpose()

    @property
    def real(self) -> Tensor:
        """The real part, as ``cr.real`` (the data itself for real data)."""
        return Tensor._unary(REAL, self)

    @property
    def imag(self) -> Tensor:
        """The imaginary part, as ``cr.imag`` (zeros for real data)."""
        return Tensor._unary(IMAG, self)

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (refused while the Tensor requires grad, as in torch)."""
        if self.needs:
            raise TypeError("numpy(): this Tensor requires grad; use .detach().numpy() "
                            "(the result would not be differentiable)")
        return self.value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self.needs:
            if transform_level():
                dropped(self, "numpy conversion")
            raise TypeError("converting a Tensor that requires grad to an ndarray would drop "
                            "the graph; use .detach() first, or a cr./numpy function with "
                            "a rule")
        return self.value if dtype is None else self.value.astype(dtype)

    def item(self) -> float:
        """The single element as a Python number (size-1 Tensors only): an explicit read,
        so it drops the gradient quietly, except inside a transform, where a Tensor being
        differentiated raises GradientDroppedError."""
        if self.needs and transform_level():
            dropped(self, ".item()")
        if self.value.size != 1:
            raise ValueError(f"item(): only a one-element Tensor converts to a number, "
                             f"this one has shape {self.shape}")
        return self.value.item()

    def detach(self) -> Tensor:
        """A new leaf sharing this data, cut from the graph."""
        return Tensor._node(self.value, (), None, False)

    def __float__(self) -> float:
        if self.needs:
            dropped(self, "float()")
        return float(self.value.item() if self.value.size == 1 else self.item())

    def __int__(self) -> int:
        if self.needs:
            dropped(self, "int()")
        return int(self.value.item() if self.value.size == 1 else self.item())

    def __bool__(self) -> bool:
        if self.value.size != 1:
            raise ValueError(f"the truth value of a Tensor of shape {self.shape} is "
                             "ambiguous; use .any() or .all() on .data")
        return bool(self.value)

    def __len__(self) -> int:
        if self.value.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return len(self.value)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        body = np.array2string(self.value, separator=", ", precision=6, threshold=50,
                               prefix="Tensor(")
        extra = ""
        if self.prim is not None:
            extra += f", op={self.prim.name}"
        elif self.needs:
            extra += ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        if self.value.dtype != np.float64:
            extra += f", dtype={self.value.dtype}"
        return f"Tensor({body}{extra})"

    # -- operators ----------------------------------------------------------------------
    def __add__(self, other):
        return _binary(ADD, self, other)

    def __radd__(self, other):
        return _binary(ADD, other, self)

    def __sub__(self, other):
        return _binary(SUB, self, other)

    def __rsub__(self, other):
        return _binary(SUB, other, self)

    def __mul__(self, other):
        return _binary(MUL, self, other)

    def __rmul__(self, other):
        return _binary(MUL, other, self)

    def __truediv__(self, other):
        return _binary(DIV, self, other)

    def __rtruediv__(self, other):
        return _binary(DIV, other, self)

    def __pow__(self, other):
        return _binary(POW, self, other)

    def __rpow__(self, other):
        return _binary(POW, other, self)

    def __mod__(self, other):
        return _binary(REMAINDER, self, other)

    def __rmod__(self, other):
        return _binary(REMAINDER, other, self)

    def __floordiv__(self, other):
        return _binary(FLOOR_DIVIDE, self, other)

    def __rfloordiv__(self, other):
        return _binary(FLOOR_DIVIDE, other, self)

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(other, self)

    def __neg__(self):
        return Tensor._unary(NEG, self)

    def __pos__(self):
        return self

    def __getitem__(self, index: Any) -> Tensor:
        return Tensor._apply(GETITEM, (self, _clean_index(index)))

    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value``, in place, as torch: while recording, where ``x`` or
        ``value`` is in a graph, the write is recorded (``index_put``): ``x`` becomes the
        result of writing ``value`` into its previous values, so gradients reach both. A
        leaf that requires grad is refused while recording (write it under no_grad)."""
        idx = _clean_index(index)
        hook = recording()
        value_needs = isinstance(value, Node) and value.needs
        if hook and self.needs and self.prim is None:
            raise InPlaceError(
                "x[index] = value: a leaf Variable that requires grad is being used in an "
                "in-place operation; write it inside `with cr.no_grad():`, or build a new "
                "Tensor (cr.where, cr.concatenate)")
        if not hook or not (self.needs or value_needs):
            self._write(idx, value.value if isinstance(value, Node) else value)
            self._mark_written()
            return
        if isinstance(value, Node) and not isinstance(value, Tensor):
            raise TypeError(f"x[index] = value: cannot write a {type(value).__name__} "
                            "into a Tensor")
        if value_needs and (self.value.dtype.kind not in "fc" or (
                value.value.dtype.kind == "c" and self.value.dtype.kind != "c")):
            raise TypeError(f"x[index] = value: a Tensor of dtype {self.dtype} cannot hold "
                            f"a value of dtype {value.dtype} that requires grad; make it "
                            "a Tensor of the value's dtype")
        previous = self.value.copy()
        self._write(idx, value.value if isinstance(value, Node) else value)
        old = Tensor._node(previous, (), self.prim, self.needs)
        old._p, old._q, old._stamp = self._p, self._q, self._stamp
        if value is self:               # x[...] = x: the previous values
            value = old
        elif value_needs:
            _redirect(value, self, old)
        else:
            value = value.value if isinstance(value, Node) else value
        self._mark_written()            # ticks the clock (cr.compile refuses the write)
        self._p, self._q = (old, value, idx), ONE_PARENT
        self.prim, self.needs = INDEX_PUT, True
        if hook is not True:
            hook(self)

    def _write(self, idx: Any, value: Any) -> None:
        try:
            self.value[idx] = value
        except (ValueError, TypeError) as exc:
            raise ValueError(f"x[index] = value: cannot write a value of shape "
                             f"{np.shape(value)} into a Tensor of shape {self.shape} at "
                             f"{idx!r}: {exc}") from None

    # -- in-place operators: update this Tensor's array, as torch does -------------------
    def _inplace(self, prim: Primitive, ufunc: Any, symbol: str, other: Any) -> Tensor:
        """``self (symbol)= other``: in place when nothing is being recorded for ``self``
        (under ``no_grad``, or a Tensor that requires no grad); refused while recording on
        a Tensor that requires grad, and on a Tensor computed in a graph. Where ``other``
        requires grad while recording, the result is a new recorded Tensor (rebinding)."""
        if self.prim is not None:
            raise InPlaceError(f"{symbol}: in-place update of a Tensor computed by "
                               f"{self.prim.name} in a graph; write y = y {symbol[0]} ... "
                               "for a new Tensor")
        if self.needs and recording():
            raise InPlaceError(
                f"{symbol}: in-place update of a leaf Tensor that requires grad while "
                f"recording; do it inside `with cr.no_grad():` (the parameter update "
                f"idiom), or write w = w {symbol[0]} ... for a new Tensor")
        if isinstance(other, Node) and other.needs and recording():
            return _binary(prim, self, other)
        ov = other.value if isinstance(other, Node) else other
        try:
            ufunc(self.value, ov, out=self.value, casting="same_kind")
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{symbol}: cannot update a Tensor of shape {self.shape} and "
                             f"dtype {self.dtype} in place with "
                             f"{np.shape(ov)}: {exc}") from None
        self._mark_written()
        return self

    def __iadd__(self, other):
        return self._inplace(ADD, np.add, "+=", other)

    def __isub__(self, other):
        return self._inplace(SUB, np.subtract, "-=", other)

    def __imul__(self, other):
        return self._inplace(MUL, np.multiply, "*=", other)

    def __itruediv__(self, other):
        return self._inplace(DIV, np.true_divide, "/=", other)

    # comparisons give boolean Tensors: they carry no gradient
    def __lt__(self, other):
        return _bool(self.value < _raw(other))

    def __le__(self, other):
        return _bool(self.value <= _raw(other))

    def __gt__(self, other):
        return _bool(self.value > _raw(other))

    def __ge__(self, other):
        return _bool(self.value >= _raw(other))

    def __eq__(self, other):
        return _bool(self.value == _raw(other))

    def __ne__(self, other):
        return _bool(self.value != _raw(other))

    def __invert__(self):
        return _bool(~self.value)

    def __and__(self, other):
        return _bool(self.value & _raw(other))

    def __or__(self, other):
        return _bool(self.value | _raw(other))

    __hash__ = Node.__hash__

    # -- backward -----------------------------------------------------------------------
    def backward_seed(self, seed: Any = None) -> np.ndarray:
        """Ones of this Tensor's shape and dtype, or ``seed`` (a Tensor, an array or
        anything np.asarray takes) in its dtype; ShapeError if ``seed`` has another
        shape, TypeError without ``seed`` for a complex Tensor (no gradient of its own)."""
        if seed is None:
            if self.value.dtype.kind == "c":
                raise TypeError("backward(): the output is complex; a gradient is defined "
                                "for a real number (take cr.abs, cr.real or cr.imag of it "
                                "first), or pass a cotangent of the output's shape")
            return np.ones(self.value.shape, self.value.dtype)
        arr = seed.value if isinstance(seed, Node) else np.asarray(seed, dtype=self.dtype)
        if arr.shape != self.shape:
            raise ShapeError(f"backward(): grad has shape {arr.shape} but the output "
                             f"has shape {self.shape}")
        return arr

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None, *, grad: Any = None) -> None:
        """Reverse pass from this Tensor; gradients add into ``.grad`` of every node reached.

        PyTorch's ``backward(gradient=None, retain_graph=None, create_graph=False)``:
        ``gradient`` (alias ``grad``; same shape as this Tensor) may be omitted only for a
        one-element Tensor. With ``create_graph`` the gradients are Tensors recorded in the
        graph, so they can be differentiated again. chainrule never frees a graph, so
        ``retain_graph`` is accepted and has no effect (a graph can always be walked again).
        ``inputs=`` is refused: use ``cr.autograd.grad``.
        """
        if inputs is not None:
            raise TypeError("backward(inputs=...) is not supported; use "
                            "cr.autograd.grad(outputs, inputs) for the gradients of some "
                            "inputs")
        if grad is not None:
            if gradient is not None:
                raise TypeError("backward(): give gradient= or grad=, not both")
            gradient = grad
        if not self.needs:
            raise RuntimeError("backward(): this Tensor does not require grad: no input "
                               "was created with requires_grad=True (or it was computed "
                               "under no_grad)")
        value = self.value
        seed: Any
        if gradient is not None:
            seed = self.backward_seed(gradient)
        elif value.dtype.kind == "c":
            raise TypeError("backward(): the output is complex; a gradient is defined for "
                            "a real number (take cr.abs, cr.real or cr.imag of it first), "
                            "or pass gradient= (a cotangent of the output's shape)")
        elif value.size != 1:
            raise ShapeError(f"backward(): the output has shape {self.shape}; pass "
                             "grad= (an array of that shape) for a non-scalar output")
        elif create_graph:
            seed = np.ones(value.shape, value.dtype)
        else:
            seed = _ONES.get((value.shape, value.dtype))
            if seed is None:
                seed = _ONES[(value.shape, value.dtype)] = _read_only_ones(value)
        if create_graph:
            backprop(self, Tensor._node(seed, (), None, False), graph_mode())
        else:
            backprop(self, seed, ARRAY_MODE)


_ONES: dict[tuple[tuple[int, ...], np.dtype], np.ndarray] = {}
"""The seeds of one-element outputs by shape and dtype: read-only, so shared (a node's
gradient is always a copy of its seed: see ``_own_array``)."""


def _read_only_ones(value: np.ndarray) -> np.ndarray:
    ones = np.ones(value.shape, value.dtype)
    ones.flags.writeable = False
    return ones


def _recorded(out: np.ndarray, parents: tuple, prim: Primitive) -> Tensor:
    """A new op node, and the recording hook if one is set."""
    node = _alloc(Tensor)       # Tensor._node written out: one call fewer on every op
    node.value = out
    _set_grad_slot(node, None)
    node._p = parents
    node._q = ONE_PARENT
    node.prim = prim
    node.needs = True
    node.name = None
    node._ct = None
    node._pending = 0
    node._stamp = _clock
    hook = recording()
    if hook is not True:
        hook(node)
    return node


def _redirect(value: Node, target: Node, old: Node) -> None:
    """Before ``target[index] = value`` makes ``target`` the write's result: the ops in
    ``value``'s graph that read ``target`` read its previous values, so they are pointed at
    ``old`` (the previous state) instead, or the graph would loop back into ``target``. An
    op that read ``target`` before an earlier write is refused: those values are gone."""
    stack = [value]
    seen = {id(value)}
    while stack:
        node = stack.pop()
        parents = node.parents
        if any(p is target for p in parents):
            if node._stamp < target._stamp:
                raise RuntimeError(
                    f"x[index] = value: the value was computed (by {node.prim.name}) from "
                    "this Tensor before an earlier write into it, so the graph no longer "
                    "holds the values it read; compute it again after that write")
            # a Tensor op keeps its parents as a tuple, or its one parent unboxed (Node)
            node._p = (tuple(old if p is target else p for p in parents)
                       if node._p.__class__ is tuple else old)
        for p in parents:
            if (isinstance(p, Node) and p.prim is not None and p is not target
                    and id(p) not in seen):
                seen.add(id(p))
                stack.append(p)


def _bool(arr: Any) -> Tensor:
    return Tensor._node(np.asarray(arr), (), None, False)


def _raw(x: Any) -> Any:
    return x.value if isinstance(x, Node) else x


def _clean_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_clean_index(i) for i in index)
    if isinstance(index, Node):
        index = index.value
    if isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind == "f":
        raise IndexError("index arrays must be integers or booleans, got float")
    return index


_NUMPY_UFUNC = np.ndarray.__array_ufunc__


def _defers(kind: type) -> bool:
    """Whether an operand of type ``kind`` takes numpy operations itself (its own
    ``__array_ufunc__``, or None to opt out, as an xarray DataArray or a pandas Series):
    then a Tensor operator returns NotImplemented and Python asks the operand."""
    hook = getattr(kind, "__array_ufunc__", _NUMPY_UFUNC)
    return hook is not _NUMPY_UFUNC


def _binary(prim: Primitive, a: Any, b: Any, elementwise: bool = True) -> Tensor:
    """``a (op) b`` where one side is a Tensor: the hot path of every arithmetic operator.
    Shapes that do not fit raise ShapeError: ``elementwise`` ops must broadcast, matmul
    follows numpy's matmul rules."""
    ta, tb = type(a), type(b)
    if ta is Tensor:
        av = a.value
        needs = a.needs
    elif isinstance(a, Node):
        return Tensor._apply(prim, (a, b))
    else:
        if ta is list or ta is tuple:
            a = as_array(a)
        elif ta is not float and ta is not int:
            if _defers(ta):
                return NotImplemented
            operand(prim.name, a)
        av = a
        needs = False
    if tb is Tensor:
        bv = b.value
        needs = needs or b.needs
    elif isinstance(b, Node):
        return Tensor._apply(prim, (a, b))
    else:
        if tb is list or tb is tuple:
            b = as_array(b)
        elif tb is not float and tb is not int:
            if _defers(tb):
                return NotImplemented
            operand(prim.name, b)
        bv = b
    try:
        out = prim.array_fn(av, bv)
    except ValueError as exc:
        raise _operator_error(prim, av, bv, exc, elementwise) from None
    if type(out) is not _ndarray:
        out = np.asarray(out)
    if _complex_seen or out.dtype.kind == "c":
        _check_complex(prim, (a, b), out)
    if needs and recording():
        return _recorded(out, (a, b), prim)
    return Tensor._node(out, (), None, False)


def _operator_error(prim: Primitive, av: Any, bv: Any, exc: ValueError,
                    elementwise: bool) -> Exception:
    """The error for operands numpy refused (it checks shapes before it allocates): which
    shapes do not fit and why, else numpy's reason under the op's name."""
    try:
        if elementwise:
            check_broadcast(prim.name, np.shape(av), np.shape(bv))
        else:
            check_matmul(np.shape(av), np.shape(bv))
    except ShapeError as err:
        return err
    return shape_error(prim, (av, bv), exc)


def _matmul(a: Any, b: Any) -> Tensor:
    return _binary(MATMUL, a, b, elementwise=False)


GRAPH_MODE = Mode(TENSOR_MATH, graph=True, sum_to=TENSOR_MATH.sum_to_node, clock=_now)
"""The mode whose rules record Tensors: the gradient is itself differentiable."""


def graph_mode() -> Mode:
    """The mode of a differentiable backward pass (``create_graph``)."""
    return GRAPH_MODE


def tensor(data: Any, requires_grad: bool = False, name: str | None = None,
           dtype: Any = None) -> Tensor:
    """A new leaf Tensor holding a copy of ``data`` (float64 unless a float dtype is given
    or ``data`` is already float32). Given a Tensor, as ``torch.tensor``: a copy cut from
    the graph, with a UserWarning; inside ``cr.grad``/``jacobian``/``hessian`` a Tensor
    being differentiated raises GradientDroppedError instead (its gradient would be lost)."""
    out = Tensor(data, requires_grad=requires_grad, name=name, dtype=dtype)
    if isinstance(data, Node):
        if data.needs and transform_level():
            raise GradientDroppedError(
                "cr.tensor() of a Tensor being differentiated inside "
                "cr.grad/jacobian/hessian makes a copy cut from the graph, so its gradient "
                "would be lost; use the Tensor itself, or x.clone() for a copy that keeps "
                "the gradient")
        warnings.warn(
            "cr.tensor() of a Tensor copies its data cut from the graph; to copy a Tensor "
            "use x.clone().detach(), or x.clone().detach().requires_grad_(True), as in "
            "PyTorch (x.clone() keeps the gradient)", UserWarning, stacklevel=2)
    return out

