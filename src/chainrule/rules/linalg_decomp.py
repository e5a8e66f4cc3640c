"""Linear algebra of square and rectangular matrices, batched over leading axes like
``np.linalg``: ``inv``, ``solve``, ``det``, ``slogdet``, ``cholesky``, ``eigh``, ``svd``,
``qr``.

A decomposition with several outputs (``eigh``: w, v; ``svd``: u, s, vh) is one primitive
whose output packs them along a last axis (each output flattened over its own axes); the
``np.linalg`` function cuts the pack into numpy's result, and the rule gets the cotangent
of every part at once. The rules are written with ``M`` and these primitives, so they are
differentiable again; where a rule divides by differences of eigenvalues or singular
values, repeated values make it infinite (as in every autodiff library).
"""

from __future__ import annotations

from math import prod

import numpy as np

from ..primitive import apply, defprimitive
from .complex import conjugate, is_complex, real_part
from .structural import STACK


def _graph(M) -> bool:
    return getattr(M, "graph", False)


def _t(M, x):
    return M.swapaxes(x)


def _h(M, x, c: bool):
    """The conjugate transpose of ``x`` (the plain transpose when ``c`` is False)."""
    return conjugate(M.swapaxes(x)) if c else M.swapaxes(x)


def _conj(x, c: bool):
    return conjugate(x) if c else x


def _linalg(op: str, fn):
    """``fn`` with numpy's LinAlgError reworded to name the op."""
    def call(*args):
        try:
            return fn(*args)
        except np.linalg.LinAlgError as exc:
            raise np.linalg.LinAlgError(
                f"{op}: {str(exc).lower()} (the matrix has no {op} here)") from None
    return call


def pack(parts):
    """Arrays with the same batch axes (all but their own ``dims``) as one array."""
    return np.concatenate([p.reshape(p.shape[:p.ndim - d] + (-1,)) for p, d in parts], -1)


def unpack(M, packed, shapes):
    """The parts of ``packed`` (leading axes kept) in their own trailing ``shapes``."""
    out, start = [], 0
    for shape in shapes:
        size = prod(shape)
        part = M.getitem(packed, (Ellipsis, slice(start, start + size)))
        out.append(M.reshape(part, packed.shape[:-1] + tuple(shape)))
        start += size
    return out


# -- inverse, solve ----------------------------------------------------------------------------

def _inv_vjp(M, g, ans, a):
    at = _t(M, ans)
    return -M.matmul(at, M.matmul(g, at))


INV = defprimitive(
    "inv", array_fn=_linalg("inv", np.linalg.inv), vjps=[_inv_vjp], inputs=("A",),
    expr="inv(A)", derivs=["-inv(A)^T g inv(A)^T"], vjp_text=["-A^-T @ g @ A^-T"],
    function="inv", numpy=(np.linalg.inv,), domain="A invertible",
    doc="Matrix inverse, batched over leading axes,", complex=True)


def _solve(a, b):
    if b.ndim == 1:
        return np.linalg.solve(a, b[..., None])[..., 0]
    return np.linalg.solve(a, b)


def _solve_b(M, g, ans, a, b):
    if b.ndim == 1:
        col = M.expand_dims(g, -1)
        return M.getitem(apply(SOLVE, _t(M, a), col), (Ellipsis, 0))
    return apply(SOLVE, _t(M, a), g)


def _solve_a(M, g, ans, a, b):
    gb = _solve_b(M, g, ans, a, b)
    if b.ndim == 1:
        return -(M.expand_dims(gb, -1) * M.expand_dims(ans, -2))
    return -M.matmul(gb, _t(M, ans))


SOLVE = defprimitive(
    "solve", array_fn=_linalg("solve", _solve), vjps=[_solve_a, _solve_b], inputs=("A", "b"),
    expr="solve(A, b)", derivs=["-solve(A^T, g) x^T", "solve(A^T, g)"],
    vjp_text=["-solve(A^T, g) @ x^T", "solve(A^T, g)"], function="solve",
    numpy=(np.linalg.solve,), domain="A invertible",
    doc="x with A @ x = b (b a vector or a matrix of columns), batched,", complex=True)


