"""Matrix products. ``matmul`` follows numpy's rules, 1-D operands included; the VJPs are
written so that a cotangent with leading batch axes flows through unchanged."""

from __future__ import annotations

import numpy as np

from ..primitive import defprimitive


def _drop_axis(M, r, axis):
    shape = r.shape
    axis = axis % len(shape)
    return M.reshape(r, shape[:axis] + shape[axis + 1:])


def _matmul_vjp_a(M, g, ans, a, b):
    if b.ndim == 1:                     # out[..., i] = sum_j a[..., i, j] b[j]
        return M.expand_dims(g, -1) * b
    if a.ndim == 1:                     # out[..., k] = sum_j a[j] b[..., j, k]
        if b.ndim == 2:
            return M.matmul(g, M.swapaxes(b))
        return _drop_axis(M, M.matmul(b, M.expand_dims(g, -1)), -1)
    return M.matmul(g, M.swapaxes(b))


def _matmul_vjp_b(M, g, ans, a, b):
    if a.ndim == 1:
        if b.ndim == 1:
            return M.expand_dims(g, -1) * a
        return M.expand_dims(a, -1) * M.expand_dims(g, -2)
    if b.ndim == 1:
        if a.ndim == 2:
            return M.matmul(g, a)
        return _drop_axis(M, M.matmul(M.expand_dims(g, -2), a), -2)
    return M.matmul(M.swapaxes(a), g)


def _matmul_jvp_a(M, t, ans, a, b):
    """``t @ b`` for a tangent ``t`` of ``a`` with leading batch axes."""
    lead = t.ndim - a.ndim
    if not lead or b.ndim == 1:         # one tangent (matmul is linear in a), or a stack
        return M.matmul(t, b)           # of rows times one vector
    if a.ndim == 1:                     # t[..., n] as rows of b's batch: (..., 1, n) @ b
        row = M.reshape(t, t.shape[:lead] + (1,) * (b.ndim - 2) + (1, a.shape[0]))
        return _drop_axis(M, M.matmul(row, b), -2)
    pad = (1,) * (ans.ndim - a.ndim)    # line a's batch axes up with ans's
    return M.matmul(M.reshape(t, t.shape[:lead] + pad + a.shape), b)


def _matmul_jvp_b(M, t, ans, a, b):
    """``a @ t`` for a tangent ``t`` of ``b`` with leading batch axes."""
    lead = t.ndim - b.ndim
    if not lead:                        # one tangent: matmul is linear in b
        return M.matmul(a, t)
    if a.ndim == 1:                     # numpy promotes a to one row of t's matrices
        return M.matmul(a, t) if b.ndim > 1 else M.sum(t * a, -1)
    if b.ndim == 1:                     # t[..., n] as a column per batch entry
        col = M.reshape(t, t.shape[:lead] + (1,) * (a.ndim - 2) + (b.shape[0], 1))
        return _drop_axis(M, M.matmul(a, col), -1)
    pad = (1,) * (ans.ndim - b.ndim)
    return M.matmul(a, M.reshape(t, t.shape[:lead] + pad + b.shape))


MATMUL = defprimitive(
    "matmul", array_fn=np.matmul, vjps=[_matmul_vjp_a, _matmul_vjp_b],
    jvps=[_matmul_jvp_a, _matmul_jvp_b],
    inputs=("A", "B"), expr="A @ B", derivs=["B^T (on the right)", "A^T (on the left)"],
    vjp_text=["g @ B.T", "A.T @ g"], function="matmul", methods=("matmul",),
    numpy=(np.matmul,), formula=True, doc="same as a @ b", complex=True)
