"""``chainrule.scipy.linalg``: ``solve_triangular``, ``solve_banded``, ``cho_solve``,
``solve_sylvester``, ``sqrtm`` and ``cholesky``, differentiable in every array argument,
values from scipy.linalg.

Rules (G the cotangent of the result X):

- ``X = solve_triangular(A, B)``: dB = solve_triangular(A, G, transposed), dA = -tri(dB X^T)
  (only A's triangle is read, so only it gets a gradient);
- ``cho_solve((C, lower), B)`` is two triangular solves, differentiated through them;
- ``X = solve_sylvester(A, B, Q)`` (A X + X B = Q): Y = solve_sylvester(A^T, B^T, G),
  dQ = Y, dA = -Y X^T, dB = -X^T Y;
- ``X = sqrtm(A)`` (X X = A): dA = solve_sylvester(X^T, X^T, G);
- ``solve_sylvester`` and ``sqrtm`` take complex matrices too (their rules use transposes,
  never conjugates, as every complex rule in chainrule does), so the complex square root
  of a real matrix with a negative eigenvalue is differentiable;
- ``L = cholesky(A)``: dA = sym(L^-T phi(L^T G) L^-1), phi the lower triangle with its
  diagonal halved (Murray, 2016); perturbations of A are taken as symmetric;
- ``X = solve_banded((l, u), ab, B)`` (A X = B, A stored by diagonals in ab): dB =
  solve_banded((u, l), ab of A^T, G), d ab = the band of -dB X^T, in ab's layout (the
  corners of ab that scipy never reads get 0).

The rules are written with these same primitives, so second derivatives work; the JVPs
are derived from them by transposition.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sl

from ..core import Node
from ..primitive import Primitive, apply
from ._batch import per_batch, shape_of


def _tri_mask(n: int, lower: bool, unit: bool) -> np.ndarray:
    mask = np.tril(np.ones((n, n))) if lower else np.triu(np.ones((n, n)))
    return mask - np.eye(n) if unit else mask


def _solve_tri_b(M: Any, g: Any, ans: Any, a: Any, b: Any, trans: int, lower: bool,
                 unit: bool) -> Any:
    return per_batch(M, g, len(shape_of(b)),
                     lambda gi: apply(SOLVE_TRIANGULAR, a, gi, 1 - trans, lower, unit))


def _solve_tri_a(M: Any, g: Any, ans: Any, a: Any, b: Any, trans: int, lower: bool,
                 unit: bool) -> Any:
    gb = _solve_tri_b(M, g, ans, a, b, trans, lower, unit)
    if len(shape_of(b)) == 1:
        outer = (M.expand_dims(gb, -1) * ans if trans == 0
                 else M.expand_dims(ans, -1) * M.expand_dims(gb, -2))
    else:
        outer = M.matmul(gb, M.swapaxes(ans)) if trans == 0 else M.matmul(ans, M.swapaxes(gb))
    return -outer * _tri_mask(shape_of(a)[0], lower, unit)


SOLVE_TRIANGULAR = Primitive(
    "solve_triangular",
    array_fn=lambda a, b, trans, lower, unit: sl.solve_triangular(
        a, b, trans=trans, lower=lower, unit_diagonal=unit),
    vjps=[_solve_tri_a, _solve_tri_b], inputs=("A", "B"), params=("trans", "lower", "unit"),
    expr="solve_triangular(A, B)", derivs=["-tri(dB X^T)", "solve_triangular(A^T, G)"])


def _sylvester_rules() -> list[Any]:
    def y(M: Any, g: Any, a: Any, b: Any) -> Any:
        return per_batch(M, g, 2, lambda gi: apply(
            SOLVE_SYLVESTER, M.swapaxes(a), M.swapaxes(b), gi))

    return [lambda M, g, ans, a, b, q: -M.matmul(y(M, g, a, b), M.swapaxes(ans)),
            lambda M, g, ans, a, b, q: -M.matmul(M.swapaxes(ans), y(M, g, a, b)),
            lambda M, g, ans, a, b, q: y(M, g, a, b)]


SOLVE_SYLVESTER = Primitive(
    "solve_sylvester", array_fn=sl.solve_sylvester, vjps=_sylvester_rules(),
    inputs=("A", "B", "Q"), expr="solve_sylvester(A, B, Q)",
    derivs=["-Y X^T", "-X^T Y", "Y = solve_sylvester(A^T, B^T, G)"], complex=True)


def _sqrtm(a: np.ndarray) -> np.ndarray:
    x = sl.sqrtm(a)
    if np.iscomplexobj(x) and not np.iscomplexobj(a) and np.allclose(
            x.imag, 0, atol=1e-12 * max(1.0, float(np.abs(x).max()))):
        return x.real       # scipy's complex arithmetic on a real root: drop the zero part
    return x


SQRTM = Primitive(
    "sqrtm", array_fn=_sqrtm,
    vjps=[lambda M, g, ans, a: per_batch(M, g, 2, lambda gi: apply(
        SOLVE_SYLVESTER, M.swapaxes(ans), M.swapaxes(ans), gi))],
    inputs=("A",), expr="sqrtm(A)", derivs=["solve_sylvester(X^T, X^T, G)"], complex=True)


def _phi(M: Any, x: Any) -> Any:
    """The lower triangle with the diagonal halved (self-adjoint)."""
    n = shape_of(x)[-1]
    return x * (np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n))


def _cholesky_vjp(M: Any, g: Any, ans: Any, a: Any) -> Any:
    def one(gi: Any) -> Any:
        inner = _phi(M, M.matmul(M.swapaxes(ans), gi))               # phi(L^T G)
        left = apply(SOLVE_TRIANGULAR, ans, inner, 1, True, False)   # L^-T phi(...)
        s = M.swapaxes(apply(SOLVE_TRIANGULAR, ans, M.swapaxes(left), 1, True, False))
        return (s + M.swapaxes(s)) / 2                              # ... L^-1, symmetrized
    return per_batch(M, g, 2, one)


CHOLESKY = Primitive(
    "cholesky", array_fn=lambda a: np.linalg.cholesky(a), vjps=[_cholesky_vjp],
    inputs=("A",), expr="cholesky(A)",
    derivs=["sym(L^-T phi(L^T G) L^-1), phi: lower triangle, diagonal halved"])


def cholesky(a: Any, lower: bool = False) -> Any:
    """scipy.linalg.cholesky: the factor of a symmetric positive definite ``a`` (upper
    ``U`` with a = U^T U by default, as scipy; ``lower=True``: L with a = L L^T). The
    gradient is symmetric (a perturbation of ``a`` is taken as symmetric, as JAX does).
    Raises numpy's LinAlgError when ``a`` is not positive definite."""
    low = apply(CHOLESKY, _matrix(a))
    return low if lower else low.T