# -- determinants ------------------------------------------------------------------------------

def _exclusive_products(s):
    ones = np.ones(s.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)
    right = np.cumprod(np.concatenate([ones, s[..., :0:-1]], -1), -1)[..., ::-1]
    return left * right


def _cofactors(a):
    """The cofactor matrix of ``a`` (d det / d a), exact for singular matrices too: from
    the SVD, the products of all singular values but one."""
    u, s, vt = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vt)
    # cofactors(a) = det(u) det(vt) u^-T cofactors(diag s) vt^-T, and u^-T = conj(u)
    return sign[..., None, None] * (np.conj(u) * _exclusive_products(s)[..., None, :]) \
        @ np.conj(vt)


def _minor_cofactors(M, a):
    """The cofactor matrix as determinants of minors: differentiable, for second order."""
    n = a.shape[-1]
    if n == 1:
        return M.reshape(M.getitem(a, (Ellipsis, slice(0, 1), slice(0, 1))) * 0 + 1.0,
                         a.shape)
    rows = [np.delete(np.arange(n), i) for i in range(n)]
    minors = [[M.getitem(a, (Ellipsis, rows[i][:, None], rows[j][None, :])) for j in range(n)]
              for i in range(n)]
    dets = [[apply(DET, minors[i][j]) * (-1.0) ** (i + j) for j in range(n)] for i in range(n)]
    return apply(STACK, *[apply(STACK, *row, -1) for row in dets], -2)


def _det_vjp(M, g, ans, a):
    cof = _minor_cofactors(M, a) if _graph(M) else _cofactors(a)
    return M.expand_dims(M.expand_dims(g, -1), -1) * cof


DET = defprimitive(
    "det", array_fn=np.linalg.det, vjps=[_det_vjp], inputs=("A",), expr="det(A)",
    derivs=["the cofactor matrix of A (det(A) inv(A)^T where A is invertible)"],
    vjp_text=["g * cofactors(A)"], function="det", numpy=(np.linalg.det,),
    kink="exact at singular matrices: the gradient is the cofactor matrix",
    doc="Determinant, batched over leading axes,", complex=True)



def _logdet_vjp(M, g, ans, a):
    return M.expand_dims(M.expand_dims(g, -1), -1) * _t(M, apply(INV, a))


LOGABSDET = defprimitive(
    "logabsdet", array_fn=lambda a: np.linalg.slogdet(a)[1], vjps=[_logdet_vjp],
    inputs=("A",), expr="log|det(A)|", derivs=["inv(A)^T"], vjp_text=["g * inv(A)^T"],
    domain="A invertible (-inf with gradient error at singular A)", complex=True)


# -- Cholesky ----------------------------------------------------------------------------------

def _cholesky_vjp(M, g, ans, a):
    # complex A: the rule is written for the conjugate cotangent (dL/dx + i dL/dy, in which
    # the adjoints are conjugate transposes) and conjugated back at the end
    c = is_complex(a)
    g = _conj(g, c)
    n = ans.shape[-1]
    phi = np.tril(np.ones((n, n))) - 0.5 * np.eye(n)
    linv = apply(INV, ans)
    p = M.matmul(_h(M, ans, c), g * np.tril(np.ones((n, n)))) * phi
    s = M.matmul(_h(M, linv, c), M.matmul(p, linv))
    half = (s + _h(M, s, c)) * 0.5                              # Hermitian: real diagonal
    out = half * np.tril(np.ones((n, n))) * (2 - np.eye(n))  # numpy reads the lower half
    return _conj(out, c)


CHOLESKY = defprimitive(
    "cholesky", array_fn=_linalg("cholesky", np.linalg.cholesky), vjps=[_cholesky_vjp],
    inputs=("A",), expr="cholesky(A)",
    derivs=["L^-T Phi(L^T g) L^-1, symmetrised, on the lower half numpy reads"],
    vjp_text=["lower half of sym(L^-T Phi(L^T g) L^-1)"], function="cholesky",
    numpy=(np.linalg.cholesky,), domain="A symmetric (Hermitian) positive definite",
    doc="Lower Cholesky factor, batched,", complex=True)


