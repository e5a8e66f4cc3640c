"""``cr.fft``: numpy's ``np.fft`` on Tensors, differentiable to any order.

``fft ifft rfft irfft`` (one axis, length ``n``), ``fft2 ifft2 rfft2 irfft2`` (two axes),
``fftn ifftn rfftn irfftn`` (any axes, lengths ``s``), ``fftshift ifftshift``, with
numpy's signatures and ``norm`` ("backward", "ortho", "forward"); ``np.fft.fft(t)`` on a
Tensor calls these. Each axis is cropped or zero-padded to its length first, as numpy
does. Results are complex except those of ``irfft*``; a real loss of them differentiates
in the convention of docs/complex.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..primitive import apply
from ..rules import fft as rf
from .functions import Array, _shape_of, refuse_out
from .numpy_api import answer
from .shaping import _gather

Lengths = Sequence[int] | None
Axes = Sequence[int] | None


def _norm(norm: str | None) -> str:
    if norm is None:
        return "backward"
    if norm not in rf.NORMS:
        raise ValueError(f"fft: norm={norm!r} is not one of {rf.NORMS} (or None)")
    return norm


def _axes(shape: tuple[int, ...], axes: Sequence[int]) -> tuple[int, ...]:
    nd = len(shape)
    out = []
    for a in axes:
        if not -nd <= int(a) < nd:
            raise np.exceptions.AxisError(f"fft: axis {a} is out of bounds for an array of "
                                          f"dimension {nd}")
        out.append(int(a) - nd if a >= 0 else int(a))
    if len(set(out)) < len(out):
        raise ValueError(f"fft: axes {tuple(axes)} name an axis twice; transform it twice "
                         "with two calls")
    return tuple(out)


def _lengths(shape: tuple[int, ...], s: Lengths, axes: Axes, last_real: bool = False
             ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """numpy's rules: ``axes`` default to the last ``len(s)`` axes (all without ``s``),
    lengths default to the input's (for ``irfft*`` 2*(m - 1) along the last axis)."""
    if axes is None:
        axes = range(-len(s), 0) if s is not None else range(-len(shape), 0)
    ax = _axes(shape, tuple(axes))
    if s is None:
        sizes = [shape[a] for a in ax]
        if last_real and sizes:
            sizes[-1] = 2 * (sizes[-1] - 1)
    else:
        sizes = [int(n) for n in s]
        if len(sizes) != len(ax):
            raise ValueError(f"fft: s has {len(sizes)} lengths for {len(ax)} axes")
    for n in sizes:
        if n < 1:
            raise ValueError(f"fft: invalid number of data points ({n}) specified")
    if not ax:
        raise ValueError("fft: no axes to transform")
    return tuple(sizes), ax


def _one(n: int | None, axis: int) -> tuple[Lengths, Axes]:
    return (None if n is None else (n,)), (axis,)


def _run(prim: Any, a: Array, s: Lengths, axes: Axes, norm: str | None, out: Any,
         last_real: bool = False) -> Array:
    refuse_out("fft." + prim.name, out)
    sizes, ax = _lengths(_shape_of(a), s, axes, last_real)
    return apply(prim, a, sizes, ax, _norm(norm))


def fft(a: Array, n: int | None = None, axis: int = -1, norm: str | None = None,
        out: Any = None) -> Array:
    """The DFT of ``a`` along ``axis``, cropped or zero-padded to ``n`` points: shape of
    ``a`` with ``n`` at ``axis``, complex."""
    return _run(rf.FFTN, a, *_one(n, axis), norm, out)


def ifft(a: Array, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: Any = None) -> Array:
    """The inverse DFT of ``a`` along ``axis`` (``n`` points), complex."""
    return _run(rf.IFFTN, a, *_one(n, axis), norm, out)


def rfft(a: Array, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: Any = None) -> Array:
    """The DFT of real ``a`` along ``axis`` (``n`` points): its ``n//2 + 1``
    non-negative frequencies, complex. TypeError for complex ``a``."""
    return _run(rf.RFFTN, a, *_one(n, axis), norm, out)


def irfft(a: Array, n: int | None = None, axis: int = -1, norm: str | None = None,
          out: Any = None) -> Array:
    """The real signal of ``n`` points (default ``2*(m - 1)``) whose rfft is ``a``'s ``m``
    frequencies along ``axis``; real."""
    return _run(rf.IRFFTN, a, *_one(n, axis), norm, out, last_real=True)


def fft2(a: Array, s: Lengths = None, axes: Sequence[int] = (-2, -1),
         norm: str | None = None, out: Any = None) -> Array:
    """The 2-D DFT over ``axes`` (lengths ``s``), complex."""
    return _run(rf.FFTN, a, s, axes, norm, out)


def ifft2(a: Array, s: Lengths = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None, out: Any = None) -> Array:
    """The 2-D inverse DFT over ``axes``, complex."""
    return _run(rf.IFFTN, a, s, axes, norm, out)


def rfft2(a: Array, s: Lengths = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None, out: Any = None) -> Array:
    """The 2-D DFT of real ``a``, half spectrum along the last of ``axes``."""
    return _run(rf.RFFTN, a, s, axes, norm, out)


def irfft2(a: Array, s: Lengths = None, axes: Sequence[int] = (-2, -1),
           norm: str | None = None, out: Any = None) -> Array:
    """The inverse of rfft2: a real array of lengths ``s`` over ``axes``."""
    return _run(rf.IRFFTN, a, s, axes, norm, out, last_real=True)


def fftn(a: Array, s: Lengths = None, axes: Axes = None, norm: str | None = None,
         out: Any = None) -> Array:
    """The n-dimensional DFT over ``axes`` (default: the last ``len(s)``, or all),
    complex."""
    return _run(rf.FFTN, a, s, axes, norm, out)


def ifftn(a: Array, s: Lengths = None, axes: Axes = None, norm: str | None = None,
          out: Any = None) -> Array:
    """The n-dimensional inverse DFT, complex."""
    return _run(rf.IFFTN, a, s, axes, norm, out)


def rfftn(a: Array, s: Lengths = None, axes: Axes = None, norm: str | None = None,
          out: Any = None) -> Array:
    """The n-dimensional DFT of real ``a``, half spectrum along the last axis
    transformed."""
    return _run(rf.RFFTN, a, s, axes, norm, out)


def irfftn(a: Array, s: Lengths = None, axes: Axes = None, norm: str | None = None,
           out: Any = None) -> Array:
    """The inverse of rfftn: a real array of lengths ``s`` over ``axes``."""
    return _run(rf.IRFFTN, a, s, axes, norm, out, last_real=True)


def fftshift(x: Array, axes: int | Sequence[int] | None = None) -> Array:
    """``x`` rolled so that frequency 0 sits in the middle of each axis in ``axes`` (all
    by default); same shape."""
    return _gather(x, lambda p: np.fft.fftshift(p, axes))


def ifftshift(x: Array, axes: int | Sequence[int] | None = None) -> Array:
    """The inverse of fftshift; same shape."""
    return _gather(x, lambda p: np.fft.ifftshift(p, axes))


__all__ = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn",
           "ifftn", "rfftn", "irfftn", "fftshift", "ifftshift"]

for _name in __all__:
    answer(SimpleNamespace(numpy=(getattr(np.fft, _name),), name=_name, function=_name),
           globals()[_name])