def _matrix(x: Any) -> Any:
    if isinstance(x, Node):
        return x
    x = np.asarray(x)
    return x if np.iscomplexobj(x) else x.astype(float)


def solve_triangular(a: Any, b: Any, trans: int | str = 0, lower: bool = False,
                     unit_diagonal: bool = False) -> Any:
    """scipy.linalg.solve_triangular: ``x`` with ``op(a) x = b`` for triangular ``a`` (n, n)
    and ``b`` (n,) or (n, k); ``trans`` 0/'N' (a) or 1/'T' (a^T). Raises ValueError for
    another ``trans`` or mismatched shapes."""
    t = {0: 0, 1: 1, "N": 0, "T": 1}.get(trans)
    if t is None:
        raise ValueError(f"solve_triangular: trans must be 0, 1, 'N' or 'T', got {trans!r}")
    a, b = _matrix(a), _matrix(b)
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) != 2 or sa[0] != sa[1] or len(sb) not in (1, 2) or sb[0] != sa[0]:
        raise ValueError(f"solve_triangular: a must be square (n, n) and b (n,) or (n, k); "
                         f"got {sa} and {sb}")
    return apply(SOLVE_TRIANGULAR, a, b, t, bool(lower), bool(unit_diagonal))


def cho_solve(c_and_lower: tuple[Any, bool], b: Any) -> Any:
    """scipy.linalg.cho_solve: ``x`` with ``A x = b`` given ``(c, lower)`` from
    ``cho_factor`` (A = c c^T for lower, c^T c for upper); differentiable in ``c`` and
    ``b``."""
    c, lower = c_and_lower
    if lower:
        return solve_triangular(c, solve_triangular(c, b, lower=True), trans=1, lower=True)
    return solve_triangular(c, solve_triangular(c, b, trans=1), lower=False)


def solve_sylvester(a: Any, b: Any, q: Any) -> Any:
    """scipy.linalg.solve_sylvester: ``x`` with ``a x + x b = q``; differentiable in all
    three."""
    return apply(SOLVE_SYLVESTER, _matrix(a), _matrix(b), _matrix(q))