# -- eigh --------------------------------------------------------------------------------------

def _eigh(a, lower):
    w, v = np.linalg.eigh(a, "L" if lower else "U")
    return pack([(w[..., None, :], 2), (v, 2)])


def _gaps(M, w):
    """1 / (w_j - w_i) off the diagonal, 0 on it."""
    n = w.shape[-1]
    diff = M.expand_dims(w, -2) - M.expand_dims(w, -1)
    eye = np.eye(n, dtype=bool)
    return M.where(eye, 0.0, 1.0 / M.where(eye, 1.0, diff))


def _eigh_vjp(M, g, ans, a, lower):
    n = a.shape[-1]
    c = is_complex(a)
    w, v = unpack(M, ans, [(n,), (n, n)])
    gw, gv = unpack(M, g, [(n,), (n, n)])
    if c:   # the eigenvalues are real; work with the conjugate cotangent (see cholesky)
        w, gw, gv = real_part(w), real_part(gw), conjugate(gv)
    inner = M.matmul(_h(M, v, c), gv) * _gaps(M, w)
    h = M.matmul(v, M.matmul(inner + M.expand_dims(gw, -2) * np.eye(n), _h(M, v, c)))
    keep = np.tril(np.ones((n, n)), -1) if lower else np.triu(np.ones((n, n)), 1)
    # numpy reads one triangle, the other is its conjugate transpose, and only the real
    # part of the diagonal
    out = (h + _h(M, h, c)) * keep + (real_part(h) if c else h) * np.eye(n)
    return _conj(out, c)


EIGH = defprimitive(
    "eigh", array_fn=_linalg("eigh", _eigh), vjps=[_eigh_vjp], inputs=("A",),
    expr="eigh(A)", derivs=["V (diag(gw) + F * (V^T gV)) V^T, F = 1/(w_j - w_i)"],
    vjp_text=["V (diag(gw) + F * (V^T gV)) V^T on the half numpy reads"],
    params=("lower",), kink="repeated eigenvalues make the eigenvector gradient infinite",
    domain="A symmetric or Hermitian (numpy reads one triangle)", complex=True)


# -- eig ---------------------------------------------------------------------------------------

def _eig(a):
    w, v = np.linalg.eig(a)
    return pack([(w[..., None, :], 2), (v, 2)])


def _eig_vjp(M, g, ans, a):
    """Of a general square matrix, as JAX's: the tangent ``V (F * (V^-1 dA V)) + V diag(c)``
    keeps numpy's (LAPACK's) normalisation of each eigenvector, unit length with its
    largest entry real, so that a loss depending on the phase gets its derivative too."""
    n = a.shape[-1]
    w, v = unpack(M, ans, [(n,), (n, n)])
    gw, gv = unpack(M, g, [(n,), (n, n)])
    eye = np.eye(n)
    vt = _t(M, v)
    f = _gaps(M, w)
    vt_gv = M.matmul(vt, gv)
    unit = M.matmul(M.matmul(vt, conjugate(v)), real_part(vt_gv) * eye)   # |v_k| = 1
    vv = M.value(v)
    largest = np.argmax(np.abs(vv), axis=-2)[..., None, :]
    mask = (np.arange(n)[:, None] == largest).astype(float)      # where v_k's entry is real
    vk = real_part(M.sum(v * mask, -2, True))
    dk = M.sum(v * gv, -2, True)                                 # diag(V^T gV) as a row
    phase = mask * (real_part(dk * -1j) * 1j / vk)
    inner = M.expand_dims(gw, -2) * eye + f * (vt_gv - unit - M.matmul(vt, phase))
    out = apply(SOLVE, vt, M.matmul(inner, vt))                  # V^-T inner V^T
    return out if is_complex(a) else real_part(out)


