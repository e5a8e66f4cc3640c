"""Differentiable counterparts of scipy.stats distributions: ``norm``, ``t``, ``gamma``,
``beta``, ``chi2``, ``poisson``, ``dirichlet``, ``multivariate_normal``.

Each has scipy's signature (``norm.logpdf(x, loc=0, scale=1)``, ``gamma.cdf(x, a, loc=0,
scale=1)``, ``poisson.logpmf(k, mu, loc=0)``...; ``loc`` and ``scale`` also by position
after the shape parameters, ``norm.pdf(x, 0.5, 2.0)``) and scipy's formulas, written with
chainrule's functions and :mod:`chainrule.scipy.special`, so the result is a Tensor (or
Scalar) differentiable in every argument the formula is differentiable in: the point, the
location and the scale always, shape parameters in the densities; the shape parameters
inside ``gammainc``, ``betainc`` and ``stdtr`` (the cdf and sf of gamma, chi2, beta and t)
are constants, and giving one that requires a gradient raises a TypeError.

Outside the support (x < loc for gamma and chi2, outside [loc, loc + scale] for beta) the
density is 0 (log-density -inf) and the cdf 0 or 1, as in scipy, with a zero gradient.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from ..core import Node
from ..ops.functions import FUNCTIONS as F
from . import special as sp

_exp, _log, _where = F["exp"], F["log"], F["where"]


def _raw(x: Any) -> Any:
    return x.value if isinstance(x, Node) else np.asarray(x, dtype=float)


def _standard(x: Any, loc: Any, scale: Any) -> Any:
    return (x - loc) / scale


def _outside(z: Any, low: float = 0.0, high: float | None = None) -> np.ndarray:
    zv = _raw(z)
    out = zv < low
    if high is not None:
        out = out | (zv > high)
    return out


def _inside(value: Any, z: Any, outside: np.ndarray, fill: float) -> Any:
    """``value`` where z is in the support, ``fill`` (a constant) elsewhere."""
    if not np.any(outside):
        return value
    return _where(outside, fill, value)


def _safe(z: Any, outside: np.ndarray, inside_point: float) -> Any:
    """``z`` with the points outside the support moved to a point inside, so the formula
    there stays finite (its value there is replaced afterwards)."""
    if not np.any(outside):
        return z
    return _where(outside, inside_point, z)


_UNSET: Any = object()     # loc/scale not given by keyword


class _Continuous:
    """pdf, cdf, sf and their logs from ``_logpdf(z, *shape)``, ``_cdf``, ``_sf`` on the
    standardized point ``z = (x - loc) / scale``."""

    support: tuple[float, float | None] = (-math.inf, None)
    inside_point = 0.5

    def _logpdf(self, z: Any, *shape: Any) -> Any:
        raise NotImplementedError

    def _cdf(self, z: Any, *shape: Any) -> Any:
        raise NotImplementedError

    def _sf(self, z: Any, *shape: Any) -> Any:
        return 1 - self._cdf(z, *shape)

    def _logcdf(self, z: Any, *shape: Any) -> Any:
        return _log(self._cdf(z, *shape))

    def _logsf(self, z: Any, *shape: Any) -> Any:
        return _log(self._sf(z, *shape))

    def _args(self, method: str, args: tuple, loc: Any, scale: Any
              ) -> tuple[tuple, Any, Any]:
        """scipy's positional order: the shape parameters, then ``loc``, then ``scale``
        (``norm.pdf(x, 1.0, 2.0)``, ``t.pdf(x, df, loc, scale)``). Raises TypeError for
        too many arguments or ``loc``/``scale`` given both ways."""
        n = len(inspect.signature(self._logpdf).parameters) - 1
        shape, rest = args[:n], args[n:]
        name = f"{type(self).__name__.lstrip('_').lower()}.{method}"
        if len(rest) > 2:
            raise TypeError(f"{name}: takes x, {n} shape parameter(s), loc and scale; got "
                            f"{len(args) + 1} positional arguments")
        for i, (given, what) in enumerate(((loc, "loc"), (scale, "scale"))):
            if len(rest) > i and given is not _UNSET:
                raise TypeError(f"{name}: {what} given both by position and by keyword")
        loc = rest[0] if rest else (0.0 if loc is _UNSET else loc)
        scale = rest[1] if len(rest) > 1 else (1.0 if scale is _UNSET else scale)
        return shape, loc, scale

    def _prepare(self, x: Any, loc: Any, scale: Any) -> tuple[Any, np.ndarray]:
        z = _standard(x, loc, scale)
        low, high = self.support
        out = _outside(z, low, high)
        return _safe(z, out, self.inside_point), out

    def logpdf(self, x: Any, *args: Any, loc: Any = _UNSET, scale: Any = _UNSET) -> Any:
        """The log-density at ``x`` (-inf outside the support)."""
        shape, loc, scale = self._args("logpdf", args, loc, scale)
        z, out = self._prepare(x, loc, scale)
        return _inside(self._logpdf(z, *shape) - _log(scale), z, out, -np.inf)

    def pdf(self, x: Any, *args: Any, loc: Any = _UNSET, scale: Any = _UNSET) -> Any:
        """The density at ``x`` (0 outside the support)."""
        shape, loc, scale = self._args("pdf", args, loc, scale)
        z, out = self._prepare(x, loc, scale)
        return _inside(_exp(self._logpdf(z, *shape)) / scale, z, out, 0.0)

    def _tails(self, x: Any, loc: Any, scale: Any) -> tuple[Any, np.ndarray, np.ndarray]:
        raw_z = _raw(_standard(x, loc, scale))
        low, high = self.support
        below = raw_z < low
        above = raw_z > high if high is not None else np.zeros(np.shape(raw_z), bool)
        z, _ = self._prepare(x, loc, scale)
        return z, below, above

    def _tailed(self, value: Any, below: np.ndarray, above: np.ndarray, lo: float,
                hi: float) -> Any:
        if np.any(below):
            value = _where(below, lo, value)
        if np.any(above):
            value = _where(above, hi, value)
        return value

    def cdf(self, x: Any, *args: Any, loc: Any = _UNSET, scale: Any = _UNSET) -> Any:
        """P(X <= x)."""
        shape, loc, scale = self._args("cdf", args, loc, scale)
        z, below, above = self._tails(x, loc, scale)
        return self._tailed(self._cdf(z, *shape), below, above, 0.0, 1.0)

    def logcdf(self, x: Any, *args: Any, loc: Any = _UNSET, scale: Any = _UNSET) -> Any:
        """log P(X <= x)."""
        shape, loc, scale = self._args("logcdf", args, loc, scale)
        z, below, above = self._tails(x, loc, scale)
        return self._tailed(self._logcdf(z, *shape), below, above, -np.inf, 0.0)

    def sf(self, x: Any, *args: Any, loc: Any = _UNSET, scale: Any = _UNSET) -> Any:
        """P(X > x) = 1 - cdf(x), computed directly where a formula exists."""
        shape, loc, scale = self._args("sf", args, loc, scale)
        z, below, above = self._tails(x, loc, scale)
        return self._tailed(self._sf(z, *shape), below, above, 1.0, 0.0)

    def logsf(self, x: Any, *args: Any, loc: Any = _UNSET, scale: Any = _UNSET) -> Any:
        """log P(X > x)."""
        shape, loc, scale = self._args("logsf", args, loc, scale)
        z, below, above = self._tails(x, loc, scale)
        return self._tailed(self._logsf(z, *shape), below, above, 0.0, -np.inf)


class _Norm(_Continuous):
    """The normal distribution ``norm(loc, scale)``."""

    def _logpdf(self, z: Any) -> Any:
        return -z * z / 2 - 0.5 * math.log(2 * math.pi)

    def _cdf(self, z: Any) -> Any:
        return sp.ndtr(z)

    def _sf(self, z: Any) -> Any:
        return sp.ndtr(-z)

    def _logcdf(self, z: Any) -> Any:
        return sp.log_ndtr(z)

    def _logsf(self, z: Any) -> Any:
        return sp.log_ndtr(-z)


class _T(_Continuous):
    """Student's t distribution ``t(df, loc, scale)``; ``df`` is differentiable in the
    density, a constant in cdf and sf."""

    def _logpdf(self, z: Any, df: Any) -> Any:
        return (sp.gammaln((df + 1) / 2) - sp.gammaln(df / 2)
                - 0.5 * (_log(df) + math.log(math.pi))
                - (df + 1) / 2 * sp.log1p(z * z / df))

    def _cdf(self, z: Any, df: Any) -> Any:
        return sp.stdtr(df, z)

    def _sf(self, z: Any, df: Any) -> Any:
        return sp.stdtr(df, -z)


class _Gamma(_Continuous):
    """The gamma distribution ``gamma(a, loc, scale)``, x >= loc."""

    support = (0.0, None)
    inside_point = 1.0

    def _logpdf(self, z: Any, a: Any) -> Any:
        return sp.xlogy(a - 1.0, z) - z - sp.gammaln(a)

    def _cdf(self, z: Any, a: Any) -> Any:
        return sp.gammainc(a, z)

    def _sf(self, z: Any, a: Any) -> Any:
        return sp.gammaincc(a, z)


class _Chi2(_Continuous):
    """The chi-squared distribution ``chi2(df, loc, scale)``, x >= loc."""

    support = (0.0, None)
    inside_point = 1.0

    def _logpdf(self, z: Any, df: Any) -> Any:
        return sp.xlogy(df / 2.0 - 1, z) - z / 2.0 - sp.gammaln(df / 2.0) \
            - math.log(2) * df / 2.0

    def _cdf(self, z: Any, df: Any) -> Any:
        return sp.gammainc(df / 2.0, z / 2.0)

    def _sf(self, z: Any, df: Any) -> Any:
        return sp.gammaincc(df / 2.0, z / 2.0)


class _Beta(_Continuous):
    """The beta distribution ``beta(a, b, loc, scale)``, loc <= x <= loc + scale."""

    support = (0.0, 1.0)

    def _logpdf(self, z: Any, a: Any, b: Any) -> Any:
        return sp.xlog1py(b - 1.0, -z) + sp.xlogy(a - 1.0, z) - sp.betaln(a, b)

    def _cdf(self, z: Any, a: Any, b: Any) -> Any:
        return sp.betainc(a, b, z)

    def _sf(self, z: Any, a: Any, b: Any) -> Any:
        return sp.betaincc(a, b, z)


class _Poisson:
    """The Poisson distribution ``poisson(mu, loc)``: pmf, logpmf, cdf, logcdf, sf, logsf
    at integers ``k``, differentiable in ``mu``."""

    def logpmf(self, k: Any, mu: Any, loc: Any = 0) -> Any:
        """log P(K = k) (-inf where k is not a non-negative integer)."""
        kv = np.asarray(_raw(k)) - _raw(loc)
        ok = (kv >= 0) & (kv == np.floor(kv))
        kk = np.where(ok, kv, 0.0)
        value = sp.xlogy(kk, mu) - sp.gammaln(kk + 1) - mu
        return _inside(value, kk, ~ok, -np.inf)

    def pmf(self, k: Any, mu: Any, loc: Any = 0) -> Any:
        """P(K = k)."""
        return _exp(self.logpmf(k, mu, loc))

    def _k(self, k: Any, loc: Any) -> tuple[np.ndarray, np.ndarray]:
        kv = np.floor(np.asarray(_raw(k)) - _raw(loc))
        return np.where(kv >= 0, kv, 0.0), kv < 0

    def cdf(self, k: Any, mu: Any, loc: Any = 0) -> Any:
        """P(K <= k) = gammaincc(floor(k) + 1, mu)."""
        kk, below = self._k(k, loc)
        return _inside(sp.gammaincc(kk + 1, mu), kk, below, 0.0)

    def sf(self, k: Any, mu: Any, loc: Any = 0) -> Any:
        """P(K > k) = gammainc(floor(k) + 1, mu)."""
        kk, below = self._k(k, loc)
        return _inside(sp.gammainc(kk + 1, mu), kk, below, 1.0)

    def logcdf(self, k: Any, mu: Any, loc: Any = 0) -> Any:
        """log P(K <= k) (-inf below 0)."""
        kk, below = self._k(k, loc)
        return _inside(_log(sp.gammaincc(kk + 1, mu)), kk, below, -np.inf)

    def logsf(self, k: Any, mu: Any, loc: Any = 0) -> Any:
        """log P(K > k)."""
        return _log(self.sf(k, mu, loc))


class _Dirichlet:
    """The Dirichlet distribution ``dirichlet(alpha)``: ``x`` of shape (K,) or (K, N)
    (components along the first axis, as scipy), differentiable in ``x`` and ``alpha``."""

    def logpdf(self, x: Any, alpha: Any) -> Any:
        """The log-density: shape () for one point, (N,) for N points. Raises ValueError
        if ``alpha`` is not a vector matching ``x``'s first axis."""
        a_shape, x_shape = np.shape(_raw(alpha)), np.shape(_raw(x))
        if len(a_shape) != 1 or not x_shape or x_shape[0] != a_shape[0]:
            raise ValueError(f"dirichlet: alpha must be a vector of the length of x's first "
                             f"axis; got alpha {a_shape}, x {x_shape}")
        if len(x_shape) > 1:
            alpha = F["reshape"](alpha, a_shape + (1,) * (len(x_shape) - 1))
        lnb = F["sum"](sp.gammaln(alpha), axis=0) - sp.gammaln(F["sum"](alpha, axis=0))
        return F["sum"](sp.xlogy(alpha - 1, x), axis=0) - lnb

    def pdf(self, x: Any, alpha: Any) -> Any:
        """The density (see :meth:`logpdf`)."""
        return _exp(self.logpdf(x, alpha))


