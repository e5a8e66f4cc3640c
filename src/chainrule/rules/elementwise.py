"""Elementwise primitives: arithmetic and the unary math functions.

Each entry is the whole truth about one op: forward on floats and on arrays, the VJP of
each input, the local derivative as text (a formula in the inputs wherever one exists: a
test evaluates it against the VJP), the domain, the kink convention and where the op
shows up (``cr.`` function, Tensor method, numpy ufunc, formula language). Binary ops
broadcast like numpy; their VJPs return full-shape contributions that the core sums back
to each input's shape.
"""

from __future__ import annotations

import math

import numpy as np

from ..primitive import binary, defprimitive, unary
from .complex import real_part


def _fsigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# 0.5 and 1 as 0-d arrays of each float dtype: numpy combines an array with a 0-d array of
# its own dtype faster than with a Python number (no conversion of the number per call),
# giving the same numbers in the same dtype
_HALF = {np.dtype(t): np.array(0.5, t) for t in (np.float16, np.float32, np.float64)}
_ONE = {np.dtype(t): np.array(1.0, t) for t in (np.float16, np.float32, np.float64)}


def _asigmoid(x: np.ndarray) -> np.ndarray:
    # 0.5 * (1 + tanh(x/2)) is sigmoid without overflow for any x; in place, the same
    # numbers as 0.5 + 0.5 * tanh(0.5 * x) with three temporaries fewer
    half = _HALF.get(x.dtype) if x.__class__ is np.ndarray and x.ndim else None
    if half is None:                    # numbers, 0-d arrays, other dtypes
        return 0.5 + 0.5 * np.tanh(0.5 * x)
    t = x * half
    np.tanh(t, t)
    t *= half
    t += half
    return t


def _sigmoid_vjp(M, g, ans, x):
    one = _ONE.get(ans.dtype) if ans.__class__ is np.ndarray else None
    return g * ans * ((1 - ans) if one is None else (one - ans))


def _frelu(x: float) -> float:
    return x if x > 0 or x != x else 0.0        # NaN stays NaN, as np.maximum(x, 0)


def _fmaximum(x: float, y: float) -> float:
    return x if x >= y or x != x else y         # NaN wins, as np.maximum


def _fminimum(x: float, y: float) -> float:
    return x if x <= y or x != x else y         # NaN wins, as np.minimum


def _ffmax(x: float, y: float) -> float:
    return y if x != x else x if y != y or x >= y else y     # NaN loses, as np.fmax


def _ffmin(x: float, y: float) -> float:
    return y if x != x else x if y != y or x <= y else y     # NaN loses, as np.fmin


def _arelu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def _pow_exponent_vjp(M, g, ans, x, y):
    # d/dy x**y = x**y * log(x); taken as 0 where x == 0 (torch's convention), also for
    # y < 0 where x**y is inf (inf * log(1) was NaN)
    xv, av = M.value(x), M.value(ans)
    if not np.ndim(av):
        return g * 0.0 if xv == 0 and av == av else g * ans * M.log(x)
    zero = (xv == 0) & ~np.isnan(av)        # a NaN exponent keeps its NaN
    if not zero.any():
        return g * ans * M.log(x)
    return M.where(zero, 0.0, g * M.where(zero, 0.0, ans) * M.log(M.where(zero, 1.0, x)))


def _pow_base_vjp(M, g, ans, x, y):
    # y * x**(y-1), with 0 where y == 0 (x**0 is constant, also at x = 0 where the formula
    # is 0 * inf): the exponent 1 there keeps every derivative of this rule finite too.
    if y.__class__ is int or y.__class__ is float:
        if y == 2:                      # the common square: one product fewer, and x + x
            return g * (x + x)          # is 2 * x without converting the number 2
        if y == 0:
            return g * 0.0
        if x.__class__ is float and x < 0 and y != int(y):
            raise ValueError("pow: a negative base to a fractional power")  # numpy: NaN
        return g * (y * x ** (y - 1))
    return g * y * x ** M.where(M.value(y) == 0, 1.0, y - 1)


