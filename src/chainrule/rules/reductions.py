"""Reductions and normalizations: sum, mean, max, min, logsumexp, softmax, log_softmax, norm.

Axis parameters are always stored as a tuple of *negative* axes (the public functions
normalize them), so a rule addresses the same axes whether or not the cotangent carries
leading batch axes.
"""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np

from ..math_namespaces import kept_shape
from ..primitive import apply, defprimitive, reduction
from .complex import conjugate, real_part
from .linalg_decomp import SVD, svd_shapes, unpack

_add_reduce: Any = np.add.reduce  # what ndarray.sum calls, without its Python layer


def _kept(M, g, ans, x, axes, keepdims):
    """``g`` reshaped to broadcast against ``x``: reduced axes of size 1, batch axes kept."""
    if keepdims:
        return g
    lead = g.ndim - ans.ndim
    return M.reshape(g, g.shape[:lead] + kept_shape(x.shape, axes))


def _kept_value(M, ans, x, axes, keepdims):
    """The op's output reshaped to broadcast against ``x`` (no batch axes)."""
    return ans if keepdims else M.reshape(ans, kept_shape(x.shape, axes))


def _shapes_only(vjp):
    """Mark a VJP that reads the values of ``g`` alone (of ``ans`` and the inputs only their
    shapes and dtypes): given a constant ``g``, such as the seed of a backward pass, its
    result is the same at every call, so ``cr.compile`` computes it once."""
    vjp.shapes_only = True
    return vjp


@_shapes_only
def _spread(M, g, ans, x, axes, keepdims):
    lead = g.ndim - ans.ndim
    if ans.ndim == 0:                   # everything was summed: g broadcasts as it is
        return M.broadcast_to(M.reshape(g, g.shape + (1,) * x.ndim) if lead else g,
                              g.shape[:lead] + x.shape)
    return M.broadcast_to(_kept(M, g, ans, x, axes, keepdims), g.shape[:lead] + x.shape)


def _arg_mask(M, ans, x, axes, keepdims):
    """1/k at each of the k positions attaining the reduced extreme: ties split equally."""
    xv = M.value(x)
    kept = np.reshape(M.value(ans), kept_shape(xv.shape, axes))
    hit = xv == kept
    if xv.dtype.kind == "f" and np.isnan(kept).any():   # a NaN extreme: the NaNs attain it
        hit |= np.isnan(xv) & np.isnan(kept)
    mask = hit / np.sum(hit, axis=axes, keepdims=True)
    return mask.astype(xv.dtype, copy=False) if xv.dtype.kind == "f" else mask  # float32


def _lse(x, axes, keepdims):
    m = np.max(x, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axes)


def _softmax(x, axis):
    if x.size == 0:             # nothing to normalise (np.max of an empty axis refuses)
        return x * 1.0
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x, axis):
    if x.size == 0:
        return x * 1.0
    return x - _lse(x, axis, True)


def _extreme(name: str, word: str):
    """max / min over axes, written once: ties split the gradient equally."""
    return reduction(
        name, lambda x, axes, keepdims: getattr(x, name)(axis=axes, keepdims=keepdims),
        lambda M, g, ans, x, axes, keepdims:
            _kept(M, g, ans, x, axes, keepdims) * _arg_mask(M, ans, x, axes, keepdims),
        f"1 at the {word}, 0 elsewhere", f"g at the arg{name}, 0 elsewhere",
        jvp=lambda M, t, ans, x, axes, keepdims:
            M.sum(t * _arg_mask(M, ans, x, axes, keepdims), axes, keepdims),
        numpy=(getattr(np, name), getattr(np, "a" + name)),
        kink="ties split the gradient equally", doc=word.capitalize(),
        formula=f"{name}(x, axis=..., keepdims=...)")


SUM = reduction("sum", lambda x, axes, keepdims: _add_reduce(x, axis=axes, keepdims=keepdims),
                _spread, "1 for every element", "g broadcast back to x's shape", doc="Sum",
                jvp=lambda M, t, ans, x, axes, keepdims: M.sum(t, axes, keepdims), complex=True)


@_shapes_only
def _spread_mean(M, g, ans, x, axes, keepdims):
    return _spread(M, g, ans, x, axes, keepdims) / prod(x.shape[a] for a in axes)