class _MultivariateNormal:
    """The multivariate normal ``multivariate_normal(mean, cov)``: pdf, logpdf at ``x`` of
    shape (k,) or (N, k), and entropy, differentiable in ``x``, ``mean`` and ``cov``
    (through its Cholesky factor; the gradient in ``cov`` is symmetric). ``cov`` must be
    positive definite (numpy's LinAlgError otherwise) unless ``allow_singular=True``: then,
    as scipy, a singular ``cov`` gives the degenerate density on the subspace its
    eigenvectors span, with the pseudo-determinant and the pseudo-inverse (eigenvalues at
    most ``1e6 * eps * max|eigenvalue|`` count as zero) and -inf off that subspace. That
    density is differentiable in ``x`` and ``mean``; a gradient in a singular ``cov`` is
    refused (TypeError). The cdf (a numerical integral in scipy) is not offered."""

    def _params(self, x: Any, mean: Any, cov: Any, what: str) -> tuple[int, Any, Any]:
        k = (np.shape(_raw(x))[-1] if np.ndim(_raw(x)) else 1) if x is not None else \
            (np.shape(_raw(mean))[-1] if mean is not None and np.ndim(_raw(mean)) else
             np.shape(_raw(cov))[-1] if np.ndim(_raw(cov)) == 2 else 1)
        if mean is None:
            mean = np.zeros(k)
        if np.ndim(_raw(cov)) < 2:
            cov = cov * np.eye(k)
        if np.shape(_raw(cov)) != (k, k) or np.shape(_raw(mean))[-1:] not in ((k,), ()):
            raise ValueError(f"multivariate_normal.{what}: {k} components but mean has shape "
                             f"{np.shape(_raw(mean))} and cov {np.shape(_raw(cov))}")
        return k, mean, cov

    @staticmethod
    def _spectrum(cov: Any, what: str) -> tuple[np.ndarray, np.ndarray, float]:
        """scipy's reading of a symmetric positive semidefinite ``cov``: its eigenvalues,
        eigenvectors and the cutoff below which an eigenvalue counts as zero. Raises
        ValueError when ``cov`` has a clearly negative eigenvalue, as scipy does."""
        s, u = np.linalg.eigh(np.asarray(_raw(cov), dtype=float))
        eps = 1e6 * np.finfo(float).eps * float(np.max(np.abs(s)))
        if np.min(s) < -eps:
            raise ValueError(f"multivariate_normal.{what}: cov must be symmetric positive "
                             f"semidefinite; it has the eigenvalue {np.min(s):.3g}")
        return s, u, eps

    @staticmethod
    def _refuse_singular_gradient(cov: Any, what: str, rank: int, k: int) -> None:
        if isinstance(cov, Node) and cov.needs:
            raise TypeError(f"multivariate_normal.{what}: no gradient with respect to a "
                            f"singular cov (rank {rank} of {k}, allow_singular=True); give "
                            f"cov as a constant, or a positive definite one")

    def logpdf(self, x: Any, mean: Any = None, cov: Any = 1.0,
               allow_singular: bool = False) -> Any:
        """The log-density: shape () for one point, (N,) for N points. Raises ValueError
        when the shapes of ``x``, ``mean`` and ``cov`` disagree, LinAlgError for a
        singular ``cov`` unless ``allow_singular=True``, TypeError for a gradient in a
        singular ``cov``."""
        from . import linalg
        k, mean, cov = self._params(x, mean, cov, "logpdf")
        diff = x - mean
        if allow_singular:
            s, u, eps = self._spectrum(cov, "logpdf")
            keep = s > eps
            rank = int(np.sum(keep))
            if rank < k:
                self._refuse_singular_gradient(cov, "logpdf", rank, k)
                whiten = u[:, keep] / np.sqrt(s[keep])
                z = F["matmul"](diff, whiten)
                maha = F["sum"](z * z, axis=-1)
                out = -0.5 * (rank * math.log(2 * math.pi) + float(np.sum(np.log(s[keep])))
                              + maha)
                residual = np.linalg.norm(np.asarray(_raw(diff)) @ u[:, ~keep], axis=-1)
                return _inside(out, out, residual >= 1e3 * eps, -np.inf)
        low = linalg.cholesky(cov, lower=True)
        z = linalg.solve_triangular(low, F["transpose"](diff) if np.ndim(_raw(diff)) > 1
                                    else diff, lower=True)
        maha = F["sum"](z * z, axis=0)
        logdet = 2 * F["sum"](_log(low[np.arange(k), np.arange(k)]))
        return -0.5 * (k * math.log(2 * math.pi) + logdet + maha)

    def pdf(self, x: Any, mean: Any = None, cov: Any = 1.0,
            allow_singular: bool = False) -> Any:
        """The density (see :meth:`logpdf`)."""
        return _exp(self.logpdf(x, mean, cov, allow_singular))

    def entropy(self, mean: Any = None, cov: Any = 1.0) -> Any:
        """The differential entropy ``(rank (log(2 pi) + 1) + log pdet(cov)) / 2``, shape
        (); it does not depend on ``mean`` (a zero gradient there). As scipy, a singular
        ``cov`` is allowed (the pseudo-determinant over its rank); a gradient in a
        singular ``cov`` is refused (TypeError)."""
        from . import linalg
        k, mean, cov = self._params(None, mean, cov, "entropy")
        s, _, eps = self._spectrum(cov, "entropy")
        rank = int(np.sum(s > eps))
        if rank < k:
            self._refuse_singular_gradient(cov, "entropy", rank, k)
            return 0.5 * (rank * (math.log(2 * math.pi) + 1) + float(np.sum(np.log(s[s > eps]))))
        low = linalg.cholesky(cov, lower=True)
        logdet = 2 * F["sum"](_log(low[np.arange(k), np.arange(k)]))
        return 0.5 * (k * (math.log(2 * math.pi) + 1) + logdet)


norm = _Norm()
multivariate_normal = _MultivariateNormal()
t = _T()
gamma = _Gamma()
chi2 = _Chi2()
beta = _Beta()
poisson = _Poisson()
dirichlet = _Dirichlet()

__all__ = ["beta", "chi2", "dirichlet", "gamma", "multivariate_normal", "norm", "poisson",
           "t"]
