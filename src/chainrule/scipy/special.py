"""scipy.special's functions with derivative rules: ``erf``, ``gammaln``, ``digamma``...

Importing this module makes scipy.special's ufuncs differentiable on Tensors (numpy's
``__array_ufunc__``: ``scipy.special.gammaln(t)`` returns a recorded Tensor) and offers
each function here, for Tensors, Scalars, numbers and arrays alike. Values are scipy's
own; each derivative is written with these same functions, so second derivatives work.

Only some arguments have a derivative: the order ``n`` or ``v`` of ``polygamma``, ``iv``,
``ive``, ``jv`` (and ``jn``), ``yn``, the shape ``a`` of ``gammainc`` / ``gammaincc`` and
``a``, ``b`` of ``betainc`` are constants; giving a Tensor that requires a gradient there
raises a TypeError naming the argument. Awkward points: ``gammaln``, ``digamma`` and ``gamma`` have
poles at 0, -1, -2, ... where value and derivative are infinite (scipy's inf, or nan where
the sign is undefined); ``rgamma`` is 0 at those points and its derivative there is the
finite limit ``(-1)**n * n!``; ``logit`` is -inf / +inf at 0 / 1 with an infinite
derivative, ``erfinv`` at -1 / 1 likewise; ``gammasgn`` is piecewise constant (derivative
0 between the poles).

The ufuncs these rules hand to: this module's primitives are not entered in the rule table
(they appear in no generated list), so importing it never changes ``chainrule functions``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.special as sc

from ..core import Node
from ..ops.functions import FUNCTIONS
from ..ops.numpy_api import answer
from ..primitive import Primitive, apply

_SQRT_PI_2 = math.sqrt(math.pi) / 2
_2_SQRT_PI = 2 / math.sqrt(math.pi)


def _constant_arg(fn_name: str, arg: str) -> Callable[..., Any]:
    def refuse(M: Any, g: Any, ans: Any, *args: Any) -> Any:
        raise TypeError(f"scipy.special.{fn_name}: no derivative with respect to {arg}; "
                        f"give it as a constant")
    return refuse


def _op(name: str, ufunc: Any, vjps: Sequence[Any], inputs: Sequence[str],
        derivs: Sequence[str], constant: Sequence[str] = (), **spec: Any) -> Primitive:
    """One elementwise op of scipy.special, outside the rule table. ``constant`` names the
    inputs without a derivative (their rules raise)."""
    rules = [_constant_arg(name, arg) if arg in constant else rule
             for arg, rule in zip(inputs, vjps)]
    return Primitive(name, array_fn=ufunc, float_fn=lambda *xs: float(ufunc(*xs)),
                     vjps=rules, jvps=rules,  # elementwise: the VJP rule is the JVP rule
                     inputs=inputs, derivs=derivs, elementwise=True, numpy=(ufunc,),
                     kind={1: "unary", 2: "binary"}.get(len(inputs), "custom"), **spec)


def _f(prim: Primitive) -> Callable[..., Any]:
    return lambda *args: apply(prim, *args)


# -- the error function ------------------------------------------------------------------------
ERF = _op("erf", sc.erf, [lambda M, g, ans, x: g * _2_SQRT_PI * M.exp(-x * x)], ("x",),
          ["2/sqrt(pi) * exp(-x**2)"], complex=True)
ERFC = _op("erfc", sc.erfc, [lambda M, g, ans, x: -g * _2_SQRT_PI * M.exp(-x * x)], ("x",),
           ["-2/sqrt(pi) * exp(-x**2)"], complex=True)
ERFINV = _op("erfinv", sc.erfinv, [lambda M, g, ans, x: g * _SQRT_PI_2 * M.exp(ans * ans)],
             ("x",), ["sqrt(pi)/2 * exp(erfinv(x)**2)"], domain="-1 <= x <= 1")
ERFCINV = _op("erfcinv", sc.erfcinv,
              [lambda M, g, ans, x: -g * _SQRT_PI_2 * M.exp(ans * ans)], ("x",),
              ["-sqrt(pi)/2 * exp(erfcinv(x)**2)"], domain="0 <= x <= 2")

# -- gamma and friends -------------------------------------------------------------------------
POLYGAMMA = _op("polygamma", lambda n, x: sc.polygamma(n, x),
                [None, lambda M, g, ans, n, x: g * polygamma(n + 1, x)], ("n", "x"),
                ["(none: an order)", "polygamma(n + 1, x)"], constant=("n",))
DIGAMMA = _op("digamma", sc.digamma, [lambda M, g, ans, x: g * polygamma(1, x)], ("x",),
              ["polygamma(1, x)"], domain="x not in 0, -1, -2, ...")
GAMMALN = _op("gammaln", sc.gammaln, [lambda M, g, ans, x: g * digamma(x)], ("x",),
              ["digamma(x)"], domain="x not in 0, -1, -2, ... (log|gamma(x)|)")
GAMMA = _op("gamma", sc.gamma, [lambda M, g, ans, x: g * ans * digamma(x)], ("x",),
            ["gamma(x) * digamma(x)"], domain="x not in 0, -1, -2, ...")
GAMMASGN = _op("gammasgn", sc.gammasgn, [lambda M, g, ans, x: g * 0.0], ("x",), ["0"],
               kink="0 between the poles; undefined at 0, -1, -2, ...")


def _rgamma_vjp(M: Any, g: Any, ans: Any, x: Any) -> Any:
    # -digamma(x)/gamma(x) is 0 * inf at the poles of gamma; the limit there is (-1)**n n!
    xv = M.value(x)
    pole = (np.asarray(xv) <= 0) & (np.asarray(xv) == np.round(xv))
    if not np.any(pole):
        return g * (-ans * digamma(x))
    n = -np.round(np.asarray(xv, dtype=float))
    limit = np.where(pole, (-1.0) ** n * sc.gamma(n + 1), 0.0)
    safe = M.where(pole, 1.5, x)
    return g * M.where(pole, limit, -ans * digamma(safe))


RGAMMA = _op("rgamma", sc.rgamma, [_rgamma_vjp], ("x",), ["-digamma(x) / gamma(x)"])
BETA = _op("beta", sc.beta,
           [lambda M, g, ans, a, b: g * ans * (digamma(a) - digamma(a + b)),
            lambda M, g, ans, a, b: g * ans * (digamma(b) - digamma(a + b))], ("a", "b"),
           ["beta(a, b) * (digamma(a) - digamma(a + b))",
            "beta(a, b) * (digamma(b) - digamma(a + b))"])
BETALN = _op("betaln", sc.betaln,
             [lambda M, g, ans, a, b: g * (digamma(a) - digamma(a + b)),
              lambda M, g, ans, a, b: g * (digamma(b) - digamma(a + b))], ("a", "b"),
             ["digamma(a) - digamma(a + b)", "digamma(b) - digamma(a + b)"])


def _gammainc_dx(M: Any, g: Any, ans: Any, a: Any, x: Any) -> Any:
    return g * M.exp(-x + (a - 1) * M.log(x) - gammaln(a))


GAMMAINC = _op("gammainc", sc.gammainc, [None, _gammainc_dx], ("a", "x"),
               ["(none: a shape)", "exp(-x) * x**(a-1) / gamma(a)"], constant=("a",),
               domain="a > 0, x >= 0")
GAMMAINCC = _op("gammaincc", sc.gammaincc,
                [None, lambda M, g, ans, a, x: -_gammainc_dx(M, g, ans, a, x)], ("a", "x"),
                ["(none: a shape)", "-exp(-x) * x**(a-1) / gamma(a)"], constant=("a",),
                domain="a > 0, x >= 0")
_BETAINC_RULES = [
    _constant_arg("betainc", "a"), _constant_arg("betainc", "b"),
    lambda M, g, ans, a, b, x: g * M.exp((a - 1) * M.log(x) + (b - 1) * M.log(1 - x)
                                         - betaln(a, b))]
BETAINC = Primitive(
    "betainc", array_fn=sc.betainc, float_fn=lambda a, b, x: float(sc.betainc(a, b, x)),
    vjps=_BETAINC_RULES, jvps=_BETAINC_RULES,
    inputs=("a", "b", "x"), derivs=["(none)", "(none)", "x**(a-1) (1-x)**(b-1) / B(a, b)"],
    kind="custom", elementwise=True, numpy=(sc.betainc,), domain="a, b > 0, 0 <= x <= 1")

BETAINCC = _op("betaincc", sc.betaincc, [None, None, lambda M, g, ans, a, b, x: -g * M.exp(
    (a - 1) * M.log(x) + (b - 1) * M.log(1 - x) - betaln(a, b))], ("a", "b", "x"),
    ["(none)", "(none)", "-x**(a-1) (1-x)**(b-1) / B(a, b)"], constant=("a", "b"),
    domain="a, b > 0, 0 <= x <= 1")

# -- logarithms and the normal and Student t distribution functions ------------------------------
LOG1P = _op("log1p", sc.log1p, [lambda M, g, ans, x: g / (1 + x)], ("x",), ["1 / (1 + x)"],
            domain="x > -1")
XLOGY = _op("xlogy", sc.xlogy, [lambda M, g, ans, x, y: g * M.log(y),
                                lambda M, g, ans, x, y: g * x / y], ("x", "y"),
            ["log(y)", "x / y"], domain="y > 0 (0 where x == 0)")
XLOG1PY = _op("xlog1py", sc.xlog1py, [lambda M, g, ans, x, y: g * log1p(y),
                                      lambda M, g, ans, x, y: g * x / (1 + y)], ("x", "y"),
              ["log1p(y)", "x / (1 + y)"], domain="y > -1 (0 where x == 0)")
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
NDTR = _op("ndtr", sc.ndtr, [lambda M, g, ans, x: g * M.exp(-x * x / 2 - _LOG_SQRT_2PI)],
           ("x",), ["exp(-x**2/2) / sqrt(2 pi)"])
LOG_NDTR = _op("log_ndtr", sc.log_ndtr, [lambda M, g, ans, x: g * M.exp(
    -x * x / 2 - _LOG_SQRT_2PI - ans)], ("x",), ["exp(-x**2/2) / sqrt(2 pi) / ndtr(x)"])


def _stdtr_dx(M: Any, g: Any, ans: Any, df: Any, x: Any) -> Any:
    log_pdf = (gammaln((df + 1) / 2) - gammaln(df / 2) - 0.5 * M.log(df * math.pi)
               - (df + 1) / 2 * log1p(x * x / df))
    return g * M.exp(log_pdf)


STDTR = _op("stdtr", sc.stdtr, [None, _stdtr_dx], ("df", "x"),
            ["(none: degrees of freedom)", "the t density at x"], constant=("df",))

# -- the logistic function ---------------------------------------------------------------------
EXPIT = _op("expit", sc.expit, [lambda M, g, ans, x: g * ans * (1 - ans)], ("x",),
            ["expit(x) * (1 - expit(x))"])
LOGIT = _op("logit", sc.logit, [lambda M, g, ans, x: g / (x * (1 - x))], ("x",),
            ["1 / (x (1 - x))"], domain="0 < x < 1 (-inf, +inf at 0, 1)")

# -- Bessel functions --------------------------------------------------------------------------
IV = _op("iv", sc.iv, [None, lambda M, g, ans, v, x: g * (iv(v - 1, x) + iv(v + 1, x)) / 2],
         ("v", "x"), ["(none: an order)", "(iv(v-1, x) + iv(v+1, x)) / 2"], constant=("v",))
IVE = _op("ive", sc.ive,
          [None, lambda M, g, ans, v, x:
           g * ((ive(v - 1, x) + ive(v + 1, x)) / 2 - M.sign(M.value(x)) * ans)],
          ("v", "x"), ["(none: an order)", "(ive(v-1, x) + ive(v+1, x))/2 - sign(x) ive(v, x)"],
          constant=("v",))
I0 = _op("i0", sc.i0, [lambda M, g, ans, x: g * i1(x)], ("x",), ["i1(x)"])
I1 = _op("i1", sc.i1, [lambda M, g, ans, x: g * (i0(x) + iv(2.0, x)) / 2], ("x",),
         ["(i0(x) + iv(2, x)) / 2"])
JV = _op("jv", sc.jv, [None, lambda M, g, ans, v, x: g * (jv(v - 1, x) - jv(v + 1, x)) / 2],
         ("v", "x"), ["(none: an order)", "(jv(v-1, x) - jv(v+1, x)) / 2"], constant=("v",))
J0 = _op("j0", sc.j0, [lambda M, g, ans, x: -g * j1(x)], ("x",), ["-j1(x)"])
J1 = _op("j1", sc.j1, [lambda M, g, ans, x: g * (j0(x) - jv(2.0, x)) / 2], ("x",),
         ["(j0(x) - jv(2, x)) / 2"])
YN = _op("yn", sc.yn, [None, lambda M, g, ans, n, x: g * (yn(n - 1, x) - yn(n + 1, x)) / 2],
         ("n", "x"), ["(none: an order)", "(yn(n-1, x) - yn(n+1, x)) / 2"], constant=("n",),
         domain="x > 0")
Y0 = _op("y0", sc.y0, [lambda M, g, ans, x: -g * y1(x)], ("x",), ["-y1(x)"], domain="x > 0")
Y1 = _op("y1", sc.y1, [lambda M, g, ans, x: g * (y0(x) - yn(2, x)) / 2], ("x",),
         ["(y0(x) - yn(2, x)) / 2"], domain="x > 0")

_CONSTANT_FIRST = {"polygamma": "n", "gammainc": "a", "gammaincc": "a", "iv": "v", "ive": "v",
                   "jv": "v", "yn": "n", "stdtr": "df"}


def _function(prim: Primitive) -> Callable[..., Any]:
    constant = _CONSTANT_FIRST.get(prim.name)

    def call(*args: Any) -> Any:
        if len(args) != prim.n_inputs:
            raise TypeError(f"scipy.special.{prim.name} takes {prim.n_inputs} argument(s) "
                            f"({', '.join(prim.inputs)}), got {len(args)}")
        fixed = ((0, constant),) if constant else ((0, "a"), (1, "b")) \
            if prim.name in ("betainc", "betaincc") else ()
        for i, arg in fixed:
            if isinstance(args[i], Node) and args[i].needs:
                raise TypeError(f"scipy.special.{prim.name}: no derivative with respect to "
                                f"{arg} (argument {i}); give it as a constant")
        return apply(prim, *args)

    call.__name__ = prim.name
    call.__doc__ = (f"scipy.special.{prim.name}({', '.join(prim.inputs)}), differentiable: "
                    f"d/d{prim.inputs[-1]} = {prim.derivs[-1]}.")
    return call


_PRIMS = [ERF, ERFC, ERFINV, ERFCINV, POLYGAMMA, DIGAMMA, GAMMALN, GAMMA, GAMMASGN, RGAMMA,
          BETA, BETALN, GAMMAINC, GAMMAINCC, BETAINC, BETAINCC, LOG1P, XLOGY, XLOG1PY, NDTR,
          LOG_NDTR, STDTR, EXPIT, LOGIT, IV, IVE, I0, I1, JV, J0, J1, YN, Y0, Y1]
_CALLS = {p.name: _function(p) for p in _PRIMS}
erf: Callable[..., Any] = _CALLS["erf"]
erfc: Callable[..., Any] = _CALLS["erfc"]
erfinv: Callable[..., Any] = _CALLS["erfinv"]
erfcinv: Callable[..., Any] = _CALLS["erfcinv"]
digamma: Callable[..., Any] = _CALLS["digamma"]
gammaln: Callable[..., Any] = _CALLS["gammaln"]
gamma: Callable[..., Any] = _CALLS["gamma"]
gammasgn: Callable[..., Any] = _CALLS["gammasgn"]
rgamma: Callable[..., Any] = _CALLS["rgamma"]
beta: Callable[..., Any] = _CALLS["beta"]
betaln: Callable[..., Any] = _CALLS["betaln"]
betainc: Callable[..., Any] = _CALLS["betainc"]
gammainc: Callable[..., Any] = _CALLS["gammainc"]
gammaincc: Callable[..., Any] = _CALLS["gammaincc"]
expit: Callable[..., Any] = _CALLS["expit"]
logit: Callable[..., Any] = _CALLS["logit"]
iv: Callable[..., Any] = _CALLS["iv"]
ive: Callable[..., Any] = _CALLS["ive"]
i0: Callable[..., Any] = _CALLS["i0"]
i1: Callable[..., Any] = _CALLS["i1"]
jv: Callable[..., Any] = _CALLS["jv"]
j0: Callable[..., Any] = _CALLS["j0"]
j1: Callable[..., Any] = _CALLS["j1"]
yn: Callable[..., Any] = _CALLS["yn"]
y0: Callable[..., Any] = _CALLS["y0"]
y1: Callable[..., Any] = _CALLS["y1"]
betaincc: Callable[..., Any] = _CALLS["betaincc"]
log1p: Callable[..., Any] = _CALLS["log1p"]
xlogy: Callable[..., Any] = _CALLS["xlogy"]
xlog1py: Callable[..., Any] = _CALLS["xlog1py"]
ndtr: Callable[..., Any] = _CALLS["ndtr"]
log_ndtr: Callable[..., Any] = _CALLS["log_ndtr"]
stdtr: Callable[..., Any] = _CALLS["stdtr"]
psi = digamma


def jn(n: Any, x: Any) -> Any:
    """scipy.special.jn(n, x): the Bessel function of the first kind of integer order
    ``n`` (scipy's ``jn`` is ``jv`` itself), differentiable in ``x``: d/dx = (jn(n-1, x)
    - jn(n+1, x)) / 2. ``n`` is a constant."""
    return jv(n, x)


_polygamma = _CALLS["polygamma"]


def polygamma(n: Any, x: Any) -> Any:
    """scipy.special.polygamma(n, x), differentiable in ``x``: d/dx = polygamma(n + 1, x).
    ``n`` (an integer order) is a constant."""
    return _polygamma(n, x)


def multigammaln(a: Any, d: int) -> Any:
    """scipy.special.multigammaln(a, d): log of the multivariate gamma function of
    dimension ``d`` (an int), ``d(d-1)/4 log(pi) + sum_j gammaln(a + (1 - j)/2)``,
    differentiable in ``a``. Raises ValueError where scipy does (a <= (d - 1)/2)."""
    d = int(d)
    av = np.asarray(a.value if isinstance(a, Node) else a)
    if np.any(av <= (d - 1) / 2):
        raise ValueError(f"multigammaln: a must be > (d-1)/2 = {(d - 1) / 2}")
    total: Any = d * (d - 1) / 4 * math.log(math.pi)
    for j in range(1, d + 1):
        total = total + gammaln(a + (1 - j) / 2)
    return total


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Any:
    """scipy.special.logsumexp: ``log(sum(b * exp(a)))`` over ``axis``, computed stably,
    differentiable in ``a`` (and in ``b`` where ``b > 0``). Raises ValueError for
    ``return_sign=True`` or a negative ``b`` (a sign chainrule does not differentiate)."""
    if return_sign:
        raise ValueError("logsumexp: return_sign=True is not supported (no derivative of "
                         "the sign); keep b >= 0")
    lse = FUNCTIONS["logsumexp"]
    if b is None:
        return lse(a, axis=axis, keepdims=keepdims)
    bv = np.asarray(b.value if isinstance(b, Node) else b)
    if np.any(bv < 0):
        raise ValueError("logsumexp: b < 0 is not supported (the result's sign would be "
                         "needed); keep b >= 0")
    log = FUNCTIONS["log"]
    with np.errstate(divide="ignore"):
        logb = log(b) if isinstance(b, Node) else np.log(bv)
    return lse(a + logb, axis=axis, keepdims=keepdims)


for _p in _PRIMS:
    if _p.name != "polygamma":          # polygamma is a Python function in scipy, not a ufunc
        answer(_p, _CALLS[_p.name])

__all__ = ["beta", "betainc", "betaincc", "betaln", "log1p", "log_ndtr", "ndtr", "stdtr",
           "xlog1py", "xlogy", "digamma", "erf", "erfc", "erfcinv", "erfinv", "expit",
           "gamma", "gammainc", "gammaincc", "gammaln", "gammasgn", "i0", "i1", "iv", "ive",
           "j0", "j1", "jn", "jv", "logit", "logsumexp", "multigammaln", "polygamma", "psi",
           "rgamma", "y0", "y1", "yn"]