EIG = defprimitive(
    "eig", array_fn=_linalg("eig", _eig), vjps=[_eig_vjp], inputs=("A",), expr="eig(A)",
    derivs=["V^-T (diag(gw) + F * (V^T gV - V^T conj(V) Re(diag(V^T gV)) - V^T P)) V^T, "
            "F = 1/(w_j - w_i), P the phase term of each largest entry"],
    vjp_text=["V^-T (diag(gw) + F * (V^T gV - V^T conj(V) Re(diag(V^T gV)) - V^T P)) V^T"],
    kink="repeated eigenvalues make the eigenvector gradient infinite",
    domain="A diagonalizable", complex=True)


# -- svd ---------------------------------------------------------------------------------------

def _svd(a, full):
    u, s, vh = np.linalg.svd(a, full_matrices=full)
    return pack([(u, 2), (s[..., None, :], 2), (vh, 2)])


def svd_shapes(m, n, full):
    k = min(m, n)
    return [(m, m if full else k), (k,), (n if full else k, n)]


def _svd_vjp(M, g, ans, a, full):
    m, n = a.shape[-2:]
    k = min(m, n)
    c = is_complex(a)
    u, s, vh = unpack(M, ans, svd_shapes(m, n, full))
    gu, gs, gvh = unpack(M, g, svd_shapes(m, n, full))
    if c:   # the singular values are real; work with the conjugate cotangent (see cholesky)
        s, gs, gu, gvh = real_part(s), real_part(gs), conjugate(gu), conjugate(gvh)
    if full and m != n:     # only the first k singular vectors are unique
        cols, rows = (Ellipsis, slice(None), slice(0, k)), (Ellipsis, slice(0, k), slice(None))
        if np.any(M.value(gu)[..., :, k:]) or np.any(M.value(gvh)[..., k:, :]):
            raise NotImplementedError(
                "svd(full_matrices=True) of a non-square matrix: the extra singular vectors "
                "are not unique, so they have no gradient; use full_matrices=False")
        u, gu = M.getitem(u, cols), M.getitem(gu, cols)
        vh, gvh = M.getitem(vh, rows), M.getitem(gvh, rows)
    f = _gaps(M, s * s)
    uh_gu = M.matmul(_h(M, u, c), gu)               # U^H gU
    vh_gv = M.matmul(vh, _h(M, gvh, c))             # V^H gV with V = Vh^H
    eye = np.eye(k)
    sr = M.expand_dims(s, -2)             # s along columns: X * sr = X @ diag(s)
    sc = M.expand_dims(s, -1)             # s along rows:    sc * X = diag(s) @ X
    core = ((uh_gu - _h(M, uh_gu, c)) * f) * sr + M.expand_dims(gs, -2) * eye \
        + sc * ((vh_gv - _h(M, vh_gv, c)) * f)
    if c:
        # the phases of u_k and v_k are free (u_k e^{it}, v_k e^{it}); as JAX, the tangent
        # keeps v_k's and gives u_k the phase i Im(u_k^H dA v_k) / s_k, whose adjoint is
        # i Im(diag(U^H gU)) / s (0 where s = 0)
        zero = M.value(sr) == 0
        out_diag = (uh_gu - _h(M, uh_gu, c)) * eye * 0.5
        core = core + M.where(zero, 0.0, out_diag / M.where(zero, 1.0, sr))
    out = M.matmul(u, M.matmul(core, vh))
    if m > k:
        proj = gu - M.matmul(u, uh_gu)                      # (I - U U^H) gU
        out = out + M.matmul(proj / sr, vh)
    if n > k:
        proj = gvh - M.matmul(_h(M, vh_gv, c), vh)         # gV^H (I - V V^H)
        out = out + M.matmul(u, proj / sc)
    return _conj(out, c)


SVD = defprimitive(
    "svd", array_fn=_linalg("svd", _svd), vjps=[_svd_vjp], inputs=("A",),
    expr="svd(A)",
    derivs=["U (F*(U^T gU - gU^T U) S + diag(gs) + S F*(V^T gV - gV^T V)) V^T + the "
            "complements, F = 1/(s_j**2 - s_i**2)"],
    vjp_text=["Townsend's formula"], params=("full_matrices",),
    kink="repeated singular values make the singular vector gradient infinite",
    complex=True)


