"""Matrix decompositions and vector norms of complex data, in the convention of JAX and HIPS
autograd (the gradient of a real loss L of z = x + iy is dL/dx - i dL/dy).

Eigenvectors and singular vectors are defined up to a phase, so most losses here are gauge
invariant (|U| entries, projectors u u^H, reconstructions U diag(s) V^H) and checked against
central differences in the real and the imaginary direction of every entry of the input.
Where a loss does depend on the phase, the oracle differences a decomposition whose phase
follows the convention JAX's rules use (for eigh and svd: each vector's phase moved as
little as possible, v_k(0)^H v_k(h) real; for eig: numpy's own normalisation, unit length
with the largest entry real).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_complex import numeric_complex_grad

import chainrule as cr

RNG = np.random.default_rng(11)


def _c(*shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


A = _c(3, 3)                      # general: eigh and cholesky read its lower half
TALL, WIDE = _c(4, 3), _c(3, 4)
BATCH = _c(2, 3, 3)
WEIGHTS = _c(4, 4)
HPD = A @ A.conj().T + 3 * np.eye(3)


def _plain(f):
    return lambda z: float(np.asarray(f(z)))


def _check(f, z, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(float(f(cr.tensor(z))), float(np.asarray(f(z))), rtol=1e-12)
    np.testing.assert_allclose(cr.grad(f)(z), numeric_complex_grad(_plain(f), z),
                               rtol=rtol, atol=atol)


def _w(shape):
    """Fixed complex weights of ``shape`` (the last two axes from WEIGHTS)."""
    return np.broadcast_to(WEIGHTS[:shape[-2], :shape[-1]], shape)


def _projector(v):
    """v v^H of the first two columns of v: blind to their phases."""
    p = v[..., :, :2]
    return p @ cr.conj(cr.swapaxes(p, -1, -2)) if isinstance(v, cr.Tensor) else \
        p @ np.conj(np.swapaxes(p, -1, -2))


# -- eigh, eigvalsh ----------------------------------------------------------------------------

EIGH = {
    "values": lambda a: cr.sum(np.linalg.eigh(a)[0] * np.array([1.0, -2.0, 0.5])),
    "abs-vectors": lambda a: cr.sum(cr.abs(np.linalg.eigh(a)[1]) ** 3 * WEIGHTS.real[:3, :3]),
    "projector-upper": lambda a: cr.sum(cr.real(_projector(np.linalg.eigh(a, "U")[1])
                                                * WEIGHTS[:3, :3])),
    "eigvalsh-upper": lambda a: cr.sum(np.linalg.eigvalsh(a, "U") ** 2),
    "batched": lambda a: cr.sum(cr.abs(np.linalg.eigh(a).eigenvectors) ** 2 * WEIGHTS.real[:3, :3]
                                + np.linalg.eigh(a).eigenvalues[..., None]),
}


@pytest.mark.parametrize("name", sorted(EIGH))
def test_eigh_of_complex_matrices_matches_differences(name):
    # numpy reads one triangle (the other is its conjugate transpose) and the real part of
    # the diagonal: the other entries get gradient 0, which the differences confirm
    _check(EIGH[name], BATCH if name == "batched" else A)


def test_eigh_of_complex_data_has_real_eigenvalues_as_numpy():
    w, v = np.linalg.eigh(cr.tensor(A))
    assert w.dtype == np.float64 and v.dtype == np.complex128
    np.testing.assert_allclose(w.data, np.linalg.eigh(A)[0], rtol=1e-12)
    assert np.linalg.eigvalsh(cr.tensor(A)).dtype == np.float64


def test_eigh_gradient_is_zero_off_the_triangle_numpy_reads():
    g = cr.grad(EIGH["values"])(A)
    assert np.all(np.triu(g, 1) == 0) and np.all(np.imag(np.diag(g)) == 0)
    assert np.abs(np.tril(g, -1)).max() > 1e-3


# -- svd -------------------------------------------------------------------------------------

def _svd_loss(full):
    def f(a):
        u, s, vh = np.linalg.svd(a, full_matrices=full)
        k = min(a.shape[-2:])
        rec = (u[..., :, :2] * s[..., None, :2]) @ vh[..., :2, :]    # rank-2 part: no phase
        return (cr.sum(cr.abs(u[..., :, :k]) ** 3) + cr.sum(cr.abs(vh[..., :k, :]) ** 1.5)
                + cr.sum(s * s * s) + cr.sum(cr.real(rec * _w(rec.shape))))
    return f


@pytest.mark.parametrize("shape", ["square", "tall", "wide", "batched"])
@pytest.mark.parametrize("full", [False, True])
def test_svd_of_complex_matrices_matches_differences(shape, full):
    a = {"square": A, "tall": TALL, "wide": WIDE, "batched": BATCH}[shape]
    _check(_svd_loss(full), a)


def test_svd_of_complex_data_has_real_singular_values_as_numpy():
    u, s, vh = np.linalg.svd(cr.tensor(TALL), full_matrices=False)
    assert s.dtype == np.float64 and u.dtype == vh.dtype == np.complex128
    np.testing.assert_allclose(s.data, np.linalg.svd(TALL)[1], rtol=1e-12)


def test_svd_full_matrices_refuses_the_extra_vectors_of_complex_data_too():
    with pytest.raises(NotImplementedError, match="not unique"):
        cr.grad(lambda a: cr.sum(cr.abs(np.linalg.svd(a)[0])))(TALL)


# -- the phase: the convention of JAX's rules ---------------------------------------------

def _turn(vecs, ref):
    """The phase e^{-it} per column that makes ref_k^H v_k e^{-it} real and positive: the
    phase moved as little as possible (the gauge of JAX's eigh and svd tangents)."""
    overlap = np.sum(np.conj(ref) * vecs, axis=-2, keepdims=True)
    return np.conj(overlap) / np.abs(overlap)


def _phase_grad(decompose, loss, a, h=1e-6):
    """dL/dx - i dL/dy of loss(decompose(a)) with the phases aligned to those at ``a``."""
    ref = decompose(a)
    out = np.zeros(a.shape, complex)
    for i in np.ndindex(a.shape):
        for step, unit in ((1.0, 1), (1j, -1j)):
            e = np.zeros(a.shape, complex)
            e[i] = h * step
            up, down = decompose(a + e, ref), decompose(a - e, ref)
            out[i] += unit * (loss(*up) - loss(*down)) / (2 * h)
    return out


def _eigh_gauge(a, ref=None):
    w, v = np.linalg.eigh(a)
    return (w, v) if ref is None else (w, v * _turn(v, ref[1]))


def _svd_gauge(a, ref=None):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    if ref is None:
        return u, s, vh
    turn = _turn(np.conj(vh.T), np.conj(ref[2].T))        # v_k's; u_k turns with it
    return u * turn, s, vh * np.conj(turn.T)


def test_eigh_of_a_phase_dependent_loss_follows_jax():
    def loss(w, v):
        return np.sum(np.real(v * WEIGHTS[:3, :3])) + np.sum(w)
    got = cr.grad(lambda a: loss(*np.linalg.eigh(a)))(A)
    np.testing.assert_allclose(got, _phase_grad(_eigh_gauge, loss, A), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("a", [A, TALL, WIDE], ids=["square", "tall", "wide"])
def test_svd_of_a_phase_dependent_loss_follows_jax(a):
    m, n = a.shape
    k = min(m, n)

    def loss(u, s, vh):
        return (np.sum(np.real(u * WEIGHTS[:m, :k])) + np.sum(np.imag(vh * WEIGHTS[:k, :n]))
                + np.sum(s))
    got = cr.grad(lambda x: loss(*np.linalg.svd(x, full_matrices=False)))(a)
    np.testing.assert_allclose(got, _phase_grad(_svd_gauge, loss, a), rtol=1e-6, atol=1e-8)


def test_the_phase_check_catches_a_rule_without_the_phase_term(monkeypatch):
    # the i Im(diag(U^H gU)) / s term: drop it and the differences disagree, for a
    # phase-dependent loss and for a reconstruction U diag(s) V^H alike
    from chainrule.rules import linalg_decomp as la
    real_rule = la.SVD.vjps[0]

    def no_phase(M, g, ans, a, full):      # first order, plain arrays
        m, n = a.shape[-2:]
        u, s, vh = la.unpack(M, ans, la.svd_shapes(m, n, full))
        gu = la.unpack(M, g, la.svd_shapes(m, n, full))[0]
        d = np.einsum("...ik,...ik->...k", u, gu)                   # diag(U^T gU)
        term = (np.conj(u) * (1j * d.imag / s.real)[..., None, :]) @ np.conj(vh)
        return real_rule(M, g, ans, a, full) - term
    monkeypatch.setattr(la.SVD, "vjps", (no_phase,))

    def loss(u, s, vh):
        return np.sum(np.real(u * WEIGHTS[:3, :3])) + np.sum(s)
    got = cr.grad(lambda x: loss(*np.linalg.svd(x)))(A)
    assert not np.allclose(got, _phase_grad(_svd_gauge, loss, A), rtol=1e-3)
    f = _svd_loss(False)
    assert not np.allclose(cr.grad(f)(A), numeric_complex_grad(_plain(f), A), rtol=1e-3)


# -- cholesky, qr ----------------------------------------------------------------------------

CHOLESKY = {
    "lower": lambda a: cr.sum(cr.real(np.linalg.cholesky(a) * WEIGHTS[:3, :3])),
    "upper-abs": lambda a: cr.sum(cr.abs(np.linalg.cholesky(a, upper=True)) ** 3),
    "solve-through": lambda a: cr.sum(cr.abs(np.linalg.cholesky(a) @ WEIGHTS[:3, :1]) ** 2),
}


@pytest.mark.parametrize("name", sorted(CHOLESKY))
def test_cholesky_of_complex_matrices_matches_differences(name):
    _check(CHOLESKY[name], HPD)
    upper_noise = HPD + np.triu(_c(3, 3), 1)      # numpy reads the lower half only
    _check(CHOLESKY[name], upper_noise)


def test_cholesky_gradient_is_zero_off_the_lower_half():
    g = cr.grad(CHOLESKY["lower"])(HPD)
    assert np.all(np.triu(g, 1) == 0) and np.all(np.imag(np.diag(g)) == 0)


def test_cholesky_upper_reads_the_upper_half_as_numpy():
    # numpy's upper=True reads the upper half, for real and complex data alike
    for a in (HPD + np.tril(_c(3, 3), -1), np.real(HPD) + np.tril(RNG.standard_normal((3, 3)), -1)):
        u = np.linalg.cholesky(cr.tensor(a), upper=True)
        np.testing.assert_allclose(u.data, np.linalg.cholesky(a, upper=True), rtol=1e-12)
        f = CHOLESKY["upper-abs"]
        np.testing.assert_allclose(cr.grad(f)(a), numeric_complex_grad(_plain(f), a),
                                   rtol=1e-6, atol=1e-8)


def _qr_loss(mode):
    def f(a):
        if mode == "r":
            r = np.linalg.qr(a, mode="r")
            return cr.sum(cr.imag(r * _w(r.shape))) + cr.sum(cr.abs(r) ** 2)
        q, r = np.linalg.qr(a, mode=mode)
        return (cr.sum(cr.real(q * _w(q.shape))) + cr.sum(cr.imag(r * _w(r.shape)))
                + cr.sum(cr.abs(q) ** 3))
    return f


@pytest.mark.parametrize("shape", ["square", "tall", "wide", "batched"])
@pytest.mark.parametrize("mode", ["reduced", "r", "complete"])
def test_qr_of_complex_matrices_matches_differences(shape, mode):
    # R's diagonal is real (LAPACK), which fixes Q and R: no phase freedom, any loss works
    a = {"square": A, "tall": TALL, "wide": WIDE, "batched": BATCH}[shape]
    if mode == "complete" and shape == "tall":
        with pytest.raises(NotImplementedError, match="not unique"):
            cr.grad(_qr_loss(mode))(a)
        return
    _check(_qr_loss(mode), a)


# -- eig -------------------------------------------------------------------------------------

EIG = {
    "values": lambda a: cr.sum(cr.real(np.linalg.eig(a)[0] * (1 + 2j)))
    + cr.sum(cr.abs(np.linalg.eigvals(a))),
    "abs-vectors": lambda a: cr.sum(cr.abs(np.linalg.eig(a)[1]) ** 3 * WEIGHTS.real[:3, :3]),
    # numpy normalises each eigenvector (unit length, largest entry real); the gradient is
    # that of numpy's result, phase included
    "vectors": lambda a: cr.sum(cr.real(np.linalg.eig(a).eigenvectors * WEIGHTS[:3, :3])),
    "batched": lambda a: cr.sum(cr.imag(np.linalg.eig(a)[1] * WEIGHTS[:3, :3])
                                + cr.abs(np.linalg.eig(a)[0])[..., None]),
}


@pytest.mark.parametrize("name", sorted(EIG))
def test_eig_of_complex_matrices_matches_differences(name):
    _check(EIG[name], BATCH if name == "batched" else A)


@pytest.mark.parametrize("name", sorted(EIG))
def test_eig_of_a_real_matrix_with_complex_eigenvalues_matches_differences(name):
    a = np.array([[0.5, -2.0, 0.3], [1.5, 0.2, -0.4], [0.1, 0.7, 1.1]])
    if name == "batched":
        a = np.stack([a, a.T + 0.5 * np.eye(3)])
    assert np.iscomplexobj(np.linalg.eig(a)[0])
    g = cr.grad(EIG[name])(a)
    assert np.isrealobj(g)
    _check(EIG[name], a)


def test_eig_of_a_symmetric_real_matrix_is_real_as_numpy():
    s = np.real(HPD)
    w, v = np.linalg.eig(cr.tensor(s))
    assert w.dtype == v.dtype == np.float64
    _check(lambda a: cr.sum(np.linalg.eig(a)[0] ** 2 * np.array([1.0, 2.0, 3.0]))
           + cr.sum(cr.abs(np.linalg.eig(a)[1]) ** 3), s, atol=1e-6)


def test_the_difference_check_catches_eig_without_numpy_normalisation(monkeypatch):
    from chainrule.rules import linalg_decomp as la
    monkeypatch.setattr(la, "real_part", lambda x: x * 0)   # drops the |v_k| = 1 term
    f = EIG["abs-vectors"]
    with np.errstate(invalid="ignore", divide="ignore"):
        got = cr.grad(f)(A)
    assert not np.allclose(got, numeric_complex_grad(_plain(f), A), rtol=1e-3)


# -- second order and forward mode ---------------------------------------------------------

SECOND = {
    "eigh": (EIGH["abs-vectors"], A),
    "svd": (_svd_loss(False), TALL),
    "cholesky": (CHOLESKY["lower"], HPD),
    "qr": (_qr_loss("reduced"), WIDE),
    "eig": (EIG["abs-vectors"], A),
    "nuclear-norm": (lambda a: np.linalg.norm(a, "nuc"), TALL),
    "spectral-norm": (lambda a: np.linalg.norm(a, 2) + np.linalg.norm(a, -2), WIDE),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_second_order_of_complex_decompositions(name):
    f, a = SECOND[name]
    g = cr.grad(f)
    for part, take in ((np.real, cr.real), (np.imag, cr.imag)):
        got = cr.jacobian(lambda v, take=take: take(cr.grad(f)(v)))(a)
        for k in np.ndindex(a.shape):
            def comp(v, k=k, part=part):
                return float(part(g(v)[k]))
            np.testing.assert_allclose(got[k], numeric_complex_grad(comp, a, h=1e-5),
                                       rtol=1e-5, atol=1e-6, err_msg=f"{name} {k}")


@pytest.mark.parametrize("name", sorted(SECOND))
def test_forward_mode_of_complex_decompositions_matches_directional_differences(name):
    f, a = SECOND[name]
    v = _c(*a.shape)
    _, jv = cr.jvp(f, (a,), (v,))
    assert np.isrealobj(np.asarray(jv))
    eps = 1e-6
    expected = (float(np.asarray(f(a + eps * v))) - float(np.asarray(f(a - eps * v)))) / (2 * eps)
    assert float(jv) == pytest.approx(expected, rel=1e-6)


# -- vector norms: ord 1, inf and p of |z| -------------------------------------------------

Z = _c(5)
Z0 = Z.copy()
Z0[2] = 0


@pytest.mark.parametrize("ord", [1, np.inf, 3, 1.5, 4])
@pytest.mark.parametrize("z", [Z, Z0], ids=["z", "with-a-zero"])
def test_vector_norms_of_complex_data_match_differences(ord, z):
    _check(lambda v: np.linalg.norm(v, ord), z)


def test_vector_norm_gradient_is_conj_z_over_abs_z_for_ord_1():
    g = cr.grad(lambda v: np.linalg.norm(v, 1))(Z0)
    expected = np.where(Z0 == 0, 0, np.conj(Z0) / np.where(Z0 == 0, 1, np.abs(Z0)))
    np.testing.assert_allclose(g, expected, rtol=1e-14)


def test_vector_norms_over_an_axis_and_numpy_2_spellings():
    m = _c(3, 4)
    _check(lambda a: cr.sum(np.linalg.norm(a, 1, axis=1) * np.array([1.0, 2.0, 3.0])), m)
    _check(lambda a: cr.sum(np.linalg.vector_norm(a, ord=np.inf, axis=0, keepdims=True)), m)
    _check(lambda a: np.linalg.vector_norm(a, ord=3), m)


@pytest.mark.parametrize("ord", [1, np.inf, 3])
def test_second_order_of_complex_vector_norms(ord):
    def f(v):
        return np.linalg.norm(v, ord) * np.linalg.norm(v, 1.5)
    g = cr.grad(f)
    for part, take in ((np.real, cr.real), (np.imag, cr.imag)):
        got = cr.jacobian(lambda v, take=take: take(cr.grad(f)(v)))(Z)
        for k in range(5):
            num = numeric_complex_grad(lambda v, k=k, part=part: float(part(g(v)[k])), Z,
                                       h=1e-5)
            np.testing.assert_allclose(got[k], num, rtol=1e-5, atol=1e-6)


def test_the_difference_check_catches_an_unconjugated_p_norm(monkeypatch):
    from chainrule.rules import reductions as rd
    monkeypatch.setattr(rd, "conjugate", lambda x: x)
    f = lambda v: np.linalg.norm(v, 3)   # noqa: E731
    assert not np.allclose(cr.grad(f)(Z), numeric_complex_grad(_plain(f), Z), rtol=1e-3)


def test_the_guides_worked_example_of_eigvalsh():
    h = np.array([[2.0, 1j], [-1j, 2.0]])
    g = cr.grad(lambda a: np.linalg.eigvalsh(a)[-1])(h)
    np.testing.assert_allclose(g, [[0.5, 0], [1j, 0.5]], atol=1e-12)
    _check(lambda a: np.linalg.eigvalsh(a)[-1], h)


@pytest.mark.parametrize("a", [TALL, WIDE, BATCH], ids=["tall", "wide", "batched"])
def test_pinv_of_complex_matrices_matches_numpy_and_differences(a):
    np.testing.assert_allclose(np.linalg.pinv(cr.tensor(a)).data, np.linalg.pinv(a),
                               rtol=1e-10, atol=1e-12)
    w = _w(np.linalg.pinv(a).shape)
    _check(lambda x: cr.sum(cr.abs(np.linalg.pinv(x)) ** 2 + cr.real(np.linalg.pinv(x) * w)), a)
