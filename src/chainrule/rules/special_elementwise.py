"""More elementwise primitives: inverse trigonometric and hyperbolic functions, logs and
exponentials in other bases, rounding (zero gradient), angle units, ``sinc``, and the
two-input ``arctan2``, ``hypot``, ``logaddexp``, ``remainder``, ``fmod``,
``floor_divide``; ``clip`` and ``nan_to_num``.

Every rule is written with the math namespace ``M`` and operators, so it can be
differentiated again.
"""

from __future__ import annotations

import math

import numpy as np

from ..primitive import apply, binary, defprimitive, unary

LN2 = math.log(2.0)
LN10 = math.log(10.0)


def _unary(name: str, float_fn, array_fn, vjp, deriv: str, **spec):
    """An elementwise entry that is a ``cr.`` function and a numpy ufunc only: no Tensor
    method, not in the formula language."""
    spec.setdefault("methods", ())
    spec.setdefault("formula", False)
    return unary(name, float_fn, array_fn, vjp, deriv, **spec)


def _zero(M, g, ans, *args):
    return g * 0.0


def _rounding(name: str, float_fn, array_fn, numpy=None):
    spec = {} if numpy is None else {"numpy": numpy}
    return _unary(name, float_fn, array_fn, _zero, "0", avoid=[k / 2 for k in range(-4, 5)],
                 kink="the derivative is 0 everywhere, the jumps included", **spec)


def _sinc_vjp(M, g, ans, x):
    xv = M.value(x)
    at0 = xv == 0
    safe = M.where(at0, 1.0, x) if np.ndim(xv) else (1.0 if at0 else x)
    d = (M.cos(math.pi * safe) - ans) / safe
    return g * (M.where(at0, 0.0, d) if np.ndim(xv) else (0.0 if at0 else d))


def _fsinc(x: float) -> float:
    return 1.0 if x == 0 else math.sin(math.pi * x) / (math.pi * x)


ARCSIN = _unary("arcsin", math.asin, np.arcsin,
               lambda M, g, ans, x: g / M.sqrt(1 - x * x), "1/sqrt(1 - x**2)",
               domain="-1 <= x <= 1", sample=[(-0.9, 0.9)], complex=True)
ARCCOS = _unary("arccos", math.acos, np.arccos,
               lambda M, g, ans, x: -g / M.sqrt(1 - x * x), "-1/sqrt(1 - x**2)",
               domain="-1 <= x <= 1", sample=[(-0.9, 0.9)], complex=True)
ARCTAN = _unary("arctan", math.atan, np.arctan, lambda M, g, ans, x: g / (1 + x * x),
               "1/(1 + x**2)", complex=True)
SINH = _unary("sinh", math.sinh, np.sinh, lambda M, g, ans, x: g * M.cosh(x), "cosh(x)",
              complex=True)
COSH = _unary("cosh", math.cosh, np.cosh, lambda M, g, ans, x: g * M.sinh(x), "sinh(x)",
              complex=True)
ARCSINH = _unary("arcsinh", math.asinh, np.arcsinh,
                lambda M, g, ans, x: g / M.sqrt(x * x + 1), "1/sqrt(x**2 + 1)",
                complex=True)
ARCCOSH = _unary("arccosh", math.acosh, np.arccosh,
                lambda M, g, ans, x: g / (M.sqrt(x - 1) * M.sqrt(x + 1)),
                "1/(sqrt(x - 1)*sqrt(x + 1))", domain="x >= 1", sample=[(1.2, 3.0)],
                complex=True)
ARCTANH = _unary("arctanh", math.atanh, np.arctanh, lambda M, g, ans, x: g / (1 - x * x),
                "1/(1 - x**2)", domain="-1 < x < 1", sample=[(-0.9, 0.9)], complex=True)
LOG1P = _unary("log1p", math.log1p, np.log1p, lambda M, g, ans, x: g / (1 + x), "1/(1 + x)",
              domain="x > -1", sample=[(-0.8, 2.0)], complex=True)
EXPM1 = _unary("expm1", math.expm1, np.expm1, lambda M, g, ans, x: g * (ans + 1), "exp(x)",
              complex=True)
LOG2 = _unary("log2", math.log2, np.log2, lambda M, g, ans, x: g / (x * LN2),
             f"1/(x*{LN2!r})", domain="x > 0", sample=[(0.2, 3.0)], complex=True)
