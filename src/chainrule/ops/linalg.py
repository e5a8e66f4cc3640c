"""``np.linalg`` on Tensors, with numpy's signatures and result types: ``inv``, ``solve``,
``det``, ``slogdet``, ``cholesky``, ``eigh``, ``eigvalsh``, ``svd``, ``qr``, ``pinv``,
``matrix_power``, and ``norm`` of every ord. Inputs may carry leading batch axes, as
numpy allows."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import apply
from ..rules import linalg_decomp as la
from ..rules.complex import real_part
from .functions import (
    FUNCTIONS,
    OTHER_NORMS,
    Array,
    _raw,
    _shape_of,
    composite,
    custom,
    normalize_axes,
)

_SLOGDET = type(np.linalg.slogdet(np.eye(1)))
_EIGH = type(np.linalg.eigh(np.eye(1)))
_SVD = type(np.linalg.svd(np.eye(1)))
_EIG = type(np.linalg.eig(np.eye(1)))


def _square(op: str, a: Array) -> tuple[int, ...]:
    shape = _shape_of(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise np.linalg.LinAlgError(f"{op}: needs square matrices in the last two axes, got "
                                    f"shape {shape}")
    return shape


@custom(la.INV)
def inv(a: Array) -> Array:
    """The inverse of each (..., n, n) matrix. LinAlgError if one is singular."""
    _square("inv", a)
    return apply(la.INV, a)


@custom(la.SOLVE)
def solve(a: Array, b: Array) -> Array:
    """``x`` with ``a @ x = b``: ``b`` of shape (n,) (one vector) or (..., n, k) (columns),
    numpy 2's rule. LinAlgError if ``a`` is singular."""
    n = _square("solve", a)[-1]
    sb = _shape_of(b)
    if not sb or sb[-1 if len(sb) == 1 else -2] != n:
        raise ValueError(f"solve: b of shape {sb} does not fit a of shape {_shape_of(a)}")
    return apply(la.SOLVE, a, b)


@custom(la.DET)
def det(a: Array) -> Array:
    """The determinant of each (..., n, n) matrix; its gradient (the cofactor matrix) is
    exact at singular matrices too."""
    _square("det", a)
    return apply(la.DET, a)


@composite(numpy=(np.linalg.slogdet,), doc="np.linalg.slogdet: sign and log|det|")
def slogdet(a: Array) -> Any:
    """``(sign, logabsdet)`` as numpy's SlogdetResult; a real sign (+-1) carries no
    gradient, a complex one (det / |det|, 0 where det = 0) does."""
    _square("slogdet", a)
    if np.iscomplexobj(_raw(a)):
        d = apply(la.DET, a)
        mag = FUNCTIONS["abs"](d)
        sign = d / FUNCTIONS["where"](np.asarray(_raw(mag)) == 0, 1.0, mag)
    else:
        sign = np.linalg.slogdet(np.asarray(_raw(a)))[0]
    return _SLOGDET(sign, apply(la.LOGABSDET, a))


@custom(la.CHOLESKY)
def cholesky(a: Array, /, *, upper: bool = False) -> Array:
    """The lower factor ``L`` with ``a = L @ L^H`` (``L @ L.T`` for real ``a``), reading
    ``a``'s lower half as numpy does; ``upper``: the upper factor ``U = L^H`` with
    ``a = U^H @ U``, from ``a``'s upper half. LinAlgError unless ``a`` is positive
    definite."""
    _square("cholesky", a)
    if not upper:
        return apply(la.CHOLESKY, a)
    h = FUNCTIONS["swapaxes"]
    if np.iscomplexobj(_raw(a)):
        h = lambda x, i, j: FUNCTIONS["conj"](FUNCTIONS["swapaxes"](x, i, j))  # noqa: E731
    return h(apply(la.CHOLESKY, h(a, -1, -2)), -1, -2)


def _lower(uplo: str) -> bool:
    if uplo not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {uplo!r}")
    return uplo == "L"


@composite(numpy=(np.linalg.eigh,), doc="np.linalg.eigh: eigenvalues and eigenvectors")
def eigh(a: Array, UPLO: str = "L") -> Any:
    """``(eigenvalues, eigenvectors)`` of the symmetric matrix whose ``UPLO`` half ``a``
    holds, ascending, as numpy's EighResult. Repeated eigenvalues make the eigenvectors'
    gradient infinite."""
    n = _square("eigh", a)[-1]
    packed = apply(la.EIGH, a, _lower(UPLO))
    w, v = la.unpack(_CUT, packed, [(n,), (n, n)])
    # complex (Hermitian) a: the eigenvalues are real, packed with complex eigenvectors
    return _EIGH(real_part(w) if np.iscomplexobj(_raw(w)) else w, v)


