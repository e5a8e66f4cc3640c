"""Products and running totals: ``prod`` (over axes), ``cumsum`` and ``cumprod`` (along one
axis). Their rules stay exact when inputs are 0: the gradient of a product is the product
of the *other* factors, never ``ans / x``.

The rules call the primitives themselves through :func:`~chainrule.primitive.apply`, which
computes on arrays and records on Tensors, so they are differentiable again.
"""

from __future__ import annotations

from math import prod

import numpy as np

from ..primitive import apply, defprimitive, reduction
from .reductions import _kept


def _graph(M) -> bool:
    return getattr(M, "graph", False)


def _to_last(M, t, axes):
    """``t`` with ``axes`` (negative) moved to the end, and the permutation's inverse."""
    nd = t.ndim
    moved = [nd + a for a in axes]
    perm = tuple(i for i in range(nd) if i not in moved) + tuple(moved)
    return M.transpose(t, perm), tuple(int(i) for i in np.argsort(perm))


def _exclusive_cumprod(flat):
    """Products of the elements before each one along the last axis (1 for the first);
    empty along an empty axis (the slice keeps the one's column out)."""
    n = flat.shape[-1]
    ones = np.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
    return np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1)[..., :n], axis=-1)


def _others(M, x, axes):
    """For each element, the product of the other elements of its reduced slice."""
    moved, inverse = _to_last(M, x, axes)
    shape = moved.shape
    n = prod(x.shape[a] for a in axes)
    flat = M.reshape(moved, shape[:x.ndim - len(axes)] + (n,))
    if _graph(M):   # the product of a matrix with ones on the diagonal: differentiable
        spread = M.where(np.eye(n, dtype=bool), 1.0, M.expand_dims(flat, -2))
        others = apply(PROD, spread, (-1,), False)
    else:           # exclusive products from the left times those from the right: exact
        others = _exclusive_cumprod(flat) * _exclusive_cumprod(flat[..., ::-1])[..., ::-1]
    return M.transpose(M.reshape(others, shape), inverse)


PROD = reduction(
    "prod", lambda x, axes, keepdims: x.prod(axis=axes, keepdims=keepdims),
    lambda M, g, ans, x, axes, keepdims: _kept(M, g, ans, x, axes, keepdims)
    * _others(M, x, axes),
    "the product of the other elements", "g * (product of the others)",
    methods=(), formula=False, kink="exact at zeros: the product of the other factors",
    doc="Product", complex=True)


def _flip(M, g, axis):
    return M.getitem(g, (Ellipsis, slice(None, None, -1)) + (slice(None),) * (-axis - 1))


def _reverse_cumsum(M, g, axis):
    return _flip(M, apply(CUMSUM, _flip(M, g, axis), axis), axis)


def _cumprod_vjp(M, g, ans, x, axis):
    xv = M.value(x)
    if not _graph(M) and np.all(xv != 0):
        return _reverse_cumsum(M, g * ans, axis) / x
    # d ans[k] / d x[i] = prod of x[j], j <= k, j != i (k >= i): cumprod with x[i] set to 1
    gm, inverse = _to_last(M, g, (axis,))
    xm, _ = _to_last(M, x, (axis,))
    n = xv.shape[axis]
    partial = apply(CUMPROD, M.where(np.eye(n, dtype=bool), 1.0, M.expand_dims(xm, -2)), -1)
    upper = np.triu(np.ones((n, n), dtype=xv.dtype))
    out = M.sum(M.expand_dims(gm, -2) * partial * upper, -1)
    return M.transpose(out, inverse)


CUMSUM = defprimitive(
    "cumsum", array_fn=lambda x, axis: np.cumsum(x, axis=axis),
    vjps=[lambda M, g, ans, x, axis: _reverse_cumsum(M, g, axis)],
    expr="cumsum(x)", derivs=["1 for every later position"],
    vjp_text=["g summed from the end"], params=("axis",), function="cumsum", methods=("cumsum",),
    numpy=(np.cumsum,), doc="Running sum", complex=True)
CUMPROD = defprimitive(
    "cumprod", array_fn=lambda x, axis: np.cumprod(x, axis=axis), vjps=[_cumprod_vjp],
    expr="cumprod(x)", derivs=["the product of the other factors up to each later position"],
    vjp_text=["sum over k >= i of g[k] * prod(x[j], j <= k, j != i)"], params=("axis",),
    function="cumprod", methods=("cumprod",), numpy=(np.cumprod,), kink="exact at zeros",
    doc="Running product", complex=True)
