"""Elementwise primitives: arithmetic and the unary math functions.

Each entry is the whole truth about one op: forward on floats and on arrays, the VJP of
each input, the local derivative as text, the domain and the kink convention. Binary ops
broadcast like numpy; their VJPs return full-shape contributions that the core sums back
to each input's shape.
"""

from __future__ import annotations

import math

import numpy as np

from ..primitive import defprimitive


def _fsigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _asigmoid(x: np.ndarray) -> np.ndarray:
    # 0.5 * (1 + tanh(x/2)) is sigmoid without overflow for any x.
    return 0.5 + 0.5 * np.tanh(0.5 * x)


def _frelu(x: float) -> float:
    return x if x > 0 else 0.0


def _arelu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def _pow_exponent_vjp(M, g, ans, x, y):
    # d/dy x**y = x**y * log(x); taken as 0 where x == 0 (torch's convention).
    xv = M.value(x)
    safe = M.where(xv == 0, 1.0, x) if np.ndim(xv) else (1.0 if xv == 0 else x)
    return g * ans * M.log(safe)


def _pow_base_vjp(M, g, ans, x, y):
    if y.__class__ is int or y.__class__ is float:
        if y == 2:                      # the common square: one product fewer
            return g * (2 * x)
        return g * (y * x ** (y - 1))
    return g * y * x ** (y - 1)


def _tie_mask(a, b, greater: bool):
    """1 where ``a`` wins, 0.5 at ties, 0 where it loses: ties split the gradient."""
    wins = a > b if greater else a < b
    return wins * 1.0 + (a == b) * 0.5


NEG = defprimitive(
    "neg", float_fn=lambda x: -x, array_fn=np.negative,
    vjps=[lambda M, g, ans, x: -g], expr="-x", derivs=["-1"])
ADD = defprimitive(
    "add", float_fn=lambda x, y: x + y, array_fn=lambda x, y: x + y,
    vjps=[lambda M, g, ans, x, y: g, lambda M, g, ans, x, y: g],
    inputs=("x", "y"), expr="x + y", derivs=["1", "1"], vjp_text=["g", "g"])
SUB = defprimitive(
    "sub", float_fn=lambda x, y: x - y, array_fn=lambda x, y: x - y,
    vjps=[lambda M, g, ans, x, y: g, lambda M, g, ans, x, y: -g],
    inputs=("x", "y"), expr="x - y", derivs=["1", "-1"], vjp_text=["g", "-g"])
MUL = defprimitive(
    "mul", float_fn=lambda x, y: x * y, array_fn=lambda x, y: x * y,
    vjps=[lambda M, g, ans, x, y: g * y, lambda M, g, ans, x, y: g * x],
    inputs=("x", "y"), expr="x * y", derivs=["y", "x"])
DIV = defprimitive(
    "div", float_fn=lambda x, y: x / y, array_fn=lambda x, y: x / y,
    vjps=[lambda M, g, ans, x, y: g / y, lambda M, g, ans, x, y: -g * x / (y * y)],
    inputs=("x", "y"), expr="x / y", derivs=["1/y", "-x/y**2"],
    domain="y != 0", sample=[(-2.0, 2.0), (0.5, 2.0)])
POW = defprimitive(
    "pow", float_fn=math.pow, array_fn=lambda x, y: x ** y,
    vjps=[_pow_base_vjp, _pow_exponent_vjp],
    inputs=("x", "y"), expr="x ** y", derivs=["y * x**(y-1)", "x**y * log(x)"],
    domain="x > 0 (any x for an integer exponent)",
    kink="d/dy x**y = 0 where x == 0", sample=[(0.5, 2.0), (-2.0, 2.0)])
SIN = defprimitive(
    "sin", float_fn=math.sin, array_fn=np.sin,
    vjps=[lambda M, g, ans, x: g * M.cos(x)], derivs=["cos(x)"])
COS = defprimitive(
    "cos", float_fn=math.cos, array_fn=np.cos,
    vjps=[lambda M, g, ans, x: -g * M.sin(x)], derivs=["-sin(x)"])