@composite(numpy=(np.linalg.eigvalsh,), doc="np.linalg.eigvalsh: eigenvalues")
def eigvalsh(a: Array, UPLO: str = "L") -> Array:
    """The eigenvalues of the symmetric matrix whose ``UPLO`` half ``a`` holds."""
    return eigh(a, UPLO)[0]


@composite(numpy=(np.linalg.eig,), doc="np.linalg.eig: eigenvalues and eigenvectors")
def eig(a: Array) -> Any:
    """``(eigenvalues, eigenvectors)`` of each (..., n, n) matrix as numpy's EigResult:
    complex unless every eigenvalue is real, eigenvectors of unit length in the columns.
    Repeated eigenvalues make the eigenvectors' gradient infinite; a loss that depends on
    an eigenvector's phase gets the gradient JAX and HIPS autograd give."""
    n = _square("eig", a)[-1]
    packed = apply(la.EIG, a)
    w, v = la.unpack(_CUT, packed, [(n,), (n, n)])
    return _EIG(w, v)


@composite(numpy=(np.linalg.eigvals,), doc="np.linalg.eigvals: eigenvalues")
def eigvals(a: Array) -> Array:
    """The eigenvalues of each (..., n, n) matrix, as ``eig(a)[0]``."""
    return eig(a)[0]


@composite(numpy=(np.linalg.svd,), doc="np.linalg.svd: singular value decomposition")
def svd(a: Array, full_matrices: bool = True, compute_uv: bool = True,
        hermitian: bool = False) -> Any:
    """``(U, S, Vh)`` with ``a = U @ diag(S) @ Vh`` as numpy's SVDResult (only ``S`` for
    ``compute_uv=False``). Gradients of U and Vh need distinct singular values and, for a
    non-square matrix, ``full_matrices=False``. ``hermitian`` is accepted (same result)."""
    shape = _shape_of(a)
    if len(shape) < 2:
        raise np.linalg.LinAlgError(f"svd: needs matrices in the last two axes, got shape "
                                    f"{shape}")
    if not compute_uv:
        return apply(la.SINGULAR_VALUES, a)
    packed = apply(la.SVD, a, bool(full_matrices))
    m, n = shape[-2:]
    u, s, vh = la.unpack(_CUT, packed, la.svd_shapes(m, n, bool(full_matrices)))
    return _SVD(u, real_part(s) if np.iscomplexobj(_raw(s)) else s, vh)