LOG10 = _unary("log10", math.log10, np.log10, lambda M, g, ans, x: g / (x * LN10),
              f"1/(x*{LN10!r})", domain="x > 0", sample=[(0.2, 3.0)], complex=True)
EXP2 = _unary("exp2", lambda x: 2.0 ** x, np.exp2, lambda M, g, ans, x: g * ans * LN2,
             f"2**x*{LN2!r}", complex=True)
CBRT = _unary("cbrt", np.cbrt, np.cbrt, lambda M, g, ans, x: g / (3 * ans * ans),
             "1/(3*x**(2/3))", kink="cbrt'(0) = +inf", avoid=[0.0],
             sample=[(0.2, 3.0)])
FABS = _unary("fabs", math.fabs, np.fabs, lambda M, g, ans, x: g * M.sign(M.value(x)),
             "sign(x)", kink="|x|'(0) = 0", avoid=[0.0])
DEG2RAD = _unary("deg2rad", math.radians, np.deg2rad,
                lambda M, g, ans, x: g * (math.pi / 180), f"{math.pi / 180!r}",
                numpy=(np.deg2rad, np.radians))
RAD2DEG = _unary("rad2deg", math.degrees, np.rad2deg,
                lambda M, g, ans, x: g * (180 / math.pi), f"{180 / math.pi!r}",
                numpy=(np.rad2deg, np.degrees))
SINC = _unary("sinc", _fsinc, np.sinc, _sinc_vjp, "(cos(pi*x) - sinc(x))/x, 0 at x = 0",
             kink="sinc'(0) = 0 (second order exact only away from 0)",
             avoid=[0.0])
FLOOR = _rounding("floor", lambda x: float(math.floor(x)), np.floor)
CEIL = _rounding("ceil", lambda x: float(math.ceil(x)), np.ceil)
TRUNC = _rounding("trunc", lambda x: float(math.trunc(x)), np.trunc)
RINT = _rounding("rint", lambda x: float(np.rint(x)), np.rint, numpy=(
    np.rint, (np.round, lambda rint, a, decimals=0, out=None: _round(rint, a, decimals, out)),
    (np.around, lambda rint, a, decimals=0, out=None: _round(rint, a, decimals, out))))


def _round(rint, a, decimals, out):
    if out is not None:
        raise TypeError("np.round(..., out=...) writes in place, which is not "
                        "differentiable; drop out=")
    if decimals == 0:
        return rint(a)
    scale = 10.0 ** decimals
    return rint(a * scale) / scale


def _remainder_y(M, g, ans, x, y):
    return -g * np.floor(M.value(x) / M.value(y))


def _fmod_y(M, g, ans, x, y):
    return -g * np.trunc(M.value(x) / M.value(y))


def _nonzero(M, r):
    """``r`` with 1 where it is 0: the origin, where the rules below take 0 for 0/0."""
    return M.where(M.value(r) == 0, 1.0, r)


def _arctan2_vjps():
    # Divided twice by r = hypot(x, y), not once by x**2 + y**2: that underflows to 0 for
    # |x|, |y| < 1e-162 (and overflows above 1e154) where the gradient is finite. r is
    # applied as the primitive, so a rule differentiated again (hessian) sees it. At the
    # origin the gradient is g * x and -g * y: 0, signed as PyTorch's.
    def d_y(M, g, ans, y, x):
        r = _nonzero(M, apply(HYPOT, x, y))
        return g * (x / r / r)

    def d_x(M, g, ans, y, x):
        r = _nonzero(M, apply(HYPOT, x, y))
        return -g * (y / r / r)

    return [d_y, d_x]


ARCTAN2 = binary("arctan2", math.atan2, np.arctan2, _arctan2_vjps(),
                 ["x/(x**2 + y**2)", "-y/(x**2 + y**2)"], inputs=("y", "x"),
                 domain="(x, y) != (0, 0)",
                 kink="not differentiable at (0, 0), where the gradient is taken as 0 "
                      "(as PyTorch)",
                 sample=[(0.3, 2.0), (0.3, 2.0)])
