"""Statistics and running totals with numpy's signatures: ``cumsum``, ``cumprod`` (rules in
:mod:`chainrule.rules.cumulative`) and the functions made of other ops: ``var``, ``std``
(``ddof``), ``average`` (``weights``), ``ptp``, ``nansum``, ``nanmean``, ``nanmax``,
``nanmin``. Options numpy has and chainrule cannot honour (``out=``, ``dtype=``,
``where=``) are refused by name."""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np

from ..primitive import apply
from ..rules import cumulative
from .functions import (
    FUNCTIONS,
    Array,
    _ndim,
    _raw,
    _shape_of,
    composite,
    custom,
    normalize_axes,
    refuse_out,
)


def _refuse(name: str, out: Any = None, dtype: Any = None, **given: Any) -> None:
    refuse_out(name, out, dtype)
    used = sorted(k for k, v in given.items() if v is not None)
    if used:
        raise TypeError(f"np.{name}: options {used} are not supported on Tensors")


def _running(prim: Any) -> Any:
    name = prim.name

    def fn(x: Array, axis: int | None = None, dtype: Any = None, out: Any = None) -> Array:
        _refuse(name, out, dtype)
        if axis is None:
            x = FUNCTIONS["reshape"](x, -1)
            axis = -1
        (ax,) = normalize_axes(name, _ndim(x), axis)
        return apply(prim, x, ax)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"np.{name}: the running {'sum' if name == 'cumsum' else 'product'} along "
                  "``axis`` (None: of the flattened input); same shape as ``x`` (flat for "
                  "axis=None). Raises TypeError for ``out=`` and ``dtype=``.")
    return custom(prim)(fn)


cumsum = _running(cumulative.CUMSUM)
cumprod = _running(cumulative.CUMPROD)


def _count(x: Array, axis: Any) -> int:
    shape = _shape_of(x)
    return prod(shape[a] for a in normalize_axes("var", len(shape), axis))


@composite(numpy=(np.var,), doc="np.var: mean squared deviation (ddof)")
def var(x: Array, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0,
        keepdims: bool = False, *, where: Any = None, mean: Any = None,
        correction: float | None = None) -> Array:
    """The variance over ``axis``: ``sum(|x - mean|**2) / (n - ddof)`` (numpy's
    ``correction`` is another name for ``ddof``). Raises TypeError for ``out``,
    ``dtype``, ``where``, ``mean``."""
    _refuse("var", out, dtype, where=where, mean=mean)
    if correction is not None:
        ddof = correction
    m = FUNCTIONS["mean"](x, axis, True)
    d = x - m
    if np.iscomplexobj(_raw(d)):        # |d|**2, real, as numpy
        re, im = FUNCTIONS["real"](d), FUNCTIONS["imag"](d)
        return FUNCTIONS["sum"](re * re + im * im, axis, keepdims) / _dof(x, axis, ddof)
    return FUNCTIONS["sum"](d * d, axis, keepdims) / _dof(x, axis, ddof)


def _dof(x: Array, axis: Any, ddof: float) -> float:
    """``n - ddof``, at least 0 as numpy's: no more degrees of freedom than elements gives
    NaN or inf, never a negative variance (n=2, ddof=3 gave -|var|)."""
    return max(_count(x, axis) - ddof, 0)


@composite(numpy=(np.std,), doc="np.std: square root of the variance (ddof)")
def std(x: Array, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0,
        keepdims: bool = False, *, where: Any = None, mean: Any = None,
        correction: float | None = None) -> Array:
    """The standard deviation over ``axis``: ``sqrt(var(x, axis, ddof=ddof))``. Where every
    element of a slice is equal (std 0, a kink) the gradient is 0, not NaN."""
    v = var(x, axis, dtype, out, ddof, keepdims, where=where, mean=mean,
            correction=correction)
    zero = np.asarray(_raw(v)) == 0
    if not zero.any():
        return FUNCTIONS["sqrt"](v)
    where_ = FUNCTIONS["where"]
    return where_(zero, 0.0, FUNCTIONS["sqrt"](where_(zero, 1.0, v)))