MEAN = reduction(
    "mean", lambda x, axes, keepdims: x.mean(axis=axes, keepdims=keepdims), _spread_mean,
    "1/n for every element", "g / n, broadcast to x", doc="Mean",
    jvp=lambda M, t, ans, x, axes, keepdims:
        M.sum(t, axes, keepdims) / prod(x.shape[a] for a in axes), complex=True)
MAX = _extreme("max", "maximum")
MIN = _extreme("min", "minimum")
LOGSUMEXP = reduction(
    "logsumexp", _lse,
    lambda M, g, ans, x, axes, keepdims: _kept(M, g, ans, x, axes, keepdims)
    * M.exp(x - _kept_value(M, ans, x, axes, keepdims)),
    "softmax(x)", "g * softmax(x)", expr="log(sum(exp(x)))",
    jvp=lambda M, t, ans, x, axes, keepdims:
        M.sum(t * M.exp(x - _kept_value(M, ans, x, axes, keepdims)), axes, keepdims),
    domain="all reals (stable for large |x|)", doc="log(sum(exp(x))), computed stably,")
SOFTMAX = defprimitive(
    "softmax", array_fn=_softmax,
    vjps=[lambda M, g, ans, x, axis: ans * (g - M.sum(g * ans, axis, True))],
    jvps=[lambda M, t, ans, x, axis: ans * (t - M.sum(t * ans, axis, True))],  # symmetric
    expr="softmax(x)", derivs=["diag(s) - s s^T, s = softmax(x)"],
    vjp_text=["s * (g - sum(g * s))"], params=("axis",),
    function="softmax", methods=("softmax",), formula=True,
    doc="along axis (default: last)")
LOG_SOFTMAX = defprimitive(
    "log_softmax", array_fn=_log_softmax,
    vjps=[lambda M, g, ans, x, axis: g - M.exp(ans) * M.sum(g, axis, True)],
    jvps=[lambda M, t, ans, x, axis: t - M.sum(M.exp(ans) * t, axis, True)],
    expr="log_softmax(x)", derivs=["I - softmax(x) (each row)"],
    vjp_text=["g - softmax(x) * sum(g)"], params=("axis",),
    function="log_softmax", methods=("log_softmax",), formula=True,
    doc="along axis (default: last)")


def norm_kind(ord, axes: tuple[int, ...]) -> str:
    """Which norm ``np.linalg.norm(x, ord, axis)`` computes: 'euclid', 'l1', 'linf',
    'p', or 'spectral'. Raises ValueError for an ord chainrule does not differentiate."""
    if ord is None or (ord == "fro" and len(axes) == 2) or (ord == 2 and len(axes) == 1):
        return "euclid"
    if len(axes) == 1 and not isinstance(ord, str):
        if ord == 1:
            return "l1"
        if ord == np.inf:
            return "linf"
        if ord > 1:
            return "p"
    if len(axes) == 2 and ord == 2:
        return "spectral"
    raise ValueError(
        f"norm: ord={ord!r} over {len(axes)} axis/axes is not supported; supported: "
        "ord None/2/1/inf/p>1 for vectors, None/'fro'/2 for matrices")


def _euclid(kind, ord, axes, shape) -> bool:
    return kind == "euclid" or (kind == "spectral" and 1 in (shape[axes[0]], shape[axes[1]]))


def _norm(x, ord, axes, keepdims):
    kind = norm_kind(ord, axes)
    if _euclid(kind, ord, axes, x.shape):
        if np.iscomplexobj(x):
            return np.sqrt(np.sum((x * np.conj(x)).real, axis=axes, keepdims=keepdims))
        return np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdims))
    axis = axes[0] if len(axes) == 1 else axes
    return np.linalg.norm(x, ord, axis=axis, keepdims=keepdims)