@composite(numpy=(np.linalg.pinv,), doc="np.linalg.pinv: pseudo-inverse")
def pinv(a: Array, rcond: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Array:
    """The Moore-Penrose pseudo-inverse from the SVD: singular values at most ``rcond``
    (default numpy's ``max(m, n) * eps``) times the largest count as 0."""
    shape = _shape_of(a)
    cutoff = rcond if rcond is not None else rtol
    if cutoff is None:
        cutoff = max(shape[-2:]) * np.finfo(np.float64).eps
    u, s, vh = svd(a, full_matrices=False)
    sv = np.asarray(_raw(s))
    keep = sv > np.asarray(cutoff)[..., None] * np.max(sv, axis=-1, keepdims=True)
    where = FUNCTIONS["where"]
    s_inv = where(keep, 1.0 / where(keep, s, 1.0), 0.0)
    h = FUNCTIONS["swapaxes"]
    if np.iscomplexobj(_raw(a)):        # V diag(1/s) U^H, conjugate transposes
        h = lambda x, i, j: FUNCTIONS["conj"](FUNCTIONS["swapaxes"](x, i, j))  # noqa: E731
    return FUNCTIONS["matmul"](h(vh, -1, -2) * FUNCTIONS["expand_dims"](s_inv, -2),
                               h(u, -1, -2))


@composite(numpy=(np.linalg.matrix_power,), doc="np.linalg.matrix_power: a @ a @ ... @ a")
def matrix_power(a: Array, n: int) -> Array:
    """``a`` multiplied by itself ``n`` times (by squaring); ``n = 0`` gives the identity,
    a negative ``n`` powers of the inverse."""
    shape = _square("matrix_power", a)
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: the exponent must be an integer, got {n!r}")
    if n == 0:
        return np.broadcast_to(np.eye(shape[-1]), shape).copy()
    base, n = (inv(a), -n) if n < 0 else (a, n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else FUNCTIONS["matmul"](result, base)
        n >>= 1
        if n:
            base = FUNCTIONS["matmul"](base, base)
    return result


class _Cut:
    """The namespace ``unpack`` cuts packed results with: recording slices and reshapes."""

    @staticmethod
    def getitem(x: Array, index: Any) -> Array:
        return x[index]

    @staticmethod
    def reshape(x: Array, shape: Any) -> Array:
        return FUNCTIONS["reshape"](x, shape)


_CUT = _Cut()


def _other_norm(x: Array, ord: Any, axes: tuple[int, ...], keepdims: bool) -> Array:
    """The norms the ``norm`` primitive leaves to other ops. Raises ValueError for an ord
    numpy does not take either."""
    F = FUNCTIONS
    a = F["abs"](x)
    if len(axes) == 1 and not isinstance(ord, str):
        if ord == -np.inf:
            return F["min"](a, axes, keepdims)
        if ord == 0:                        # a count: derivative 0
            return F["sum"](a * 0.0 + (np.asarray(_raw(x)) != 0), axes, keepdims)
        p = float(ord)
        zero = np.asarray(_raw(x)) == 0
        if not zero.any():
            return F["sum"](a ** p, axes, keepdims) ** (1.0 / p)
        # p < 1: |x|**p has an infinite slope at 0, which gave NaN; as PyTorch, a zero
        # entry gets gradient 0 (and for p < 0 a slice holding a zero has norm 0)
        terms = F["where"](zero, 0.0, F["where"](zero, 1.0, a) ** p)
        total = F["sum"](terms, axes, keepdims)
        if p > 0:
            return total ** (1.0 / p)
        hit = np.any(zero, axis=axes, keepdims=keepdims)
        return F["where"](hit, 0.0, F["where"](hit, 1.0, total) ** (1.0 / p))
    if len(axes) == 2 and ord in (1, -1, np.inf, -np.inf):
        inner, outer = (axes[0], axes[1]) if ord in (1, -1) else (axes[1], axes[0])
        pick = F["max"] if ord in (1, np.inf) else F["min"]
        out = pick(F["sum"](a, inner, True), outer, True)
    elif len(axes) == 2 and ord in ("nuc", -2):
        s = svd(F["moveaxis"](x, axes, (-2, -1)), compute_uv=False)
        picked = F["sum"](s, -1) if ord == "nuc" else F["min"](s, -1)
        shape = tuple(1 if i - len(_shape_of(x)) in axes else n
                      for i, n in enumerate(_shape_of(x)))
        out = F["reshape"](picked, shape)
    else:
        raise ValueError(f"norm: ord={ord!r} over {len(axes)} axis/axes is not a norm numpy "
                         "computes")
    return out if keepdims else F["reshape"](out, tuple(
        n for i, n in enumerate(_shape_of(x)) if i - len(_shape_of(x)) not in axes))


OTHER_NORMS["norm"] = _other_norm


_QR = type(np.linalg.qr(np.eye(1)))


@composite(numpy=(np.linalg.qr,), doc="np.linalg.qr: Q and R with a = Q @ R")
def qr(a: Array, mode: str = "reduced") -> Any:
    """``(Q, R)`` as numpy's QRResult (``mode`` 'reduced' or 'complete'), or ``R`` alone
    (``mode='r'``). The gradient needs full rank (for a wide matrix, m < n, its first m
    columns independent); mode 'complete' of a tall matrix has none (its extra columns of
    Q are not unique). Raises ValueError for mode 'raw'."""
    shape = _shape_of(a)
    if len(shape) < 2:
        raise np.linalg.LinAlgError(f"qr: needs matrices in the last two axes, got shape "
                                    f"{shape}")
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode {mode!r} is not supported on Tensors; use 'reduced', "
                         "'complete' or 'r'")
    m, n = shape[-2:]
    complete = mode == "complete"
    packed = apply(la.QR, a, complete)
    q, r = la.unpack(_CUT, packed, la.qr_shapes(m, n, complete))
    return r if mode == "r" else _QR(q, r)


@composite(numpy=(np.linalg.vector_norm,), doc="np.linalg.vector_norm: norm of vectors")
def vector_norm(x: Array, /, *, axis: Any = None, keepdims: bool = False,
                ord: Any = 2) -> Array:
    """The ``ord`` norm of ``x`` over ``axis`` (None: all elements; a tuple: those axes
    read as one vector), as numpy 2's ``np.linalg.vector_norm``."""
    shape = _shape_of(x)
    nd = len(shape)
    axes = normalize_axes("vector_norm", nd, axis)
    moved = FUNCTIONS["moveaxis"](x, axes, tuple(range(-len(axes), 0)))
    kept = _shape_of(moved)[:nd - len(axes)]
    size = int(np.prod([shape[a] for a in axes]))    # not -1: ambiguous at size 0
    flat = FUNCTIONS["reshape"](moved, kept + (size,))
    out = FUNCTIONS["norm"](flat, ord, -1)
    if not keepdims:
        return out
    return FUNCTIONS["reshape"](out, tuple(1 if i - nd in axes else n
                                           for i, n in enumerate(shape)))


@composite(numpy=(np.linalg.matrix_norm,), doc="np.linalg.matrix_norm: norm of matrices")
def matrix_norm(x: Array, /, *, keepdims: bool = False, ord: Any = "fro") -> Array:
    """The ``ord`` norm of each matrix in the last two axes, as numpy 2's
    ``np.linalg.matrix_norm``."""
    return FUNCTIONS["norm"](x, ord, (-2, -1), keepdims)