@composite(numpy=(np.average,), doc="np.average: weighted mean")
def average(x: Array, axis: Any = None, weights: Array = None, returned: bool = False, *,
            keepdims: bool = False) -> Any:
    """``sum(x * w) / sum(w)`` over ``axis``; 1-D ``weights`` go along the one ``axis``
    (numpy's rule). With ``returned`` also the sum of the weights. Raises ValueError for
    1-D weights whose length is not that axis's, or weights summing to zero."""
    if weights is None:
        avg = FUNCTIONS["mean"](x, axis, keepdims)
        if returned:
            return avg, np.full(_shape_of(avg), float(_count(x, axis)))
        return avg
    shape, wshape = _shape_of(x), _shape_of(weights)
    w = weights
    if wshape != shape:
        if len(wshape) != 1 or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"average: weights of shape {wshape} differ from the input's "
                            f"{shape}; give 1-D weights and one int axis")
        (ax,) = normalize_axes("average", len(shape), int(axis))
        if wshape[0] != shape[ax]:
            raise ValueError(f"average: {wshape[0]} weights for axis {axis} of length "
                             f"{shape[ax]}")
        w = FUNCTIONS["reshape"](weights, wshape + (1,) * (-ax - 1))
    total = FUNCTIONS["sum"](FUNCTIONS["broadcast_to"](w, shape), axis, keepdims)
    if np.any(np.asarray(_raw(total)) == 0):
        raise ZeroDivisionError("average: the weights sum to zero")
    avg = FUNCTIONS["sum"](x * w, axis, keepdims) / total
    return (avg, total) if returned else avg


@composite(numpy=(np.ptp,), doc="np.ptp: max - min")
def ptp(x: Array, axis: Any = None, out: Any = None, keepdims: bool = False) -> Array:
    """The range ``max - min`` over ``axis`` (ties split the gradient as max and min do)."""
    _refuse("ptp", out)
    return FUNCTIONS["max"](x, axis, keepdims) - FUNCTIONS["min"](x, axis, keepdims)


def _finite_part(x: Array) -> tuple[Array, np.ndarray]:
    nan = np.isnan(np.asarray(_raw(x)))
    return FUNCTIONS["where"](nan, 0.0, x), nan


@composite(numpy=(np.nansum,), doc="np.nansum: sum ignoring NaN")
def nansum(x: Array, axis: Any = None, dtype: Any = None, out: Any = None,
           keepdims: bool = False, initial: Any = None, where: Any = None) -> Array:
    """The sum over ``axis`` with NaN counted as 0 (no gradient flows to a NaN)."""
    _refuse("nansum", out, dtype, initial=initial, where=where)
    return FUNCTIONS["sum"](_finite_part(x)[0], axis, keepdims)


@composite(numpy=(np.nanmean,), doc="np.nanmean: mean ignoring NaN")
def nanmean(x: Array, axis: Any = None, dtype: Any = None, out: Any = None,
            keepdims: bool = False, *, where: Any = None) -> Array:
    """The mean over ``axis`` of the entries that are not NaN (NaN for an all-NaN slice,
    with numpy's warning)."""
    _refuse("nanmean", out, dtype, where=where)
    clean, nan = _finite_part(x)
    axes = normalize_axes("nanmean", nan.ndim, axis)
    count = np.sum(~nan, axis=axes, keepdims=keepdims)
    return FUNCTIONS["sum"](clean, axis, keepdims) / count


def _nan_extreme(name: str, fill: float) -> Any:
    def fn(x: Array, axis: Any = None, out: Any = None, keepdims: bool = False,
           initial: Any = None, where: Any = None) -> Array:
        _refuse(f"nan{name}", out, initial=initial, where=where)
        nan = np.isnan(np.asarray(_raw(x)))
        out = FUNCTIONS[name](FUNCTIONS["where"](nan, fill, x), axis, keepdims)
        empty = np.all(nan, axis=normalize_axes(f"nan{name}", nan.ndim, axis),
                       keepdims=keepdims)
        return FUNCTIONS["where"](empty, np.nan, out) if empty.any() else out

    fn.__name__ = fn.__qualname__ = f"nan{name}"
    fn.__doc__ = (f"The {name}imum over ``axis`` ignoring NaN (NaN for an all-NaN slice); "
                  "ties split the gradient equally.")
    return composite(numpy=(getattr(np, f"nan{name}"),),
                     doc=f"np.nan{name}: {name} ignoring NaN")(fn)


nanmax = _nan_extreme("max", -np.inf)
nanmin = _nan_extreme("min", np.inf)