def _abs_vjp(M, g, ans, x):
    # complex z: g * conj(z)/|z| = g * |z|/z (the JAX/autograd convention), 0 at z = 0
    xv = M.value(x)
    if not np.iscomplexobj(xv):
        return g * M.sign(xv)
    if np.ndim(xv):
        return g * (ans / M.where(xv == 0, 1.0, x))
    return g * 0.0 if xv == 0 else g * (ans / x)


def _abs_jvp(M, t, ans, x):
    # complex z: Re(t * conj(z)/|z|) = Re(t * |z|/z), 0 at z = 0
    xv = M.value(x)
    if not np.iscomplexobj(xv):
        return t * M.sign(xv)
    return real_part(_abs_vjp(M, t, ans, x))


def _tie_mask(a, b, greater: bool, nan_wins: bool = True):
    """``a``'s share of the gradient: 1 where ``a`` wins, 0.5 at ties (two NaNs tie), 0
    where it loses. With ``nan_wins`` (maximum / minimum) a NaN wins, as in the value
    (np.maximum propagates it), so its gradient is not silently 0; otherwise (fmax / fmin)
    a NaN loses to a number."""
    a_nan, b_nan = a != a, b != b
    nan = (a_nan & ~b_nan) if nan_wins else (b_nan & ~a_nan)
    wins = ((a > b) if greater else (a < b)) | nan
    return wins * 1.0 + ((a == b) | (a_nan & b_nan)) * 0.5


def _extremum(name: str, greater: bool, float_fn, array_fn, nan_wins: bool = True):
    """maximum / minimum (``nan_wins``) and fmax / fmin, written once: ties split the
    gradient equally."""
    op = ">" if greater else "<"
    kink = ("ties split the gradient equally (1/2 each)" if nan_wins else
            "a NaN loses to a number (the gradient goes to the number); ties and two NaNs "
            "split the gradient equally (1/2 each)")
    return binary(
        name, float_fn, array_fn,
        [lambda M, g, ans, x, y: g * _tie_mask(M.value(x), M.value(y), greater, nan_wins),
         lambda M, g, ans, x, y: g * _tie_mask(M.value(y), M.value(x), greater, nan_wins)],
        [f"1 if x {op} y else 0", f"1 if y {op} x else 0"],
        methods=(name,) if nan_wins else (), formula=nan_wins, kink=kink,
        zero_reason=f"the other input of {name} wins {{where}}")


NEG = unary("neg", lambda x: -x, np.negative, lambda M, g, ans, x: -g, "-1",
            function="negative", methods=(), formula=False, expr="-x", complex=True)
ADD = binary("add", lambda x, y: x + y, lambda x, y: x + y,
             [lambda M, g, ans, x, y: g, lambda M, g, ans, x, y: g], ["1", "1"],
             expr="x + y", vjp_text=["g", "g"], complex=True)
SUB = binary("sub", lambda x, y: x - y, lambda x, y: x - y,
             [lambda M, g, ans, x, y: g, lambda M, g, ans, x, y: -g], ["1", "-1"],
             function="subtract", expr="x - y", vjp_text=["g", "-g"], complex=True)
MUL = binary("mul", lambda x, y: x * y, lambda x, y: x * y,
             [lambda M, g, ans, x, y: g * y, lambda M, g, ans, x, y: g * x], ["y", "x"],
             function="multiply", expr="x * y", complex=True)
DIV = binary("div", lambda x, y: x / y, lambda x, y: x / y,
             # -(g/y) * (x/y), not -g*x/(y*y): y*y underflows to 0 for |y| < 1e-162 where the
             # gradient is finite (x = y = 1e-200: -1e200); the float loop computes the same
             [lambda M, g, ans, x, y: g / y, lambda M, g, ans, x, y: -(g / y) * (x / y)],
             ["1/y", "-x/y**2"], function="divide", expr="x / y",
             numpy=(np.divide, (np.reciprocal, lambda divide, x: divide(1.0, x))),
             domain="y != 0", sample=[(-2.0, 2.0), (0.5, 2.0)], complex=True)
