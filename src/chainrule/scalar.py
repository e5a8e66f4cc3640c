"""The Scalar engine: one Python float per graph node (scalar-based backpropagation).

Arithmetic runs on Python floats with :mod:`math`; where Python would raise (division by
zero, log of a negative, overflow) the op falls back to numpy's float64 semantics, so
``1/0`` is ``inf`` and ``log(-1)`` is ``nan`` with numpy's warning, as for Tensors.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from .conversions import dropped
from .core import ONE_PARENT, Mode, Node, backprop, walk
from .core.backward import DIFFERENCE, PRODUCT, QUOTIENT, SUM
from .core.forward import push_forward
from .core.recording import recording
from .math_namespaces import ARRAY, FLOAT
from .primitive import Primitive, float_forward
from .rules.elementwise import ADD, DIV, MUL, NEG, POW, SUB
from .rules.special_elementwise import FLOOR_DIVIDE, REMAINDER

_FALLBACK_ERRORS = (ZeroDivisionError, ValueError, OverflowError)
_float_pow: Any = POW.float_fn


def _float_vjp_fallback(vjp, g, ans, args) -> float:
    f64 = [np.float64(a) if isinstance(a, (int, float)) else a for a in args]
    return float(vjp(ARRAY, np.float64(g), np.float64(ans), *f64))


_clock = 0
"""The Scalars' write clock: advanced by every ``.data`` assignment (see ``Node._stamp``)."""


def _now() -> int:
    return _clock


FLOAT_MODE = Mode(FLOAT, graph=False, sum_to=None, fallback=_float_vjp_fallback, floats=True,
                  arithmetic={ADD: SUM, SUB: DIFFERENCE, MUL: PRODUCT, DIV: QUOTIENT},
                  clock=_now)


_NEEDS_SLOT: Any = Node.__dict__["needs"]


def _number(x, op: str) -> float:
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    raise TypeError(f"{op}: a Scalar combines with Scalars, ints and floats, "
                    f"not {type(x).__name__}")


def _new(value: float, a: Any, b: Any, prim: Primitive) -> Scalar:
    """A new op node with inputs ``a`` and ``b`` (``b`` is ONE_PARENT for a one-input op):
    the hot path of every Scalar op, one frame, plain slot stores, no tuple."""
    node = _alloc(Scalar)
    node.value = value
    node.grad = None
    node.name = None
    node._ct = None
    node._pending = 0
    node._stamp = _clock
    record = recording()
    if record:
        node._p = a
        node._q = b
        node.prim = prim
        if record is not True:
            record(node)
    else:
        node._p = ()
        node._q = ONE_PARENT
        node.prim = None
    return node


_MICROGRAD_OPS = {"add": "+", "mul": "*", "sub": "-", "div": "/", "neg": "-", "pow": "**",
                  "relu": "ReLU"}