def _singular_values_vjp(M, g, ans, a):
    if _graph(M):
        m, n = a.shape[-2:]
        u, _, vh = unpack(M, apply(SVD, a, False), svd_shapes(m, n, False))
    else:
        u, _, vh = np.linalg.svd(a, full_matrices=False)
    out = M.matmul(u * M.expand_dims(g, -2), vh)
    # complex A: s_k = Re(u_k^H A v_k), so the gradient is conj(U diag(g) V^H)
    return conjugate(out) if np.iscomplexobj(M.value(a)) else out


SINGULAR_VALUES = defprimitive(
    "singular_values", array_fn=_linalg("svd", lambda a: np.linalg.svd(a, compute_uv=False)),
    vjps=[_singular_values_vjp], inputs=("A",), expr="svd(A, compute_uv=False)",
    derivs=["U diag(gs) V^T"], vjp_text=["U @ diag(g) @ V^T"],
    kink="repeated singular values: still exact (only the vectors are ambiguous)",
    complex=True)


# -- qr ----------------------------------------------------------------------------------------

def _qr(a, complete):
    q, r = np.linalg.qr(a, "complete" if complete else "reduced")
    return pack([(q, 2), (r, 2)])


def qr_shapes(m, n, complete):
    k = m if complete else min(m, n)
    return [(m, k), (k, n)]


def _qr_tall_vjp(M, q, r, gq, gr, n, c):
    """The gradient of A = QR for m >= n (R square and invertible), for conjugate
    cotangents when ``c`` (complex data; R's diagonal is real)."""
    x = M.matmul(r, _h(M, gr, c)) - M.matmul(_h(M, gq, c), q)
    lower = np.tril(np.ones((n, n)), -1)
    low = x * lower
    # copyltu: the lower half mirrored up (conjugated), the real part of the diagonal
    sym = low + _h(M, low, c) + (real_part(x) if c else x) * np.eye(n)
    b = gq + M.matmul(q, sym)                                     # then b @ inv(R)^H
    return _h(M, apply(SOLVE, r, _h(M, b, c)), c)


def _qr_vjp(M, g, ans, a, complete):
    m, n = a.shape[-2:]
    if complete and m > n:
        raise NotImplementedError(
            f"qr(mode='complete') of a {m} x {n} matrix: the extra columns of Q are not "
            "unique, so they have no gradient; use mode='reduced'")
    c = is_complex(a)
    q, r = unpack(M, ans, qr_shapes(m, n, complete))
    gq, gr = unpack(M, _conj(g, c), qr_shapes(m, n, complete))
    if m >= n:
        return _conj(_qr_tall_vjp(M, q, r, gq, gr, n, c), c)
    # wide: A = [X Y] with X = Q R1 square and R2 = Q^H Y, so Y's gradient is Q gR2 and X's
    # is the square case with gQ + Y gR2^H (the route through R2)
    left, right = (Ellipsis, slice(None), slice(0, m)), (Ellipsis, slice(None), slice(m, n))
    y, r1 = M.getitem(a, right), M.getitem(r, left)
    gr1, gr2 = M.getitem(gr, left), M.getitem(gr, right)
    gx = _qr_tall_vjp(M, q, r1, gq + M.matmul(y, _h(M, gr2, c)), gr1, m, c)
    gy = M.matmul(q, gr2)
    full = gx.shape[:-1] + (n,)
    return _conj(M.index_add(gx, full, left) + M.index_add(gy, full, right), c)


QR = defprimitive(
    "qr", array_fn=_linalg("qr", _qr), vjps=[_qr_vjp], inputs=("A",), expr="qr(A)",
    derivs=["(gQ + Q copyltu(R gR^T - gQ^T Q)) R^-T"],
    vjp_text=["(gQ + Q copyltu(R gR^T - gQ^T Q)) R^-T"], params=("complete",),
    domain="full rank; for a wide matrix (m < n) the first m columns independent",
    complex=True)