POW = binary("pow", math.pow, lambda x, y: x ** y, [_pow_base_vjp, _pow_exponent_vjp],
             ["y * x**(y-1)", "x**y * log(x)"], function="power", expr="x ** y",
             numpy=(np.power, (np.square, lambda power, x: power(x, 2))),
             domain="x > 0 (any x for an integer exponent)",
             kink="d/dy x**y = 0 where x == 0; d/dx x**0 = 0 (also at x = 0)",
             sample=[(0.5, 2.0), (-2.0, 2.0)], complex=True)
SIN = unary("sin", math.sin, np.sin, lambda M, g, ans, x: g * M.cos(x), "cos(x)", complex=True)
COS = unary("cos", math.cos, np.cos, lambda M, g, ans, x: -g * M.sin(x), "-sin(x)", complex=True)
TAN = unary("tan", math.tan, np.tan, lambda M, g, ans, x: g * (1 + ans * ans),
            "1 + tan(x)**2", domain="x != pi/2 + k*pi", sample=[(-1.2, 1.2)], complex=True)
EXP = unary("exp", math.exp, np.exp, lambda M, g, ans, x: g * ans, "exp(x)", complex=True)
LOG = unary("log", math.log, np.log, lambda M, g, ans, x: g / x, "1/x",
            domain="x > 0 (NaN with numpy's warning below 0, -inf at 0)", sample=[(0.2, 3.0)],
            complex=True)
SQRT = unary("sqrt", math.sqrt, np.sqrt, lambda M, g, ans, x: g * 0.5 / ans,
             "1/(2*sqrt(x))", domain="x >= 0", kink="sqrt'(0) = +inf", sample=[(0.2, 3.0)],
             avoid=[0.0], complex=True)
TANH = unary("tanh", math.tanh, np.tanh, lambda M, g, ans, x: g * (1 - ans * ans),
             "1 - tanh(x)**2", complex=True)
SIGMOID = unary("sigmoid", _fsigmoid, _asigmoid, _sigmoid_vjp,
                "s*(1-s), s = sigmoid(x)", vjp_text=["g * s*(1-s)"])
RELU = unary("relu", _frelu, _arelu, lambda M, g, ans, x: g * (M.value(x) > 0),
             "1 if x > 0 else 0", vjp_text=["g * (x > 0)"], kink="relu'(0) = 0",
             avoid=[0.0], zero_reason="relu is off {where} (its input is {x} <= 0)")
ABS = unary("abs", abs, np.abs, _abs_vjp, "sign(x)", jvps=[_abs_jvp],
            vjp_text=["g * sign(x) (complex x: g * conj(x) / |x|)"],
            methods=("abs", "__abs__"), kink="|x|'(0) = 0", avoid=[0.0], complex=True)
MAXIMUM = _extremum("maximum", True, _fmaximum, np.maximum)
MINIMUM = _extremum("minimum", False, _fminimum, np.minimum)
FMAX = _extremum("fmax", True, _ffmax, np.fmax, nan_wins=False)
FMIN = _extremum("fmin", False, _ffmin, np.fmin, nan_wins=False)
WHERE = defprimitive(
    "where", array_fn=np.where,
    vjps=[None, lambda M, g, ans, c, x, y: M.where(c, g, 0),
          lambda M, g, ans, c, x, y: M.where(c, 0, g)],
    jvps=[None, lambda M, t, ans, c, x, y: M.where(c, t, 0),
          lambda M, t, ans, c, x, y: M.where(c, 0, t)],
    inputs=("cond", "x", "y"), expr="where(cond, x, y)", elementwise=True,
    derivs=["(none: a condition)", "1 where cond else 0", "0 where cond else 1"],
    vjp_text=["", "where(cond, g, 0)", "where(cond, 0, g)"],
    function="where", numpy=(np.where,), zero_reason="where() picks the other branch {where}",
    doc="Elementwise choice", complex=True)
IDENTITY = unary("identity", lambda x: x, lambda x: x, lambda M, g, ans, x: g, "1",
                 function=None, numpy=((np.positive, lambda _, x: x),), expr="x",
                 vjp_text=["g"], complex=True)