HYPOT = binary("hypot", math.hypot, np.hypot,
               [lambda M, g, ans, x, y: g * (x / _nonzero(M, ans)),
                lambda M, g, ans, x, y: g * (y / _nonzero(M, ans))],
               ["x/(x**2 + y**2)**0.5", "y/(x**2 + y**2)**0.5"], avoid=[0.0],
               kink="not differentiable at (0, 0), where the gradient is taken as 0, as for "
                    "a norm (PyTorch gives NaN)")
LOGADDEXP = binary("logaddexp", np.logaddexp, np.logaddexp,
                   [lambda M, g, ans, x, y: g * M.exp(x - ans),
                    lambda M, g, ans, x, y: g * M.exp(y - ans)],
                   ["exp(x)/(exp(x) + exp(y))", "exp(y)/(exp(x) + exp(y))"])
LOGADDEXP2 = binary("logaddexp2", np.logaddexp2, np.logaddexp2,
                    [lambda M, g, ans, x, y: g * M.exp((x - ans) * LN2),
                     lambda M, g, ans, x, y: g * M.exp((y - ans) * LN2)],
                    ["2**x/(2**x + 2**y)", "2**y/(2**x + 2**y)"])
REMAINDER = binary("remainder", lambda x, y: x % y, np.remainder,
                   [lambda M, g, ans, x, y: g, _remainder_y], ["1", "-floor(x/y)"],
                   numpy=(np.remainder, np.mod), expr="x % y", domain="y != 0",
                   kink="at multiples of y the value jumps; the derivative is taken from "
                        "the right (d/dx = 1, d/dy = -floor(x/y))",
                   sample=[(-3.0, 3.0), (0.7, 1.3)])
FMOD = binary("fmod", math.fmod, np.fmod, [lambda M, g, ans, x, y: g, _fmod_y],
              ["1", "-trunc(x/y)"], domain="y != 0",
              kink="at multiples of y the value jumps; d/dx = 1, d/dy = -trunc(x/y)",
              sample=[(-3.0, 3.0), (0.7, 1.3)])
FLOOR_DIVIDE = binary("floor_divide", lambda x, y: x // y, np.floor_divide, [_zero, _zero],
                      ["0", "0"], expr="x // y", domain="y != 0",
                      kink="the derivative is 0 everywhere, the jumps included",
                      sample=[(-3.0, 3.0), (0.7, 1.3)])


def _clip_masks(x, lo, hi):
    """Where the gradient of clip(x, lo, hi) goes: to x inside [lo, hi] (bounds included),
    to lo below it, to hi above it (numpy gives hi everywhere when lo > hi)."""
    inside = np.ones(np.shape(x), dtype=bool)
    below = np.zeros(np.shape(x), dtype=bool)
    if lo is not None:
        inside = inside & (x >= lo)
        below = x < lo
    if hi is not None:
        inside = inside & (x <= hi)
        if lo is not None:
            below = below & (lo <= hi)
    return inside, below


def _clip_vjp(which: int):
    def vjp(M, g, ans, x, lo, hi):
        inside, below = _clip_masks(M.value(x), M.value(lo), M.value(hi))
        mask = (inside, below, ~(inside | below))[which]
        return g * mask
    return vjp


CLIP = defprimitive(
    "clip", array_fn=np.clip, vjps=[_clip_vjp(0), _clip_vjp(1), _clip_vjp(2)],
    inputs=("x", "lo", "hi"), expr="clip(x, lo, hi)",
    derivs=["1 where lo <= x <= hi else 0", "1 where x < lo else 0",
            "1 where x > hi else 0"],
    kink="at a bound the gradient goes to x (as torch.clamp)", function="clip",
    numpy=(np.clip,),
    sample=[(-2.0, 2.0), (-1.5, -0.5), (0.5, 1.5)], doc="Elementwise clip")


def _nan_to_num(x, nan, posinf, neginf):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


NAN_TO_NUM = defprimitive(
    "nan_to_num", array_fn=_nan_to_num,
    vjps=[lambda M, g, ans, x, nan, posinf, neginf: g * np.isfinite(M.value(x))],
    expr="nan_to_num(x)", derivs=["1 where x is finite, 0 at nan and +-inf"],
    params=("nan", "posinf", "neginf"), function="nan_to_num", numpy=(np.nan_to_num,),
    kink="0 at the replaced nan and infinite entries", doc="Elementwise")