def _norm_direction(M, ans, x, ord, axes, keepdims):
    """d||x||/dx, shaped like ``x``: the VJP scales it by ``g``, the JVP sums it against
    ``t``."""
    kind = norm_kind(ord, axes)
    xv = M.value(x)
    if kind == "spectral" and 1 not in (xv.shape[axes[0]], xv.shape[axes[1]]):
        return _spectral_direction(x, xv, axes, M)
    if kind in ("euclid", "spectral"):
        nk = _kept_value(M, ans, x, axes, keepdims)
        safe = M.where(M.value(nk) == 0, 1.0, nk)  # gradient of the norm at 0 is 0
        if np.iscomplexobj(xv):   # conj(x) / ||x||, as for abs (docs/complex.md)
            return conjugate(x) / safe
        return x / safe
    if np.iscomplexobj(xv):     # conj(x) / |x| in place of sign(x), as for abs; 0 at 0
        at0 = xv == 0
        sign = M.where(at0, 0.0, conjugate(x) / M.where(at0, 1.0, M.abs(x)))
    else:
        sign = np.sign(xv)
    if kind == "l1":
        return sign
    if kind == "linf":
        a = np.abs(xv)
        hit = a == np.max(a, axis=axes, keepdims=True)
        return sign * hit / np.sum(hit, axis=axes, keepdims=True)
    nk = _kept_value(M, ans, x, axes, keepdims)
    safe = M.where(M.value(nk) == 0, 1.0, nk)
    return (sign if np.iscomplexobj(xv) else M.sign(xv)) * M.abs(x) ** (ord - 1) \
        / safe ** (ord - 1)


def _norm_vjp(M, g, ans, x, ord, axes, keepdims):
    return _kept(M, g, ans, x, axes, keepdims) * _norm_direction(M, ans, x, ord, axes, keepdims)


def _norm_jvp(M, t, ans, x, ord, axes, keepdims):
    dot = M.sum(t * _norm_direction(M, ans, x, ord, axes, keepdims), axes, keepdims)
    return real_part(dot) if np.iscomplexobj(M.value(x)) else dot


def _spectral_direction(x, xv, axes, M):
    moved = np.moveaxis(xv, axes, (-2, -1))
    u, s, vt = np.linalg.svd(moved, full_matrices=False)
    # the mean of u_k v_k^T over the singular values tied with the largest (an equal split
    # of the subgradient), and 0 where the largest is 0 (the matrix is 0)
    top = s[..., :1]
    tied = (s >= top * (1 - 1e-12)) & (top > 0)
    if getattr(M, "graph", False):
        return _spectral_direction_graph(x, xv, axes, M, s)
    weight = tied / np.maximum(np.sum(tied, axis=-1, keepdims=True), 1)
    d = (u * weight[..., None, :]) @ vt
    # complex: s_1 = Re(u_1^H x v_1), so the gradient is conj(u_1 v_1^H)
    return np.moveaxis(np.conj(d), (-2, -1), axes)


def _spectral_direction_graph(x, xv, axes, M, s):
    """conj(u_1 v_1^H) recorded through the SVD, so that it can be differentiated again;
    that needs distinct singular values (and nonzero ones for a non-square matrix)."""
    m, n = xv.shape[axes[0]], xv.shape[axes[1]]
    scale = s[..., :1] * 1e-12
    if np.any(np.diff(s, axis=-1) >= -scale) or np.any(s[..., :1] == 0) or (
            m != n and np.any(s[..., -1:] <= scale)):
        raise NotImplementedError(
            "norm(ord=2) of a matrix: second derivatives need distinct singular values "
            "(and nonzero ones for a non-square matrix); here some are equal or 0")
    nd = xv.ndim
    own = [a % nd for a in axes]
    perm = tuple([i for i in range(nd) if i not in own] + own)
    u, _, vh = unpack(M, apply(SVD, M.transpose(x, perm), False), svd_shapes(m, n, False))
    d = M.matmul(M.getitem(u, (Ellipsis, slice(None), slice(0, 1))),
                 M.getitem(vh, (Ellipsis, slice(0, 1), slice(None))))
    d = conjugate(d) if np.iscomplexobj(xv) else d
    return M.transpose(d, tuple(int(i) for i in np.argsort(perm)))


NORM = defprimitive(
    "norm", array_fn=_norm, vjps=[_norm_vjp], jvps=[_norm_jvp], expr="||x||",
    derivs=["x / ||x|| (2-norm)"], vjp_text=["g * x / ||x||"],
    kink="the gradient of the norm at 0 is 0 (not NaN); for ord=2 over two axes, tied "
         "largest singular values split the gradient equally (the mean of their u v^T)",
    avoid=[0.0],
    params=("ord", "axis", "keepdims"), function="norm", methods=("norm",),
    numpy=(np.linalg.norm,), formula=True, doc="2-norm of all elements by default",
    second_order="ord=2 over two axes: with distinct singular values (nonzero ones for a "
                 "non-square matrix)",
    complex=True)