class Scalar(Node):
    """A differentiable Python float.

    ``value`` is the number, ``grad`` the gradient accumulated by ``backward()`` (None
    until a backward pass reaches it, as in PyTorch: an unreached input never looks like a
    true 0), ``name`` an optional label shown in explanations.
    ``tangent`` makes it a dual number: ``Scalar(2.0, tangent=1.0)`` seeds forward mode, and
    every Scalar computed from it has a ``.tangent``, its derivative along that seed.
    Operators ``+ - * / **`` and unary ``-`` work with Scalars, ints and floats on either
    side; ``cr.sin`` etc. accept Scalars.
    """

    # No slot of its own: a leaf's tangent lives in _TANGENTS, so that every node is one
    # pymalloc block smaller (112 bytes, not 128) for memory and the garbage collector.
    __slots__ = ()
    empty_grad = None
    # Every Scalar takes part in differentiation; as a class attribute this shadows the
    # slot, so creating a node costs one store less.
    needs = True
    backward_mode = FLOAT_MODE
    # The write stamp (Node._stamp) of each Scalar lives in the memory of the ``needs``
    # slot, which the class attribute above leaves unused: no node grows for it.
    _stamp = _NEEDS_SLOT

    def __init__(self, value: float, name: str | None = None,
                 tangent: float | None = None, *, label: str | None = None) -> None:
        if isinstance(value, Node):
            raise TypeError("Scalar(value): value must be a number, not a graph node")
        if label is not None:
            if name is not None and name != label:
                raise ValueError(f"Scalar: name={name!r} and label={label!r} differ; "
                                 "label is another spelling of name, give one of them")
            name = label
        self.value = _number(value, "Scalar")
        self._stamp = _clock
        self.grad = None
        self._p = ()
        self._q = ONE_PARENT
        self.prim = None
        self.name = name
        self._ct = None
        self._pending = 0
        if tangent is not None:
            _TANGENTS[self] = _number(tangent, "Scalar tangent")

    @property
    def tangent(self) -> float:
        """The derivative of this value along the seeded tangents (forward mode): a leaf's
        own ``tangent`` (0.0 if none was given); for a computed Scalar, the sum over the
        graph of local derivative x input tangent, pushed forward from the seeded leaves."""
        if self.prim is None:
            return _TANGENTS.get(self, 0.0)
        order = walk(self)
        seeds = {id(n): _TANGENTS[n] for n in order if n.prim is None and n in _TANGENTS}
        return float(push_forward(order, seeds, FLOAT_MODE).get(id(self), 0.0))

    @tangent.setter
    def tangent(self, value: float) -> None:
        if self.prim is not None:
            raise AttributeError("only a leaf Scalar's tangent can be set; a computed "
                                 "Scalar's tangent follows from its inputs'")
        _TANGENTS[self] = _number(value, "Scalar tangent")

    @property
    def data(self) -> float:
        """The number (``value``), as micrograd's ``Value.data`` and PyTorch's ``.data``.
        Reading it is an explicit read of a plain float: no gradient flows through what
        you compute from it (and no warning is given). Assigning to it on a leaf Scalar
        (``p.data -= lr * p.grad``) replaces the value in place; a backward pass through
        a graph recorded before the assignment then raises RuntimeError naming the op,
        since its gradient would use the new value."""
        return self.value

    @data.setter
    def data(self, new: float) -> None:
        global _clock
        if self.prim is not None:
            raise AttributeError(
                f"only a leaf Scalar's data can be set; this Scalar was computed by "
                f"{self.prim.name} and its value follows from its inputs (set the inputs' "
                "data, or make a new leaf with cr.Scalar(...))")
        value = _number(new, "Scalar.data")
        _clock += 1
        self.value = value
        self._stamp = _clock

    @property
    def label(self) -> str | None:
        """Another spelling of ``name`` (micrograd's lecture calls it ``label``)."""
        return self.name

    @label.setter
    def label(self, text: str | None) -> None:
        self.name = text

    @property
    def _prev(self) -> set[Node]:
        """The Scalars this one was computed from, as a set: micrograd's ``Value._prev``,
        which its lecture's ``draw_dot`` reads (``parents`` keeps their order)."""
        return {p for p in self.parents if isinstance(p, Node)}

    @property
    def _op(self) -> str:
        """The op that computed this Scalar, as micrograd's ``Value._op`` spells it
        (``'+'``, ``'*'``, ``'tanh'``...; ``''`` for a leaf)."""
        if self.prim is None:
            return ""
        name = self.prim.name
        if name == "pow" and not isinstance(self.parents[1], Node):
            return f"**{self.parents[1]}"       # micrograd's label for a constant power
        return _MICROGRAD_OPS.get(name, name)

    @classmethod
    def _node(cls, value: float, parents: tuple, prim: Primitive) -> Scalar:
        return _new(value, parents, ONE_PARENT, prim)

    @classmethod
    def _apply(cls, prim: Primitive, args: tuple) -> Scalar:
        vals = []
        for a in args:
            if isinstance(a, Node):
                if type(a) is not Scalar:
                    raise TypeError(f"{prim.name}: cannot mix a Scalar and a "
                                    f"{type(a).__name__} in one op")
                vals.append(a.value)
            else:
                vals.append(a)
        if prim.float_fn is None:
            raise TypeError(f"{prim.name} is defined for Tensors only; "
                            f"use cr.tensor(...) for vector and matrix work")
        for i in range(min(prim.n_inputs, len(vals))):
            vals[i] = _number(vals[i], prim.name)    # np.float64 (from numpy) -> float
        value = float_forward(prim, vals)
        if len(args) == 1:
            return _new(value, args[0], ONE_PARENT, prim)
        if len(args) == 2:
            return _new(value, args[0], args[1], prim)
        return _new(value, tuple(args), ONE_PARENT, prim)

    # -- arithmetic -------------------------------------------------------------------
    def __add__(self, other):
        t = type(other)
        if t is Scalar:
            return _new(self.value + other.value, self, other, ADD)
        if t is float or t is int:
            return _new(self.value + other, self, other, ADD)
        return _new(self.value + _number(other, "add"), self, other, ADD)

    def __radd__(self, other):
        t = type(other)
        if t is float or t is int:
            return _new(other + self.value, other, self, ADD)
        return _new(_number(other, "add") + self.value, other, self, ADD)

    def __sub__(self, other):
        t = type(other)
        if t is Scalar:
            return _new(self.value - other.value, self, other, SUB)
        if t is float or t is int:
            return _new(self.value - other, self, other, SUB)
        return _new(self.value - _number(other, "sub"), self, other, SUB)

    def __rsub__(self, other):
        t = type(other)
        if t is float or t is int:
            return _new(other - self.value, other, self, SUB)
        return _new(_number(other, "sub") - self.value, other, self, SUB)

    def __mul__(self, other):
        t = type(other)
        if t is Scalar:
            return _new(self.value * other.value, self, other, MUL)
        if t is float or t is int:
            return _new(self.value * other, self, other, MUL)
        return _new(self.value * _number(other, "mul"), self, other, MUL)

    def __rmul__(self, other):
        t = type(other)
        if t is float or t is int:
            return _new(other * self.value, other, self, MUL)
        return _new(_number(other, "mul") * self.value, other, self, MUL)

    def __truediv__(self, other):
        b = other.value if type(other) is Scalar else _number(other, "div")
        try:
            return _new(self.value / b, self, other, DIV)
        except ZeroDivisionError:
            return _new(float_forward(DIV, (self.value, b)), self, other, DIV)

    def __rtruediv__(self, other):
        a = other if type(other) is float or type(other) is int else _number(other, "div")
        try:
            return _new(a / self.value, other, self, DIV)
        except ZeroDivisionError:
            return _new(float_forward(DIV, (a, self.value)), other, self, DIV)

    def __pow__(self, other):
        if type(other) is Scalar:
            return Scalar._apply(POW, (self, other))
        e = other if type(other) is float or type(other) is int else _number(other, "pow")
        try:
            value = _float_pow(self.value, e)
        except _FALLBACK_ERRORS:
            value = float_forward(POW, (self.value, e))
        return _new(value, self, other, POW)

    def __rpow__(self, other):
        return Scalar._apply(POW, (other, self))

    def __mod__(self, other):
        return Scalar._apply(REMAINDER, (self, other))

    def __rmod__(self, other):
        return Scalar._apply(REMAINDER, (other, self))

    def __floordiv__(self, other):
        return Scalar._apply(FLOOR_DIVIDE, (self, other))

    def __rfloordiv__(self, other):
        return Scalar._apply(FLOOR_DIVIDE, (other, self))

    def __neg__(self):
        return _new(-self.value, self, ONE_PARENT, NEG)

    def __matmul__(self, other):
        if isinstance(other, Node):
            raise TypeError(f"matmul: cannot mix a Scalar and a {type(other).__name__} in "
                            "one op; a Scalar is one number: for vector and matrix work "
                            "make it a Tensor with cr.tensor(...)")
        return NotImplemented           # Python's own error: a number has no matmul

    __rmatmul__ = __matmul__

    def __pos__(self):
        return self

    # -- comparisons compare values (no gradient) ---------------------------------------
    def __lt__(self, other):
        return self.value < _value(other)

    def __le__(self, other):
        return self.value <= _value(other)

    def __gt__(self, other):
        return self.value > _value(other)

    def __ge__(self, other):
        return self.value >= _value(other)

    # == and bool() read the value too, as float's and a 0-d torch tensor's do
    # (``x == 0`` was identity, False even at 0; ``if x:`` was always true)
    def __eq__(self, other):
        if not isinstance(other, (Node, int, float, np.number, np.ndarray)):
            return NotImplemented
        return self.value == _value(other)

    def __ne__(self, other):
        if not isinstance(other, (Node, int, float, np.number, np.ndarray)):
            return NotImplemented
        return self.value != _value(other)

    def __bool__(self) -> bool:
        return bool(self.value)

    __hash__ = Node.__hash__

    def __float__(self) -> float:
        dropped(self, "float()")
        return self.value

    def __int__(self) -> int:
        dropped(self, "int()")
        return int(self.value)

    def __format__(self, spec: str) -> str:
        """``f"{x:.3f}"`` formats the value (an explicit read, as ``.data``)."""
        return format(self.value, spec) if spec else str(self)

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        op = f", op={self.prim.name}" if self.prim is not None else ""
        return f"Scalar({self.value!r}, grad={self.grad!r}{label}{op})"

    def __reduce__(self) -> tuple:
        """A leaf copies and pickles as a new leaf with the same value, name, gradient
        and tangent (``copy.deepcopy(parameters)`` keeps a snapshot). A computed Scalar
        refuses: its graph is not copied."""
        if self.prim is not None:
            raise TypeError(f"cannot copy a Scalar computed by {self.prim.name} (its graph "
                            "is not copied); copy its number into a new leaf: "
                            "cr.Scalar(y.data)")
        return (_leaf, (self.value, self.name, self.grad, _TANGENTS.get(self)))

    # -- backward ---------------------------------------------------------------------
    def backward(self) -> None:
        """Run the reverse pass from this node with seed 1.0; gradients add into ``.grad``
        of every node reached (a second call doubles them)."""
        backprop(self, 1.0, FLOAT_MODE)

    def backward_seed(self, seed: Any = None) -> float:
        """1.0, or ``seed`` as a float."""
        return 1.0 if seed is None else float(seed.value if isinstance(seed, Node) else seed)


_TANGENTS: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
"""The tangent of each leaf Scalar given one (forward mode), kept beside the graph."""


def _leaf(value: float, name: str | None, grad: Any, tangent: float | None) -> Scalar:
    x = Scalar(value, name, tangent)
    x.grad = grad
    return x


def _value(x):
    return x.value if isinstance(x, Node) else x


_alloc = object.__new__
