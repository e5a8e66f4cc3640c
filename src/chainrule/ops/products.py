"""numpy's products on Tensors, all made of the ``einsum`` primitive
(:mod:`chainrule.rules.products`): ``einsum`` itself (``...`` and implicit output),
``tensordot`` (an int or a pair of axis lists), ``inner``, ``outer``, ``vdot``, ``kron``,
``cross``; ``dot`` of any ranks is in :mod:`chainrule.ops.functions`."""

from __future__ import annotations

from collections.abc import Sequence
from string import ascii_letters, ascii_lowercase, ascii_uppercase
from typing import Any

import numpy as np

from ..primitive import apply
from ..rules import products
from .functions import (
    FUNCTIONS,
    Array,
    _ndim,
    _raw,
    _shape_of,
    composite,
    custom,
    refuse_out,
)


def _np_einsum(einsum: Any, *operands: Any, out: Any = None, dtype: Any = None,
               order: str = "K", casting: str = "safe", optimize: Any = False) -> Any:
    refuse_out("einsum", out, dtype)
    if casting != "safe":
        raise TypeError("np.einsum(..., casting=...) is not supported on Tensors")
    return einsum(*operands)


@custom(products.EINSUM, numpy=_np_einsum)
def einsum(subscripts: Any, *operands: Array) -> Array:
    """Einstein summation as ``np.einsum``: ``'ij,jk->ik'``, ``'...ij,...jk'``, ``'ii'``
    (implicit output: the letters used once, sorted), or numpy's interleaved form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` (axis labels 0-51 and ``...``).
    Raises ValueError when the subscripts do not fit the operands."""
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved((subscripts, *operands))
    spec = products.normalize(subscripts, [_shape_of(x) for x in operands])
    return apply(products.EINSUM, *operands, spec)


_LABELS = ascii_uppercase + ascii_lowercase


def _sublist(labels: Any) -> str:
    """One axis-label list of the interleaved form as subscript letters (0-51 as numpy,
    ``...`` for Ellipsis)."""
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise TypeError(f"einsum: in the interleaved form each operand is followed by a "
                        f"list of axis labels; got {labels!r}")
    out = []
    for k in labels:       # numpy's own mapping: 0-25 are A-Z, 26-51 a-z
        if k is Ellipsis:
            out.append("...")
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool) \
                and 0 <= k < len(ascii_letters):
            out.append(_LABELS[int(k)])
        else:
            raise ValueError(f"einsum: axis label {k!r} in the interleaved form must be an "
                             f"int in [0, {len(ascii_letters)}) or ...")
    return "".join(out)


def _interleaved(args: tuple) -> tuple[str, tuple]:
    """``(a, [0, 1], b, [1, 2], [0, 2])`` -> ``('ab,bc->ac', (a, b))``."""
    operands, labels = args[0::2], args[1::2]
    if len(args) % 2:                      # an output label list closes the call
        out: str | None = _sublist(operands[-1])
        operands = operands[:-1]
    else:
        out = None
    if not operands:
        raise TypeError("einsum: give subscripts ('ij,jk->ik') or operands with axis-label "
                        "lists (einsum(a, [0, 1], b, [1, 2]))")
    spec = ",".join(_sublist(ls) for ls in labels)
    return (spec if out is None else f"{spec}->{out}"), tuple(operands)


def _letters(n: int, skip: int = 0) -> str:
    return ascii_letters[skip:skip + n]


@composite(numpy=(np.tensordot,), doc="np.tensordot: contract chosen axes")
def tensordot(a: Array, b: Array, axes: int | Sequence[Any] = 2) -> Array:
    """Sum of products over the last ``axes`` axes of ``a`` and the first of ``b`` (an
    int), or over the axes paired in ``axes = (axes_a, axes_b)``."""
    na, nb = _ndim(a), _ndim(b)
    if isinstance(axes, (int, np.integer)):
        pair = (list(range(na - int(axes), na)), list(range(int(axes))))
    else:
        first, second = axes
        pair = ([first] if isinstance(first, int) else list(first),
                [second] if isinstance(second, int) else list(second))
    if len(pair[0]) != len(pair[1]):
        raise ValueError("tensordot: the two axis lists have different lengths")
    sa = list(_letters(na))
    sb = list(_letters(nb, na))
    for i, j in zip(*pair):
        sb[j % nb] = sa[i % na]
    contracted = {sa[i % na] for i in pair[0]}
    out = [c for c in sa if c not in contracted] + [c for c in sb if c not in contracted]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)


@composite(numpy=(np.inner,), doc="np.inner: sum over the last axes")
def inner(a: Array, b: Array) -> Array:
    """Sum of products over the last axis of both (a product if either is 0-d); the result
    has the shape ``a.shape[:-1] + b.shape[:-1]``."""
    if _ndim(a) == 0 or _ndim(b) == 0:
        return a * b
    return tensordot(a, b, ([-1], [-1]))


@composite(numpy=(np.outer,), doc="np.outer: all products of two flattened arrays")
def outer(a: Array, b: Array, out: Any = None) -> Array:
    """The matrix of products ``a.ravel()[i] * b.ravel()[j]``."""
    refuse_out("outer", out)
    return einsum("i,j->ij", FUNCTIONS["reshape"](a, -1), FUNCTIONS["reshape"](b, -1))


@composite(numpy=(np.vdot,), doc="np.vdot: dot product of two flattened arrays")
def vdot(a: Array, b: Array) -> Array:
    """``sum(conj(a).ravel() * b.ravel())`` (same number of elements, else ValueError);
    ``a`` is conjugated when complex, as numpy does."""
    if np.iscomplexobj(_raw(a)):
        a = FUNCTIONS["conj"](a)
    return einsum("i,i->", FUNCTIONS["reshape"](a, -1), FUNCTIONS["reshape"](b, -1))


@composite(numpy=(np.kron,), doc="np.kron: Kronecker product")
def kron(a: Array, b: Array) -> Array:
    """The Kronecker product: blocks ``a[i, j] * b``; inputs of different ranks get leading
    axes of length 1 as in numpy."""
    sa, sb = _shape_of(a), _shape_of(b)
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    la, lb = _letters(nd), _letters(nd, nd)
    pairs = einsum(f"{la},{lb}->{''.join(x + y for x, y in zip(la, lb))}",
                   FUNCTIONS["reshape"](a, sa), FUNCTIONS["reshape"](b, sb))
    return FUNCTIONS["reshape"](pairs, tuple(x * y for x, y in zip(sa, sb)))


@composite(numpy=(np.cross,), doc="np.cross: cross product of 3-vectors")
def cross(a: Array, b: Array, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> Array:
    """The cross product of 3-component vectors along ``axisa``/``axisb`` (``axis`` sets
    all three), broadcast over the other axes, the result's components along ``axisc``.
    Raises ValueError for vectors of another length (numpy's 2-vectors are deprecated)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a = FUNCTIONS["moveaxis"](a, axisa, -1)
    b = FUNCTIONS["moveaxis"](b, axisb, -1)
    if _shape_of(a)[-1] != 3 or _shape_of(b)[-1] != 3:
        raise ValueError(f"cross: vectors of length 3 are supported, got "
                         f"{_shape_of(a)[-1]} and {_shape_of(b)[-1]}")
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    c = FUNCTIONS["stack"]([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], -1)
    return FUNCTIONS["moveaxis"](c, -1, axisc)