TAN = defprimitive(
    "tan", float_fn=math.tan, array_fn=np.tan,
    vjps=[lambda M, g, ans, x: g * (1 + ans * ans)], derivs=["1 + tan(x)**2"],
    domain="x != pi/2 + k*pi", sample=[(-1.2, 1.2)])
EXP = defprimitive(
    "exp", float_fn=math.exp, array_fn=np.exp,
    vjps=[lambda M, g, ans, x: g * ans], derivs=["exp(x)"])
LOG = defprimitive(
    "log", float_fn=math.log, array_fn=np.log,
    vjps=[lambda M, g, ans, x: g / x], derivs=["1/x"],
    domain="x > 0 (NaN with numpy's warning below 0, -inf at 0)", sample=[(0.2, 3.0)])
SQRT = defprimitive(
    "sqrt", float_fn=math.sqrt, array_fn=np.sqrt,
    vjps=[lambda M, g, ans, x: g * 0.5 / ans], derivs=["1/(2*sqrt(x))"],
    domain="x >= 0", kink="sqrt'(0) = +inf", sample=[(0.2, 3.0)], avoid=[0.0])
TANH = defprimitive(
    "tanh", float_fn=math.tanh, array_fn=np.tanh,
    vjps=[lambda M, g, ans, x: g * (1 - ans * ans)], derivs=["1 - tanh(x)**2"])
SIGMOID = defprimitive(
    "sigmoid", float_fn=_fsigmoid, array_fn=_asigmoid,
    vjps=[lambda M, g, ans, x: g * ans * (1 - ans)],
    derivs=["s*(1-s), s = sigmoid(x)"], vjp_text=["g * s*(1-s)"])
RELU = defprimitive(
    "relu", float_fn=_frelu, array_fn=_arelu,
    vjps=[lambda M, g, ans, x: g * (M.value(x) > 0)], derivs=["1 if x > 0 else 0"],
    vjp_text=["g * (x > 0)"], kink="relu'(0) = 0", avoid=[0.0])
ABS = defprimitive(
    "abs", float_fn=abs, array_fn=np.abs,
    vjps=[lambda M, g, ans, x: g * M.sign(M.value(x))], derivs=["sign(x)"],
    kink="|x|'(0) = 0", avoid=[0.0])
MAXIMUM = defprimitive(
    "maximum", float_fn=max, array_fn=np.maximum,
    vjps=[lambda M, g, ans, x, y: g * _tie_mask(M.value(x), M.value(y), True),
          lambda M, g, ans, x, y: g * _tie_mask(M.value(y), M.value(x), True)],
    inputs=("x", "y"), derivs=["1 if x > y else 0", "1 if y > x else 0"],
    kink="ties split the gradient equally (1/2 each)")
MINIMUM = defprimitive(
    "minimum", float_fn=min, array_fn=np.minimum,
    vjps=[lambda M, g, ans, x, y: g * _tie_mask(M.value(x), M.value(y), False),
          lambda M, g, ans, x, y: g * _tie_mask(M.value(y), M.value(x), False)],
    inputs=("x", "y"), derivs=["1 if x < y else 0", "1 if y < x else 0"],
    kink="ties split the gradient equally (1/2 each)")
WHERE = defprimitive(
    "where", array_fn=np.where,
    vjps=[None, lambda M, g, ans, c, x, y: M.where(c, g, 0),
          lambda M, g, ans, c, x, y: M.where(c, 0, g)],
    inputs=("cond", "x", "y"), expr="where(cond, x, y)",
    derivs=["(none: a condition)", "1 where cond else 0", "0 where cond else 1"],
    vjp_text=["", "where(cond, g, 0)", "where(cond, 0, g)"])
IDENTITY = defprimitive(
    "identity", float_fn=lambda x: x, array_fn=lambda x: x,
    vjps=[lambda M, g, ans, x: g], expr="x", derivs=["1"], vjp_text=["g"])