def sqrtm(a: Any) -> Any:
    """scipy.linalg.sqrtm: the principal square root X (X X = a) of an (n, n) matrix.
    As scipy, it is complex when ``a`` has a negative real eigenvalue (or is complex),
    real otherwise; either way it is differentiable (complex numbers in chainrule's
    convention: a real ``a`` gets a real gradient)."""
    return apply(SQRTM, _matrix(a))


def _band_index(rows: int, n: int, shift: int, flip: int | None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index arrays (row, col) of shape (rows, n) and the mask of valid entries, for a
    gather into a banded layout: entry (r, j) reads (r + j - shift, j) of a full matrix
    when ``flip`` is None, else (flip - r, r + j - shift) of another banded array."""
    r, j = np.meshgrid(np.arange(rows), np.arange(n), indexing="ij")
    i = r + j - shift
    valid = (i >= 0) & (i < n)
    i = np.clip(i, 0, n - 1)
    return (i, j, valid) if flip is None else (flip - r, i, valid)


def _band_transposed(M: Any, ab: Any, lower: int, upper: int) -> Any:
    """``ab`` (the banded form of A with ``lower``, ``upper`` diagonals) made the banded
    form of A^T (``upper``, ``lower`` diagonals): a gather, so it stays differentiable."""
    rows, n = shape_of(ab)
    src_row, src_col, valid = _band_index(rows, n, lower, lower + upper)
    return M.getitem(ab, (src_row, src_col)) * valid


def _solve_banded_b(M: Any, g: Any, ans: Any, ab: Any, b: Any, lower: int, upper: int
                    ) -> Any:
    abt = _band_transposed(M, ab, lower, upper)
    return per_batch(M, g, len(shape_of(b)),
                     lambda gi: apply(SOLVE_BANDED, abt, gi, upper, lower))


def _solve_banded_ab(M: Any, g: Any, ans: Any, ab: Any, b: Any, lower: int, upper: int
                     ) -> Any:
    rows, n = shape_of(ab)
    row, col, valid = _band_index(rows, n, upper, None)

    def one(gi: Any) -> Any:
        gb = apply(SOLVE_BANDED, _band_transposed(M, ab, lower, upper), gi, upper, lower)
        full = (M.expand_dims(gb, -1) * ans if len(shape_of(b)) == 1
                else M.matmul(gb, M.swapaxes(ans)))
        return -M.getitem(full, (row, col)) * valid
    return per_batch(M, g, len(shape_of(b)), one)


SOLVE_BANDED = Primitive(
    "solve_banded",
    array_fn=lambda ab, b, lower, upper: sl.solve_banded((lower, upper), ab, b),
    vjps=[_solve_banded_ab, _solve_banded_b], inputs=("ab", "B"), params=("l", "u"),
    expr="solve_banded((l, u), ab, B)",
    derivs=["the band of -dB X^T, in ab's layout", "solve_banded((u, l), ab of A^T, G)"])


def solve_banded(l_and_u: tuple[int, int], ab: Any, b: Any, overwrite_ab: bool = False,
                 overwrite_b: bool = False, check_finite: bool = True) -> Any:
    """scipy.linalg.solve_banded: ``x`` with ``A x = b`` for a banded ``A`` given by its
    diagonals ``ab`` of shape (l + u + 1, n) (``ab[u + i - j, j] = A[i, j]``), ``b`` of
    shape (n,) or (n, k); differentiable in ``ab`` and ``b`` (the entries of ``ab`` that
    lie outside A get a zero gradient). ``overwrite_*`` and ``check_finite`` are accepted
    for scipy's signature (inputs are never overwritten). Raises ValueError for shapes
    that do not fit ``(l, u)``, numpy's LinAlgError for a singular A."""
    lower, upper = (int(v) for v in l_and_u)
    ab, b = _matrix(ab), _matrix(b)
    sa, sb = shape_of(ab), shape_of(b)
    if (len(sa) != 2 or sa[0] != lower + upper + 1 or len(sb) not in (1, 2)
            or sb[0] != sa[1]):
        raise ValueError(f"solve_banded: with (l, u) = ({lower}, {upper}) ab must have shape "
                         f"({lower + upper + 1}, n) and b (n,) or (n, k); got {sa} and {sb}")
    if check_finite and not (np.all(np.isfinite(_raw_value(ab)))
                             and np.all(np.isfinite(_raw_value(b)))):
        raise ValueError("solve_banded: ab and b must not contain infs or NaNs")
    return apply(SOLVE_BANDED, ab, b, lower, upper)


def _raw_value(x: Any) -> Any:
    return x.value if isinstance(x, Node) else x


__all__ = ["cho_solve", "cholesky", "solve_banded", "solve_sylvester", "solve_triangular",
           "sqrtm"]
