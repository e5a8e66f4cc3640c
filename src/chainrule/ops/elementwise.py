"""Elementwise ``cr.`` functions whose signature needs more than a maker gives: ``clip``
(numpy's bounds, either may be None), ``nan_to_num`` and ``angle`` (with ``deg``); the
other parts of a complex number come from the rule table (``chainrule.rules.complex``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import apply
from ..rules import complex as cx
from ..rules import special_elementwise as sew
from ..shape_checks import check_broadcast
from .functions import Array, _shape_of, composite, custom, refuse_out


def _np_clip(clip, a, a_min=None, a_max=None, out=None, *, min=None, max=None, **kw):
    refuse_out("clip", out, kw.pop("dtype", None))
    if kw:
        raise TypeError(f"np.clip: options {sorted(kw)} are not supported on Tensors")
    return clip(a, a_min, a_max, min=min, max=max)


@custom(sew.CLIP, numpy=_np_clip)
def clip(x: Array, a_min: Array = None, a_max: Array = None, *, min: Array = None,
         max: Array = None) -> Array:
    """``x`` limited to ``[a_min, a_max]`` elementwise (numpy's ``min=``/``max=`` spellings
    too); either bound may be None, and the bounds broadcast against ``x``. At a bound the
    gradient goes to ``x``. Raises ValueError if both bounds are None."""
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    if lo is None and hi is None:
        raise ValueError("clip: give a_min, a_max or both (both are None)")
    for bound in (lo, hi):
        if bound is not None:
            check_broadcast("clip", _shape_of(x), _shape_of(bound))
    return apply(sew.CLIP, x, lo, hi)


@custom(sew.NAN_TO_NUM)
def nan_to_num(x: Array, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Array:
    """``x`` with nan replaced by ``nan`` and +-inf by ``posinf``/``neginf`` (default: the
    largest finite numbers of the dtype). The replaced entries get no gradient. Raises
    TypeError for ``copy=False`` (in place, not differentiable)."""
    if not copy:
        raise TypeError("nan_to_num(copy=False) works in place, which is not "
                        "differentiable; drop copy=False")
    return apply(sew.NAN_TO_NUM, x, float(nan), _opt(posinf), _opt(neginf))


def _opt(v: Any) -> float | None:
    return None if v is None else float(v)


@composite(numpy=(np.angle,), doc="np.angle: the angle of a complex number")
def angle(x: Array, deg: bool = False) -> Array:
    """The angle (argument) of ``x`` elementwise, in radians or with ``deg`` in degrees:
    for real data 0 or pi (a constant); for complex data its gradient follows the
    convention of docs/complex.md (0 at z = 0)."""
    out = apply(cx.ANGLE, x)
    return out * (180.0 / np.pi) if deg else out


@composite(numpy=(np.real_if_close,),
           doc="np.real_if_close: the real part when every imaginary part is close to 0")
def real_if_close(a: Array, tol: float = 100) -> Array:
    """``a``'s real part if ``a`` is complex and every imaginary part is below ``tol``
    (in machine epsilons of ``a``'s dtype when ``tol > 1``, as numpy), else ``a``
    unchanged; same shape as ``a``."""
    value = np.asarray(getattr(a, "value", a))
    if not np.iscomplexobj(value):
        return a
    limit = tol * np.finfo(value.dtype).eps if tol > 1 else tol
    if np.all(np.abs(np.imag(value)) < limit):
        return apply(cx.REAL, a)
    return a
